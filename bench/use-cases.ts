/**
 * One measured run per use-case through the local pipeline: deliver webhooks to the ingress, wait for each
 * effect (mail accepted by SES, booking written back to Ongoing in full, mirror item written), and count
 * Ongoing's calls. One skeleton (`runUseCase`) and three use-case descriptions: what to set up, what to send, what
 * counts as done.
 */
import { customerOf, totalCalls } from "../devkit/ongoing.ts";
import { articleWebhookPayload, orderWebhookPayload } from "../devkit/payloads.ts";
import type { Pipeline } from "../devkit/pipeline.ts";
import { type Delivery, deliver, round, routeNamed, waitFor } from "../devkit/webhooks.ts";
import type { UseCase } from "../functions/shared/contract/routes.ts";
import { type RunSettings, summarise, type UseCaseResult } from "./results.ts";

export type { BacklogResult, BurstResult, RunSettings, UseCaseResult } from "./results.ts";
export { benchEntry } from "./results.ts";

const goodsOwnerId = 159;

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

/** What one use-case's run is: its setup, its webhooks, and when a webhook's effect happened. */
interface UseCaseBench {
  useCase: UseCase;
  /** The route the webhooks go to (routes.ts's path). */
  route: string;
  /** The dead letter's body field that names the order or article. */
  deadLetterKey: string;
  /** Puts the orders or articles into the Ongoing simulator (and whatever else the run needs). */
  prepare: (pipeline: Pipeline, ids: number[], settings: RunSettings) => Promise<void>;
  payload: (id: number) => Record<string, unknown>;
  /** id → when its effect happened (epoch ms), for the ids asked about. */
  effects: (pipeline: Pipeline, ids: number[]) => Promise<Map<number, number>>;
  /** Poll for every effect before draining, every this many ms (leave out to wait for the queue alone). */
  pollEffectsEveryMs?: number;
  /** How long to wait for the queue to drain. @default the run's time-out */
  drainTimeoutMs?: number;
  /** After the drain: the use-case's own figures (and clean-up). */
  extra?: (run: {
    pipeline: Pipeline;
    settings: RunSettings;
    ids: number[];
    calls: Record<string, number>;
    mode: RunMode;
  }) => Promise<Record<string, unknown> | undefined>;
}

/** The skeleton every use-case's run follows: set up, send, wait, drain, count, summarise. */
async function runUseCase(
  bench: UseCaseBench,
  pipeline: Pipeline,
  settings: RunSettings,
  firstId: number,
  mode: RunMode,
): Promise<UseCaseResult> {
  const ids = Array.from({ length: settings.webhooks }, (_, index) => firstId + index);
  await bench.prepare(pipeline, ids, settings);
  await pipeline.ongoing.clearCalls();
  const route = routeNamed(bench.route);
  const { startedAt, cpu, answers } = await burst(
    pipeline,
    bench.useCase,
    ids.map((id) => ({ route, payload: bench.payload(id) })),
    mode,
  );
  if (bench.pollEffectsEveryMs !== undefined) {
    const everyEffect = async () => (await bench.effects(pipeline, ids)).size >= ids.length;
    await waitFor(everyEffect, settings.timeoutMs, bench.pollEffectsEveryMs);
  }
  const drained = await drain(pipeline, bench.drainTimeoutMs ?? settings.timeoutMs);
  const calls = await pipeline.ongoing.calls();
  const measured = {
    cpu,
    effects: await bench.effects(pipeline, ids),
    deadLetterKeys: await deadLetterKeys(pipeline, bench.useCase, bench.deadLetterKey),
    drained,
  };
  const result = summarise({
    useCase: bench.useCase,
    pipeline,
    settings,
    keys: ids,
    startedAt,
    answers,
    measured,
    calls,
  });
  const extra = await bench.extra?.({ pipeline, settings, ids, calls, mode });
  return extra === undefined ? result : { ...result, extra };
}

