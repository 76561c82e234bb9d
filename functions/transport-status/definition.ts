/**
 * Use-case 4, transport status: the transport system posts a status event about a booked order → report it to
 * Ongoing with the Automation API's `ReportOrderTransportStatusEvent` (the only API with the call), once, newest
 * last. The wiring of the settings to the story in `status-events.ts`.
 */
import { useCaseDependencies } from "../shared/contract/dependencies.ts";
import { transportStatusSettingsSchema } from "../shared/contract/settings.ts";
import { transportStatusEventSchema } from "../shared/contract/webhook-schemas.ts";
import { settingsOf } from "../shared/function-settings.ts";
import { automationCredentialsSecretFor } from "../shared/goods-owners.ts";
import { automationClientFor } from "../shared/ongoing/automation.ts";
import type { UseCaseDefinition } from "../shared/pipeline/types.ts";
import { createTransportStatus } from "./status-events.ts";

function build() {
  const settings = settingsOf(transportStatusSettingsSchema);
  return createTransportStatus({
    tableName: settings.STATE_TABLE_NAME,
    report(goodsOwnerId, event, remainingTimeMs) {
      automationCredentialsSecretFor(goodsOwnerId, settings);
      return automationClientFor({ remainingTimeMs }).reportTransportStatusEvent(goodsOwnerId, event);
    },
  });
}

export const transportStatus: UseCaseDefinition<typeof transportStatusEventSchema> = (() => {
  let handle: ReturnType<typeof build> | undefined;
  return {
    useCase: "transport-status",
    schema: transportStatusEventSchema,
    // The order's record deduplicates: a repeat is a counted skip, not a second pipeline record.
    idempotency: false,
    dependencies: useCaseDependencies["transport-status"],
    correlationIds: (payload) => ({ orderId: payload.orderId, transportStatus: payload.transportStatus }),
    handle(record, context) {
      handle ??= build();
      return handle(record, context);
    },
  };
})();
