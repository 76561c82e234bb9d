/**
 * The pipeline with a circuit breaker, over the wire (fauxqs, dynalite, the local SQS poller): records that fail
 * because their dependency is down wait for it as requeued messages and spend none of their receives, however
 * long it stays down; the receives that did count travel with the message; when the dependency answers again,
 * every record is handled once.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as z from "zod";
import type { BreakerStore } from "../functions/shared/breaker/store.ts";
import type { UseCaseDefinition } from "../functions/shared/pipeline/types.ts";
import { startSqsPoller } from "../local/sqs-poller.ts";
import { type Harness, startHarness } from "./support/harness.ts";

const schema = z.looseObject({
  webhookEventId: z.number().int().positive(),
  goodsOwnerId: z.number().int().positive(),
  behaviour: z.enum(["needs-ongoing", "always-transient"]),
});

let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;
let store: BreakerStore;
let ongoingDown = false;
/** Receive counts the handler saw, per event. */
const calls = new Map<number, number[]>();

beforeAll(async () => {
  harness = await startHarness({
    useCase: "article-sync",
    maxReceiveCount: 3,
    env: {
      BREAKER_TABLE_NAME: "test-article-sync-state",
      BREAKER_FAILURE_THRESHOLD: "2",
      BREAKER_PROBE_INTERVAL_SECONDS: "1",
    },
  });
  const { createConsumer } = await import("../functions/shared/pipeline/consumer.ts");
  const { TransientError } = await import("../functions/shared/errors.ts");
  const { dependencyAnswered } = await import("../functions/shared/breaker/answers.ts");
  const { BreakerStore } = await import("../functions/shared/breaker/store.ts");
  const definition: UseCaseDefinition<typeof schema> = {
    useCase: "article-sync",
    schema,
    idempotency: false,
    dependencies: ["ongoing"],
    async handle(record) {
      const { webhookEventId, behaviour } = record.payload;
      calls.set(webhookEventId, [...(calls.get(webhookEventId) ?? []), record.receiveCount]);
      if (behaviour === "always-transient")
        throw new TransientError("mirror-busy", "not the dependency's fault");
      if (ongoingDown) {
        throw new TransientError("ongoing-unavailable", "Ongoing getArticle answered 503", {
          dependency: "ongoing",
        });
      }
      dependencyAnswered("ongoing");
      return { status: "done" };
    },
  };
  handler = createConsumer(definition);
  const client = new DynamoDBClient({
    endpoint: harness.endpoints.dynamoDb,
    region: "eu-west-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  store = new BreakerStore(harness.tables.state, DynamoDBDocumentClient.from(client));
}, 60_000);

afterAll(() => harness?.stop());

const position = async () => (await store.read(["ongoing"])).get("ongoing")?.position;

describe("consumer pipeline with a circuit breaker", () => {
  it("spends no receives while the dependency is down, and handles every record once when it is back", async () => {
    ongoingDown = true;
    const events = [1, 2, 3, 4, 5, 6];
    for (const id of events)
      await harness.send(
        { webhookEventId: id, goodsOwnerId: 42, behaviour: "needs-ongoing" },
        "article-updated",
      );
    const poller = await startSqsPoller({
      queueUrl: harness.queueUrl,
      endpoint: harness.endpoints.sqs,
      handler,
      batchSize: 3,
      waitTimeSeconds: 0,
    });
    try {
      await vi.waitFor(async () => expect(await position()).toBe("open"), { timeout: 10_000 });
      // Several times the whole retry budget (3 receives at once, RETRY_BASE_DELAY_SECONDS 0), with the
      // event source still receiving (no probe here to pause it): every receive is a deferral.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect(await harness.deadLetters()).toEqual([]);
      expect(harness.metricCount("Deferred", { dependency: "ongoing" })).toBeGreaterThanOrEqual(
        events.length,
      );

      ongoingDown = false;
      await store.halfOpen("ongoing", Date.now());
      await vi.waitFor(async () => expect(await harness.queueDepth()).toBe(0), { timeout: 20_000 });
    } finally {
      await poller.stop();
    }
    expect(await position()).toBe("closed");
    expect(await harness.deadLetters()).toEqual([]);
    for (const id of events) {
      const seen = calls.get(id) ?? [];
      // At most the two failures before the breaker opened counted; the last call succeeded.
      expect(Math.max(...seen), `event ${id}: ${seen}`).toBeLessThanOrEqual(3);
    }
    expect(harness.metricCount("Processed")).toBe(events.length);
  }, 60_000);

  it("counts the receives a requeued message carries, and exhausts a healthy dependency's retries as usual", async () => {
    await harness.send(
      { webhookEventId: 100, goodsOwnerId: 42, behaviour: "always-transient" },
      "article-updated",
      {
        countedReceives: "2",
      },
    );
    await harness.run(handler);
    expect(calls.get(100)).toEqual([3]);
    const letters = await harness.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]?.attributes).toMatchObject({ failureClass: "exhausted", failureCode: "mirror-busy" });
    // A redriven message starts afresh: the counters stay behind.
    expect(letters[0]?.attributes).not.toHaveProperty("countedReceives");
  });
});
