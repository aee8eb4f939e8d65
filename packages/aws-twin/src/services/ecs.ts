/** ECS (awsJson1_1): clusters, task definitions, services with deployments, tasks, tags. */
import { AwsError } from '../errors.js';
import { Pager } from '../pages.js';
import { arn, hexId, type Account } from '../ids.js';
import type { ImageBehaviour } from '../images.js';
import type { ElbService } from './elbv2.js';

type Json = Record<string, unknown>;

export interface TaskDefinition {
  arn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE';
  body: Json;
  registeredAt: Date;
}

export interface Deployment {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
  taskDefinition: string;
  desiredCount: number;
  failedTasks: number;
  rolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  rolloutStateReason: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface Service {
  arn: string;
  name: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  taskDefinition: string;
  loadBalancers: { targetGroupArn: string; containerName?: string; containerPort?: number }[];
  circuitBreaker: { enable: boolean; rollback: boolean };
  deployments: Deployment[];
  events: { id: string; createdAt: Date; message: string }[];
  createdAt: Date;
  steady: boolean;
}

export interface Task {
  arn: string;
  id: string;
  clusterArn: string;
  taskDefinitionArn: string;
  image: string;
  containerName: string;
  /** The task definition's other containers (sidecars), each with its own image and exit code. */
  sidecars: { name: string; image: string }[];
  serviceName?: string;
  deploymentId?: string;
  startedBy?: string;
  command?: string[];
  lastStatus: 'PROVISIONING' | 'ACTIVATING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  createdAt: Date;
  startAt: number;
  startedAt?: Date;
  stoppingAt?: Date;
  stoppedAt?: Date;
  stoppedReason?: string;
  stopCode?: string;
  exitCode?: number;
  port?: number;
  /** Counted against its deployment's circuit breaker. */
  failed?: boolean;
}

/** Runs tasks as real servers: the data plane implements it. */
export interface TaskRuntime {
  start(
    task: Task,
    onExit: (exitCode: number, reason: string) => void,
  ): Promise<{ port: number } | { error: string }>;
  stop(task: Task): Promise<void>;
  behaviourOf(image: string): ImageBehaviour;
}

const DESCRIBE_ONLY = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
];

export class EcsService {
  readonly clusters = new Map<string, { arn: string; name: string }>();
  readonly taskDefinitions = new Map<string, TaskDefinition>();
  readonly services = new Map<string, Service>();
  readonly tasks = new Map<string, Task>();
  readonly tags = new Map<string, Map<string, string>>();
  /** Page sizes; a scenario can force pages of one. */
  pager = new Pager();

  constructor(
    private readonly account: Account,
    private readonly elb: ElbService,
    private readonly runtime: TaskRuntime,
    private readonly now: () => number,
    private readonly taskStartDelayMs: () => number,
  ) {}

