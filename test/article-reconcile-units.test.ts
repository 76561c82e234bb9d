/**
 * The article reconcile's units of work (see article-reconcile.test.ts): each goods owner a unit of its own (the
 * dispatcher queues it, the worker runs it), a unit near its time limit saving its place and continuing in the next
 * slice, repeated and lost messages, one goods owner failing alone, and a run of every configured goods owner.
 */
import { describe, expect, it } from "vitest";
import {
  checkpoints,
  createArticle,
  goodsOwnerId,
  harness,
  mirror,
  mirrorView,
  nextArticleId,
  ongoingView,
  otherGoodsOwnerId,
  pageSize,
  reconcile,
  simulator,
  takeArticleId,
  useArticleReconcileStack,
  watermarks,
  worker,
} from "./article-reconcile.support.ts";
import { loginSecret } from "./support/env.ts";

useArticleReconcileStack();

describe("article reconcile", () => {
  it("stops near the time limit after each page and continues from its checkpoint, asking for no page twice", async () => {
    const ids = [];
    for (let index = 0; index < 5; index++)
      ids.push(await createArticle({ articleNumber: `PAGED-${index}` }));
    const stale = takeArticleId();
    await mirror.apply({
      goodsOwnerId,
      articleSystemId: stale,
      article: { articleSystemId: stale, articleNumber: "NOT-IN-ONGOING" } as never,
      observedAt: Date.now() - 60_000,
      source: { kind: "backfill" },
    });
    // 30 s left is below the worker's one-minute reserve: every slice does its one page, saves it and continues.
    const { summaries } = await reconcile({ mode: "full", goodsOwnerId }, { functionTimeoutMs: 30_000 });
    expect(summaries).toEqual([
      expect.objectContaining({
        examined: 5,
        pages: 4,
        slices: 4,
        counts: expect.objectContaining({ created: 5, deleted: 1 }),
      }),
    ]);
    // Pages of 2, 2, 1 and the empty one: each asked once, though four invocations shared the run.
    expect(simulator.state.callCounts().listArticles).toBe(4);
    expect(await mirrorView()).toEqual(await ongoingView());
    expect(await mirror.get(goodsOwnerId, stale)).toMatchObject({ deleted: true });
    expect(await harness.deadLetters()).toEqual([]);
    expect(harness.metricCount("ArticlesCreated", { goodsOwnerId: "159" })).toBeGreaterThanOrEqual(5);
  });

  it("resumes after a slice that failed midway from the last saved page, not from the start", async () => {
    for (let index = 0; index < 5; index++) await createArticle({ articleNumber: `RESUMED-${index}` });
    // The second page fails both attempts the client makes: the slice fails, and SQS hands the unit back.
    let listed = 0;
    const original = simulator.state.takeFault.bind(simulator.state);
    simulator.state.takeFault = (method, path) => {
      if (path === "/articles") listed += 1;
      if (path === "/articles" && (listed === 2 || listed === 3)) return { id: 0, status: 503 };
      return original(method, path);
    };
    try {
      const { summaries } = await reconcile({ mode: "full", goodsOwnerId });
      expect(summaries).toEqual([expect.objectContaining({ examined: 5, pages: 4, slices: 2 })]);
    } finally {
      simulator.state.takeFault = original;
    }
    // Four pages and the two failed attempts at the second: the first page was not asked for again.
    expect(listed).toBe(6);
    expect(await mirrorView()).toEqual(await ongoingView());
    expect(await harness.deadLetters()).toEqual([]);
  });

  it("runs a goods owner once for a repeated message, and continues a run a lost continuation left unfinished", async () => {
    for (let index = 0; index < 3; index++) await createArticle({ articleNumber: `ONCE-${index}` });
    const { answer } = await reconcile({ mode: "full", goodsOwnerId });
    const calls = simulator.state.callCounts().listArticles;
    // The same message again (SQS delivers at least once): the run has finished, nothing is asked of Ongoing.
    await harness.send({ goodsOwnerId, mode: "full", runId: answer.runId }, "reconcile-full");
    await harness.run(worker, { batchSize: 1, functionTimeoutMs: 600_000 });
    expect(simulator.state.callCounts().listArticles).toBe(calls);
    expect(harness.metricCount("Skipped")).toBeGreaterThanOrEqual(1);

    // A run stopped after its first page whose continuation never arrived: the next run's message continues it.
    const { ReconcileCheckpoints } = await import("../functions/article-reconcile/checkpoints.ts");
    const { startRun } = await import("../functions/article-reconcile/reconcile.ts");
    const stuck = {
      ...(await startRun(
        { mirror, watermarks, clientFor: () => ({}) as never },
        {
          goodsOwnerId,
          mode: "full",
          runId: "stuck-run",
        },
      )),
      cursor: nextArticleId - 1,
      pages: 1,
      slices: 1,
      examined: 2,
    };
    const store = new ReconcileCheckpoints(harness.tables.state);
    await store.claim(goodsOwnerId, "full", { owner: "crashed", until: Date.now() - 1, now: Date.now() });
    await store.save(stuck, { owner: "crashed", until: Date.now() - 1 }, { release: true });
    simulator.state.clearCalls();
    const { summaries } = await reconcile({ mode: "full", goodsOwnerId });
    expect(summaries).toEqual([]);
    const continued = await checkpoints.get(goodsOwnerId, "full");
    expect(continued).toMatchObject({ runId: "stuck-run", phase: "done", slices: 2, examined: 3 });
    // Only the last article and the empty page after it.
    expect(simulator.state.callCounts().listArticles).toBe(2);
  });

  it("skips a continuation queued before another message took its run over, but not its own retry", async () => {
    for (let index = 0; index < 6; index++) await createArticle({ articleNumber: `CHAIN-${index}` });
    const { reconcileUnit } = await import("../functions/article-reconcile/unit.ts");
    const { ongoingClientFor } = await import("../functions/shared/ongoing/client.ts");
    const dependencies = { mirror, watermarks, checkpoints, clientFor: ongoingClientFor, pageSize };
    const queued: unknown[] = [];
    const slice = (owner: string, message: Record<string, unknown>) =>
      reconcileUnit(
        dependencies,
        { goodsOwnerId, mode: "full", runId: "chain", ...message },
        {
          owner,
          // Below the one-minute reserve: one page per slice.
          remainingTimeMs: () => 30_000,
          continueLater: async (next) => {
            queued.push(next);
          },
        },
      );
    // Slice 1 queues slice 2; before that arrives, a schedule tick's message takes the unfinished run over.
    expect(await slice("first", {})).toMatchObject({ status: "continued" });
    expect(await slice("tick", { runId: "next-run" })).toMatchObject({ status: "continued" });
    expect(queued).toEqual([
      expect.objectContaining({ runId: "chain", slice: 2 }),
      expect.objectContaining({ runId: "chain", slice: 3 }),
    ]);
    expect(await slice("stale", { slice: 2 })).toMatchObject({ status: "skipped", reason: /taken over/ });
    expect(await slice("third", { slice: 3 })).toMatchObject({ status: "continued" });
    // Its own retry (say sending slice 4 failed) goes on from the saved place; the queued slice 4 then stops.
    expect(await slice("third", { slice: 3 })).toMatchObject({ status: "finished" });
    expect(await slice("fourth", { slice: 4 })).toMatchObject({ status: "skipped" });
    expect(await checkpoints.get(goodsOwnerId, "full")).toMatchObject({
      runId: "chain",
      phase: "done",
      examined: 6,
      pages: 4,
    });
    expect(simulator.state.callCounts().listArticles).toBe(4);
  });

  it("lets one goods owner fail without stopping or repeating the others", async () => {
    await createArticle({ articleNumber: "OWNER-159" });
    await createArticle({ articleNumber: "OWNER-160" }, otherGoodsOwnerId);
    harness.secrets.put("ongoing/other", loginSecret("other", "wrong-password"));
    const { answer, summaries } = await reconcile({
      mode: "full",
      goodsOwnerIds: [otherGoodsOwnerId, goodsOwnerId],
    });
    expect(answer.goodsOwnerIds).toEqual([otherGoodsOwnerId, goodsOwnerId]);
    // Goods owner 160 is queued first and fails; 159 runs all the same.
    expect(summaries).toEqual([expect.objectContaining({ goodsOwnerId, examined: 1, reconciled: 1 })]);
    const letters = await harness.deadLetters();
    expect(letters).toHaveLength(1);
    expect(JSON.parse(letters[0]?.body ?? "{}")).toMatchObject({ goodsOwnerId: otherGoodsOwnerId });
    expect(letters[0]?.attributes).toMatchObject({ useCase: "article-reconcile", failureClass: "permanent" });
    expect(await mirrorView(otherGoodsOwnerId)).toEqual({});

    // Fixed and redriven: 160 runs; 159's finished run is not repeated.
    harness.secrets.put("ongoing/other", loginSecret("other"));
    simulator.state.clearCalls();
    await harness.send(JSON.parse(letters[0]?.body ?? "{}"), "reconcile-full");
    await harness.run(worker, { batchSize: 1, functionTimeoutMs: 600_000 });
    expect(await mirrorView(otherGoodsOwnerId)).toEqual(await ongoingView(otherGoodsOwnerId));
    // 160's two pages, and one 401 to the login the client still held before it read the secret again.
    expect(simulator.state.callCounts().listArticles).toBe(3);
    expect(await checkpoints.get(goodsOwnerId, "full")).toMatchObject({ runId: answer.runId, slices: 1 });
  });

  it("queues a full reconcile of every configured goods owner when none is named", async () => {
    const { answer } = await reconcile({ mode: "full" });
    expect(answer).toMatchObject({ mode: "full", goodsOwnerIds: [goodsOwnerId] });
  });
});
