/**
 * The article mirror converges on Ongoing whatever the webhooks do: late, twice, out of order or never. The
 * scheduled reconcile heals what the webhooks missed; the full reconcile also finds articles gone from Ongoing.
 */
import { DeleteCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ReconcileSummary } from "../functions/article-reconcile/reconcile.ts";
import type { ReconcileWatermarks } from "../functions/article-reconcile/watermark.ts";
import type { ArticleMirror } from "../functions/article-sync/mirror.ts";
import type { EventType } from "../functions/shared/webhooks/routes.ts";
import { type OngoingSimulator, startOngoingSimulator } from "../simulators/ongoing/server.ts";
import { loginSecret } from "./support/env.ts";
import { type Harness, startHarness } from "./support/harness.ts";

const goodsOwnerId = 159;

let simulator: OngoingSimulator;
let harness: Harness;
let sync: Handler<SQSEvent, SQSBatchResponse>;
let reconcile: (event: unknown, context: Context) => Promise<{ summaries: ReconcileSummary[] }>;
let mirror: ArticleMirror;
let watermarks: ReconcileWatermarks;
let mirrorModule: typeof import("../functions/article-sync/mirror.ts");
let deleteItem: (articleSystemId: number) => Promise<unknown>;
let nextEventId = 1;
let nextArticleId = 500_000;

const lambdaContext = {
  getRemainingTimeInMillis: () => 600_000,
  functionName: "article-reconcile",
} as Context;

async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(new URL(path, simulator.adminUrl), {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`admin ${method} ${path}: ${response.status}`);
  return response.status === 204 ? undefined : response.json();
}

const createArticle = (fields: Record<string, unknown>) => {
  const articleSystemId = nextArticleId++;
  return admin("POST", "articles", { ...fields, articleSystemId, goodsOwner: { id: goodsOwnerId } }).then(
    () => articleSystemId,
  );
};

const webhook = (articleSystemId: number, webhookEventId = nextEventId++) => ({
  webhookEventId,
  goodsOwnerId,
  articleSystemId,
  timestamp: "2024-05-01T12:00:00.0000000",
});

/** The live mirror and Ongoing's articles, each as articleSystemId → mirrored data. */
async function mirrorView(): Promise<Record<number, unknown>> {
  const view: Record<number, unknown> = {};
  for await (const item of mirror.items(goodsOwnerId)) {
    if (!item.deleted) view[item.articleSystemId] = mirrorModule.storedData(item);
  }
  return view;
}
async function ongoingView(): Promise<Record<number, unknown>> {
  const articles = (await admin("GET", `articles?goodsOwnerId=${goodsOwnerId}`)) as Array<
    Record<string, unknown> & { articleSystemId: number }
  >;
  return Object.fromEntries(
    articles.map((article) => [article.articleSystemId, mirrorModule.articleData(article as never)]),
  );
}

async function clearMirror(): Promise<void> {
  for await (const item of mirror.items(goodsOwnerId)) await deleteItem(item.articleSystemId);
}

beforeAll(async () => {
  simulator = await startOngoingSimulator({ seed: false });
  harness = await startHarness({
    useCase: "article-sync",
    secrets: { "ongoing/credentials": loginSecret("demo") },
    env: {
      ONGOING_BASE_URL: simulator.baseUrl,
      ONGOING_CREDENTIALS_SECRET: "ongoing/credentials",
      RECONCILE_GOODS_OWNER_IDS: JSON.stringify([goodsOwnerId]),
    },
  });
  ({ handler: sync } = await import("../functions/article-sync/index.ts"));
  ({ handler: reconcile } = await import("../functions/article-reconcile/index.ts"));
  mirrorModule = await import("../functions/article-sync/mirror.ts");
  mirror = new mirrorModule.ArticleMirror({ tableName: harness.tables.articles });
  const { ReconcileWatermarks } = await import("../functions/article-reconcile/watermark.ts");
  watermarks = new ReconcileWatermarks(harness.tables.state);
  const { documentClient } = await import("../functions/shared/aws/dynamodb.ts");
  deleteItem = (articleSystemId) =>
    documentClient.send(
      new DeleteCommand({ TableName: harness.tables.articles, Key: { goodsOwnerId, articleSystemId } }),
    );
});

afterAll(async () => {
  await harness?.stop();
  await simulator?.stop();
});

beforeEach(async () => {
  simulator.state.reset();
  await clearMirror();
});

