import { describe, expect, it } from "vitest";
import { ReconcileCheckpoints } from "../functions/article-reconcile/checkpoints.ts";
import { ReconcileWatermarks } from "../functions/article-reconcile/watermark.ts";
import { breakerKey } from "../functions/shared/breaker/store.ts";
import { stateKeyPrefixes } from "../functions/shared/contract/state-keys.ts";
import { workflowKind } from "../functions/transport-booking/booking-record.ts";
import { statusRecordId } from "../functions/transport-status/status-events.ts";

describe("stateKeyPrefixes", () => {
  it("match the ids the functions write (a renamed kind must move its grant too)", () => {
    expect(stateKeyPrefixes["transport-booking"]).toContain(`${workflowKind}#`);
    expect(statusRecordId(159, 1).startsWith(stateKeyPrefixes["transport-status"][0])).toBe(true);
    expect(ReconcileWatermarks.id(159).startsWith(stateKeyPrefixes["article-reconcile"][0])).toBe(true);
    expect(ReconcileCheckpoints.id(159, "full").startsWith(stateKeyPrefixes["article-reconcile"][1])).toBe(
      true,
    );
    for (const useCase of [
      "order-shipped-email",
      "transport-booking",
      "article-sync",
      "breaker-probe",
    ] as const) {
      expect(stateKeyPrefixes[useCase].some((prefix) => breakerKey("ongoing").startsWith(prefix))).toBe(true);
    }
  });
});
