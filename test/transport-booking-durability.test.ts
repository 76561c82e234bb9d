/**
 * Transport booking at the edges, end to end over the wire, through both Ongoing APIs in one run (goods owner 159
 * on REST, 161 on the Automation API): labels of any size (a 5 MB label; 20 parcels each with a label) go
 * through the documents bucket (fauxqs S3) and leave only keys in the booking record; and writes whose answer
 * was lost after they took effect (time-out, cut connection, 5xx) are not repeated, with Ongoing's default
 * attempts per call, so each order ends with one label file, one parcel row per parcel and one tracking row.
 */
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bookingDocumentsPrefix } from "../functions/shared/contract/names.ts";
import type { BookingWorkflowData } from "../functions/transport-booking/booking-record.ts";
import { bookingSchema } from "../functions/transport-booking/transport-system.ts";
import type { Json } from "../simulators/ongoing/seed.ts";
import type { FaultSpec, OngoingSimulator } from "../simulators/ongoing/server.ts";
import { startTransportSimulator, type TransportSimulator } from "../simulators/transport/server.ts";
import { loginSecret } from "./support/env.ts";
import { type Harness, startHarness } from "./support/harness.ts";
import { orderShippedWebhook, putShippedOrder, startThreeOwnerOngoing } from "./support/shipped-order.ts";

type Api = "rest" | "automation";
const goodsOwnerOf: Record<Api, number> = { rest: 159, automation: 161 };
const apis: Api[] = ["rest", "automation"];

let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;
let ongoing: OngoingSimulator;
let transport: TransportSimulator;
let nextEventId = 1;
let nextOrderId = 800_000;

/** Ongoing's example order under a new id and number, sent, without waybill, parcels or tracking. */
function seedOrder(goodsOwnerId: number): number {
  const orderId = nextOrderId++;
  putShippedOrder(ongoing, { goodsOwnerId, orderId, orderNumber: `D${orderId}`, fields: { tracking: [] } });
  return orderId;
}

async function book(goodsOwnerId: number, orderId: number): Promise<void> {
  await harness.send(
    orderShippedWebhook(orderId, { webhookEventId: nextEventId++, goodsOwnerId, orderNumber: `D${orderId}` }),
    "order-shipped",
  );
  await harness.run(handler);
}

const order = (orderId: number) =>
  ongoing.state.orders.get(orderId) as Json & { parcels: Json[]; tracking: Json[] };
const files = (orderId: number) => ongoing.state.files.get(orderId) ?? [];
const onlyBooking = (goodsOwnerId: number, orderId: number) => {
  const records = transport.bookingsForOrder(goodsOwnerId, orderId);
  expect(records).toHaveLength(1);
  return bookingSchema.parse(records[0]?.booking);
};

/** The booking record as stored, and about the size of its item. */
async function recordOf(goodsOwnerId: number, orderId: number) {
  // Imported once the harness has pointed the client at the local DynamoDB.
  const { documentClient } = await import("../functions/shared/aws/dynamodb.ts");
  const { GetCommand } = await import("@aws-sdk/lib-dynamodb");
  const { Item } = await documentClient.send(
    new GetCommand({
      TableName: harness.tables.state,
      Key: { id: `transport-booking#${goodsOwnerId}#${orderId}` },
      ConsistentRead: true,
    }),
  );
  const item = (Item ?? {}) as { step: string; data: BookingWorkflowData };
  return { ...item, bytes: Buffer.byteLength(JSON.stringify(item)) };
}

async function storedKeys(goodsOwnerId: number, orderId: number): Promise<string[]> {
  const { Contents = [] } = await harness.documents.s3.send(
    new ListObjectsV2Command({
      Bucket: harness.documents.bucket,
      Prefix: `${bookingDocumentsPrefix}${goodsOwnerId}/${orderId}/`,
    }),
  );
  return Contents.map((object) => object.Key ?? "");
}

