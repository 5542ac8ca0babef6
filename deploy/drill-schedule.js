/**
 * The drill schedule (stage parameter `drillSchedule`, JSON) as serverless `schedule` events of
 * restoreFromEvent: each rule hands the function a "Restore Requested" event whose detail is a
 * request by resource with a Drill, so a scheduled drill takes exactly the path of a request by
 * resource. The event's own id and time come through an input transformer (the trigger id and the
 * moment the need arose, for the time to recovery). A bad entry stops the deployment, listing every problem.
 *
 *   drillSchedule: '[{"resourceArn": "arn:aws:rds:eu-west-1:123456789012:db:orders-db",
 *                     "rate": "rate(7 days)", "deleteAfterHours": 4, "validator": "check-orders"}]'
 */

const FIELDS = new Set([
  'resourceArn',
  'rate',
  'deleteAfterHours',
  'validator',
  'metadata',
  'backupVaultName',
]);

/** The checked entries of a drill schedule (pure); throws with every problem. */
function parseDrillSchedule(text) {
  let entries;
  try {
    entries = JSON.parse(text === undefined || text === '' ? '[]' : String(text));
  } catch (error) {
    throw new Error(`drillSchedule is not JSON: ${error.message}`);
  }
  if (!Array.isArray(entries)) throw new Error('drillSchedule must be a JSON array of drills');
  const problems = [];
  entries.forEach((e, i) => {
    const at = `drillSchedule[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      problems.push(`${at} must be an object`);
      return;
    }
    for (const key of Object.keys(e))
      if (!FIELDS.has(key)) problems.push(`${at} has an unknown field ${key}`);
    if (typeof e.resourceArn !== 'string' || !/^arn:aws[a-z-]*:/.test(e.resourceArn))
      problems.push(`${at}.resourceArn must be a resource ARN`);
    if (
      typeof e.rate !== 'string' ||
      !/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/.test(e.rate)
    )
      problems.push(`${at}.rate must be rate(N unit) or cron(...)`);
    if (!Number.isInteger(e.deleteAfterHours) || e.deleteAfterHours < 0 || e.deleteAfterHours > 168)
      problems.push(`${at}.deleteAfterHours must be a whole number from 0 to 168`);
    if (e.validator !== undefined && typeof e.validator !== 'string')
      problems.push(`${at}.validator must be a string`);
  });
  if (problems.length > 0) throw new Error(`Invalid drillSchedule:\n- ${problems.join('\n- ')}`);
  return entries;
}

/** The "Restore Requested" detail a scheduled drill sends (a request by resource). */
function drillDetail(e) {
  return {
    ResourceArn: e.resourceArn,
    Drill: { DeleteAfterHours: e.deleteAfterHours },
    ...(e.validator === undefined ? {} : { Validator: e.validator }),
    ...(e.metadata === undefined ? {} : { Metadata: e.metadata }),
    ...(e.backupVaultName === undefined ? {} : { BackupVaultName: e.backupVaultName }),
  };
}

/** The schedule events (pure). */
function scheduleEvents(entries, source) {
  return entries.map((e, i) => ({
    schedule: {
      description: `Restore drill ${i + 1}: ${e.resourceArn}`.slice(0, 512),
      rate: [e.rate],
      inputTransformer: {
        inputPathsMap: { id: '$.id', time: '$.time', account: '$.account', region: '$.region' },
        inputTemplate: JSON.stringify({
          version: '0',
          id: '<id>',
          'detail-type': 'Restore Requested',
          source,
          account: '<account>',
          time: '<time>',
          region: '<region>',
          resources: [],
          detail: drillDetail(e),
        }),
      },
    },
  }));
}

/** The variable resolver: `${file(./deploy/drill-schedule.js):events}`, restoreFromEvent's events. */
module.exports = async ({ resolveVariable }) => {
  const source = await resolveVariable('param:restoreRequestSource');
  const schedule = await resolveVariable('param:drillSchedule');
  return {
    events: [
      { eventBridge: { pattern: { source: [source], 'detail-type': ['Restore Requested'] } } },
      ...scheduleEvents(parseDrillSchedule(schedule), source),
    ],
  };
};
module.exports.parseDrillSchedule = parseDrillSchedule;
module.exports.scheduleEvents = scheduleEvents;
