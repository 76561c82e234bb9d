/**
 * Everything a booking returns, written back through both Ongoing APIs in one run (goods owner 159 on REST, 161
 * on the Automation API), end to end over the wire: waybill, tracking, transporter order number, freight weight
 * and price, return waybill, labels with their expiry, and the goods owner's print job. Each step resumes after a
 * failure without repeating the steps done, and the print job is asked for at most once, across a crash too.
 */
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { child, text, type XmlObject } from "../functions/shared/ongoing/automation-xml.ts";
import type { BookingWorkflowData } from "../functions/transport-booking/booking-record.ts";
import { bookingSchema } from "../functions/transport-booking/transport-system.ts";
import type { Json } from "../simulators/ongoing/seed.ts";
import type { OngoingSimulator } from "../simulators/ongoing/server.ts";
import { startTransportSimulator, type TransportSimulator } from "../simulators/transport/server.ts";
import { loginSecret } from "./support/env.ts";
import { type Harness, startHarness } from "./support/harness.ts";
import { putShippedOrder, startThreeOwnerOngoing } from "./support/shipped-order.ts";

type Api = "rest" | "automation";
const goodsOwnerOf: Record<Api, number> = { rest: 159, automation: 161 };
const apis: Api[] = ["rest", "automation"];
const retentionDays = 30;

let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;
let crashingHandler: Handler<SQSEvent, SQSBatchResponse>;
let ongoing: OngoingSimulator;
let transport: TransportSimulator;
let nextEventId = 1;
let nextOrderId = 810_000;

function seedOrder(goodsOwnerId: number): number {
  const orderId = nextOrderId++;
  putShippedOrder(ongoing, {
    goodsOwnerId,
    orderId,
    orderNumber: `W${orderId}`,
    orderInfo: { returnWayBill: null },
    fields: { tracking: [] },
  });
  return orderId;
}

async function send(goodsOwnerId: number, orderId: number): Promise<void> {
  await harness.send(
    { webhookEventId: nextEventId++, goodsOwnerId, orderId, orderStatus: { number: 450 } },
    "order-shipped",
  );
}

const info = (orderId: number) => (ongoing.state.orders.get(orderId) as Json).orderInfo as Json;
const files = (orderId: number) => ongoing.state.files.get(orderId) ?? [];
const onlyBooking = (goodsOwnerId: number, orderId: number) => {
  const records = transport.bookingsForOrder(goodsOwnerId, orderId);
  expect(records).toHaveLength(1);
  return bookingSchema.parse(records[0]?.booking);
};

/** Successful writes to Ongoing for an order, by operation (REST name or SOAP operation + element). */
function writesFor(orderId: number): string[] {
  return ongoing.state.writes
    .filter((write) => write.status === 200)
    .flatMap((write) => {
      if (write.path !== "/Automation.asmx") {
        return write.path.startsWith(`/orders/${orderId}/`) ? [write.operation] : [];
      }
      const body = write.body as XmlObject;
      if (write.operation === "CreatePrintJob") {
        const ids = child(body, "IdsToPrint")?.int;
        const list = (Array.isArray(ids) ? ids : [ids]).map((id) => text(id));
        return list.includes(String(orderId)) ? ["CreatePrintJob"] : [];
      }
      if (write.operation === "UploadOrderFile") {
        return text(body.GoodsOwnerOrderNumber) === `W${orderId}` ? ["UploadOrderFile"] : [];
      }
      if (text(body.OrderId) !== String(orderId)) return [];
      return Object.keys(body)
        .filter((name) => name.startsWith("UpdateOrder"))
        .map((name) => `UpdateOrder/${name}`);
    });
}

const count = (list: string[], name: string) => list.filter((item) => item === name).length;

async function recordOf(goodsOwnerId: number, orderId: number) {
  const { documentClient } = await import("../functions/shared/aws/dynamodb.ts");
  const { GetCommand } = await import("@aws-sdk/lib-dynamodb");
  const { Item } = await documentClient.send(
    new GetCommand({
      TableName: harness.tables.state,
      Key: { id: `transport-booking#${goodsOwnerId}#${orderId}` },
      ConsistentRead: true,
    }),
  );
  return (Item ?? {}) as { step: string; data: BookingWorkflowData };
}

