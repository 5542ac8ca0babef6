/**
 * One measurement in a fresh Node.js process: `node bench/worker.cjs MODE BUNDLE [COUNT]`.
 * Plain JavaScript so that nothing but the bundle under test is loaded. Prints one JSON line.
 *   coldstart  time to load the bundle and run its module-scope set-up
 *   cpu        CPU time per request over COUNT requests (batches of 10), after a warm-up
 *   memory     peak RSS over COUNT requests
 *   batch      wall time of one 10-record batch (median of 10, after a warm-up)
 */
const { hrtime } = process;
const [mode, bundle, countText] = process.argv.slice(2);
const count = Number(countText || 0);

const t0 = hrtime.bigint();
const mod = require(bundle);
const loadMs = Number(hrtime.bigint() - t0) / 1e6;

const POINT = 'arn:aws:ec2:eu-west-1::snapshot/snap-0a1b2c3d4e5f60718';
let next = 0;
function batch(size) {
  const Records = [];
  for (let i = 0; i < size; i++) {
    const id = `${process.pid}-${next++}`;
    Records.push({
      messageId: `m-${id}`,
      receiptHandle: `h-${id}`,
      body: JSON.stringify({
        RecoveryPointArn: POINT,
        ResourceType: 'EBS',
        Metadata: { availabilityZone: 'eu-west-1a' },
        IdempotencyToken: `bench-${id}`,
      }),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'bench',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:restore-requests',
      awsRegion: 'eu-west-1',
    });
  }
  return { Records };
}
function context() {
  const deadline = Date.now() + 30000;
  return {
    awsRequestId: `r-${next}`,
    functionName: 'bench',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}
async function invoke(size) {
  const response = await mod.handler(batch(size), context());
  const failed = response?.batchItemFailures ? response.batchItemFailures.length : 0;
  if (failed > 0) throw new Error(`${failed} records failed`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * This process's peak RSS in MiB: Linux's VmHWM, which starts afresh at exec. `maxRSS`
 * (getrusage) keeps the parent's peak across fork and exec: a worker spawned by a bench that had
 * grown to 170 MiB reported 171 MiB for the pipeline and 175 MiB for the baseline, whatever they
 * used. `maxRSS` only where /proc is missing.
 */
function peakRssMiB() {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(
      require('node:fs').readFileSync('/proc/self/status', 'utf8'),
    )?.[1];
    if (kib !== undefined) return Number(kib) / 1024;
  } catch {}
  return process.resourceUsage().maxRSS / 1024;
}

async function main() {
  if (mode === 'coldstart') return { loadMs };
  if (mode === 'cpu') {
    for (let i = 0; i < 20; i++) await invoke(10);
    const cpu0 = process.cpuUsage();
    const w0 = hrtime.bigint();
    for (let i = 0; i < count / 10; i++) await invoke(10);
    const cpu = process.cpuUsage(cpu0);
    return {
      cpuMicrosPerRequest: (cpu.user + cpu.system) / count,
      wallMs: Number(hrtime.bigint() - w0) / 1e6,
    };
  }
  if (mode === 'memory') {
    for (let i = 0; i < count / 10; i++) await invoke(10);
    return { maxRssMiB: peakRssMiB() };
  }
  if (mode === 'batch') {
    for (let i = 0; i < 2; i++) await invoke(10);
    const times = [];
    for (let i = 0; i < 10; i++) {
      const w0 = hrtime.bigint();
      await invoke(10);
      times.push(Number(hrtime.bigint() - w0) / 1e6);
    }
    return { batchMs: median(times) };
  }
  throw new Error(`unknown mode ${mode}`);
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error) => {
    process.stderr.write(`${error?.stack ? error.stack : error}\n`);
    process.exit(1);
  },
);
