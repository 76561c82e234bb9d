/**
 * One unit of reconcile work: one goods owner, one mode, as one queued message. The unit takes the goods owner's
 * lease, starts a run (or continues one that has not finished), works until done or until the invocation's time
 * is nearly up, and then either records the finished window or saves its place and queues its own continuation.
 */
import * as z from "zod";
import {
  LeaseLostError,
  type ReconcileCheckpoints,
  type ReconcileMode,
  type ReconcileRun,
} from "./checkpoints.ts";
import {
  type ReconcileDependencies,
  type ReconcileSummary,
  reconcileSlice,
  startRun,
  summaryOf,
} from "./reconcile.ts";

/** The message that carries a unit: queued by the dispatcher (no `slice`) or by a unit that continues. */
export const reconcileMessageSchema = z.strictObject({
  goodsOwnerId: z.number().int().positive(),
  mode: z.enum(["incremental", "full"]),
  runId: z.string().min(1).max(100),
  /** Set on a continuation: the slice of the run it carries on with. */
  slice: z.number().int().positive().optional(),
});
export type ReconcileMessage = z.infer<typeof reconcileMessageSchema>;

/** The `eventType` attribute of a unit's message. */
export const reconcileEventType = (mode: ReconcileMode) => `reconcile-${mode}` as const;
export const reconcileEventTypes = [reconcileEventType("incremental"), reconcileEventType("full")] as const;

/** A lease outlives its invocation by this much, for the clock skew between Lambda and DynamoDB. */
const leaseMarginMs = 10_000;

export interface UnitDependencies extends ReconcileDependencies {
  readonly checkpoints: ReconcileCheckpoints;
}

export type UnitOutcome =
  | { readonly status: "finished"; readonly summary: ReconcileSummary }
  | { readonly status: "continued"; readonly summary: ReconcileSummary }
  | { readonly status: "skipped"; readonly reason: string };

export async function reconcileUnit(
  dependencies: UnitDependencies,
  message: ReconcileMessage,
  context: {
    /** Who holds the lease while working: the message id. */
    owner: string;
    remainingTimeMs: () => number;
    /** Queues the next slice of the run. */
    continueLater: (next: ReconcileMessage) => Promise<void>;
  },
): Promise<UnitOutcome> {
  const now = dependencies.now ?? Date.now;
  const { goodsOwnerId, mode } = message;
  const { checkpoints } = dependencies;
  const lease = { owner: context.owner, until: now() + context.remainingTimeMs() + leaseMarginMs };
  const claim = await checkpoints.claim(goodsOwnerId, mode, { ...lease, now: now() });
  if (claim.held) {
    // That worker saves its place and queues its continuation itself: nothing is lost by leaving.
    return { status: "skipped", reason: "another worker is reconciling this goods owner" };
  }
  const skip = async (reason: string): Promise<UnitOutcome> => {
    await checkpoints.release(goodsOwnerId, mode, context.owner);
    return { status: "skipped", reason };
  };
  let run: ReconcileRun | undefined = claim.run;
  const unfinished = run !== undefined && run.phase !== "done";
  if (message.slice !== undefined) {
    if (!unfinished || run?.runId !== message.runId)
      return skip("the run this continues has finished already");
    // Another message took the run over since this one was queued (and queues its own continuation).
    if (message.slice !== run.slices + 1 && run.owner !== context.owner)
      return skip("the run this continues was taken over by another message");
  } else if (!unfinished) {
    if (run?.runId === message.runId) return skip("this run has finished already (a repeated message)");
    run = await startRun(dependencies, message);
  }
  // Otherwise an unfinished run (its continuation was lost or is still queued) is continued, not started anew.
  if (!run) throw new Error("unreachable: a unit always has a run by now");
  run = { ...run, owner: context.owner };

  try {
    run = await reconcileSlice(dependencies, run, {
      remainingTimeMs: context.remainingTimeMs,
      checkpoint: (saved) => checkpoints.save(saved, lease),
    });
  } catch (error) {
    // Another worker took the run over after this one's lease ran out: the run is in its hands now.
    if (error instanceof LeaseLostError) return { status: "skipped", reason: error.message };
    // The last page's place is saved; whoever retries (this message or the next schedule) continues from it.
    await checkpoints.release(goodsOwnerId, mode, context.owner).catch(() => undefined);
    throw error;
  }

  if (run.phase === "done") {
    await dependencies.watermarks.advance({
      goodsOwnerId,
      windowStart: run.startedAt,
      mode,
      completedAt: now(),
    });
    const finished = { ...run, finishedAt: now(), updatedAt: now() };
    await checkpoints.save(finished, lease, { release: true });
    return { status: "finished", summary: summaryOf(finished) };
  }
  await checkpoints.save(run, lease, { release: true });
  // Sent after the place is saved: if sending fails, this message is retried and continues from that place.
  await context.continueLater({ goodsOwnerId, mode, runId: run.runId, slice: run.slices + 1 });
  return { status: "continued", summary: summaryOf(run) };
}
