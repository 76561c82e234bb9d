/**
 * The reconcile at catalogue scale (`npm run bench -- --only reconcile`): a simulated catalogue of
 * `goodsOwners × articlesPerGoodsOwner` articles at a set Ongoing latency, reconciled as deployed (the dispatcher
 * queues a unit per goods owner, the worker consumes them `maxConcurrency` at a time with the configured page
 * size and a 15-minute time-out). Three runs: a full one into an empty mirror, an incremental one after 1 % of
 * the articles changed without a webhook, and a full one after 0.1 % were deleted without one. Per run: time,
 * Ongoing calls, DynamoDB requests and items, units, slices, and whether any unit came near its time limit.
 *
 * The worker runs in this process beside DynamoDB (dynalite) and SQS (fauxqs); Ongoing runs in its own process.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { inPool, OngoingAdmin, startOngoingProcess, totalCalls } from "../devkit/ongoing.ts";
import { createStackTables, localCredentials } from "../devkit/tables.ts";
import type { ReconcileRun } from "../functions/article-reconcile/checkpoints.ts";
import type { DispatchAnswer } from "../functions/article-reconcile/index.ts";
import { startDynamoDb, startSqs } from "../local/emulators.ts";
import { startSqsPoller } from "../local/sqs-poller.ts";
import { startSecretsManager } from "../simulators/secrets-manager/server.ts";
import { countDynamoDb, type DynamoDbUse } from "./dynamodb-use.ts";
export interface ReconcileBenchOptions {
  readonly goodsOwners: number;
  readonly articlesPerGoodsOwner: number;
  readonly latencyMs: number;
  /** Units at once (the worker's event-source maximum concurrency). @default 2, the configuration's default */
  readonly maxConcurrency?: number;
  /** @default 500, the configuration's default */
  readonly pageSize?: number;
  /** The worker's time-out. @default 900 s, the configuration's default */
  readonly timeoutSeconds?: number;
}

/** DynamoDB as the runs used it, per table: requests, and items read or written. */
export type { DynamoDbUse } from "./dynamodb-use.ts";

export interface ReconcileRunFigures {
  readonly mode: "full" | "incremental";
  /** What changed in Ongoing before the run, without a webhook. */
  readonly before: string;
  readonly seconds: number;
  readonly articlesPerSecond: number;
  readonly ongoingCalls: number;
  readonly ongoingCallsByOperation: Record<string, number>;
  readonly dynamoDb: { articles: DynamoDbUse; state: DynamoDbUse };
  readonly units: number;
  readonly slices: number;
  readonly pages: number;
  readonly examined: number;
  readonly counts: Record<string, number>;
  /** The longest invocation of the worker, and its share of the time-out. */
  readonly longestInvocationSeconds: number;
  readonly longestInvocationPercentOfTimeout: number;
  /** A unit stopped to continue in another slice (it came within the reserve of its time-out). */
  readonly nearTimeLimit: boolean;
  readonly deadLettered: number;
}

export interface ReconcileBenchResult {
  readonly articles: number;
  readonly goodsOwners: number;
  readonly latencyMs: number;
  readonly pageSize: number;
  readonly maxConcurrency: number;
  readonly timeoutSeconds: number;
  readonly runs: ReconcileRunFigures[];
  /** The first run's, for the summary line: the full run into an empty mirror. */
  readonly seconds: number;
  readonly ongoingCalls: number;
}

const region = "eu-west-1";
const firstGoodsOwnerId = 1001;
const firstArticleId = 1_000_000;
/** Articles per goods owner's id block (ids never overlap across goods owners). */
const idBlock = 1_000_000;

