/**
 * The example platform repository (examples/) rehearsed against the AWS twin: a registry account,
 * a staging and a production account, each with blue/green ECS services behind an ALB under steady
 * customer traffic; the stand-ins for OIDC, GitHub and Slack; the repository variables the
 * workflows read; and the stories a release can go through.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { policyFromTemplate } from '../../aws-twin/src/iam.js';
import { startTwin, type RegionTwin, type Twin } from '../../aws-twin/src/index.js';
import type { TrafficRun, TrafficTally } from '../../aws-twin/src/traffic.js';
import type { Json } from './expressions.js';
import { rehearse } from './rehearse.js';
import { startStandIns, type DeploymentRecord, type StandIns } from './stand-ins.js';
import type { EnvironmentRules, RehearsalOptions, StepWhere, WorkflowRecord } from './types.js';

/** This suite's checkout, where `mpac/actions/...` resolves (bundled scripts pass their own). */
export const SUITE_ROOT = path.resolve(import.meta.dirname, '../../..');

/** One service's settings in one environment, as .github/services.json holds them. */
export interface ServiceEnvironment {
  region: string;
  cluster: string;
  rule: string;
  'test-rule': string;
  url: string;
  'test-url': string;
  /** CloudWatch alarm names (comma-separated); any in ALARM fails a step and the monitor. */
  alarms: string;
  /** A DR standby in another region that follows this environment's promotions. */
  standby?: { region: string; cluster: string; rule: string; 'desired-count': string };
}

export interface PlatformService {
  name: string;
  language: string;
  path: string;
  container: string;
  port: number;
  /** Scheduled tasks that run the service's family (`scheduled-tasks` of blue-green-deploy). */
  'scheduled-tasks'?: string;
  environments: Record<'staging' | 'production', ServiceEnvironment>;
}

/**
 * The GitHub environments of the example, with the protection rules docs/setup.md asks for: two
 * people for production, each environment on its branch, recovery without reviewers.
 */
export const ENVIRONMENTS: Record<string, EnvironmentRules> = {
  staging: { branches: ['develop'] },
  'staging-recovery': { branches: ['develop'] },
  'production-approval': { reviewers: ['release-manager'], preventSelfReview: true, branches: ['main'] },
  production: { reviewers: ['on-call-sre'], preventSelfReview: true, branches: ['main'] },
  'production-recovery': { branches: ['main'] },
  'production-standby': { branches: ['main'] },
};

/** Who approves by default in a rehearsal: one release manager, one on-call SRE; a developer pushed. */
export const DEFAULT_PROTECTION = {
  environments: ENVIRONMENTS,
  approvals: { 'production-approval': ['release-manager'], production: ['on-call-sre'] },
  actor: 'developer',
};

/**
 * What happens to a release: `good`; `bad-image` answers every customer request with 500 but its
 * /health and /version are fine (smoke tests pass, the 5 % gate must catch it); `breaks-after-cutover`
 * starts failing customers once traffic reached 100 % (the monitor must roll it back);
 * `fails-production-smoke` fails its health check once on production (the workflow must roll back).
 * The last two happen on production only: such a release passed staging.
 */
export type Story = 'good' | 'bad-image' | 'breaks-after-cutover' | 'fails-production-smoke';
export const STORIES: readonly Story[] = [
  'good',
  'bad-image',
  'breaks-after-cutover',
  'fails-production-smoke',
];

/** How late the rehearsal's CloudWatch publishes its 1-second periods; the gates and the watch wait as long. */
export const METRIC_DELAY_SECONDS = 2;

/** The time scale of a rehearsal: minutes of the real workflow as seconds, said in every summary. */
export const TIME_SCALE: Record<string, Record<string, string>> = {
  'blue-green-deploy': {
    'step-bake': '2s',
    'metric-period': '1s',
    'metric-delay': `${METRIC_DELAY_SECONDS}s`,
    'wait-timeout': '60s',
  },
  'monitor-rollback': {
    duration: '10s',
    interval: '2s',
    'probe-interval': '1s',
    'metric-period': '1s',
    'metric-delay': `${METRIC_DELAY_SECONDS}s`,
  },
};

