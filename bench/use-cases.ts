/**
 * One measured run per use-case through the local pipeline: deliver webhooks to the ingress, wait for each
 * effect (mail accepted by SES, booking written back to Ongoing in full, mirror item written), and count
 * Ongoing's calls.
 */

import { customerOf, totalCalls } from "../devkit/ongoing.ts";
import { articleWebhookPayload, orderWebhookPayload } from "../devkit/payloads.ts";
import type { Pipeline } from "../devkit/pipeline.ts";
import { type Delivery, deliver, percentile, round, routeNamed, waitFor } from "../devkit/webhooks.ts";
import { ongoingFetchesPerBatch } from "../functions/article-sync/sync.ts";
import type { UseCase } from "../functions/shared/webhooks/routes.ts";

/**
 * Ongoing requests one batch has under way at once: the pipeline's records-at-once default for mail and
 * transport (one request each at a time), article-sync's fetch slots (the same number) for articles.
 */
export const ongoingCallsInFlightPerBatch = ongoingFetchesPerBatch;
const goodsOwnerId = 159;

export interface UseCaseResult {
  webhooks: number;
  accepted: number;
  throughputPerSec: number;
  /** How fast the ingress accepted the burst (202s per second), for telling where the time went. */
  ingressPerSec: number;
  /**
   * Effects per second between the 10th and the 90th percentile effect: the pace once the containers are warm
   * and before the burst's last, partly filled batches. Beside `throughputPerSec`, it tells the pipeline's
   * steady pace from its start-up and tail.
   */
  steadyPerSec: number;
  boundPerSec: number;
  boundBasis: string;
  p50Ms: number;
  p99Ms: number;
  ongoingCallsPerWebhook: number;
  ongoingReadsPerWebhook: number;
  /** Records in flight ÷ throughput: how long one batch really takes, Ongoing's latency and everything else. */
  batchCycleMs: number;
  completed: number;
  /**
   * CPU used by this process (ingress stand-in, SQS, DynamoDB, SES, Ongoing and transport simulators all run in
   * it) as a share of one core over the run: near 100 % means the local emulators, not the consumers, set the pace.
   */
  localServicesCpuPercent: number;
  deadLettered: number;
  /** Accepted webhooks with neither an effect nor a dead letter once the queue drained. */
  lost: number;
  /** Whether the queue drained within the time-out (if not, `lost` counts webhooks still in progress). */
  drained: boolean;
  extra?: Record<string, unknown>;
  /** The same use-case working off a backlog (see `RunMode`), when the bench ran one. */
  backlog?: BacklogResult;
  /** The burst's own pace, when this result is a bench entry (see `benchEntry`). */
  burst?: BurstResult;
}

/** A burst run's pace, end to end: the local ingress stand-in included. */
export type BurstResult = Pick<UseCaseResult, "throughputPerSec" | "steadyPerSec" | "ingressPerSec"> & {
  percentOfBound: number;
};

/**
 * A use-case's bench entry from its two runs. `throughputPerSec` and `steadyPerSec` are the backlog's: the
 * consumer's own pace, which is what the bound describes (the burst's also counts the local ingress, which here
 * takes about as many webhooks a second as article-sync's bound). The latencies and Ongoing calls are the
 * burst's; `burst` and `backlog` keep each run's figures.
 */
export function benchEntry(burst: UseCaseResult, backlog: UseCaseResult): UseCaseResult {
  return {
    ...burst,
    throughputPerSec: backlog.throughputPerSec,
    steadyPerSec: backlog.steadyPerSec,
    burst: {
      throughputPerSec: burst.throughputPerSec,
      steadyPerSec: burst.steadyPerSec,
      ingressPerSec: burst.ingressPerSec,
      percentOfBound: Math.round((100 * burst.throughputPerSec) / burst.boundPerSec),
    },
    backlog: backlogResult(backlog),
  };
}

/** A backlog run's figures: the consumer's own pace against the same bound (time from 202 means nothing here). */
export type BacklogResult = Pick<
  UseCaseResult,
  | "webhooks"
  | "throughputPerSec"
  | "steadyPerSec"
  | "ongoingCallsPerWebhook"
  | "localServicesCpuPercent"
  | "deadLettered"
  | "lost"
  | "drained"
> & { percentOfBound: number };

export function backlogResult(run: UseCaseResult): BacklogResult {
  return {
    webhooks: run.webhooks,
    throughputPerSec: run.throughputPerSec,
    steadyPerSec: run.steadyPerSec,
    percentOfBound: Math.round((100 * run.throughputPerSec) / run.boundPerSec),
    ongoingCallsPerWebhook: run.ongoingCallsPerWebhook,
    localServicesCpuPercent: run.localServicesCpuPercent,
    deadLettered: run.deadLettered,
    lost: run.lost,
    drained: run.drained,
  };
}

