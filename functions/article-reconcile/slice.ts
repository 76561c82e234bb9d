/**
 * One slice of a reconcile run: page by page through Ongoing's article list (and, for a full run, the mirrored
 * articles the list left out), then the tombstones of the window, until done or the invocation's time is nearly
 * up. Every slice makes progress (a page, or a tombstone asked about) before it may stop, so a run always ends.
 */
import type { ArticleMirror, MirrorItem, SyncSource } from "../shared/articles/mirror.ts";
import { requireOwnArticle } from "../shared/articles/ownership.ts";
import { NotFoundError, PermanentError } from "../shared/errors.ts";
import type { OngoingClient } from "../shared/ongoing/client.ts";
import type { OngoingArticle } from "../shared/ongoing/model.ts";
import type { ReconcileRun } from "./checkpoints.ts";

/** Ongoing's time format: UTC without a zone. */
export function ongoingTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("Z", "");
}

export interface SliceOptions {
  readonly mirror: ArticleMirror;
  readonly client: Pick<OngoingClient, "listArticles" | "getArticle">;
  readonly now: () => number;
  readonly pageSize: number;
  readonly reserveMs: number;
  readonly remainingTimeMs: () => number;
  readonly checkpoint: (run: ReconcileRun) => Promise<void>;
}

export class ReconcileSlice {
  run: ReconcileRun;
  #progressed = false;
  readonly #options: SliceOptions;
  readonly #source: SyncSource;

  constructor(start: ReconcileRun, options: SliceOptions) {
    this.run = { ...start, slices: start.slices + 1, counts: { ...start.counts } };
    this.#options = options;
    this.#source = { kind: "reconcile", eventType: `reconcile-${start.mode}` };
  }

  mayGoOn(): boolean {
    return !this.#progressed || this.#options.remainingTimeMs() > this.#options.reserveMs;
  }

  #counted(change: keyof ReconcileRun["counts"]): void {
    this.run = { ...this.run, counts: { ...this.run.counts, [change]: this.run.counts[change] + 1 } };
  }

  /** Applies what Ongoing says of one article now (gone: a tombstone) to its mirror item. */
  async #reask(item: MirrorItem): Promise<OngoingArticle | undefined> {
    const { goodsOwnerId } = this.run;
    const observedAt = this.#options.now();
    const article = await articleOrGone(this.#options.client, goodsOwnerId, item.articleSystemId);
    const observation = { goodsOwnerId, articleSystemId: item.articleSystemId, article, observedAt };
    const { change } = await this.#options.mirror.apply({ ...observation, source: this.#source }, item);
    this.#counted(change);
    return article;
  }

  /** One page of the list, saved; false when the slice stopped in it (the next slice lists it again). */
  async page(): Promise<boolean> {
    const { mirror, client, now, pageSize } = this.#options;
    const { goodsOwnerId, mode, cursor } = this.run;
    const observedAt = now();
    const page = await client.listArticles({
      articleSystemIdFrom: cursor,
      maxArticlesToGet: pageSize,
      ...(this.run.from === undefined ? {} : { articleDataLastUpdatedFrom: ongoingTime(this.run.from) }),
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
    const observations = page.map((article) => ({
      goodsOwnerId,
      articleSystemId: article.articleSystemId,
      article,
      observedAt,
      source: this.#source,
    }));
    const results = await mirror.applyMany(goodsOwnerId, observations, undefined, stored);
    for (const result of results) this.#counted(result.change);
    if (stored) {
      const listed = new Set(ids);
      for (const item of stored.values()) {
        if (item.deleted || listed.has(item.articleSystemId)) continue;
        // The page is listed again by the next slice; what was written for it so far reads as unchanged then.
        if (!this.mayGoOn()) return false;
        if (await this.#reask(item)) this.run = { ...this.run, unlisted: this.run.unlisted + 1 };
      }
    }
    this.run = {
      ...this.run,
      pages: this.run.pages + 1,
      examined: this.run.examined + page.length,
      updatedAt: now(),
      ...(last === undefined
        ? { phase: this.run.from === undefined ? "done" : "tombstones" }
        : { cursor: last + 1 }),
    };
    this.#progressed = true;
    await this.#options.checkpoint(this.run);
    return true;
  }

  /**
   * A delete webhook tombstones without asking Ongoing, and an article nobody changes again never shows up in
   * the list of changes: each tombstone of the window is asked of Ongoing, and the article it still has restored.
   * False when the slice stopped first.
   */
  async tombstones(): Promise<boolean> {
    const since = this.run.tombstonesFrom ?? this.run.from ?? this.run.startedAt;
    for await (const tombstone of this.#options.mirror.tombstonesSince(this.run.goodsOwnerId, since)) {
      // A reconcile's own tombstones come from Ongoing's answers already; only a webhook's need asking.
      if (tombstone.syncedBy?.kind === "reconcile") continue;
      if (!this.mayGoOn()) return false;
      await this.#reask(tombstone);
      const deletedAt = Date.parse(tombstone.deletedAt ?? "");
      this.run = {
        ...this.run,
        tombstonesRechecked: this.run.tombstonesRechecked + 1,
        ...(Number.isNaN(deletedAt) ? {} : { tombstonesFrom: deletedAt }),
      };
      this.#progressed = true;
    }
    this.run = { ...this.run, phase: "done", updatedAt: this.#options.now() };
    return true;
  }
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