  readonly handlers: Record<string, (input: Json) => unknown> = {
    CreateCluster: (input) => {
      const name = String(input.clusterName ?? 'default');
      const cluster = this.clusters.get(name) ?? { arn: arn(this.account, 'ecs', `cluster/${name}`), name };
      this.clusters.set(name, cluster);
      this.setTags(cluster.arn, input.tags);
      return { cluster: this.describeCluster(cluster.name) };
    },
    ListClusters: (input) => {
      const page = this.pager.page(
        [...this.clusters.values()].map((cluster) => cluster.arn),
        { token: input.nextToken, size: input.maxResults },
        { defaultSize: 100, maxSize: 100, badTokenCode: 'InvalidParameterException' },
      );
      return { clusterArns: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
    },
    ListServices: (input) => {
      const cluster = this.requireCluster(input.cluster);
      const arns = [...this.services.values()]
        .filter((service) => service.clusterArn === cluster.arn && service.status !== 'INACTIVE')
        .map((service) => service.arn);
      const page = this.pager.page(
        arns,
        { token: input.nextToken, size: input.maxResults },
        { defaultSize: 10, maxSize: 100, badTokenCode: 'InvalidParameterException' },
      );
      return { serviceArns: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
    },
    DescribeClusters: (input) => {
      const names = (input.clusters as string[] | undefined) ?? ['default'];
      const clusters: unknown[] = [];
      const failures: unknown[] = [];
      for (const name of names) {
        const cluster = this.findCluster(name);
        if (cluster) clusters.push(this.describeCluster(cluster.name));
        else
          failures.push({
            arn: name.startsWith('arn:') ? name : arn(this.account, 'ecs', `cluster/${name}`),
            reason: 'MISSING',
          });
      }
      return { clusters, failures };
    },
    RegisterTaskDefinition: (input) => {
      const family = String(input.family ?? '');
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(family))
        throw client('Family contains invalid characters or is empty.');
      if (((input.requiresCompatibilities as string[] | undefined) ?? []).includes('FARGATE')) {
        if (input.networkMode !== 'awsvpc') throw client('Fargate only supports network mode ‘awsvpc’.');
        for (const field of ['cpu', 'memory'])
          if (!input[field]) throw client(`Fargate requires that '${field}' be defined at the task level.`);
      }
      const describeOnly = DESCRIBE_ONLY.filter((key) => key in input);
      if (describeOnly.length > 0) throw client(`Unexpected keys in the request: ${describeOnly.join(', ')}`);
      const containers = input.containerDefinitions as Json[] | undefined;
      if (!containers?.length) throw client('Task definition must have at least one container definition.');
      for (const container of containers) {
        if (!container.name) throw client('Container.name should not be null or empty.');
        if (!container.image) throw client('Container.image should not be null or empty.');
      }
      const revision =
        [...this.taskDefinitions.values()].filter((definition) => definition.family === family).length + 1;
      const { tags, ...body } = input;
      const definition: TaskDefinition = {
        arn: arn(this.account, 'ecs', `task-definition/${family}:${revision}`),
        family,
        revision,
        status: 'ACTIVE',
        body,
        registeredAt: new Date(this.now()),
      };
      this.taskDefinitions.set(definition.arn, definition);
      this.setTags(definition.arn, tags);
      return { taskDefinition: this.describeTaskDefinition(definition), tags: this.tagList(definition.arn) };
    },
    DescribeTaskDefinition: (input) => {
      const definition = this.resolveTaskDefinition(String(input.taskDefinition ?? ''));
      const wantTags = ((input.include as string[] | undefined) ?? []).includes('TAGS');
      return {
        taskDefinition: this.describeTaskDefinition(definition),
        ...(wantTags ? { tags: this.tagList(definition.arn) } : {}),
      };
    },
    DeregisterTaskDefinition: (input) => {
      const definition = this.resolveTaskDefinition(String(input.taskDefinition ?? ''));
      definition.status = 'INACTIVE';
      return { taskDefinition: this.describeTaskDefinition(definition) };
    },
    ListTaskDefinitions: (input) => {
      const status = String(input.status ?? 'ACTIVE');
      const prefix = input.familyPrefix ? String(input.familyPrefix) : undefined;
      const definitions = [...this.taskDefinitions.values()]
        .filter((definition) => definition.status === status && (!prefix || definition.family === prefix))
        .sort((a, b) => a.family.localeCompare(b.family) || a.revision - b.revision);
      if (input.sort === 'DESC') definitions.reverse();
      const page = this.pager.page(
        definitions.map((definition) => definition.arn),
        { token: input.nextToken, size: input.maxResults },
        { defaultSize: 100, maxSize: 100, badTokenCode: 'InvalidParameterException' },
      );
      return { taskDefinitionArns: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
    },
    CreateService: (input) => {
      const cluster = this.requireCluster(input.cluster);
      const name = String(input.serviceName ?? '');
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(name))
        throw new AwsError('InvalidParameterException', 'Service name is invalid.');
      const key = `${cluster.name}/${name}`;
      if (this.services.get(key)?.status === 'ACTIVE')
        throw new AwsError('InvalidParameterException', 'Creation of service was not idempotent.');
      const definition = this.resolveTaskDefinition(String(input.taskDefinition ?? ''));
      const loadBalancers = ((input.loadBalancers as Json[] | undefined) ?? []).map((entry) => ({
        targetGroupArn: String(entry.targetGroupArn ?? ''),
        containerName: entry.containerName as string | undefined,
        containerPort: entry.containerPort as number | undefined,
      }));
      for (const entry of loadBalancers) {
        if (!this.elb.targetGroups.has(entry.targetGroupArn)) {
          throw new AwsError(
            'InvalidParameterException',
            `Unable to assume role and validate the specified targetGroupArn: ${entry.targetGroupArn}`,
          );
        }
      }
      const breaker = ((input.deploymentConfiguration as Json | undefined)?.deploymentCircuitBreaker ??
        {}) as Json;
      const desiredCount = Number(input.desiredCount ?? 0);
      const service: Service = {
        arn: arn(this.account, 'ecs', `service/${cluster.name}/${name}`),
        name,
        clusterArn: cluster.arn,
        status: 'ACTIVE',
        desiredCount,
        taskDefinition: definition.arn,
        loadBalancers,
        circuitBreaker: { enable: Boolean(breaker.enable), rollback: Boolean(breaker.rollback) },
        deployments: [],
        events: [],
        createdAt: new Date(this.now()),
        steady: false,
      };
      service.deployments.push(this.newDeployment(definition.arn, desiredCount));
      this.services.set(key, service);
      this.setTags(service.arn, input.tags);
      return { service: this.describeService(service) };
    },
    UpdateService: (input) => {
      const service = this.requireService(input.cluster, String(input.service ?? ''));
      if (service.status !== 'ACTIVE')
        throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
      const desired = input.desiredCount === undefined ? service.desiredCount : Number(input.desiredCount);
      if (!Number.isInteger(desired) || desired < 0)
        throw new AwsError('InvalidParameterException', 'desiredCount must be a non-negative integer.');
      const definition = input.taskDefinition
        ? this.resolveTaskDefinition(String(input.taskDefinition))
        : undefined;
      if (definition && definition.status !== 'ACTIVE')
        throw new AwsError('ClientException', `TaskDefinition is inactive`);
      const breaker = (input.deploymentConfiguration as Json | undefined)?.deploymentCircuitBreaker as
        Json | undefined;
      if (breaker)
        service.circuitBreaker = { enable: Boolean(breaker.enable), rollback: Boolean(breaker.rollback) };
      service.desiredCount = desired;
      const primary = service.deployments[0]!;
      if ((definition && definition.arn !== primary.taskDefinition) || input.forceNewDeployment === true) {
        for (const deployment of service.deployments)
          if (deployment.status === 'PRIMARY') deployment.status = 'ACTIVE';
        service.taskDefinition = definition?.arn ?? primary.taskDefinition;
        service.deployments.unshift(this.newDeployment(service.taskDefinition, desired));
        service.steady = false;
      } else if (primary.desiredCount !== desired) {
        primary.desiredCount = desired;
        primary.updatedAt = new Date(this.now());
        if (primary.rolloutState === 'COMPLETED') primary.rolloutState = 'IN_PROGRESS';
        service.steady = false;
      }
      return { service: this.describeService(service) };
    },
    DescribeServices: (input) => {
      const cluster = this.requireCluster(input.cluster);
      if (((input.services as string[] | undefined) ?? []).length > 10)
        throw new AwsError('InvalidParameterException', 'services can have at most 10 items.');
      const services: unknown[] = [];
      const failures: unknown[] = [];
      for (const wanted of (input.services as string[] | undefined) ?? []) {
        const service = this.findService(cluster.name, wanted);
        if (service)
          services.push(this.describeService(service, ((input.include as string[]) ?? []).includes('TAGS')));
        else
          failures.push({
            arn: wanted.startsWith('arn:')
              ? wanted
              : arn(this.account, 'ecs', `service/${cluster.name}/${wanted}`),
            reason: 'MISSING',
          });
      }
      return { services, failures };
    },
    ListTasks: (input) => {
      const cluster = this.requireCluster(input.cluster);
      const serviceName = input.serviceName ? String(input.serviceName) : undefined;
      if (serviceName && !this.findService(cluster.name, serviceName))
        throw new AwsError('ServiceNotFoundException', 'Service not found.');
      const desiredStatus = String(input.desiredStatus ?? 'RUNNING');
      const taskArns = [...this.tasks.values()]
        .filter(
          (task) =>
            task.clusterArn === cluster.arn &&
            task.desiredStatus === desiredStatus &&
            (!serviceName || task.serviceName === serviceName.split('/').pop()) &&
            (!input.startedBy || task.startedBy === input.startedBy) &&
            (!input.family || task.taskDefinitionArn.includes(`/${String(input.family)}:`)),
        )
        .map((task) => task.arn);
      const page = this.pager.page(
        taskArns,
        { token: input.nextToken, size: input.maxResults },
        { defaultSize: 100, maxSize: 100, badTokenCode: 'InvalidParameterException' },
      );
      return { taskArns: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
    },
    DescribeTasks: (input) => {
      const cluster = this.requireCluster(input.cluster);
      const tasks: unknown[] = [];
      const failures: unknown[] = [];
      for (const wanted of (input.tasks as string[] | undefined) ?? []) {
        const task = [...this.tasks.values()].find(
          (candidate) =>
            candidate.clusterArn === cluster.arn && (candidate.arn === wanted || candidate.id === wanted),
        );
        if (task) tasks.push(this.describeTask(task));
        else failures.push({ arn: wanted, reason: 'MISSING' });
      }
      return { tasks, failures };
    },
    RunTask: (input) => {
      const cluster = this.requireCluster(input.cluster);
      const definition = this.resolveTaskDefinition(String(input.taskDefinition ?? ''));
      const count = Number(input.count ?? 1);
      if (!Number.isInteger(count) || count < 1 || count > 10)
        throw new AwsError('InvalidParameterException', 'count must be between 1 and 10.');
      const overrides =
        ((input.overrides as Json | undefined)?.containerOverrides as Json[] | undefined) ?? [];
      const tasks = Array.from({ length: count }, () => {
        const task = this.createTask(cluster.arn, definition);
        task.startedBy = input.startedBy as string | undefined;
        const override = overrides.find((entry) => entry.name === task.containerName);
        task.command = override?.command as string[] | undefined;
        return task;
      });
      return { tasks: tasks.map((task) => this.describeTask(task)), failures: [] };
    },
    StopTask: (input) => {
      const cluster = this.requireCluster(input.cluster);
      const wanted = String(input.task ?? '');
      const task = [...this.tasks.values()].find(
        (candidate) =>
          candidate.clusterArn === cluster.arn && (candidate.arn === wanted || candidate.id === wanted),
      );
      if (!task) throw new AwsError('InvalidParameterException', 'The referenced task was not found.');
      this.stopTask(task, String(input.reason ?? 'Task stopped by user'), 'UserInitiated');
      return { task: this.describeTask(task) };
    },
    TagResource: (input) => {
      this.requireEcsResource(String(input.resourceArn ?? ''));
      this.setTags(String(input.resourceArn), input.tags);
      return {};
    },
    UntagResource: (input) => {
      this.requireEcsResource(String(input.resourceArn ?? ''));
      for (const key of (input.tagKeys as string[] | undefined) ?? [])
        this.tags.get(String(input.resourceArn))?.delete(key);
      return {};
    },
    ListTagsForResource: (input) => {
      this.requireEcsResource(String(input.resourceArn ?? ''));
      return { tags: this.tagList(String(input.resourceArn)) };
    },
  };

  // ---- the scheduler: one pass moves every task and deployment one step ----

  private ticking = false;

  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      for (const service of this.services.values()) this.reconcileService(service);
      await Promise.all([...this.tasks.values()].map((task) => this.advanceTask(task)));
      for (const service of this.services.values()) this.settleDeployments(service);
    } finally {
      this.ticking = false;
    }
  }

