/**
 * The template's schedules, run on timers: the article reconcile (EventBridge rules or Scheduler schedules, each
 * with its own input) and the breaker probe, plus running either now.
 */
import { randomUUID } from "node:crypto";
import { accountId, region } from "./account.ts";
import type { EventSources } from "./event-sources.ts";
import type { FunctionHosts } from "./function-hosts.ts";
import type { LocalQueue } from "./provision.ts";
import type { Stoppers } from "./stoppers.ts";
import { type CfnTemplate, record, referencedIds, resourcesOfType } from "./template.ts";

/** How long `reconcile()` waits for the worker to take the units the dispatcher queued. */
const reconcileDrainTimeoutMs = 15 * 60_000;

/**
 * What the schedule needs of a clock. The tick's callback returns the run's promise, so a test that fires it can
 * await the reconcile's answer (real timers ignore it).
 */
export interface ScheduleTimers {
  setInterval(tick: () => Promise<unknown>, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: ScheduleTimers = {
  setInterval: (tick, ms) => setInterval(tick, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** `rate(5 minutes)` → milliseconds; anything else (cron) is not run on a timer. */
export function rateMs(expression: string): number | undefined {
  const match = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[match[2]?.replace(/s$/, "") as "minute"];
  return Number(match[1]) * unit;
}

export interface ScheduleOptions {
  readonly template: CfnTemplate;
  readonly hosts: FunctionHosts;
  readonly eventSources: EventSources;
  readonly queues: readonly LocalQueue[];
  readonly stoppers: Stoppers;
  /** Run the schedules on their timers. */
  readonly schedule: boolean;
  /** Whether the event sources run (the reconcile then waits for its units to be taken). */
  readonly consumers: boolean;
  readonly timers?: ScheduleTimers | undefined;
  /** The breaker probe's compressed interval, run even with the schedules off. */
  readonly probeIntervalMs?: number | undefined;
}

/** Starts the reconcile's schedules; returns the reconcile the default (incremental) schedule runs. */
export function startReconcileSchedules(options: ScheduleOptions): () => Promise<unknown> {
  const { template, hosts } = options;
  const reconcileId = hosts.byKind("reconcile");
  const scheduleEntries = [
    ...resourcesOfType(template, "AWS::Events::Rule"),
    ...resourcesOfType(template, "AWS::Scheduler::Schedule"),
  ].filter(([, resource]) => reconcileId && referencedIds(resource.Properties).includes(reconcileId));
  // Each on its own timer with its own input (the incremental one has none; a full one says `{"mode":"full"}`).
  const schedules = scheduleEntries.map(([scheduleId, resource]) => {
    const properties = record(resource.Properties);
    const target = record(
      (properties.Targets as unknown[] | undefined)?.find(
        (item) => reconcileId && referencedIds(item).includes(reconcileId),
      ) ?? properties.Target,
    );
    const event = () => (target.Input ? JSON.parse(String(target.Input)) : scheduledEvent(scheduleId));
    return { properties, event, incremental: !target.Input };
  });
  const runReconcile = async (event: unknown) => {
    const fn = reconcileId ? hosts.functions.get(reconcileId) : undefined;
    if (!fn) throw new Error("the template has no reconcile function");
    const answer = await fn.invoke(event);
    const units = options.queues.find((queue) => queue.useCase === "article-reconcile");
    if (units && options.consumers) await options.eventSources.drained([units], reconcileDrainTimeoutMs);
    return answer;
  };
  const defaultSchedule = schedules.find((schedule) => schedule.incremental) ?? schedules[0];
  for (const schedule of schedules) {
    const every = rateMs(String(schedule.properties.ScheduleExpression ?? ""));
    if (!options.schedule || !every || schedule.properties.State === "DISABLED") continue;
    const timers = options.timers ?? realTimers;
    const timer = timers.setInterval(() => runReconcile(schedule.event()).catch(() => undefined), every);
    options.stoppers.add(async () => timers.clearInterval(timer));
  }
  return () => runReconcile(defaultSchedule ? defaultSchedule.event() : {});
}

/** Starts the breaker probe's schedule; returns a run of the probe now. */
export function startProbeSchedule(options: ScheduleOptions): () => Promise<unknown> {
  const { template, hosts } = options;
  const probeId = hosts.byKind("breaker-probe");
  const probe = async () => {
    const fn = probeId ? hosts.functions.get(probeId) : undefined;
    if (!fn) throw new Error("the template has no breaker probe");
    return fn.invoke({ "detail-type": "Scheduled Event", source: "aws.events", detail: {} });
  };
  const probeRule = resourcesOfType(template, "AWS::Events::Rule").find(
    ([, resource]) => probeId && referencedIds(resource.Properties).includes(probeId),
  );
  const probeEvery =
    options.probeIntervalMs ?? rateMs(String(record(probeRule?.[1].Properties).ScheduleExpression ?? ""));
  // A compressed probe interval is asked for explicitly, so it runs even with the schedules off.
  if ((options.probeIntervalMs !== undefined || options.schedule) && probeId && probeEvery) {
    const timers = options.timers ?? realTimers;
    const timer = timers.setInterval(() => probe().catch(() => undefined), probeEvery);
    options.stoppers.add(async () => timers.clearInterval(timer));
  }
  return probe;
}

/** The event EventBridge sends a rule's target on schedule. */
function scheduledEvent(scheduleId: string) {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: accountId,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: [`arn:aws:events:${region}:${accountId}:rule/${scheduleId}`],
    detail: {},
  };
}
