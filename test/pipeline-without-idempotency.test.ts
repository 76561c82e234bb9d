/**
 * A use-case that turns the pipeline's idempotency off (`idempotency: false`) gets every delivery handled:
 * no idempotency record is read or written, and a repeat is reported as whatever the handler answers. Over the
 * wire, as in pipeline.test.ts: fauxqs, dynalite, the poller. A tiny use-case stands in for article-sync, whose
 * own state makes a repeat harmless: it skips an event it has already applied.
 */
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import type { createConsumer as CreateConsumer } from "../functions/shared/pipeline/consumer.ts";
import type { UseCaseDefinition } from "../functions/shared/pipeline/types.ts";
import { type Harness, startHarness } from "./support/harness.ts";

const schema = z.looseObject({
  webhookEventId: z.number().int().positive(),
  goodsOwnerId: z.number().int().positive(),
  slow: z.boolean().optional(),
});

/** Handler calls per webhookEventId. */
const calls = new Map<number, number>();

let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;
let createConsumer: typeof CreateConsumer;
let idempotencyRecords: () => Promise<number>;
let nextEventId = 1;

const definition: UseCaseDefinition<typeof schema> = {
  useCase: "article-sync",
  schema,
  idempotency: false,
  async handle(record) {
    const { webhookEventId, slow } = record.payload;
    const seen = calls.get(webhookEventId) ?? 0;
    calls.set(webhookEventId, seen + 1);
    if (slow) await new Promise((resolve) => setTimeout(resolve, 100));
    return seen === 0 ? { status: "done" } : { status: "skipped", reason: "already-applied" };
  },
};

beforeAll(async () => {
  harness = await startHarness({ useCase: "article-sync" });
  ({ createConsumer } = await import("../functions/shared/pipeline/consumer.ts"));
  const { documentClient } = await import("../functions/shared/aws/dynamodb.ts");
  idempotencyRecords = async () => {
    const { Items } = await documentClient.send(new ScanCommand({ TableName: harness.tables.state }));
    return (Items ?? []).filter((item) => String(item.id).startsWith("idempotency#")).length;
  };
  handler = createConsumer(definition);
});
afterAll(() => harness?.stop());
afterEach(async () => {
  expect(await harness.queueDepth()).toBe(0);
  expect(await harness.deadLetters()).toEqual([]);
});

describe("consumer pipeline with idempotency off", () => {
  it("handles every delivery of an event and reports the repeat as the handler's outcome", async () => {
    const event = { webhookEventId: nextEventId++, goodsOwnerId: 42 };
    const before = { processed: harness.metricCount("Processed"), skipped: harness.metricCount("Skipped") };
    await harness.send(event, "article-updated");
    await harness.run(handler);
    await harness.send(event, "article-updated");
    await harness.run(handler);

    expect(calls.get(event.webhookEventId)).toBe(2);
    expect(harness.metricCount("Processed") - before.processed).toBe(1);
    expect(harness.metricCount("Skipped") - before.skipped).toBe(1);
    expect(harness.metricCount("Duplicate")).toBe(0);
    expect(await idempotencyRecords()).toBe(0);
  });

  it("runs concurrent duplicates of one batch side by side, with no in-progress retry", async () => {
    const event = { webhookEventId: nextEventId++, goodsOwnerId: 42, slow: true };
    await harness.send(event, "article-updated");
    await harness.send(event, "article-updated");
    await harness.run(handler);

    expect(calls.get(event.webhookEventId)).toBe(2);
    expect(harness.metricCount("Failed")).toBe(0);
    expect(await idempotencyRecords()).toBe(0);
  });

  it("refuses an idempotency key it would ignore, naming both settings", () => {
    expect(() =>
      createConsumer({ ...definition, idempotencyKey: (record) => String(record.payload.webhookEventId) }),
    ).toThrow(/idempotencyKey.*idempotency: false/);
  });
});