beforeAll(async () => {
  ongoing = await startThreeOwnerOngoing();
  transport = await startTransportSimulator({ details: true });
  const printing = {
    reportId: 47,
    printAsUser: { userName: "WarehouseWorker1" },
    printAsComputer: { computerName: "PackTable1" },
  };
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
      ONGOING_MAX_ATTEMPTS: "4",
      ONGOING_REQUEST_TIMEOUT_MS: "1000",
      ONGOING_WRITE_SETTLE_MS: "300",
      ONGOING_FILE_RETENTION_DAYS: String(retentionDays),
      RETRY_BASE_DELAY_SECONDS: "0",
      GOODS_OWNERS: JSON.stringify({
        "159": { credentialsSecretName: "ongoing/credentials-159", printing },
        "161": { transportApi: "automation", printing },
      }),
      TRANSPORTERS: JSON.stringify([{ code: "PLAB" }]),
      TRANSPORT_ADAPTER_URL: transport.bookingUrl,
      TRANSPORT_ADAPTER_TIMEOUT_MS: "5000",
    },
  });
  ({ handler } = await import("../functions/transport-booking/index.ts"));
  const { createConsumer } = await import("../functions/shared/pipeline/consumer.ts");
  const { transportBookingWith } = await import("../functions/transport-booking/definition.ts");
  crashingHandler = createConsumer(
    transportBookingWith({
      afterPrintJob() {
        throw new Error("worker crashed after asking for the print job, before recording its answer");
      },
    }),
  );
}, 60_000);
afterAll(async () => {
  await harness?.stop();
  await Promise.all([ongoing?.stop(), transport?.stop()]);
});
beforeEach(() => {
  ongoing.state.clearFaults();
  transport.state.faults.length = 0;
});
afterEach(async () => {
  expect(await harness.queueDepth()).toBe(0);
});

