/**
 * Malformed inputs across the five actions, kept as data: the inputs (over a valid base), the input
 * the message must name, and words the message must hold. The table test runs each through the
 * action's bundle and checks the exit code, the message and, through the twin's call log, that
 * nothing in AWS changed.
 */
export type ActionName =
  'blue-green-deploy' | 'monitor-rollback' | 'smoke-test' | 'coverage-gate' | 'ecr-push';

export interface BadInput {
  action: ActionName;
  /** What is wrong, in a few words (the test's name). */
  what: string;
  inputs: Record<string, string>;
  /** What the message names: the input (`Input '<name>'`), or the report file a problem is in. */
  names: string;
  /** Words the message holds. */
  says: RegExp;
}

const ELB_RULE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/nope/0f1e2d3c/9a8b7c6d/00000000deadbeef';

const bgd = (what: string, inputs: Record<string, string>, names: string, says: RegExp): BadInput => ({
  action: 'blue-green-deploy',
  what,
  inputs,
  names,
  says,
});
const mon = (what: string, inputs: Record<string, string>, names: string, says: RegExp): BadInput => ({
  action: 'monitor-rollback',
  what,
  inputs,
  names,
  says,
});
const smoke = (what: string, inputs: Record<string, string>, names: string, says: RegExp): BadInput => ({
  action: 'smoke-test',
  what,
  inputs,
  names,
  says,
});
const cov = (what: string, inputs: Record<string, string>, names: string, says: RegExp): BadInput => ({
  action: 'coverage-gate',
  what,
  inputs,
  names,
  says,
});
const ecr = (what: string, inputs: Record<string, string>, names: string, says: RegExp): BadInput => ({
  action: 'ecr-push',
  what,
  inputs,
  names,
  says,
});

