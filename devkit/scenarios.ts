/**
 * Runs shared by the load test, the chaos runner and the quick tests: a planned mix of webhooks over every route
 * (some meant to dead-letter), the Ongoing faults to run it under, and the drain that settles the books.
 */

import { isSendEmail, sendEmailRecipient, sesAnswers } from "./fault-proxy.ts";
import { type PlannedWebhook, type Tally, tally } from "./ledger.ts";
import type { OngoingFault } from "./ongoing.ts";
import { articleWebhookPayload, orderWebhookPayload } from "./payloads.ts";
import type { Pipeline } from "./pipeline.ts";
import { deliver, routeNamed } from "./webhooks.ts";

const goodsOwnerId = 159;

/** Retries after 1, 2, 4 … s instead of 10, 20, 40 … s, so a run drains in minutes; the backoff's shape is kept. */
export const compressedRetries = { RETRY_BASE_DELAY_SECONDS: "1" };

export interface BurstPlan {
  readonly webhooks: PlannedWebhook[];
  /** Orders the simulator must hold (mails and bookings). */
  readonly orderIds: number[];
  readonly articleIds: number[];
  /** Webhooks meant to end in the dead-letter queue (order unknown to Ongoing, mail rejected by SES). */
  readonly expectedDeadLetters: number;
}

/**
 * A mix of `total` webhooks, ids from `firstId` up: 30 % shipped-order mails, 15 % bookings, 50 % article
 * created/updated/deleted, 5 % about orders Ongoing does not have; every 50th mail is rejected by SES.
 */
export function planBurst(total: number, firstId: number): BurstPlan {
  const webhooks: PlannedWebhook[] = [];
  const orderIds: number[] = [];
  const articleIds: number[] = [];
  let expectedDeadLetters = 0;
  const mail = routeNamed("order-shipped-email");
  const booking = routeNamed("transport-booking");
  const articleRoutes = [
    routeNamed("article-created"),
    routeNamed("article-updated"),
    routeNamed("article-deleted"),
  ];
  for (let index = 0; index < total; index++) {
    const id = firstId + index;
    const slot = index % 20;
    if (slot < 6) {
      orderIds.push(id);
      webhooks.push({ route: mail, key: id, payload: orderWebhookPayload(id, goodsOwnerId) });
      if (rejectedBySes(id)) expectedDeadLetters += 1;
    } else if (slot < 9) {
      orderIds.push(id);
      webhooks.push({ route: booking, key: id, payload: orderWebhookPayload(id, goodsOwnerId) });
    } else if (slot < 19) {
      const route = articleRoutes[index % 3] ?? mail;
      if (route.eventType !== "article-deleted") articleIds.push(id);
      webhooks.push({ route, key: id, payload: articleWebhookPayload(id, goodsOwnerId) });
    } else {
      expectedDeadLetters += 1;
      webhooks.push({
        route: Math.floor(index / 20) % 2 === 0 ? mail : booking,
        key: id,
        payload: orderWebhookPayload(id, goodsOwnerId),
      });
    }
  }
  return { webhooks, orderIds, articleIds, expectedDeadLetters };
}

/** Every 50th order's mail is one SES rejects (an unverified address, say). */
export const rejectedBySes = (orderId: number): boolean => orderId % 50 === 0;

/** Ongoing faults for `windowMs`: 500s, 429 with Retry-After, resets and slow answers, each on a slice of ids. */
export function ongoingFaults(windowMs: number): OngoingFault[] {
  return [
    { status: 500, message: "An error has occurred.", forMs: windowMs, path: "^/orders/\\d*1(/.*)?$" },
    { status: 429, retryAfter: "1", forMs: windowMs, path: "^/articles/\\d*3$" },
    { reset: true, forMs: windowMs, path: "^/orders/\\d*7(/.*)?$" },
    { status: 503, forMs: windowMs, path: "^/articles/\\d*5$" },
  ];
}

/** A slow answer beyond the client's time-out, on a slice of orders. */
export const ongoingTimeouts = (windowMs: number, delayMs: number): OngoingFault => ({
  delayMs,
  forMs: windowMs,
  path: "^/orders/\\d*9$",
});

/** SES rejects the mails of `rejectedBySes` orders, and throttles the next `throttled` sends. */
export function sesFaults(pipeline: Pipeline, throttled: number): void {
  sesRejections(pipeline);
  pipeline.ses.faults.push({ ...sesAnswers.throttling, matches: isSendEmail, times: throttled });
}

/** SES rejects the mails of `rejectedBySes` orders (the plan's permanent mail failures). */
export function sesRejections(pipeline: Pipeline): void {
  pipeline.ses.faults.push({
    ...sesAnswers.rejected,
    matches: (body) =>
      isSendEmail(body) &&
      rejectedBySes(Number(/^customer-(\d+)@/.exec(sendEmailRecipient(body) ?? "")?.[1] ?? 1)),
  });
}

export interface BurstOutcome {
  readonly tally: Tally;
  readonly expectedDeadLetters: number;
  readonly sendMs: number;
  readonly drainMs: number;
  readonly drained: boolean;
}

