/** The inputs every action that reads or moves blue/green traffic takes the same way. */
import { InputError } from '../errors.js';
import type { InputReader } from '../inputs.js';
import type { ProductionTarget } from '../traffic.js';

export const RULE_EXAMPLE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';

/** ECS cluster names: letters, digits, hyphens and underscores, up to 255; or the cluster's ARN. */
const CLUSTER = /^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9_-]{1,255})$/;

export function readCluster(reader: InputReader): string {
  return reader.string('cluster', {
    required: true,
    pattern: CLUSTER,
    patternHint: 'an ECS cluster name (letters, digits, - and _) or its ARN',
    example: 'mpac-production',
  });
}

/** `listener-rule-arn` or `listener-arn` (the listener's default action): exactly one. */
export function readProductionTarget(reader: InputReader): ProductionTarget {
  const ruleArn = reader.arn('listener-rule-arn', 'elasticloadbalancing', {
    resourcePrefix: 'listener-rule/',
  });
  const listenerArn = reader.arn('listener-arn', 'elasticloadbalancing', { resourcePrefix: 'listener/' });
  if (ruleArn && listenerArn)
    throw new InputError(
      'listener-rule-arn',
      'and listener-arn were both given; give exactly one',
      RULE_EXAMPLE,
    );
  if (ruleArn) return { kind: 'rule', arn: ruleArn };
  if (listenerArn) return { kind: 'listener', arn: listenerArn };
  throw new InputError(
    'listener-rule-arn',
    '(or listener-arn) is needed: the production rule, or the listener whose default action, splits traffic; both are empty',
    RULE_EXAMPLE,
  );
}
