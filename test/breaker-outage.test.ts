/**
 * An Ongoing outage many times longer than the whole retry budget, end to end on the local stack (the
 * synthesized template, each function in its own process, the breaker probe on a compressed interval) with as few
 * receives as 4: the circuit breaker opens, the probe pauses the consumers, nothing is dead-lettered for the
 * outage, and once Ongoing answers again every webhook takes effect exactly once. The same for SES's daily
 * quota running out: the mails wait for it; and for the transport system down whole (its probe's GET too).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isSendEmail, sesAnswers } from "../devkit/fault-proxy.ts";
import { customerOf } from "../devkit/ongoing.ts";
import { orderWebhookPayload } from "../devkit/payloads.ts";
import { type Pipeline, startPipeline } from "../devkit/pipeline.ts";
import { compressedRetries, planBurst, runOutage } from "../devkit/scenarios.ts";
import { deliver, routeNamed } from "../devkit/webhooks.ts";
import { useCases } from "../functions/shared/contract/routes.ts";
import { localSesAccount } from "../local/emulators.ts";

let pipeline: Pipeline;
let assemblyDir: string;
/** Retry budget at 4 receives: 1 + 2 + 4 s of backoff. */
const outageMs = 40_000;

beforeAll(async () => {
  assemblyDir = mkdtempSync(join(tmpdir(), "outage-"));
  pipeline = await startPipeline({
    assemblyDir,
    maxReceiveCount: 4,
    functionEnvironment: compressedRetries,
    probeIntervalMs: 2_000,
    context: { "ongoingWebhooks.ongoing.requestTimeoutMs": 1_000 },
  });
}, 180_000);

afterAll(async () => {
  await pipeline?.stop();
  rmSync(assemblyDir, { recursive: true, force: true });
});

