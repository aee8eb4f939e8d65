/**
 * IAM policy evaluation, as AWS documents it for one identity-based policy and a role's trust
 * policy: an explicit Deny wins, then any Allow, else the implicit deny. Action and Resource
 * wildcards (`*`, `?`), NotAction and NotResource, and the condition operators the suite's policies
 * use (String*, Arn*, Bool, Null, with IfExists and ForAnyValue/ForAllValues).
 */

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** One request as IAM sees it: the action, the resource it acts on, the condition keys. */
export interface AuthorizationRequest {
  action: string;
  resource: string;
  /** Condition keys, case-insensitive names: `iam:PassedToService`, `aws:ResourceTag/Env`, … */
  context: Record<string, string | string[]>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** `*` any run of characters, `?` one; `${…}` policy variables are not supported (taken literally). */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((character) =>
      character === '*' ? '.*' : character === '?' ? '.' : character.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

export function evaluatePolicy(policy: PolicyDocument, request: AuthorizationRequest): Decision {
  let allowed = false;
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  for (const statement of statements) {
    if (!applies(statement, request)) continue;
    if (statement.Effect === 'Deny') return 'explicit-deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

function applies(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  const actionMatches = (patterns: string[]) =>
    patterns.some((pattern) => wildcardMatch(pattern, request.action, true));
  const resourceMatches = (patterns: string[]) =>
    patterns.some((pattern) => wildcardMatch(pattern, request.resource));
  if (statement.Action !== undefined && !actionMatches(list(statement.Action))) return false;
  if (statement.NotAction !== undefined && actionMatches(list(statement.NotAction))) return false;
  if (statement.Resource !== undefined && !resourceMatches(list(statement.Resource))) return false;
  if (statement.NotResource !== undefined && resourceMatches(list(statement.NotResource))) return false;
  return conditionsHold(statement.Condition ?? {}, request.context);
}

/** Every operator block must hold; within one, every key; within a key, any value. */
export function conditionsHold(
  conditions: Record<string, Record<string, string | string[] | boolean>>,
  context: Record<string, string | string[]>,
): boolean {
  const lowered = new Map(Object.entries(context).map(([key, value]) => [key.toLowerCase(), list(value)]));
  return Object.entries(conditions).every(([operator, block]) =>
    Object.entries(block).every(([key, expected]) =>
      conditionHolds(
        operator,
        lowered.get(key.toLowerCase()),
        list(expected as string | string[]).map(String),
      ),
    ),
  );
}

function conditionHolds(operator: string, actual: string[] | undefined, expected: string[]): boolean {
  let name = operator;
  const set = /^(ForAnyValue|ForAllValues):(.*)$/.exec(name);
  if (set) name = set[2]!;
  const ifExists = name.endsWith('IfExists');
  if (ifExists) name = name.slice(0, -'IfExists'.length);
  if (name === 'Null') return expected.some((value) => (value === 'true') === (actual === undefined));
  if (actual === undefined || actual.length === 0)
    return ifExists || set?.[1] === 'ForAllValues' || name.includes('Not');
  const negated = name.includes('Not');
  const base = name.replace('Not', '');
  const one = (value: string) => expected.some((wanted) => compare(base, value, wanted));
  const matched = set?.[1] === 'ForAllValues' ? actual.every(one) : actual.some(one);
  return negated ? !matched : matched;
}

function compare(operator: string, value: string, wanted: string): boolean {
  switch (operator) {
    case 'StringEquals':
    case 'ArnEquals':
      return value === wanted;
    case 'StringEqualsIgnoreCase':
      return value.toLowerCase() === wanted.toLowerCase();
    case 'StringLike':
    case 'ArnLike':
      return wildcardMatch(wanted, value);
    case 'Bool':
      return value.toLowerCase() === wanted.toLowerCase();
    default:
      // An operator the twin does not know never grants: a policy that needs it is not tested here.
      return false;
  }
}

/** AWS's words for a refused call. */
export function denialMessage(principal: string, request: AuthorizationRequest, decision: Decision): string {
  const why =
    decision === 'explicit-deny'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${request.action} action`;
  return `User: ${principal} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
}

/**
 * A policy document from this suite's docs/iam/ templates, its `${Name}` placeholders filled. IAM's
 * own policy variables (`${aws:…}`, `${token.actions…}`) stay; any other placeholder left unfilled
 * is an error naming it, so a template and its users cannot drift apart silently.
 */
export function policyFromTemplate(template: string, values: Record<string, string>): PolicyDocument {
  const filled = template.replace(/\$\{([A-Za-z]+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined)
      throw new Error(
        `The policy template needs a value for \${${name}} (given: ${Object.keys(values).join(', ') || 'none'})`,
      );
    return value;
  });
  return JSON.parse(filled) as PolicyDocument;
}
