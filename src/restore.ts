/** Starting a restore job: the only caller of StartRestoreJob. */

import { type BackupClient, StartRestoreJobCommand, type StartRestoreJobInput } from '@aws-sdk/client-backup';
import { classifyAwsError } from './errors.js';

/** Calls StartRestoreJob; returns the job id or throws a classified RestorePipelineError. */
export async function startRestoreJob(backup: BackupClient, input: StartRestoreJobInput): Promise<string> {
  let restoreJobId: string | undefined;
  try {
    ({ RestoreJobId: restoreJobId } = await backup.send(new StartRestoreJobCommand(input)));
  } catch (error) {
    throw classifyAwsError('StartRestoreJob', error);
  }
  if (restoreJobId === undefined || restoreJobId === '') {
    throw classifyAwsError(
      'StartRestoreJob',
      Object.assign(new Error('the answer held no RestoreJobId'), { name: 'InternalFailure' }),
    );
  }
  return restoreJobId;
}
