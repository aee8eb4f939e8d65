/**
 * ECS service deployments under the native strategies (ECS_NATIVE.md §7): one service, two target
 * groups; the deployment's stage machine on the twin's clock; PAUSE hooks with their ids, expiry
 * and timeout action; the production and test listener rules rewritten as ECS rewrites them; the
 * old revision kept warm until CLEAN_UP, so a rollback is a weight flip; deployment alarms.
 * Services under ROLLING keep the scheduler's rolling deployments.
 */
import { AwsError } from '../../errors.js';
import { arn, hexId } from '../../ids.js';
import type { Action } from '../elbv2/model.js';
import { type Deployment, type Json, type Service, type Task } from './model.js';
import { pauseHooksAt, planPhases, type Phase } from './native-config.js';
import { EcsScheduler } from './scheduler.js';

export type ServiceDeploymentStatus =
  | 'PENDING'
  | 'IN_PROGRESS'
  | 'SUCCESSFUL'
  | 'STOPPED'
  | 'STOP_REQUESTED'
  | 'ROLLBACK_REQUESTED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_SUCCESSFUL'
  | 'ROLLBACK_FAILED';

export const TERMINAL: ServiceDeploymentStatus[] = [
  'SUCCESSFUL',
  'STOPPED',
  'ROLLBACK_SUCCESSFUL',
  'ROLLBACK_FAILED',
];

interface HookDetail {
  hookId: string;
  targetType: 'PAUSE';
  status: 'AWAITING_ACTION' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  expiresAt: Date;
  timeoutAction: 'ROLLBACK' | 'CONTINUE';
}

/** A revision of the service: its task definition and the target group its tasks serve from. */
export interface ServiceRevision {
  arn: string;
  serviceArn: string;
  clusterArn: string;
  taskDefinition: string;
  targetGroupArn?: string;
  productionListenerRule?: string;
  createdAt: Date;
  /** The scheduler's deployment (tasks) that runs it. */
  deploymentId: string;
}

export interface ServiceDeployment {
  arn: string;
  serviceKey: string;
  serviceArn: string;
  clusterArn: string;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  stoppedAt?: Date;
  updatedAt: Date;
  status: ServiceDeploymentStatus;
  statusReason?: string;
  /** The configuration this deployment runs with, as it was when it was created. */
  config: Json;
  phases: Phase[];
  phase: number;
  phaseSince: number;
  hooks: HookDetail[];
  source?: ServiceRevision;
  target: ServiceRevision;
  /** Green's share of production and of test traffic, as last written to the rules. */
  productionWeight: number;
  testWeight: number;
  rollback?: { reason: string; startedAt: Date; serviceRevisionArn: string };
  alarms: {
    status: 'MONITORING' | 'TRIGGERED' | 'MONITORING_COMPLETE' | 'DISABLED';
    names: string[];
    triggered: string[];
  };
  /** A newer deployment superseded it: it unwinds like a rollback and ends STOPPED. */
  superseded?: boolean;
  /** Traffic is back on the source and the target is scaling in (a rollback or a stop under way). */
  unwound?: boolean;
}

/** A stage longer than this (without a pause holding it) fails and rolls back, as ECS does after 24 hours. */
const STAGE_LIMIT_MINUTES = 1440;

export const isNative = (service: Service): boolean =>
  ['BLUE_GREEN', 'LINEAR', 'CANARY'].includes(String(service.deploymentConfiguration.strategy));

export class EcsNative extends EcsScheduler {
  readonly serviceDeployments = new Map<string, ServiceDeployment>();
  readonly serviceRevisions = new Map<string, ServiceRevision>();
  /** How long a minute of bakes and hook timeouts lasts on the twin (the scenario's timing.minuteMs). */
  minuteMs: () => number = () => 60_000;
  /** An alarm's state now (CloudWatch's), for deployment alarms. */
  alarmStateOf: (name: string) => string | undefined = () => undefined;

  // ---- scheduling (one pass of the scheduler) ----