export const BAD_INPUTS: BadInput[] = [
  // blue-green-deploy
  bgd('no cluster', { cluster: '' }, 'cluster', /required/),
  bgd('a cluster name with spaces', { cluster: 'mpac prod' }, 'cluster', /must be an ECS cluster name/),
  bgd(
    'a cluster that does not exist',
    { cluster: 'mpac-nowhere' },
    'cluster',
    /ECS does not have in this account and region/,
  ),
  bgd('no service and no colour services', { service: '' }, 'service', /required|needed/),
  bgd(
    'a listener rule that is not an ARN',
    { 'listener-rule-arn': 'portal-rule' },
    'listener-rule-arn',
    /ARN/,
  ),
  bgd(
    'an ECS ARN as the listener rule',
    { 'listener-rule-arn': 'arn:aws:ecs:eu-west-1:123456789012:service/mpac/x' },
    'listener-rule-arn',
    /elasticloadbalancing/,
  ),
  bgd(
    'a listener rule that does not exist',
    { 'listener-rule-arn': ELB_RULE },
    'listener-rule-arn',
    /do not have; check the ARN and aws-region/,
  ),
  bgd(
    'a rule and a listener',
    { 'listener-arn': 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/x/1/2' },
    'listener-rule-arn',
    /give exactly one/,
  ),
  bgd(
    'neither rule nor listener',
    { 'listener-rule-arn': '' },
    'listener-rule-arn',
    /\(or listener-arn\) is needed/,
  ),
  bgd(
    'a task definition file that is not there',
    { 'task-definition': 'deploy/missing.json' },
    'task-definition',
    /cannot be read/,
  ),
  bgd(
    'a task definition outside the workspace',
    { 'task-definition': '../../../../etc/passwd' },
    'task-definition',
    /outside the workspace/,
  ),
  bgd(
    'a task definition file that is not JSON or YAML',
    { 'task-definition': 'broken.json' },
    'task-definition',
    /broken\.json/,
  ),
  bgd(
    'a file and an ARN',
    { 'task-definition-arn': 'arn:aws:ecs:eu-west-1:123456789012:task-definition/svc-portal:1' },
    'task-definition',
    /exactly one task definition source/,
  ),
  bgd(
    'a task definition ARN ECS does not have',
    {
      'task-definition': '',
      'task-definition-arn': 'arn:aws:ecs:eu-west-1:123456789012:task-definition/nope:9',
    },
    'task-definition-arn',
    /ECS cannot describe/,
  ),
  bgd(
    'a task definition family with spaces',
    { 'task-definition': '', 'task-definition-family': 'svc portal' },
    'task-definition-family',
    /family/,
  ),
  bgd(
    'a container the task definition does not have',
    { 'container-name': 'web' },
    'container-name',
    /no such container \(it has app\)/,
  ),
  bgd(
    'an image without a container name',
    { 'container-name': '' },
    'container-name',
    /required when image is given/,
  ),
  bgd('steps that go down', { 'traffic-steps': '50,5,100' }, 'traffic-steps', /increase/),
  bgd('steps that stop short of 100', { 'traffic-steps': '5,50' }, 'traffic-steps', /100/),
  bgd('steps that are not numbers', { 'traffic-steps': 'five,fifty,all' }, 'traffic-steps', /traffic-steps/),
  bgd('a negative bake', { 'step-bake': '-5s' }, 'step-bake', /negative/),
  bgd('an endless bake', { 'step-bake': '999999999d' }, 'step-bake', /at most 6h/),
  bgd('a bake that is not a duration', { 'step-bake': 'soon' }, 'step-bake', /not a duration/),
  bgd('an endless lock', { 'lock-ttl': '999999999d' }, 'lock-ttl', /at most 1d/),
  bgd('a lock shorter than a minute', { 'lock-ttl': '10s' }, 'lock-ttl', /at least 1m/),
  bgd('a lock wait of days', { 'lock-wait': '3d' }, 'lock-wait', /at most 6h/),
  bgd('no time to get healthy', { 'wait-timeout': '10ms' }, 'wait-timeout', /at least 1s/),
  bgd('an error rate over 100 %', { 'max-error-rate': '150' }, 'max-error-rate', /at most 100/),
  bgd('a negative error rate', { 'max-error-rate': '-1' }, 'max-error-rate', /at least 0/),
  bgd(
    'a latency limit that is not a duration',
    { 'max-p95-latency': 'fast' },
    'max-p95-latency',
    /not a duration/,
  ),
  bgd(
    'a phase that does not exist',
    { phase: 'deploy' },
    'phase',
    /all, prepare, shift, rollback, cleanup|one of/,
  ),
  bgd('a no-data policy that does not exist', { 'no-data': 'maybe' }, 'no-data', /fail|pass|wait/),
  bgd('an alpha above 0.5', { alpha: '2' }, 'alpha', /at most 0.5/),
  bgd('a metric period CloudWatch refuses', { 'metric-period': '45s' }, 'metric-period', /multiple of 60s/),
  bgd('a metric delay of hours', { 'metric-delay': '2h' }, 'metric-delay', /at most 1h/),
  bgd(
    'the same service for both colours',
    { 'blue-service': 'svc-portal', 'green-service': 'svc-portal' },
    'green-service',
    /same service as blue-service/,
  ),
  bgd(
    'an environment URL without a scheme',
    { 'environment-url': 'portal.example.com' },
    'environment-url',
    /http\(s\) URL/,
  ),
  bgd(
    'a user, not a role, to assume',
    { 'role-to-assume': 'arn:aws:iam::123456789012:user/deploy' },
    'role-to-assume',
    /role/,
  ),
  bgd(
    'a role session shorter than STS allows',
    { 'role-to-assume': 'arn:aws:iam::123456789012:role/deploy', 'role-duration': '5m' },
    'role-duration',
    /at least 15m/,
  ),
  bgd(
    'a probe URL that is not http',
    { 'probe-url': 'ftp://portal.example.com/health' },
    'probe-url',
    /http\(s\) URL/,
  ),
  bgd('a boolean that is neither', { 'force-from-split': 'maybe' }, 'force-from-split', /true or false/),
  bgd(
    'a colour that is not blue or green',
    { phase: 'rollback', 'task-definition': '', 'to-color': 'red' },
    'to-color',
    /blue|green/,
  ),
  bgd(
    'an image to roll back to without a tag or digest',
    { phase: 'rollback', 'task-definition': '', 'to-image': 'svc-portal' },
    'to-image',
    /image with its tag or digest.*got 'svc-portal'/,
  ),
  bgd(
    'two rollback targets at once',
    { phase: 'rollback', 'task-definition': '', 'to-color': 'blue', 'to-image': 'svc-portal:v1' },
    'to-color',
    /and to-image were both given; give at most one/,
  ),
  bgd(
    'an image to roll back to outside phase rollback',
    { 'to-image': 'svc-portal:v1' },
    'to-image',
    /only applies to phase: rollback/,
  ),
  bgd(
    'an environment variable without a value',
    { 'environment-variables': 'LOG_LEVEL' },
    'environment-variables',
    /KEY=value|=/,
  ),
  bgd('a secret line without a source', { secrets: 'DB_PASSWORD' }, 'secrets', /=/),
  bgd('zero AWS attempts', { 'aws-max-attempts': '0' }, 'aws-max-attempts', /at least 1/),
  bgd(
    'a bake shorter than a metric period with nothing else to judge',
    { 'step-bake': '30s', 'metric-period': '60s', 'no-data': 'fail' },
    'step-bake',
    /shorter than metric-period/,
  ),
  bgd(
    'a deployment id that is not a number',
    { 'deployment-id': 'latest' },
    'deployment-id',
    /whole number|integer/,
  ),
  bgd('a max-bake of days', { 'max-bake': '2d' }, 'max-bake', /at most 6h/),
  bgd('a restore timeout of hours', { 'restore-timeout': '2h' }, 'restore-timeout', /at most 1h/),

  // monitor-rollback
  mon('no cluster', { cluster: '' }, 'cluster', /required/),
  mon(
    'a cluster that is an ARN of something else',
    { cluster: 'arn:aws:ecs:eu-west-1:123456789012:service/mpac/x' },
    'cluster',
    /ECS cluster name/,
  ),
  mon(
    'no rule and no listener',
    { 'listener-rule-arn': '' },
    'listener-rule-arn',
    /\(or listener-arn\) is needed/,
  ),
  mon(
    'a rule that does not exist',
    { 'listener-rule-arn': ELB_RULE },
    'listener-rule-arn',
    /do not have; check the ARN and aws-region/,
  ),
  mon('a window of zero', { duration: '0s' }, 'duration', /at least 1s/),
  mon('a window of days', { duration: '2d' }, 'duration', /at most 12h/),
  mon('a window that is not a duration', { duration: 'an hour' }, 'duration', /not a duration/),
  mon(
    'checks further apart than the window',
    { duration: '5s', interval: '1m' },
    'interval',
    /longer than duration/,
  ),
  mon(
    'no failed check ever rolls back',
    { 'failures-before-rollback': '0' },
    'failures-before-rollback',
    /at least 1/,
  ),
  mon(
    'failures that are not a number',
    { 'failures-before-rollback': 'three' },
    'failures-before-rollback',
    /whole number|integer/,
  ),
  mon('an error rate of 200 %', { 'max-error-rate': '200' }, 'max-error-rate', /at most 100/),
  mon('a probe URL that is not a URL', { 'probe-url': 'portal/health' }, 'probe-url', /http\(s\) URL/),
  mon(
    'probe checks that are not YAML',
    { 'probe-checks': '- path: [unclosed' },
    'probe-checks',
    /probe-checks/,
  ),
  mon(
    'a probe check with an unknown key',
    { 'probe-checks': '- path: /health\n  expects: { status: 200 }' },
    'probe-checks',
    /expects/,
  ),
  mon('probes every millisecond', { 'probe-interval': '1ms' }, 'probe-interval', /at least 1s/),
  mon('negative restarts allowed', { 'max-task-restarts': '-1' }, 'max-task-restarts', /at least 0/),
  mon(
    'Prometheus queries without Prometheus',
    { 'prometheus-queries': '- name: errors\n  query: sum(rate(x[1m]))\n  threshold: 1' },
    'prometheus-url',
    /needed when prometheus-queries/,
  ),
  mon(
    'a Prometheus URL that is not one',
    { 'prometheus-url': 'prometheus:9090' },
    'prometheus-url',
    /http\(s\) URL/,
  ),
  mon(
    'Prometheus queries that are not a list',
    { 'prometheus-url': 'http://127.0.0.1:9/', 'prometheus-queries': 'errors: 1' },
    'prometheus-queries',
    /list/,
  ),
  mon('a no-data policy that does not exist', { 'no-data': 'sometimes' }, 'no-data', /fail|pass|wait/),
  mon('rollback that is not a boolean', { rollback: 'perhaps' }, 'rollback', /true or false/),
  mon(
    'a deployment id that is not a number',
    { 'deployment-id': 'abc' },
    'deployment-id',
    /whole number|integer/,
  ),
  mon(
    'the same service for both colours',
    { 'blue-service': 'x', 'green-service': 'x' },
    'green-service',
    /same service/,
  ),
  mon('a restore timeout of hours', { 'restore-timeout': '3h' }, 'restore-timeout', /at most 1h/),
  mon('an alpha of zero', { alpha: '0' }, 'alpha', /at least/),
  mon(
    'an error increase over 100 points',
    { 'max-error-increase': '101' },
    'max-error-increase',
    /at most 100/,
  ),
  mon('a metric period CloudWatch refuses', { 'metric-period': '7s' }, 'metric-period', /multiple of 60s/),
  mon(
    'a p99 limit that is not a duration',
    { 'max-p99-latency': 'quick' },
    'max-p99-latency',
    /not a duration/,
  ),

  // smoke-test
  smoke('nothing to check', { url: '' }, 'url', /nothing to check/),
  smoke('a URL that is not http', { url: 'ftp://portal.example.com/health' }, 'url', /http\(s\) URL/),
  smoke('a URL that is not a URL', { url: 'portal.example.com/health' }, 'url', /http\(s\) URL/),
  smoke('checks that are not YAML', { url: '', checks: '- path: [unclosed' }, 'checks', /checks/),
  smoke(
    'a check with an unknown key',
    { url: '', 'base-url': 'http://127.0.0.1:9', checks: '- path: /health\n  expects: { status: 200 }' },
    'checks',
    /expects/,
  ),
  smoke(
    'a check with a broken regex',
    { url: '', 'base-url': 'http://127.0.0.1:9', checks: '- path: /\n  expect: { body: { matches: "([" } }' },
    'checks',
    /regex|regular expression|matches/,
  ),
  smoke(
    'a check with a broken JSONPath',
    {
      url: '',
      'base-url': 'http://127.0.0.1:9',
      checks: '- path: /\n  expect: { json: { "$..[": { equals: 1 } } }',
    },
    'checks',
    /JSONPath|\$\.\.\[/,
  ),
  smoke(
    'a status that is not one',
    { url: '', 'base-url': 'http://127.0.0.1:9', checks: '- path: /\n  expect: { status: abc }' },
    'checks',
    /status/,
  ),
  smoke(
    'a latency limit that is not a duration',
    { url: '', 'base-url': 'http://127.0.0.1:9', checks: '- path: /\n  expect: { max-latency: soon }' },
    'checks',
    /duration/,
  ),
  smoke('a path without a base URL', { url: '', checks: '- path: /health' }, 'checks', /base-url/),
  smoke(
    'a checks file that is not there',
    { url: '', 'checks-file': 'smoke/missing.yml' },
    'checks-file',
    /cannot be read/,
  ),
  smoke(
    'a checks file outside the workspace',
    { url: '', 'checks-file': '/etc/hostname' },
    'checks-file',
    /outside the workspace/,
  ),
  smoke('an endless timeout', { timeout: '999999999d' }, 'timeout', /at most 1h/),
  smoke(
    'no time for a request',
    { 'request-timeout': '0' },
    'request-timeout',
    /at least|negative|not a duration/,
  ),
  smoke('negative retries', { retries: '-1' }, 'retries', /at least 0/),
  smoke('a thousand retries', { retries: '1000' }, 'retries', /at most 100/),
  smoke('a retry status that is not HTTP', { 'retry-on-status': '600' }, 'retry-on-status', /status codes/),
  smoke('a retry status that is a word', { 'retry-on-status': 'busy' }, 'retry-on-status', /status codes/),
  smoke('no concurrency', { concurrency: '0' }, 'concurrency', /at least 1/),
  smoke('too much concurrency', { concurrency: '100' }, 'concurrency', /at most 64/),
  smoke('fail-fast that is not a boolean', { 'fail-fast': 'sometimes' }, 'fail-fast', /true or false/),
  smoke('a var without a value', { vars: 'SHA' }, 'vars', /=/),
  smoke(
    'a base URL that is not one',
    { url: '', 'base-url': 'test-listener', checks: '- path: /' },
    'base-url',
    /http\(s\) URL/,
  ),
  smoke(
    'a host header that is not a host',
    { 'host-header': 'portal example com' },
    'host-header',
    /host name/,
  ),
  smoke(
    'a JUnit report outside the workspace',
    { junit: '/tmp/../etc/smoke.xml' },
    'junit',
    /outside the workspace/,
  ),
  smoke('a wait-for that is not YAML', { 'wait-for': 'path: [' }, 'wait-for', /wait-for/),
  smoke('show-body that is not a boolean', { 'show-body': 'perhaps' }, 'show-body', /true or false/),

  // coverage-gate
  cov('globs that match nothing', { files: 'coverage/*.nope' }, 'files', /matched no report/),
  cov('a report outside the workspace', { files: '/etc/passwd' }, 'files', /outside the workspace/),
  cov(
    'a relative report outside the workspace',
    { files: '../outside/lcov.info' },
    'files',
    /outside the workspace/,
  ),
  cov('a threshold over 100', { threshold: '101' }, 'threshold', /at most 100/),
  cov('a negative threshold', { threshold: '-1' }, 'threshold', /at least 0/),
  cov('a threshold that is a word', { threshold: 'high' }, 'threshold', /number/),
  cov('a metric that does not exist', { metric: 'statements' }, 'metric', /line, branch, function|one of/),
  cov('a patch threshold over 100', { 'patch-threshold': '150' }, 'patch-threshold', /at most 100/),
  cov('a config that is not there', { config: 'missing.yml' }, 'config', /cannot be read/),
  cov('a config with an unknown key', { config: 'config-unknown.yml' }, 'config', /unknown key 'component'/),
  cov(
    'a config outside the workspace',
    { config: '../../../etc/hostname' },
    'config',
    /outside the workspace/,
  ),
  cov('a config that is not YAML', { config: 'config-broken.yml' }, 'config', /cannot be read as YAML/),
  cov(
    'a merged output of unknown format',
    { 'merged-output': 'coverage/merged.txt' },
    'merged-output',
    /\.info \(LCOV\) or \.xml \(Cobertura\)/,
  ),
  cov(
    'a merged output outside the workspace',
    { 'merged-output': '../../merged.xml' },
    'merged-output',
    /outside the workspace/,
  ),
  cov(
    'a working directory outside the workspace',
    { 'working-directory': '../..' },
    'working-directory',
    /outside the workspace/,
  ),
  cov(
    'an empty JSON object as a report',
    { files: 'reports/empty-object.json' },
    'reports/empty-object.json',
    /an empty JSON object/,
  ),
  cov(
    'a report that counts a file outside the workspace',
    { files: 'reports/escape.info' },
    'files',
    /etc\/hostname', outside the workspace|outside the workspace/,
  ),
  cov('an empty report', { files: 'reports/empty.info' }, 'reports/empty.info', /the file is empty/),
  cov('a binary report', { files: 'reports/binary.info' }, 'reports/binary.info', /binary content/),
  cov(
    'JSON that is neither coverage.py nor Istanbul',
    { files: 'reports/other.json' },
    'reports/other.json',
    /neither coverage\.py JSON nor Istanbul/,
  ),
  cov(
    'a report with a line too long to be one',
    { files: 'reports/long-line.info' },
    'reports/long-line.info',
    /line 2 is longer than/,
  ),
  cov('comment that is not a boolean', { comment: 'maybe' }, 'comment', /true or false/),
  cov('annotations that is not a boolean', { annotations: 'maybe' }, 'annotations', /true or false/),

  // ecr-push
  ecr('no repository', { repository: '' }, 'repository', /required/),
  ecr('a repository name ECR refuses', { repository: 'Svc_Portal!' }, 'repository', /repository name/),
  ecr('a registry id that is not an account', { 'registry-id': '1234' }, 'registry-id', /12-digit/),
  ecr(
    'a build context that is not there',
    { context: 'services/nope' },
    'context',
    /not a folder of the workspace/,
  ),
  ecr('a build context outside the workspace', { context: '../..' }, 'context', /outside the workspace/),
  ecr('a Dockerfile that is not there', { dockerfile: 'nope/Dockerfile' }, 'dockerfile', /does not exist/),
  ecr(
    'a Dockerfile outside the workspace',
    { dockerfile: '/etc/hostname' },
    'dockerfile',
    /outside the workspace/,
  ),
  ecr('a platform without an os', { platforms: 'amd64' }, 'platforms', /os\/arch/),
  ecr('a platform with spaces', { platforms: 'linux/amd64, linux arm64' }, 'platforms', /os\/arch/),
  ecr('a build arg without a value', { 'build-args': 'GO_VERSION' }, 'build-args', /=/),
  ecr('a label without a value', { labels: 'team' }, 'labels', /=/),
  ecr('a tag docker refuses', { tags: 'release candidate' }, 'tags', /tag/),
  ecr(
    'a severity that does not exist',
    { 'scan-severity-threshold': 'SEVERE' },
    'scan-severity-threshold',
    /CRITICAL, HIGH, MEDIUM, none|one of/,
  ),
  ecr('a scan timeout of hours', { 'scan-timeout': '2h' }, 'scan-timeout', /at most 1h/),
  ecr('push that is not a boolean', { push: 'sure' }, 'push', /true or false/),
  ecr(
    'a build secret that is not a variable name',
    { 'build-secrets': 'NPM TOKEN' },
    'build-secrets',
    /not an environment variable name/,
  ),
  ecr(
    'a build secret that is not set',
    { 'build-secrets': 'NPM_TOKEN_NOT_SET' },
    'build-secrets',
    /has no NPM_TOKEN_NOT_SET/,
  ),
  ecr('a cache ECR push does not know', { cache: 'redis' }, 'cache', /none, gha|one of/),
  ecr('a role that is not a role', { 'role-to-assume': 'deploy-role' }, 'role-to-assume', /ARN|role/),
  ecr(
    'a role session longer than STS allows',
    { 'role-to-assume': 'arn:aws:iam::123456789012:role/push', 'role-duration': '13h' },
    'role-duration',
    /at most 12h/,
  ),
  ecr('zero AWS attempts', { 'aws-max-attempts': '0' }, 'aws-max-attempts', /at least 1/),
];
