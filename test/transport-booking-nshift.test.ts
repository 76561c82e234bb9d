/**
 * Transport booking with the built-in nShift Delivery adapter, end to end over the wire: the webhook on the queue
 * (fauxqs) → the consumer → the Ongoing simulator (REST) → the nShift simulator → the workflow record (dynalite).
 * Goods owner 159 is set to nShift, 160 stays on the deployment's default (the generic HTTP adapter).
 */
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type NshiftSimulator, startNshiftSimulator } from "../simulators/nshift/server.ts";
import type { Json } from "../simulators/ongoing/seed.ts";
import { defaultUsers, type OngoingSimulator, startOngoingSimulator } from "../simulators/ongoing/server.ts";
import { startTransportSimulator, type TransportSimulator } from "../simulators/transport/server.ts";
import { loginSecret } from "./support/env.ts";
import { type Harness, startHarness } from "./support/harness.ts";
import { orderShippedWebhook, putShippedOrder } from "./support/shipped-order.ts";

let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;
let ongoing: OngoingSimulator;
let nshift: NshiftSimulator;
let transport: TransportSimulator;
let nextEventId = 1;
let nextOrderId = 800_000;

function seedOrder(goodsOwnerId = 159): number {
  const orderId = nextOrderId++;
  putShippedOrder(ongoing, { goodsOwnerId, orderId, orderNumber: `O${orderId}` });
  return orderId;
}

const send = (orderId: number, goodsOwnerId = 159) =>
  harness.send(
    orderShippedWebhook(orderId, { webhookEventId: nextEventId++, goodsOwnerId }),
    "order-shipped",
  );

const order = (orderId: number) => ongoing.state.orders.get(orderId) as Json & { orderInfo: Json };

beforeAll(async () => {
  ongoing = await startOngoingSimulator({ users: defaultUsers });
  nshift = await startNshiftSimulator({ apiKey: { id: "nshift-id", secret: "nshift-secret" } });
  transport = await startTransportSimulator();
  harness = await startHarness({
    useCase: "transport-booking",
    maxReceiveCount: 5,
    secrets: {
      "ongoing/credentials-159": loginSecret("demo"),
      "ongoing/credentials-160": loginSecret("other"),
      "nshift/api-key": JSON.stringify({ id: "nshift-id", secret: "nshift-secret" }),
    },
    env: {
      ONGOING_BASE_URL: ongoing.baseUrl,
      ONGOING_MAX_ATTEMPTS: "1",
      RETRY_BASE_DELAY_SECONDS: "1",
      GOODS_OWNERS: JSON.stringify({
        "159": { credentialsSecretName: "ongoing/credentials-159", transportAdapter: "nshift" },
        "160": { credentialsSecretName: "ongoing/credentials-160" },
      }),
      TRANSPORTERS: JSON.stringify([{ code: "PLAB" }]),
      TRANSPORT_ADAPTER: "http",
      TRANSPORT_ADAPTER_URL: transport.bookingUrl,
      NSHIFT_BASE_URL: nshift.baseUrl,
      NSHIFT_CREDENTIALS_SECRET: "nshift/api-key",
      NSHIFT_SENDER_QUICK_ID: "WH1",
      NSHIFT_TIMEOUT_MS: "1000",
    },
  });
  ({ handler } = await import("../functions/transport-booking/index.ts"));
});
afterAll(async () => {
  await harness?.stop();
  await Promise.all([ongoing?.stop(), nshift?.stop(), transport?.stop()]);
});
beforeEach(() => {
  nshift.state.faults.length = 0;
});
afterEach(async () => {
  expect(await harness.queueDepth()).toBe(0);
});