/** Drops the worker's log lines and metrics (JSON on stdout), which would bury the figures; returns the undo. */
function muteJsonOnStdout(): () => Promise<void> {
  const write = process.stdout.write;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : "";
    if (text.startsWith("{")) return true;
    return (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  return async () => {
    process.stdout.write = write;
  };
}

interface ReconcileSetup {
  goodsOwnerIds: number[];
  users: { username: string; password: string; goodsOwnerId: number }[];
  pageSize: number;
  maxConcurrency: number;
  timeoutSeconds: number;
  /** What stops what was started, in the order started. */
  stoppers: (() => Promise<unknown>)[];
}

/** Ongoing (a process of its own), DynamoDB, SQS, Secrets Manager and the reconcile's queues, as the stack has them. */
async function startServices(setup: ReconcileSetup) {
  const { users, stoppers } = setup;
  const ongoing = await startOngoingProcess({ users });
  stoppers.push(() => ongoing.stop());
  const dynamoDb = await startDynamoDb();
  stoppers.push(() => dynamoDb.stop());
  const sqsEmulator = await startSqs();
  stoppers.push(() => sqsEmulator.stop());
  const secrets = await startSecretsManager(
    Object.fromEntries(
      users.map((user) => [
        `ongoing/${user.goodsOwnerId}`,
        JSON.stringify({ username: user.username, password: user.password }),
      ]),
    ),
  );
  stoppers.push(() => secrets.stop());
  const tables = await createStackTables(dynamoDb.endpoint, "bench-reconcile");
  const sqs = new SQSClient({ region, endpoint: sqsEmulator.endpoint, credentials: localCredentials });
  stoppers.push(async () => sqs.destroy());
  const queue = async (name: string, attributes: Record<string, string>) =>
    String((await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl);
  const deadLetterUrl = await queue("article-reconcile-dlq", {});
  const deadLetterArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterUrl, AttributeNames: ["QueueArn"] }))
  ).Attributes?.QueueArn;
  const queueUrl = await queue("article-reconcile", {
    // As the stack sets it: six times the worker's time-out.
    VisibilityTimeout: String(setup.timeoutSeconds * 6),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: 5 }),
  });
  const endpoints = { dynamoDb: dynamoDb.endpoint, sqs: sqsEmulator.endpoint, secrets: secrets.endpoint };
  return {
    ongoing,
    admin: new OngoingAdmin(ongoing.adminUrl),
    tables,
    sqs,
    deadLetterUrl,
    queueUrl,
    endpoints,
  };
}

type Services = Awaited<ReturnType<typeof startServices>>;

/** The reconcile's dispatcher and worker with the functions' settings as the stack writes them (settings.ts). */
async function loadFunctions(setup: ReconcileSetup, services: Services) {
  const { goodsOwnerIds } = setup;
  Object.assign(process.env, {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: services.endpoints.dynamoDb,
    AWS_ENDPOINT_URL_SQS: services.endpoints.sqs,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: services.endpoints.secrets,
    USE_CASE: "article-reconcile",
    DEAD_LETTER_QUEUE_URL: services.deadLetterUrl,
    MAX_RECEIVE_COUNT: "5",
    STATE_TABLE_NAME: services.tables.state,
    ARTICLES_TABLE_NAME: services.tables.articles,
    ONGOING_BASE_URL: services.ongoing.baseUrl,
    GOODS_OWNERS: JSON.stringify(
      Object.fromEntries(goodsOwnerIds.map((id) => [id, { credentialsSecretName: `ongoing/${id}` }])),
    ),
    RECONCILE_GOODS_OWNER_IDS: JSON.stringify(goodsOwnerIds),
    RECONCILE_QUEUE_URL: services.queueUrl,
    RECONCILE_PAGE_SIZE: String(setup.pageSize),
  });
  // Imported now: the AWS clients read their endpoints when first loaded.
  const { dynamoDbClient } = await import("../functions/shared/aws/dynamodb.ts");
  const { handler: dispatch } = (await import("../functions/article-reconcile/index.ts")) as {
    handler: (event: unknown, context: Context) => Promise<DispatchAnswer>;
  };
  const { handler: worker } = (await import("../functions/article-reconcile/worker.ts")) as {
    handler: Handler<SQSEvent, SQSBatchResponse>;
  };
  const { ReconcileCheckpoints } = await import("../functions/article-reconcile/checkpoints.ts");
  const checkpoints = new ReconcileCheckpoints(services.tables.state);
  const dynamo = countDynamoDb(dynamoDbClient, services.tables);
  return { dispatch, worker, checkpoints, dynamo };
}

