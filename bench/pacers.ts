/**
 * "Busiest second under faults": five pacers (src/pacing) sharing the budget item through the
 * local endpoint's job table with the real SDK, each with callers that start restores one after
 * another for `seconds`, StartRestoreJob throttled above the quota. Two faults, one run each:
 * - one instance cut off from the table (its DynamoDB client points at a closed port);
 * - the instances' clocks spread over 250 ms (-125, -60, 0, +60, +125 ms).
 * Measures every StartRestoreJob call the endpoint saw: the busiest one-second window, throttles.
 */

import { BackupClient, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { queuedRequest } from '../local/chaos-backlog.js';
import { startLocalAws } from '../local/endpoint.js';
import { defaultSeed, RESTORE_ROLE } from '../local/pipeline.js';
import { createRestoreJobsTable } from '../local/setup.js';
import { createPacer } from '../src/pacing/pacer.js';
import { dynamoBudgetStore } from '../src/pacing/store.js';
import { QUOTA_PER_SECOND } from './backlog.js';
import { crowdedWindows, maxInWindow } from './stats.js';

/** What one faulty run did. */
export interface FaultyRun {
  fault: 'cut-off' | 'skew';
  busiestWindow: number;
  calls: number;
  throttled: number;
  /** Callers given back by the instance cut off (PacingUnavailableError). */
  givenBack: number;
  startsPerSecond: number;
  /** Each one-second window above the quota: its calls, ms after the first of them. */
  crowded: number[][];
}

const SKEWS = [-125, -60, 0, 60, 125];
const TABLE = 'bench-pacers';

/** One run of five instances with `fault`, `callers` each, for `seconds`. */
export async function faultyPacers(
  fault: FaultyRun['fault'],
  seconds: number,
  margin = 30,
  callers = 3,
): Promise<FaultyRun> {
  const aws = await startLocalAws({
    seed: { ...defaultSeed(), timing: { runningAfterMs: 60_000, doneAfterMs: 120_000 } },
    faults: { StartRestoreJob: { rateLimitPerSecond: QUOTA_PER_SECOND } },
  });
  const config = {
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const setup = new DynamoDBClient({ ...config, endpoint: aws.url });
  await createRestoreJobsTable(setup, TABLE);
  const backup = new BackupClient({ ...config, endpoint: aws.url });
  const clients: DynamoDBClient[] = [setup];
  let givenBack = 0;
  try {
    const until = Date.now() + seconds * 1000;
    let n = 0;
    const runs = SKEWS.map(async (skew, i) => {
      const cut = fault === 'cut-off' && i === 0;
      // Port 9 (discard) is closed here: every call is refused, as from a host cut off.
      const ddb = new DynamoDBClient({ ...config, endpoint: cut ? 'http://127.0.0.1:9' : aws.url });
      clients.push(ddb);
      const pacer = createPacer(dynamoBudgetStore(ddb, TABLE), {
        quota: QUOTA_PER_SECOND,
        marginMs: margin,
        id: `bench-${i}`,
        now: fault === 'skew' ? () => Date.now() + skew : Date.now,
      });
      const caller = async () => {
        while (Date.now() < until) {
          try {
            await pacer.take('recovery');
          } catch {
            givenBack += 1;
            continue;
          }
          const body = queuedRequest(`bench-pacers-${fault}-${n++}`) as Record<string, unknown>;
          await backup
            .send(new StartRestoreJobCommand({ ...body, IamRoleArn: RESTORE_ROLE } as never))
            .catch(() => undefined);
        }
      };
      await Promise.all(Array.from({ length: callers }, caller));
    });
    await Promise.all(runs);
    const arrivals = aws.faults.arrivals.StartRestoreJob ?? [];
    const span = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
    return {
      fault,
      busiestWindow: maxInWindow(arrivals, 1000),
      calls: arrivals.length,
      throttled: aws.faults.counts.StartRestoreJob?.RateLimited ?? 0,
      givenBack,
      startsPerSecond: span > 0 ? (arrivals.length - 1) / span : Number.NaN,
      crowded: crowdedWindows(arrivals, QUOTA_PER_SECOND),
    };
  } finally {
    backup.destroy();
    for (const c of clients) c.destroy();
    await aws.close();
  }
}
