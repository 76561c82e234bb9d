/**
 * The operator's trail as the consumer pipeline writes it, over the wire (fauxqs, dynalite): one item per
 * webhook, each outcome appended in one write, the effect a use-case reports, dead-lettering noted, only ids
 * kept, and a trail that cannot be written never failing or repeating the webhook's processing.
 */
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as z from "zod";
import { createTable, localCredentials } from "../devkit/tables.ts";
import type { UseCaseDefinition } from "../functions/shared/pipeline/types.ts";
import type { TrailTable } from "../functions/shared/trail/reader.ts";
import { trailTable } from "../lib/tables.ts";
import { type Harness, startHarness } from "./support/harness.ts";

const behaviours = ["done", "skip", "permanent", "transient-once", "always-transient"] as const;
const schema = z.looseObject({
  webhookEventId: z.number().int().positive(),
  goodsOwnerId: z.number().int().positive(),
  orderId: z.number().int().positive(),
  behaviour: z.enum(behaviours),
});
type Payload = z.infer<typeof schema>;
const trailTableName = "test-trail";
const calls = new Map<number, number>();

let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;
let definition: UseCaseDefinition<typeof schema>;
let table: TrailTable;
let reader: typeof import("../functions/shared/trail/reader.ts");
let nextId = 1;

const payload = (behaviour: Payload["behaviour"], extra: Record<string, unknown> = {}) => {
  const id = nextId++;
  return { webhookEventId: id, goodsOwnerId: 42, orderId: 1000 + id, behaviour, ...extra };
};
const send = (body: unknown, eventId: string) =>
  harness.send(body, "order-shipped", { apiRequestId: eventId });
const trailOf = async (eventId: string) => {
  const record = await reader.trailByEventId(table, eventId);
  if (!record) throw new Error(`no trail for ${eventId}`);
  return record;
};

beforeAll(async () => {
  harness = await startHarness({
    useCase: "order-shipped-email",
    maxReceiveCount: 3,
    env: { TRAIL_TABLE_NAME: trailTableName, TRAIL_RETENTION_DAYS: "30" },
  });
  await createTable(harness.endpoints.dynamoDb, trailTableName, trailTable);
  reader = await import("../functions/shared/trail/reader.ts");
  const dynamo = new DynamoDBClient({
    endpoint: harness.endpoints.dynamoDb,
    region: "eu-west-1",
    credentials: localCredentials,
  });
  table = reader.trailTableOf(dynamo, trailTableName);
  const { createConsumer } = await import("../functions/shared/pipeline/consumer.ts");
  const { PermanentError, TransientError } = await import("../functions/shared/errors.ts");
  definition = {
    useCase: "order-shipped-email",
    schema,
    eventTypes: ["order-shipped"],
    async handle(record) {
      const { webhookEventId, behaviour } = record.payload;
      const seen = (calls.get(webhookEventId) ?? 0) + 1;
      calls.set(webhookEventId, seen);
      switch (behaviour) {
        case "done":
          return { status: "done", effect: { sesMessageId: `ses-${webhookEventId}` } };
        case "skip":
          return { status: "skipped", reason: "not-shipped" };
        case "permanent":
          throw new PermanentError("goods-owner-mismatch", "order 7 belongs to another goods owner");
        case "transient-once":
          if (seen === 1) throw new TransientError("upstream-5xx", "Ongoing answered 503");
          return { status: "done" };
        case "always-transient":
          throw new TransientError("upstream-5xx", "Ongoing answered 503");
      }
    },
  };
  handler = createConsumer(definition);
});
afterAll(() => harness.stop());