/** The worker under the local SQS event source, timing its longest invocation. */
async function startWorker(
  setup: ReconcileSetup,
  services: Services,
  worker: Handler<SQSEvent, SQSBatchResponse>,
) {
  const longest = { ms: 0 };
  const timed: Handler<SQSEvent, SQSBatchResponse> = async (event, context, callback) => {
    const started = performance.now();
    try {
      return await (worker(event, context, callback) as Promise<SQSBatchResponse>);
    } finally {
      longest.ms = Math.max(longest.ms, performance.now() - started);
    }
  };
  const poller = await startSqsPoller({
    queueUrl: services.queueUrl,
    handler: timed,
    sqsClient: services.sqs,
    batchSize: 1,
    maxConcurrency: setup.maxConcurrency,
    functionTimeoutMs: setup.timeoutSeconds * 1000,
    functionName: "article-reconcile-worker",
    onError: (error) => console.error(`reconcile worker: ${String(error)}`),
  });
  setup.stoppers.push(() => poller.stop());
  return { poller, longest };
}

/** One reconcile run, dispatched as the schedule does and worked off, with its figures. */
async function measureRun(
  setup: ReconcileSetup,
  services: Services,
  functions: Awaited<ReturnType<typeof loadFunctions>>,
  worker: Awaited<ReturnType<typeof startWorker>>,
  mode: "full" | "incremental",
  before: string,
): Promise<ReconcileRunFigures> {
  const { admin, sqs, deadLetterUrl } = services;
  const { dispatch, checkpoints, dynamo } = functions;
  await admin.clearCalls();
  dynamo.reset();
  worker.longest.ms = 0;
  const started = performance.now();
  const answer = await dispatch({ mode }, { getRemainingTimeInMillis: () => 60_000 } as Context);
  await worker.poller.idle();
  const seconds = (performance.now() - started) / 1000;
  // Before the benchmark's own reads of the checkpoints below.
  const dynamoDbUse = dynamo.snapshot();
  const runs: ReconcileRun[] = [];
  for (const goodsOwnerId of answer.goodsOwnerIds) {
    const saved = await checkpoints.get(goodsOwnerId, mode);
    if (saved?.runId === answer.runId) runs.push(saved);
  }
  const calls = await admin.calls();
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: deadLetterUrl,
      AttributeNames: ["ApproximateNumberOfMessages"],
    }),
  );
  const sum = (pick: (run: ReconcileRun) => number) => runs.reduce((total, one) => total + pick(one), 0);
  const counts: Record<string, number> = {};
  for (const one of runs) {
    for (const [change, count] of Object.entries(one.counts)) counts[change] = (counts[change] ?? 0) + count;
  }
  const examined = sum((one) => one.examined);
  const longestInvocationMs = worker.longest.ms;
  return {
    mode,
    before,
    seconds: round1(seconds),
    articlesPerSecond: Math.round(examined / seconds),
    ongoingCalls: totalCalls(calls),
    ongoingCallsByOperation: calls,
    dynamoDb: dynamoDbUse,
    units: runs.length,
    slices: sum((one) => one.slices),
    pages: sum((one) => one.pages),
    examined,
    counts,
    longestInvocationSeconds: round1(longestInvocationMs / 1000),
    longestInvocationPercentOfTimeout: Math.round(
      (100 * longestInvocationMs) / (setup.timeoutSeconds * 1000),
    ),
    nearTimeLimit: runs.some((one) => one.slices > 1),
    deadLettered: Number(Attributes.ApproximateNumberOfMessages ?? 0),
  };
}

