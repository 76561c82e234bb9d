import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maxVisibilitySeconds } from "../contract/limits.ts";
import { retryDelaySeconds } from "./retry.ts";

describe("retryDelaySeconds", () => {
  it("grows with the receive count: each range starts where the previous one ended", () => {
    const lowest = (receiveCount: number) =>
      retryDelaySeconds({ receiveCount, baseSeconds: 10, random: () => 0 });
    const highest = (receiveCount: number) =>
      retryDelaySeconds({ receiveCount, baseSeconds: 10, random: () => 0.999999 });
    expect([1, 2, 3, 4].map(lowest)).toEqual([5, 10, 20, 40]);
    expect([1, 2, 3, 4].map(highest)).toEqual([10, 20, 40, 80]);
  });

  it("is never shorter than Retry-After, never longer than SQS allows, and whole seconds", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 600 }),
        fc.option(fc.integer({ min: 0, max: 100_000_000 }), { nil: undefined }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (receiveCount, baseSeconds, retryAfterMs, r) => {
          const delay = retryDelaySeconds({ receiveCount, baseSeconds, retryAfterMs, random: () => r });
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeLessThanOrEqual(maxVisibilitySeconds);
          expect(delay).toBeGreaterThanOrEqual(
            Math.min(maxVisibilitySeconds, Math.ceil((retryAfterMs ?? 0) / 1000)),
          );
        },
      ),
    );
  });
});
