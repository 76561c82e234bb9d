/**
 * Use-case 2, transport booking, end to end over the wire: the webhook on the queue (fauxqs) → the consumer
 * (invoked by the local SQS poller as Lambda would) → the Ongoing simulator (fetch, write back, through the REST
 * or the Automation API) → the transport simulator (booking) → the workflow record in the state table (dynalite).
 *
 * One set of scenarios with the same assertions for both Ongoing APIs: each `transport-booking*.test.ts` file
 * runs it with one API as the deployment's choice (a file of its own, so each gets its own function settings).
 * Goods owners in every run: 159 (its own REST secret, the default transporters), 160 (another REST secret, its
 * own transporters), 161 (set to the other API) and 162 (set to REST without any credentials).
 */
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { OngoingApi } from "../functions/shared/goods-owners.ts";
import { child, text, type XmlObject } from "../functions/shared/ongoing/automation-xml.ts";
import type { BookingWorkflowData } from "../functions/transport-booking/booking-record.ts";
import { bookingSchema } from "../functions/transport-booking/transport-system.ts";
import { type Json, officialExample } from "../simulators/ongoing/seed.ts";
import {
  defaultAutomationUsers,
  defaultUsers,
  type FaultSpec,
  type OngoingSimulator,
  startOngoingSimulator,
  type WriteRecord,
} from "../simulators/ongoing/server.ts";
import { startTransportSimulator, type TransportSimulator } from "../simulators/transport/server.ts";
import { loginSecret } from "./support/env.ts";
import { type Harness, startHarness } from "./support/harness.ts";

/** A write-back step as the use-case means it, whichever API carried it. */
export type WriteBack =
  | { step: "waybill"; waybill: string }
  | { step: "tracking"; waybill: string; trackingUrl: string }
  | { step: "parcel"; parcelNumber: string }
  | { step: "label"; fileName: string; mimeType: string };

const otherApi = (api: OngoingApi): OngoingApi => (api === "rest" ? "automation" : "rest");

