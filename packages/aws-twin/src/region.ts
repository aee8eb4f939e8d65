/**
 * One region of the twin: its own ECS, ELB, ECR, CloudWatch, Scheduler and EventBridge, its data
 * plane (listeners, tasks, health checks) and its scheduled-task clock. AWS's regional services
 * share nothing across regions: a cluster, a listener or a schedule of one region is not found in
 * another. The twin serves every region it has from one endpoint, telling them apart by the region
 * each request is signed for.
 */
import { startListenerServer, type ListenerServer } from './dataplane/listener-server.js';
import { HealthChecker } from './dataplane/health-checker.js';
import { startTaskServer, type TaskServer } from './dataplane/task-server.js';
import type { Account } from './ids.js';
import type { ImageCatalog } from './images.js';
import { MetricStore } from './metrics.js';
import type { Pager } from './pages.js';
import type { EcrScenario } from './services/ecr.js';
import { CloudWatchService } from './services/cloudwatch.js';
import { EcrService } from './services/ecr.js';
import { EcsService, type Task, type TaskRuntime } from './services/ecs.js';
import { ElbService } from './services/elbv2.js';
import { EventsService, SchedulerService, type DueRun } from './services/schedules.js';
import type { BlueGreenResources, EcsNativeResources, Scenario, Timing } from './scenario.js';
import type { ServiceTable } from './server.js';

/** What a test sees of one region: its services, its resources, its data plane and its schedules. */
export interface RegionTwin {
  region: string;
  /** The account, with this region. */
  account: Account;
  /** Resources of each blue/green service of this region, by its base name. */
  resources: Record<string, BlueGreenResources>;
  /** Resources of each ecsNative service of this region, by its name. */
  native: Record<string, EcsNativeResources>;
  services: {
    ecs: EcsService;
    elbv2: ElbService;
    ecr: EcrService;
    cloudwatch: CloudWatchService;
    scheduler: SchedulerService;
    events: EventsService;
  };
  metrics: MetricStore;
  /** The real URL of a listener's data-plane port. */
  listenerUrl(listenerArn: string): string;
  /** Every scheduled task this region started (at its time, or by runSchedule), oldest first. */
  scheduledRuns(): ScheduledRun[];
  /**
   * Runs a schedule (`name` or `group/name`) or an EventBridge rule's ECS targets now, as its next
   * time would: the task definition its target names at this moment, with its overrides.
   */
  runSchedule(name: string): ScheduledRun[];
}

/** One start of a scheduled ECS task. */
export interface ScheduledRun {
  via: 'scheduler' | 'events';
  /** The schedule (`group/name`) or rule that started it. */
  name: string;
  taskDefinitionArn: string;
  at: Date;
  /** The task it started, when RunTask took it; with the image it runs and, once stopped, its exit code. */
  task?: { arn: string; image: string; lastStatus: string; exitCode?: number };
  /** Why it did not start. */
  error?: string;
}

/** A running region: what tests see, plus what the twin needs to serve and stop it. */
export interface Region extends RegionTwin {
  handlers: Omit<ServiceTable, 'sts'>;
  /** Whether a listener of this region has this ARN. */
  hasListener(listenerArn: string): boolean;
  close(): Promise<void>;
}

export interface RegionShared {
  now: () => number;
  random: () => number;
  timing: Required<Timing>;
  pager: Pager;
  images: ImageCatalog;
  metrics: Scenario['metrics'];
  ecr: EcrScenario | undefined;
}

