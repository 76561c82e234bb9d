import { beforeEach, describe, expect, it } from "vitest";
import type { ArticleMirror } from "../shared/articles/mirror.ts";
import { NotFoundError } from "../shared/errors.ts";
import type { OngoingArticle } from "../shared/ongoing/model.ts";
import type { HandlerContext } from "../shared/pipeline/types.ts";
import {
  type ArticleSyncDependencies,
  forgetRecentObservations,
  observeArticle,
  ongoingFetchesPerBatch,
} from "./observe.ts";

const payload = { goodsOwnerId: 159, articleSystemId: 7 };
const source = { kind: "webhook", eventType: "article-updated", webhookEventId: 1 } as const;

/** A fresh batch: its own batch cache. */
const batch = (): HandlerContext => ({ remainingTimeMs: () => 30_000, batchCache: new Map() });

function fakeOngoing(answers: Array<() => Promise<OngoingArticle>>) {
  let clock = 1_000;
  const calls: number[] = [];
  const dependencies: ArticleSyncDependencies = {
    mirror: {} as ArticleMirror,
    now: () => clock,
    clientFor: () => ({
      getArticle: async (articleSystemId: number) => {
        calls.push(articleSystemId);
        const answer = answers.shift();
        if (!answer) throw new Error("no more answers");
        return answer();
      },
    }),
  };
  return {
    dependencies,
    calls,
    setClock: (ms: number) => {
      clock = ms;
    },
  };
}

const article = (articleName: string) => async () => ({ articleSystemId: 7, articleName }) as OngoingArticle;

beforeEach(() => forgetRecentObservations());

describe("observeArticle across batches", () => {
  it("reuses a fetch of an earlier batch that started after the event was received", async () => {
    const ongoing = fakeOngoing([article("first"), article("second")]);
    ongoing.setClock(2_000);
    const first = await observeArticle(ongoing.dependencies, payload, source, batch(), 1_500);
    ongoing.setClock(2_500);
    const second = await observeArticle(
      ongoing.dependencies,
      payload,
      { ...source, webhookEventId: 2 },
      batch(),
      1_900,
    );
    expect(ongoing.calls).toHaveLength(1);
    expect(second.article?.articleName).toBe("first");
    expect(second.observedAt).toBe(first.observedAt);
    expect(second.source.webhookEventId).toBe(2);
  });

  it("fetches again for an event received after the earlier fetch started", async () => {
    const ongoing = fakeOngoing([article("first"), article("second")]);
    ongoing.setClock(2_000);
    await observeArticle(ongoing.dependencies, payload, source, batch(), 1_500);
    ongoing.setClock(3_000);
    const second = await observeArticle(ongoing.dependencies, payload, source, batch(), 2_001);
    expect(ongoing.calls).toHaveLength(2);
    expect(second.article?.articleName).toBe("second");
    expect(second.observedAt).toBe(3_000);
  });

  it("does not reuse a fetch that failed", async () => {
    const ongoing = fakeOngoing([() => Promise.reject(new Error("Ongoing down")), article("second")]);
    ongoing.setClock(2_000);
    await expect(observeArticle(ongoing.dependencies, payload, source, batch(), 1_500)).rejects.toThrow(
      "Ongoing down",
    );
    ongoing.setClock(2_500);
    const second = await observeArticle(ongoing.dependencies, payload, source, batch(), 1_500);
    expect(ongoing.calls).toHaveLength(2);
    expect(second.article?.articleName).toBe("second");
  });

  it("reuses a 404 (deleted) observation like any other", async () => {
    const ongoing = fakeOngoing([() => Promise.reject(new NotFoundError("gone")), article("back")]);
    ongoing.setClock(2_000);
    await observeArticle(ongoing.dependencies, payload, source, batch(), 1_500);
    const second = await observeArticle(ongoing.dependencies, payload, source, batch(), 1_800);
    expect(ongoing.calls).toHaveLength(1);
    expect(second.article).toBeUndefined();
  });

  it("without receivedAt shares a fetch only inside one batch", async () => {
    const ongoing = fakeOngoing([article("first"), article("second")]);
    ongoing.setClock(2_000);
    const oneBatch = batch();
    await observeArticle(ongoing.dependencies, payload, source, oneBatch, undefined);
    await observeArticle(ongoing.dependencies, payload, source, oneBatch, undefined);
    expect(ongoing.calls).toHaveLength(1);
    ongoing.setClock(2_500);
    const later = await observeArticle(ongoing.dependencies, payload, source, batch(), undefined);
    expect(ongoing.calls).toHaveLength(2);
    expect(later.article?.articleName).toBe("second");
  });

  it("forgets observations older than the time-to-live", async () => {
    const ongoing = fakeOngoing([article("first"), article("second")]);
    ongoing.setClock(2_000);
    await observeArticle(ongoing.dependencies, payload, source, batch(), 1_500);
    ongoing.setClock(2_000 + 31_000);
    await observeArticle(ongoing.dependencies, payload, source, batch(), 1_500);
    expect(ongoing.calls).toHaveLength(2);
  });
});