export async function benchReconcile(options: ReconcileBenchOptions): Promise<ReconcileBenchResult> {
  const goodsOwnerIds = Array.from({ length: options.goodsOwners }, (_, index) => firstGoodsOwnerId + index);
  const setup: ReconcileSetup = {
    goodsOwnerIds,
    users: goodsOwnerIds.map((goodsOwnerId) => ({
      username: `owner-${goodsOwnerId}`,
      password: `owner-${goodsOwnerId}-password`,
      goodsOwnerId,
    })),
    pageSize: options.pageSize ?? 500,
    maxConcurrency: options.maxConcurrency ?? 2,
    timeoutSeconds: options.timeoutSeconds ?? 900,
    stoppers: [muteJsonOnStdout()],
  };
  try {
    const services = await startServices(setup);
    const functions = await loadFunctions(setup, services);
    const { admin } = services;

    // The catalogue: last changed two days ago, so only what changes later is in an incremental window.
    const longAgo = new Date(Date.now() - 2 * 24 * 3600_000).toISOString();
    const blockOf = (goodsOwnerId: number) => firstArticleId + (goodsOwnerId - firstGoodsOwnerId) * idBlock;
    for (const goodsOwnerId of goodsOwnerIds) {
      await admin.generateArticles({
        goodsOwnerId,
        firstArticleSystemId: blockOf(goodsOwnerId),
        count: options.articlesPerGoodsOwner,
        articleDataLastUpdated: longAgo,
      });
    }
    await admin.setLatency(options.latencyMs);
    const worker = await startWorker(setup, services, functions.worker);
    const run = (mode: "full" | "incremental", before: string) =>
      measureRun(setup, services, functions, worker, mode, before);

    const runs: ReconcileRunFigures[] = [];
    console.error(`reconcile: full run into an empty mirror…`);
    runs.push(await run("full", "nothing (an empty mirror)"));
    // 1 % changed and 0.1 % deleted in Ongoing, none of it announced by a webhook.
    const changed = goodsOwnerIds.flatMap((goodsOwnerId) =>
      Array.from(
        { length: Math.ceil(options.articlesPerGoodsOwner / 100) },
        (_, index) => blockOf(goodsOwnerId) + index * 100,
      ),
    );
    await admin.setLatency(0);
    await inPool(changed, 16, (articleSystemId) =>
      admin.renameArticle(articleSystemId, `Renamed ${articleSystemId}`),
    );
    await admin.setLatency(options.latencyMs);
    console.error(`reconcile: incremental run after ${changed.length} silent changes…`);
    runs.push(await run("incremental", `${changed.length} articles changed without a webhook`));
    const deleted = goodsOwnerIds.flatMap((goodsOwnerId) =>
      Array.from(
        { length: Math.ceil(options.articlesPerGoodsOwner / 1000) },
        (_, index) => blockOf(goodsOwnerId) + 50 + index * 1000,
      ),
    );
    await inPool(deleted, 16, (articleSystemId) => admin.deleteArticle(articleSystemId));
    console.error(`reconcile: full run after ${deleted.length} silent deletions…`);
    runs.push(await run("full", `${deleted.length} articles deleted without a webhook`));

    const first = runs[0] as ReconcileRunFigures;
    return {
      articles: options.goodsOwners * options.articlesPerGoodsOwner,
      goodsOwners: options.goodsOwners,
      latencyMs: options.latencyMs,
      pageSize: setup.pageSize,
      maxConcurrency: setup.maxConcurrency,
      timeoutSeconds: setup.timeoutSeconds,
      runs,
      seconds: first.seconds,
      ongoingCalls: first.ongoingCalls,
    };
  } finally {
    for (const stop of setup.stoppers.reverse()) await stop().catch(() => undefined);
  }
}

const round1 = (value: number) => Math.round(value * 10) / 10;