/** A fault on one write-back call, whichever API carries it. */
function writeFault(api: Api, orderId: number, step: "label" | "tracking" | "parcel", fault: FaultSpec) {
  const rest = { label: ["POST", "files"], tracking: ["PUT", "orderTracking"], parcel: ["PUT", "parcels"] };
  const [method, resource] = rest[step];
  // The waybill goes through UpdateOrder too: the tracking fault picks the call by its body.
  const soap = {
    label: { path: "^/Automation.asmx/UploadOrderFile$" },
    tracking: { path: "^/Automation.asmx/UpdateOrder$", bodyPattern: "UpdateOrderTracking" },
    parcel: { path: "^/Automation.asmx/none$" },
  }[step];
  return api === "rest"
    ? { ...fault, method, path: `^/orders/${orderId}/${resource}$` }
    : { ...fault, ...soap };
}

beforeAll(async () => {
  ongoing = await startThreeOwnerOngoing();
  transport = await startTransportSimulator();
  harness = await startHarness({
    useCase: "transport-booking",
    maxReceiveCount: 6,
    secrets: {
      "ongoing/credentials-159": loginSecret("demo"),
      "ongoing/automation": loginSecret("automation"),
    },
    env: {
      ONGOING_BASE_URL: ongoing.baseUrl,
      ONGOING_TRANSPORT_API: "rest",
      ONGOING_AUTOMATION_CREDENTIALS_SECRET: "ongoing/automation",
      // Ongoing's default attempts per call: a write that may have taken effect must still not be repeated.
      ONGOING_MAX_ATTEMPTS: "4",
      ONGOING_REQUEST_TIMEOUT_MS: "1000",
      // Past the simulator's slow write below (1.0 s time-out + 0.6 s > 1.3 s), so the re-read finds it landed.
      ONGOING_WRITE_SETTLE_MS: "600",
      RETRY_BASE_DELAY_SECONDS: "0",
      GOODS_OWNERS: JSON.stringify({
        "159": { credentialsSecretName: "ongoing/credentials-159" },
        "161": { transportApi: "automation" },
      }),
      TRANSPORTERS: JSON.stringify([{ code: "PLAB" }]),
      TRANSPORT_ADAPTER_URL: transport.bookingUrl,
      TRANSPORT_ADAPTER_TIMEOUT_MS: "5000",
    },
  });
  ({ handler } = await import("../functions/transport-booking/index.ts"));
}, 60_000);
afterAll(async () => {
  await harness?.stop();
  await Promise.all([ongoing?.stop(), transport?.stop()]);
});
beforeEach(() => {
  ongoing.state.clearFaults();
  transport.reset();
});
afterEach(async () => {
  expect(await harness.queueDepth()).toBe(0);
  expect(await harness.deadLetters()).toEqual([]);
});

describe.each(apis)("labels of any size, through the %s API", (api) => {
  const goodsOwnerId = goodsOwnerOf[api];

  it("writes back a 5 MB label, kept in S3 meanwhile and out of the booking record", async () => {
    transport.state.labelBytes = 5 * 1024 * 1024;
    const orderId = seedOrder(goodsOwnerId);
    await book(goodsOwnerId, orderId);

    const booking = onlyBooking(goodsOwnerId, orderId);
    const label = booking.label;
    expect(Buffer.from(label?.base64 ?? "", "base64").length).toBeGreaterThanOrEqual(5 * 1024 * 1024);
    expect(files(orderId)).toEqual([
      expect.objectContaining({ fileName: label?.fileName, fileDataBase64: label?.base64 }),
    ]);
    const record = await recordOf(goodsOwnerId, orderId);
    expect(record.step).toBe("written-back");
    expect(record.bytes).toBeLessThan(4_000);
    expect(record.data.booking?.documents).toEqual([
      expect.objectContaining({
        fileName: label?.fileName,
        bytes: Buffer.from(label?.base64 ?? "", "base64").length,
      }),
    ]);
    // The object in the bucket is the label itself, under the booking's prefix.
    const [key, ...more] = await storedKeys(goodsOwnerId, orderId);
    expect(more).toEqual([]);
    const object = await harness.documents.s3.send(
      new GetObjectCommand({ Bucket: harness.documents.bucket, Key: key }),
    );
    expect(object.ContentType).toBe("application/pdf");
    expect(await object.Body?.transformToString("base64")).toBe(label?.base64);
  }, 60_000);

  it("writes back a booking of 20 parcels each with its own label", async () => {
    Object.assign(transport.state, { parcelCount: 20, parcelLabels: true, labelBytes: 100_000 });
    const orderId = seedOrder(goodsOwnerId);
    await book(goodsOwnerId, orderId);

    const booking = onlyBooking(goodsOwnerId, orderId);
    expect(booking.parcels).toHaveLength(20);
    const expectedFiles = [booking.label, ...booking.parcels.map((parcel) => parcel.label)].map(
      (label) => label?.fileName,
    );
    expect(files(orderId).map((file) => file.fileName)).toEqual(expectedFiles);
    expect(files(orderId).map((file) => file.fileDataBase64)).toEqual(
      [booking.label, ...booking.parcels.map((parcel) => parcel.label)].map((label) => label?.base64),
    );
    // The Automation API has no call to add a parcel number.
    expect(order(orderId).parcels.map((parcel) => parcel.parcelNumber)).toEqual(
      api === "rest" ? booking.parcels.map((parcel) => parcel.parcelNumber) : [],
    );
    const record = await recordOf(goodsOwnerId, orderId);
    expect(record.step).toBe("written-back");
    expect(record.data.written?.files).toHaveLength(21);
    expect(record.bytes).toBeLessThan(20_000);
    expect(await storedKeys(goodsOwnerId, orderId)).toHaveLength(21);
  }, 60_000);
});

