/**
 * The consumer pipeline end to end, over the wire: fauxqs (queue + DLQ with redrive), dynalite (idempotency
 * records), the pipeline invoked by the local SQS poller as Lambda would. A tiny use-case stands in for the real
 * ones; what it does with a record is told by the payload's `behaviour`.
 */
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import type { UseCaseDefinition } from "../functions/shared/pipeline/types.ts";
import { type Harness, startHarness } from "./support/harness.ts";

const behaviours = [
  "done",
  "skip",
  "permanent",
  "not-found",
  "transient-once",
  "always-transient",
  "slow",
] as const;
const schema = z.looseObject({
  webhookEventId: z.number().int().positive(),
  goodsOwnerId: z.number().int().positive(),
  behaviour: z.enum(behaviours),
});
type Payload = z.infer<typeof schema>;

/** Handler calls per webhookEventId, and the receive count of each call. */
const calls = new Map<number, number[]>();

let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;
let nextEventId = 1;

const payload = (behaviour: Payload["behaviour"], webhookEventId = nextEventId++): Payload => ({
  webhookEventId,
  goodsOwnerId: 42,
  behaviour,
});
const callsOf = (webhookEventId: number) => calls.get(webhookEventId) ?? [];

beforeAll(async () => {
  harness = await startHarness({ useCase: "article-sync", maxReceiveCount: 3 });
  const { createConsumer } = await import("../functions/shared/pipeline/consumer.ts");
  const { NotFoundError, PermanentError, TransientError } = await import("../functions/shared/errors.ts");
  const definition: UseCaseDefinition<typeof schema> = {
    useCase: "article-sync",
    schema,
    correlationIds: (p) => ({ behaviour: p.behaviour }),
    async handle(record) {
      const { webhookEventId, behaviour } = record.payload;
      const seen = [...callsOf(webhookEventId), record.receiveCount];
      calls.set(webhookEventId, seen);
      switch (behaviour) {
        case "done":
          return { status: "done" };
        case "slow":
          await new Promise((resolve) => setTimeout(resolve, 200));
          return { status: "done" };
        case "skip":
          return { status: "skipped", reason: "not-relevant" };
        case "permanent":
          throw new PermanentError("rejected-by-receiver", "the receiver rejected the booking");
        case "not-found":
          throw new NotFoundError("order 7 does not exist");
        case "transient-once":
          if (seen.length === 1) throw new TransientError("upstream-5xx", "Ongoing answered 503");
          return { status: "done" };
        case "always-transient":
          throw new TransientError("upstream-5xx", "Ongoing answered 503");
      }
    },
  };
  handler = createConsumer(definition);
});
afterAll(() => harness.stop());
afterEach(async () => {
  expect(await harness.queueDepth()).toBe(0);
});

/** Runs the consumer until the queue is drained, keeping every batch response. */
async function drain(): Promise<SQSBatchResponse[]> {
  const responses: SQSBatchResponse[] = [];
  await harness.run(async (event, context, callback) => {
    const response = (await handler(event, context, callback)) as SQSBatchResponse;
    responses.push(response);
    return response;
  });
  return responses;
}