describe("an Ongoing outage on the local stack", () => {
  it("dead-letters nothing for it and takes every webhook into effect exactly once after it", async () => {
    const breakerPositions: string[] = [];
    const paused = new Set<string>();
    const watch = setInterval(async () => {
      const { Item } = await pipeline.dynamodb
        .send(
          new GetItemCommand({
            TableName: pipeline.stack.tables.state,
            Key: { id: { S: "breaker#ongoing" } },
          }),
        )
        .catch(() => ({ Item: undefined }));
      const position = Item?.position?.S ?? "closed";
      if (breakerPositions.at(-1) !== position) breakerPositions.push(position);
      for (const useCase of useCases)
        if (pipeline.stack.eventSourceEnabled(useCase) === false) paused.add(useCase);
    }, 250);
    const outcome = await runOutage(pipeline, planBurst(60, 3_000_000), { outageMs, drainTimeoutMs: 90_000 });
    clearInterval(watch);

    expect(outcome.drained).toBe(true);
    expect(outcome.exhausted).toBe(0);
    expect(outcome.tally.lost).toBe(0);
    expect(outcome.tally.duplicated).toBe(0);
    // Only the plan's own permanent failures (orders Ongoing does not have, mails SES rejects).
    expect(outcome.tally.deadLettered).toBe(outcome.expectedDeadLetters);
    expect(
      Object.keys(outcome.tally.deadLetterReasons).every((reason) => reason.startsWith("permanent/")),
    ).toBe(true);
    expect(breakerPositions).toEqual(expect.arrayContaining(["open", "closed"]));
    expect([...paused].sort()).toEqual([...useCases].sort());
    for (const useCase of useCases) expect(pipeline.stack.eventSourceEnabled(useCase)).toBe(true);
    expect(outcome.recoveryDrainMs).toBeLessThan(60_000);
  }, 240_000);

  it("waits for SES's daily quota: the mail consumer pauses, nothing is dead-lettered, each mail goes once", async () => {
    const orderIds = Array.from({ length: 20 }, (_, index) => 3_100_001 + index);
    // The first test's permanent dead letters stay on the queue.
    const deadBefore = (await pipeline.deadLetters("order-shipped-email")).length;
    await pipeline.ongoing.createShippedOrders(orderIds);
    const exhausted = {
      ...localSesAccount,
      SendQuota: { Max24HourSend: 200, MaxSendRate: 14, SentLast24Hours: 200 },
    };
    process.env.AWS_SES_ACCOUNT = JSON.stringify(exhausted);
    pipeline.ses.faults.push({ ...sesAnswers.dailyQuotaExceeded, matches: isSendEmail });
    try {
      const answers = await deliver(
        pipeline.stack.urls.ingress,
        pipeline.stack.webhookToken,
        orderIds.map((id) => ({
          route: routeNamed("order-shipped-email"),
          payload: orderWebhookPayload(id, 159),
        })),
      );
      expect(answers.every((answer) => answer.status === 202)).toBe(true);
      await vi.waitFor(() => expect(pipeline.stack.eventSourceEnabled("order-shipped-email")).toBe(false), {
        timeout: 30_000,
        interval: 250,
      });
      // The Ongoing-only consumer keeps running.
      expect(pipeline.stack.eventSourceEnabled("article-sync")).toBe(true);
      // Several times the whole retry budget (about 7 s).
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      expect((await pipeline.deadLetters("order-shipped-email")).length).toBe(deadBefore);
    } finally {
      pipeline.ses.faults.length = 0;
      process.env.AWS_SES_ACCOUNT = JSON.stringify(localSesAccount);
    }
    await pipeline.stack.idle({ timeoutMs: 60_000 });
    const mails = pipeline.mailsAccepted();
    expect(orderIds.map((id) => mails.get(customerOf(id).email)?.length ?? 0)).toEqual(orderIds.map(() => 1));
    expect((await pipeline.deadLetters("order-shipped-email")).length).toBe(deadBefore);
    expect(pipeline.stack.eventSourceEnabled("order-shipped-email")).toBe(true);
  }, 120_000);

  it("waits out a transport outage: only the booking consumer pauses, each order is booked and written back once", async () => {
    const orderIds = Array.from({ length: 20 }, (_, index) => 3_200_001 + index);
    const transportAdmin = (path: string, init: RequestInit = {}) =>
      fetch(`${pipeline.stack.urls.transportAdmin}${path}`, init);
    const deadBefore = (await pipeline.deadLetters("transport-booking")).length;
    await pipeline.ongoing.createShippedOrders(orderIds);
    const down = await transportAdmin("/outage", { method: "PUT", body: "{}" });
    expect(down.status).toBe(204);
    try {
      const answers = await deliver(
        pipeline.stack.urls.ingress,
        pipeline.stack.webhookToken,
        orderIds.map((id) => ({
          route: routeNamed("transport-booking"),
          payload: orderWebhookPayload(id, 159),
        })),
      );
      expect(answers.every((answer) => answer.status === 202)).toBe(true);
      await vi.waitFor(() => expect(pipeline.stack.eventSourceEnabled("transport-booking")).toBe(false), {
        timeout: 30_000,
        interval: 250,
      });
      // Several times the whole retry budget (about 7 s), probed every 2 s: the probe's GET finds it down too.
      let halfOpenedEarly = false;
      const stillPaused = setInterval(() => {
        if (pipeline.stack.eventSourceEnabled("transport-booking") !== false) halfOpenedEarly = true;
      }, 250);
      await new Promise((resolve) => setTimeout(resolve, outageMs));
      clearInterval(stillPaused);
      expect(halfOpenedEarly).toBe(false);
      const { breakers } = await pipeline.stack.status();
      expect(breakers.find((breaker) => breaker.dependency === "transport")?.position).toBe("open");
      // The consumers that do not need the transport system keep running.
      for (const useCase of useCases.filter((useCase) => useCase !== "transport-booking"))
        expect(pipeline.stack.eventSourceEnabled(useCase)).toBe(true);
      expect((await pipeline.deadLetters("transport-booking")).length).toBe(deadBefore);
    } finally {
      await transportAdmin("/outage", { method: "DELETE" });
    }
    await vi.waitFor(() => expect(pipeline.stack.eventSourceEnabled("transport-booking")).toBe(true), {
      timeout: 30_000,
      interval: 250,
    });
    await pipeline.stack.idle({ timeoutMs: 60_000 });
    const { bookings } = (await (await transportAdmin("/bookings")).json()) as {
      bookings: { shipment: { orderId: number } }[];
    };
    expect(orderIds.map((id) => bookings.filter((record) => record.shipment.orderId === id).length)).toEqual(
      orderIds.map(() => 1),
    );
    const writes = await pipeline.ongoing.writes();
    expect(
      orderIds.map(
        (id) => writes.filter((write) => write.path === `/orders/${id}/waybill` && write.status < 300).length,
      ),
    ).toEqual(orderIds.map(() => 1));
    expect((await pipeline.deadLetters("transport-booking")).length).toBe(deadBefore);
  }, 180_000);
});
