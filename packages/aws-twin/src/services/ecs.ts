/**
 * ECS (awsJson1_1) request handlers: clusters, task definitions, services with deployments, tasks,
 * tags. The state and its descriptions are the model's (ecs/model.ts); what moves on its own over
 * time is the scheduler's (ecs/scheduler.ts).
 */
import { AwsError } from '../errors.js';
import { arn } from '../ids.js';
import {
  client,
  DESCRIBE_ONLY,
  type Json,
  type Service,
  type ServiceLoadBalancer,
  type TaskDefinition,
} from './ecs/model.js';
import { isNative, EcsNative } from './ecs/native.js';
import { resolveDeploymentConfiguration } from './ecs/native-config.js';

export type { Deployment, Service, Task, TaskDefinition, TaskRuntime } from './ecs/model.js';

export class EcsService extends EcsNative {
  /** The service's load balancers as given, checked: the groups exist; a native strategy's advanced configuration is whole. */
  private loadBalancersOf(given: unknown, strategy: string): ServiceLoadBalancer[] {
    const native = strategy !== 'ROLLING';
    return ((given as Json[] | undefined) ?? []).map((entry, index) => {
      const targetGroupArn = String(entry.targetGroupArn ?? '');
      if (!this.elb.targetGroups.has(targetGroupArn))
        throw new AwsError(
          'InvalidParameterException',
          `Unable to assume role and validate the specified targetGroupArn: ${targetGroupArn}`,
        );
      const advanced = entry.advancedConfiguration as Json | undefined;
      const at = `loadBalancers[${index}].advancedConfiguration`;
      if (native && !advanced)
        throw new AwsError(
          'InvalidParameterException',
          `${at} is required for the ${strategy} deployment strategy: alternateTargetGroupArn, productionListenerRule and roleArn.`,
        );
      if (!advanced)
        return {
          targetGroupArn,
          containerName: entry.containerName as string | undefined,
          containerPort: entry.containerPort as number | undefined,
        };
      for (const field of ['alternateTargetGroupArn', 'productionListenerRule', 'roleArn'])
        if (!advanced[field])
          throw new AwsError(
            'InvalidParameterException',
            `${at}.${field} is required (a blue/green service needs all of alternateTargetGroupArn, productionListenerRule and roleArn).`,
          );
      if (!this.elb.targetGroups.has(String(advanced.alternateTargetGroupArn)))
        throw new AwsError(
          'InvalidParameterException',
          `${at}.alternateTargetGroupArn ${String(advanced.alternateTargetGroupArn)} is not a target group.`,
        );
      if (advanced.alternateTargetGroupArn === targetGroupArn)
        throw new AwsError(
          'InvalidParameterException',
          `${at}.alternateTargetGroupArn must differ from targetGroupArn.`,
        );
      const isRule = (ruleArn: string) =>
        this.elb.rules.has(ruleArn) ||
        [...this.elb.listeners.values()].some((listener) => listener.defaultRuleArn === ruleArn);
      for (const field of ['productionListenerRule', 'testListenerRule'])
        if (advanced[field] && !isRule(String(advanced[field])))
          throw new AwsError(
            'InvalidParameterException',
            `${at}.${field} ${String(advanced[field])} is not a listener rule.`,
          );
      return {
        targetGroupArn,
        containerName: entry.containerName as string | undefined,
        containerPort: entry.containerPort as number | undefined,
        advancedConfiguration: {
          alternateTargetGroupArn: String(advanced.alternateTargetGroupArn),
          productionListenerRule: String(advanced.productionListenerRule),
          ...(advanced.testListenerRule ? { testListenerRule: String(advanced.testListenerRule) } : {}),
          roleArn: String(advanced.roleArn),
        },
      };
    });
  }

