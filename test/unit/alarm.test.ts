import type { AlarmDetail, AlarmEvent } from '../../src/arrival/alarm';
import { alarmTransition, partitionOf } from '../../src/checks/alarm';
import { alarmTarget, DEFAULT_MARGIN_SECONDS, evaluationMarginSeconds } from '../../src/checks/alarm-target';
import { MAX_MARGIN_SECONDS, parsePointSelection } from '../../src/checks/alarm-targets';
import { InvalidRequestError } from '../../src/errors';
import { loadEvent } from '../helpers/fixtures';

const ARN = (name: string) => `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}`;

describe('alarmTransition', () => {
  it('acts on a transition into ALARM, with the alarm ARN and the state change time', () => {
    expect(alarmTransition(loadEvent<AlarmEvent>('alarm-rds-instance.json'))).toStrictEqual({
      act: true,
      alarmName: 'restore-billing-db-corruption',
      alarmArn: ARN('restore-billing-db-corruption'),
      partition: 'aws',
      changedAt: new Date('2026-11-26T10:00:00.000Z'),
    });
  });

  it.each([
    ['alarm-ok.json', 'state is OK'],
    ['alarm-insufficient-data.json', 'state is INSUFFICIENT_DATA'],
    ['alarm-repeat.json', 'the alarm was already in ALARM'],
  ])('does nothing for %s', (file, reason) => {
    expect(alarmTransition(loadEvent<AlarmEvent>(file))).toStrictEqual({ act: false, reason });
  });

  it('refuses an event that is not an alarm state change', () => {
    expect(() => alarmTransition({ detail: {} })).toThrow(InvalidRequestError);
  });
});

