/**
 * PutRestoreValidationResult, for the jobs AWS takes it for: restore testing jobs. The API "allows
 * you to send your independent self-run restore test validation results", and restore testing
 * validation is "an event-driven validation that runs when a restore testing job completes".
 * The pipeline's own jobs (StartRestoreJob) are not restore tests: their verdict stays on the link.
 */

import {
  type BackupClient,
  type DescribeRestoreJobOutput,
  PutRestoreValidationResultCommand,
  type RestoreValidationStatus,
} from '@aws-sdk/client-backup';
import { classifyAwsError } from '../errors.js';

/** True for a job a restore testing plan started (DescribeRestoreJob's CreatedBy names the plan). */
export function isRestoreTestingJob(job: Pick<DescribeRestoreJobOutput, 'CreatedBy'>): boolean {
  const plan = job.CreatedBy?.RestoreTestingPlanArn;
  return typeof plan === 'string' && plan !== '';
}

/** The ValidationStatus of a final verdict (pure). */
export function validationStatusOf(verdict: 'pass' | 'fail', timedOut: boolean): RestoreValidationStatus {
  if (verdict === 'pass') return 'SUCCESSFUL';
  return timedOut ? 'TIMED_OUT' : 'FAILED';
}

/**
 * Sends the final verdict of a restore testing job to AWS Backup; does nothing (returns false) for
 * any other job, and for a job whose validation status is already final.
 */
export async function reportValidationToBackup(
  backup: BackupClient,
  restoreJobId: string,
  job: Pick<DescribeRestoreJobOutput, 'CreatedBy' | 'ValidationStatus'>,
  status: RestoreValidationStatus,
  message: string,
): Promise<boolean> {
  if (!isRestoreTestingJob(job)) return false;
  if (job.ValidationStatus !== undefined && job.ValidationStatus !== 'VALIDATING') return false;
  try {
    await backup.send(
      new PutRestoreValidationResultCommand({
        RestoreJobId: restoreJobId,
        ValidationStatus: status,
        ValidationStatusMessage: message.slice(0, 1000),
      }),
    );
    return true;
  } catch (error) {
    throw classifyAwsError('PutRestoreValidationResult', error);
  }
}
