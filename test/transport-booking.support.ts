/**
 * Use-case 2, transport booking, end to end over the wire: the webhook on the queue (fauxqs) → the consumer
 * (invoked by the local SQS poller as Lambda would) → the Ongoing simulator (fetch, write back, through the REST
 * or the Automation API) → the transport simulator (booking) → the workflow record in the state table (dynalite).
 *
 * One set of scenarios with the same assertions for both Ongoing APIs: each `transport-booking*.test.ts` file
 * runs it with one API as the deployment's choice (a file of its own, so each gets its own function settings).
 * This file is the run they share (servers, consumer, helpers); the scenarios are in transport-booking.scenarios.ts
 * (booking and write-back) and transport-booking-recovery.scenarios.ts (failures, crashes, duplicates).
 * Goods owners in every run: 159 (its own REST secret, the default transporters), 160 (another REST secret, its
 * own transporters), 161 (set to the other API) and 162 (set to REST without any credentials).
 */
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import type { OngoingApi } from "../functions/shared/goods-owners.ts";
import { child, text, type XmlObject } from "../functions/shared/ongoing/automation-xml.ts";
import type { BookingWorkflowData } from "../functions/transport-booking/booking-record.ts";
import { type Json, officialExample } from "../simulators/ongoing/seed.ts";
import type { FaultSpec, OngoingSimulator, WriteRecord } from "../simulators/ongoing/server.ts";
import { startTransportSimulator, type TransportSimulator } from "../simulators/transport/server.ts";
import { loginSecret } from "./support/env.ts";
import { type Harness, startHarness } from "./support/harness.ts";
import { orderShippedWebhook, startThreeOwnerOngoing } from "./support/shipped-order.ts";

/** A write-back step as the use-case means it, whichever API carried it. */
export type WriteBack =
  | { step: "waybill"; waybill: string }
  | { step: "tracking"; waybill: string; trackingUrl: string }
  | { step: "parcel"; parcelNumber: string }
  | { step: "label"; fileName: string; mimeType: string };

export const otherApi = (api: OngoingApi): OngoingApi => (api === "rest" ? "automation" : "rest");

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

/** The servers, consumer and helpers of one scenario run; the servers are set by `useTransportBooking`'s hooks. */
export class TransportBookingRun {
  harness!: Harness;
  handler!: Handler<SQSEvent, SQSBatchResponse>;
  /** The same consumer whose worker dies (throws a plain Error) right after recording a booking. */
  crashingHandler!: Handler<SQSEvent, SQSBatchResponse>;
  crashes = 0;
  ongoing!: OngoingSimulator;
  transport!: TransportSimulator;
  private nextEventId = 1;
  private nextOrderId = 700_000;
  readonly example = officialExample("order") as Json & { orderInfo: Json };

  constructor(readonly api: OngoingApi) {}

  /** A copy of Ongoing's example order (transporter PLAB) under a new id and number, without its waybill. */
  seedOrder = (patch: { orderInfo?: Json; transporter?: Json; goodsOwner?: Json } = {}): number => {
    const { example } = this;
    const orderId = this.nextOrderId++;
    this.ongoing.state.putOrder({
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
  };

  webhook = (orderId: number, options: { goodsOwnerId?: number; webhookEventId?: number } = {}) =>
    orderShippedWebhook(orderId, {
      webhookEventId: options.webhookEventId ?? this.nextEventId++,
      goodsOwnerId: options.goodsOwnerId ?? 159,
    });

  /** The successful write-backs to an order, in order, as steps. */
  writesTo = (orderId: number): WriteBack[] =>
    this.ongoing.state.writes
      .filter((write) => write.status < 300)
      .map((write) => writeBackOf(write, this.ongoing.state.orders))
      .filter((write) => write.orderId === orderId)
      .map((write) => write.step);
  stepsTo = (orderId: number) => this.writesTo(orderId).map((write) => write.step);
  /** The steps expected through an API: the Automation API has no call to add a parcel number. */
  expectedSteps = (steps: WriteBack["step"][], through: OngoingApi = this.api) =>
    steps.filter((step) => step !== "parcel" || through === "rest");
  storedOrder = (orderId: number) => this.ongoing.state.orders.get(orderId) as Json & { orderInfo: Json };
  writeOwners = (orderId: number) =>
    new Set(
      this.ongoing.state.writes
        .filter(
          (write) => write.status < 300 && writeBackOf(write, this.ongoing.state.orders).orderId === orderId,
        )
        .map((write) => write.goodsOwnerId),
    );
  /** A failure of the label upload, the last write-back step, whichever API carries it. */
  labelFault = (orderId: number): FaultSpec =>
    this.api === "rest"
      ? { status: 500, method: "POST", path: `^/orders/${orderId}/files$`, times: 1 }
      : { status: 500, path: "^/Automation.asmx/UploadOrderFile$", times: 1 };

  workflowOf = async (goodsOwnerId: number, orderId: number) => {
    const { WorkflowStore } = await import("../functions/shared/state/workflow.ts");
    const store = new WorkflowStore<BookingWorkflowData>({
      tableName: this.harness.tables.state,
      kind: "transport-booking",
      ttlSeconds: 3600,
    });
    return { store, workflow: await store.get(`${goodsOwnerId}#${orderId}`) };
  };
}

/** Starts the simulators and the consumer's harness with `api` as the deployment's choice. */
async function start(run: TransportBookingRun): Promise<void> {
  const { api } = run;
  run.ongoing = await startThreeOwnerOngoing();
  const { ongoing } = run;
  run.transport = await startTransportSimulator({
    auth: { headerName: "X-Api-Key", value: "transport-key" },
  });
  run.harness = await startHarness({
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
      TRANSPORT_ADAPTER_URL: run.transport.bookingUrl,
      TRANSPORT_ADAPTER_AUTH_SECRET: "transport/adapter-key",
      TRANSPORT_ADAPTER_AUTH_HEADER: "X-Api-Key",
      TRANSPORT_ADAPTER_TIMEOUT_MS: "2000",
    },
  });
  ({ handler: run.handler } = await import("../functions/transport-booking/index.ts"));
  const { createConsumer } = await import("../functions/shared/pipeline/consumer.ts");
  const { transportBookingWith } = await import("../functions/transport-booking/definition.ts");
  run.crashingHandler = createConsumer(
    transportBookingWith({
      afterBooked() {
        run.crashes += 1;
        throw new Error("worker crashed after booking, before writing back");
      },
    }),
  );
}

/** One scenario run with `api` as the deployment's choice: servers up for the file, faults cleared per test. */
export function useTransportBooking(api: OngoingApi): TransportBookingRun {
  const run = new TransportBookingRun(api);
  beforeAll(() => start(run));
  afterAll(async () => {
    await run.harness?.stop();
    await Promise.all([run.ongoing?.stop(), run.transport?.stop()]);
  });
  beforeEach(() => {
    run.ongoing.state.clearFaults();
    run.transport.state.faults.length = 0;
    run.transport.state.latencyMs = 0;
  });
  afterEach(async () => {
    expect(await run.harness.queueDepth()).toBe(0);
  });
  return run;
}
