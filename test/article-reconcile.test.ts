/**
 * The article mirror converges on Ongoing whatever the webhooks do: late, twice, out of order or never. The
 * scheduled reconcile heals what the webhooks missed; the full reconcile also finds articles gone from Ongoing.
 * This file: healing dropped webhooks, deletions and the convergence property; article-reconcile-units.test.ts:
 * each goods owner a unit of work, slices and checkpoints. The stack is in article-reconcile.support.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ReconcileSummary } from "../functions/article-reconcile/reconcile.ts";
import type { EventType } from "../functions/shared/contract/routes.ts";
import {
  admin,
  clearMirror,
  createArticle,
  deliver,
  goodsOwnerId,
  harness,
  mirror,
  mirrorModule,
  mirrorView,
  ongoingView,
  reconcile,
  simulator,
  sync,
  syncQueueUrl,
  takeArticleId,
  useArticleReconcileStack,
  watermarks,
  webhook,
} from "./article-reconcile.support.ts";

useArticleReconcileStack();

describe("article reconcile", () => {
  it("heals a dropped webhook from the articles changed since the last window, and moves the window on", async () => {
    const first = await createArticle({ articleNumber: "MISSED-1", articleName: "Never announced" });
    const before = Date.now();
    const { summaries } = await reconcile({ source: "aws.events", "detail-type": "Scheduled Event" });
    expect(summaries).toEqual([
      expect.objectContaining({ goodsOwnerId, mode: "incremental", examined: 1, reconciled: 1 }),
    ]);
    expect(await mirror.get(goodsOwnerId, first)).toMatchObject({
      articleNumber: "MISSED-1",
      syncedBy: { kind: "reconcile", eventType: "reconcile-incremental" },
    });
    const watermark = await watermarks.get(goodsOwnerId);
    expect(watermark?.windowStart).toBeGreaterThanOrEqual(before);
    expect(harness.metricCount("ArticlesReconciled", { goodsOwnerId: "159" })).toBeGreaterThanOrEqual(1);

    const second = await createArticle({ articleNumber: "MISSED-2" });
    const next = await reconcile({});
    const summary = next.summaries[0] as ReconcileSummary;
    // The next window starts ten minutes before the last one's start (clock skew), so the first article is
    // seen again but written no more.
    expect(summary.from).toBe(
      new Date((watermark?.windowStart ?? 0) - 10 * 60_000).toISOString().replace("Z", ""),
    );
    expect(summary).toMatchObject({ examined: 2, reconciled: 1, counts: { unchanged: 1, created: 1 } });
    expect(await mirror.get(goodsOwnerId, second)).toMatchObject({ articleNumber: "MISSED-2" });
    expect(await harness.deadLetters()).toEqual([]);
  });

  it("finds articles gone from Ongoing only in a full reconcile, and tombstones only those", async () => {
    const kept = await createArticle({ articleNumber: "KEPT" });
    const gone = await createArticle({ articleNumber: "GONE" });
    const last = await createArticle({ articleNumber: "LAST-GONE" });
    await reconcile({ mode: "full", goodsOwnerId });
    await admin("DELETE", `articles/${gone}`);
    await admin("DELETE", `articles/${last}`);
    await reconcile({ mode: "incremental", goodsOwnerId });
    expect(await mirror.get(goodsOwnerId, gone)).not.toHaveProperty("deleted");
    const { summaries } = await reconcile({ mode: "full", goodsOwnerId });
    // `last` lies past Ongoing's last page: the final, empty page's range reaches it.
    expect(summaries[0]).toMatchObject({
      mode: "full",
      examined: 1,
      unlisted: 0,
      counts: { deleted: 2, unchanged: 1 },
    });
    expect(await mirror.get(goodsOwnerId, gone)).toMatchObject({ deleted: true });
    expect(await mirror.get(goodsOwnerId, last)).toMatchObject({ deleted: true });
    expect(await mirror.get(goodsOwnerId, kept)).toMatchObject({ articleNumber: "KEPT" });
    // Each tombstone rests on Ongoing's own 404 for that article, asked by id.
    expect(simulator.state.callCounts().getArticle).toBe(2);
  });

  it("keeps an article Ongoing's list leaves out while Ongoing still serves it, and counts it as unlisted", async () => {
    await createArticle({ articleNumber: "LISTED-1" });
    const hidden = await createArticle({ articleNumber: "LEFT-OUT" });
    await createArticle({ articleNumber: "LISTED-2" });
    await reconcile({ mode: "full", goodsOwnerId });
    // A list that skips one article, as an unexpected paging order would.
    const original = simulator.state.articleIdsOf.bind(simulator.state);
    simulator.state.articleIdsOf = (owner) => original(owner).filter((id) => id !== hidden);
    try {
      const { summaries } = await reconcile({ mode: "full", goodsOwnerId });
      expect(summaries[0]).toMatchObject({ examined: 2, unlisted: 1, counts: { deleted: 0 } });
    } finally {
      simulator.state.articleIdsOf = original;
    }
    expect(await mirror.get(goodsOwnerId, hidden)).toMatchObject({ articleNumber: "LEFT-OUT" });
    expect(await mirror.get(goodsOwnerId, hidden)).not.toHaveProperty("deleted");
  });

  it("restores, in the scheduled reconcile, an article a delete webhook tombstoned while Ongoing still has it", async () => {
    // Last changed long before any window, so the list of changed articles never brings it back.
    const longAgo = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
    const kept = takeArticleId();
    const gone = takeArticleId();
    for (const [articleSystemId, articleNumber] of [
      [kept, "STILL-IN-ONGOING"],
      [gone, "REALLY-GONE"],
    ] as const) {
      simulator.state.putArticle({
        articleSystemId,
        articleNumber,
        articleName: `Article ${articleNumber}`,
        goodsOwner: { id: goodsOwnerId },
        articleDataLastUpdated: longAgo,
      });
      await deliver([webhook(articleSystemId), "article-created"]);
    }
    await admin("DELETE", `articles/${gone}`);
    const fetchesBefore = simulator.state.callCounts().getArticle ?? 0;
    await deliver([webhook(kept), "article-deleted"], [webhook(gone), "article-deleted"]);
    expect(simulator.state.callCounts().getArticle ?? 0).toBe(fetchesBefore);
    expect(await mirror.get(goodsOwnerId, kept)).toMatchObject({ deleted: true });
    expect(await mirror.get(goodsOwnerId, gone)).toMatchObject({ deleted: true });

    const reconciledBefore = harness.metricCount("ArticlesReconciled", { goodsOwnerId: "159" });
    const { summaries } = await reconcile({});
    expect(summaries).toEqual([
      expect.objectContaining({
        mode: "incremental",
        examined: 0,
        tombstonesRechecked: 2,
        reconciled: 1,
        counts: expect.objectContaining({ created: 1, unchanged: 1, deleted: 0 }),
      }),
    ]);
    const restored = await mirror.get(goodsOwnerId, kept);
    expect(restored).not.toHaveProperty("deleted");
    expect(restored).toMatchObject({ syncedBy: { kind: "reconcile", eventType: "reconcile-incremental" } });
    const ongoing = await ongoingView();
    expect(mirrorModule.storedData(restored)).toEqual(ongoing[kept]);
    expect(await mirror.get(goodsOwnerId, gone)).toMatchObject({ deleted: true });
    expect(await mirrorView()).toEqual(ongoing);
    expect(harness.metricCount("ArticlesReconciled", { goodsOwnerId: "159" }) - reconciledBefore).toBe(1);
  });
});

const text = fc.string({ maxLength: 10 });
const articleFields = fc.record(
  {
    articleNumber: text,
    articleName: fc.option(text, { nil: null }),
    description: fc.option(text, { nil: null }),
    isActive: fc.boolean(),
    weight: fc.option(
      fc.integer({ min: 0, max: 100_000 }).map((grams) => grams / 1000),
      { nil: null },
    ),
    barCodeInfo: fc.option(fc.record({ barCode: text }, { requiredKeys: [] }), { nil: null }),
    articleGroup: fc.option(fc.record({ code: text, name: text }), { nil: null }),
  },
  { requiredKeys: [] },
);

/** One change in Ongoing; `target` picks among the articles that exist at that moment. */
const change = fc.oneof(
  fc.record({ kind: fc.constant("create" as const), fields: articleFields }),
  fc.record({ kind: fc.constant("update" as const), target: fc.nat(), fields: articleFields }),
  fc.record({ kind: fc.constant("delete" as const), target: fc.nat() }),
);

