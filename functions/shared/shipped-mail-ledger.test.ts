import { describe, expect, it } from "vitest";
import { useLocalAws } from "../../test/support/env.ts";
import type { ShippedMail } from "./shipped-mail-ledger.ts";

// Imported after the DynamoDB endpoint is set (the shared clients read it at module load).
const ledgerModule = () => import("./shipped-mail-ledger.ts");

const record = (step: string, data: ShippedMail["data"] = {}, updatedAt = 0): ShippedMail => ({
  key: "159#1",
  step,
  data,
  version: 1,
  updatedAt,
});

const aws = useLocalAws({ dynamo: { tablePrefix: "ledger" } });

describe("decideClaim", () => {
  it("claims when nothing was sent or SES refused the last attempt", async () => {
    const { decideClaim } = await ledgerModule();
    expect(decideClaim(undefined, 0)).toEqual({ action: "claim" });
    expect(decideClaim(record("retryable"), 0)).toEqual({ action: "claim" });
  });
  it("skips a mailed order", async () => {
    const { decideClaim } = await ledgerModule();
    expect(decideClaim(record("sent"), 0)).toEqual({ action: "already-mailed" });
  });
  it("waits for a holder before its deadline and gives up on it after", async () => {
    const { clockSkewMs, decideClaim } = await ledgerModule();
    const sending = record("sending", { deadline: 60_000 });
    expect(decideClaim(sending, 1_000)).toEqual({
      action: "in-progress",
      retryAfterMs: 5_000,
    });
    expect(decideClaim(sending, 60_000 + clockSkewMs)).toEqual({ action: "in-progress", retryAfterMs: 1 });
    expect(decideClaim(sending, 60_001 + clockSkewMs)).toEqual({ action: "uncertain" });
  });
});

describe("ShippedMailLedger", () => {
  async function ledger(now = () => 1_000) {
    const { ShippedMailLedger } = await ledgerModule();
    return new ShippedMailLedger(aws.tables.state, now);
  }

  it("lets one of two racing claims win; the loser sees the holder", async () => {
    const mails = await ledger();
    const [first, second] = await Promise.all([
      mails.claim("159#10", undefined, { eventId: 1, remainingTimeMs: 60_000 }),
      mails.claim("159#10", undefined, { eventId: 2, remainingTimeMs: 60_000 }),
    ]);
    const outcomes = [first, second].map((claim) => ("claimed" in claim ? "claimed" : claim.decision.action));
    expect(outcomes.sort()).toEqual(["claimed", "in-progress"]);
  });

  it("records the SES MessageId, and a released mail can be claimed again", async () => {
    const mails = await ledger();
    const first = await mails.claim("159#11", undefined, { eventId: 1, remainingTimeMs: 60_000 });
    if (!("claimed" in first)) throw new Error("not claimed");
    expect(first.claimed.data).toMatchObject({ eventId: 1, deadline: 61_000, attempts: 1 });
    const released = await mails.release(first.claimed, "Throttling");
    const second = await mails.claim("159#11", released, {
      eventId: 2,
      remainingTimeMs: Number.POSITIVE_INFINITY,
    });
    if (!("claimed" in second)) throw new Error("not claimed");
    expect(second.claimed.data).toMatchObject({ eventId: 2, attempts: 2, lastFailure: "Throttling" });
    await mails.markSent(second.claimed, "ses-1");
    expect(await mails.get("159#11")).toMatchObject({ step: "sent", data: { sesMessageId: "ses-1" } });
  });
});