/** Ongoing answering only when told to, counting the fetches under way. */
function heldOngoing() {
  let clock = 1_000;
  const held: Array<() => void> = [];
  const stats = { underWay: 0, most: 0, calls: [] as number[] };
  const dependencies: ArticleSyncDependencies = {
    mirror: {} as ArticleMirror,
    now: () => clock,
    clientFor: () => ({
      getArticle: async (articleSystemId: number) => {
        stats.calls.push(articleSystemId);
        stats.underWay += 1;
        stats.most = Math.max(stats.most, stats.underWay);
        await new Promise<void>((resolve) => held.push(resolve));
        stats.underWay -= 1;
        return { articleSystemId, articleName: `at ${clock}` } as OngoingArticle;
      },
    }),
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return {
    dependencies,
    stats,
    setClock: (ms: number) => {
      clock = ms;
    },
    settle,
    /** Answers every fetch under way, and then the ones that start meanwhile, until none is left. */
    async answerAll() {
      await settle();
      while (held.length > 0) {
        for (const answer of held.splice(0)) answer();
        await settle();
      }
    },
  };
}
const ofArticle = (articleSystemId: number) => ({ goodsOwnerId: 159, articleSystemId });

describe("observeArticle's fetch slots", () => {
  it(`has at most ${ongoingFetchesPerBatch} fetches of a batch under way, and frees a slot when Ongoing answers`, async () => {
    const ongoing = heldOngoing();
    const oneBatch = batch();
    const all = Promise.all(
      Array.from({ length: 25 }, (_, index) =>
        observeArticle(ongoing.dependencies, ofArticle(index + 1), source, oneBatch, 500),
      ),
    );
    await ongoing.settle();
    expect(ongoing.stats.underWay).toBe(ongoingFetchesPerBatch);
    await ongoing.answerAll();
    await all;
    expect(ongoing.stats.calls).toHaveLength(25);
    expect(ongoing.stats.most).toBe(ongoingFetchesPerBatch);
  });

  it("dates an observation when its fetch starts, not when it was queued", async () => {
    const ongoing = heldOngoing();
    const oneBatch = batch();
    const first = Array.from({ length: ongoingFetchesPerBatch }, (_, index) =>
      observeArticle(ongoing.dependencies, ofArticle(index + 1), source, oneBatch, 500),
    );
    const queued = observeArticle(ongoing.dependencies, ofArticle(99), source, oneBatch, 500);
    await ongoing.settle();
    ongoing.setClock(4_000);
    await ongoing.answerAll();
    await Promise.all(first);
    expect((await queued).observedAt).toBe(4_000);
  });

  it("lets an event of another batch share a fetch still waiting for its slot (it will start after the event)", async () => {
    const ongoing = heldOngoing();
    const busyBatch = batch();
    const first = Array.from({ length: ongoingFetchesPerBatch }, (_, index) =>
      observeArticle(ongoing.dependencies, ofArticle(index + 1), source, busyBatch, 500),
    );
    const queued = observeArticle(ongoing.dependencies, ofArticle(99), source, busyBatch, 500);
    await ongoing.settle();
    ongoing.setClock(2_000);
    // Received after the queued fetch was queued, but that fetch has not begun: it will see this event's change.
    const shared = observeArticle(ongoing.dependencies, ofArticle(99), source, batch(), 1_500);
    await ongoing.answerAll();
    await Promise.all([...first, queued, shared]);
    expect(ongoing.stats.calls.filter((id) => id === 99)).toHaveLength(1);
    expect((await shared).observedAt).toBeGreaterThanOrEqual(1_500);
  });
});

describe("observeArticle's fetch slots, when the invocation ends", () => {
  it("never begins a queued fetch once its invocation has answered its batch, and lets no one share it", async () => {
    const ongoing = heldOngoing();
    const answered = new AbortController();
    const ending: HandlerContext = { ...batch(), signal: answered.signal };
    const first = Array.from({ length: ongoingFetchesPerBatch }, (_, index) =>
      observeArticle(ongoing.dependencies, ofArticle(index + 1), source, ending, 500),
    );
    const queued = observeArticle(ongoing.dependencies, ofArticle(99), source, ending, 500);
    const queuedOutcome = queued.then(
      () => "fetched",
      (error: Error) => error.message,
    );
    await ongoing.settle();
    answered.abort();
    // Another invocation's event for the same article takes no part in the abandoned fetch: it asks Ongoing.
    const other = observeArticle(ongoing.dependencies, ofArticle(99), source, batch(), 400);
    await ongoing.answerAll();
    await Promise.all(first);
    expect(await queuedOutcome).toMatch(/ended before the article fetch began/);
    expect((await other).article?.articleSystemId).toBe(99);
    expect(ongoing.stats.calls.filter((id) => id === 99)).toHaveLength(1);
  });

  it("fails a record only after its fetch has settled, so no fetch is left queued behind it", async () => {
    const ongoing = heldOngoing();
    let fetchSettled = false;
    const mirror = {
      get: async () => {
        throw new Error("DynamoDB unavailable");
      },
    } as unknown as ArticleMirror;
    const { articleSync } = await import("./sync.ts");
    const definition = articleSync({
      ...ongoing.dependencies,
      mirror,
      clientFor: (goodsOwnerId, options) => {
        const client = ongoing.dependencies.clientFor(goodsOwnerId, options);
        return {
          getArticle: (id: number) =>
            client.getArticle(id).finally(() => {
              fetchSettled = true;
            }),
        };
      },
    });
    const outcome = definition
      .handle(
        {
          payload: { goodsOwnerId: 159, articleSystemId: 5, webhookEventId: 1 },
          eventType: "article-updated",
          messageId: "m1",
          receiveCount: 1,
          apiRequestId: undefined,
          receivedAt: 500,
        } as Parameters<typeof definition.handle>[0],
        batch(),
      )
      .then(
        () => ({ failed: false, fetchSettled }),
        () => ({ failed: true, fetchSettled }),
      );
    await ongoing.answerAll();
    expect(await outcome).toEqual({ failed: true, fetchSettled: true });
  });
});
