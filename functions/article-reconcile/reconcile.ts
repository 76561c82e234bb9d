/**
 * Reconciliation of the article mirror with Ongoing, because Ongoing stops retrying a webhook after a day.
 * Incremental: the articles changed since the last window's start (minus a skew margin), and the tombstones
 * written since then, each asked of Ongoing again (a delete webhook tombstones without asking). Full: every
 * article, and every mirrored article Ongoing no longer lists is tombstoned.
 */
import { type ChangeCounts, mirrorCatalogue } from "../article-sync/catalogue.ts";
import type { ArticleMirror, SyncSource } from "../article-sync/mirror.ts";
import { requireOwnArticle } from "../article-sync/ownership.ts";
import { NotFoundError } from "../shared/errors.ts";
import type { OngoingClient } from "../shared/ongoing/client.ts";
import type { OngoingArticle } from "../shared/ongoing/model.ts";
import type { ReconcileWatermarks } from "./watermark.ts";

/** Time kept back from the tombstone re-check for writing the watermark and the page still in flight. */
const tombstoneRecheckReserveMs = 60_000;

/** How far each window reaches back before the last one's start, for clocks that disagree. */
export const clockSkewMarginMs = 10 * 60 * 1000;
/** The first incremental run of a goods owner looks this far back (Ongoing's retries cover a day). */
export const firstWindowLookbackMs = 25 * 60 * 60 * 1000;

export interface ReconcileDependencies {
  readonly mirror: ArticleMirror;
  readonly watermarks: ReconcileWatermarks;
  readonly clientFor: (
    goodsOwnerId: number,
    options: { remainingTimeMs: () => number },
  ) => Pick<OngoingClient, "pageArticles" | "getArticle">;
  /** Articles per Ongoing request. @default 500 */
  readonly pageSize?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

export interface ReconcileSummary {
  readonly goodsOwnerId: number;
  readonly mode: "incremental" | "full";
  /** The lower bound of `articleDataLastUpdated` asked for (incremental only). */
  readonly from?: string;
  readonly examined: number;
  /** Tombstones written in the window and asked of Ongoing again (incremental only). */
  readonly tombstonesRechecked?: number;
  readonly counts: ChangeCounts;
  /** Writes the reconcile had to make: changes the webhooks had not brought. */
  readonly reconciled: number;
}

/** Ongoing's time format: UTC without a zone. */
export function ongoingTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("Z", "");
}

export async function reconcileArticles(
  dependencies: ReconcileDependencies,
  request: { goodsOwnerId: number; mode: "incremental" | "full"; remainingTimeMs: () => number },
): Promise<ReconcileSummary> {
  const now = dependencies.now ?? Date.now;
  const { goodsOwnerId, mode } = request;
  const windowStart = now();
  const previous = mode === "incremental" ? await dependencies.watermarks.get(goodsOwnerId) : undefined;
  const fromMs =
    mode === "incremental"
      ? previous
        ? previous.windowStart - clockSkewMarginMs
        : windowStart - firstWindowLookbackMs
      : undefined;
  const from = fromMs === undefined ? undefined : ongoingTime(fromMs);
  const client = dependencies.clientFor(goodsOwnerId, { remainingTimeMs: request.remainingTimeMs });
  const source: SyncSource = { kind: "reconcile", eventType: `reconcile-${mode}` };
  const { counts, seen } = await mirrorCatalogue({
    mirror: dependencies.mirror,
    goodsOwnerId,
    pages: client.pageArticles({
      pageSize: dependencies.pageSize ?? 500,
      ...(from ? { articleDataLastUpdatedFrom: from } : {}),
    }),
    source,
    now,
  });
  let tombstonesRechecked = 0;
  // Where the next window must start: the run's start, or the first tombstone left unchecked for lack of time.
  let resumeAt = windowStart;
  if (fromMs !== undefined) {
    // A delete webhook tombstones without asking Ongoing, and an article nobody changes again never shows up in
    // the list above: ask Ongoing about each tombstone of the window, and restore the article it still has.
    for await (const tombstone of dependencies.mirror.tombstonesSince(goodsOwnerId, fromMs)) {
      // A reconcile's own tombstones come from Ongoing's list already; only a webhook's need asking.
      if (tombstone.syncedBy?.kind === "reconcile") continue;
      if (request.remainingTimeMs() < tombstoneRecheckReserveMs) {
        // Leave the rest for the next run: the watermark stays at the earliest unchecked tombstone.
        const deletedAt = Date.parse(tombstone.deletedAt ?? "");
        if (!Number.isNaN(deletedAt)) resumeAt = Math.min(resumeAt, deletedAt);
        continue;
      }
      tombstonesRechecked += 1;
      const observedAt = now();
      let article: OngoingArticle | undefined;
      try {
        article = requireOwnArticle(goodsOwnerId, await client.getArticle(tombstone.articleSystemId));
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      const { change } = await dependencies.mirror.apply(
        { goodsOwnerId, articleSystemId: tombstone.articleSystemId, article, observedAt, source },
        tombstone,
      );
      counts[change] += 1;
    }
  }
  if (mode === "full") {
    for await (const item of dependencies.mirror.items(goodsOwnerId)) {
      if (item.deleted || seen.has(item.articleSystemId)) continue;
      // Gone as of the run's start: a webhook that observed the article later keeps it (the write is stale).
      const { change } = await dependencies.mirror.apply(
        {
          goodsOwnerId,
          articleSystemId: item.articleSystemId,
          article: undefined,
          observedAt: windowStart,
          source,
        },
        item,
      );
      counts[change] += 1;
    }
  }
  // Never behind the last watermark: the next window reaches back past it anyway, so progress is kept.
  const nextStart = Math.max(resumeAt, previous?.windowStart ?? resumeAt);
  await dependencies.watermarks.advance({ goodsOwnerId, windowStart: nextStart, mode, completedAt: now() });
  return {
    goodsOwnerId,
    mode,
    ...(from ? { from } : {}),
    examined: seen.size,
    ...(fromMs === undefined ? {} : { tombstonesRechecked }),
    counts,
    reconciled: counts.created + counts.updated + counts.deleted,
  };
}
