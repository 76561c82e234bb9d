/**
 * One run of the breaker probe (on a schedule, every minute by default). For each dependency whose breaker is
 * open it asks the dependency itself (checks.ts); when it answers, the breaker half-opens and the paused
 * consumers resume at their configured concurrency, where a few trial records go first (see breakers.ts); a
 * half-open breaker that still answers a probe later closes even if no record came. Then it pauses the event
 * source mapping of every consumer with an open dependency and resumes those it paused whose dependencies
 * answer again, and reports each breaker (metrics, one log line: "ongoing unavailable since …, N waiting").
 */
import type { BreakerState, BreakerStore } from "../shared/breaker/store.ts";
import type { Dependency } from "../shared/contract/dependencies.ts";
import type { BreakerConsumer } from "../shared/contract/settings.ts";
import type { Check } from "./checks.ts";

/** A half-open breaker closes at the next run: scheduled runs come about one interval apart, some a little early. */
const closeAfterIntervals = 0.9;

export interface ProbeDependencies {
  readonly store: BreakerStore;
  readonly checks: Partial<Record<Dependency, Check>>;
  readonly consumers: readonly BreakerConsumer[];
  /** An event source mapping's state (Lambda GetEventSourceMapping `State`: Enabled, Disabled, Updating, …). */
  readonly mappingState: (mappingId: string) => Promise<string | undefined>;
  /** Pauses or resumes an event source mapping (Lambda UpdateEventSourceMapping `Enabled`). */
  readonly setMappingEnabled: (mappingId: string, enabled: boolean) => Promise<void>;
  /** Messages on a queue (visible, delayed and in flight). */
  readonly waiting: (queueUrl: string) => Promise<number>;
  readonly probeIntervalSeconds: number;
  readonly now?: () => number;
}

export interface BreakerReport {
  readonly dependency: Dependency;
  readonly position: BreakerState["position"];
  readonly openedAt?: string;
  readonly probe?: string;
  /** Webhooks on the queues of the consumers that need this dependency. */
  readonly waiting: number;
}

export interface ProbeReport {
  readonly breakers: BreakerReport[];
  readonly paused: string[];
  readonly resumed: string[];
  /** Consumers left for the next run: a mapping in a transitional state, or one whose update failed. */
  readonly deferred: { readonly useCase: string; readonly reason: string }[];
}

export async function probeBreakers(deps: ProbeDependencies): Promise<ProbeReport> {
  const now = deps.now ?? Date.now;
  const needed = [...new Set(deps.consumers.flatMap((consumer) => consumer.dependencies))];
  const before = await deps.store.read(needed);
  for (const dependency of needed) {
    const state = before.get(dependency);
    const check = deps.checks[dependency];
    if (!state || state.position === "closed" || !check) continue;
    const result = await check();
    await deps.store.recordProbe(dependency, now(), result.detail);
    if (state.position === "open" && result.healthy) {
      await deps.store.halfOpen(dependency, now());
    } else if (state.position === "half-open" && !result.healthy) {
      await deps.store.open(dependency, `probe: ${result.detail}`, now());
    } else if (
      state.position === "half-open" &&
      now() - (state.changedAt ?? 0) >= deps.probeIntervalSeconds * 1000 * closeAfterIntervals
    ) {
      await deps.store.close(dependency, now());
    }
  }

  const states = await deps.store.read(needed);
  const paused = await deps.store.pausedMappings();
  const report: ProbeReport = { breakers: [], paused: [], resumed: [], deferred: [] };
  // One consumer at a time, each on its own: one that fails (e.g. ResourceInUseException) does not stop the rest.
  for (const consumer of deps.consumers) {
    const blocked = consumer.dependencies.some((d) => states.get(d)?.position === "open");
    const ours = paused.has(consumer.mappingId);
    if (blocked === ours) continue;
    try {
      const mappingState = await deps.mappingState(consumer.mappingId);
      if (mappingState !== "Enabled" && mappingState !== "Disabled") {
        // Disabling, Enabling, Updating, Creating: Lambda refuses an update now; the next run looks again.
        report.deferred.push({ useCase: consumer.useCase, reason: `mapping ${mappingState ?? "unknown"}` });
        continue;
      }
      if (blocked) {
        // One an operator turned off stays theirs: the breaker resumes only what it paused.
        if (mappingState !== "Enabled") continue;
        // Recorded first: a mapping the breaker paused is always one it will resume.
        await deps.store.markPaused(consumer.mappingId, true);
        try {
          await deps.setMappingEnabled(consumer.mappingId, false);
        } catch (error) {
          await deps.store.markPaused(consumer.mappingId, false);
          throw error;
        }
        report.paused.push(consumer.useCase);
      } else {
        if (mappingState === "Disabled") await deps.setMappingEnabled(consumer.mappingId, true);
        await deps.store.markPaused(consumer.mappingId, false);
        report.resumed.push(consumer.useCase);
      }
    } catch (error) {
      report.deferred.push({ useCase: consumer.useCase, reason: String(error) });
    }
  }
  for (const dependency of needed) {
    const state = states.get(dependency);
    if (!state) continue;
    const queues = deps.consumers.filter((c) => c.dependencies.includes(dependency)).map((c) => c.queueUrl);
    const waiting =
      state.position === "closed"
        ? 0
        : (await Promise.all(queues.map((url) => deps.waiting(url).catch(() => 0)))).reduce(
            (a, b) => a + b,
            0,
          );
    report.breakers.push({
      dependency,
      position: state.position,
      ...(state.openedAt ? { openedAt: new Date(state.openedAt).toISOString() } : {}),
      ...(state.probeResult ? { probe: state.probeResult } : {}),
      waiting,
    });
  }
  return report;
}
