/**
 * The quick fault-and-abuse run on the local stack (the synthesized template, each function's bundle in its own
 * process): generated bad requests at the ingress, a short Ongoing and SES fault window under a mixed burst,
 * every event delivered five times, and a scan of every function log line for the test customers' personal data.
 * `npm run chaos` runs the same scenarios for minutes and with thousands of requests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { badRequests, sendBadRequests } from "../devkit/abuse.ts";
import { balances } from "../devkit/ledger.ts";
import { customerOf, totalCalls } from "../devkit/ongoing.ts";
import { articleWebhookPayload, orderWebhookPayload } from "../devkit/payloads.ts";
import { type Pipeline, startPipeline } from "../devkit/pipeline.ts";
import {
  compressedRetries,
  ongoingFaults,
  ongoingTimeouts,
  planBurst,
  raceArticleEvents,
  runBurst,
  sesFaults,
} from "../devkit/scenarios.ts";
import { deliver, routeNamed } from "../devkit/webhooks.ts";

let pipeline: Pipeline;
let assemblyDir: string;

beforeAll(async () => {
  assemblyDir = mkdtempSync(join(tmpdir(), "chaos-"));
  pipeline = await startPipeline({
    assemblyDir,
    functionEnvironment: compressedRetries,
    // A short Ongoing time-out, so a slow answer is a time-out within the quick window.
    context: { "ongoingWebhooks.ongoing.requestTimeoutMs": 1_000 },
  });
}, 120_000);

afterAll(async () => {
  await pipeline?.stop();
  rmSync(assemblyDir, { recursive: true, force: true });
});

describe("chaos and abuse on the local stack", () => {
  it("answers generated bad requests 4xx, queues none of them, and keeps serving", async () => {
    const requests = badRequests(300, 8);
    const callsBefore = totalCalls(await pipeline.ongoing.calls());
    const mirrorBefore = (await pipeline.mirror()).size;
    const answers = await sendBadRequests(pipeline.stack.urls.ingress, pipeline.stack.webhookToken, requests);
    const wrong = answers.filter((answer) => answer.status < 400 || answer.status >= 500);
    expect(wrong.map((answer) => `${answer.request.kind} → ${answer.status}`)).toEqual([]);
    expect(new Set(answers.map((answer) => answer.request.kind)).size).toBeGreaterThanOrEqual(7);

    await pipeline.stack.idle();
    expect(totalCalls(await pipeline.ongoing.calls())).toBe(callsBefore);
    expect((await pipeline.mirror()).size).toBe(mirrorBefore);
    expect(pipeline.ses.calls).toHaveLength(0);
    expect((await pipeline.stack.status()).queues.every((queue) => queue.deadLetters === 0)).toBe(true);

    const [answer] = await deliver(pipeline.stack.urls.ingress, pipeline.stack.webhookToken, [
      { route: routeNamed("article-updated"), payload: articleWebhookPayload(18068, 159) },
    ]);
    expect(answer?.status).toBe(202);
    await pipeline.stack.idle();
    expect((await pipeline.mirror()).has(18068)).toBe(true);
  });

  it("settles every accepted webhook once Ongoing is back, or dead-letters it with its reason", async () => {
    const plan = planBurst(120, 2_000_000);
    const outcome = await runBurst(pipeline, plan, {
      drainTimeoutMs: 60_000,
      duringSend: async () => {
        for (const fault of [...ongoingFaults(2_000), ongoingTimeouts(2_000, 1_500)])
          await pipeline.ongoing.addFault(fault);
        sesFaults(pipeline, 5);
      },
    });
    pipeline.ses.faults.length = 0;
    await pipeline.ongoing.clearFaults();
    expect(outcome.drained).toBe(true);
    expect(outcome.tally).toMatchObject({ accepted: 120, lost: 0, duplicated: 0 });
    expect(balances(outcome.tally)).toBe(true);
    expect(outcome.tally.deadLettered).toBe(plan.expectedDeadLetters);
    expect(outcome.tally.deadLettersWithoutReason).toBe(0);
    expect(Object.keys(outcome.tally.deadLetterReasons).sort()).toEqual([
      "permanent/mail-rejected",
      "permanent/not-found",
    ]);
  });

  it("does each event once when it arrives five times, some of them at once", async () => {
    const orderIds = [3_000_001, 3_000_002];
    const articleId = 3_000_003;
    await pipeline.ongoing.createShippedOrders(orderIds);
    await pipeline.ongoing.createArticles([articleId]);
    const mail = {
      route: routeNamed("order-shipped-email"),
      payload: orderWebhookPayload(orderIds[0] ?? 0, 159),
    };
    const booking = {
      route: routeNamed("transport-booking"),
      payload: orderWebhookPayload(orderIds[1] ?? 0, 159),
    };
    const article = { route: routeNamed("article-updated"), payload: articleWebhookPayload(articleId, 159) };
    const each = [mail, booking, article];
    const { ingress } = pipeline.stack.urls;
    const token = pipeline.stack.webhookToken;
    // Three copies at once, then two more after the first ones were processed.
    const answers = await deliver(
      ingress,
      token,
      each.flatMap((delivery) => [delivery, delivery, delivery]),
      9,
    );
    await pipeline.stack.idle();
    answers.push(...(await deliver(ingress, token, [...each, ...each], 1)));
    await pipeline.stack.idle();
    expect(answers.map((answer) => answer.status)).toEqual(Array(15).fill(202));

    expect(pipeline.mailsAccepted().get(customerOf(orderIds[0] ?? 0).email)).toHaveLength(1);
    const bookings = (await (await fetch(`${pipeline.stack.urls.transportAdmin}/bookings`)).json()) as {
      bookings: { shipment: { orderId: number } }[];
    };
    expect(bookings.bookings.filter((record) => record.shipment.orderId === orderIds[1])).toHaveLength(1);
    const waybills = (await pipeline.ongoing.writes()).filter(
      (write) => write.path === `/orders/${orderIds[1]}/waybill` && write.status < 300,
    );
    expect(waybills).toHaveLength(1);
    expect((await pipeline.mirror()).get(articleId)?.revision).toBe(1);
  });

  it("converges when events for one article race each other (conditional write conflicts)", async () => {
    const articleIds = [3_100_001, 3_100_002, 3_100_003];
    expect(await raceArticleEvents(pipeline, articleIds, 10)).toEqual([]);
    expect(await pipeline.deadLetters("article-sync")).toEqual([]);
  });

  it("writes no customer e-mail, name or address in any log line", () => {
    expect(pipeline.logs.lines).toBeGreaterThan(100);
    expect(pipeline.logs.leaks).toEqual([]);
  });
});
