/**
 * SES's events, in EventBridge's shape, recorded on shipped-mail records in a real local DynamoDB (dynalite):
 * the evidence an operator reads, and an uncertain claim settled by SES's own word that the mail went out.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { sesEvent } from "../../local/ses-events.ts";
import { useLocalAws } from "../../test/support/env.ts";

const aws = useLocalAws({ dynamo: { tablePrefix: "mail-events" } });

// Imported after the DynamoDB endpoint is set (the shared clients read it at module load).
async function setup() {
  const { ShippedMailLedger, decideClaim } = await import("../shared/shipped-mail-ledger.ts");
  const { recordMailEvent } = await import("./mail-events.ts");
  const { documentClient } = await import("../shared/aws/dynamodb.ts");
  const ledger = new ShippedMailLedger(aws.tables.state);
  const item = async (key: string) =>
    (
      await documentClient.send(
        new GetCommand({ TableName: aws.tables.state, Key: { id: `shipped-mail#${key}` } }),
      )
    ).Item;
  return { ledger, decideClaim, recordMailEvent, item };
}

const tags = (orderId: number) => ({
  useCase: "order-shipped-email",
  goodsOwnerId: "159",
  orderId: String(orderId),
});

/** A claim whose holder stopped after calling SES: its deadline has passed, so a retry finds it uncertain. */
async function uncertainClaim(ledger: Awaited<ReturnType<typeof setup>>["ledger"], orderId: number) {
  const claim = await ledger.claim(`159#${orderId}`, undefined, { eventId: 1, remainingTimeMs: 0 });
  if (!("claimed" in claim)) throw new Error("not claimed");
  return claim.claimed;
}

describe("SES events of shipped-mails", () => {
  it("settles an uncertain claim as sent when SES's Send event shows the mail went out", async () => {
    const { ledger, decideClaim, recordMailEvent, item } = await setup();
    await uncertainClaim(ledger, 1);
    expect(decideClaim(await ledger.get("159#1"), Date.now() + 10_000)).toEqual({ action: "uncertain" });

    const result = await recordMailEvent(
      ledger,
      sesEvent({ type: "Send", messageId: "ses-1", tags: tags(1) }),
    );

    expect(result).toEqual({ status: "recorded", settled: true });
    const record = await ledger.get("159#1");
    expect(record).toMatchObject({ step: "sent", data: { sesMessageId: "ses-1", settledBy: "ses-event" } });
    // The dead-lettered webhook, redriven, now finds the mail sent and skips it.
    expect(decideClaim(record, Date.now() + 10_000)).toEqual({ action: "already-mailed" });
    expect((await item("159#1"))?.sesSend).toMatchObject({ messageId: "ses-1" });
  });

  it("keeps every event type on the record, without addresses, and settles only once", async () => {
    const { ledger, recordMailEvent, item } = await setup();
    await uncertainClaim(ledger, 2);
    // Out of order, as EventBridge may deliver them: the delivery first.
    const delivered = await recordMailEvent(
      ledger,
      sesEvent({ type: "Delivery", messageId: "ses-2", tags: tags(2), destination: ["a@b.com"] }),
    );
    expect(delivered).toEqual({ status: "recorded", settled: true });
    expect(
      await recordMailEvent(ledger, sesEvent({ type: "Send", messageId: "ses-2", tags: tags(2) })),
    ).toEqual({
      status: "recorded",
      settled: false,
    });
    await recordMailEvent(ledger, sesEvent({ type: "Bounce", messageId: "ses-2", tags: tags(2) }));
    await recordMailEvent(ledger, sesEvent({ type: "Complaint", messageId: "ses-2", tags: tags(2) }));
    const stored = await item("159#2");
    expect(stored).toMatchObject({
      step: "sent",
      sesSend: { messageId: "ses-2" },
      sesDelivery: { messageId: "ses-2" },
      sesBounce: { messageId: "ses-2", bounceType: "Permanent", bounceSubType: "General" },
      sesComplaint: { messageId: "ses-2", complaintFeedbackType: "abuse" },
    });
    expect(JSON.stringify(stored)).not.toContain("a@b.com");
  });

  it("records a Reject without settling: SES did not send that mail", async () => {
    const { ledger, recordMailEvent, item } = await setup();
    await uncertainClaim(ledger, 3);
    expect(
      await recordMailEvent(ledger, sesEvent({ type: "Reject", messageId: "ses-3", tags: tags(3) })),
    ).toEqual({
      status: "recorded",
      settled: false,
    });
    expect(await item("159#3")).toMatchObject({
      step: "sending",
      sesReject: { rejectReason: "Bad content" },
    });
  });

  it("lets the sending attempt record its outcome after SES's event settled it first", async () => {
    const { ledger, recordMailEvent } = await setup();
    const claim = await uncertainClaim(ledger, 4);
    await recordMailEvent(ledger, sesEvent({ type: "Send", messageId: "ses-4", tags: tags(4) }));
    await expect(ledger.markSent(claim, "ses-4")).resolves.toMatchObject({ step: "sent" });
  });

  it("counts an event without a record, and refuses one that is not a shipped-mail's", async () => {
    const { ledger, recordMailEvent, item } = await setup();
    expect(
      await recordMailEvent(ledger, sesEvent({ type: "Send", messageId: "ses-5", tags: tags(5) })),
    ).toEqual({
      status: "no-record",
    });
    expect(await item("159#5")).toBeUndefined();
    await expect(
      recordMailEvent(ledger, sesEvent({ type: "Send", messageId: "ses-6", tags: { useCase: "other" } })),
    ).rejects.toThrow(/Not an SES event of a shipped-mail: [\s\S]*goodsOwnerId/);
  });
});