export function startRegion(account: Account, shared: RegionShared): Region {
  const { now, random, timing, pager, images } = shared;
  const metrics = new MetricStore(
    now,
    shared.metrics
      ? {
          periodSeconds: shared.metrics.periodSeconds ?? 60,
          publicationDelayMs: (shared.metrics.publicationDelaySeconds ?? 120) * 1000,
          wholePeriods: true,
        }
      : undefined,
  );
  const listenerServers = new Map<string, ListenerServer>();
  const taskServers = new Map<string, { server?: TaskServer; timers: NodeJS.Timeout[] }>();

  const ecr = new EcrService(account, now, shared.ecr);
  const elbv2 = new ElbService(
    account,
    {
      listenerCreated: async (listener) => {
        listenerServers.set(listener.arn, await startListenerServer(listener.arn, elbv2, metrics, random));
      },
    },
    now,
    () => timing.deregistrationDelayMs,
  );

  const runtime: TaskRuntime = {
    behaviourOf: (image) => images.behaviourOf(image),
    async start(task: Task, onExit) {
      const behaviour = images.behaviourOf(task.image);
      if (behaviour.failToStart) {
        return {
          error:
            typeof behaviour.failToStart === 'string'
              ? behaviour.failToStart
              : `CannotPullContainerError: pull image manifest has been retried 1 time(s): ${task.image}: not found`,
        };
      }
      const entry: { server?: TaskServer; timers: NodeJS.Timeout[] } = { timers: [] };
      taskServers.set(task.arn, entry);
      if (!task.serviceName) {
        // A one-off task (RunTask): runs its command, then exits with the image's exit code.
        entry.timers.push(
          setTimeout(
            () =>
              onExit(
                behaviour.exitCode ?? 0,
                behaviour.exitCode ? 'Essential container in task exited' : 'Task finished',
              ),
            behaviour.runMs ?? 50,
          ),
        );
        return { port: 0 };
      }
      entry.server = await startTaskServer(task.id, () => images.behaviourOf(task.image), random);
      if (behaviour.crashAfterMs !== undefined) {
        entry.timers.push(
          setTimeout(() => {
            entry.server?.kill();
            onExit(137, 'Essential container in task exited');
          }, behaviour.crashAfterMs),
        );
      }
      return { port: entry.server.port };
    },
    async stop(task: Task) {
      const entry = taskServers.get(task.arn);
      if (!entry) return;
      taskServers.delete(task.arn);
      for (const timer of entry.timers) clearTimeout(timer);
      await entry.server?.stop();
    },
  };

  const ecs = new EcsService(account, elbv2, runtime, now, () => timing.taskStartDelayMs);
  const cloudwatch = new CloudWatchService(account, metrics, now);
  ecs.minuteMs = () => timing.minuteMs;
  ecs.alarmStateOf = (name) => cloudwatch.stateOf(name);
  const scheduler = new SchedulerService(account, now);
  const events = new EventsService(account, now);
  for (const service of [ecs, elbv2, ecr, cloudwatch, scheduler, events]) service.pager = pager;

  const runs: (Omit<ScheduledRun, 'task'> & { taskArn?: string })[] = [];
  const startScheduled = (due: DueRun) => {
    const ecsParameters = (due.target.EcsParameters ?? {}) as Record<string, unknown>;
    const taskDefinitionArn = String(ecsParameters.TaskDefinitionArn ?? '');
    const run: (typeof runs)[number] = { via: due.via, name: due.name, taskDefinitionArn, at: due.at };
    try {
      const overrides = due.target.Input ? (JSON.parse(String(due.target.Input)) as unknown) : undefined;
      const started = ecs.handlers.RunTask!({
        cluster: due.target.Arn,
        taskDefinition: taskDefinitionArn,
        count: ecsParameters.TaskCount ?? 1,
        ...(overrides ? { overrides } : {}),
        startedBy: due.via === 'events' ? `events-rule/${due.name}`.slice(0, 36) : 'scheduler.amazonaws.com',
      }) as { tasks: { taskArn: string }[] };
      run.taskArn = started.tasks[0]?.taskArn;
    } catch (error) {
      run.error = error instanceof Error ? error.message : String(error);
    }
    runs.push(run);
    return run;
  };
  const describeRun = (run: (typeof runs)[number]): ScheduledRun => {
    const { taskArn, ...rest } = run;
    const task = taskArn ? ecs.tasks.get(taskArn) : undefined;
    return {
      ...rest,
      ...(task
        ? {
            task: {
              arn: task.arn,
              image: task.image,
              lastStatus: task.lastStatus,
              ...(task.exitCode !== undefined ? { exitCode: task.exitCode } : {}),
            },
          }
        : {}),
    };
  };
  // The schedules' clock: real time at the start, then scaled like the rest (timing.minuteMs a minute).
  const clockStarted = now();
  const scheduleClock = () => clockStarted + ((now() - clockStarted) * 60_000) / timing.minuteMs;
  const healthChecker = new HealthChecker(elbv2, metrics, () => timing.healthCheckIntervalMs);

  const reconciler = setInterval(() => {
    healthChecker.tick();
    void ecs.tick();
  }, timing.reconcileIntervalMs);
  const scheduledTasks = setInterval(() => {
    const clock = scheduleClock();
    for (const due of [...scheduler.due(clock), ...events.due(clock)]) startScheduled(due);
  }, 250);

  return {
    region: account.region,
    account,
    resources: {},
    native: {},
    services: { ecs, elbv2, ecr, cloudwatch, scheduler, events },
    metrics,
    handlers: {
      ecs: ecs.handlers,
      ecr: ecr.handlers,
      cloudwatch: cloudwatch.handlers,
      elbv2: elbv2.handlers,
      scheduler: scheduler.handlers,
      events: events.handlers,
    },
    hasListener: (listenerArn) => listenerServers.has(listenerArn),
    listenerUrl(listenerArn) {
      const found = listenerServers.get(listenerArn);
      if (!found) throw new Error(`twin: no listener ${listenerArn} in ${account.region}`);
      return found.url;
    },
    scheduledRuns: () => runs.map(describeRun),
    runSchedule(name) {
      const schedule = scheduler.get(name);
      const at = new Date(scheduleClock());
      if (schedule) {
        if (!schedule.Target.EcsParameters) throw new Error(`twin: schedule ${name} has no ECS target`);
        return [
          describeRun(
            startScheduled({
              via: 'scheduler',
              name: `${schedule.GroupName}/${schedule.Name}`,
              target: schedule.Target,
              at,
            }),
          ),
        ];
      }
      const rule = events.get(name);
      if (!rule) throw new Error(`twin: no schedule or rule named ${name} in ${account.region}`);
      return [...rule.targets.values()]
        .filter((target) => target.EcsParameters)
        .map((target) => describeRun(startScheduled({ via: 'events', name: rule.Name, target, at })));
    },
    async close() {
      clearInterval(reconciler);
      clearInterval(scheduledTasks);
      await Promise.all([...listenerServers.values()].map((listener) => listener.close()));
      await Promise.all([...taskServers.keys()].map((taskArn) => runtime.stop({ arn: taskArn } as Task)));
    },
  };
}
