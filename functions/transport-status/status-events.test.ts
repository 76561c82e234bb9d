import { describe, expect, it } from "vitest";
import { useLocalAws, useOngoingSimulator } from "../../test/support/env.ts";
import type { TransportStatusEventWebhook } from "../shared/contract/webhook-schemas.ts";
import { createAutomationClient } from "../shared/ongoing/automation.ts";
import type { HandlerContext, WebhookRecord } from "../shared/pipeline/types.ts";

const aws = useLocalAws({ dynamo: { tablePrefix: "transport-status" } });
const ongoing = useOngoingSimulator({ resetEach: true });

const context: HandlerContext = { remainingTimeMs: () => 30_000, batchCache: new Map() };

async function handler() {
  const { createTransportStatus } = await import("./status-events.ts");
  const client = createAutomationClient({
    url: ongoing.automationUrl,
    credentials: async () => ({ username: "automation", password: "automation-password" }),
    timeoutMs: 2_000,
  });
  return createTransportStatus({
    tableName: aws.tables.state,
    report: (goodsOwnerId, event) => client.reportTransportStatusEvent(goodsOwnerId, event),
  });
}

let sequence = 0;
function record(event: Partial<TransportStatusEventWebhook>): WebhookRecord<TransportStatusEventWebhook> {
  sequence += 1;
  return {
    payload: {
      eventId: `E${sequence}`,
      goodsOwnerId: 159,
      orderId: 60_001,
      eventTime: "2026-12-01T10:00:00Z",
      eventType: "Delivery",
      transportStatus: "OnWay",
      ...event,
    },
    eventType: "transport-status-changed",
    messageId: `m${sequence}`,
    receiveCount: 1,
    apiRequestId: undefined,
    receivedAt: Date.now(),
  };
}

/** The events Ongoing got for an order (the simulator keeps them on the order), oldest report first. */
const reported = (orderId: number) =>
  (ongoing.state.orders.get(orderId)?.transportStatusEvents ?? []) as Array<{ transportStatus: string }>;
const reports = () => ongoing.state.writes.filter((w) => w.operation === "ReportOrderTransportStatusEvent");

describe("transport status events", () => {
  it("reports an event with ReportOrderTransportStatusEvent, once however often it comes", async () => {
    const handle = await handler();
    const event = record({ orderId: 60_001, transportStatus: "PickedUpByCarrier", comment: "at terminal" });
    expect(await handle(event, context)).toMatchObject({ status: "done" });
    expect(await handle(event, context)).toEqual({ status: "skipped", reason: "duplicate" });
    expect(await handle({ ...event, messageId: "again" }, context)).toEqual({
      status: "skipped",
      reason: "duplicate",
    });
    expect(reports()).toHaveLength(1);
    expect(reports()[0]?.body).toMatchObject({
      Operation: "CreateOrUpdate",
      OrderId: "60001",
      EventType: "Delivery",
      TransportStatus: "PickedUpByCarrier",
      Comment: "at terminal",
      EventTime: "2026-12-01T10:00:00.000Z",
    });
  });

  it("never lets an older event overwrite a newer one, whatever order they come in", async () => {
    const handle = await handler();
    const orderId = 60_002;
    const picked = record({
      orderId,
      eventTime: "2026-12-01T08:00:00Z",
      transportStatus: "PickedUpByCarrier",
    });
    const onWay = record({ orderId, eventTime: "2026-12-01T09:00:00.0000000", transportStatus: "OnWay" });
    const delivered = record({
      orderId,
      eventTime: "2026-12-01T15:30:00+01:00",
      transportStatus: "Delivered",
    });
    expect(await handle(onWay, context)).toMatchObject({ status: "done" });
    expect(await handle(delivered, context)).toMatchObject({ status: "done" });
    expect(await handle(picked, context)).toEqual({ status: "skipped", reason: "superseded" });
    expect(await handle(onWay, context)).toEqual({ status: "skipped", reason: "superseded" });
    expect(await handle(delivered, context)).toEqual({ status: "skipped", reason: "duplicate" });
    expect(reported(orderId).map((event) => event.transportStatus)).toEqual(["OnWay", "Delivered"]);
  });

  it("lets exactly the newest of events that race for an order be the last one claimed", async () => {
    const handle = await handler();
    const orderId = 60_003;
    const events = Array.from({ length: 6 }, (_, index) =>
      record({ orderId, eventTime: `2026-12-01T1${index}:00:00Z`, transportStatus: "OnWay" }),
    );
    const outcomes = await Promise.all([...events].reverse().map((event) => handle(event, context)));
    expect(outcomes[0]).toMatchObject({ status: "done" });
    const { GetCommand } = await import("@aws-sdk/lib-dynamodb");
    const { documentClient } = await import("../shared/aws/dynamodb.ts");
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: aws.tables.state, Key: { id: `transport-status#159#${orderId}` } }),
    );
    expect(Item).toMatchObject({ eventId: events[5]?.payload.eventId, reported: true });
  });

  it("reports again an event claimed whose report failed, and dead-letters an order Ongoing does not know", async () => {
    const handle = await handler();
    const event = record({ orderId: 60_001, transportStatus: "AtPickUpPlace" });
    ongoing.state.addFault({
      path: "/Automation.asmx/ReportOrderTransportStatusEvent",
      status: 503,
      times: 8,
    });
    await expect(handle(event, context)).rejects.toMatchObject({ name: "TransientError" });
    ongoing.state.clearFaults();
    expect(await handle(event, context)).toMatchObject({ status: "done" });
    expect(reported(60_001).map((e) => e.transportStatus)).toEqual(["AtPickUpPlace"]);

    await expect(handle(record({ orderId: 999_999 }), context)).rejects.toMatchObject({
      name: "NotFoundError",
      code: "not-found",
    });
  });
});