describe("SES events on the trail", () => {
  it("adds each event to its webhook's trail (times and bounce kinds, never an address), never creating one", async () => {
    const { ledger, recordMailEvent } = await setup();
    const { createTable } = await import("../../devkit/tables.ts");
    const { trailTable } = await import("../../lib/tables.ts");
    const { TrailEffects } = await import("../shared/trail/effects.ts");
    const { TrailWriter } = await import("../shared/trail/writer.ts");
    const { documentClient } = await import("../shared/aws/dynamodb.ts");
    await createTable(aws.dynamo.endpoint, "mail-events-trail", trailTable);
    const trail = new TrailEffects("mail-events-trail");
    await new TrailWriter({ tableName: "mail-events-trail", retentionDays: 30 })
      .forRecord({
        eventId: "evt-7",
        useCase: "order-shipped-email",
        eventType: "order-shipped",
        receivedAt: 1,
      })
      .note({ outcome: "done", effect: { sesMessageId: "ses-7" } });
    await ledger.claim("159#7", undefined, { eventId: 7, remainingTimeMs: 60_000 });

    const withTrail = { ...tags(7), trailEventId: "evt-7" };
    const at = new Date("2026-12-03T10:00:00.000Z");
    await recordMailEvent(
      ledger,
      sesEvent({ type: "Delivery", messageId: "ses-7", tags: withTrail, at }),
      trail,
    );
    await recordMailEvent(
      ledger,
      sesEvent({ type: "Bounce", messageId: "ses-7", tags: withTrail, at }),
      trail,
    );
    // A mail whose webhook has no trail item (expired, or sent before the trail): nothing is created.
    const orphan = { ...tags(7), trailEventId: "evt-gone" };
    await recordMailEvent(ledger, sesEvent({ type: "Delivery", messageId: "ses-7", tags: orphan }), trail);

    const read = async (eventId: string) =>
      (await documentClient.send(new GetCommand({ TableName: "mail-events-trail", Key: { eventId } }))).Item;
    const item = await read("evt-7");
    expect(item?.effect).toEqual({
      sesMessageId: "ses-7",
      sesDelivery: "2026-12-03T10:00:00.000Z",
      sesBounce: "2026-12-03T10:00:00.000Z Permanent/General",
    });
    expect(JSON.stringify(item)).not.toContain("@");
    expect(await read("evt-gone")).toBeUndefined();
  });
});
