/**
 * Use-case 1's test stack, shared by the order-shipped-email test files: SQS (fauxqs), the real consumer, the
 * Ongoing simulator, SES (aws-ses-v2-local, behind a proxy that can answer with SES errors) and the state table
 * (dynalite), with helpers to put orders, send events and read mails. Each file calls `useOrderShippedEmailStack`.
 */
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll } from "vitest";
import { type Emulator, type StoredMail, startSes } from "../local/emulators.ts";
import { type Json, officialExample } from "../simulators/ongoing/seed.ts";
import { type OngoingSimulator, startOngoingSimulator } from "../simulators/ongoing/server.ts";
import { loginSecret } from "./support/env.ts";
import { type FailingSesProxy, startFailingSesProxy } from "./support/failing-ses-proxy.ts";
import { type Harness, startHarness } from "./support/harness.ts";

export let ongoing: OngoingSimulator;
export let ses: Emulator & { mails(): Promise<StoredMail[]> };
export let sesProxy: FailingSesProxy;
export let harness: Harness;
export let handler: Handler<SQSEvent, SQSBatchResponse>;

/** The stack of one test file: Ongoing and SES (behind the failing proxy) up before its tests, down after. */
export function useOrderShippedEmailStack(): void {
  beforeAll(async () => {
    ongoing = await startOngoingSimulator();
    ses = await startSes();
    sesProxy = await startFailingSesProxy(ses.endpoint);
    harness = await startHarness({
      useCase: "order-shipped-email",
      maxReceiveCount: 3,
      secrets: {
        "ongoing/demo": loginSecret("demo"),
        "ongoing/other": loginSecret("other"),
      },
      env: {
        AWS_ENDPOINT_URL_SES: sesProxy.endpoint,
        ONGOING_BASE_URL: ongoing.baseUrl,
        ONGOING_CREDENTIALS_SECRET: "ongoing/demo",
        ONGOING_MAX_ATTEMPTS: "2",
        POWERTOOLS_LOG_LEVEL: process.env.DEBUG_TEST_LOGS ?? "SILENT",
        EMAIL_DEFAULT: JSON.stringify({
          fromAddress: "noreply@3pl.example",
          replyTo: ["support@3pl.example"],
        }),
        GOODS_OWNERS: JSON.stringify({
          "160": {
            credentialsSecretName: "ongoing/other",
            email: { fromAddress: "shop@other.example", brandName: "Other Brand", language: "sv" },
          },
        }),
      },
    });
    ({ handler } = await import("../functions/order-shipped-email/index.ts"));
  });

  afterAll(async () => {
    await harness?.stop();
    await sesProxy?.stop();
    await ses?.stop();
    await ongoing?.stop();
  });
}

let nextEventId = 9_000;
let nextOrderId = 80_000;

/** The order webhook Ongoing sends when an order's status changes to Sent. */
export function sentEvent(orderId: number, goodsOwnerId = 159, webhookEventId = nextEventId++): Json {
  return {
    webhookOrdersId: 1,
    webhookEventId,
    system: "demo",
    timestamp: "2024-05-01T12:00:00.0000000",
    orderId,
    orderNumber: "irrelevant: the order is fetched",
    goodsOwnerId,
    goodsOwnerOrderId: null,
    path: `/api/v1/orders/${orderId}`,
    orderStatus: { number: 450 },
    webhookTemplate: "OrderStatusChanged",
  };
}

/** A copy of Ongoing's example order under a new id, changed by `patch` (objects merge, arrays replace). */
export function putOrder(
  patch: (order: Json) => void,
  goodsOwnerId = 159,
): { orderId: number; email: string } {
  const orderId = nextOrderId++;
  const email = `customer-${orderId}@example.com`;
  const order = officialExample("order");
  order.goodsOwner = { id: goodsOwnerId, name: goodsOwnerId === 159 ? "REST example" : "Second demo owner" };
  const info = order.orderInfo as Json;
  info.orderStatus = { number: 450, text: "Skickad" };
  info.emailNotification = { toBeNotified: true, value: email };
  patch(order);
  ongoing.state.putOrder(order, orderId);
  return { orderId, email };
}

export async function mailsTo(address: string): Promise<StoredMail[]> {
  return (await ses.mails()).filter((mail) => mail.destination.to.includes(address));
}

export async function deliver(...events: Json[]): Promise<void> {
  for (const event of events) await harness.send(event, "order-shipped");
  await harness.run(handler);
}

export async function shippedMailRecord(goodsOwnerId: number, orderId: number) {
  const { WorkflowStore } = await import("../functions/shared/state/workflow.ts");
  const store = new WorkflowStore<Record<string, unknown>>({
    tableName: harness.tables.state,
    kind: "shipped-mail",
    ttlSeconds: 3600,
  });
  return { store, record: await store.get(`${goodsOwnerId}#${orderId}`) };
}