/** Seeds, sends the plan, waits for the queues to drain, and settles the books. */
export async function runBurst(
  pipeline: Pipeline,
  plan: BurstPlan,
  options: { concurrency?: number; drainTimeoutMs: number; duringSend?: () => Promise<void> },
): Promise<BurstOutcome> {
  await pipeline.ongoing.createShippedOrders(plan.orderIds);
  await pipeline.ongoing.createArticles(plan.articleIds);
  await options.duringSend?.();
  const sendStarted = Date.now();
  const answers = await deliver(
    pipeline.stack.urls.ingress,
    pipeline.stack.webhookToken,
    plan.webhooks,
    options.concurrency ?? 32,
  );
  const sendMs = Date.now() - sendStarted;
  const drainStarted = Date.now();
  const drained = await pipeline.stack.idle({ timeoutMs: options.drainTimeoutMs }).then(
    () => true,
    () => false,
  );
  return {
    tally: await tally(pipeline, plan.webhooks, answers),
    expectedDeadLetters: plan.expectedDeadLetters,
    sendMs,
    drainMs: Date.now() - drainStarted,
    drained,
  };
}

/**
 * Many events for the same articles at once, with the article renamed in Ongoing half-way: the mirror's
 * conditional writes collide, and every article must still end as Ongoing has it. Returns the articles that do not.
 */
export async function raceArticleEvents(
  pipeline: Pipeline,
  articleIds: readonly number[],
  eventsPerArticle: number,
): Promise<number[]> {
  await pipeline.ongoing.createArticles(articleIds);
  const updated = routeNamed("article-updated");
  const burst = () =>
    deliver(
      pipeline.stack.urls.ingress,
      pipeline.stack.webhookToken,
      articleIds.flatMap((id) =>
        Array.from({ length: eventsPerArticle }, () => ({
          route: updated,
          payload: articleWebhookPayload(id, goodsOwnerId),
        })),
      ),
      32,
    );
  const first = burst();
  for (const id of articleIds) await pipeline.ongoing.renameArticle(id, `Renamed ${id}`);
  await first;
  await burst();
  await pipeline.stack.idle({ timeoutMs: 120_000 });
  const mirror = await pipeline.mirror();
  return articleIds.filter((id) => mirror.get(id)?.articleName !== `Renamed ${id}`);
}

export interface OutageOutcome extends BurstOutcome {
  /** From Ongoing's return until every queue was empty. */
  readonly recoveryDrainMs: number;
  /** Dead letters counted as exhausted (a healthy dependency's retries run out): none expected. */
  readonly exhausted: number;
}

/**
 * Ongoing answers every call 503 for `outageMs` while the plan's webhooks arrive spread over its first half:
 * nothing may be dead-lettered for it (only the plan's own permanent failures), and every webhook takes effect
 * exactly once after Ongoing returns; the drain is timed from that return.
 */
export async function runOutage(
  pipeline: Pipeline,
  plan: BurstPlan,
  options: {
    outageMs: number;
    drainTimeoutMs: number;
    concurrency?: number;
    /** The dependency going down and coming back. @default Ongoing answering 503 to everything */
    outage?: { start(): Promise<void>; end(): Promise<void> };
  },
): Promise<OutageOutcome> {
  const outage = options.outage ?? {
    start: () =>
      pipeline.ongoing.addFault({ status: 503, message: "Down for maintenance", forMs: options.outageMs }),
    end: () => pipeline.ongoing.clearFaults(),
  };
  await pipeline.ongoing.createShippedOrders(plan.orderIds);
  await pipeline.ongoing.createArticles(plan.articleIds);
  sesRejections(pipeline);
  const outageStarted = Date.now();
  await outage.start();
  const sendStarted = Date.now();
  const half = Math.ceil(plan.webhooks.length / 2);
  const answers = await deliver(
    pipeline.stack.urls.ingress,
    pipeline.stack.webhookToken,
    plan.webhooks.slice(0, half),
    options.concurrency ?? 16,
  );
  await new Promise((resolve) =>
    setTimeout(resolve, Math.max(0, options.outageMs / 2 - (Date.now() - outageStarted))),
  );
  answers.push(
    ...(await deliver(
      pipeline.stack.urls.ingress,
      pipeline.stack.webhookToken,
      plan.webhooks.slice(half),
      options.concurrency ?? 16,
    )),
  );
  const sendMs = Date.now() - sendStarted;
  const recovered = outageStarted + options.outageMs;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, recovered - Date.now())));
  await outage.end();
  const drained = await pipeline.stack.idle({ timeoutMs: options.drainTimeoutMs }).then(
    () => true,
    () => false,
  );
  const recoveryDrainMs = Date.now() - recovered;
  pipeline.ses.faults.length = 0;
  const result = await tally(pipeline, plan.webhooks, answers);
  return {
    tally: result,
    expectedDeadLetters: plan.expectedDeadLetters,
    sendMs,
    drainMs: recoveryDrainMs,
    drained,
    recoveryDrainMs,
    exhausted: Object.entries(result.deadLetterReasons)
      .filter(([reason]) => reason.startsWith("exhausted"))
      .reduce((sum, [, count]) => sum + count, 0),
  };
}
