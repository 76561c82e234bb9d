/**
 * Use-case 2, transport booking, end to end over the wire: the webhook on the queue (fauxqs) → the consumer
 * (invoked by the local SQS poller as Lambda would) → the Ongoing simulator (fetch, write back) → the transport
 * simulator (booking) → the workflow record in the state table (dynalite).
 */
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { BookingWorkflowData } from "../functions/transport-booking/booking.ts";
import { bookingSchema } from "../functions/transport-booking/transport-system.ts";
import { type Json, officialExample } from "../simulators/ongoing/seed.ts";
import { type OngoingSimulator, startOngoingSimulator } from "../simulators/ongoing/server.ts";
import { startTransportSimulator, type TransportSimulator } from "../simulators/transport/server.ts";
import { type Harness, startHarness } from "./support/harness.ts";

let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;
let ongoing: OngoingSimulator;
let transport: TransportSimulator;
let nextEventId = 1;
let nextOrderId = 700_000;

const example = officialExample("order") as Json & { orderInfo: Json };

/** A copy of Ongoing's example order (transporter PLAB) under a new id, without the example's waybill. */
function seedOrder(patch: { orderInfo?: Json; transporter?: Json; goodsOwner?: Json } = {}): number {
  const orderId = nextOrderId++;
  ongoing.state.putOrder({
    ...example,
    goodsOwner: { ...(example.goodsOwner as Json), ...patch.goodsOwner },
    orderInfo: {
      ...example.orderInfo,
      orderId,
      wayBill: null,
      orderStatus: { number: 450, text: "Skickad" },
      ...patch.orderInfo,
    },
    parcels: [],
    ...(patch.transporter ? { transporter: { ...(example.transporter as Json), ...patch.transporter } } : {}),
  });
  return orderId;
}

const webhook = (orderId: number, options: { goodsOwnerId?: number; webhookEventId?: number } = {}) => ({
  webhookEventId: options.webhookEventId ?? nextEventId++,
  goodsOwnerId: options.goodsOwnerId ?? 159,
  orderId,
  orderNumber: "O1231234",
  orderStatus: { number: 450 },
  timestamp: "2026-01-01T12:00:00.0000000",
  webhookTemplate: "OrderStatusChanged",
});

const writesTo = (orderId: number) =>
  ongoing.state.writes.filter((write) => write.path.startsWith(`/orders/${orderId}/`) && write.status < 300);
const operations = (orderId: number) => writesTo(orderId).map((write) => write.operation);
const storedOrder = (orderId: number) => ongoing.state.orders.get(orderId) as Json & { orderInfo: Json };

async function workflowOf(goodsOwnerId: number, orderId: number) {
  const { WorkflowStore } = await import("../functions/shared/state/workflow.ts");
  const store = new WorkflowStore<BookingWorkflowData>({
    tableName: harness.tables.state,
    kind: "transport-booking",
    ttlSeconds: 3600,
  });
  return { store, workflow: await store.get(`${goodsOwnerId}#${orderId}`) };
}

beforeAll(async () => {
  ongoing = await startOngoingSimulator();
  transport = await startTransportSimulator({ auth: { headerName: "X-Api-Key", value: "transport-key" } });
  harness = await startHarness({
    useCase: "transport-booking",
    maxReceiveCount: 5,
    secrets: {
      "ongoing/credentials": JSON.stringify({ username: "demo", password: "demo-password" }),
      "ongoing/credentials-160": JSON.stringify({ username: "other", password: "other-password" }),
      "transport/adapter-key": "transport-key",
    },
    env: {
      ONGOING_BASE_URL: ongoing.baseUrl,
      ONGOING_CREDENTIALS_SECRET: "ongoing/credentials",
      ONGOING_MAX_ATTEMPTS: "1",
      // Retries wait a little, as on AWS, so a delivery racing another one finds it finished.
      RETRY_BASE_DELAY_SECONDS: "1",
      GOODS_OWNERS: JSON.stringify({
        "160": { credentialsSecretName: "ongoing/credentials-160", transporters: [{ code: "BUDBEE" }] },
      }),
      TRANSPORTERS: JSON.stringify([{ code: "PLAB", serviceCodes: ["P18", "P19"] }]),
      TRANSPORT_ADAPTER_URL: transport.bookingUrl,
      TRANSPORT_ADAPTER_AUTH_SECRET: "transport/adapter-key",
      TRANSPORT_ADAPTER_AUTH_HEADER: "X-Api-Key",
      TRANSPORT_ADAPTER_TIMEOUT_MS: "2000",
    },
  });
  ({ handler } = await import("../functions/transport-booking/index.ts"));
});
afterAll(async () => {
  await harness?.stop();
  await Promise.all([ongoing?.stop(), transport?.stop()]);
});
beforeEach(() => {
  ongoing.state.clearFaults();
  transport.state.faults.length = 0;
  transport.state.latencyMs = 0;
});
afterEach(async () => {
  expect(await harness.queueDepth()).toBe(0);
});

