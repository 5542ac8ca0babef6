/**
 * The allowed validators (stage parameter `allowedValidators`, comma-separated function names or
 * ARNs) as the resources of the validator's lambda:InvokeFunction statement. A name (with or
 * without its alias) becomes one `Fn::Sub` of its ARN in this stack's partition, Region and
 * account; an ARN is granted exactly as written: what the validator's allowlist lets it invoke
 * (src/validation/custom-validator.ts, validatorAllowed), and nothing more. Built here
 * rather than with Split/Join in serverless.yml: a Sub does not substitute inside the value of its
 * own variable, so every name after the first kept a literal `${AWS::Partition}`, and an ARN became
 * `function:arn:...`. A bad entry stops the deployment, and no entry can hold a wildcard.
 */

const NAME = /^[a-zA-Z0-9_-]{1,64}(:(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;
const ARN =
  /^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[a-zA-Z0-9_-]{1,64}(:(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;

/** The statement resources for the listed validators (pure); throws naming every bad entry. */
function validatorArns(list) {
  const entries = String(list ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  const bad = entries.filter((v) => !(v.startsWith('arn:') ? ARN : NAME).test(v));
  if (bad.length > 0)
    throw new Error(`allowedValidators holds entries that are not function names or ARNs: ${bad.join(', ')}`);
  return entries.map((v) =>
    v.startsWith('arn:')
      ? v
      : { 'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${v}` },
  );
}

module.exports = async ({ resolveVariable }) =>
  validatorArns(await resolveVariable('param:allowedValidators'));
module.exports.validatorArns = validatorArns;