  protected override reconcileService(service: Service): void {
    if (!isNative(service)) return super.reconcileService(service);
    if (service.status !== 'ACTIVE') return;
    for (const deployment of service.deployments) {
      if (deployment.status === 'INACTIVE') continue;
      const live = this.tasksOf(service).filter(
        (task) => task.deploymentId === deployment.id && task.desiredStatus === 'RUNNING',
      );
      const definition = this.taskDefinitions.get(deployment.taskDefinition)!;
      for (let count = live.length; count < deployment.desiredCount; count++) {
        const task = this.createTask(service.clusterArn, definition);
        task.serviceName = service.name;
        task.deploymentId = deployment.id;
        this.event(service, `has started 1 tasks: (task ${task.id}).`);
      }
      for (const task of live.slice(deployment.desiredCount))
        this.stopTask(
          task,
          `Scaling activity initiated by (deployment ${deployment.id})`,
          'ServiceSchedulerInitiated',
        );
      for (const task of live.slice(0, deployment.desiredCount)) this.replaceIfSick(service, task);
    }
  }

  protected override settleDeployments(service: Service): void {
    if (!isNative(service)) return super.settleDeployments(service);
    const tasks = this.tasksOf(service);
    const open = [...this.serviceDeployments.values()].filter(
      (record) => record.serviceKey === this.keyOf(service) && !TERMINAL.includes(record.status),
    );
    const inUse = new Set(
      open.flatMap((record) => [record.target.deploymentId, record.source?.deploymentId]),
    );
    service.deployments = service.deployments.filter(
      (deployment) =>
        deployment.status === 'PRIMARY' ||
        deployment.desiredCount > 0 ||
        inUse.has(deployment.id) ||
        tasks.some((task) => task.deploymentId === deployment.id && task.lastStatus !== 'STOPPED'),
    );
    for (const record of open) this.advance(service, record);
  }

  private keyOf(service: Service): string {
    return `${service.clusterArn.split('/').pop()}/${service.name}`;
  }

  // ---- starting deployments ----

  /** A new revision and its deployment (PENDING until any older one has unwound). */
  protected startServiceDeployment(
    service: Service,
    taskDefinition: string,
    initial: boolean,
  ): ServiceDeployment {
    const clusterName = service.clusterArn.split('/').pop()!;
    const id = hexId(20);
    const deployment: Deployment = {
      ...this.newDeployment(taskDefinition, initial ? service.desiredCount : 0),
      status: initial ? 'PRIMARY' : 'ACTIVE',
    };
    const revision: ServiceRevision = {
      arn: arn(this.account, 'ecs', `service-revision/${clusterName}/${service.name}/${hexId(20)}`),
      serviceArn: service.arn,
      clusterArn: service.clusterArn,
      taskDefinition,
      createdAt: new Date(this.now()),
      deploymentId: deployment.id,
    };
    const primary = service.loadBalancers[0];
    if (initial && primary) {
      revision.targetGroupArn = primary.targetGroupArn;
      revision.productionListenerRule = primary.advancedConfiguration?.productionListenerRule;
      deployment.targetGroupArn = primary.targetGroupArn;
    }
    this.serviceRevisions.set(revision.arn, revision);
    if (initial) service.deployments = [deployment];
    const superseded = [...this.serviceDeployments.values()].filter(
      (other) => other.serviceKey === this.keyOf(service) && !TERMINAL.includes(other.status),
    );
    for (const other of superseded) {
      if (other.status === 'PENDING') {
        other.status = 'STOPPED';
        other.statusReason = 'Service deployment superseded by a newer deployment before it started.';
        other.finishedAt = other.stoppedAt = new Date(this.now());
      } else if (other.status === 'IN_PROGRESS') {
        other.status = 'STOP_REQUESTED';
        other.statusReason = 'Service deployment superseded by a newer deployment.';
        other.superseded = true;
      }
    }
    const record: ServiceDeployment = {
      arn: arn(this.account, 'ecs', `service-deployment/${clusterName}/${service.name}/${id}`),
      serviceKey: this.keyOf(service),
      serviceArn: service.arn,
      clusterArn: service.clusterArn,
      createdAt: new Date(this.now()),
      updatedAt: new Date(this.now()),
      status: 'PENDING',
      config: structuredClone(service.deploymentConfiguration),
      phases: initial
        ? [{ stage: 'SCALE_UP', reported: 'SCALE_UP' }]
        : planPhases(service.deploymentConfiguration, superseded.length > 0),
      phase: -1,
      phaseSince: this.now(),
      hooks: [],
      target: revision,
      productionWeight: initial ? 100 : 0,
      testWeight: initial ? 100 : 0,
      alarms: { status: 'DISABLED', names: [], triggered: [] },
    };
    if (!initial) service.deployments.push(deployment);
    this.serviceDeployments.set(record.arn, record);
    service.currentServiceDeployment = record.arn;
    service.steady = false;
    return record;
  }