describe("article reconcile", () => {
  it("heals a dropped webhook from the articles changed since the last window, and moves the window on", async () => {
    const first = await createArticle({ articleNumber: "MISSED-1", articleName: "Never announced" });
    const before = Date.now();
    const { summaries } = await reconcile(
      { source: "aws.events", "detail-type": "Scheduled Event" },
      lambdaContext,
    );
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
    const next = await reconcile({}, lambdaContext);
    const summary = next.summaries[0] as ReconcileSummary;
    // The next window starts ten minutes before the last one's start (clock skew), so the first article is
    // seen again but written no more.
    expect(summary.from).toBe(
      new Date((watermark?.windowStart ?? 0) - 10 * 60_000).toISOString().replace("Z", ""),
    );
    expect(summary).toMatchObject({ examined: 2, reconciled: 1, counts: { unchanged: 1, created: 1 } });
    expect(await mirror.get(goodsOwnerId, second)).toMatchObject({ articleNumber: "MISSED-2" });
  });

  it("finds articles gone from Ongoing only in a full reconcile, and tombstones them", async () => {
    const kept = await createArticle({ articleNumber: "KEPT" });
    const gone = await createArticle({ articleNumber: "GONE" });
    await reconcile({ mode: "full", goodsOwnerId }, lambdaContext);
    await admin("DELETE", `articles/${gone}`);
    await reconcile({ mode: "incremental", goodsOwnerId }, lambdaContext);
    expect(await mirror.get(goodsOwnerId, gone)).not.toHaveProperty("deleted");
    const { summaries } = await reconcile({ mode: "full", goodsOwnerId }, lambdaContext);
    expect(summaries[0]).toMatchObject({ mode: "full", examined: 1, counts: { deleted: 1, unchanged: 1 } });
    expect(await mirror.get(goodsOwnerId, gone)).toMatchObject({ deleted: true });
    expect(await mirror.get(goodsOwnerId, kept)).toMatchObject({ articleNumber: "KEPT" });
  });

  it("restores, in the scheduled reconcile, an article a delete webhook tombstoned while Ongoing still has it", async () => {
    // Last changed long before any window, so the list of changed articles never brings it back.
    const longAgo = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
    const kept = nextArticleId++;
    const gone = nextArticleId++;
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
      await harness.send(webhook(articleSystemId), "article-created");
    }
    await harness.run(sync);
    await admin("DELETE", `articles/${gone}`);
    const fetchesBefore = simulator.state.callCounts().getArticle ?? 0;
    await harness.send(webhook(kept), "article-deleted");
    await harness.send(webhook(gone), "article-deleted");
    await harness.run(sync);
    expect(simulator.state.callCounts().getArticle ?? 0).toBe(fetchesBefore);
    expect(await mirror.get(goodsOwnerId, kept)).toMatchObject({ deleted: true });
    expect(await mirror.get(goodsOwnerId, gone)).toMatchObject({ deleted: true });

    const reconciledBefore = harness.metricCount("ArticlesReconciled", { goodsOwnerId: "159" });
    const { summaries } = await reconcile({}, lambdaContext);
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

  it("leaves tombstones it has no time for to the next run, keeping the watermark before them", async () => {
    const longAgo = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
    const kept = nextArticleId++;
    simulator.state.putArticle({
      articleSystemId: kept,
      articleNumber: "KEPT-FOR-LATER",
      goodsOwner: { id: goodsOwnerId },
      articleDataLastUpdated: longAgo,
    });
    await harness.send(webhook(kept), "article-created");
    await harness.run(sync);
    await harness.send(webhook(kept), "article-deleted");
    await harness.run(sync);
    const tombstone = await mirror.get(goodsOwnerId, kept);
    expect(tombstone).toMatchObject({ deleted: true });

    const short = { ...lambdaContext, getRemainingTimeInMillis: () => 30_000 } as Context;
    const { summaries } = await reconcile({}, short);
    expect(summaries).toEqual([expect.objectContaining({ tombstonesRechecked: 0 })]);
    expect(await mirror.get(goodsOwnerId, kept)).toMatchObject({ deleted: true });
    const watermark = await watermarks.get(goodsOwnerId);
    expect(watermark?.windowStart).toBeLessThanOrEqual(Date.parse(tombstone?.deletedAt ?? ""));

    await reconcile({}, lambdaContext);
    expect(await mirror.get(goodsOwnerId, kept)).not.toHaveProperty("deleted");
  });

  it("refuses a full reconcile without a goods owner", async () => {
    await expect(reconcile({ mode: "full" }, lambdaContext)).rejects.toThrow(/names its goods owner/);
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
              await harness.send(message.body, message.eventType);
            }
            if (due.length > 0) await harness.run(sync);
          }
          for (const message of pending.sort((a, b) => a.order - b.order)) {
            await harness.send(message.body, message.eventType);
          }
          await harness.run(sync);
          expect(await harness.deadLetters()).toEqual([]);
          // Before any reconcile, every article whose latest change was announced is already right.
          const [beforeMirror, beforeOngoing] = [await mirrorView(), await ongoingView()];
          for (const [articleSystemId, announced] of lastChangeAnnounced) {
            if (announced) expect(beforeMirror[articleSystemId]).toEqual(beforeOngoing[articleSystemId]);
          }
          await reconcile({ mode: "full", goodsOwnerId }, lambdaContext);
          expect(await mirrorView()).toEqual(await ongoingView());
        },
      ),
      { numRuns: 20 },
    );
  });
});