  private checkController(input: Json): void {
    const type = (input.deploymentController as Json | undefined)?.type;
    if (type !== undefined && type !== 'ECS')
      throw new AwsError(
        'UnsupportedFeatureException',
        `deploymentController ${String(type)} is not modelled by the twin; only ECS is.`,
      );
  }

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
      const definition = this.activeTaskDefinition(String(input.taskDefinition ?? ''));
      this.checkController(input);
      const deploymentConfiguration = resolveDeploymentConfiguration(
        {},
        input.deploymentConfiguration as Json | undefined,
      );
      const loadBalancers = this.loadBalancersOf(
        input.loadBalancers,
        String(deploymentConfiguration.strategy),
      );
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
        deploymentConfiguration: stripBreaker(deploymentConfiguration),
        deployments: [],
        events: [],
        createdAt: new Date(this.now()),
        steady: false,
      };
      this.services.set(key, service);
      if (isNative(service)) this.startServiceDeployment(service, definition.arn, true);
      else service.deployments.push(this.newDeployment(definition.arn, desiredCount));
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
        ? this.activeTaskDefinition(String(input.taskDefinition))
        : undefined;
      this.checkController(input);
      const configuration = resolveDeploymentConfiguration(
        service.deploymentConfiguration,
        input.deploymentConfiguration as Json | undefined,
      );
      const loadBalancers =
        input.loadBalancers === undefined
          ? service.loadBalancers
          : this.loadBalancersOf(input.loadBalancers, String(configuration.strategy));
      if (configuration.strategy !== 'ROLLING' && loadBalancers.some((entry) => !entry.advancedConfiguration))
        throw new AwsError(
          'InvalidParameterException',
          `loadBalancers[0].advancedConfiguration is required for the ${String(configuration.strategy)} deployment strategy: alternateTargetGroupArn, productionListenerRule and roleArn.`,
        );
      const breaker = (input.deploymentConfiguration as Json | undefined)?.deploymentCircuitBreaker as
        Json | undefined;
      if (breaker)
        service.circuitBreaker = { enable: Boolean(breaker.enable), rollback: Boolean(breaker.rollback) };
      service.deploymentConfiguration = stripBreaker(configuration);
      service.loadBalancers = loadBalancers;
      service.desiredCount = desired;
      if (isNative(service)) {
        const current = service.deployments.find((deployment) => deployment.status === 'PRIMARY');
        if ((definition && definition.arn !== service.taskDefinition) || input.forceNewDeployment === true) {
          service.taskDefinition = definition?.arn ?? service.taskDefinition;
          this.startServiceDeployment(service, service.taskDefinition, false);
        } else if (current && current.desiredCount !== desired && current.desiredCount > 0) {
          current.desiredCount = desired;
          current.updatedAt = new Date(this.now());
        }
        return { service: this.describeService(service) };
      }
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
      const definition = this.activeTaskDefinition(String(input.taskDefinition ?? ''));
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
    ListServiceDeployments: (input) => {
      const service = this.requireService(input.cluster, String(input.service ?? ''));
      const statuses = (input.status as string[] | undefined) ?? [];
      const createdAt = (input.createdAt ?? {}) as { before?: number; after?: number };
      const inWindow = (at: Date) =>
        (createdAt.after === undefined || at.getTime() >= Number(createdAt.after) * 1000) &&
        (createdAt.before === undefined || at.getTime() <= Number(createdAt.before) * 1000);
      const records = [...this.serviceDeployments.values()]
        .filter(
          (record) =>
            record.serviceArn === service.arn &&
            (statuses.length === 0 || statuses.includes(record.status)) &&
            inWindow(record.createdAt),
        )
        .reverse();
      const page = this.pager.page(
        records,
        { token: input.nextToken, size: input.maxResults },
        { defaultSize: 20, maxSize: 100, badTokenCode: 'InvalidParameterException' },
      );
      return {
        serviceDeployments: page.items.map((record) => ({
          serviceDeploymentArn: record.arn,
          serviceArn: record.serviceArn,
          clusterArn: record.clusterArn,
          startedAt: record.startedAt,
          createdAt: record.createdAt,
          finishedAt: record.finishedAt,
          targetServiceRevisionArn: record.target.arn,
          status: record.status,
          statusReason: record.statusReason,
        })),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      };
    },
    DescribeServiceDeployments: (input) => {
      const { found, failures } = describeEach(input.serviceDeploymentArns, 'service deployment', (arn) => {
        const record = this.serviceDeployments.get(arn);
        return record && this.describeServiceDeployment(record);
      });
      return { serviceDeployments: found, failures };
    },
    DescribeServiceRevisions: (input) => {
      const { found, failures } = describeEach(input.serviceRevisionArns, 'service revision', (arn) => {
        const revision = this.serviceRevisions.get(arn);
        return revision && this.describeServiceRevision(revision);
      });
      return { serviceRevisions: found, failures };
    },
    ContinueServiceDeployment: (input) => {
      const serviceDeploymentArn = String(input.serviceDeploymentArn ?? '');
      this.continueServiceDeployment(
        serviceDeploymentArn,
        String(input.hookId ?? ''),
        String(input.action ?? 'CONTINUE'),
      );
      return { serviceDeploymentArn };
    },
    StopServiceDeployment: (input) => {
      const serviceDeploymentArn = String(input.serviceDeploymentArn ?? '');
      this.stopServiceDeployment(serviceDeploymentArn, String(input.stopType ?? 'ROLLBACK'));
      return { serviceDeploymentArn };
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
}

/** The circuit breaker is kept apart (Service.circuitBreaker); the rest of the configuration as given. */
function stripBreaker(configuration: Json): Json {
  const {
    deploymentCircuitBreaker: _breaker,
    maximumPercent: _max,
    minimumHealthyPercent: _min,
    ...rest
  } = configuration;
  return rest;
}

/** A Describe by ARNs: each one described, or a MISSING failure naming it. */
function describeEach(
  arns: unknown,
  what: string,
  describe: (arn: string) => unknown,
): { found: unknown[]; failures: unknown[] } {
  const found: unknown[] = [];
  const failures: unknown[] = [];
  for (const arn of (arns as string[] | undefined) ?? []) {
    const described = describe(arn);
    if (described) found.push(described);
    else failures.push({ arn, reason: 'MISSING', detail: `The ${what} does not exist.` });
  }
  return { found, failures };
}
