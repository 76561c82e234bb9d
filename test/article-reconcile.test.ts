/**
 * The article mirror converges on Ongoing whatever the webhooks do: late, twice, out of order or never. The
 * scheduled reconcile heals what the webhooks missed; the full reconcile also finds articles gone from Ongoing.
 * Each goods owner is a unit of work of its own (the dispatcher queues it, the worker runs it), and a unit that
 * nears its time limit saves its place and continues in the next slice.
 */
import { DeleteCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ReconcileCheckpoints } from "../functions/article-reconcile/checkpoints.ts";
import type { DispatchAnswer } from "../functions/article-reconcile/index.ts";
import type { ReconcileSummary } from "../functions/article-reconcile/reconcile.ts";
import type { ReconcileWatermarks } from "../functions/article-reconcile/watermark.ts";
import type { ArticleMirror } from "../functions/shared/articles/mirror.ts";
import type { EventType } from "../functions/shared/contract/routes.ts";
import { type OngoingSimulator, startOngoingSimulator } from "../simulators/ongoing/server.ts";
import { loginSecret } from "./support/env.ts";
import { type Harness, startHarness } from "./support/harness.ts";

const goodsOwnerId = 159;
const otherGoodsOwnerId = 160;
/** Small pages, so a handful of articles makes several pages (and checkpoints). */
const pageSize = 2;

let simulator: OngoingSimulator;
let harness: Harness;
let syncQueueUrl: string;
let sync: Handler<SQSEvent, SQSBatchResponse>;
let dispatch: (event: unknown, context: Context) => Promise<DispatchAnswer>;
let worker: Handler<SQSEvent, SQSBatchResponse>;
let summaryOf: typeof import("../functions/article-reconcile/reconcile.ts").summaryOf;
let mirror: ArticleMirror;
let watermarks: ReconcileWatermarks;
let checkpoints: ReconcileCheckpoints;
let mirrorModule: typeof import("../functions/shared/articles/mirror.ts");
let deleteItem: (articleSystemId: number, owner?: number) => Promise<unknown>;
let nextEventId = 1;
let nextArticleId = 500_000;