describe("transport booking with nShift Delivery", () => {
  it("books the goods owner set to nShift there, and writes waybill, parcel and label back", async () => {
    const orderId = seedOrder();
    await send(orderId);
    await harness.run(handler);

    expect(await harness.deadLetters()).toEqual([]);
    const [printed, ...more] = nshift.printedFor(`159-${orderId}`);
    expect(more).toEqual([]);
    expect(nshift.state.stored.get(printed?.storedId ?? "")?.shipment).toMatchObject({
      sender: { quickId: "WH1" },
      service: { id: "P18" },
      orderNo: `O${orderId}`,
      senderReference: `159-${orderId}`,
      receiver: { zipcode: "12345", country: "US" },
    });
    expect(order(orderId).orderInfo.wayBill).toBe(printed?.shipmentNo);
    expect(order(orderId).parcels).toEqual([
      expect.objectContaining({ parcelNumber: printed?.parcels[0]?.parcelNo }),
    ]);
    expect(ongoing.state.files.get(orderId)?.[0]).toMatchObject({ fileDataBase64: printed?.label });
    expect(transport.bookingsForOrder(159, orderId)).toEqual([]);
  });

  it("keeps the other goods owner on the default HTTP adapter", async () => {
    const orderId = seedOrder(160);
    await send(orderId, 160);
    await harness.run(handler);

    expect(await harness.deadLetters()).toEqual([]);
    expect(transport.bookingsForOrder(160, orderId)).toHaveLength(1);
    expect(nshift.printedFor(`160-${orderId}`)).toEqual([]);
  });

  it("a time-out after nShift stored the shipment: the redelivery adopts it, one shipment, written back", async () => {
    const orderId = seedOrder();
    nshift.injectFault({ operation: "store", afterEffect: true, delayMs: 2_000 });
    await send(orderId);
    await harness.run(handler);

    expect(await harness.deadLetters()).toEqual([]);
    expect(
      [...nshift.state.stored.values()].filter((s) => s.shipment.senderReference === `159-${orderId}`),
    ).toHaveLength(1);
    const printed = nshift.printedFor(`159-${orderId}`);
    expect(printed).toHaveLength(1);
    expect(order(orderId).orderInfo.wayBill).toBe(printed[0]?.shipmentNo);
  });

  it("a time-out after nShift printed: exactly one shipment, dead-lettered with the reason, never booked again", async () => {
    const orderId = seedOrder();
    nshift.injectFault({ operation: "print", afterEffect: true, delayMs: 2_000 });
    await send(orderId);
    await harness.run(handler);

    const [letter, ...more] = await harness.deadLetters();
    expect(more).toEqual([]);
    expect(letter?.attributes).toMatchObject({
      failureClass: "permanent",
      failureCode: "transport-booking-unknown",
    });
    expect(letter?.attributes.failureReason).toMatch(/Not booked twice/);
    expect(nshift.printedFor(`159-${orderId}`)).toHaveLength(1);
  });

  it("a 5xx from nShift is retried after looking first: one shipment", async () => {
    const orderId = seedOrder();
    const searches = nshift.state.requests.search;
    nshift.injectFault({ operation: "store", status: 502, times: 2 });
    await send(orderId);
    await harness.run(handler);

    expect(await harness.deadLetters()).toEqual([]);
    expect(nshift.printedFor(`159-${orderId}`)).toHaveLength(1);
    expect(nshift.state.requests.search - searches).toBe(2);
  });

  it("a 401 from nShift is dead-lettered at once with a clear reason", async () => {
    const orderId = seedOrder();
    nshift.injectFault({
      operation: "store",
      status: 401,
      body: { code: "UNAUTHORIZED", message: "Invalid" },
    });
    await send(orderId);
    await harness.run(handler);

    const [letter] = await harness.deadLetters();
    expect(letter?.attributes).toMatchObject({
      failureClass: "permanent",
      failureCode: "transport-unauthorized",
    });
    expect(letter?.attributes.failureReason).toMatch(/nShift refused the API key \(HTTP 401\)/);
    expect(nshift.printedFor(`159-${orderId}`)).toEqual([]);
  });
});
