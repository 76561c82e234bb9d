/**
 * The article reconcile's worker behind Ongoing's circuit breaker, over the wire (the Ongoing simulator, local SQS
 * and DynamoDB, the local SQS poller): while Ongoing answers 503 to everything for longer than the worker's whole
 * retry budget, its unit waits as a requeued message (spending no receives) instead of being dead-lettered as
 * `exhausted`, and the run finishes once Ongoing is back.
 */
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { describe, expect, it, vi } from "vitest";
import type { BreakerStore } from "../functions/shared/breaker/store.ts";
import { startSqsPoller } from "../local/sqs-poller.ts";
import {
  checkpoints,
  createArticle,
  dispatch,
  goodsOwnerId,
  harness,
  lambdaContext,
  mirrorView,
  ongoingView,
  simulator,
  useArticleReconcileStack,
  worker,
} from "./article-reconcile.support.ts";

useArticleReconcileStack({ breaker: true });

/** The harness's queue's maxReceiveCount (and the pipeline's MAX_RECEIVE_COUNT). */
const maxReceiveCount = 3;

describe("article reconcile during an Ongoing outage", () => {
  it("defers its unit behind the breaker for longer than its retry budget, and finishes the run when Ongoing is back", async () => {
    for (let index = 0; index < 3; index++) await createArticle({ articleNumber: `OUTAGE-${index}` });
    const { BreakerStore } = await import("../functions/shared/breaker/store.ts");
    const store: BreakerStore = new BreakerStore(harness.tables.state);
    const position = async () => (await store.read(["ongoing"])).get("ongoing")?.position;
    const original = simulator.state.takeFault.bind(simulator.state);
    simulator.state.takeFault = () => ({ id: 0, status: 503 });
    const answer = await dispatch({ mode: "full", goodsOwnerId }, lambdaContext);
    const poller = await startSqsPoller({
      queueUrl: harness.queueUrl,
      sqsClient: harness.sqs,
      handler: worker as Handler<SQSEvent, SQSBatchResponse | undefined>,
      batchSize: 1,
      functionTimeoutMs: 600_000,
      waitTimeSeconds: 0,
      onError: () => undefined,
    });
    try {
      await vi.waitFor(async () => expect(await position()).toBe("open"), { timeout: 20_000 });
      // More receives than the whole retry budget, every one after the breaker opened a deferral.
      await vi.waitFor(
        () =>
          expect(harness.metricCount("Deferred", { dependency: "ongoing" })).toBeGreaterThan(
            maxReceiveCount + 1,
          ),
        { timeout: 30_000, interval: 250 },
      );
      expect(await harness.deadLetters()).toEqual([]);
      expect(await harness.queueDepth()).toBe(1);

      // Ongoing is back; the probe (not running here) would half-open the breaker.
      simulator.state.takeFault = original;
      await store.halfOpen("ongoing", Date.now());
      await vi.waitFor(async () => expect(await harness.queueDepth()).toBe(0), { timeout: 30_000 });
    } finally {
      simulator.state.takeFault = original;
      await poller.stop();
    }
    expect(await position()).toBe("closed");
    expect(await harness.deadLetters()).toEqual([]);
    expect(await checkpoints.get(goodsOwnerId, "full")).toMatchObject({
      runId: answer.runId,
      phase: "done",
      examined: 3,
    });
    expect(await mirrorView()).toEqual(await ongoingView());
  }, 90_000);
});
