/**
 * The ECS model: clusters, task definitions, services with their deployments, tasks and tags, the
 * lookups every request needs, and how each is described on the wire. No request handling, no
 * clock: the handlers and the scheduler build on it.
 */
import { AwsError } from '../../errors.js';
import { Pager } from '../../pages.js';
import { arn, hexId, type Account } from '../../ids.js';
import type { ImageBehaviour } from '../../images.js';
import type { ElbService } from '../elbv2.js';

export type Json = Record<string, unknown>;

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
  /** Native blue/green: the target group this deployment's tasks register in (only that one). */
  targetGroupArn?: string;
  /** Native blue/green: the service revision this deployment runs. */
  revisionArn?: string;
}

/** `loadBalancers[].advancedConfiguration` of a native blue/green service. */
export interface AdvancedConfiguration {
  alternateTargetGroupArn: string;
  productionListenerRule: string;
  testListenerRule?: string;
  roleArn: string;
}

export interface ServiceLoadBalancer {
  targetGroupArn: string;
  containerName?: string;
  containerPort?: number;
  advancedConfiguration?: AdvancedConfiguration;
}

export interface Service {
  arn: string;
  name: string;
  clusterArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  desiredCount: number;
  taskDefinition: string;
  loadBalancers: ServiceLoadBalancer[];
  circuitBreaker: { enable: boolean; rollback: boolean };
  /** Strategy, bake, hooks, linear/canary and alarms, as validated (native.ts). */
  deploymentConfiguration: Json;
  /** The newest service deployment (native strategies). */
  currentServiceDeployment?: string;
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
  /** The target groups it was registered in when it started. */
  targetGroupArns?: string[];
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

export const DESCRIBE_ONLY = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
];

export class EcsModel {
  readonly clusters = new Map<string, { arn: string; name: string }>();
  readonly taskDefinitions = new Map<string, TaskDefinition>();
  readonly services = new Map<string, Service>();
  readonly tasks = new Map<string, Task>();
  readonly tags = new Map<string, Map<string, string>>();
  /** Page sizes; a scenario can force pages of one. */
  pager = new Pager();

  constructor(
    protected readonly account: Account,
    protected readonly elb: ElbService,
    protected readonly runtime: TaskRuntime,
    protected readonly now: () => number,
    protected readonly taskStartDelayMs: () => number,
  ) {}

  // ---- helpers ----

  protected createTask(clusterArn: string, definition: TaskDefinition): Task {
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

  protected newDeployment(taskDefinition: string, desiredCount: number): Deployment {
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

  protected isHealthy(service: Service, task: Task): boolean {
    if (task.lastStatus !== 'RUNNING') return false;
    return this.groupsOf(service, task).every((group) => this.targetOf(group, task)?.state === 'healthy');
  }

  /**
   * The target groups a service's task registers in: its deployment's own under a native strategy
   * (blue and green each in one of the two), else every group of the service's load balancers.
   */
  protected groupsOf(service: Service | undefined, task: Task): string[] {
    if (!service) return [];
    if (task.targetGroupArns) return task.targetGroupArns;
    const own = service.deployments.find((deployment) => deployment.id === task.deploymentId)?.targetGroupArn;
    return own ? [own] : service.loadBalancers.map((entry) => entry.targetGroupArn);
  }

  protected targetOf(groupArn: string, task: Task) {
    return task.port === undefined
      ? undefined
      : this.elb.targetGroups.get(groupArn)?.targets.get(`127.0.0.1:${task.port}`);
  }

  protected tasksOf(service: Service): Task[] {
    return [...this.tasks.values()].filter(
      (task) => task.clusterArn === service.clusterArn && task.serviceName === service.name,
    );
  }

  protected serviceOf(task: Task): Service | undefined {
    if (!task.serviceName) return undefined;
    return this.services.get(`${task.clusterArn.split('/').pop()}/${task.serviceName}`);
  }

  protected event(service: Service, message: string): void {
    service.events.unshift({
      id: hexId(8) + '-' + hexId(4),
      createdAt: new Date(this.now()),
      message: `(service ${service.name}) ${message}`,
    });
    service.events.length = Math.min(service.events.length, 100);
  }

  protected findCluster(nameOrArn: string) {
    return this.clusters.get(nameOrArn.split('/').pop()!);
  }

  protected requireCluster(value: unknown) {
    const cluster = this.findCluster(String(value ?? 'default'));
    if (!cluster) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    return cluster;
  }

  protected findService(clusterName: string, nameOrArn: string): Service | undefined {
    const service = this.services.get(`${clusterName}/${nameOrArn.split('/').pop()}`);
    return service && service.status !== 'INACTIVE' ? service : undefined;
  }

  protected requireService(clusterValue: unknown, nameOrArn: string): Service {
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

  /**
   * A revision new tasks and services may use: ECS refuses an INACTIVE (deregistered) one to RunTask,
   * CreateService and UpdateService, while what already runs it keeps running.
   */
  activeTaskDefinition(reference: string): TaskDefinition {
    const definition = this.resolveTaskDefinition(reference);
    if (definition.status !== 'ACTIVE') throw new AwsError('ClientException', 'TaskDefinition is inactive');
    return definition;
  }

  protected requireEcsResource(resourceArn: string): void {
    const known =
      [...this.clusters.values()].some((cluster) => cluster.arn === resourceArn) ||
      this.taskDefinitions.has(resourceArn) ||
      [...this.services.values()].some((service) => service.arn === resourceArn) ||
      this.tasks.has(resourceArn);
    if (!known)
      throw new AwsError('InvalidParameterException', `The specified resource ${resourceArn} was not found`);
  }

  protected setTags(resourceArn: string, raw: unknown): void {
    const tags = (raw as { key: string; value?: string }[] | undefined) ?? [];
    if (tags.length === 0) return;
    const current = this.tags.get(resourceArn) ?? new Map<string, string>();
    for (const tag of tags) current.set(tag.key, tag.value ?? '');
    this.tags.set(resourceArn, current);
  }

  protected tagList(resourceArn: string) {
    return [...(this.tags.get(resourceArn) ?? new Map())].map(([key, value]) => ({ key, value }));
  }

  protected describeCluster(name: string) {
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

  protected describeService(service: Service, withTags = false) {
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
        ...service.deploymentConfiguration,
        deploymentCircuitBreaker: service.circuitBreaker,
        maximumPercent: 200,
        minimumHealthyPercent: 100,
      },
      deploymentController: { type: 'ECS' },
      ...(service.currentServiceDeployment
        ? { currentServiceDeployment: service.currentServiceDeployment }
        : {}),
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

  protected describeTask(task: Task) {
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

export function client(message: string): AwsError {
  return new AwsError('ClientException', message);
}