/**
 * How each change's webhook is delivered: no delays = dropped, several = duplicated; a delay is how many later
 * changes happen before it arrives; `order` shuffles the deliveries that arrive together.
 */
const delivery = fc.array(fc.record({ delay: fc.nat({ max: 3 }), order: fc.nat() }), { maxLength: 3 });

describe("convergence (property)", () => {
  it("the mirror equals Ongoing after any webhook history and a reconcile", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(change, delivery), { minLength: 1, maxLength: 8 }),
        async (history) => {
          simulator.state.reset();
          await clearMirror();
          const live: number[] = [];
          /** Per article: was the webhook of its latest change delivered at least once? */
          const lastChangeAnnounced = new Map<number, boolean>();
          const pending: Array<{ step: number; order: number; eventType: EventType; body: unknown }> = [];
          for (const [step, [next, deliveries]] of history.entries()) {
            let eventType: EventType;
            let articleSystemId: number;
            if (next.kind === "create" || live.length === 0) {
              articleSystemId = await createArticle("fields" in next ? next.fields : {});
              live.push(articleSystemId);
              eventType = "article-created";
            } else {
              const index = next.target % live.length;
              articleSystemId = live[index] as number;
              if (next.kind === "update") {
                await admin("PATCH", `articles/${articleSystemId}`, next.fields);
                eventType = "article-updated";
              } else {
                await admin("DELETE", `articles/${articleSystemId}`);
                live.splice(index, 1);
                eventType = "article-deleted";
              }
            }
            const body = webhook(articleSystemId);
            lastChangeAnnounced.set(articleSystemId, deliveries.length > 0);
            for (const { delay, order } of deliveries)
              pending.push({ step: step + delay, order, eventType, body });
            const due = pending.filter((message) => message.step <= step).sort((a, b) => a.order - b.order);
            for (const message of due) {
              pending.splice(pending.indexOf(message), 1);
              await harness.send(message.body, message.eventType, {}, syncQueueUrl);
            }
            if (due.length > 0) await harness.run(sync, { queueUrl: syncQueueUrl });
          }
          for (const message of pending.sort((a, b) => a.order - b.order)) {
            await harness.send(message.body, message.eventType, {}, syncQueueUrl);
          }
          await harness.run(sync, { queueUrl: syncQueueUrl });
          expect(await harness.deadLetters()).toEqual([]);
          // Before any reconcile, every article whose latest change was announced is already right.
          const [beforeMirror, beforeOngoing] = [await mirrorView(), await ongoingView()];
          for (const [articleSystemId, announced] of lastChangeAnnounced) {
            if (announced) expect(beforeMirror[articleSystemId]).toEqual(beforeOngoing[articleSystemId]);
          }
          await reconcile({ mode: "full", goodsOwnerId });
          expect(await mirrorView()).toEqual(await ongoingView());
        },
      ),
      { numRuns: 20 },
    );
    // Twenty histories, each reconciled through the queue and the worker: longer than one test's default.
  }, 180_000);
});