describe.each(apis)("writes whose answer was lost, through the %s API", (api) => {
  const goodsOwnerId = goodsOwnerOf[api];
  /** Faulted writes: tracking, the first two parcels (REST only: SOAP has no parcel call) and the label. */
  const faulted = api === "rest" ? 4 : 2;

  it.each([
    ["times out after the write", { afterWrite: true, delayMs: 1_300 }, "re-read"],
    ["is cut off after the write", { afterWrite: true, reset: true }, "re-read"],
    ["is a server error after the write", { afterWrite: true, status: 500 }, "re-read"],
    ["times out while the write is still being made", { delayMs: 1_300 }, "re-read"],
    ["is a server error and the write did not happen", { status: 500 }, "redelivery"],
  ] as [string, FaultSpec, "re-read" | "redelivery"][])(
    "ends with one label, one tracking row and one row per parcel when every answer %s",
    async (_, fault, settledBy) => {
      Object.assign(transport.state, { parcelCount: 3 });
      const orderId = seedOrder(goodsOwnerId);
      ongoing.state.addFault(writeFault(api, orderId, "tracking", fault));
      if (api === "rest") {
        ongoing.state.addFault(writeFault(api, orderId, "parcel", { ...fault, times: 2 }));
      }
      ongoing.state.addFault(writeFault(api, orderId, "label", fault));
      const failed = harness.metricCount("Failed", { class: "transient" });
      const confirmed = harness.metricCount("WriteBackConfirmedByReRead");
      await book(goodsOwnerId, orderId);

      const booking = onlyBooking(goodsOwnerId, orderId);
      // A write that landed is found by reading the order again; one that did not is made on the redelivery.
      expect({
        confirmedByReRead: harness.metricCount("WriteBackConfirmedByReRead") - confirmed,
        failedDeliveries: harness.metricCount("Failed", { class: "transient" }) - failed,
      }).toEqual(
        settledBy === "re-read"
          ? { confirmedByReRead: faulted, failedDeliveries: 0 }
          : { confirmedByReRead: 0, failedDeliveries: faulted },
      );
      expect(files(orderId).map((file) => file.fileName)).toEqual([booking.label?.fileName]);
      expect(order(orderId).tracking).toEqual([
        expect.objectContaining({ waybill: booking.waybill, trackingUrl: booking.trackingUrl }),
      ]);
      if (api === "rest") {
        expect(order(orderId).parcels.map((parcel) => parcel.parcelNumber)).toEqual(
          booking.parcels.map((parcel) => parcel.parcelNumber),
        );
      }
      expect((await recordOf(goodsOwnerId, orderId)).step).toBe("written-back");
    },
    60_000,
  );
});