/** TIME_SCALE with a run's own values laid over it, action by action. */
function timeScaleWith(
  own: Record<string, Record<string, string>> = {},
): Record<string, Record<string, string>> {
  const merged: Record<string, Record<string, string>> = {};
  for (const action of new Set([...Object.keys(TIME_SCALE), ...Object.keys(own)]))
    merged[action] = { ...TIME_SCALE[action], ...own[action] };
  return merged;
}

export interface PlatformRun {
  record: WorkflowRecord;
  /** What customers of each service saw in the environment deployed to, while the workflow ran. */
  customers: Record<string, TrafficTally>;
  /** Slack messages and GitHub deployments made during this run. */
  notifications: string[];
  deployments: DeploymentRecord[];
  log: string[];
}

export interface Platform {
  workspace: string;
  services: PlatformService[];
  /** The production twin also serves the DR standby region (STANDBY_REGION). */
  twins: { registry: Twin; staging: Twin; production: Twin };
  standIns: StandIns;
  /**
   * Makes a new commit in the workspace (a new release) that changes every service's folder, or
   * only `services`', and returns its sha.
   */
  commit(message: string, options?: { services?: string[] }): string;
  /**
   * Develop merged into main as a pull request does it: a new commit on main with develop's files,
   * a merge commit (parents: main and develop) or a squash (parent: main only, develop's history
   * gone); returns its sha. Either way the files, and so the content tags, are develop's.
   */
  merge(message: string, method?: 'merge-commit' | 'squash'): string;
  /** A service's content tag at the current commit (`tree-<git tree hash of its folder>`), its image tag. */
  tagOf(service: string): string;
  /** The sha of the workspace's current commit (the release a push would deploy). */
  head(): string;
  run(options: {
    /** A file of examples/workflows (run from the workspace's copy), or any workflow file's path. */
    workflow: string;
    event: 'push' | 'workflow_dispatch';
    ref?: string;
    story?: Story;
    /** The services the story happens to (default: all); the others get a good release. */
    storyServices?: string[];
    inputs?: Record<string, Json>;
    /** More repository variables for this run. */
    vars?: Record<string, string>;
    /** GitHub environments' protection rules, approvals given and who started the run. */
    protection?: Pick<RehearsalOptions, 'environments' | 'approvals' | 'actor'>;
    /** The runner of a step's job dies mid-step (see RehearsalOptions.loseRunner). */
    loseRunner?: RehearsalOptions['loseRunner'];
    /** Called before each step starts, after the story's own faults. */
    beforeStep?: (where: StepWhere) => void;
    log?: (line: string) => void;
    /** This run's time scale, input by input over TIME_SCALE (a story that needs a longer watch). */
    timeScale?: Record<string, Record<string, string>>;
  }): Promise<PlatformRun>;
  /** The release customers get now: the image the larger-weighted colour runs, and the weights. */
  live(
    environment: 'staging' | 'production',
    service: string,
  ): { image: string; weights: Record<string, number> };
  /**
   * What an image is as a release: the digest the registry holds for it (by tag, or its own
   * digest), or the image itself when the registry has no such image (the twins' first releases).
   */
  releaseOf(image: string): string;
  /**
   * What production's DR standby (STANDBY_REGION) would serve after a failover: the image its
   * live colour runs, the weights, and that colour's desired and running tasks.
   */
  standby(service: string): {
    image: string;
    weights: Record<string, number>;
    desiredCount: number;
    runningCount: number;
  };
  close(): Promise<void>;
}

const ACCOUNT = '123456789012';
const REGION = 'ap-northeast-1';
/** Production's DR standby region. */
export const STANDBY_REGION = 'ap-northeast-3';
const ROLE = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

