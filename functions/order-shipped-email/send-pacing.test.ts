import { describe, expect, it } from "vitest";
import { TransientError } from "../shared/errors.ts";
import { awaitSendSlot, pacerOf, SendPacer } from "./send-pacing.ts";

describe("SendPacer", () => {
  it("spaces slots one interval apart, the first one interval after the invocation began", () => {
    const pacer = new SendPacer(100, 1_000);
    expect([1, 2, 3].map(() => pacer.reserve(1_000, 10_000))).toEqual([1_100, 1_200, 1_300]);
  });

  it("never gives a slot earlier than now, and spaces the next from it", () => {
    const pacer = new SendPacer(100, 1_000);
    expect(pacer.reserve(5_000, 10_000)).toBe(5_000);
    expect(pacer.reserve(5_010, 10_000)).toBe(5_100);
  });

  it("refuses a slot after the latest time, without using it up", () => {
    const pacer = new SendPacer(100, 1_000);
    expect(pacer.reserve(1_000, 1_150)).toBe(1_100);
    expect(pacer.reserve(1_000, 1_150)).toBeUndefined();
    expect(pacer.reserve(1_000, 1_200)).toBe(1_200);
  });
});

describe("pacerOf", () => {
  it("gives each batch its own pacer and every record of a batch the same one", () => {
    const batch = new Map();
    const other = new Map();
    const first = pacerOf(batch, 5, 0);
    expect(pacerOf(batch, 5, 50)).toBe(first);
    expect(pacerOf(other, 5, 0)).not.toBe(first);
    expect(first?.reserve(0, 10_000)).toBe(200);
  });

  it("paces nothing without a rate", async () => {
    expect(pacerOf(new Map(), undefined)).toBeUndefined();
    await expect(awaitSendSlot(undefined, 1)).resolves.toBeUndefined();
  });
});

describe("awaitSendSlot", () => {
  it("fails transiently when the slot would leave too little of the invocation's time", async () => {
    // A slot one minute away, with 80 s left: SES's 30 s time-out and the recording would not fit after it.
    const pacer = new SendPacer(60_000, Date.now());
    await expect(awaitSendSlot(pacer, 80_000)).rejects.toThrow(TransientError);
    await expect(awaitSendSlot(pacer, 80_000)).rejects.toMatchObject({ code: "ses-rate-share-used" });
  });

  it("resolves at once when the slot has come", async () => {
    const pacer = new SendPacer(1, Date.now() - 1_000);
    await expect(awaitSendSlot(pacer, 60_000)).resolves.toBeUndefined();
  });
});
