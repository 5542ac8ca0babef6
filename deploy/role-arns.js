/**
 * The allowed restore roles (stage parameter `allowedRestoreRoleNames`, comma-separated role names
 * in this account) as a list of role ARNs, one `Fn::Sub` each. Built here rather than with
 * Join/Split in serverless.yml: a Join delimiter takes no `${AWS::Partition}`, and a Sub does not
 * substitute again inside the value of its own variable, so every role after the first got a
 * literal `${AWS::Partition}` in its ARN. A bad name stops the deployment.
 */

const ROLE_NAME = /^[\w+=,.@/-]{1,512}$/;

/** The ARNs of the named roles (pure); throws naming every bad name. */
function roleArns(names) {
  const list = String(names ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const bad = list.filter((n) => !ROLE_NAME.test(n) || n.includes(','));
  if (list.length === 0) throw new Error('allowedRestoreRoleNames must name at least one role');
  if (bad.length > 0) throw new Error(`allowedRestoreRoleNames holds invalid role names: ${bad.join(', ')}`);
  return list.map((name) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${name}` }));
}

module.exports = async ({ resolveVariable }) =>
  roleArns(await resolveVariable('param:allowedRestoreRoleNames'));
module.exports.roleArns = roleArns;