  private reconcileService(service: Service): void {
    if (service.status !== 'ACTIVE') return;
    const primary = service.deployments[0]!;
    if (primary.rolloutState === 'FAILED') return;
    const live = this.tasksOf(service).filter(
      (task) => task.deploymentId === primary.id && task.desiredStatus === 'RUNNING',
    );
    const definition = this.taskDefinitions.get(primary.taskDefinition)!;
    const started: Task[] = [];
    for (let count = live.length; count < primary.desiredCount; count++) {
      const task = this.createTask(service.clusterArn, definition);
      task.serviceName = service.name;
      task.deploymentId = primary.id;
      started.push(task);
    }
    if (started.length > 0)
      this.event(
        service,
        `has started ${started.length} tasks: ${started.map((task) => `(task ${task.id})`).join(' ')}.`,
      );
    const excess = live.slice(primary.desiredCount);
    if (excess.length > 0) {
      for (const task of excess)
        this.stopTask(
          task,
          'Scaling activity initiated by (deployment ' + primary.id + ')',
          'ServiceSchedulerInitiated',
        );
      this.event(
        service,
        `has stopped ${excess.length} running tasks: ${excess.map((task) => `(task ${task.id})`).join(' ')}.`,
      );
    }
    // Old deployments stop once the primary has all its tasks healthy (minimum healthy 100 %).
    const healthyPrimary = live.filter((task) => this.isHealthy(service, task)).length;
    if (healthyPrimary >= primary.desiredCount) {
      const old = this.tasksOf(service).filter(
        (task) => task.deploymentId !== primary.id && task.desiredStatus === 'RUNNING',
      );
      for (const task of old)
        this.stopTask(
          task,
          `Scaling activity initiated by (deployment ${primary.id})`,
          'ServiceSchedulerInitiated',
        );
      if (old.length > 0)
        this.event(
          service,
          `has stopped ${old.length} running tasks: ${old.map((task) => `(task ${task.id})`).join(' ')}.`,
        );
    }
    // ELB health: a task whose target is unhealthy is replaced.
    for (const task of live) {
      const sick = service.loadBalancers.find(
        (entry) => this.targetOf(entry.targetGroupArn, task)?.state === 'unhealthy',
      );
      if (sick && task.lastStatus === 'RUNNING') {
        this.event(
          service,
          `(task ${task.id}) failed ELB health checks in (target-group ${sick.targetGroupArn})`,
        );
        task.failed = true;
        this.countFailure(task);
        this.stopTask(
          task,
          `Task failed ELB health checks in (target-group ${sick.targetGroupArn})`,
          'ServiceSchedulerInitiated',
        );
      }
    }
  }