  /** The revision serving production now: the newest one a deployment ended on. */
  private productionRevision(service: Service): ServiceRevision | undefined {
    const ended = [...this.serviceDeployments.values()]
      .filter((deployment) => deployment.serviceKey === this.keyOf(service))
      .map((deployment) =>
        deployment.status === 'SUCCESSFUL'
          ? deployment.target
          : deployment.status === 'ROLLBACK_SUCCESSFUL' || deployment.status === 'STOPPED'
            ? deployment.source
            : undefined,
      )
      .filter((revision): revision is ServiceRevision => revision !== undefined);
    return ended.at(-1);
  }

  private begin(service: Service, record: ServiceDeployment): void {
    const others = [...this.serviceDeployments.values()].filter(
      (other) =>
        other !== record && other.serviceKey === record.serviceKey && !TERMINAL.includes(other.status),
    );
    if (others.length > 0) return;
    record.status = 'IN_PROGRESS';
    record.startedAt = new Date(this.now());
    const targetDeployment = this.deploymentOf(service, record.target)!;
    if (record.phases[0]?.stage !== 'SCALE_UP' || record.phases.length > 1) {
      record.source = this.productionRevision(service);
      const advanced = service.loadBalancers[0]?.advancedConfiguration;
      if (advanced && record.source?.targetGroupArn) {
        const primary = service.loadBalancers[0]!.targetGroupArn;
        record.target.targetGroupArn =
          record.source.targetGroupArn === primary ? advanced.alternateTargetGroupArn : primary;
        record.target.productionListenerRule = advanced.productionListenerRule;
        targetDeployment.targetGroupArn = record.target.targetGroupArn;
      }
      for (const deployment of service.deployments)
        deployment.status = deployment === targetDeployment ? 'PRIMARY' : 'ACTIVE';
      const broken = this.networkingProblem(service, record);
      if (broken) {
        this.requestRollback(record, broken);
        return;
      }
    }
    const alarms = record.config.alarms as { alarmNames: string[]; enable: boolean } | undefined;
    if (alarms?.enable) {
      const names = alarms.alarmNames;
      const already = names.filter((name) => this.alarmStateOf(name) === 'ALARM');
      // ECS does not watch alarms that are in ALARM when a deployment starts.
      record.alarms = { status: already.length > 0 ? 'DISABLED' : 'MONITORING', names, triggered: [] };
    }
    this.event(service, `(service-deployment ${record.arn.split('/').pop()}) deployment started.`);
    this.enter(service, record, 0);
  }

  /** ECS's check that both target groups are attached to the production or the test rule. */
  private networkingProblem(service: Service, record: ServiceDeployment): string | undefined {
    const advanced = service.loadBalancers[0]?.advancedConfiguration;
    if (!advanced || !record.source) return undefined;
    const groups = [advanced.productionListenerRule, advanced.testListenerRule]
      .filter((rule): rule is string => Boolean(rule))
      .flatMap((rule) => this.forwardGroupsOf(rule));
    const needed = [service.loadBalancers[0]!.targetGroupArn, advanced.alternateTargetGroupArn];
    if (needed.every((group) => groups.includes(group))) return undefined;
    return 'Service deployment rolled back because of invalid networking configuration. Both targetGroup and alternateTargetGroup must be associated with the productionListenerRule or testListenerRule.';
  }

