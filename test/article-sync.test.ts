/**
 * Use-case 3 end to end over loopback: article webhooks on fauxqs → the article-sync consumer → the Ongoing
 * simulator (seeded with Ongoing's official example article 18068) → the mirror in dynalite.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { Handler, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ArticleMirror, MirrorItem } from "../functions/shared/articles/mirror.ts";
import type { EventType } from "../functions/shared/contract/routes.ts";
import { type OngoingSimulator, startOngoingSimulator } from "../simulators/ongoing/server.ts";
import { loginSecret } from "./support/env.ts";
import { type Harness, startHarness } from "./support/harness.ts";

let simulator: OngoingSimulator;
let harness: Harness;
let handler: Handler<SQSEvent, SQSBatchResponse>;
let mirror: ArticleMirror;
let idempotencyRecords: () => Promise<number>;
let nextEventId = 1;

const goodsOwnerId = 159;

const webhook = (articleSystemId: number) => ({
  webhookArticlesId: nextEventId,
  webhookEventId: nextEventId++,
  system: "demo",
  timestamp: "2024-05-01T12:00:00.0000000",
  articleSystemId,
  articleNumber: "whatever",
  goodsOwnerId,
  path: `/api/v1/articles/${articleSystemId}`,
  webhookTemplate: "ArticleWebhook",
});

async function deliver(...events: Array<[EventType, number]>): Promise<void> {
  for (const [eventType, articleSystemId] of events) await harness.send(webhook(articleSystemId), eventType);
  await harness.run(handler);
  expect(await harness.deadLetters()).toEqual([]);
}

const getArticleCalls = () => simulator.state.calls.get("getArticle") ?? 0;
const item = (articleSystemId: number) => mirror.get(goodsOwnerId, articleSystemId) as Promise<MirrorItem>;

async function admin(method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(new URL(path, simulator.adminUrl), {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok).toBe(true);
}

beforeAll(async () => {
  simulator = await startOngoingSimulator();
  harness = await startHarness({
    useCase: "article-sync",
    secrets: { "ongoing/credentials": loginSecret("demo") },
    env: { ONGOING_BASE_URL: simulator.baseUrl, ONGOING_CREDENTIALS_SECRET: "ongoing/credentials" },
  });
  ({ handler } = await import("../functions/article-sync/index.ts"));
  const { ArticleMirror } = await import("../functions/shared/articles/mirror.ts");
  mirror = new ArticleMirror({ tableName: harness.tables.articles });
  const { documentClient } = await import("../functions/shared/aws/dynamodb.ts");
  idempotencyRecords = async () => {
    const { Items } = await documentClient.send(new ScanCommand({ TableName: harness.tables.state }));
    return (Items ?? []).filter((entry) => String(entry.id).startsWith("idempotency#")).length;
  };
});

afterAll(async () => {
  await harness?.stop();
  await simulator?.stop();
});

beforeEach(() => {
  simulator.state.clearCalls();
});

describe("article-sync", () => {
  it("mirrors Ongoing's official example article field for field", async () => {
    await deliver(["article-created", 18068]);
    const mirrored = await item(18068);
    expect(mirrored).toMatchObject({
      goodsOwnerId: 159,
      articleSystemId: 18068,
      articleNumber: "TestArticleNumber_ManyFields1",
      articleName: "Article name 1",
      productCode: "ProductCode1",
      unitCode: "st",
      description: "Article description",
      isStockArticle: true,
      supplierInfo: {
        supplierArticleNumber: "ArticleNumberAtSupplier1",
        supplierNumber: "Supplier1",
        supplierName: "Supplier Inc.",
      },
      barCodeInfo: { barCode: "700123456", barCodePackage: "700456789", barCodePallet: "700789321" },
      weight: 1.5,
      length: 2.6,
      width: 2.7,
      height: 2.8,
      volume: 2.9,
      purchasePrice: 10,
      stockValuationPrice: 11,
      customerPrice: 12,
      purcaseCurrencyCode: "EUR",
      countryOfOriginCode: "BE",
      statisticsNumber: "StatNumber1",
      articleGroup: { code: "GroupCode1", name: "Group Name 1" },
      articleCategory: { code: "CategoryCode1", name: "Category Name 1" },
      articleDataLastUpdated: "2019-10-10T08:32:53.083Z",
      revision: 1,
      syncedBy: { kind: "webhook", eventType: "article-created", webhookEventId: expect.any(Number) },
    });
    expect(mirrored).not.toHaveProperty("inventoryInfo");
    expect(mirrored).not.toHaveProperty("deleted");
    expect(harness.metricCount("ArticlesCreated", { goodsOwnerId: "159" })).toBe(1);
  });

  it("writes nothing for an update that changed nothing", async () => {
    const before = await item(18068);
    await deliver(["article-updated", 18068]);
    expect(await item(18068)).toEqual(before);
    expect(harness.metricCount("ArticlesUnchanged", { goodsOwnerId: "159" })).toBe(1);
  });

  it("writes the changed fields of a real update", async () => {
    await admin("PATCH", "articles/18068", {
      weight: 2.25,
      articleGroup: { name: "Renamed" },
      description: null,
    });
    await deliver(["article-updated", 18068]);
    const updated = await item(18068);
    expect(updated).toMatchObject({
      revision: 2,
      weight: 2.25,
      articleGroup: { code: "GroupCode1", name: "Renamed" },
    });
    expect(updated).not.toHaveProperty("description");
    expect(harness.metricCount("ArticlesUpdated", { goodsOwnerId: "159" })).toBe(1);
  });

  it("fetches once for several events about one article in a batch", async () => {
    await deliver(["article-created", 20001], ["article-updated", 20001], ["article-updated", 20001]);
    expect(getArticleCalls()).toBe(1);
    expect(await item(20001)).toMatchObject({ articleNumber: "ART-159-1", revision: 1 });
  });

  it("tombstones a delete without asking Ongoing, and a stale update keeps it deleted", async () => {
    await deliver(["article-created", 20002]);
    await admin("DELETE", "articles/20002");
    simulator.state.clearCalls();
    await deliver(["article-deleted", 20002]);
    expect(getArticleCalls()).toBe(0);
    const tombstone = await item(20002);
    expect(tombstone).toMatchObject({ deleted: true, purgeAt: expect.any(Number) });
    expect(tombstone).not.toHaveProperty("articleNumber");
    await deliver(["article-updated", 20002]);
    expect(await item(20002)).toEqual(tombstone);
    expect(harness.metricCount("ArticlesDeleted", { goodsOwnerId: "159" })).toBe(1);
  });

  it("refuses, as a permanent failure, an article Ongoing says belongs to another goods owner", async () => {
    // The one secret is goods owner 159's: a webhook of goods owner 160 gets 159's article back.
    await harness.send({ ...webhook(18068), goodsOwnerId: 160 }, "article-updated");
    await harness.run(handler);
    const letters = await harness.deadLetters();
    expect(letters.map((letter) => letter.attributes.failureCode)).toEqual(["goods-owner-mismatch"]);
    expect(letters[0]?.attributes.failureReason).toMatch(/goods owner 159, not 160/);
    expect(await mirror.get(160, 18068)).toBeUndefined();
  });

  it("treats an article Ongoing does not have as deleted", async () => {
    await deliver(["article-created", 999_999]);
    expect(await item(999_999)).toMatchObject({ deleted: true });
  });

  it("revives a deleted article when a later update finds it in Ongoing", async () => {
    await deliver(["article-created", 20003]);
    await deliver(["article-deleted", 20003]);
    expect(await item(20003)).toMatchObject({ deleted: true });
    await deliver(["article-updated", 20003]);
    const revived = await item(20003);
    expect(revived).toMatchObject({ articleNumber: "ART-159-3" });
    expect(revived).not.toHaveProperty("deleted");
    expect(revived).not.toHaveProperty("purgeAt");
  });

  it("writes nothing for repeats of an event, at once or later, and keeps no idempotency record", async () => {
    const created = webhook(20004);
    for (let copy = 0; copy < 3; copy++) await harness.send(created, "article-created");
    await harness.run(handler);
    expect(getArticleCalls()).toBe(1);
    const first = await item(20004);
    expect(first).toMatchObject({ revision: 1, syncedBy: { webhookEventId: created.webhookEventId } });
    const unchangedBefore = harness.metricCount("ArticlesUnchanged", { goodsOwnerId: "159" });
    await harness.send(created, "article-created");
    await harness.run(handler);
    expect(await item(20004)).toEqual(first);
    expect(harness.metricCount("ArticlesUnchanged", { goodsOwnerId: "159" }) - unchangedBefore).toBe(1);

    const deleted = webhook(20004);
    await harness.send(deleted, "article-deleted");
    await harness.run(handler);
    const tombstone = await item(20004);
    await harness.send(deleted, "article-deleted");
    await harness.run(handler);
    expect(await item(20004)).toEqual(tombstone);
    expect(await harness.deadLetters()).toEqual([]);
    expect(harness.metricCount("Duplicate")).toBe(0);
    expect(await idempotencyRecords()).toBe(0);
  });

  it("lets a delete handled late lose to a fetch that began after the delete reached the ingress", async () => {
    const restored = webhook(20005);
    const deletedEarlier = { ...webhook(20005), webhookEventId: nextEventId++ };
    const receivedBeforeTheFetch = String(Date.now() - 60_000);
    await harness.send(restored, "article-updated");
    await harness.run(handler);
    const before = await item(20005);
    await harness.send(deletedEarlier, "article-deleted", { receivedAt: receivedBeforeTheFetch });
    await harness.run(handler);
    expect(await item(20005)).toEqual(before);
    expect(before).not.toHaveProperty("deleted");
  });

  it("revives an article tombstoned while its fetch was under way, though its data did not change", async () => {
    await deliver(["article-created", 20006]);
    const deleteReceivedAt = Date.now();
    const fetchesBefore = getArticleCalls();
    simulator.state.latencyMs = 1_000;
    try {
      await harness.send(webhook(20006), "article-updated");
      const running = harness.run(handler);
      // The handler has read the live item and is waiting for Ongoing: a delete lands in the mirror now.
      while (getArticleCalls() === fetchesBefore) await sleep(10);
      await mirror.apply({
        goodsOwnerId,
        articleSystemId: 20006,
        article: undefined,
        observedAt: deleteReceivedAt,
        source: { kind: "webhook", eventType: "article-deleted", webhookEventId: nextEventId++ },
      });
      expect(await item(20006)).toHaveProperty("deleted", true);
      await running;
    } finally {
      simulator.state.latencyMs = 0;
    }
    const revived = await item(20006);
    expect(revived).not.toHaveProperty("deleted");
    expect(revived).toMatchObject({ revision: 3 });
  });
});
