import { describe, expect, it } from "vitest";
import { leaseLeftMs, leaseUntil, maxFunctionTimeMs } from "./lease.ts";

describe("leases", () => {
  it("run to the holder's deadline, never past the longest a Lambda runs", () => {
    expect(leaseUntil(1_000, 30_000)).toBe(31_000);
    expect(leaseUntil(1_000, -5)).toBe(1_000);
    expect(leaseUntil(1_000, Number.POSITIVE_INFINITY)).toBe(1_000 + maxFunctionTimeMs);
    expect(leaseUntil(1_000, 60 * 60_000)).toBe(1_000 + maxFunctionTimeMs);
  });

  it("are gone once the deadline and the clock allowance have passed", () => {
    expect(leaseLeftMs(10_000, 9_000)).toBe(1_000);
    expect(leaseLeftMs(10_000, 10_000)).toBe(0);
    expect(leaseLeftMs(10_000, 14_000, 5_000)).toBe(1_000);
  });
});