  private forwardGroupsOf(ruleArn: string): string[] {
    return this.actionsOf(ruleArn).flatMap((action) =>
      action.Type !== 'forward'
        ? []
        : action.ForwardConfig
          ? action.ForwardConfig.TargetGroups.map((group) => group.TargetGroupArn)
          : action.TargetGroupArn
            ? [action.TargetGroupArn]
            : [],
    );
  }

  private actionsOf(ruleArn: string): Action[] {
    const rule = this.elb.rules.get(ruleArn);
    if (rule) return rule.actions;
    return (
      [...this.elb.listeners.values()].find((listener) => listener.defaultRuleArn === ruleArn)
        ?.defaultActions ?? []
    );
  }

  /** Rewrites a rule's forward action to weights over the two groups, as ECS does (the scalar form goes). */
  private writeWeights(
    ruleArn: string | undefined,
    source: string | undefined,
    target: string | undefined,
    share: number,
  ): void {
    if (!ruleArn || !source || !target) return;
    const actions = this.actionsOf(ruleArn);
    const forward = actions.find((action) => action.Type === 'forward');
    const rewritten: Action = {
      Type: 'forward',
      ...(forward?.Order !== undefined ? { Order: forward.Order } : {}),
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: source, Weight: Math.round(100 - share) },
          { TargetGroupArn: target, Weight: Math.round(share) },
        ],
        TargetGroupStickinessConfig: forward?.ForwardConfig?.TargetGroupStickinessConfig ?? {
          Enabled: false,
        },
      },
    };
    const rule = this.elb.rules.get(ruleArn);
    if (rule) rule.actions = [rewritten];
    else {
      const listener = [...this.elb.listeners.values()].find(
        (candidate) => candidate.defaultRuleArn === ruleArn,
      );
      if (listener) listener.defaultActions = [rewritten];
    }
  }

  private deploymentOf(service: Service, revision: ServiceRevision | undefined): Deployment | undefined {
    return revision
      ? service.deployments.find((deployment) => deployment.id === revision.deploymentId)
      : undefined;
  }

  // ---- the stage machine ----

  private enter(service: Service, record: ServiceDeployment, index: number): void {
    const phase = record.phases[index]!;
    record.phase = index;
    record.phaseSince = this.now();
    record.updatedAt = new Date(this.now());
    record.hooks = pauseHooksAt(record.config, phase.stage).map((hook) => ({
      hookId: `ecs-pause-${hexId(22)}`,
      targetType: 'PAUSE',
      status: 'AWAITING_ACTION',
      expiresAt: new Date(this.now() + hook.timeoutInMinutes * this.minuteMs()),
      timeoutAction: hook.action,
    }));
    const advanced = service.loadBalancers[0]?.advancedConfiguration;
    const source = record.source?.targetGroupArn;
    const target = record.target.targetGroupArn;
    if (phase.stage === 'SCALE_UP') {
      const deployment = this.deploymentOf(service, record.target);
      if (deployment) deployment.desiredCount = service.desiredCount;
    } else if (phase.stage === 'TEST_TRAFFIC_SHIFT') {
      this.writeWeights(advanced?.testListenerRule, source, target, 100);
      record.testWeight = 100;
    } else if (phase.stage === 'PRODUCTION_TRAFFIC_SHIFT') {
      this.writeWeights(advanced?.productionListenerRule, source, target, phase.weight!);
      record.productionWeight = phase.weight!;
      this.event(
        service,
        `(service-deployment ${record.arn.split('/').pop()}) shifted ${phase.weight} % of production traffic.`,
      );
    } else if (phase.stage === 'CLEAN_UP') {
      const old = this.deploymentOf(service, record.source);
      if (old) old.desiredCount = 0;
    }
  }

  private phaseDone(service: Service, record: ServiceDeployment): boolean {
    const phase = record.phases[record.phase]!;
    if (record.hooks.some((hook) => hook.status === 'AWAITING_ACTION')) return false;
    const held = this.now() - record.phaseSince >= (phase.holdMinutes ?? 0) * this.minuteMs();
    if (!held) return false;
    if (phase.stage === 'SCALE_UP') return this.healthyCount(service, record.target) >= service.desiredCount;
    if (phase.stage === 'CLEAN_UP') return this.liveTasks(service, record.source).length === 0;
    return true;
  }

  private healthyCount(service: Service, revision: ServiceRevision | undefined): number {
    return this.liveTasks(service, revision).filter((task) => this.isHealthy(service, task)).length;
  }

  private liveTasks(service: Service, revision: ServiceRevision | undefined): Task[] {
    if (!revision) return [];
    return this.tasksOf(service).filter(
      (task) => task.deploymentId === revision.deploymentId && task.lastStatus !== 'STOPPED',
    );
  }

  /** One move per pass, so every stage is visible to a poller between passes. */
  private advance(service: Service, record: ServiceDeployment): void {
    if (record.status === 'PENDING') return this.begin(service, record);
    if (record.status === 'ROLLBACK_REQUESTED' || (record.status === 'STOP_REQUESTED' && !record.unwound))
      return this.unwind(service, record);
    if (record.status === 'ROLLBACK_IN_PROGRESS' || record.status === 'STOP_REQUESTED')
      return this.finishUnwinding(service, record);
    if (record.status !== 'IN_PROGRESS') return;

    for (const hook of record.hooks) {
      if (hook.status !== 'AWAITING_ACTION' || hook.expiresAt.getTime() > this.now()) continue;
      hook.status = 'TIMED_OUT';
      record.updatedAt = new Date(this.now());
      if (hook.timeoutAction === 'ROLLBACK') {
        this.requestRollback(
          record,
          `Service deployment rolled back because lifecycle hook ${hook.hookId} timed out.`,
        );
        return;
      }
    }
    if (this.alarmed(record)) return;
    const phase = record.phases[record.phase]!;
    const overdue =
      this.now() - record.phaseSince > ((phase.holdMinutes ?? 0) + STAGE_LIMIT_MINUTES) * this.minuteMs() &&
      !record.hooks.some((hook) => hook.status === 'AWAITING_ACTION');
    if (overdue) {
      this.requestRollback(
        record,
        `Service deployment rolled back because ${phase.reported} did not complete within 24 hours.`,
      );
      return;
    }
    if (!this.phaseDone(service, record)) return;
    if (record.phase + 1 < record.phases.length) return this.enter(service, record, record.phase + 1);
    this.succeed(service, record);
  }

  private alarmed(record: ServiceDeployment): boolean {
    if (record.alarms.status !== 'MONITORING') return false;
    const triggered = record.alarms.names.filter((name) => this.alarmStateOf(name) === 'ALARM');
    if (triggered.length === 0) return false;
    record.alarms.status = 'TRIGGERED';
    record.alarms.triggered = triggered;
    const reason = `Service deployment rolled back because the CloudWatch alarm(s) ${triggered.join(', ')} went into ALARM.`;
    if ((record.config.alarms as { rollback?: boolean }).rollback) {
      this.requestRollback(record, reason);
    } else {
      record.status = 'STOPPED';
      record.statusReason = `Service deployment stopped: the CloudWatch alarm(s) ${triggered.join(', ')} went into ALARM (alarms.rollback is false).`;
      record.finishedAt = record.stoppedAt = new Date(this.now());
    }
    return true;
  }

  private succeed(service: Service, record: ServiceDeployment): void {
    record.status = 'SUCCESSFUL';
    record.statusReason = 'Service deployment completed successfully.';
    record.finishedAt = record.updatedAt = new Date(this.now());
    if (record.alarms.status === 'MONITORING') record.alarms.status = 'MONITORING_COMPLETE';
    const deployment = this.deploymentOf(service, record.target);
    if (deployment) {
      deployment.rolloutState = 'COMPLETED';
      deployment.rolloutStateReason = 'ECS deployment completed.';
      deployment.updatedAt = new Date(this.now());
    }
    this.retire(service, record.source);
    service.steady = true;
    this.event(service, `(service-deployment ${record.arn.split('/').pop()}) deployment completed.`);
    this.event(service, 'has reached a steady state.');
  }

  /** A revision that no longer runs leaves the service's deployments (its tasks have stopped). */
  private retire(service: Service, revision: ServiceRevision | undefined): void {
    if (revision)
      service.deployments = service.deployments.filter(
        (deployment) => deployment.id !== revision.deploymentId,
      );
  }

  /** Starts a rollback (or a superseded deployment's stop): production and test go back to the source. */
  requestRollback(record: ServiceDeployment, reason: string): void {
    if (!record.source) {
      record.status = 'ROLLBACK_FAILED';
      record.statusReason = `${reason} There is no earlier revision to roll back to.`;
      record.finishedAt = new Date(this.now());
      return;
    }
    record.status = 'ROLLBACK_REQUESTED';
    record.statusReason = reason;
    record.rollback = { reason, startedAt: new Date(this.now()), serviceRevisionArn: record.source.arn };
    record.updatedAt = new Date(this.now());
  }

  private unwind(service: Service, record: ServiceDeployment): void {
    const advanced = service.loadBalancers[0]?.advancedConfiguration;
    const source = record.source?.targetGroupArn;
    const target = record.target.targetGroupArn;
    if (record.productionWeight > 0) this.writeWeights(advanced?.productionListenerRule, source, target, 0);
    if (record.testWeight > 0) this.writeWeights(advanced?.testListenerRule, source, target, 0);
    record.productionWeight = 0;
    record.testWeight = 0;
    const green = this.deploymentOf(service, record.target);
    const blue = this.deploymentOf(service, record.source);
    if (green) {
      green.desiredCount = 0;
      green.status = 'ACTIVE';
      green.rolloutState = 'FAILED';
      green.rolloutStateReason = record.statusReason ?? 'ECS deployment rolled back.';
    }
    if (blue) {
      blue.desiredCount = service.desiredCount;
      blue.status = 'PRIMARY';
      service.taskDefinition = blue.taskDefinition;
    }
    if (record.status === 'ROLLBACK_REQUESTED') record.status = 'ROLLBACK_IN_PROGRESS';
    record.unwound = true;
    record.updatedAt = new Date(this.now());
    this.event(
      service,
      `(service-deployment ${record.arn.split('/').pop()}) rolling back: ${record.statusReason}`,
    );
  }

  private finishUnwinding(service: Service, record: ServiceDeployment): void {
    if (this.liveTasks(service, record.target).length > 0) return;
    if (this.healthyCount(service, record.source) < service.desiredCount) return;
    record.status = record.superseded ? 'STOPPED' : 'ROLLBACK_SUCCESSFUL';
    record.finishedAt = record.updatedAt = new Date(this.now());
    if (record.superseded) record.stoppedAt = record.finishedAt;
    if (record.alarms.status === 'MONITORING') record.alarms.status = 'MONITORING_COMPLETE';
    this.retire(service, record.target);
    const source = this.deploymentOf(service, record.source);
    if (source) {
      source.rolloutState = 'COMPLETED';
      source.rolloutStateReason = 'ECS deployment completed.';
    }
    service.steady = true;
    this.event(
      service,
      `(service-deployment ${record.arn.split('/').pop()}) ${record.superseded ? 'stopped' : 'rolled back'}.`,
    );
  }

  // ---- requests ----

  protected requireServiceDeployment(serviceDeploymentArn: string): ServiceDeployment {
    const record = this.serviceDeployments.get(serviceDeploymentArn);
    if (!record)
      throw new AwsError(
        'ServiceDeploymentNotFoundException',
        `The service deployment ${serviceDeploymentArn} does not exist.`,
      );
    return record;
  }

  protected continueServiceDeployment(serviceDeploymentArn: string, hookId: string, action: string): void {
    const record = this.requireServiceDeployment(serviceDeploymentArn);
    if (record.status !== 'IN_PROGRESS')
      throw new AwsError(
        'ClientException',
        `The service deployment is ${record.status}; ContinueServiceDeployment needs one that is IN_PROGRESS.`,
      );
    const hook = record.hooks.find((candidate) => candidate.hookId === hookId);
    if (!hook)
      throw new AwsError(
        'InvalidParameterException',
        `The hook ${hookId} is not a hook of the current stage of this service deployment.`,
      );
    if (hook.status !== 'AWAITING_ACTION')
      throw new AwsError(
        'InvalidParameterException',
        `The hook ${hookId} is ${hook.status}, not AWAITING_ACTION.`,
      );
    record.updatedAt = new Date(this.now());
    if (action === 'ROLLBACK') {
      hook.status = 'FAILED';
      this.requestRollback(
        record,
        `Service deployment rolled back because ContinueServiceDeployment asked for ROLLBACK at hook ${hookId}.`,
      );
      return;
    }
    hook.status = 'SUCCEEDED';
  }

  protected stopServiceDeployment(serviceDeploymentArn: string, stopType: string): void {
    const record = this.requireServiceDeployment(serviceDeploymentArn);
    if (stopType !== 'ROLLBACK')
      throw new AwsError(
        'InvalidParameterException',
        `stopType ${stopType} is not supported; the valid value is ROLLBACK.`,
      );
    if (TERMINAL.includes(record.status))
      throw new AwsError(
        'ConflictException',
        `The service deployment is ${record.status} and can no longer be stopped; deploy the previous task definition instead.`,
      );
    if (record.status === 'PENDING' || record.status === 'IN_PROGRESS')
      this.requestRollback(
        record,
        'Service deployment rolled back because of a StopServiceDeployment request.',
      );
  }

  protected describeServiceDeployment(record: ServiceDeployment) {
    const service = this.services.get(record.serviceKey);
    const summary = (revision: ServiceRevision, production: number, test: number) => {
      const tasks = service
        ? this.liveTasks(service, revision).filter((task) => task.desiredStatus === 'RUNNING')
        : [];
      const deployment = service ? this.deploymentOf(service, revision) : undefined;
      return {
        arn: revision.arn,
        requestedTaskCount: deployment?.desiredCount ?? 0,
        runningTaskCount: tasks.filter((task) => task.lastStatus === 'RUNNING').length,
        pendingTaskCount: tasks.filter((task) => task.lastStatus !== 'RUNNING').length,
        requestedTestTrafficWeight: test,
        requestedProductionTrafficWeight: production,
      };
    };
    const phase = record.phases[Math.max(record.phase, 0)]!;
    return {
      serviceDeploymentArn: record.arn,
      serviceArn: record.serviceArn,
      clusterArn: record.clusterArn,
      createdAt: record.createdAt,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      stoppedAt: record.stoppedAt,
      updatedAt: record.updatedAt,
      sourceServiceRevisions: record.source
        ? [summary(record.source, 100 - record.productionWeight, 100 - record.testWeight)]
        : [],
      targetServiceRevision: summary(record.target, record.productionWeight, record.testWeight),
      status: record.status,
      statusReason: record.statusReason,
      lifecycleStage: record.phase < 0 ? undefined : phase.reported,
      lifecycleHookDetails: record.hooks.map((hook) => ({ ...hook, targetArn: undefined })),
      deploymentConfiguration: record.config,
      rollback: record.rollback,
      deploymentCircuitBreaker: { status: 'DISABLED', failureCount: 0, threshold: 0 },
      alarms: {
        status: record.alarms.status,
        alarmNames: record.alarms.names,
        triggeredAlarmNames: record.alarms.triggered,
      },
    };
  }

  protected describeServiceRevision(revision: ServiceRevision) {
    const service = this.services.get(
      `${revision.clusterArn.split('/').pop()}/${revision.serviceArn.split('/').pop()}`,
    );
    const definition = this.taskDefinitions.get(revision.taskDefinition);
    const containers = (definition?.body.containerDefinitions as Json[] | undefined) ?? [];
    return {
      serviceRevisionArn: revision.arn,
      serviceArn: revision.serviceArn,
      clusterArn: revision.clusterArn,
      taskDefinition: revision.taskDefinition,
      launchType: 'FARGATE',
      loadBalancers: service?.loadBalancers ?? [],
      containerImages: containers.map((container) => ({
        containerName: container.name,
        image: container.image,
      })),
      createdAt: revision.createdAt,
      resolvedConfiguration: revision.targetGroupArn
        ? {
            loadBalancers: [
              {
                targetGroupArn: revision.targetGroupArn,
                productionListenerRule: revision.productionListenerRule,
              },
            ],
          }
        : undefined,
    };
  }
}