  private settleDeployments(service: Service): void {
    const primary = service.deployments[0]!;
    const tasks = this.tasksOf(service);
    for (const deployment of service.deployments.slice(1)) {
      if (
        deployment.status !== 'INACTIVE' &&
        !tasks.some((task) => task.deploymentId === deployment.id && task.lastStatus !== 'STOPPED')
      ) {
        deployment.status = 'INACTIVE';
      }
    }
    service.deployments = service.deployments.filter(
      (deployment, index) => index === 0 || deployment.status !== 'INACTIVE',
    );
    if (primary.rolloutState !== 'IN_PROGRESS') return;

    const threshold = Math.min(200, Math.max(3, Math.ceil(primary.desiredCount / 2)));
    if (service.circuitBreaker.enable && primary.failedTasks >= threshold) {
      primary.rolloutState = 'FAILED';
      primary.rolloutStateReason = `ECS deployment circuit breaker: tasks failed to start.`;
      this.event(service, `(deployment ${primary.id}) deployment failed: tasks failed to start.`);
      for (const task of tasks.filter(
        (candidate) => candidate.deploymentId === primary.id && candidate.desiredStatus === 'RUNNING',
      )) {
        this.stopTask(task, 'Deployment failed', 'ServiceSchedulerInitiated');
      }
      const previous = service.deployments[1];
      if (service.circuitBreaker.rollback && previous) {
        primary.status = 'ACTIVE';
        const rollback = this.newDeployment(previous.taskDefinition, primary.desiredCount);
        service.taskDefinition = previous.taskDefinition;
        service.deployments.unshift(rollback);
        this.event(
          service,
          `(deployment ${rollback.id}) rolling back to task definition ${previous.taskDefinition}.`,
        );
      }
      return;
    }
    const primaryTasks = tasks.filter(
      (task) => task.deploymentId === primary.id && task.desiredStatus === 'RUNNING',
    );
    const allHealthy =
      primaryTasks.length === primary.desiredCount &&
      primaryTasks.every((task) => this.isHealthy(service, task));
    const othersGone = !tasks.some(
      (task) => task.deploymentId !== primary.id && task.lastStatus !== 'STOPPED',
    );
    if (allHealthy && othersGone) {
      primary.rolloutState = 'COMPLETED';
      primary.rolloutStateReason = 'ECS deployment completed.';
      primary.updatedAt = new Date(this.now());
      this.event(service, `(deployment ${primary.id}) deployment completed.`);
      this.event(service, 'has reached a steady state.');
      service.steady = true;
    }
  }