export interface RunSettings {
  readonly webhooks: number;
  readonly latencyMs: number;
  /** SES's sending rate the proxy enforces, per second. @default none (the local SES has no limit) */
  readonly sesRatePerSec?: number;
  readonly timeoutMs: number;
}

const readOperations = new Set([
  "getOrder",
  "getArticle",
  "findOrderByNumber",
  "listArticles",
  "getOrderStatuses",
  "getOrderFiles",
  "GetOrdersByQuery",
  "GetFileList",
]);
const reads = (calls: Record<string, number>) =>
  Object.entries(calls)
    .filter(([operation]) => readOperations.has(operation))
    .reduce((sum, [, count]) => sum + count, 0);

interface Measured {
  cpu: { usage: NodeJS.CpuUsage; wallMs: number };
  /** key → when its effect happened (epoch ms) */
  effects: Map<number, number>;
  deadLetterKeys: Set<number>;
  drained: boolean;
}

function summarise(
  useCase: UseCase,
  pipeline: Pipeline,
  settings: RunSettings,
  keys: number[],
  startedAt: number,
  answers: { status: number; answeredAt: number }[],
  measured: Measured,
  calls: Record<string, number>,
): UseCaseResult {
  const acceptedAt = new Map<number, number>();
  keys.forEach((key, index) => {
    const answer = answers[index];
    if (answer && answer.status === 202) acceptedAt.set(key, answer.answeredAt);
  });
  const latencies: number[] = [];
  for (const [key, at] of measured.effects) {
    const accepted = acceptedAt.get(key);
    if (accepted !== undefined) latencies.push(Math.max(0, at - accepted));
  }
  const lastEffect = Math.max(...measured.effects.values());
  const completed = measured.effects.size;
  const seconds = (lastEffect - startedAt) / 1000;
  const consumer = pipeline.consumers[useCase];
  const inFlight = consumer.maxConcurrency * Math.min(consumer.batchSize, ongoingCallsInFlightPerBatch);
  const latency = settings.latencyMs / 1000;
  const readsPerWebhook = reads(calls) / keys.length;
  const writesPerWebhook = (totalCalls(calls) - reads(calls)) / keys.length;
  const readBound = inFlight / (Math.max(readsPerWebhook, 1) * latency);
  let bound = readBound;
  let basis = `${inFlight} Ongoing requests in flight (${consumer.maxConcurrency} concurrent batches × ${Math.min(consumer.batchSize, ongoingCallsInFlightPerBatch)}) ÷ ${settings.latencyMs} ms Ongoing latency`;
  if (writesPerWebhook > 0) {
    // Ongoing's writes run one at a time per goods owner and container; locally one process is one container.
    const writeBound = 1 / (writesPerWebhook * latency);
    if (writeBound < bound) {
      bound = writeBound;
      basis = `1 container ÷ (${round(writesPerWebhook, 2)} serialized write-backs × ${settings.latencyMs} ms Ongoing latency)`;
    }
  }
  if (
    useCase === "order-shipped-email" &&
    settings.sesRatePerSec !== undefined &&
    settings.sesRatePerSec < bound
  ) {
    bound = settings.sesRatePerSec;
    basis = `SES sending rate ${settings.sesRatePerSec}/s`;
  }
  const lost = [...acceptedAt.keys()].filter(
    (key) => !measured.effects.has(key) && !measured.deadLetterKeys.has(key),
  ).length;
  const cpu = process.cpuUsage(measured.cpu.usage);
  const wallMs = Date.now() - measured.cpu.wallMs;
  return {
    webhooks: keys.length,
    localServicesCpuPercent: Math.round((100 * (cpu.user + cpu.system)) / 1000 / wallMs),
    accepted: acceptedAt.size,
    throughputPerSec: round(completed / seconds),
    steadyPerSec: round(steadyRate([...measured.effects.values()])),
    ingressPerSec: round(acceptedAt.size / ((Math.max(...acceptedAt.values()) - startedAt) / 1000)),
    boundPerSec: round(bound),
    boundBasis: basis,
    p50Ms: round(percentile(latencies, 50), 0),
    p99Ms: round(percentile(latencies, 99), 0),
    ongoingCallsPerWebhook: round(totalCalls(calls) / keys.length, 2),
    ongoingReadsPerWebhook: round(readsPerWebhook, 2),
    batchCycleMs: round((1000 * inFlight * seconds) / completed, 0),
    completed,
    deadLettered: measured.deadLetterKeys.size,
    lost,
    drained: measured.drained,
  };
}

/** Effects per second from the 10th to the 90th percentile effect time; NaN with too few effects to tell. */
function steadyRate(effectTimes: number[]): number {
  if (effectTimes.length < 20) return Number.NaN;
  const from = percentile(effectTimes, 10);
  const to = percentile(effectTimes, 90);
  const between = effectTimes.filter((at) => at > from && at <= to).length;
  return to > from ? (1000 * between) / (to - from) : Number.NaN;
}

