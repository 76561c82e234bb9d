/**
 * Use-case 2, transport booking: an order's status changed to Sent → fetch the order → decide whether its
 * transporter is ours to book → book it with the transport system (its labels kept in S3) → write waybill,
 * tracking, parcels and labels back to Ongoing, through the REST or the Automation API as set for the goods
 * owner. The wiring of the settings to the story in `booking.ts`.
 */

import type { z } from "zod";
import { useCaseDependencies } from "../shared/contract/dependencies.ts";
import { nshiftDefaultBaseUrl, transportBookingSettingsSchema } from "../shared/contract/settings.ts";
import { orderWebhookSchema } from "../shared/contract/webhook-schemas.ts";
import { PermanentError } from "../shared/errors.ts";
import { settingsOf } from "../shared/function-settings.ts";
import {
  automationCredentialsSecretFor,
  transportAdapterFor,
  transportApiFor,
  transportersFor,
} from "../shared/goods-owners.ts";
import { automationClientFor } from "../shared/ongoing/automation.ts";
import { ongoingClientFor } from "../shared/ongoing/client.ts";
import type { UseCaseDefinition } from "../shared/pipeline/types.ts";
import { getSecretJson, getSecretString } from "../shared/secrets.ts";
import { WorkflowStore } from "../shared/state/workflow.ts";
import { createTransportBooking } from "./booking.ts";
import {
  type BookingWorkflowData,
  type TransportBookingDependencies,
  workflowKind,
} from "./booking-record.ts";
import { s3DocumentStore } from "./documents.ts";
import { createHttpTransportSystem } from "./http-transport-system.ts";
import { createNshiftTransportSystem, parseNshiftCredentials } from "./nshift-transport-system.ts";
import { restOngoingOrders } from "./ongoing-orders.ts";
import { automationOngoingOrders } from "./ongoing-orders-automation.ts";
import type { TransportSystem } from "./transport-system.ts";

/** A booking's record outlives any redelivery of its webhook; after that the waybill in Ongoing guards it. */
const workflowTtlSeconds = 90 * 24 * 3600;

type Settings = z.output<typeof transportBookingSettingsSchema>;

/** The adapter for each goods owner, as configured (each built once, on first use). */
function transportSystemsFrom(settings: Settings): (goodsOwnerId: number) => TransportSystem {
  const http = transportSystemFrom(settings);
  const nshift = nshiftTransportSystemFrom(settings);
  return (goodsOwnerId) => (transportAdapterFor(goodsOwnerId, settings) === "nshift" ? nshift() : http());
}

function nshiftTransportSystemFrom(settings: Settings): () => TransportSystem {
  const secretName = settings.NSHIFT_CREDENTIALS_SECRET;
  const senderQuickId = settings.NSHIFT_SENDER_QUICK_ID;
  if (!secretName || !senderQuickId) {
    return () => {
      throw new PermanentError(
        "transport-not-configured",
        "the nShift adapter is chosen but NSHIFT_CREDENTIALS_SECRET or NSHIFT_SENDER_QUICK_ID is not set (transport.nshift)",
      );
    };
  }
  const system = createNshiftTransportSystem({
    baseUrl: settings.NSHIFT_BASE_URL ?? nshiftDefaultBaseUrl,
    senderQuickId,
    timeoutMs: settings.NSHIFT_TIMEOUT_MS,
    credentials: async () => parseNshiftCredentials(await getSecretJson(secretName), secretName),
  });
  return () => system;
}

function transportSystemFrom(settings: Settings): () => TransportSystem {
  const url = settings.TRANSPORT_ADAPTER_URL;
  if (!url) {
    return () => {
      throw new PermanentError(
        "transport-not-configured",
        "TRANSPORT_ADAPTER_URL is not set; nothing to book with",
      );
    };
  }
  const secretName = settings.TRANSPORT_ADAPTER_AUTH_SECRET;
  const system = createHttpTransportSystem({
    url,
    timeoutMs: settings.TRANSPORT_ADAPTER_TIMEOUT_MS,
    ...(secretName
      ? {
          auth: {
            headerName: settings.TRANSPORT_ADAPTER_AUTH_HEADER,
            value: () => getSecretString(secretName),
          },
        }
      : {}),
  });
  return () => system;
}

function build(settings: Settings, hooks: TransportBookingHooks) {
  return createTransportBooking({
    ...hooks,
    workflows: new WorkflowStore<BookingWorkflowData>({
      tableName: settings.STATE_TABLE_NAME,
      kind: workflowKind,
      ttlSeconds: workflowTtlSeconds,
    }),
    documents: s3DocumentStore(settings.DOCUMENTS_BUCKET_NAME),
    transportSystem: transportSystemsFrom(settings),
    ongoingOrdersFor(goodsOwnerId, remainingTimeMs) {
      if (transportApiFor(goodsOwnerId, settings) === "automation") {
        // Named `no-credentials` failure here, rather than the Automation client's own configuration error.
        automationCredentialsSecretFor(goodsOwnerId, settings);
        return automationOngoingOrders(automationClientFor({ remainingTimeMs }), goodsOwnerId);
      }
      return restOngoingOrders(ongoingClientFor(goodsOwnerId, { remainingTimeMs }));
    },
    transportersFor: (goodsOwnerId) => transportersFor(goodsOwnerId, settings),
    printerFor(goodsOwnerId, remainingTimeMs) {
      const printing = settings.GOODS_OWNERS[String(goodsOwnerId)]?.printing;
      if (!printing) return undefined;
      automationCredentialsSecretFor(goodsOwnerId, settings);
      const client = automationClientFor({ remainingTimeMs });
      return (orderId) =>
        client.createPrintJob(goodsOwnerId, {
          reportId: printing.reportId,
          idsToPrint: [orderId],
          printAsUser: printing.printAsUser,
          printAsComputer: printing.printAsComputer,
        });
    },
    fileRetentionDays: settings.ONGOING_FILE_RETENTION_DAYS,
    writeSettleMs: settings.ONGOING_WRITE_SETTLE_MS,
  });
}

/** Test hooks into the story; the deployed function has none. */
export type TransportBookingHooks = Pick<TransportBookingDependencies, "afterBooked" | "afterPrintJob">;

/** The use-case with the deployment's settings; `hooks` lets a test crash a worker at a chosen step. */
export function transportBookingWith(
  hooks: TransportBookingHooks = {},
): UseCaseDefinition<typeof orderWebhookSchema> {
  let handle: ReturnType<typeof build> | undefined;
  return {
    useCase: "transport-booking",
    schema: orderWebhookSchema,
    dependencies: useCaseDependencies["transport-booking"],
    correlationIds: (payload) => ({ orderId: payload.orderId }),
    handle(record, context) {
      // Read once per container, on first use, so a bad setting fails the invocation loudly (and is retried).
      handle ??= build(settingsOf(transportBookingSettingsSchema), hooks);
      return handle(record, context);
    },
  };
}

export const transportBooking = transportBookingWith();
