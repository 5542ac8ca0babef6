/** The local endpoint with the job-link table, and real clients to it, for the outcome tests. */

import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BackupSeed } from '../../local/backup-service';
import { type LocalAws, startLocalAws } from '../../local/endpoint';
import { defaultSeed } from '../../local/pipeline';
import { createRestoreJobsTable } from '../../local/setup';

export const TABLE = 'restore-jobs';

/** What a test works with. */
export interface OutcomeEnv {
  /** The local endpoint itself (its services' state, its faults). */
  readonly aws: LocalAws;
  readonly ddb: DynamoDBClient;
  readonly backup: BackupClient;
  close(): Promise<void>;
}

/** Starts the local endpoint (the default seed, changed by `seed`) and creates the job-link table. */
export async function startOutcomeEnv(seed: (s: BackupSeed) => BackupSeed = (s) => s): Promise<OutcomeEnv> {
  const aws = await startLocalAws({ seed: seed(defaultSeed()) });
  const client = {
    region: 'eu-west-1',
    endpoint: aws.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  };
  const ddb = new DynamoDBClient(client);
  const backup = new BackupClient(client);
  await createRestoreJobsTable(ddb, TABLE);
  return {
    aws,
    ddb,
    backup,
    close: async () => {
      ddb.destroy();
      backup.destroy();
      await aws.close();
    },
  };
}