const orderShippedEmail: UseCaseBench = {
  useCase: "order-shipped-email",
  route: "order-shipped-email",
  deadLetterKey: "orderId",
  prepare: async (pipeline, ids, settings) => {
    await pipeline.ongoing.createShippedOrders(ids);
    pipeline.ses.ratePerSecond = settings.sesRatePerSec;
  },
  payload: (id) => orderWebhookPayload(id, goodsOwnerId),
  effects: async (pipeline, ids) => {
    const recipients = new Map(ids.map((id) => [customerOf(id).email, id]));
    const found = new Map<number, number>();
    for (const [recipient, times] of pipeline.mailsAccepted()) {
      const id = recipients.get(recipient);
      if (id !== undefined && times[0] !== undefined) found.set(id, times[0]);
    }
    return found;
  },
  pollEffectsEveryMs: 100,
  drainTimeoutMs: 10_000,
  extra: async ({ pipeline, ids }) => {
    pipeline.ses.ratePerSecond = undefined;
    const recipients = new Set(ids.map((id) => customerOf(id).email));
    const duplicates = [...pipeline.mailsAccepted()].filter(
      ([recipient, times]) => recipients.has(recipient) && times.length > 1,
    ).length;
    return { duplicateMails: duplicates, sesThrottled: pipeline.ses.faulted };
  },
};

const transportBooking: UseCaseBench = {
  useCase: "transport-booking",
  route: "transport-booking",
  deadLetterKey: "orderId",
  prepare: (pipeline, ids) => pipeline.ongoing.createShippedOrders(ids),
  payload: (id) => orderWebhookPayload(id, goodsOwnerId),
  // Done when the booking is written back in full: the time of the order's last write-back (waybill first).
  effects: async (pipeline, ids) => {
    const wanted = new Set(ids);
    const waybilled = new Set<number>();
    const last = new Map<number, number>();
    for (const write of await pipeline.ongoing.writes()) {
      const id = Number(/^\/orders\/(\d+)\//.exec(write.path)?.[1]);
      if (!wanted.has(id) || write.status >= 300) continue;
      if (write.path.endsWith("/waybill")) waybilled.add(id);
      last.set(id, Math.max(last.get(id) ?? 0, Date.parse(write.at)));
    }
    return new Map([...last].filter(([id]) => waybilled.has(id)));
  },
  pollEffectsEveryMs: 250,
  extra: async ({ calls }) => ({ ongoingCalls: calls }),
};

const articleSync: UseCaseBench = {
  useCase: "article-sync",
  route: "article-updated",
  deadLetterKey: "articleSystemId",
  prepare: (pipeline, ids) => pipeline.ongoing.createArticles(ids),
  payload: (id) => articleWebhookPayload(id, goodsOwnerId),
  effects: async (pipeline, ids) => {
    const wanted = new Set(ids);
    const found = new Map<number, number>();
    for (const [id, item] of await pipeline.mirror()) if (wanted.has(id)) found.set(id, item.syncedAt);
    return found;
  },
  // No polling: wait for the queue, not the table; scanning the mirror while it fills would load the DynamoDB under test.
  extra: async ({ pipeline, settings, ids, mode }) =>
    mode === "backlog" ? undefined : articleFollowUps(pipeline, settings, ids),
};

/** After a burst: deletes (a tombstone needs no fetch) and repeated events for a few articles. */
async function articleFollowUps(
  pipeline: Pipeline,
  settings: RunSettings,
  articleIds: number[],
): Promise<Record<string, unknown>> {
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
  const updated = routeNamed("article-updated");
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
    deleteWebhooks: deleted.length,
    tombstones: tombstones.length,
    ongoingCallsPerDelete: round(deleteCalls / deleted.length, 2),
    repeatedEvents: repeatedArticles.length * 10,
    repeatedArticles: repeatedArticles.length,
    ongoingCallsPerRepeatedArticle: round(repeatedCalls / repeatedArticles.length, 2),
  };
}

/** A use-case's bench: a run of its description through the skeleton. */
const benchOf =
  (bench: UseCaseBench) =>
  (
    pipeline: Pipeline,
    settings: RunSettings,
    firstId: number,
    mode: RunMode = "burst",
  ): Promise<UseCaseResult> =>
    runUseCase(bench, pipeline, settings, firstId, mode);

export const benchOrderShippedEmail = benchOf(orderShippedEmail);
export const benchTransportBooking = benchOf(transportBooking);
export const benchArticleSync = benchOf(articleSync);
