import { describe, expect, it } from "vitest";
import { officialExample } from "../../../simulators/ongoing/seed.ts";
import { useOngoingSimulator } from "../../../test/support/env.ts";
import { createOngoingClient, type OngoingClientOptions } from "./client.ts";

const simulator = useOngoingSimulator({ resetEach: true });

const demo = { username: "demo", password: "demo-password" };

function clientFor(overrides: Partial<OngoingClientOptions> = {}) {
  return createOngoingClient({
    baseUrl: simulator.baseUrl,
    goodsOwnerId: 159,
    credentials: async () => demo,
    timeoutMs: 2_000,
    ...overrides,
  });
}

const calls = (operation: string) => simulator.state.calls.get(operation) ?? 0;

describe("Ongoing client: calls", () => {
  it("reads orders and articles as Ongoing sends them", async () => {
    const client = clientFor();
    expect(await client.getOrder(50163)).toStrictEqual(officialExample("order"));
    expect((await client.findOrderByNumber("O1231234"))?.orderInfo.orderId).toBe(50163);
    expect(await client.findOrderByNumber("no-such-order")).toBeUndefined();
    const article = await client.getArticle(18068);
    expect(article).toMatchObject({ ...officialExample("article"), articleSystemId: 18068 });
    const page = await client.listArticles({ articleSystemIdFrom: 20_005, maxArticlesToGet: 3 });
    expect(page.map((a) => a.articleSystemId)).toEqual([20_005, 20_006, 20_007]);
  });

  it("writes waybill, tracking, parcel and file, and Ongoing sees them", async () => {
    const client = clientFor();
    await client.patchWaybill(60_001, "WB-1");
    await client.putOrderTracking(60_001, {
      waybill: "WB-1",
      trackingUrl: "https://t.example/WB-1",
      isReturnTracking: false,
    });
    await client.putParcel(60_001, { parcelNumber: "P-1" });
    await client.postOrderFile(60_001, {
      fileName: "label.pdf",
      mimeType: "application/pdf",
      fileDataBase64: "JVBERi0=",
    });
    const order = await client.getOrder(60_001);
    expect(order.orderInfo.wayBill).toBe("WB-1");
    expect(order.tracking).toContainEqual({
      trackingUrl: "https://t.example/WB-1",
      waybill: "WB-1",
      isReturn: false,
    });
    expect(order.parcels?.at(-1)).toMatchObject({ parcelNumber: "P-1", isReturnParcel: false });
    expect(simulator.state.files.get(60_001)).toMatchObject([
      { fileName: "label.pdf", mimeType: "application/pdf" },
    ]);
    expect(simulator.state.writes.map((w) => [w.operation, w.status, w.goodsOwnerId])).toEqual([
      ["patchWaybill", 200, 159],
      ["putOrderTracking", 200, 159],
      ["putParcel", 200, 159],
      ["postOrderFile", 200, 159],
    ]);
    expect(simulator.state.writes[2]?.body).toEqual({
      parcelNumber: "P-1",
      transportAdministrationType: "delivery",
    });
  });
});

describe("Ongoing client: paging", () => {
  it("pages through every article until an empty page", async () => {
    for (let index = 0; index < 230; index++) {
      simulator.state.putArticle({
        goodsOwner: { id: 159 },
        articleSystemId: 40_000 + index * 3,
        articleNumber: `P${index}`,
      });
    }
    const expected = [...simulator.state.articles.values()]
      .filter((a) => (a.goodsOwner as { id: number }).id === 159)
      .map((a) => a.articleSystemId as number)
      .sort((a, b) => a - b);
    const seen: number[] = [];
    let pages = 0;
    for await (const page of clientFor().pageArticles({ pageSize: 25 })) {
      pages++;
      expect(page.length).toBeLessThanOrEqual(25);
      seen.push(...page.map((a) => a.articleSystemId));
    }
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 25));
    expect(calls("listArticles")).toBe(pages + 1);
  });

  it("pages through the articles changed since a time", async () => {
    const since = simulator.state.touch();
    const changed = [20_003, 20_017, 20_029, 18068];
    for (const id of changed) simulator.state.patchArticle(id, { articleName: `renamed ${id}` });
    const seen: number[] = [];
    for await (const page of clientFor().pageArticles({ pageSize: 2, articleDataLastUpdatedFrom: since })) {
      seen.push(...page.map((a) => a.articleSystemId));
    }
    expect(seen).toEqual([...changed].sort((a, b) => a - b));
  });
});

describe("Ongoing client: the wire", () => {
  it("sends exactly Authorization, Accept, User-Agent (and Content-Type on bodies), nothing fetch would add", async () => {
    const client = clientFor();
    await client.getOrder(50163);
    await client.patchWaybill(50163, "WB");
    const [get, patch] = simulator.state.requests;
    const names = (headers: Record<string, string>) =>
      Object.keys(headers)
        .map((n) => n.toLowerCase())
        .sort();
    expect(names(get?.headers ?? {})).toEqual([
      "accept",
      "authorization",
      "connection",
      "host",
      "user-agent",
    ]);
    expect(names(patch?.headers ?? {})).toEqual([
      "accept",
      "authorization",
      "connection",
      "content-length",
      "content-type",
      "host",
      "user-agent",
    ]);
    expect(get?.headers).toMatchObject({
      Authorization: "Basic ***",
      Accept: "application/json",
      "User-Agent": expect.stringMatching(/^ongoing-webhooks\//),
    });
    expect(patch?.headers).toMatchObject({ "Content-Type": "application/json; charset=utf-8" });
  });
});