/** The REST write (path `/orders/{id}/…`, JSON body) or SOAP write (`/Automation.asmx`, XML body) as a step. */
function writeBackOf(write: WriteRecord, orders: Map<number, Json>): { orderId: number; step: WriteBack } {
  if (write.path !== "/Automation.asmx") {
    const orderId = Number(/^\/orders\/(\d+)\//.exec(write.path)?.[1]);
    const body = write.body as Record<string, string>;
    const step: Record<string, () => WriteBack> = {
      patchWaybill: () => ({ step: "waybill", waybill: body.waybill ?? "" }),
      putOrderTracking: () => ({
        step: "tracking",
        waybill: body.waybill ?? "",
        trackingUrl: body.trackingUrl ?? "",
      }),
      putParcel: () => ({ step: "parcel", parcelNumber: body.parcelNumber ?? "" }),
      postOrderFile: () => ({ step: "label", fileName: body.fileName ?? "", mimeType: body.mimeType ?? "" }),
    };
    return { orderId, step: (step[write.operation] as () => WriteBack)() };
  }
  const body = write.body as XmlObject;
  if (write.operation === "UploadOrderFile") {
    const orderNumber = text(body.GoodsOwnerOrderNumber);
    const order = [...orders.values()].find(
      (candidate) =>
        (candidate.goodsOwner as Json).id === write.goodsOwnerId &&
        (candidate.orderInfo as Json).orderNumber === orderNumber,
    );
    const file = child(body, "File");
    return {
      orderId: (order?.orderInfo as Json | undefined)?.orderId as number,
      step: { step: "label", fileName: text(file?.FileName) ?? "", mimeType: text(file?.MimeType) ?? "" },
    };
  }
  const orderId = Number(text(body.OrderId));
  const waybill = child(body, "UpdateOrderWaybill");
  if (waybill) return { orderId, step: { step: "waybill", waybill: text(waybill.Waybill) ?? "" } };
  const tracking = child(body, "UpdateOrderTracking");
  return {
    orderId,
    step: {
      step: "tracking",
      waybill: text(tracking?.Waybill) ?? "",
      trackingUrl: text(tracking?.TrackingUrl) ?? "",
    },
  };
}

export function transportBookingScenarios(api: OngoingApi): void {
  let harness: Harness;
  let handler: Handler<SQSEvent, SQSBatchResponse>;
  /** The same consumer whose worker dies (throws a plain Error) right after recording a booking. */
  let crashingHandler: Handler<SQSEvent, SQSBatchResponse>;
  let crashes = 0;
  let ongoing: OngoingSimulator;
  let transport: TransportSimulator;
  let nextEventId = 1;
  let nextOrderId = 700_000;

  const example = officialExample("order") as Json & { orderInfo: Json };

  /** A copy of Ongoing's example order (transporter PLAB) under a new id and number, without its waybill. */
  function seedOrder(patch: { orderInfo?: Json; transporter?: Json; goodsOwner?: Json } = {}): number {
    const orderId = nextOrderId++;
    ongoing.state.putOrder({
      ...example,
      goodsOwner: { ...(example.goodsOwner as Json), ...patch.goodsOwner },
      orderInfo: {
        ...example.orderInfo,
        orderId,
        orderNumber: `O${orderId}`,
        wayBill: null,
        orderStatus: { number: 450, text: "Skickad" },
        ...patch.orderInfo,
      },
      parcels: [],
      ...(patch.transporter
        ? { transporter: { ...(example.transporter as Json), ...patch.transporter } }
        : {}),
    });
    return orderId;
  }

  const webhook = (orderId: number, options: { goodsOwnerId?: number; webhookEventId?: number } = {}) => ({
    webhookEventId: options.webhookEventId ?? nextEventId++,
    goodsOwnerId: options.goodsOwnerId ?? 159,
    orderId,
    orderNumber: `O${orderId}`,
    orderStatus: { number: 450 },
    timestamp: "2026-01-01T12:00:00.0000000",
    webhookTemplate: "OrderStatusChanged",
  });

  /** The successful write-backs to an order, in order, as steps. */
  const writesTo = (orderId: number): WriteBack[] =>
    ongoing.state.writes
      .filter((write) => write.status < 300)
      .map((write) => writeBackOf(write, ongoing.state.orders))
      .filter((write) => write.orderId === orderId)
      .map((write) => write.step);
  const stepsTo = (orderId: number) => writesTo(orderId).map((write) => write.step);
  /** The steps expected through an API: the Automation API has no call to add a parcel number. */
  const expectedSteps = (steps: WriteBack["step"][], through: OngoingApi = api) =>
    steps.filter((step) => step !== "parcel" || through === "rest");
  const storedOrder = (orderId: number) => ongoing.state.orders.get(orderId) as Json & { orderInfo: Json };
  const writeOwners = (orderId: number) =>
    new Set(
      ongoing.state.writes
        .filter((write) => write.status < 300 && writeBackOf(write, ongoing.state.orders).orderId === orderId)
        .map((write) => write.goodsOwnerId),
    );
  /** A failure of the label upload, the last write-back step, whichever API carries it. */
  const labelFault = (orderId: number): FaultSpec =>
    api === "rest"
      ? { status: 500, method: "POST", path: `^/orders/${orderId}/files$`, times: 1 }
      : { status: 500, path: "^/Automation.asmx/UploadOrderFile$", times: 1 };

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
    ongoing = await startOngoingSimulator({
      users: [...defaultUsers, { username: "third", password: "third-password", goodsOwnerId: 161 }],
      automationUsers: defaultAutomationUsers.map((user) => ({ ...user, goodsOwnerIds: [159, 160, 161] })),
    });
    transport = await startTransportSimulator({ auth: { headerName: "X-Api-Key", value: "transport-key" } });
    harness = await startHarness({
      useCase: "transport-booking",
      maxReceiveCount: 5,
      secrets: {
        "ongoing/credentials-159": loginSecret("demo"),
        "ongoing/credentials-160": loginSecret("other"),
        "ongoing/credentials-161": loginSecret("third"),
        "ongoing/automation": loginSecret("automation"),
        "transport/adapter-key": "transport-key",
      },
      env: {
        ONGOING_BASE_URL: ongoing.baseUrl,
        // No default REST secret: every goods owner on REST names its own.
        ONGOING_TRANSPORT_API: api,
        ONGOING_AUTOMATION_CREDENTIALS_SECRET: "ongoing/automation",
        ONGOING_MAX_ATTEMPTS: "1",
        // Retries wait a little, as on AWS, so a delivery racing another one finds it finished.
        RETRY_BASE_DELAY_SECONDS: "1",
        GOODS_OWNERS: JSON.stringify({
          "159": { credentialsSecretName: "ongoing/credentials-159" },
          "160": { credentialsSecretName: "ongoing/credentials-160", transporters: [{ code: "BUDBEE" }] },
          "161": { credentialsSecretName: "ongoing/credentials-161", transportApi: otherApi(api) },
          "162": { transportApi: "rest" },
        }),
        TRANSPORTERS: JSON.stringify([{ code: "PLAB", serviceCodes: ["P18", "P19"] }]),
        TRANSPORT_ADAPTER_URL: transport.bookingUrl,
        TRANSPORT_ADAPTER_AUTH_SECRET: "transport/adapter-key",
        TRANSPORT_ADAPTER_AUTH_HEADER: "X-Api-Key",
        TRANSPORT_ADAPTER_TIMEOUT_MS: "2000",
      },
    });
    ({ handler } = await import("../functions/transport-booking/index.ts"));
    const { createConsumer } = await import("../functions/shared/pipeline/consumer.ts");
    const { transportBookingWith } = await import("../functions/transport-booking/definition.ts");
    crashingHandler = createConsumer(
      transportBookingWith({
        afterBooked() {
          crashes += 1;
          throw new Error("worker crashed after booking, before writing back");
        },
      }),
    );
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

  describe(`transport booking through Ongoing's ${api} API`, () => {
    it("books Ongoing's example order once and writes waybill, tracking, parcels and label back", async () => {
      const orderId = seedOrder();
      const booked = harness.metricCount("TransportBooked");
      const notWritten = harness.metricCount("ParcelsNotWritten");
      await harness.send(webhook(orderId), "order-shipped");
      await harness.run(handler);

      expect(await harness.deadLetters()).toEqual([]);
      const [record, ...others] = transport.bookingsForOrder(159, orderId);
      expect(others).toEqual([]);
      expect(record).toMatchObject({ key: `159-${orderId}`, requests: 1 });
      expect(record?.shipment).toMatchObject({
        orderId,
        goodsOwnerId: 159,
        orderNumber: `O${orderId}`,
        transporter: { code: "PLAB", serviceCode: "P18" },
        consignee: { postCode: "12345", countryCode: "US" },
      });
      const booking = bookingSchema.parse(record?.booking);
      const parcelNumber = booking.parcels[0]?.parcelNumber ?? "";
      const expected: WriteBack[] = [
        { step: "waybill", waybill: booking.waybill },
        { step: "tracking", waybill: booking.waybill, trackingUrl: booking.trackingUrl ?? "" },
        { step: "parcel", parcelNumber },
        { step: "label", fileName: booking.label?.fileName ?? "", mimeType: "application/pdf" },
      ];
      expect(writesTo(orderId)).toEqual(expected.filter((write) => expectedSteps([write.step]).length === 1));
      expect(storedOrder(orderId).orderInfo.wayBill).toBe(booking.waybill);
      expect(storedOrder(orderId).tracking).toEqual([
        expect.objectContaining({ waybill: booking.waybill, trackingUrl: booking.trackingUrl }),
      ]);
      expect(ongoing.state.files.get(orderId)?.[0]).toMatchObject({ fileDataBase64: booking.label?.base64 });
      expect(harness.metricCount("TransportBooked") - booked).toBe(1);
      // Parcel numbers the API cannot take are counted, not lost silently.
      expect(harness.metricCount("ParcelsNotWritten") - notWritten).toBe(api === "rest" ? 0 : 1);

      const { workflow } = await workflowOf(159, orderId);
      expect(workflow).toMatchObject({
        step: "written-back",
        data: { leaseUntil: 0, written: { waybill: true, tracking: true, label: true } },
      });
      expect(workflow?.data.booking?.label).toBeUndefined();

      // A later status change to Sent for the same order: our record says it is booked.
      const skipped = harness.metricCount("TransportSkipped", { reason: "already-booked" });
      const writes = writesTo(orderId).length;
      await harness.send(webhook(orderId), "order-shipped");
      await harness.run(handler);
      expect(harness.metricCount("TransportSkipped", { reason: "already-booked" }) - skipped).toBe(1);
      expect(transport.bookingsForOrder(159, orderId)).toHaveLength(1);
      expect(writesTo(orderId)).toHaveLength(writes);
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
      [
        "cancelled",
        () => seedOrder({ orderInfo: { orderStatus: { number: 1000, text: "Makulerad" } } }),
        159,
      ],
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

    it("serves goods owners with their own credentials, transporters and API in one run", async () => {
      const plab159 = seedOrder();
      const budbee160 = seedOrder({
        goodsOwner: { id: 160 },
        transporter: { code: "BUDBEE", serviceCode: "HOME" },
      });
      const plab160 = seedOrder({ goodsOwner: { id: 160 } });
      const plab161 = seedOrder({ goodsOwner: { id: 161 } });
      const skipped = harness.metricCount("TransportSkipped", { reason: "transporter-not-configured" });
      await Promise.all([
        harness.send(webhook(plab159), "order-shipped"),
        harness.send(webhook(budbee160, { goodsOwnerId: 160 }), "order-shipped"),
        harness.send(webhook(plab160, { goodsOwnerId: 160 }), "order-shipped"),
        harness.send(webhook(plab161, { goodsOwnerId: 161 }), "order-shipped"),
      ]);
      await harness.run(handler);

      expect(await harness.deadLetters()).toEqual([]);
      expect(transport.bookingsForOrder(159, plab159)).toMatchObject([
        { shipment: { transporter: { code: "PLAB" } } },
      ]);
      expect(transport.bookingsForOrder(160, budbee160)).toMatchObject([
        { shipment: { transporter: { code: "BUDBEE" } } },
      ]);
      expect(transport.bookingsForOrder(161, plab161)).toHaveLength(1);
      // 160's own list has no PLAB, though the default list has.
      expect(transport.bookingsForOrder(160, plab160)).toEqual([]);
      expect(
        harness.metricCount("TransportSkipped", { reason: "transporter-not-configured" }) - skipped,
      ).toBe(1);

      const all: WriteBack["step"][] = ["waybill", "tracking", "parcel", "label"];
      expect(stepsTo(plab159)).toEqual(expectedSteps(all));
      expect(stepsTo(budbee160)).toEqual(expectedSteps(all));
      expect(stepsTo(plab161)).toEqual(expectedSteps(all, otherApi(api)));
      expect(stepsTo(plab160)).toEqual([]);
      // Each goods owner's writes were made as that goods owner (REST: its own login).
      expect(writeOwners(plab159)).toEqual(new Set([159]));
      expect(writeOwners(budbee160)).toEqual(new Set([160]));
      expect(writeOwners(plab161)).toEqual(new Set([161]));
      for (const orderId of [plab159, budbee160, plab161]) {
        expect(storedOrder(orderId).orderInfo.wayBill).toMatch(/^SIM/);
      }
    });

    it("dead-letters a goods owner without Ongoing credentials, with the reason", async () => {
      const orderId = seedOrder({ goodsOwner: { id: 162 } });
      const calls = ongoing.state.requests.length;
      await harness.send(webhook(orderId, { goodsOwnerId: 162 }), "order-shipped");
      await harness.run(handler);

      const [letter, ...more] = await harness.deadLetters();
      expect(more).toEqual([]);
      expect(letter?.attributes).toMatchObject({
        failureClass: "permanent",
        failureCode: "no-credentials",
        failureReason:
          "no Ongoing API credentials configured for goods owner 162 " +
          "(set goodsOwners.162.credentialsSecretName or ongoing.credentialsSecretName)",
      });
      expect(ongoing.state.requests.length).toBe(calls);
      expect(transport.bookingsForOrder(162, orderId)).toEqual([]);
    });

    it("dead-letters an order Ongoing does not know, with the reason", async () => {
      await harness.send(webhook(999_999), "order-shipped");
      await harness.run(handler);
      const [letter, ...more] = await harness.deadLetters();
      expect(more).toEqual([]);
      expect(letter?.attributes).toMatchObject({ failureClass: "permanent", failureCode: "not-found" });
      expect(transport.bookingsForOrder(159, 999_999)).toEqual([]);
    });

    it("resumes the write-back after a failure without booking or writing again", async () => {
      const orderId = seedOrder();
      const failed = harness.metricCount("WriteBackFailed");
      ongoing.state.addFault(labelFault(orderId));
      await harness.send(webhook(orderId), "order-shipped");
      await harness.run(handler);

      expect(await harness.deadLetters()).toEqual([]);
      expect(harness.metricCount("WriteBackFailed") - failed).toBe(1);
      expect(transport.bookingsForOrder(159, orderId)).toMatchObject([{ requests: 1 }]);
      // What was written before the failure is not written again.
      expect(stepsTo(orderId)).toEqual(expectedSteps(["waybill", "tracking", "parcel", "label"]));
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
      expect(stepsTo(orderId)).toEqual(expectedSteps(["waybill", "tracking", "parcel", "label"]));
    });

    it("finishes, booking once, after a worker crashed between recording its booking and writing back", async () => {
      const orderId = seedOrder();
      const booked = harness.metricCount("TransportBooked");
      const crashesBefore = crashes;
      let afterCrash:
        | { step: string | undefined; leaseHeld: boolean; steps: WriteBack["step"][] }
        | undefined;
      await harness.send(webhook(orderId), "order-shipped");
      // The first delivery runs the crashing worker; SQS's redelivery of the same message runs the plain one.
      await harness.run(async (event, context, callback) => {
        if (afterCrash) return (await handler(event, context, callback)) as SQSBatchResponse;
        const answer = (await crashingHandler(event, context, callback)) as SQSBatchResponse;
        const { store, workflow } = await workflowOf(159, orderId);
        afterCrash = {
          step: workflow?.step,
          leaseHeld: (workflow?.data.leaseUntil ?? 0) > Date.now(),
          steps: stepsTo(orderId),
        };
        // A dead worker's lease lasts to its invocation's deadline, which on AWS has passed long before SQS
        // redelivers (visibility timeout = 6 × the function timeout); end it now instead of waiting it out.
        if (workflow) await store.advance(workflow, workflow.step, { leaseUntil: Date.now() - 1 });
        return answer;
      });

      expect(crashes - crashesBefore).toBe(1);
      // The crash left a booking only the record knew of, its lease still held, nothing written back.
      expect(afterCrash).toEqual({ step: "booked", leaseHeld: true, steps: [] });
      expect(await harness.deadLetters()).toEqual([]);
      const [record, ...others] = transport.bookingsForOrder(159, orderId);
      expect(others).toEqual([]);
      expect(record?.requests).toBe(1);
      expect(harness.metricCount("TransportBooked") - booked).toBe(1);
      expect(stepsTo(orderId)).toEqual(expectedSteps(["waybill", "tracking", "parcel", "label"]));
      expect(storedOrder(orderId).orderInfo.wayBill).toBe(record?.booking.waybill);
      expect((await workflowOf(159, orderId)).workflow).toMatchObject({
        step: "written-back",
        data: { leaseUntil: 0, written: { waybill: true, tracking: true, label: true } },
      });
    });

    // A worker that died part-way through the write-back: the steps it recorded are not repeated.
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
      const { workflow } = await store.start(`159#${orderId}`, "booking", {
        leaseUntil: Date.now() + 60_000,
      });
      // Recorded as an earlier version did: the label inline in the record.
      await store.advance(workflow, "booked", {
        booking: {
          waybill: booking.waybill,
          trackingUrl: booking.trackingUrl,
          parcels: booking.parcels,
          label: booking.label,
        },
        leaseUntil: Date.now() - 1,
        written: { waybill: true },
      });
      ongoing.state.patchOrder(orderId, { orderInfo: { wayBill: booking.waybill } });

      await harness.send(webhook(orderId), "order-shipped");
      await harness.run(handler);

      expect(await harness.deadLetters()).toEqual([]);
      expect(transport.bookingsForOrder(159, orderId)).toMatchObject([{ requests: 1 }]);
      expect(stepsTo(orderId)).toEqual(expectedSteps(["tracking", "parcel", "label"]));
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
      expect(stepsTo(orderId)).toEqual(expectedSteps(["waybill", "tracking", "parcel", "label"]));
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
}