  private async advanceTask(task: Task): Promise<void> {
    if (
      task.lastStatus === 'PROVISIONING' &&
      task.desiredStatus === 'RUNNING' &&
      this.now() >= task.startAt
    ) {
      task.lastStatus = 'ACTIVATING';
      const started = await this.runtime.start(task, (exitCode, reason) => {
        task.exitCode = exitCode;
        if (task.serviceName) {
          task.failed = true;
          this.countFailure(task);
        }
        this.stopTask(task, reason, 'EssentialContainerExited', true);
      });
      if ('error' in started) {
        task.failed = true;
        this.countFailure(task);
        task.desiredStatus = 'STOPPED';
        task.lastStatus = 'STOPPED';
        task.stopCode = 'TaskFailedToStart';
        task.stoppedReason = started.error;
        task.stoppedAt = new Date(this.now());
        return;
      }
      if ((task.desiredStatus as Task['desiredStatus']) === 'STOPPED') {
        await this.runtime.stop(task);
        task.lastStatus = 'STOPPED';
        task.stoppedAt = new Date(this.now());
        return;
      }
      task.port = started.port;
      task.lastStatus = 'RUNNING';
      task.startedAt = new Date(this.now());
      const service = this.serviceOf(task);
      for (const entry of service?.loadBalancers ?? []) {
        const group = this.elb.targetGroups.get(entry.targetGroupArn);
        if (group) this.elb.registerTarget(group, '127.0.0.1', task.port);
      }
      if (service && service.loadBalancers.length > 0) {
        this.event(
          service,
          `registered 1 targets in (target-group ${service.loadBalancers[0]!.targetGroupArn})`,
        );
      }
      return;
    }
    if (task.lastStatus === 'DEACTIVATING') {
      const draining = this.serviceOf(task)?.loadBalancers.some(
        (entry) => this.targetOf(entry.targetGroupArn, task) !== undefined,
      );
      if (draining) return;
      task.lastStatus = 'STOPPING';
      await this.runtime.stop(task);
      task.lastStatus = 'STOPPED';
      task.stoppedAt = new Date(this.now());
    }
  }