describe("consumer pipeline", () => {
  it("reports only the failed record of a batch, and retries it alone", async () => {
    const good = [payload("done"), payload("done")];
    const flaky = payload("transient-once");
    await harness.send(good[0], "article-updated");
    const flakyMessageId = await harness.send(flaky, "article-updated");
    await harness.send(good[1], "article-updated");
    const processedBefore = harness.metricCount("Processed");

    const responses = await drain();

    expect(responses[0]?.batchItemFailures).toEqual([{ itemIdentifier: flakyMessageId }]);
    expect(responses.at(-1)?.batchItemFailures).toEqual([]);
    for (const p of good) expect(callsOf(p.webhookEventId)).toEqual([1]);
    expect(callsOf(flaky.webhookEventId)).toEqual([1, 2]);
    expect(harness.metricCount("Processed") - processedBefore).toBe(3);
    expect(harness.metricCount("Failed", { class: "transient", service: "article-sync" })).toBeGreaterThan(0);
    expect(await harness.deadLetters()).toEqual([]);
  });

  it("dead-letters a permanent failure at once, with the original body, attributes and the reason", async () => {
    const rejected = payload("permanent");
    const missing = payload("not-found");
    const rejectedId = await harness.send(rejected, "article-updated", { apiRequestId: "req-1" });
    await harness.send(missing, "article-updated");

    const responses = await drain();

    expect(responses.every((r) => r.batchItemFailures.length === 0)).toBe(true);
    expect(callsOf(rejected.webhookEventId)).toEqual([1]);
    const letters = await harness.deadLetters();
    expect(letters).toHaveLength(2);
    const letter = letters.find((l) => l.attributes.sourceMessageId === rejectedId);
    expect(letter).toEqual({
      body: JSON.stringify(rejected),
      attributes: expect.objectContaining({
        eventType: "article-updated",
        apiRequestId: "req-1",
        receivedAt: expect.stringMatching(/^\d+$/),
        failureClass: "permanent",
        failureCode: "rejected-by-receiver",
        failureReason: "the receiver rejected the booking",
        sourceMessageId: rejectedId,
        useCase: "article-sync",
      }),
    });
    expect(letters.find((l) => l.attributes.sourceMessageId !== rejectedId)?.attributes).toMatchObject({
      failureClass: "permanent",
      failureCode: "not-found",
    });
    expect(harness.metricCount("DeadLettered", { class: "permanent" })).toBeGreaterThanOrEqual(2);
  });

  it("dead-letters unparsable and schema-invalid bodies as invalid-payload, without calling the handler", async () => {
    const callsBefore = calls.size;
    await harness.send("{not json", "article-updated");
    await harness.send({ webhookEventId: "seven", goodsOwnerId: 42, behaviour: "done" }, "article-updated");
    await harness.send(payload("done"), "article-updated", { eventType: "no-such-event" });

    await drain();

    const letters = await harness.deadLetters();
    expect(letters.map((l) => l.body).sort()).toEqual(
      expect.arrayContaining(["{not json", expect.stringContaining('"seven"')]),
    );
    expect(letters).toHaveLength(3);
    for (const letter of letters) {
      expect(letter.attributes).toMatchObject({ failureClass: "permanent", failureCode: "invalid-payload" });
    }
    const reasons = letters.map((l) => l.attributes.failureReason).join("\n");
    expect(reasons).toContain("the body is not JSON");
    expect(reasons).toContain("webhookEventId");
    expect(reasons).toContain("eventType");
    expect(calls.size).toBe(callsBefore);
  });

  it("processes an event once when Ongoing sends it again as a new message", async () => {
    const event = payload("done");
    await harness.send(event, "article-updated");
    await drain();
    const duplicatesBefore = harness.metricCount("Duplicate");

    await harness.send(event, "article-updated");
    await drain();

    expect(callsOf(event.webhookEventId)).toEqual([1]);
    expect(harness.metricCount("Duplicate") - duplicatesBefore).toBe(1);
    expect(await harness.deadLetters()).toEqual([]);
  });

  it("processes concurrent duplicates in one batch once, answering the other from the stored result", async () => {
    const event = payload("slow");
    await harness.send(event, "article-updated");
    await harness.send(event, "article-updated");

    const responses = await drain();

    expect(callsOf(event.webhookEventId)).toEqual([1]);
    expect(responses[0]?.batchItemFailures).toHaveLength(1);
    expect(await harness.deadLetters()).toEqual([]);
  });

  it("dead-letters a record whose receives ran out with class exhausted and the last reason", async () => {
    const event = payload("always-transient");
    const messageId = await harness.send(event, "article-updated");

    await drain();

    expect(callsOf(event.webhookEventId)).toEqual([1, 2, 3]);
    const letters = await harness.deadLetters();
    expect(letters).toEqual([
      {
        body: JSON.stringify(event),
        attributes: expect.objectContaining({
          failureClass: "exhausted",
          failureCode: "upstream-5xx",
          failureReason: "Ongoing answered 503",
          sourceMessageId: messageId,
        }),
      },
    ]);
    expect(harness.metricCount("DeadLettered", { class: "exhausted" })).toBe(1);
  });

  it("counts a skipped record and does not retry it", async () => {
    const event = payload("skip");
    const skippedBefore = harness.metricCount("Skipped");
    await harness.send(event, "article-updated");

    const responses = await drain();

    expect(callsOf(event.webhookEventId)).toEqual([1]);
    expect(responses.flatMap((r) => r.batchItemFailures)).toEqual([]);
    expect(harness.metricCount("Skipped") - skippedBefore).toBe(1);
    expect(await harness.deadLetters()).toEqual([]);
  });
});