describe.each(apis)("everything the booking returns, through the %s API", (api) => {
  const goodsOwnerId = goodsOwnerOf[api];

  it("writes each value back once, the labels with their expiry, and prints once", async () => {
    const orderId = seedOrder(goodsOwnerId);
    await send(goodsOwnerId, orderId);
    await harness.run(handler);
    expect(await harness.deadLetters()).toEqual([]);

    const booking = onlyBooking(goodsOwnerId, orderId);
    const record = await recordOf(goodsOwnerId, orderId);
    expect(record.step).toBe("written-back");
    expect(record.data.written).toMatchObject({ waybill: true, tracking: true, fields: true, print: "done" });
    expect(info(orderId)).toMatchObject({ wayBill: booking.waybill, returnWayBill: booking.returnWaybill });
    if (api === "automation") {
      // The Automation API has a call for each; the REST API documents none for these three.
      expect(info(orderId)).toMatchObject({
        transporterOrderNumber: booking.transporterOrderNumber,
        transporterFreightWeight: booking.freightWeightKg,
        freightPrice: booking.freightPrice,
      });
    } else {
      expect(info(orderId).transporterOrderNumber).toBeUndefined();
      expect(harness.metricCount("FieldsNotWritten", { field: "freightPrice" })).toBeGreaterThan(0);
    }
    const expiry = Date.parse(String(files(orderId)[0]?.fileWillBeDeletedAt));
    const bookedAt = record.data.bookedAt ?? 0;
    expect(files(orderId)).toHaveLength(1);
    expect(expiry).toBe(bookedAt + retentionDays * 24 * 3600 * 1000);

    const writes = writesFor(orderId);
    expect(count(writes, "CreatePrintJob")).toBe(1);
    const print = ongoing.state.writes.find((write) => write.operation === "CreatePrintJob") as {
      body: XmlObject;
    };
    expect(print.body).toMatchObject({
      ReportId: "47",
      PrintAsUser: { UserName: "WarehouseWorker1" },
      PrintAsComputer: { ComputerName: "PackTable1" },
    });
    // A redelivery finds the record written back and writes nothing.
    await send(goodsOwnerId, orderId);
    await harness.run(handler);
    expect(writesFor(orderId)).toEqual(writes);
  });

  it("resumes at the step that failed, without repeating the steps done", async () => {
    const orderId = seedOrder(goodsOwnerId);
    // The order-fields step fails for one whole delivery (4 attempts), then heals.
    ongoing.state.addFault(
      api === "rest"
        ? { method: "PATCH", path: `^/orders/${orderId}/returnWaybill$`, status: 503, times: 4 }
        : {
            path: "^/Automation.asmx/UpdateOrder$",
            bodyPattern: "UpdateOrderReturnWaybill",
            status: 503,
            times: 4,
          },
    );
    await send(goodsOwnerId, orderId);
    await harness.run(handler);
    expect(await harness.deadLetters()).toEqual([]);

    const booking = onlyBooking(goodsOwnerId, orderId);
    expect(info(orderId)).toMatchObject({ wayBill: booking.waybill, returnWayBill: booking.returnWaybill });
    const writes = writesFor(orderId);
    const waybill = api === "rest" ? "patchWaybill" : "UpdateOrder/UpdateOrderWaybill";
    const tracking = api === "rest" ? "putOrderTracking" : "UpdateOrder/UpdateOrderTracking";
    const file = api === "rest" ? "postOrderFile" : "UploadOrderFile";
    expect([count(writes, waybill), count(writes, tracking), count(writes, file)]).toEqual([1, 1, 1]);
    expect(count(writes, "CreatePrintJob")).toBe(1);
  });

  it("retries a print job that surely printed nothing, and prints once", async () => {
    const orderId = seedOrder(goodsOwnerId);
    // 429 is a refusal before any work: retried within the delivery, then by the next one.
    ongoing.state.addFault({ path: "^/Automation.asmx/CreatePrintJob$", status: 429, times: 4 });
    const failed = harness.metricCount("WriteBackFailed");
    await send(goodsOwnerId, orderId);
    await harness.run(handler);
    expect(await harness.deadLetters()).toEqual([]);
    expect(harness.metricCount("WriteBackFailed")).toBe(failed + 1);
    expect(count(writesFor(orderId), "CreatePrintJob")).toBe(1);
    expect((await recordOf(goodsOwnerId, orderId)).data.written?.print).toBe("done");
  });

  it("never asks twice for a print job whose answer was lost: one print, reported as uncertain", async () => {
    const orderId = seedOrder(goodsOwnerId);
    ongoing.state.addFault({ path: "^/Automation.asmx/CreatePrintJob$", status: 500, afterWrite: true });
    await send(goodsOwnerId, orderId);
    await harness.run(handler);
    const [letter, ...more] = await harness.deadLetters();
    expect(more).toEqual([]);
    expect(letter?.attributes.failureCode).toBe("print-uncertain");
    expect(count(writesFor(orderId), "CreatePrintJob")).toBe(1);
    const record = await recordOf(goodsOwnerId, orderId);
    expect(record).toMatchObject({ step: "written-back", data: { written: { print: "uncertain" } } });
  });

  it("prints exactly once when the worker dies after asking for the print job", async () => {
    const orderId = seedOrder(goodsOwnerId);
    await send(goodsOwnerId, orderId);
    let crashed = false;
    await harness.run(async (event, context, callback) => {
      if (crashed) return (await handler(event, context, callback)) as SQSBatchResponse;
      crashed = true;
      return (await crashingHandler(event, context, callback)) as SQSBatchResponse;
    });
    expect(count(writesFor(orderId), "CreatePrintJob")).toBe(1);
    const [letter] = await harness.deadLetters();
    expect(letter?.attributes.failureCode).toBe("print-uncertain");
    expect((await recordOf(goodsOwnerId, orderId)).step).toBe("written-back");
  });
});
