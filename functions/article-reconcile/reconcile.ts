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
import type { ArticleMirror, SyncSource } from "../shared/articles/mirror.ts";
import { requireOwnArticle } from "../shared/articles/ownership.ts";
import { NotFoundError, PermanentError } from "../shared/errors.ts";
import type { OngoingClient } from "../shared/ongoing/client.ts";
import type { OngoingArticle } from "../shared/ongoing/model.ts";
import type { ReconcileMode, ReconcileRun } from "./checkpoints.ts";
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

/** Ongoing's time format: UTC without a zone. */
export function ongoingTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("Z", "");
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
  const now = dependencies.now ?? Date.now;
  const pageSize = dependencies.pageSize ?? defaultPageSize;
  const reserveMs = dependencies.reserveMs ?? sliceReserveMs;
  // Every slice makes progress (a page, or a tombstone asked about) before it may stop, so a run always ends.
  let progressed = false;
  const mayGoOn = () => !progressed || slice.remainingTimeMs() > reserveMs;
  const { goodsOwnerId, mode } = start;
  const client = dependencies.clientFor(goodsOwnerId, { remainingTimeMs: slice.remainingTimeMs });
  const source: SyncSource = { kind: "reconcile", eventType: `reconcile-${mode}` };
  const mirror = dependencies.mirror;
  let run: ReconcileRun = { ...start, slices: start.slices + 1, counts: { ...start.counts } };
  const counted = (change: keyof ReconcileRun["counts"]) => {
    run = { ...run, counts: { ...run.counts, [change]: run.counts[change] + 1 } };
  };

  while (run.phase === "articles") {
    if (!mayGoOn()) return run;
    const cursor = run.cursor;
    const observedAt = now();
    const page = await client.listArticles({
      articleSystemIdFrom: cursor,
      maxArticlesToGet: pageSize,
      ...(run.from === undefined ? {} : { articleDataLastUpdatedFrom: ongoingTime(run.from) }),
    });
    const ids = page.map((article) => article.articleSystemId);
    if (page.length > pageSize || ids.some((id) => id < cursor)) {
      // The cursor would not move on (or pages would overlap): stop before anything rests on it.
      throw new PermanentError(
        "paging-order",
        `Ongoing answered ${page.length} articles (ids ${Math.min(...ids)}–${Math.max(...ids)}) to articleSystemIdFrom=${cursor}, maxArticlesToGet=${pageSize}: not the cursor paging the reconcile relies on`,
      );
    }
    const last = page.length === 0 ? undefined : Math.max(...ids);
    // A full run reads the page's whole id range (to the end after the last page): what Ongoing left out is in it.
    const stored = mode === "full" ? await mirror.between(goodsOwnerId, cursor, last) : undefined;
    const results = await mirror.applyMany(
      goodsOwnerId,
      page.map((article) => ({
        goodsOwnerId,
        articleSystemId: article.articleSystemId,
        article,
        observedAt,
        source,
      })),
      undefined,
      stored,
    );
    for (const result of results) counted(result.change);
    if (stored) {
      const listed = new Set(ids);
      for (const item of stored.values()) {
        if (item.deleted || listed.has(item.articleSystemId)) continue;
        // The page is listed again by the next slice; what was written for it so far reads as unchanged then.
        if (!mayGoOn()) return run;
        const askedAt = now();
        const article = await articleOrGone(client, goodsOwnerId, item.articleSystemId);
        if (article) run = { ...run, unlisted: run.unlisted + 1 };
        const { change } = await mirror.apply(
          { goodsOwnerId, articleSystemId: item.articleSystemId, article, observedAt: askedAt, source },
          item,
        );
        counted(change);
      }
    }
    run = {
      ...run,
      pages: run.pages + 1,
      examined: run.examined + page.length,
      updatedAt: now(),
      ...(last === undefined
        ? { phase: run.from === undefined ? "done" : "tombstones" }
        : { cursor: last + 1 }),
    };
    progressed = true;
    await slice.checkpoint(run);
  }

  if (run.phase === "tombstones") {
    const since = run.tombstonesFrom ?? run.from ?? run.startedAt;
    // A delete webhook tombstones without asking Ongoing, and an article nobody changes again never shows up in
    // the list of changes: ask Ongoing about each tombstone of the window, and restore the article it still has.
    for await (const tombstone of mirror.tombstonesSince(goodsOwnerId, since)) {
      // A reconcile's own tombstones come from Ongoing's answers already; only a webhook's need asking.
      if (tombstone.syncedBy?.kind === "reconcile") continue;
      if (!mayGoOn()) return { ...run, updatedAt: now() };
      const observedAt = now();
      const article = await articleOrGone(client, goodsOwnerId, tombstone.articleSystemId);
      const { change } = await mirror.apply(
        { goodsOwnerId, articleSystemId: tombstone.articleSystemId, article, observedAt, source },
        tombstone,
      );
      counted(change);
      const deletedAt = Date.parse(tombstone.deletedAt ?? "");
      run = {
        ...run,
        tombstonesRechecked: run.tombstonesRechecked + 1,
        ...(Number.isNaN(deletedAt) ? {} : { tombstonesFrom: deletedAt }),
      };
      progressed = true;
    }
    run = { ...run, phase: "done", updatedAt: now() };
  }
  return run;
}

async function articleOrGone(
  client: Pick<OngoingClient, "getArticle">,
  goodsOwnerId: number,
  articleSystemId: number,
): Promise<OngoingArticle | undefined> {
  try {
    return requireOwnArticle(goodsOwnerId, await client.getArticle(articleSystemId));
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
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
