/**
 * A whole HTTP answer (status, headers, body) from a local resource service, and the small XML
 * helpers the query (RDS, EC2) and REST-XML (S3) protocols need.
 */

/** An answer written as is: the resource services answer errors in their own protocol's shape. */
export class LocalReply {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body: string,
  ) {}
}

/** Escapes text for an XML element. */
export function esc(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** `<name>value</name>`, or nothing when the value is undefined. */
export function el(name: string, value: unknown): string {
  return value === undefined ? '' : `<${name}>${esc(value)}</${name}>`;
}

/** An XML answer. */
export function xml(body: string, status = 200): LocalReply {
  return new LocalReply(
    status,
    { 'content-type': 'text/xml', 'x-amzn-requestid': crypto.randomUUID() },
    `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  );
}

/** A JSON answer (REST-JSON or AWS JSON 1.0). */
export function json(body: unknown, status = 200, contentType = 'application/json'): LocalReply {
  return new LocalReply(
    status,
    { 'content-type': contentType, 'x-amzn-requestid': crypto.randomUUID() },
    body === undefined ? '' : JSON.stringify(body),
  );
}

/** A REST-JSON error the SDK maps to its exception class (x-amzn-errortype). */
export function jsonError(status: number, type: string, message: string, extra: object = {}): LocalReply {
  return new LocalReply(
    status,
    {
      'content-type': 'application/json',
      'x-amzn-errortype': type,
      'x-amzn-requestid': crypto.randomUUID(),
    },
    JSON.stringify({ message, Message: message, ...extra }),
  );
}

/** Numbered query parameters (`Prefix.1`, `Prefix.2` ...) in order. */
export function numbered(form: URLSearchParams, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; form.has(`${prefix}.${i}`); i++) out.push(form.get(`${prefix}.${i}`) ?? '');
  return out;
}

/** Tags sent as `<list>.<member>.N.Key/Value` (any member name: RDS `Tags.Tag.N`, EC2 `Tag.N`). */
export function formTags(form: URLSearchParams, pattern: RegExp): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [name, value] of form) {
    const m = pattern.exec(name);
    if (m === null || !name.endsWith('.Key')) continue;
    tags[value] = form.get(name.replace(/\.Key$/, '.Value')) ?? '';
  }
  return tags;
}

/** A REST call a local service answers: its operation (what a fault plan may name) and its answer. */
export type RestCall = { operation: string; run: () => LocalReply } | undefined;

/** The segments of a request's path, decoded. */
export function pathSegments(url: URL): string[] {
  return url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
}
