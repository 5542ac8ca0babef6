/**
 * A small CloudFormation evaluator for the intrinsics this service's packaged template uses (Ref,
 * Fn::Sub, Fn::GetAtt, Fn::Join, Fn::Split, Fn::If with the template's own conditions), in a fake
 * account, Region and partition. It follows CloudFormation's rules, including Fn::Sub's: a
 * variable's value is put in as it is, never substituted again. Anything else throws.
 */

import type { Template } from './package-stack';

/** Where the stack is deployed (fake). */
export interface Stack {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

const NO_VALUE = Symbol('AWS::NoValue');

/** The template's values as CloudFormation would make them in `stack`. */
export class Resolver {
  private readonly conditions = new Map<string, boolean>();

  constructor(
    private readonly template: Template,
    readonly stack: Stack,
  ) {}

  /** The value with every intrinsic evaluated; AWS::NoValue entries are dropped. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    const v = value as Record<string, any>;
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::')))
      return this.intrinsic(keys[0], v[keys[0]]);
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const r = this.resolve(v[key]);
      if (r !== NO_VALUE) out[key] = r;
    }
    return out;
  }

  /** The value of a condition of the template (its Conditions section). */
  condition(name: string): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const expression = this.template.Conditions?.[name];
    if (expression === undefined) throw new Error(`unknown condition ${name}`);
    const value = this.evaluateCondition(expression);
    this.conditions.set(name, value);
    return value;
  }

  private evaluateCondition(e: any): boolean {
    if (e?.Condition !== undefined) return this.condition(e.Condition);
    if (e?.['Fn::Equals'] !== undefined) {
      const [a, b] = e['Fn::Equals'].map((x: unknown) => this.resolve(x));
      return JSON.stringify(a) === JSON.stringify(b);
    }
    if (e?.['Fn::Not'] !== undefined) return !this.evaluateCondition(e['Fn::Not'][0]);
    if (e?.['Fn::And'] !== undefined) return e['Fn::And'].every((c: unknown) => this.evaluateCondition(c));
    if (e?.['Fn::Or'] !== undefined) return e['Fn::Or'].some((c: unknown) => this.evaluateCondition(c));
    throw new Error(`unresolved condition ${JSON.stringify(e)}`);
  }

  private intrinsic(name: string, args: any): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(args);
      case 'Fn::GetAtt':
        return this.getAtt(args[0], args[1]);
      case 'Fn::Sub':
        return this.sub(args);
      case 'Fn::Join':
        return (this.resolve(args[1]) as unknown[]).map((x) => this.text(x)).join(args[0]);
      case 'Fn::Split':
        return this.text(this.resolve(args[1])).split(args[0]);
      case 'Fn::If':
        return this.resolve(this.condition(args[0]) ? args[1] : args[2]);
      default:
        throw new Error(`unresolved intrinsic ${name}: ${JSON.stringify(args)}`);
    }
  }

  private text(value: unknown): string {
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new Error(`not a string: ${JSON.stringify(value)}`);
    return String(value);
  }

  private sub(args: string | [string, Record<string, unknown>]): string {
    const [body, variables] = typeof args === 'string' ? [args, {}] : args;
    return body.replace(/\$\{(!?)([^}]*)\}/g, (_, bang: string, name: string) => {
      if (bang === '!') return `\${${name}}`;
      if (name in variables) return this.text(this.resolve(variables[name]));
      if (name.startsWith('AWS::')) return this.text(this.ref(name));
      const dot = name.indexOf('.');
      return this.text(dot < 0 ? this.ref(name) : this.getAtt(name.slice(0, dot), name.slice(dot + 1)));
    });
  }

  private ref(name: string): unknown {
    const { partition, region, accountId } = this.stack;
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name === 'AWS::Partition') return partition;
    if (name === 'AWS::Region') return region;
    if (name === 'AWS::AccountId') return accountId;
    const { type, physical } = this.resource(name);
    if (type === 'AWS::SQS::Queue') return `https://sqs.${region}.amazonaws.com/${accountId}/${physical}`;
    if (type === 'AWS::SNS::Topic') return `arn:${partition}:sns:${region}:${accountId}:${physical}`;
    if (
      [
        'AWS::Lambda::Function',
        'AWS::DynamoDB::Table',
        'AWS::Logs::LogGroup',
        'AWS::IAM::Role',
        'AWS::KMS::Key',
        'AWS::CloudWatch::Dashboard',
      ].includes(type)
    )
      return physical;
    throw new Error(`unresolved Ref of ${name} (${type})`);
  }

  private getAtt(name: string, attribute: string): unknown {
    const { partition, region, accountId } = this.stack;
    const { type, physical } = this.resource(name);
    const arns: Record<string, string> = {
      'AWS::SQS::Queue': `arn:${partition}:sqs:${region}:${accountId}:${physical}`,
      'AWS::DynamoDB::Table': `arn:${partition}:dynamodb:${region}:${accountId}:table/${physical}`,
      'AWS::Logs::LogGroup': `arn:${partition}:logs:${region}:${accountId}:log-group:${physical}:*`,
      'AWS::KMS::Key': `arn:${partition}:kms:${region}:${accountId}:key/${physical}`,
      'AWS::IAM::Role': `arn:${partition}:iam::${accountId}:role/${physical}`,
      'AWS::Lambda::Function': `arn:${partition}:lambda:${region}:${accountId}:function:${physical}`,
    };
    if (attribute === 'Arn' && arns[type] !== undefined) return arns[type];
    if (attribute === 'QueueName' && type === 'AWS::SQS::Queue') return physical;
    throw new Error(`unresolved Fn::GetAtt ${name}.${attribute} (${type})`);
  }

  /** A resource's type and physical name: its name property where the template sets one, else its logical id. */
  private resource(name: string): { type: string; physical: string } {
    const r = this.template.Resources[name];
    if (r === undefined) throw new Error(`no resource ${name} in the template`);
    const nameProperty = [
      'FunctionName',
      'QueueName',
      'TableName',
      'TopicName',
      'LogGroupName',
      'RoleName',
      'DashboardName',
    ].find((p) => r.Properties?.[p] !== undefined);
    const physical = nameProperty === undefined ? name : this.text(this.resolve(r.Properties[nameProperty]));
    return { type: r.Type, physical };
  }
}