  private countFailure(task: Task): void {
    const deployment = this.serviceOf(task)?.deployments.find(
      (candidate) => candidate.id === task.deploymentId,
    );
    if (deployment) deployment.failedTasks++;
  }

  /** Deregisters the task's targets (they drain), then the task stops. */
  stopTask(task: Task, reason: string, stopCode: string, exited = false): void {
    if (task.desiredStatus === 'STOPPED' && task.lastStatus === 'STOPPED') return;
    task.desiredStatus = 'STOPPED';
    task.stoppedReason ??= reason;
    task.stopCode ??= stopCode;
    task.stoppingAt ??= new Date(this.now());
    if (task.lastStatus === 'PROVISIONING') {
      task.lastStatus = 'STOPPED';
      task.stoppedAt = new Date(this.now());
      return;
    }
    if (task.lastStatus !== 'RUNNING') return;
    const service = this.serviceOf(task);
    for (const entry of service?.loadBalancers ?? []) {
      const group = this.elb.targetGroups.get(entry.targetGroupArn);
      if (group && task.port) this.elb.deregisterTarget(group, '127.0.0.1', task.port);
    }
    if (exited) {
      // A crashed container cannot drain: its targets go at once.
      for (const entry of service?.loadBalancers ?? [])
        this.elb.targetGroups.get(entry.targetGroupArn)?.targets.delete(`127.0.0.1:${task.port}`);
    }
    task.lastStatus = 'DEACTIVATING';
  }

  // ---- helpers ----

  private createTask(clusterArn: string, definition: TaskDefinition): Task {
    const container = ((definition.body.containerDefinitions as Json[]).find(
      (entry) => entry.essential !== false,
    ) ?? (definition.body.containerDefinitions as Json[])[0])!;
    const id = hexId(32);
    const clusterName = clusterArn.split('/').pop()!;
    const task: Task = {
      arn: arn(this.account, 'ecs', `task/${clusterName}/${id}`),
      id,
      clusterArn,
      taskDefinitionArn: definition.arn,
      image: String(container.image),
      containerName: String(container.name),
      sidecars: (definition.body.containerDefinitions as Json[])
        .filter((entry) => entry !== container)
        .map((entry) => ({ name: String(entry.name), image: String(entry.image) })),
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      createdAt: new Date(this.now()),
      startAt: this.now() + this.taskStartDelayMs(),
    };
    this.tasks.set(task.arn, task);
    return task;
  }

  private newDeployment(taskDefinition: string, desiredCount: number): Deployment {
    return {
      id: `ecs-svc/${String(Math.floor(Math.random() * 1e18)).padStart(19, '0')}`,
      status: 'PRIMARY',
      taskDefinition,
      desiredCount,
      failedTasks: 0,
      rolloutState: 'IN_PROGRESS',
      rolloutStateReason: 'ECS deployment in progress.',
      createdAt: new Date(this.now()),
      updatedAt: new Date(this.now()),
    };
  }