/**
 * How a run delivers its webhooks. `burst`: posted to the ingress while the consumer runs, timed from the first
 * post (end to end, the ingress included). `backlog`: posted while the consumer's event source is disabled,
 * timed from enabling it: how fast the consumer works off a queue, the rate its bound describes, without the
 * local ingress stand-in competing for the same cores (on AWS, API Gateway does not).
 */
export type RunMode = "burst" | "backlog";

/** Posts the measured webhooks to the ingress, noting when the measured time began and this process's CPU use. */
async function burst(pipeline: Pipeline, useCase: UseCase, deliveries: readonly Delivery[], mode: RunMode) {
  const post = () => deliver(pipeline.stack.urls.ingress, pipeline.stack.webhookToken, deliveries);
  const begin = () => {
    const startedAt = Date.now();
    return { startedAt, cpu: { usage: process.cpuUsage(), wallMs: startedAt } };
  };
  if (mode === "burst") {
    const started = begin();
    return { ...started, answers: await post() };
  }
  await pipeline.stack.setConsumerEnabled(useCase, false);
  let answers: Awaited<ReturnType<typeof post>>;
  try {
    // The ingress answers 202 once SQS has the message, so every accepted webhook is queued when this returns.
    answers = await post();
  } catch (error) {
    await pipeline.stack.setConsumerEnabled(useCase, true);
    throw error;
  }
  const started = begin();
  await pipeline.stack.setConsumerEnabled(useCase, true);
  return { ...started, answers };
}

const drain = (pipeline: Pipeline, timeoutMs = 10_000): Promise<boolean> =>
  pipeline.stack.idle({ timeoutMs }).then(
    () => true,
    () => false,
  );

async function deadLetterKeys(pipeline: Pipeline, useCase: UseCase, field: string): Promise<Set<number>> {
  const letters = await pipeline.deadLetters(useCase);
  return new Set(
    letters.map((letter) => {
      try {
        return Number((JSON.parse(letter.body) as Record<string, unknown>)[field]);
      } catch {
        return Number.NaN;
      }
    }),
  );
}

export async function benchOrderShippedEmail(
  pipeline: Pipeline,
  settings: RunSettings,
  firstOrderId: number,
  mode: RunMode = "burst",
): Promise<UseCaseResult> {
  const orderIds = Array.from({ length: settings.webhooks }, (_, index) => firstOrderId + index);
  await pipeline.ongoing.createShippedOrders(orderIds);
  pipeline.ses.ratePerSecond = settings.sesRatePerSec;
  await pipeline.ongoing.clearCalls();
  const route = routeNamed("order-shipped-email");
  const { startedAt, cpu, answers } = await burst(
    pipeline,
    "order-shipped-email",
    orderIds.map((id) => ({ route, payload: orderWebhookPayload(id, goodsOwnerId) })),
    mode,
  );
  const recipients = new Map(orderIds.map((id) => [customerOf(id).email, id]));
  const effects = () => {
    const found = new Map<number, number>();
    for (const [recipient, times] of pipeline.mailsAccepted()) {
      const id = recipients.get(recipient);
      if (id !== undefined && times[0] !== undefined) found.set(id, times[0]);
    }
    return found;
  };
  await waitFor(async () => effects().size >= orderIds.length, settings.timeoutMs);
  const drained = await drain(pipeline);
  const calls = await pipeline.ongoing.calls();
  pipeline.ses.ratePerSecond = undefined;
  const duplicates = [...pipeline.mailsAccepted()].filter(
    ([recipient, times]) => recipients.has(recipient) && times.length > 1,
  ).length;
  const measured = {
    cpu,
    effects: effects(),
    deadLetterKeys: await deadLetterKeys(pipeline, "order-shipped-email", "orderId"),
    drained,
  };
  return {
    ...summarise("order-shipped-email", pipeline, settings, orderIds, startedAt, answers, measured, calls),
    extra: { duplicateMails: duplicates, sesThrottled: pipeline.ses.faulted },
  };
}

