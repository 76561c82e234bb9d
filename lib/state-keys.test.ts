import { describe, expect, it } from "vitest";
import { ReconcileWatermarks } from "../functions/article-reconcile/watermark.ts";
import { workflowKind } from "../functions/transport-booking/booking.ts";
import { stateKeyPrefixes } from "./state-keys.ts";

describe("stateKeyPrefixes", () => {
  it("match the ids the functions write (a renamed kind must move its grant too)", () => {
    expect(stateKeyPrefixes["transport-booking"]).toContain(`${workflowKind}#`);
    expect(ReconcileWatermarks.id(159).startsWith(stateKeyPrefixes["article-reconcile"][0])).toBe(true);
  });
});
