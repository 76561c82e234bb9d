/**
 * Reconciliation of the article mirror with Ongoing, because Ongoing stops retrying a webhook after a day. One
 * goods owner's run goes page by page through Ongoing's article list (`articleSystemIdFrom` + `maxArticlesToGet`,
 * ascending `articleSystemId`, until a page is empty, as Ongoing documents it) and saves its place after every
 * page, so a run that nears the time limit stops cleanly and the next slice continues where it stopped.
 *
 * Incremental: the articles changed since the last window's start (minus a skew margin), then the tombstones
 * written since then, each asked of Ongoing again (a delete webhook tombstones without asking). Full: every
 * article; a mirrored article in a page's id range that Ongoing did not list is asked for by id, and only one
 * Ongoing answers 404 for is tombstoned, so no tombstone rests on the list's order or on a run that did not finish.
 */
import { noChanges } from "../shared/articles/catalogue.ts";
import type { ArticleMirror } from "../shared/articles/mirror.ts";
import type { OngoingClient } from "../shared/ongoing/client.ts";
import type { ReconcileMode, ReconcileRun } from "./checkpoints.ts";
import { ongoingTime, ReconcileSlice } from "./slice.ts";
import type { ReconcileWatermarks } from "./watermark.ts";

/** How far each window reaches back before the last one's start, for clocks that disagree. */
export const clockSkewMarginMs = 10 * 60 * 1000;
/** The first incremental run of a goods owner looks this far back (Ongoing's retries cover a day). */
export const firstWindowLookbackMs = 25 * 60 * 60 * 1000;
/** Time kept back from the invocation for the page in flight and saving the place: no page starts later. */
export const sliceReserveMs = 60_000;
export const defaultPageSize = 500;

export interface ReconcileDependencies {
  readonly mirror: ArticleMirror;
  readonly watermarks: ReconcileWatermarks;
  readonly clientFor: (
    goodsOwnerId: number,
    options: { remainingTimeMs: () => number },
  ) => Pick<OngoingClient, "listArticles" | "getArticle">;
  /** Articles per Ongoing request. @default 500 */
  readonly pageSize?: number;
  /** No page (or tombstone check) starts with less time left than this, but the first of a slice. @default 60000 */
  readonly reserveMs?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

export interface ReconcileSummary {
  readonly goodsOwnerId: number;
  readonly mode: ReconcileMode;
  readonly runId: string;
  /** The lower bound of `articleDataLastUpdated` asked for (incremental only). */
  readonly from?: string;
  readonly examined: number;
  readonly pages: number;
  readonly slices: number;
  /** Tombstones written by a webhook and asked of Ongoing again (incremental only). */
  readonly tombstonesRechecked?: number;
  /** Mirrored articles Ongoing's list left out but Ongoing still had (full only; see ReconcileRun). */
  readonly unlisted?: number;
  readonly counts: ReconcileRun["counts"];
  /** Writes the reconcile had to make: changes the webhooks had not brought. */
  readonly reconciled: number;
}

/** A new run of one goods owner: an incremental one starts from the last window (its watermark). */
export async function startRun(
  dependencies: ReconcileDependencies,
  request: { goodsOwnerId: number; mode: ReconcileMode; runId: string },
): Promise<ReconcileRun> {
  const now = (dependencies.now ?? Date.now)();
  let from: number | undefined;
  if (request.mode === "incremental") {
    const previous = await dependencies.watermarks.get(request.goodsOwnerId);
    from = previous ? previous.windowStart - clockSkewMarginMs : now - firstWindowLookbackMs;
  }
  return {
    ...request,
    startedAt: now,
    ...(from === undefined ? {} : { from }),
    phase: "articles",
    cursor: 0,
    slices: 0,
    pages: 0,
    examined: 0,
    tombstonesRechecked: 0,
    unlisted: 0,
    counts: noChanges(),
    updatedAt: now,
  };
}

/**
 * Works on a run until it is done or the invocation's time is nearly up, saving its place after every page
 * (`checkpoint`); returns where it got to (`phase: "done"` when finished).
 */
export async function reconcileSlice(
  dependencies: ReconcileDependencies,
  start: ReconcileRun,
  slice: { remainingTimeMs: () => number; checkpoint: (run: ReconcileRun) => Promise<void> },
): Promise<ReconcileRun> {
  const work = new ReconcileSlice(start, {
    mirror: dependencies.mirror,
    client: dependencies.clientFor(start.goodsOwnerId, { remainingTimeMs: slice.remainingTimeMs }),
    now: dependencies.now ?? Date.now,
    pageSize: dependencies.pageSize ?? defaultPageSize,
    reserveMs: dependencies.reserveMs ?? sliceReserveMs,
    ...slice,
  });
  while (work.run.phase === "articles") {
    if (!work.mayGoOn() || !(await work.page())) return work.run;
  }
  if (work.run.phase === "tombstones" && !(await work.tombstones())) {
    return { ...work.run, updatedAt: (dependencies.now ?? Date.now)() };
  }
  return work.run;
}

export function summaryOf(run: ReconcileRun): ReconcileSummary {
  const { created, updated, deleted } = run.counts;
  return {
    goodsOwnerId: run.goodsOwnerId,
    mode: run.mode,
    runId: run.runId,
    ...(run.from === undefined ? {} : { from: ongoingTime(run.from) }),
    examined: run.examined,
    pages: run.pages,
    slices: run.slices,
    ...(run.mode === "incremental"
      ? { tombstonesRechecked: run.tombstonesRechecked }
      : { unlisted: run.unlisted }),
    counts: run.counts,
    reconciled: created + updated + deleted,
  };
}
