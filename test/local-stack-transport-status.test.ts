/**
 * Transport status events end to end on the local stack (as `npm start` runs it, with the Automation API login
 * configured): a booking through the transport-booking route makes the transport simulator post its status
 * events to the ingress's `/webhooks/transport-status`; the transport-status function reports each to the Ongoing
 * simulator with ReportOrderTransportStatusEvent. A repeated and an older event change nothing; an event about an
 * order Ongoing does not know is dead-lettered with its reason.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TransportStatusEventWebhook } from "../functions/shared/contract/webhook-schemas.ts";
import { type LocalStack, startLocalStack } from "../local/stack.ts";
import { synthesize } from "../local/synth.ts";

let stack: LocalStack;
let outdir: string;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), "local-stack-status-"));
  const assembly = await synthesize({
    outdir,
    context: { "ongoingWebhooks.ongoing.automationCredentialsSecretName": "ongoing-webhooks/automation" },
  });
  stack = await startLocalStack({
    freePorts: true,
    assemblyDir: assembly.dir,
    schedule: false,
    transportStatusCallbacks: true,
  });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

const post = (route: string, body: unknown) =>
  fetch(`${stack.urls.ingress}/webhooks/${route}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-auth-token": stack.webhookToken },
    body: JSON.stringify(body),
  });

const ongoingOrder = async (orderId: number) =>
  (await (await fetch(`${stack.urls.ongoingAdmin}orders/${orderId}`)).json()) as {
    transportStatusEvents?: Array<{ transportStatus: string; eventType: string }>;
  };

const sentEvents = async () =>
  (
    (await (await fetch(`${stack.urls.transportAdmin}/status-events`)).json()) as {
      sent: Array<{ event: TransportStatusEventWebhook; status: number }>;
    }
  ).sent;

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("transport status events on the local stack", () => {
  it("reports the simulator's status events after a booking to Ongoing, once and newest last", async () => {
    const accepted = await post("transport-booking", {
      webhookEventId: 9001,
      goodsOwnerId: 159,
      orderId: 60012,
    });
    expect(accepted.status).toBe(202);
    const sent = await until(sentEvents, (events) => events.length >= 3);
    expect(sent.map(({ status }) => status)).toEqual([202, 202, 202]);
    await stack.idle();
    const order = await until(
      () => ongoingOrder(60012),
      (value) => value.transportStatusEvents?.at(-1)?.transportStatus === "Delivered",
    );
    // Events of one batch may be handled in any order: one that arrives after a newer one is skipped, so what
    // Ongoing got is in order and ends with the newest.
    const reported = order.transportStatusEvents?.map((event) => event.transportStatus) ?? [];
    const scans = ["PickedUpByCarrier", "OnWay", "Delivered"];
    expect(reported.at(-1)).toBe("Delivered");
    expect(reported.map((status) => scans.indexOf(status))).toEqual(
      [...reported.map((status) => scans.indexOf(status))].sort(),
    );

    // The first event again (a resend) and an older one: both skipped, nothing reported.
    const [first] = sent;
    expect((await post("transport-status", first?.event)).status).toBe(202);
    const older = {
      ...first?.event,
      eventId: "older-1",
      eventTime: "2020-01-01T00:00:00Z",
      transportStatus: "Printed",
    };
    expect((await post("transport-status", older)).status).toBe(202);
    await stack.idle();
    expect((await ongoingOrder(60012)).transportStatusEvents).toHaveLength(reported.length);
    const status = await stack.status();
    expect(status.queues.every((queue) => queue.deadLetters === 0)).toBe(true);
    // Room for one retry at the pipeline's backoff: a clean-clone CI run once needed more than 30 s here.
  }, 120_000);

  it("dead-letters an event about an order Ongoing does not know, with its reason; refuses a bad one", async () => {
    const unknown = {
      eventId: "unknown-order-1",
      goodsOwnerId: 159,
      orderId: 999_999,
      eventTime: new Date().toISOString(),
      eventType: "Delivery",
      transportStatus: "OnWay",
    };
    expect((await post("transport-status", unknown)).status).toBe(202);
    expect((await post("transport-status", { ...unknown, transportStatus: "Lost" })).status).toBe(400);
    await stack.idle();
    const queue = (await stack.status()).queues.find((candidate) => candidate.useCase === "transport-status");
    expect(queue?.deadLetters).toBe(1);
  });
});