describe('alarmTarget', () => {
  const target = (file: string, targets = {}) => {
    const event = loadEvent<AlarmEvent>(file);
    const t = alarmTransition(event);
    if (!t.act) throw new Error('expected an acting transition');
    return alarmTarget(event, t, targets);
  };

  it.each([
    ['alarm-rds-instance.json', 'arn:aws:rds:eu-west-1:123456789012:db:billing-db'],
    ['alarm-aurora-cluster.json', 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger-aurora'],
    ['alarm-ec2-instance.json', 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0abcdef1234567890'],
    ['alarm-ebs-volume.json', 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-0c3d4e5f6a7b8c9d0'],
    ['alarm-dynamodb-table.json', 'arn:aws:dynamodb:eu-west-1:123456789012:table/sessions'],
    [
      'alarm-efs-filesystem.json',
      'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0fedcba9876543210',
    ],
    ['alarm-s3-bucket.json', 'arn:aws:s3:::reports-bucket'],
  ])('finds the resource of %s from its dimensions', (file, resourceArn) => {
    // Each sample alarm evaluates one 60-second datapoint: the moment restored to is a minute earlier.
    expect(target(file)).toStrictEqual({
      target: { resourceArn, recoveryPoint: { mode: 'before-alarm', marginSeconds: 60 } },
      source: 'dimensions',
    });
  });

  it('prefers the explicit mapping, by name or by ARN', () => {
    const mapped = {
      resourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:elsewhere',
      recoveryPoint: { mode: 'latest' } as const,
    };
    expect(target('alarm-rds-instance.json', { 'restore-billing-db-corruption': mapped })).toStrictEqual({
      target: mapped,
      source: 'mapping',
    });
    expect(target('alarm-rds-instance.json', { [ARN('restore-billing-db-corruption')]: mapped }).source).toBe(
      'mapping',
    );
    expect(target('alarm-composite.json', { 'restore-checkout-composite': mapped }).target).toStrictEqual(
      mapped,
    );
  });

  it('reads the target from alarm tags before the dimensions', () => {
    expect(target('alarm-tagged.json')).toStrictEqual({
      target: {
        resourceArn: 'arn:aws:rds:eu-west-1:123456789012:db:payments-db',
        recoveryPoint: { mode: 'look-back', hours: 24, marginSeconds: 60 },
      },
      source: 'tags',
    });
  });

  it.each([
    [
      'alarm-composite.json',
      /composite alarm, which names no resource: add "restore-checkout-composite" to ALARM_TARGETS/,
    ],
    [
      'alarm-metric-math.json',
      /metric math alarm, which names no single resource: add "restore-orders-error-rate" to ALARM_TARGETS/,
    ],
  ])('says what to configure for %s', (file, message) => {
    expect(() => target(file)).toThrow(message);
  });

  it('says what to configure for a metric with no resource dimension', () => {
    const event = loadEvent<AlarmEvent>('alarm-rds-instance.json');
    const metric = event.detail?.configuration?.metrics?.[0]?.metricStat?.metric;
    if (metric) metric.dimensions = { Currency: 'EUR' };
    const t = alarmTransition(event);
    expect(() => t.act && alarmTarget(event, t, {})).toThrow(/no dimension naming a restorable resource/);
  });
});

describe('parsePointSelection', () => {
  it('reads the three rules and refuses others', () => {
    expect(parsePointSelection('latest')).toStrictEqual({ mode: 'latest' });
    expect(parsePointSelection('before-alarm')).toStrictEqual({ mode: 'before-alarm' });
    expect(parsePointSelection('look-back:48h')).toStrictEqual({ mode: 'look-back', hours: 48 });
    expect(() => parsePointSelection('yesterday')).toThrow(/not a recovery point rule/);
  });
});

describe('evaluationMarginSeconds', () => {
  const detail = (reason: string, period?: number, reasonData?: string): AlarmDetail => ({
    alarmName: 'a',
    state: { value: 'ALARM', reason, ...(reasonData === undefined ? {} : { reasonData }) },
    configuration: {
      metrics: [
        {
          id: 'm1',
          metricStat: { metric: { namespace: 'AWS/RDS' }, ...(period === undefined ? {} : { period }) },
        },
      ],
    },
  });
  it('is the period times the datapoints the alarm evaluated', () => {
    expect(
      evaluationMarginSeconds(detail('Threshold Crossed: 3 out of the last 5 datapoints were ...', 60)),
    ).toBe(300);
    expect(
      evaluationMarginSeconds(
        detail('Threshold Crossed', 300, JSON.stringify({ evaluatedDatapoints: [{}, {}] })),
      ),
    ).toBe(600);
    expect(evaluationMarginSeconds(detail('Threshold Crossed', 60, 'not json'))).toBe(60);
  });
  it('falls back to 300 seconds without a period, and caps at a day', () => {
    expect(evaluationMarginSeconds(detail('x'))).toBe(DEFAULT_MARGIN_SECONDS);
    expect(evaluationMarginSeconds(detail('1 out of the last 9999 datapoints', 86_400))).toBe(
      MAX_MARGIN_SECONDS,
    );
  });
});

describe('partitionOf', () => {
  it('reads the partition from the alarm ARN, else from the Region', () => {
    expect(
      partitionOf({ resources: ['arn:aws-cn:cloudwatch:cn-north-1:1:alarm:a'], region: 'cn-north-1' }),
    ).toBe('aws-cn');
    expect(partitionOf({ region: 'us-gov-west-1' })).toBe('aws-us-gov');
    expect(partitionOf({ region: 'eu-west-1' })).toBe('aws');
  });
});

describe('alarmTarget namespaces', () => {
  const withMetric = (namespace: string, dimensions: Record<string, string>) => {
    const event = loadEvent<AlarmEvent>('alarm-rds-instance.json');
    const metric = event.detail?.configuration?.metrics?.[0]?.metricStat;
    if (metric) metric.metric = { namespace, name: 'x', dimensions };
    const t = alarmTransition(event);
    if (!t.act) throw new Error('expected an acting transition');
    return alarmTarget(event, t, {}).target.resourceArn;
  };
  it('lets the namespace decide what FileSystemId names', () => {
    expect(withMetric('AWS/FSx', { FileSystemId: 'fs-1' })).toBe(
      'arn:aws:fsx:eu-west-1:123456789012:file-system/fs-1',
    );
    expect(withMetric('AWS/EFS', { FileSystemId: 'fs-1' })).toBe(
      'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-1',
    );
    expect(() => withMetric('AWS/Lambda', { FunctionName: 'f' })).toThrow(
      /no dimension naming a restorable resource/,
    );
  });
  it('takes the cluster of a clustered database', () => {
    expect(withMetric('AWS/RDS', { DBInstanceIdentifier: 'i', DBClusterIdentifier: 'c' })).toBe(
      'arn:aws:rds:eu-west-1:123456789012:cluster:c',
    );
    expect(withMetric('AWS/Neptune', { DBClusterIdentifier: 'g' })).toBe(
      'arn:aws:rds:eu-west-1:123456789012:cluster:g',
    );
    expect(() => withMetric('AWS/Neptune', { DBInstanceIdentifier: 'g-1' })).toThrow(
      /backed up through its cluster/,
    );
  });
  it('bounds look-back', () => {
    expect(() => parsePointSelection('look-back:99999999999h')).toThrow(/use 1 to 87600/);
    expect(() => parsePointSelection('look-back:0h')).toThrow(/use 1 to 87600/);
  });
});