  private isHealthy(service: Service, task: Task): boolean {
    if (task.lastStatus !== 'RUNNING') return false;
    return service.loadBalancers.every(
      (entry) => this.targetOf(entry.targetGroupArn, task)?.state === 'healthy',
    );
  }

  private targetOf(groupArn: string, task: Task) {
    return task.port === undefined
      ? undefined
      : this.elb.targetGroups.get(groupArn)?.targets.get(`127.0.0.1:${task.port}`);
  }

  private tasksOf(service: Service): Task[] {
    return [...this.tasks.values()].filter(
      (task) => task.clusterArn === service.clusterArn && task.serviceName === service.name,
    );
  }

  private serviceOf(task: Task): Service | undefined {
    if (!task.serviceName) return undefined;
    return this.services.get(`${task.clusterArn.split('/').pop()}/${task.serviceName}`);
  }

  private event(service: Service, message: string): void {
    service.events.unshift({
      id: hexId(8) + '-' + hexId(4),
      createdAt: new Date(this.now()),
      message: `(service ${service.name}) ${message}`,
    });
    service.events.length = Math.min(service.events.length, 100);
  }

  private findCluster(nameOrArn: string) {
    return this.clusters.get(nameOrArn.split('/').pop()!);
  }

  private requireCluster(value: unknown) {
    const cluster = this.findCluster(String(value ?? 'default'));
    if (!cluster) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  private findService(clusterName: string, nameOrArn: string): Service | undefined {
    const service = this.services.get(`${clusterName}/${nameOrArn.split('/').pop()}`);
    return service && service.status !== 'INACTIVE' ? service : undefined;
  }

  private requireService(clusterValue: unknown, nameOrArn: string): Service {
    const cluster = this.requireCluster(clusterValue);
    const service = this.findService(cluster.name, nameOrArn);
    if (!service) throw new AwsError('ServiceNotFoundException', 'Service not found.');
    return service;
  }

  resolveTaskDefinition(reference: string): TaskDefinition {
    const byArn = this.taskDefinitions.get(reference);
    if (byArn) return byArn;
    const [family, revision] = reference.replace(/^arn:.*:task-definition\//, '').split(':');
    const candidates = [...this.taskDefinitions.values()].filter(
      (definition) =>
        definition.family === family &&
        (revision ? definition.revision === Number(revision) : definition.status === 'ACTIVE'),
    );
    const found = candidates.sort((a, b) => b.revision - a.revision)[0];
    if (!found) throw client('Unable to describe task definition.');
    return found;
  }

  private requireEcsResource(resourceArn: string): void {
    const known =
      [...this.clusters.values()].some((cluster) => cluster.arn === resourceArn) ||
      this.taskDefinitions.has(resourceArn) ||
      [...this.services.values()].some((service) => service.arn === resourceArn) ||
      this.tasks.has(resourceArn);
    if (!known)
      throw new AwsError('InvalidParameterException', `The specified resource ${resourceArn} was not found`);
  }

  private setTags(resourceArn: string, raw: unknown): void {
    const tags = (raw as { key: string; value?: string }[] | undefined) ?? [];
    if (tags.length === 0) return;
    const current = this.tags.get(resourceArn) ?? new Map<string, string>();
    for (const tag of tags) current.set(tag.key, tag.value ?? '');
    this.tags.set(resourceArn, current);
  }

  private tagList(resourceArn: string) {
    return [...(this.tags.get(resourceArn) ?? new Map())].map(([key, value]) => ({ key, value }));
  }

  private describeCluster(name: string) {
    const cluster = this.clusters.get(name)!;
    const services = [...this.services.values()].filter(
      (service) => service.clusterArn === cluster.arn && service.status === 'ACTIVE',
    );
    const tasks = [...this.tasks.values()].filter((task) => task.clusterArn === cluster.arn);
    return {
      clusterArn: cluster.arn,
      clusterName: cluster.name,
      status: 'ACTIVE',
      activeServicesCount: services.length,
      runningTasksCount: tasks.filter((task) => task.lastStatus === 'RUNNING').length,
      pendingTasksCount: tasks.filter(
        (task) => task.lastStatus === 'PROVISIONING' || task.lastStatus === 'ACTIVATING',
      ).length,
    };
  }

  describeTaskDefinition(definition: TaskDefinition) {
    return {
      ...definition.body,
      taskDefinitionArn: definition.arn,
      family: definition.family,
      revision: definition.revision,
      status: definition.status,
      compatibilities: ['EC2', 'FARGATE'],
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
      registeredAt: definition.registeredAt,
      registeredBy: `arn:aws:iam::${this.account.accountId}:user/twin`,
    };
  }

  private describeService(service: Service, withTags = false) {
    const tasks = this.tasksOf(service);
    const count = (deploymentId: string | undefined, statuses: Task['lastStatus'][]) =>
      tasks.filter(
        (task) =>
          (!deploymentId || task.deploymentId === deploymentId) &&
          task.desiredStatus === 'RUNNING' &&
          statuses.includes(task.lastStatus),
      ).length;
    return {
      serviceArn: service.arn,
      serviceName: service.name,
      clusterArn: service.clusterArn,
      status: service.status,
      desiredCount: service.desiredCount,
      runningCount: count(undefined, ['RUNNING']),
      pendingCount: count(undefined, ['PROVISIONING', 'ACTIVATING']),
      launchType: 'FARGATE',
      taskDefinition: service.taskDefinition,
      loadBalancers: service.loadBalancers,
      deploymentConfiguration: {
        deploymentCircuitBreaker: service.circuitBreaker,
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
      deployments: service.deployments.map((deployment) => ({
        id: deployment.id,
        status: deployment.status,
        taskDefinition: deployment.taskDefinition,
        desiredCount: deployment.desiredCount,
        runningCount: count(deployment.id, ['RUNNING']),
        pendingCount: count(deployment.id, ['PROVISIONING', 'ACTIVATING']),
        failedTasks: deployment.failedTasks,
        rolloutState: deployment.rolloutState,
        rolloutStateReason: deployment.rolloutStateReason,
        createdAt: deployment.createdAt,
        updatedAt: deployment.updatedAt,
        launchType: 'FARGATE',
      })),
      events: service.events,
      createdAt: service.createdAt,
      ...(withTags ? { tags: this.tagList(service.arn) } : {}),
    };
  }

  private describeTask(task: Task) {
    return {
      taskArn: task.arn,
      clusterArn: task.clusterArn,
      taskDefinitionArn: task.taskDefinitionArn,
      lastStatus: task.lastStatus,
      desiredStatus: task.desiredStatus,
      group: task.serviceName
        ? `service:${task.serviceName}`
        : `family:${task.taskDefinitionArn.split('/').pop()!.split(':')[0]}`,
      startedBy: task.startedBy ?? (task.deploymentId ? task.deploymentId : undefined),
      launchType: 'FARGATE',
      createdAt: task.createdAt,
      startedAt: task.startedAt,
      stoppingAt: task.stoppingAt,
      stoppedAt: task.stoppedAt,
      stoppedReason: task.stoppedReason,
      stopCode: task.stopCode,
      overrides: task.command
        ? { containerOverrides: [{ name: task.containerName, command: task.command }] }
        : { containerOverrides: [] },
      containers: [
        {
          name: task.containerName,
          image: task.image,
          lastStatus:
            task.lastStatus === 'STOPPED' ? 'STOPPED' : task.lastStatus === 'RUNNING' ? 'RUNNING' : 'PENDING',
          exitCode: task.exitCode,
          reason: task.stopCode === 'TaskFailedToStart' ? task.stoppedReason : undefined,
          networkInterfaces: task.port ? [{ privateIpv4Address: '127.0.0.1' }] : [],
        },
        // A sidecar runs as its image says: its exit code is the image's (0 when it has none).
        ...task.sidecars.map((sidecar) => ({
          name: sidecar.name,
          image: sidecar.image,
          lastStatus:
            task.lastStatus === 'STOPPED' ? 'STOPPED' : task.lastStatus === 'RUNNING' ? 'RUNNING' : 'PENDING',
          exitCode:
            task.lastStatus === 'STOPPED' && task.stopCode !== 'TaskFailedToStart'
              ? (this.runtime.behaviourOf(sidecar.image).exitCode ?? 0)
              : undefined,
        })),
      ],
    };
  }
}

function client(message: string): AwsError {
  return new AwsError('ClientException', message);
}
