/**
 * The consumer pipeline's log lines carry each record's correlation ids, so one webhook can be followed from
 * the API Gateway request to its outcome: the API request id, the webhook event id, the goods owner and the
 * definition's own ids, on the pipeline's lines and on the handler's (through `context.logger`), for records
 * that run at the same time in one batch. Over the wire, as in pipeline.test.ts: fauxqs, dynalite, the poller.
 */
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { orderWebhookSchema } from "../functions/shared/contract/webhook-schemas.ts";
import type { UseCaseDefinition } from "../functions/shared/pipeline/types.ts";
import { type Harness, startHarness } from "./support/harness.ts";

type Behaviour = "done" | "skip" | "permanent" | "transient-once";

let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;
/** How each order (by orderId) behaves, and how often it was handled. */
const behaviourOf = new Map<number, Behaviour>();
const handled = new Map<number, number>();

beforeAll(async () => {
  harness = await startHarness({
    useCase: "transport-booking",
    maxReceiveCount: 3,
    // The test config silences the logger; it is read when the logger module is first imported (below).
    env: { POWERTOOLS_LOG_LEVEL: "DEBUG", POWERTOOLS_DEV: "false" },
  });
  const { createConsumer } = await import("../functions/shared/pipeline/consumer.ts");
  const { PermanentError, TransientError } = await import("../functions/shared/errors.ts");
  const definition: UseCaseDefinition<typeof orderWebhookSchema> = {
    useCase: "transport-booking",
    schema: orderWebhookSchema,
    correlationIds: (payload) => ({ orderId: payload.orderId }),
    async handle(record, context) {
      const { orderId } = record.payload;
      const times = (handled.get(orderId) ?? 0) + 1;
      handled.set(orderId, times);
      context.logger?.info("handling the order");
      // Let the batch's records interleave, so keys leaking from one record to another would show.
      await new Promise((resolve) => setTimeout(resolve, 5));
      switch (behaviourOf.get(orderId)) {
        case "skip":
          return { status: "skipped", reason: "not-relevant" };
        case "permanent":
          throw new PermanentError("rejected-by-receiver", "the receiver rejected the booking");
        case "transient-once":
          if (times === 1) throw new TransientError("upstream-5xx", "Ongoing answered 503");
          return { status: "done" };
        default:
          return { status: "done" };
      }
    },
  };
  handler = createConsumer(definition);
});
afterAll(() => harness?.stop());

/** Everything the functions wrote to stdout and stderr (the logger writes warnings and errors to stderr). */
const output: string[] = [];

beforeEach(() => {
  output.length = 0;
  // Wraps the harness's own stdout capture (which takes the EMF lines and passes the rest on).
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk: unknown, ...rest: unknown[]) => {
      output.push(typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : "");
      const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
      callback?.();
      return true;
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

function logLines(): Array<Record<string, unknown>> {
  return output
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.startsWith("{") && !line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The messages the pipeline and the handler write about one record. */
const recordMessages = new Set([
  "handling the order",
  "processed",
  "skipped",
  "failed; will retry",
  "dead-lettered",
  "already processed; duplicate delivery acknowledged",
]);

const goodsOwnerId = 159;

describe("pipeline log lines", () => {
  it("carry apiRequestId, webhookEventId, goodsOwnerId and the definition's ids, per record of a batch", async () => {
    const records = [
      { webhookEventId: 9101, orderId: 5101, behaviour: "done" },
      { webhookEventId: 9102, orderId: 5102, behaviour: "skip" },
      { webhookEventId: 9103, orderId: 5103, behaviour: "permanent" },
      { webhookEventId: 9104, orderId: 5104, behaviour: "transient-once" },
    ] as const;
    const messageIds = new Map<number, string>();
    for (const record of records) {
      behaviourOf.set(record.orderId, record.behaviour);
      const messageId = await harness.send(
        { webhookEventId: record.webhookEventId, goodsOwnerId, orderId: record.orderId },
        "order-shipped",
        { apiRequestId: `req-${record.webhookEventId}` },
      );
      messageIds.set(record.webhookEventId, messageId);
    }

    await harness.run(handler, { batchSize: 10 });

    const lines = logLines().filter((line) => recordMessages.has(String(line.message)));
    for (const record of records) {
      const mine = lines.filter((line) => line.webhookEventId === record.webhookEventId);
      for (const line of mine) {
        expect(line).toMatchObject({
          apiRequestId: `req-${record.webhookEventId}`,
          webhookEventId: record.webhookEventId,
          goodsOwnerId,
          orderId: record.orderId,
          messageId: messageIds.get(record.webhookEventId),
          receiveCount: expect.any(Number),
          useCase: "transport-booking",
        });
      }
      const expected = {
        done: ["handling the order", "processed"],
        skip: ["handling the order", "skipped"],
        permanent: ["handling the order", "dead-lettered"],
        "transient-once": ["handling the order", "failed; will retry", "handling the order", "processed"],
      }[record.behaviour];
      expect(mine.map((line) => line.message)).toEqual(expected);
    }
    // Every record line belongs to one of the records: none lost its keys.
    expect(lines.every((line) => typeof line.webhookEventId === "number")).toBe(true);
    expect(lines).toHaveLength(10);
    const retried = lines.filter((line) => line.webhookEventId === 9104).map((line) => line.receiveCount);
    expect(retried).toEqual([1, 1, 2, 2]);
    expect(await harness.deadLetters()).toHaveLength(1);
  });

  it("carry them on a duplicate delivery, and the API request id on a payload that cannot be read", async () => {
    behaviourOf.set(5201, "done");
    const event = { webhookEventId: 9201, goodsOwnerId, orderId: 5201 };
    await harness.send(event, "order-shipped", { apiRequestId: "req-first" });
    await harness.run(handler);
    output.length = 0;

    await harness.send(event, "order-shipped", { apiRequestId: "req-again" });
    const badId = await harness.send("{not json", "order-shipped", { apiRequestId: "req-bad" });
    await harness.run(handler);

    const lines = logLines();
    expect(
      lines.filter((line) => line.message === "already processed; duplicate delivery acknowledged"),
    ).toEqual([
      expect.objectContaining({
        apiRequestId: "req-again",
        webhookEventId: 9201,
        goodsOwnerId,
        orderId: 5201,
      }),
    ]);
    // Nothing could be read from the body, but the request and the message can still be found.
    expect(lines.filter((line) => line.message === "dead-lettered")).toEqual([
      expect.objectContaining({ apiRequestId: "req-bad", messageId: badId, code: "invalid-payload" }),
    ]);
    expect(handled.get(5201)).toBe(1);
    expect(await harness.deadLetters()).toHaveLength(1);
  });
});