export async function startPlatform(
  options: { services?: string[]; requestsPerSecond?: number; suiteRoot?: string } = {},
): Promise<Platform> {
  const suiteRoot = options.suiteRoot ?? SUITE_ROOT;
  const fakeDocker = path.join(suiteRoot, 'actions/ecr-push/__tests__/fake-docker');
  const workspace = mkdtempSync(path.join(tmpdir(), 'mpac-platform-'));
  cpSync(path.join(suiteRoot, 'examples'), workspace, { recursive: true });
  const servicesFile = path.join(workspace, '.github/services.json');
  const file = JSON.parse(readFileSync(servicesFile, 'utf8')) as {
    registry: string;
    services: PlatformService[];
  };
  const services = file.services.filter(
    (service) => !options.services || options.services.includes(service.name),
  );
  writeFileSync(servicesFile, JSON.stringify({ ...file, services }, null, 2));
  // One coverage component per service that is there.
  const coverageFile = path.join(workspace, '.github/coverage.yml');
  const coverage = parseYaml(readFileSync(coverageFile, 'utf8')) as { components: { name: string }[] };
  coverage.components = coverage.components.filter((component) =>
    services.some((service) => service.name === component.name),
  );
  writeFileSync(coverageFile, stringifyYaml(coverage));
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: workspace,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'rehearsal',
        GIT_AUTHOR_EMAIL: 'rehearsal@example.com',
        GIT_COMMITTER_NAME: 'rehearsal',
        GIT_COMMITTER_EMAIL: 'rehearsal@example.com',
      },
    }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'platform');

  // Every role the workflows assume has its policy from docs/iam/ as the suite publishes it, filled
  // for this platform, and trusts only the jobs docs/setup.md says: the published policies are
  // tested by every rehearsal.
  const template = (file: string) => readFileSync(path.join(suiteRoot, 'docs/iam', file), 'utf8');
  const role = (policyFile: string, trustFile: string, values: Record<string, string>) => ({
    policy: policyFromTemplate(template(policyFile), { Account: ACCOUNT, Region: REGION, ...values }),
    trust: policyFromTemplate(template(trustFile), {
      Account: ACCOUNT,
      Repository: 'mpac/platform',
      ...values,
    }),
  });
  // One load balancer per service in the twin (`<service>-alb`); a platform with one ALB names it.
  const environmentRoles = (environment: 'staging' | 'production') => ({
    roles: {
      [`deploy-${environment}`]: role('deploy.json', 'trust-environment.json', {
        Cluster: `mpac-${environment}`,
        LoadBalancer: '*-alb',
        Environment: environment,
      }),
      [`recovery-${environment}`]: role('recovery.json', 'trust-environment.json', {
        Cluster: `mpac-${environment}`,
        LoadBalancer: '*-alb',
        Environment: `${environment}-recovery`,
      }),
      // The standby's deploy role: the same policy, in the standby's region and cluster only.
      ...(environment === 'production'
        ? {
            'deploy-production-standby': role('deploy.json', 'trust-environment.json', {
              Cluster: 'mpac-standby',
              LoadBalancer: '*-alb',
              Region: STANDBY_REGION,
              Environment: 'production-standby',
            }),
          }
        : {}),
    },
  });
  const registryIam = { roles: { 'ecr-push': role('ecr-push.json', 'trust-branches.json', {}) } };
  const blueGreen = (cluster: string, desiredCount: number) =>
    services.map((service) => ({
      name: service.name,
      cluster,
      image: `${service.name}:v1`,
      desiredCount,
      containerName: service.container,
      containerPort: service.port,
    }));
  // mpac-pgw's nightly matcher: a schedule running its family, at 03:00.
  const scheduledTasks = services.flatMap((service) =>
    (service['scheduled-tasks'] ?? '')
      .split(/[\s,]+/)
      .filter(Boolean)
      .map((name) => ({ name, service: service.name, schedule: 'cron(0 3 * * ? *)' })),
  );
  const scenario = (environment: 'staging' | 'production') => ({
    accountId: ACCOUNT,
    region: REGION,
    iam: environmentRoles(environment),
    metrics: { periodSeconds: 1, publicationDelaySeconds: METRIC_DELAY_SECONDS },
    blueGreen: blueGreen(`mpac-${environment}`, 2),
    scheduledTasks,
    // Production's DR standby: the same layout in another region, one task each, no customers.
    ...(environment === 'production'
      ? { regions: { [STANDBY_REGION]: { blueGreen: blueGreen('mpac-standby', 1), scheduledTasks } } }
      : {}),
  });
  const [registry, staging, production, standIns] = await Promise.all([
    startTwin({ accountId: ACCOUNT, region: REGION, iam: registryIam }),
    startTwin(scenario('staging')),
    startTwin(scenario('production')),
    startStandIns(),
  ]);
  // ECR replication from the registry account to production's standby region: every image pushed
  // appears there (same digest), where the standby pulls it from.
  const standby = production.regions[STANDBY_REGION]!;
  registry.replicateRegistry(standby);
  // The production alarm the workflow names (<service>-5xx): 10 target 5xx in a period.
  for (const service of services) {
    const loadBalancer = production.resources[service.name]!.loadBalancerArn.split(':loadbalancer/')[1]!;
    production.services.cloudwatch.handlers.PutMetricAlarm!({
      AlarmName: `${service.name}-5xx`,
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_Target_5XX_Count',
      Dimensions: [{ Name: 'LoadBalancer', Value: loadBalancer }],
      Statistic: 'Sum',
      Period: 1,
      EvaluationPeriods: 1,
      Threshold: 10,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  }
  // Only the roles are repository variables; everything per service and environment is in
  // .github/services.json, which a team commits with its own ARNs and URLs (here the twins').
  const vars: Record<string, string> = {
    ECR_PUSH_ROLE_ARN: ROLE('ecr-push'),
    STAGING_DEPLOY_ROLE_ARN: ROLE('deploy-staging'),
    PRODUCTION_DEPLOY_ROLE_ARN: ROLE('deploy-production'),
    STAGING_RECOVERY_ROLE_ARN: ROLE('recovery-staging'),
    PRODUCTION_RECOVERY_ROLE_ARN: ROLE('recovery-production'),
    PRODUCTION_STANDBY_DEPLOY_ROLE_ARN: ROLE('deploy-production-standby'),
  };
  for (const service of services)
    for (const [environment, twin] of [
      ['staging', staging],
      ['production', production],
    ] as const) {
      const resources = twin.resources[service.name]!;
      Object.assign(service.environments[environment], {
        region: REGION,
        cluster: `mpac-${environment}`,
        rule: resources.productionRuleArn,
        'test-rule': resources.testRuleArn ?? '',
        url: resources.productionUrl,
        'test-url': resources.testUrl ?? '',
      });
      if (environment === 'production')
        service.environments.production.standby = {
          region: STANDBY_REGION,
          cluster: 'mpac-standby',
          rule: standby.resources[service.name]!.productionRuleArn,
          'desired-count': '1',
        };
    }
  writeFileSync(servicesFile, `${JSON.stringify({ ...file, services }, null, 2)}\n`);
  git('add', '-A');
  git('commit', '-q', '-m', 'services.json: the ARNs and URLs of the staging and production accounts');
  /** Where main was last merged to: a squash's only parent, a merge commit's first. */
  let mainTip = git('rev-parse', 'HEAD');
  let runId = 7000;
  const twinFor = (environment: string | undefined) =>
    environment?.startsWith('production')
      ? production
      : environment?.startsWith('staging')
        ? staging
        : registry;

  /** What a region's blue/green service serves: its larger-weighted colour's image and tasks. */
  const liveOf = (twin: RegionTwin, service: string) => {
    const resources = twin.resources[service]!;
    const rule = twin.services.elbv2.rules.get(resources.productionRuleArn)!;
    const forward = rule.actions.find((action) => action.Type === 'forward') as unknown as {
      ForwardConfig: { TargetGroups: { TargetGroupArn: string; Weight: number }[] };
    };
    const weights: Record<string, number> = {};
    for (const group of forward.ForwardConfig.TargetGroups)
      weights[group.TargetGroupArn === resources.blueTargetGroupArn ? 'blue' : 'green'] = group.Weight;
    const color = (weights.blue ?? 0) >= (weights.green ?? 0) ? 'blue' : 'green';
    const ecsService = [...twin.services.ecs.services.values()].find(
      (entry) => entry.name === (color === 'blue' ? resources.blueService : resources.greenService),
    )!;
    const definition = twin.services.ecs.taskDefinitions.get(ecsService.taskDefinition)!;
    const containers = definition.body.containerDefinitions as { name: string; image: string }[];
    return {
      image: containers.find((container) => container.name === resources.containerName)!.image,
      weights,
      desiredCount: ecsService.desiredCount,
      runningCount: [...twin.services.ecs.tasks.values()].filter(
        (task) =>
          task.serviceName === ecsService.name &&
          task.lastStatus === 'RUNNING' &&
          task.desiredStatus === 'RUNNING',
      ).length,
    };
  };

  const platform: Platform = {
    workspace,
    services,
    twins: { registry, staging, production },
    standIns,
    commit(message, commitOptions = {}) {
      for (const service of services)
        if (!commitOptions.services || commitOptions.services.includes(service.name))
          writeFileSync(path.join(workspace, service.path, 'RELEASE'), `${message}\n`);
      writeFileSync(path.join(workspace, 'RELEASE'), `${message}\n`);
      git('add', '-A');
      git('commit', '-q', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    merge(message, method = 'merge-commit') {
      const develop = git('rev-parse', 'HEAD');
      const parents = method === 'squash' ? [mainTip] : [mainTip, develop];
      const merged = git(
        'commit-tree',
        `${develop}^{tree}`,
        ...parents.flatMap((parent) => ['-p', parent]),
        '-m',
        message,
      );
      git('reset', '-q', '--hard', merged);
      mainTip = merged;
      return merged;
    },
    head: () => git('rev-parse', 'HEAD'),
    tagOf: (name) =>
      `tree-${git('rev-parse', `HEAD:${services.find((service) => service.name === name)!.path}`)}`,
    async run(request) {
      const sha = git('rev-parse', 'HEAD');
      const ref = request.ref ?? 'refs/heads/main';
      const environment = ref === 'refs/heads/develop' ? staging : production;
      const story = request.story ?? 'good';
      const image = (service: string) => `${service}:${platform.tagOf(service)}`;
      const affected = (service: string) => !request.storyServices || request.storyServices.includes(service);
      if (story === 'bad-image')
        for (const service of services)
          if (affected(service.name)) environment.faults.changeImage(image(service.name), { errorRate: 1 });
      const beforeStep = (where: StepWhere) => {
        const service = (where.inputs.service as string | undefined) ?? '';
        // The release breaks on production only: it passed staging.
        if (!affected(service) || environment !== production) return;
        if (story === 'breaks-after-cutover' && where.key.endsWith('/deploy/monitor'))
          environment.faults.changeImage(image(service), { errorRate: 1 });
        if (story === 'fails-production-smoke' && where.key.endsWith('/deploy/smoke-production'))
          environment.faults.changeImage(image(service), { healthStatus: 503 });
      };
      const traffic = new Map<string, TrafficRun>(
        services.map((service) => [
          service.name,
          environment.traffic.start({
            url: `${environment.resources[service.name]!.productionUrl}/orders`,
            requestsPerSecond: options.requestsPerSecond ?? 100,
            maxDurationMs: 15 * 60_000,
          }),
        ]),
      );
      const slackBefore = standIns.slackMessages.length;
      const deploymentsBefore = standIns.deployments.length;
      const log: string[] = [];
      const thisRun = runId++;
      const rehearsal: RehearsalOptions = {
        workflow: path.isAbsolute(request.workflow)
          ? request.workflow
          : path.join(workspace, 'workflows', request.workflow),
        suiteRoot,
        workspace,
        event: { name: request.event, inputs: request.inputs },
        ref,
        sha,
        repository: 'mpac/platform',
        runId: thisRun,
        onApproval: (environment, reviewer) => standIns.recordApproval(thisRun, environment, reviewer),
        vars: { ...vars, ...request.vars },
        ...DEFAULT_PROTECTION,
        ...request.protection,
        secrets: { SLACK_WEBHOOK_URL: standIns.slackWebhookUrl },
        githubTokenFor: (permissions) => standIns.githubTokenFor(permissions),
        env: {
          PATH: `${fakeDocker}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          HOME: process.env.HOME ?? workspace,
          GITHUB_API_URL: standIns.githubApiUrl,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        environmentEnv: (name) => twinFor(name).env,
        oidcFor: (claims) => standIns.oidcFor(claims),
        overrides: timeScaleWith(request.timeScale),
        stubs: languageStubs(),
        beforeStep: (where) => {
          beforeStep(where);
          request.beforeStep?.(where);
        },
        loseRunner: request.loseRunner,
        stepTimeoutMs: 180_000,
        log: (line) => {
          log.push(line);
          request.log?.(line);
        },
      };
      let record: WorkflowRecord;
      try {
        record = await rehearse(rehearsal);
      } finally {
        for (const run of traffic.values()) await run.stop();
      }
      const customers = Object.fromEntries(
        await Promise.all([...traffic].map(async ([name, run]) => [name, run.tally()] as const)),
      );
      return {
        record,
        customers,
        notifications: standIns.slackMessages.slice(slackBefore),
        deployments: standIns.deployments.slice(deploymentsBefore),
        log,
      };
    },
    live(environmentName, service) {
      const { image, weights } = liveOf(environmentName === 'staging' ? staging : production, service);
      return { image, weights };
    },
    standby: (service) => liveOf(standby, service),
    releaseOf(image) {
      const byDigest = /@(sha256:[0-9a-f]{64})$/.exec(image);
      if (byDigest) return byDigest[1]!;
      const match = /^[^/]+\.amazonaws\.com\/([^:@]+):(.+)$/.exec(image);
      const repository = match ? registry.services.ecr.repositories.get(match[1]!) : undefined;
      const found = repository && [...repository.images.values()].find((entry) => entry.tags.has(match![2]!));
      return found?.digest ?? image;
    },
    async close() {
      await Promise.all([registry.close(), staging.close(), production.close(), standIns.close()]);
      rmSync(workspace, { recursive: true, force: true });
    },
  };
  return platform;
}

/**
 * This machine has no Python, Go or frontend toolchain from their registries, so the language CI
 * steps are replaced by ones that write small coverage reports for the example sources, in each
 * tool's format; the rehearsal lists them as stubbed. Everything from the coverage gate on is real.
 */
export function languageStubs(): Record<string, string> {
  const standIn = (what: string) => `echo "stand-in for: ${what} (not on this machine)"`;
  return {
    'python/install': standIn('pip install -r requirements-dev.txt'),
    'python/lint': standIn('ruff check .'),
    'python/test': `${standIn('coverage run -m pytest && coverage xml')}
cat > coverage.xml <<XML
<?xml version="1.0" ?>
<coverage version="7.6.10" timestamp="0" lines-valid="12" lines-covered="11" line-rate="0.9167" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">
	<sources><source>$PWD</source></sources>
	<packages><package name="app" line-rate="0.9167" branch-rate="0" complexity="0"><classes>
		<class name="main.py" filename="app/main.py" complexity="0" line-rate="0.9167" branch-rate="0"><methods/><lines>
			<line number="1" hits="1"/><line number="4" hits="1"/><line number="5" hits="1"/><line number="8" hits="1"/>
			<line number="9" hits="1"/><line number="12" hits="1"/><line number="13" hits="1"/><line number="14" hits="1"/>
			<line number="15" hits="1"/><line number="16" hits="0"/><line number="17" hits="1"/><line number="18" hits="1"/>
		</lines></class>
	</classes></package></packages>
</coverage>
XML`,
    'go/test': `${standIn('go test -race -coverprofile=cover.out ./...')}
module=$(sed -n 's/^module //p' go.mod)
cat > cover.out <<PROFILE
mode: atomic
$module/main.go:6.21,8.2 1 1
$module/main.go:10.40,12.33 2 1
$module/main.go:12.33,13.19 1 3
$module/main.go:13.19,15.4 1 0
$module/main.go:16.3,16.19 1 3
$module/main.go:18.2,18.19 1 1
$module/main.go:21.13,23.2 1 1
PROFILE`,
    'typescript/install': standIn('npm ci'),
    'typescript/lint': standIn('npx eslint . && npx tsc --noEmit'),
    'typescript/test': `${standIn('npm test -- --coverage --coverageReporters=lcov')}
mkdir -p coverage
cat > coverage/lcov.info <<LCOV
TN:
SF:$PWD/src/app.ts
FN:2,formatAmount
FN:7,statusLabel
FNDA:3,formatAmount
FNDA:2,statusLabel
FNF:2
FNH:2
DA:2,3
DA:3,3
DA:4,2
DA:7,2
DA:8,2
LF:5
LH:5
end_of_record
LCOV`,
  };
}
