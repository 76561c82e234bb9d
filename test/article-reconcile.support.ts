/**
 * The article reconcile's test stack, shared by the article-reconcile test files: the Ongoing simulator, the
 * article-sync consumer and the reconcile's dispatcher and worker over local SQS and DynamoDB, with helpers to
 * create articles, deliver webhooks, run the reconcile and compare the mirror with Ongoing.
 */
import { DeleteCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, vi } from "vitest";
import type { ReconcileCheckpoints } from "../functions/article-reconcile/checkpoints.ts";
import type { DispatchAnswer } from "../functions/article-reconcile/index.ts";
import type { ReconcileSummary } from "../functions/article-reconcile/reconcile.ts";
import type { ReconcileWatermarks } from "../functions/article-reconcile/watermark.ts";
import type { ArticleMirror } from "../functions/shared/articles/mirror.ts";
import type { EventType } from "../functions/shared/contract/routes.ts";
import { type OngoingSimulator, startOngoingSimulator } from "../simulators/ongoing/server.ts";
import { loginSecret } from "./support/env.ts";
import { type Harness, startHarness } from "./support/harness.ts";

export const goodsOwnerId = 159;
export const otherGoodsOwnerId = 160;
/** Small pages, so a handful of articles makes several pages (and checkpoints). */
export const pageSize = 2;

export let simulator: OngoingSimulator;
export let harness: Harness;
export let syncQueueUrl: string;
export let sync: Handler<SQSEvent, SQSBatchResponse>;
export let dispatch: (event: unknown, context: Context) => Promise<DispatchAnswer>;
export let worker: Handler<SQSEvent, SQSBatchResponse>;
export let summaryOf: typeof import("../functions/article-reconcile/reconcile.ts").summaryOf;
export let mirror: ArticleMirror;
export let watermarks: ReconcileWatermarks;
export let checkpoints: ReconcileCheckpoints;
export let mirrorModule: typeof import("../functions/shared/articles/mirror.ts");
export let deleteItem: (articleSystemId: number, owner?: number) => Promise<unknown>;
export let nextEventId = 1;
export let nextArticleId = 500_000;

/** A fresh article id (ids are never reused within a file). */
export const takeArticleId = () => nextArticleId++;

export const lambdaContext = {
  getRemainingTimeInMillis: () => 60_000,
  functionName: "article-reconcile",
} as Context;

export async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(new URL(path, simulator.adminUrl), {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`admin ${method} ${path}: ${response.status}`);
  return response.status === 204 ? undefined : response.json();
}

export const createArticle = (fields: Record<string, unknown>, owner = goodsOwnerId) => {
  const articleSystemId = nextArticleId++;
  return admin("POST", "articles", { ...fields, articleSystemId, goodsOwner: { id: owner } }).then(
    () => articleSystemId,
  );
};

export const webhook = (articleSystemId: number, webhookEventId = nextEventId++) => ({
  webhookEventId,
  goodsOwnerId,
  articleSystemId,
  timestamp: "2024-05-01T12:00:00.0000000",
});

/** Sends article webhooks to the article-sync queue and runs its consumer until the queue is drained. */
export async function deliver(...webhooks: [ReturnType<typeof webhook>, EventType][]): Promise<void> {
  for (const [body, eventType] of webhooks) await harness.send(body, eventType, {}, syncQueueUrl);
  await harness.run(sync, { queueUrl: syncQueueUrl });
}

/**
 * Runs the reconcile as deployed: the dispatcher queues a unit per goods owner and the worker consumes them, each
 * invocation with `functionTimeoutMs` (below the worker's one-minute reserve, every slice does one page).
 * Resolves with the runs the dispatcher queued, as their summaries.
 */
export async function reconcile(
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
export async function mirrorView(owner = goodsOwnerId): Promise<Record<number, unknown>> {
  const view: Record<number, unknown> = {};
  for await (const item of mirror.items(owner)) {
    if (!item.deleted) view[item.articleSystemId] = mirrorModule.storedData(item);
  }
  return view;
}
export async function ongoingView(owner = goodsOwnerId): Promise<Record<number, unknown>> {
  const articles = (await admin("GET", `articles?goodsOwnerId=${owner}`)) as Array<
    Record<string, unknown> & { articleSystemId: number }
  >;
  return Object.fromEntries(
    articles.map((article) => [article.articleSystemId, mirrorModule.articleData(article as never)]),
  );
}

export async function clearMirror(): Promise<void> {
  for (const owner of [goodsOwnerId, otherGoodsOwnerId]) {
    for await (const item of mirror.items(owner)) await deleteItem(item.articleSystemId, owner);
  }
}

/**
 * The stack of one test file: up before its tests, down after; each test starts from an empty mirror. With
 * `breaker`, the worker is behind Ongoing's circuit breaker in the state table (2 failures open it, 1 s probe).
 */
export function useArticleReconcileStack(options: { breaker?: boolean } = {}): void {
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
    if (options.breaker) {
      vi.stubEnv("BREAKER_TABLE_NAME", harness.tables.state);
      vi.stubEnv("BREAKER_FAILURE_THRESHOLD", "2");
      vi.stubEnv("BREAKER_PROBE_INTERVAL_SECONDS", "1");
    }
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
}