describe("transport booking", () => {
  it("books Ongoing's example order once and writes waybill, tracking, parcels and label back", async () => {
    const orderId = seedOrder();
    const booked = harness.metricCount("TransportBooked");
    await harness.send(webhook(orderId), "order-shipped");
    await harness.run(handler);

    expect(await harness.deadLetters()).toEqual([]);
    const [record, ...others] = transport.bookingsForOrder(159, orderId);
    expect(others).toEqual([]);
    expect(record).toMatchObject({ key: `159-${orderId}`, requests: 1 });
    expect(record?.shipment).toMatchObject({
      orderId,
      goodsOwnerId: 159,
      transporter: { code: "PLAB", serviceCode: "P18" },
      consignee: { postCode: "12345", countryCode: "US" },
    });
    const booking = record?.booking;
    expect(operations(orderId)).toEqual(["patchWaybill", "putOrderTracking", "putParcel", "postOrderFile"]);
    expect(writesTo(orderId).map((write) => write.body)).toEqual([
      { waybill: booking?.waybill },
      { waybill: booking?.waybill, trackingUrl: booking?.trackingUrl, isReturnTracking: false },
      { parcelNumber: booking?.parcels[0]?.parcelNumber, transportAdministrationType: "delivery" },
      expect.objectContaining({ fileName: booking?.label?.fileName, mimeType: "application/pdf" }),
    ]);
    expect(storedOrder(orderId).orderInfo.wayBill).toBe(booking?.waybill);
    expect(ongoing.state.files.get(orderId)?.[0]).toMatchObject({ fileDataBase64: booking?.label?.base64 });
    expect(harness.metricCount("TransportBooked") - booked).toBe(1);

    const { workflow } = await workflowOf(159, orderId);
    expect(workflow).toMatchObject({
      step: "written-back",
      data: { leaseUntil: 0, written: { waybill: true, tracking: true, label: true } },
    });
    expect(workflow?.data.booking?.label).toBeUndefined();

    // A later status change to Sent for the same order: our record says it is booked.
    const skipped = harness.metricCount("TransportSkipped", { reason: "already-booked" });
    await harness.send(webhook(orderId), "order-shipped");
    await harness.run(handler);
    expect(harness.metricCount("TransportSkipped", { reason: "already-booked" }) - skipped).toBe(1);
    expect(transport.bookingsForOrder(159, orderId)).toHaveLength(1);
    expect(writesTo(orderId)).toHaveLength(4);
  });

  it.each([
    ["already-waybilled", () => 50163, 159],
    [
      "transporter-not-configured",
      () => seedOrder({ transporter: { code: "DHLFREIGHTSE", serviceCode: "SP" } }),
      159,
    ],
    [
      "transporter-not-configured",
      () => seedOrder({ transporter: { code: "PLAB", serviceCode: "P24" } }),
      159,
    ],
    ["transporter-not-configured", () => seedOrder({ goodsOwner: { id: 160 } }), 160],
    ["cancelled", () => seedOrder({ orderInfo: { orderStatus: { number: 1000, text: "Makulerad" } } }), 159],
  ])("skips an order: %s", async (reason, order, goodsOwnerId) => {
    const orderId = order();
    const requests = transport.state.requests;
    const skipped = harness.metricCount("TransportSkipped", { reason });
    await harness.send(webhook(orderId, { goodsOwnerId }), "order-shipped");
    await harness.run(handler);
    expect(await harness.deadLetters()).toEqual([]);
    expect(harness.metricCount("TransportSkipped", { reason }) - skipped).toBe(1);
    expect(transport.state.requests).toBe(requests);
    expect(writesTo(orderId)).toEqual([]);
    expect((await workflowOf(goodsOwnerId, orderId)).workflow).toBeUndefined();
  });

  it("dead-letters an order Ongoing does not know, with the reason", async () => {
    await harness.send(webhook(999_999), "order-shipped");
    await harness.run(handler);
    const [letter, ...more] = await harness.deadLetters();
    expect(more).toEqual([]);
    expect(letter?.attributes).toMatchObject({ failureClass: "permanent", failureCode: "not-found" });
    expect(transport.bookingsForOrder(159, 999_999)).toEqual([]);
  });

  it("resumes the write-back after a failure without booking again", async () => {
    const orderId = seedOrder();
    const failed = harness.metricCount("WriteBackFailed");
    ongoing.state.addFault({ status: 500, method: "PUT", path: `^/orders/${orderId}/parcels$`, times: 1 });
    await harness.send(webhook(orderId), "order-shipped");
    await harness.run(handler);

    expect(await harness.deadLetters()).toEqual([]);
    expect(harness.metricCount("WriteBackFailed") - failed).toBe(1);
    expect(transport.bookingsForOrder(159, orderId)).toMatchObject([{ requests: 1 }]);
    // The waybill and tracking written before the failure are not written again.
    expect(operations(orderId)).toEqual(["patchWaybill", "putOrderTracking", "putParcel", "postOrderFile"]);
    expect((await workflowOf(159, orderId)).workflow?.step).toBe("written-back");
  });

  it("gets the same booking back when the answer to a successful booking was lost", async () => {
    const orderId = seedOrder();
    transport.injectFault({ status: 502, afterBooking: true }, { reset: true, afterBooking: true });
    await harness.send(webhook(orderId), "order-shipped");
    await harness.run(handler);

    expect(await harness.deadLetters()).toEqual([]);
    const [record, ...others] = transport.bookingsForOrder(159, orderId);
    expect(others).toEqual([]);
    expect(record?.requests).toBe(3);
    expect(storedOrder(orderId).orderInfo.wayBill).toBe(record?.booking.waybill);
    expect(operations(orderId)).toEqual(["patchWaybill", "putOrderTracking", "putParcel", "postOrderFile"]);
  });

  it("finishes the write-back of a worker that died after recording its booking", async () => {
    const orderId = seedOrder();
    const answer = await fetch(transport.bookingUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-api-key": "transport-key",
        "idempotency-key": `159-${orderId}`,
      },
      body: JSON.stringify({
        idempotencyKey: `159-${orderId}`,
        goodsOwnerId: 159,
        orderId,
        transporter: { code: "PLAB" },
        consignee: {},
        parcels: [],
        lines: [],
      }),
    });
    const booking = bookingSchema.parse(await answer.json());
    // The dead worker's record: booked, the waybill written, its lease run out.
    const { store } = await workflowOf(159, orderId);
    const { workflow } = await store.start(`159#${orderId}`, "booking", { leaseUntil: Date.now() + 60_000 });
    await store.advance(workflow, "booked", {
      booking,
      leaseUntil: Date.now() - 1,
      written: { waybill: true },
    });
    ongoing.state.patchOrder(orderId, { orderInfo: { wayBill: booking.waybill } });

    await harness.send(webhook(orderId), "order-shipped");
    await harness.run(handler);

    expect(await harness.deadLetters()).toEqual([]);
    expect(transport.bookingsForOrder(159, orderId)).toMatchObject([{ requests: 1 }]);
    expect(operations(orderId)).toEqual(["putOrderTracking", "putParcel", "postOrderFile"]);
    expect((await workflowOf(159, orderId)).workflow?.step).toBe("written-back");
  });

  it("books once for duplicate and concurrent events about the same order", async () => {
    const orderId = seedOrder();
    transport.state.latencyMs = 200;
    const duplicate = webhook(orderId);
    await Promise.all([
      harness.send(duplicate, "order-shipped"),
      harness.send(duplicate, "order-shipped"),
      harness.send(webhook(orderId), "order-shipped"),
      harness.send(webhook(orderId), "order-shipped"),
    ]);
    const raced = harness.metricCount("Failed", { class: "transient" });
    await harness.run(handler, { batchSize: 10, maxConcurrency: 2 });
    // The deliveries overlapped: the ones that lost the race were told to come back later.
    expect(harness.metricCount("Failed", { class: "transient" })).toBeGreaterThan(raced);

    expect(await harness.deadLetters()).toEqual([]);
    expect(transport.bookingsForOrder(159, orderId)).toMatchObject([{ requests: 1 }]);
    expect(operations(orderId)).toEqual(["patchWaybill", "putOrderTracking", "putParcel", "postOrderFile"]);
  });

  it("retries when the transport system fails for a while, then books", async () => {
    const orderId = seedOrder();
    const failed = harness.metricCount("TransportFailed");
    transport.injectFault({ status: 503, times: 2 });
    await harness.send(webhook(orderId), "order-shipped");
    await harness.run(handler);

    expect(await harness.deadLetters()).toEqual([]);
    expect(harness.metricCount("TransportFailed") - failed).toBe(2);
    expect(transport.bookingsForOrder(159, orderId)).toMatchObject([{ requests: 1 }]);
    expect(storedOrder(orderId).orderInfo.wayBill).toBe(
      transport.bookingsForOrder(159, orderId)[0]?.booking.waybill,
    );
  });

  it("dead-letters a booking the transport system rejects, with its reason", async () => {
    const orderId = seedOrder();
    transport.injectFault({ status: 422, body: { message: "service P18 is not available to US" } });
    await harness.send(webhook(orderId), "order-shipped");
    await harness.run(handler);

    const [letter, ...more] = await harness.deadLetters();
    expect(more).toEqual([]);
    expect(letter?.attributes).toMatchObject({
      failureClass: "permanent",
      failureCode: "transport-rejected",
      failureReason: "transport system rejected the booking (HTTP 422): service P18 is not available to US",
    });
    expect(transport.bookingsForOrder(159, orderId)).toEqual([]);
    expect(writesTo(orderId)).toEqual([]);
    // Released, so a replay from the DLQ books at once.
    expect((await workflowOf(159, orderId)).workflow).toMatchObject({
      step: "booking",
      data: { leaseUntil: 0 },
    });
  });
});
