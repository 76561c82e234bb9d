import { beforeAll, describe, expect, it, vi } from "vitest";
import { useLocalAws } from "../../../test/support/env.ts";
import type { OngoingArticle } from "../ongoing/model.ts";
import {
  type ArticleObservation,
  articleData,
  changedFields,
  decide,
  type MirrorItem,
  sameValue,
} from "./mirror.ts";

const article = (overrides: Partial<OngoingArticle> = {}): OngoingArticle => ({
  articleSystemId: 7,
  articleNumber: "A-7",
  articleName: "Seven",
  barCodeInfo: { barCode: "123", barCodePackage: null },
  weight: 1.5,
  statisticsNumber: null,
  inventoryInfo: { numberOfItems: 3 },
  articleDataLastUpdated: "2024-01-01T10:00:00.0000000",
  ...overrides,
});

const observe = (value: OngoingArticle | undefined, observedAt: number): ArticleObservation => ({
  goodsOwnerId: 159,
  articleSystemId: 7,
  article: value,
  observedAt,
  source: { kind: "webhook", eventType: "article-updated", webhookEventId: observedAt },
});

const stored = (data: Record<string, unknown>, extra: Partial<MirrorItem> = {}): MirrorItem => ({
  goodsOwnerId: 159,
  articleSystemId: 7,
  revision: 1,
  observedAt: 1000,
  syncedAt: "2024-01-01T10:00:00.000Z",
  syncedBy: { kind: "webhook" },
  ...data,
  ...extra,
});

describe("articleData", () => {
  it("keeps the master data, drops nulls and inventory", () => {
    expect(articleData(article())).toEqual({
      articleNumber: "A-7",
      articleName: "Seven",
      barCodeInfo: { barCode: "123", barCodePackage: null },
      weight: 1.5,
      articleDataLastUpdated: "2024-01-01T10:00:00.0000000",
    });
  });
});

describe("changedFields", () => {
  it("names fields that differ, appear or disappear, blind to key order", () => {
    const before = articleData(article({ supplierInfo: { a: 1, b: 2 } }));
    const after = articleData(
      article({ supplierInfo: { b: 2, a: 1 }, weight: 2, articleName: null, unitCode: "st" }),
    );
    expect(changedFields(before, after)).toEqual(["articleName", "unitCode", "weight"]);
    expect(sameValue([1, { x: 1 }], [1, { x: 1 }])).toBe(true);
  });
});

describe("decide", () => {
  it("creates, updates, leaves unchanged, deletes", () => {
    const data = articleData(article());
    expect(decide(undefined, observe(article(), 2000)).change).toBe("created");
    expect(decide(stored(data), observe(article(), 2000))).toEqual({ change: "unchanged", fields: [] });
    expect(decide(stored(data), observe(article({ weight: 3 }), 2000))).toEqual({
      change: "updated",
      fields: ["weight"],
    });
    expect(decide(stored(data), observe(undefined, 2000)).change).toBe("deleted");
    expect(decide(undefined, observe(undefined, 2000)).change).toBe("deleted");
    expect(decide(stored({}, { deleted: true }), observe(undefined, 2000)).change).toBe("unchanged");
    expect(decide(stored({}, { deleted: true }), observe(article(), 2000)).change).toBe("created");
  });

  it("never lets an older view win", () => {
    const data = articleData(article());
    expect(decide(stored(data), observe(article({ weight: 3 }), 999)).change).toBe("stale");
    expect(decide(stored({}, { deleted: true, observedAt: 5000 }), observe(article(), 4000)).change).toBe(
      "stale",
    );
    const newerData = stored(data, { dataVersion: Date.parse("2024-01-02T00:00:00Z") });
    expect(decide(newerData, observe(article({ weight: 3 }), 9000)).change).toBe("stale");
  });
});

