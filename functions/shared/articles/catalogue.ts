/**
 * Pages through Ongoing's article list and applies every page to the mirror: the loop the reconcile and the
 * backfill share. Each page is observed at the moment it was asked for, so a webhook that saw a newer state
 * in the meantime keeps its write.
 */
import type { OngoingArticle } from "../ongoing/model.ts";
import type { ArticleMirror, MirrorChange, SyncSource } from "./mirror.ts";
import { requireOwnArticle } from "./ownership.ts";

export type ChangeCounts = Record<MirrorChange, number>;

export const noChanges = (): ChangeCounts => ({ created: 0, updated: 0, unchanged: 0, deleted: 0, stale: 0 });

export interface CataloguePage {
  readonly page: number;
  readonly articles: number;
  readonly counts: ChangeCounts;
}

export interface MirrorCatalogueOptions {
  readonly mirror: ArticleMirror;
  readonly goodsOwnerId: number;
  readonly pages: AsyncIterable<OngoingArticle[]>;
  readonly source: SyncSource;
  /** Called after each page with the running totals (progress bars, logs). */
  readonly onPage?: (progress: CataloguePage) => void;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/** Applies every article of the pages; returns the counts and the ids seen (to find articles gone from Ongoing). */
export async function mirrorCatalogue(
  options: MirrorCatalogueOptions,
): Promise<{ counts: ChangeCounts; seen: Set<number>; pages: number }> {
  const now = options.now ?? Date.now;
  const counts = noChanges();
  const seen = new Set<number>();
  const iterator = options.pages[Symbol.asyncIterator]();
  let page = 0;
  for (;;) {
    const observedAt = now();
    const next = await iterator.next();
    if (next.done) break;
    page += 1;
    // One foreign article means the credentials are another goods owner's: the whole run stops, nothing is mirrored.
    const observations = next.value.map((article) => ({
      goodsOwnerId: options.goodsOwnerId,
      articleSystemId: article.articleSystemId,
      article: requireOwnArticle(options.goodsOwnerId, article),
      observedAt,
      source: options.source,
    }));
    for (const article of next.value) seen.add(article.articleSystemId);
    const results = await options.mirror.applyMany(options.goodsOwnerId, observations);
    for (const result of results) counts[result.change] += 1;
    options.onPage?.({ page, articles: seen.size, counts });
  }
  return { counts, seen, pages: page };
}