const lambdaContext = {
  getRemainingTimeInMillis: () => 60_000,
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

const createArticle = (fields: Record<string, unknown>, owner = goodsOwnerId) => {
  const articleSystemId = nextArticleId++;
  return admin("POST", "articles", { ...fields, articleSystemId, goodsOwner: { id: owner } }).then(
    () => articleSystemId,
  );
};

const webhook = (articleSystemId: number, webhookEventId = nextEventId++) => ({
  webhookEventId,
  goodsOwnerId,
  articleSystemId,
  timestamp: "2024-05-01T12:00:00.0000000",
});

/** Sends article webhooks to the article-sync queue and runs its consumer until the queue is drained. */
async function deliver(...webhooks: [ReturnType<typeof webhook>, EventType][]): Promise<void> {
  for (const [body, eventType] of webhooks) await harness.send(body, eventType, {}, syncQueueUrl);
  await harness.run(sync, { queueUrl: syncQueueUrl });
}

/**
 * Runs the reconcile as deployed: the dispatcher queues a unit per goods owner and the worker consumes them, each
 * invocation with `functionTimeoutMs` (below the worker's one-minute reserve, every slice does one page).
 * Resolves with the runs the dispatcher queued, as their summaries.
 */
async function reconcile(
  event: unknown = {},
  options: { functionTimeoutMs?: number } = {},
): Promise<{ answer: DispatchAnswer; summaries: ReconcileSummary[] }> {
  const answer = await dispatch(event, lambdaContext);
  await harness.run(worker, { batchSize: 1, functionTimeoutMs: options.functionTimeoutMs ?? 600_000 });
  const summaries: ReconcileSummary[] = [];
  for (const id of answer.goodsOwnerIds) {
    const run = await checkpoints.get(id, answer.mode);
    if (run?.runId === answer.runId) summaries.push(summaryOf(run));
  }
  return { answer, summaries };
}

/** The live mirror and Ongoing's articles, each as articleSystemId → mirrored data. */
async function mirrorView(owner = goodsOwnerId): Promise<Record<number, unknown>> {
  const view: Record<number, unknown> = {};
  for await (const item of mirror.items(owner)) {
    if (!item.deleted) view[item.articleSystemId] = mirrorModule.storedData(item);
  }
  return view;
}
async function ongoingView(owner = goodsOwnerId): Promise<Record<number, unknown>> {
  const articles = (await admin("GET", `articles?goodsOwnerId=${owner}`)) as Array<
    Record<string, unknown> & { articleSystemId: number }
  >;
  return Object.fromEntries(
    articles.map((article) => [article.articleSystemId, mirrorModule.articleData(article as never)]),
  );
}

async function clearMirror(): Promise<void> {
  for (const owner of [goodsOwnerId, otherGoodsOwnerId]) {
    for await (const item of mirror.items(owner)) await deleteItem(item.articleSystemId, owner);
  }
}

beforeAll(async () => {
  simulator = await startOngoingSimulator({ seed: false });
  harness = await startHarness({
    useCase: "article-reconcile",
    secrets: { "ongoing/credentials": loginSecret("demo"), "ongoing/other": loginSecret("other") },
    env: {
      ONGOING_BASE_URL: simulator.baseUrl,
      ONGOING_CREDENTIALS_SECRET: "ongoing/credentials",
      ONGOING_MAX_ATTEMPTS: "2",
      GOODS_OWNERS: JSON.stringify({ [otherGoodsOwnerId]: { credentialsSecretName: "ongoing/other" } }),
      RECONCILE_GOODS_OWNER_IDS: JSON.stringify([goodsOwnerId]),
      RECONCILE_PAGE_SIZE: String(pageSize),
    },
  });
  // Both consumers share the harness's dead-letter queue (the pipeline dead-letters to DEAD_LETTER_QUEUE_URL).
  ({ queueUrl: syncQueueUrl } = await harness.addQueue("article-sync"));
  vi.stubEnv("RECONCILE_QUEUE_URL", harness.queueUrl);
  ({ handler: sync } = await import("../functions/article-sync/index.ts"));
  ({ handler: dispatch } = await import("../functions/article-reconcile/index.ts"));
  ({ handler: worker } = await import("../functions/article-reconcile/worker.ts"));
  ({ summaryOf } = await import("../functions/article-reconcile/reconcile.ts"));
  mirrorModule = await import("../functions/shared/articles/mirror.ts");
  mirror = new mirrorModule.ArticleMirror({ tableName: harness.tables.articles });
  const { ReconcileWatermarks } = await import("../functions/article-reconcile/watermark.ts");
  watermarks = new ReconcileWatermarks(harness.tables.state);
  const { ReconcileCheckpoints } = await import("../functions/article-reconcile/checkpoints.ts");
  checkpoints = new ReconcileCheckpoints(harness.tables.state);
  const { documentClient } = await import("../functions/shared/aws/dynamodb.ts");
  deleteItem = (articleSystemId, owner = goodsOwnerId) =>
    documentClient.send(
      new DeleteCommand({
        TableName: harness.tables.articles,
        Key: { goodsOwnerId: owner, articleSystemId },
      }),
    );
});

afterAll(async () => {
  await harness?.stop();
  await simulator?.stop();
});

beforeEach(async () => {
  simulator.state.reset();
  harness.secrets.put("ongoing/other", loginSecret("other"));
  await clearMirror();
  await harness.deadLetters();
});

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

  it("stops near the time limit after each page and continues from its checkpoint, asking for no page twice", async () => {
    const ids = [];
    for (let index = 0; index < 5; index++)
      ids.push(await createArticle({ articleNumber: `PAGED-${index}` }));
    const stale = nextArticleId++;
    await mirror.apply({
      goodsOwnerId,
      articleSystemId: stale,
      article: { articleSystemId: stale, articleNumber: "NOT-IN-ONGOING" } as never,
      observedAt: Date.now() - 60_000,
      source: { kind: "backfill" },
    });
    // 30 s left is below the worker's one-minute reserve: every slice does its one page, saves it and continues.
    const { summaries } = await reconcile({ mode: "full", goodsOwnerId }, { functionTimeoutMs: 30_000 });
    expect(summaries).toEqual([
      expect.objectContaining({
        examined: 5,
        pages: 4,
        slices: 4,
        counts: expect.objectContaining({ created: 5, deleted: 1 }),
      }),
    ]);
    // Pages of 2, 2, 1 and the empty one: each asked once, though four invocations shared the run.
    expect(simulator.state.callCounts().listArticles).toBe(4);
    expect(await mirrorView()).toEqual(await ongoingView());
    expect(await mirror.get(goodsOwnerId, stale)).toMatchObject({ deleted: true });
    expect(await harness.deadLetters()).toEqual([]);
    expect(harness.metricCount("ArticlesCreated", { goodsOwnerId: "159" })).toBeGreaterThanOrEqual(5);
  });

  it("resumes after a slice that failed midway from the last saved page, not from the start", async () => {
    for (let index = 0; index < 5; index++) await createArticle({ articleNumber: `RESUMED-${index}` });
    // The second page fails both attempts the client makes: the slice fails, and SQS hands the unit back.
    let listed = 0;
    const original = simulator.state.takeFault.bind(simulator.state);
    simulator.state.takeFault = (method, path) => {
      if (path === "/articles") listed += 1;
      if (path === "/articles" && (listed === 2 || listed === 3)) return { id: 0, status: 503 };
      return original(method, path);
    };
    try {
      const { summaries } = await reconcile({ mode: "full", goodsOwnerId });
      expect(summaries).toEqual([expect.objectContaining({ examined: 5, pages: 4, slices: 2 })]);
    } finally {
      simulator.state.takeFault = original;
    }
    // Four pages and the two failed attempts at the second: the first page was not asked for again.
    expect(listed).toBe(6);
    expect(await mirrorView()).toEqual(await ongoingView());
    expect(await harness.deadLetters()).toEqual([]);
  });

  it("runs a goods owner once for a repeated message, and continues a run a lost continuation left unfinished", async () => {
    for (let index = 0; index < 3; index++) await createArticle({ articleNumber: `ONCE-${index}` });
    const { answer } = await reconcile({ mode: "full", goodsOwnerId });
    const calls = simulator.state.callCounts().listArticles;
    // The same message again (SQS delivers at least once): the run has finished, nothing is asked of Ongoing.
    await harness.send({ goodsOwnerId, mode: "full", runId: answer.runId }, "reconcile-full");
    await harness.run(worker, { batchSize: 1, functionTimeoutMs: 600_000 });
    expect(simulator.state.callCounts().listArticles).toBe(calls);
    expect(harness.metricCount("Skipped")).toBeGreaterThanOrEqual(1);

    // A run stopped after its first page whose continuation never arrived: the next run's message continues it.
    const { ReconcileCheckpoints } = await import("../functions/article-reconcile/checkpoints.ts");
    const { startRun } = await import("../functions/article-reconcile/reconcile.ts");
    const stuck = {
      ...(await startRun(
        { mirror, watermarks, clientFor: () => ({}) as never },
        {
          goodsOwnerId,
          mode: "full",
          runId: "stuck-run",
        },
      )),
      cursor: nextArticleId - 1,
      pages: 1,
      slices: 1,
      examined: 2,
    };
    const store = new ReconcileCheckpoints(harness.tables.state);
    await store.claim(goodsOwnerId, "full", { owner: "crashed", until: Date.now() - 1, now: Date.now() });
    await store.save(stuck, { owner: "crashed", until: Date.now() - 1 }, { release: true });
    simulator.state.clearCalls();
    const { summaries } = await reconcile({ mode: "full", goodsOwnerId });
    expect(summaries).toEqual([]);
    const continued = await checkpoints.get(goodsOwnerId, "full");
    expect(continued).toMatchObject({ runId: "stuck-run", phase: "done", slices: 2, examined: 3 });
    // Only the last article and the empty page after it.
    expect(simulator.state.callCounts().listArticles).toBe(2);
  });

  it("skips a continuation queued before another message took its run over, but not its own retry", async () => {
    for (let index = 0; index < 6; index++) await createArticle({ articleNumber: `CHAIN-${index}` });
    const { reconcileUnit } = await import("../functions/article-reconcile/unit.ts");
    const { ongoingClientFor } = await import("../functions/shared/ongoing/client.ts");
    const dependencies = { mirror, watermarks, checkpoints, clientFor: ongoingClientFor, pageSize };
    const queued: unknown[] = [];
    const slice = (owner: string, message: Record<string, unknown>) =>
      reconcileUnit(
        dependencies,
        { goodsOwnerId, mode: "full", runId: "chain", ...message },
        {
          owner,
          // Below the one-minute reserve: one page per slice.
          remainingTimeMs: () => 30_000,
          continueLater: async (next) => {
            queued.push(next);
          },
        },
      );
    // Slice 1 queues slice 2; before that arrives, a schedule tick's message takes the unfinished run over.
    expect(await slice("first", {})).toMatchObject({ status: "continued" });
    expect(await slice("tick", { runId: "next-run" })).toMatchObject({ status: "continued" });
    expect(queued).toEqual([
      expect.objectContaining({ runId: "chain", slice: 2 }),
      expect.objectContaining({ runId: "chain", slice: 3 }),
    ]);
    expect(await slice("stale", { slice: 2 })).toMatchObject({ status: "skipped", reason: /taken over/ });
    expect(await slice("third", { slice: 3 })).toMatchObject({ status: "continued" });
    // Its own retry (say sending slice 4 failed) goes on from the saved place; the queued slice 4 then stops.
    expect(await slice("third", { slice: 3 })).toMatchObject({ status: "finished" });
    expect(await slice("fourth", { slice: 4 })).toMatchObject({ status: "skipped" });
    expect(await checkpoints.get(goodsOwnerId, "full")).toMatchObject({
      runId: "chain",
      phase: "done",
      examined: 6,
      pages: 4,
    });
    expect(simulator.state.callCounts().listArticles).toBe(4);
  });

  it("lets one goods owner fail without stopping or repeating the others", async () => {
    await createArticle({ articleNumber: "OWNER-159" });
    await createArticle({ articleNumber: "OWNER-160" }, otherGoodsOwnerId);
    harness.secrets.put("ongoing/other", loginSecret("other", "wrong-password"));
    const { answer, summaries } = await reconcile({
      mode: "full",
      goodsOwnerIds: [otherGoodsOwnerId, goodsOwnerId],
    });
    expect(answer.goodsOwnerIds).toEqual([otherGoodsOwnerId, goodsOwnerId]);
    // Goods owner 160 is queued first and fails; 159 runs all the same.
    expect(summaries).toEqual([expect.objectContaining({ goodsOwnerId, examined: 1, reconciled: 1 })]);
    const letters = await harness.deadLetters();
    expect(letters).toHaveLength(1);
    expect(JSON.parse(letters[0]?.body ?? "{}")).toMatchObject({ goodsOwnerId: otherGoodsOwnerId });
    expect(letters[0]?.attributes).toMatchObject({ useCase: "article-reconcile", failureClass: "permanent" });
    expect(await mirrorView(otherGoodsOwnerId)).toEqual({});

    // Fixed and redriven: 160 runs; 159's finished run is not repeated.
    harness.secrets.put("ongoing/other", loginSecret("other"));
    simulator.state.clearCalls();
    await harness.send(JSON.parse(letters[0]?.body ?? "{}"), "reconcile-full");
    await harness.run(worker, { batchSize: 1, functionTimeoutMs: 600_000 });
    expect(await mirrorView(otherGoodsOwnerId)).toEqual(await ongoingView(otherGoodsOwnerId));
    // 160's two pages, and one 401 to the login the client still held before it read the secret again.
    expect(simulator.state.callCounts().listArticles).toBe(3);
    expect(await checkpoints.get(goodsOwnerId, "full")).toMatchObject({ runId: answer.runId, slices: 1 });
  });

  it("queues a full reconcile of every configured goods owner when none is named", async () => {
    const { answer } = await reconcile({ mode: "full" });
    expect(answer).toMatchObject({ mode: "full", goodsOwnerIds: [goodsOwnerId] });
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
