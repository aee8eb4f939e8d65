/**
 * The ECS scheduler: one pass (`tick`) starts and stops tasks toward each deployment's desired
 * count, replaces tasks that fail ELB health checks, settles deployments (COMPLETED, or FAILED by
 * the circuit breaker with its rollback), and drains targets of stopping tasks.
 */
import { EcsModel, type Service, type Task } from './model.js';

export class EcsScheduler extends EcsModel {
  protected ticking = false;

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

  protected reconcileService(service: Service): void {
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
    for (const task of live) this.replaceIfSick(service, task);
  }

  /** A running task whose target is unhealthy in one of its groups is stopped (and counted failed). */
  protected replaceIfSick(service: Service, task: Task): void {
    const sick = this.groupsOf(service, task).find(
      (group) => this.targetOf(group, task)?.state === 'unhealthy',
    );
    if (!sick || task.lastStatus !== 'RUNNING') return;
    this.event(service, `(task ${task.id}) failed ELB health checks in (target-group ${sick})`);
    task.failed = true;
    this.countFailure(task);
    this.stopTask(
      task,
      `Task failed ELB health checks in (target-group ${sick})`,
      'ServiceSchedulerInitiated',
    );
  }

  protected settleDeployments(service: Service): void {
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

  protected async advanceTask(task: Task): Promise<void> {
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
      const groups = this.groupsOf(service, task);
      task.targetGroupArns = groups;
      for (const groupArn of groups) {
        const group = this.elb.targetGroups.get(groupArn);
        if (group) this.elb.registerTarget(group, '127.0.0.1', task.port);
      }
      if (service && groups.length > 0)
        this.event(service, `registered 1 targets in (target-group ${groups[0]})`);
      return;
    }
    if (task.lastStatus === 'DEACTIVATING') {
      const draining = this.groupsOf(this.serviceOf(task), task).some(
        (group) => this.targetOf(group, task) !== undefined,
      );
      if (draining) return;
      task.lastStatus = 'STOPPING';
      await this.runtime.stop(task);
      task.lastStatus = 'STOPPED';
      task.stoppedAt = new Date(this.now());
    }
  }

  protected countFailure(task: Task): void {
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
    const groups = this.groupsOf(this.serviceOf(task), task);
    for (const groupArn of groups) {
      const group = this.elb.targetGroups.get(groupArn);
      if (group && task.port) this.elb.deregisterTarget(group, '127.0.0.1', task.port);
    }
    if (exited) {
      // A crashed container cannot drain: its targets go at once.
      for (const groupArn of groups)
        this.elb.targetGroups.get(groupArn)?.targets.delete(`127.0.0.1:${task.port}`);
    }
    task.lastStatus = 'DEACTIVATING';
  }
}