describe("ArticleMirror (DynamoDB)", () => {
  const aws = useLocalAws({ dynamo: { tablePrefix: "mirror-unit" } });
  let mirror: import("./mirror.ts").ArticleMirror;

  beforeAll(async () => {
    vi.resetModules();
    const { ArticleMirror } = await import("./mirror.ts");
    mirror = new ArticleMirror({ tableName: aws.tables.articles });
  });

  it("writes only what changed, and nothing when nothing did", async () => {
    expect(await mirror.apply(observe(article(), 1000))).toEqual({
      change: "created",
      changedFields: ["articleNumber", "articleName", "barCodeInfo", "weight", "articleDataLastUpdated"],
      revision: 1,
    });
    const created = await mirror.get(159, 7);
    expect(await mirror.apply(observe(article(), 2000))).toEqual({
      change: "unchanged",
      changedFields: [],
      revision: 1,
    });
    expect(await mirror.get(159, 7)).toEqual(created);
    const changed = article({ weight: null, unitCode: "st", articleDataLastUpdated: "2024-01-01T11:00:00" });
    expect(await mirror.apply(observe(changed, 3000))).toEqual({
      change: "updated",
      changedFields: ["unitCode", "weight", "articleDataLastUpdated"],
      revision: 2,
    });
    const updated = await mirror.get(159, 7);
    expect(updated).toMatchObject({ revision: 2, observedAt: 3000, unitCode: "st" });
    expect(updated).not.toHaveProperty("weight");
  });

  it("finds the current tombstones written since a time, oldest first, through the tombstones index", async () => {
    let clock = Date.parse("2024-03-01T00:00:00Z");
    const clocked = new (await import("./mirror.ts")).ArticleMirror({
      tableName: aws.tables.articles,
      now: () => clock,
    });
    const at = (articleSystemId: number, value: OngoingArticle | undefined, observedAt: number) =>
      clocked.apply({ ...observe(value, observedAt), goodsOwnerId: 160, articleSystemId });
    for (const id of [101, 102, 103]) await at(id, article(), 1000);
    await at(103, undefined, 2000);
    clock += 60_000;
    await at(101, undefined, 2000);
    clock += 60_000;
    await at(102, undefined, 2000);
    await at(102, article(), 3000);
    const since = async (ms: number) => {
      const found: number[] = [];
      for await (const item of clocked.tombstonesSince(160, ms)) found.push(item.articleSystemId);
      return found;
    };
    expect(await since(0)).toEqual([103, 101]);
    expect(await since(clock - 60_000)).toEqual([101]);
    expect(await since(clock + 1)).toEqual([]);
  });

  it("tombstones with a purge time, refuses older views, revives on a newer one", async () => {
    expect((await mirror.apply(observe(undefined, 4000))).change).toBe("deleted");
    const tombstone = await mirror.get(159, 7);
    expect(tombstone).toMatchObject({ deleted: true, observedAt: 4000 });
    expect(tombstone?.purgeAt).toBeGreaterThan(Date.now() / 1000);
    expect(tombstone).not.toHaveProperty("articleName");
    expect((await mirror.apply(observe(article({ weight: 9 }), 3500))).change).toBe("stale");
    expect((await mirror.apply(observe(undefined, 4500))).change).toBe("unchanged");
    expect((await mirror.apply(observe(article({ weight: 9 }), 5000))).change).toBe("created");
    const revived = await mirror.get(159, 7);
    expect(revived).toMatchObject({ weight: 9, articleName: "Seven" });
    expect(revived).not.toHaveProperty("deleted");
    expect(revived).not.toHaveProperty("purgeAt");
  });

  it("re-reads and decides again when another writer moved the item", async () => {
    const read = await mirror.get(159, 7);
    await mirror.apply(observe(article({ weight: 10, articleName: "Newer" }), 7000));
    // Holding the old read, an observation older than the concurrent one must lose.
    expect((await mirror.apply(observe(article({ weight: 11 }), 6000), read)).change).toBe("stale");
    expect(await mirror.get(159, 7)).toMatchObject({ weight: 10, articleName: "Newer" });
  });

  it("applies a newer view over a read taken before another writer, on what that writer left", async () => {
    // As the webhook consumer does: the item is read while Ongoing is asked, and someone writes in between.
    const read = await mirror.get(159, 7);
    await mirror.apply(observe(article({ weight: 12, articleName: "Between" }), 8000));
    expect(await mirror.apply(observe(article({ weight: 13, articleName: "Between" }), 9000), read)).toEqual({
      change: "updated",
      changedFields: ["weight"],
      revision: expect.any(Number),
    });
    expect(await mirror.get(159, 7)).toMatchObject({ weight: 13, articleName: "Between", observedAt: 9000 });
  });

  it("applies pages with one batch read, duplicates included", async () => {
    const observations = [1, 2, 3, 2].map((id) => ({
      ...observe(article({ articleSystemId: 100 + id }), 1000),
      articleSystemId: 100 + id,
    }));
    const results = await mirror.applyMany(159, observations);
    expect(results.map((result) => result.change).sort()).toEqual([
      "created",
      "created",
      "created",
      "unchanged",
    ]);
    const ids: number[] = [];
    for await (const item of mirror.items(159)) ids.push(item.articleSystemId);
    expect(ids).toEqual([7, 101, 102, 103]);
  });

  it("reads items asked for in the same tick with one BatchGetItem, repeats and missing items included", async () => {
    const { documentClient } = await import("../aws/dynamodb.ts");
    const send = vi.spyOn(documentClient, "send");
    try {
      const items = await Promise.all([101, 102, 101, 999, 7].map((id) => mirror.get(159, id)));
      expect(items.map((item) => item?.articleSystemId)).toEqual([101, 102, 101, undefined, 7]);
      expect(send).toHaveBeenCalledTimes(1);
      expect(send.mock.calls[0]?.[0]?.constructor.name).toBe("BatchGetCommand");
    } finally {
      send.mockRestore();
    }
  });
});