export async function benchTransportBooking(
  pipeline: Pipeline,
  settings: RunSettings,
  firstOrderId: number,
  mode: RunMode = "burst",
): Promise<UseCaseResult> {
  const orderIds = Array.from({ length: settings.webhooks }, (_, index) => firstOrderId + index);
  await pipeline.ongoing.createShippedOrders(orderIds);
  await pipeline.ongoing.clearCalls();
  const route = routeNamed("transport-booking");
  const { startedAt, cpu, answers } = await burst(
    pipeline,
    "transport-booking",
    orderIds.map((id) => ({ route, payload: orderWebhookPayload(id, goodsOwnerId) })),
    mode,
  );
  const wanted = new Set(orderIds);
  // Done when the booking is written back in full: the time of the order's last write-back (waybill first).
  const effects = async () => {
    const waybilled = new Set<number>();
    const last = new Map<number, number>();
    for (const write of await pipeline.ongoing.writes()) {
      const id = Number(/^\/orders\/(\d+)\//.exec(write.path)?.[1]);
      if (!wanted.has(id) || write.status >= 300) continue;
      if (write.path.endsWith("/waybill")) waybilled.add(id);
      last.set(id, Math.max(last.get(id) ?? 0, Date.parse(write.at)));
    }
    return new Map([...last].filter(([id]) => waybilled.has(id)));
  };
  await waitFor(async () => (await effects()).size >= orderIds.length, settings.timeoutMs, 250);
  const drained = await drain(pipeline, settings.timeoutMs);
  const calls = await pipeline.ongoing.calls();
  const measured = {
    cpu,
    effects: await effects(),
    deadLetterKeys: await deadLetterKeys(pipeline, "transport-booking", "orderId"),
    drained,
  };
  return {
    ...summarise("transport-booking", pipeline, settings, orderIds, startedAt, answers, measured, calls),
    extra: { ongoingCalls: calls },
  };
}

export async function benchArticleSync(
  pipeline: Pipeline,
  settings: RunSettings,
  firstArticleId: number,
  mode: RunMode = "burst",
): Promise<UseCaseResult> {
  const articleIds = Array.from({ length: settings.webhooks }, (_, index) => firstArticleId + index);
  await pipeline.ongoing.createArticles(articleIds);
  await pipeline.ongoing.clearCalls();
  const updated = routeNamed("article-updated");
  const { startedAt, cpu, answers } = await burst(
    pipeline,
    "article-sync",
    articleIds.map((id) => ({ route: updated, payload: articleWebhookPayload(id, goodsOwnerId) })),
    mode,
  );
  const wanted = new Set(articleIds);
  const effects = async () => {
    const found = new Map<number, number>();
    for (const [id, item] of await pipeline.mirror()) if (wanted.has(id)) found.set(id, item.syncedAt);
    return found;
  };
  // Wait for the queue, not the table: scanning the mirror while it fills would load the DynamoDB under test.
  const drained = await drain(pipeline, settings.timeoutMs);
  const calls = await pipeline.ongoing.calls();
  const measured = {
    cpu,
    effects: await effects(),
    deadLetterKeys: await deadLetterKeys(pipeline, "article-sync", "articleSystemId"),
    drained,
  };
  const result = summarise(
    "article-sync",
    pipeline,
    settings,
    articleIds,
    startedAt,
    answers,
    measured,
    calls,
  );
  if (mode === "backlog") return result;

  // Deletes: a tombstone needs no fetch.
  const deleted = articleIds.slice(0, Math.max(1, Math.floor(articleIds.length / 10)));
  for (const id of deleted) await pipeline.ongoing.deleteArticle(id);
  await pipeline.ongoing.clearCalls();
  const deleteRoute = routeNamed("article-deleted");
  await deliver(
    pipeline.stack.urls.ingress,
    pipeline.stack.webhookToken,
    deleted.map((id) => ({ route: deleteRoute, payload: articleWebhookPayload(id, goodsOwnerId) })),
  );
  await pipeline.stack.idle({ timeoutMs: settings.timeoutMs }).catch(() => undefined);
  const deleteCalls = totalCalls(await pipeline.ongoing.calls());
  const tombstones = [...(await pipeline.mirror())].filter(
    ([id, item]) => deleted.includes(id) && item.deleted,
  );

  // Repeated events: ten distinct events for each of a few articles, all queued before the consumer runs.
  const repeatedArticles = articleIds.slice(deleted.length, deleted.length + 5);
  await pipeline.ongoing.clearCalls();
  await deliver(
    pipeline.stack.urls.ingress,
    pipeline.stack.webhookToken,
    repeatedArticles.flatMap((id) =>
      Array.from({ length: 10 }, () => ({
        route: updated,
        payload: articleWebhookPayload(id, goodsOwnerId),
      })),
    ),
    50,
  );
  await pipeline.stack.idle({ timeoutMs: settings.timeoutMs }).catch(() => undefined);
  const repeatedCalls = totalCalls(await pipeline.ongoing.calls());
  return {
    ...result,
    extra: {
      deleteWebhooks: deleted.length,
      tombstones: tombstones.length,
      ongoingCallsPerDelete: round(deleteCalls / deleted.length, 2),
      repeatedEvents: repeatedArticles.length * 10,
      repeatedArticles: repeatedArticles.length,
      ongoingCallsPerRepeatedArticle: round(repeatedCalls / repeatedArticles.length, 2),
    },
  };
}