describe("the trail the pipeline writes", () => {
  it("keeps a done webhook's route, ids, subject, times, attempt and effect", async () => {
    const event = payload("done");
    const before = Date.now();
    await send(event, "evt-done");
    await harness.run(handler);

    const record = await trailOf("evt-done");
    expect(record).toMatchObject({
      eventId: "evt-done",
      route: "order-shipped-email",
      useCase: "order-shipped-email",
      eventType: "order-shipped",
      goodsOwnerId: 42,
      subject: `order#${event.orderId}`,
      outcome: "done",
      attempts: [{ outcome: "done", receive: 1 }],
      effect: { sesMessageId: `ses-${event.webhookEventId}` },
    });
    expect(Date.parse(record.receivedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(JSON.parse(record.body ?? "")).toEqual(event);
  });

  it("appends each attempt: a transient failure with its code, then done", async () => {
    await send(payload("transient-once"), "evt-flaky");
    await harness.run(handler);

    const record = await trailOf("evt-flaky");
    expect(record.outcome).toBe("done");
    expect(record.attempts).toEqual([
      expect.objectContaining({
        outcome: "transient",
        code: "upstream-5xx",
        reason: "Ongoing answered 503",
        receive: 1,
      }),
      expect.objectContaining({ outcome: "done", receive: 2 }),
    ]);
    expect(Date.parse(record.attempts[1]?.at ?? "")).toBeGreaterThanOrEqual(
      Date.parse(record.attempts[0]?.at ?? ""),
    );
  });

  it("notes a permanent failure and an exhausted one as dead-lettered, with the reason", async () => {
    await send(payload("permanent"), "evt-permanent");
    await send(payload("always-transient"), "evt-exhausted");
    await harness.run(handler);
    await harness.deadLetters();

    expect(await trailOf("evt-permanent")).toMatchObject({
      outcome: "dead-lettered",
      reason: "permanent: order 7 belongs to another goods owner",
      attempts: [{ outcome: "dead-lettered", code: "goods-owner-mismatch" }],
    });
    const exhausted = await trailOf("evt-exhausted");
    expect(exhausted.outcome).toBe("dead-lettered");
    expect(exhausted.reason).toBe("exhausted after 3 receives: Ongoing answered 503");
    expect(exhausted.attempts.map((attempt) => attempt.outcome)).toEqual([
      "transient",
      "transient",
      "dead-lettered",
    ]);
  });

  it("notes a body that does not parse as dead-lettered, with no subject", async () => {
    await send("{not json", "evt-invalid");
    await harness.run(handler);
    await harness.deadLetters();

    const record = await trailOf("evt-invalid");
    expect(record).toMatchObject({ outcome: "dead-lettered", route: "order-shipped-email" });
    expect(record.subject).toBeUndefined();
    expect(record.body).toBeUndefined();
  });

  it("keeps a skip's reason, and a duplicate after a done leaves the journey done", async () => {
    await send(payload("skip"), "evt-skip");
    await harness.run(handler);
    expect(await trailOf("evt-skip")).toMatchObject({ outcome: "skipped", reason: "not-shipped" });

    const record = await trailOf("evt-done");
    const replayed = JSON.parse(record.body ?? "") as Payload;
    await harness.send(replayed, "order-shipped", {
      apiRequestId: "evt-done",
      replayedAt: String(Date.now()),
    });
    await harness.run(handler);

    const after = await trailOf("evt-done");
    expect(after.outcome).toBe("done");
    // The replay went through the pipeline's deduplication: acknowledged as a duplicate, not processed again.
    expect(after.attempts.at(-1)).toMatchObject({ outcome: "skipped", code: "duplicate", replay: true });
    expect(calls.get(replayed.webhookEventId)).toBe(1);
  });
});

describe("what the trail keeps, how it is read, and when it cannot be written", () => {
  it("keeps only the schema's ids: no names, addresses or free text, whatever the body carries", async () => {
    const event = payload("done", {
      consigneeName: "Anna Svensson",
      deliveryAddress: "Storgatan 1, 111 22 Stockholm",
      email: "anna@example.com",
      comment: "left with neighbour Anna",
    });
    await send(event, "evt-personal");
    await harness.run(handler);

    const dynamo = new DynamoDBClient({
      endpoint: harness.endpoints.dynamoDb,
      region: "eu-west-1",
      credentials: localCredentials,
    });
    const { Items = [] } = await dynamo.send(new ScanCommand({ TableName: trailTableName }));
    dynamo.destroy();
    const stored = JSON.stringify(Items);
    expect(stored).toContain("evt-personal");
    for (const personal of ["Anna", "Storgatan", "anna@example.com", "neighbour"]) {
      expect(stored).not.toContain(personal);
    }
  });

  it("finds webhooks by subject, by time and by failure, and lists the recent ones newest first", async () => {
    const done = await trailOf("evt-done");
    const bySubject = await reader.trailBySubject(table, done.subject ?? "");
    expect(bySubject.map((record) => record.eventId)).toEqual(["evt-done"]);

    const failed = await reader.trailFailedSince(table, Date.now() - 3_600_000);
    expect(failed.map((record) => record.eventId).sort()).toEqual([
      "evt-exhausted",
      "evt-flaky",
      "evt-invalid",
      "evt-permanent",
    ]);

    const all = await reader.trailReceivedBetween(table, Date.now() - 3_600_000, Date.now());
    expect(all.length).toBeGreaterThanOrEqual(7);

    const recent = await reader.recentTrail(table, { limit: 3 });
    expect(recent).toHaveLength(3);
    expect(recent[0]?.eventId).toBe("evt-personal");
    expect(recent.map((entry) => entry.receivedAt)).toEqual(
      [...recent.map((entry) => entry.receivedAt)].sort().reverse(),
    );
    expect(recent[0]).not.toHaveProperty("body");
  });

  it("processes a webhook once and on time when its trail cannot be written, counting the failure", async () => {
    vi.stubEnv("TRAIL_TABLE_NAME", "no-such-table");
    const { createConsumer } = await import("../functions/shared/pipeline/consumer.ts");
    const withoutTrail = createConsumer(definition);
    const event = payload("done");
    await send(event, "evt-no-trail");
    await harness.run(withoutTrail);
    vi.stubEnv("TRAIL_TABLE_NAME", trailTableName);

    expect(calls.get(event.webhookEventId)).toBe(1);
    expect(await harness.deadLetters()).toEqual([]);
    expect(harness.metricCount("TrailWriteFailed")).toBeGreaterThanOrEqual(1);
    expect(await reader.trailByEventId(table, "evt-no-trail")).toBeUndefined();
  });
});
