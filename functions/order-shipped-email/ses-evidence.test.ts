import { describe, expect, it } from "vitest";
import type { ShippedMail } from "../shared/shipped-mail-ledger.ts";
import { uncertainVerdict } from "./ses-evidence.ts";

const claim = (deadline: number): ShippedMail =>
  ({
    key: "159#1",
    step: "sending",
    version: 1,
    updatedAt: 0,
    data: { claimedAt: 0, deadline },
  }) as unknown as ShippedMail;

describe("uncertainVerdict", () => {
  const graceMs = 900_000;
  it("waits from the holder's deadline (plus clock skew) through the grace period, looking again every 3 minutes", () => {
    expect(uncertainVerdict(claim(60_000), 65_000, graceMs)).toEqual({
      action: "wait",
      delaySeconds: 180,
      releaseAt: 65_000 + graceMs,
    });
    // Never past the end of the grace period.
    expect(uncertainVerdict(claim(60_000), 65_000 + graceMs - 10_000, graceMs)).toMatchObject({
      delaySeconds: 10,
    });
  });

  it("releases once the grace period has passed", () => {
    expect(uncertainVerdict(claim(60_000), 65_000 + graceMs, graceMs)).toEqual({ action: "release" });
  });

  it("looks again at least every second with a short grace period", () => {
    expect(uncertainVerdict(claim(0), 5_000, 2_000)).toMatchObject({ action: "wait", delaySeconds: 1 });
  });
});
