import { beforeEach, describe, expect, it } from "vitest";
import { useOngoingSimulator } from "../../test/support/env.ts";
import { startOngoingSimulator } from "./server.ts";

const simulator = useOngoingSimulator({ warehouse: "acme" });
beforeEach(async () => {
  await admin("POST", "reset");
});

const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
const demoAuth = basic("demo", "demo-password");

async function api(method: string, path: string, init: { auth?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { accept: "application/json" };
  if (init.auth !== undefined) headers.authorization = init.auth;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(path, simulator.baseUrl), {
    method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
}

// biome-ignore lint/suspicious/noExplicitAny: JSON of many shapes, checked by the assertions that read it.
type AdminBody = any;

async function admin(method: string, path: string, body?: unknown) {
  const response = await fetch(new URL(path, simulator.adminUrl), {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  // Shapes vary per admin route; each test reads the fields it checks.
  return { status: response.status, body: (text === "" ? undefined : JSON.parse(text)) as AdminBody };
}

describe("Ongoing simulator: API", () => {
  it("answers 401 with Ongoing's message without or with wrong credentials", async () => {
    expect(await api("GET", "orders/50163")).toMatchObject({
      status: 401,
      body: { Message: "Authorization has been denied for this request." },
    });
    expect((await api("GET", "orders/50163", { auth: basic("demo", "nope") })).status).toBe(401);
    expect((await api("GET", "orders/50163", { auth: demoAuth })).status).toBe(200);
  });

  it("shows a user only its goods owner's data", async () => {
    const other = basic("other", "other-password");
    expect((await api("GET", "orders/50163", { auth: other })).status).toBe(404);
    expect((await api("GET", "orders/70001", { auth: other })).status).toBe(200);
    expect((await api("GET", "articles?goodsOwnerId=159", { auth: other })).status).toBe(403);
    expect((await api("GET", "articles", { auth: other })).status).toBe(400);
  });

  it("seeds official and deterministic demo data", async () => {
    const orders = (await admin("GET", "orders?goodsOwnerId=159")).body as Array<{
      orderInfo: {
        orderId: number;
        orderStatus: { number: number };
        emailNotification: { value: string | null };
      };
      transporter: { code: string };
    }>;
    expect(orders.map((o) => o.orderInfo.orderId)).toContain(50163);
    const sent = orders.filter((o) => o.orderInfo.orderStatus.number === 450);
    expect(sent.length).toBeGreaterThan(3);
    expect(sent.some((o) => o.orderInfo.emailNotification.value)).toBe(true);
    expect(new Set(orders.map((o) => o.transporter.code))).toEqual(
      new Set(["PLAB", "DHLFREIGHTSE", "BUDBEE", "SBTLSE"]),
    );
    expect(orders.some((o) => o.orderInfo.orderStatus.number === 1000)).toBe(true);
    const again = await startOngoingSimulator();
    try {
      expect([...again.state.orders.values()]).toEqual([...simulator.state.orders.values()]);
    } finally {
      await again.stop();
    }
  });

  it("rejects write bodies that are not JSON or miss fields, like Ongoing", async () => {
    const response = await fetch(new URL("orders/60001/waybill", simulator.baseUrl), {
      method: "PATCH",
      headers: { authorization: demoAuth, "content-type": "text/plain" },
      body: "x",
    });
    expect(response.status).toBe(415);
    expect(
      await api("PUT", "orders/60001/orderTracking", { auth: demoAuth, body: { waybill: "W" } }),
    ).toMatchObject({ status: 400, body: { Message: "The trackingUrl field is required." } });
    expect((await api("DELETE", "orders/60001", { auth: demoAuth })).status).toBe(405);
  });
});

describe("Ongoing simulator: admin API", () => {
  it("creates, modifies and deletes orders", async () => {
    const created = await admin("PUT", "orders/90001", {
      goodsOwner: { id: 159 },
      orderInfo: { orderNumber: "N-1", orderStatus: { number: 450 } },
    });
    expect(created).toMatchObject({ status: 200, body: { orderInfo: { orderId: 90001 } } });
    await admin("PATCH", "orders/90001", { orderInfo: { wayBill: "WB" } });
    const read = await api("GET", "orders/90001", { auth: demoAuth });
    expect(read.body).toMatchObject({
      orderInfo: { orderNumber: "N-1", wayBill: "WB", orderStatus: { number: 450 } },
    });
    const posted = await admin("POST", "orders", {
      goodsOwner: { id: 159 },
      orderInfo: { orderNumber: "N-2" },
    });
    expect(posted.status).toBe(201);
    expect((await admin("DELETE", "orders/90001")).status).toBe(204);
    expect((await admin("GET", "orders/90001")).status).toBe(404);
  });

  it("bumps articleDataLastUpdated on every change made through it", async () => {
    const before = (await admin("GET", "articles/20001")).body.articleDataLastUpdated as string;
    const patched = (await admin("PATCH", "articles/20001", { articleName: "new" })).body;
    expect(patched.articleName).toBe("new");
    expect(Date.parse(patched.articleDataLastUpdated)).toBeGreaterThan(Date.parse(before));
    const replaced = (await admin("PUT", "articles/20001", { goodsOwner: { id: 159 }, articleNumber: "A" }))
      .body;
    expect(Date.parse(replaced.articleDataLastUpdated)).toBeGreaterThan(
      Date.parse(patched.articleDataLastUpdated),
    );
    const changed = await api(
      "GET",
      `articles?goodsOwnerId=159&articleDataLastUpdatedFrom=${patched.articleDataLastUpdated}`,
      {
        auth: demoAuth,
      },
    );
    expect((changed.body as Array<{ articleSystemId: number }>).map((a) => a.articleSystemId)).toEqual([
      20001,
    ]);
  });

  it("holds 100,000 articles over 10 goods owners and pages one owner's by articleSystemIdFrom and maxArticlesToGet", async () => {
    for (let owner = 0; owner < 10; owner++) {
      const generated = await admin("POST", "articles/generate", {
        goodsOwnerId: owner === 0 ? 159 : 1000 + owner,
        firstArticleSystemId: 1_000_000 + owner * 10_000,
        count: 10_000,
        templateArticleSystemId: 20001,
      });
      expect(generated.status).toBe(201);
    }
    const { body: counts } = await admin("GET", "");
    expect(counts.articles).toBeGreaterThanOrEqual(100_000);
    // The cursor is inclusive and pages run in ascending articleSystemId, the seed's own articles first.
    const seen: number[] = [];
    let from = 0;
    for (;;) {
      const { status, body } = await api(
        "GET",
        `articles?goodsOwnerId=159&articleSystemIdFrom=${from}&maxArticlesToGet=1000`,
        {
          auth: demoAuth,
        },
      );
      expect(status).toBe(200);
      const page = body as Array<{
        articleSystemId: number;
        goodsOwner: { id: number };
        articleNumber: string;
      }>;
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(1000);
      expect(page.every((article) => article.goodsOwner.id === 159 && article.articleSystemId >= from)).toBe(
        true,
      );
      seen.push(...page.map((article) => article.articleSystemId));
      from = (page.at(-1)?.articleSystemId ?? 0) + 1;
    }
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => id >= 1_000_000)).toHaveLength(10_000);
    const one = await api("GET", "articles?goodsOwnerId=159&articleSystemIdFrom=1005000&maxArticlesToGet=1", {
      auth: demoAuth,
    });
    expect(one.body).toEqual([
      expect.objectContaining({ articleSystemId: 1_005_000, articleNumber: "GEN-159-1005000" }),
    ]);
    // A deleted article leaves the pages at once.
    expect((await admin("DELETE", "articles/1005000")).status).toBe(204);
    const after = await api(
      "GET",
      "articles?goodsOwnerId=159&articleSystemIdFrom=1005000&maxArticlesToGet=1",
      {
        auth: demoAuth,
      },
    );
    expect(after.body).toEqual([expect.objectContaining({ articleSystemId: 1_005_001 })]);
  });

  it("injects faults by count, by path and method, and for a time window", async () => {
    await admin("POST", "faults", {
      status: 503,
      retryAfter: "7",
      message: "Down",
      times: 2,
      method: "GET",
      path: "^/orders/\\d+$",
    });
    const first = await api("GET", "orders/50163", { auth: demoAuth });
    expect(first).toMatchObject({ status: 503, body: { Message: "Down" } });
    expect(first.headers.get("retry-after")).toBe("7");
    expect((await api("GET", "articles/18068", { auth: demoAuth })).status).toBe(200);
    expect((await api("GET", "orders/50163", { auth: demoAuth })).status).toBe(503);
    expect((await api("GET", "orders/50163", { auth: demoAuth })).status).toBe(200);

    await admin("POST", "faults", { status: 500, forMs: 60_000 });
    expect((await api("GET", "articles/18068", { auth: demoAuth })).status).toBe(500);
    expect((await api("GET", "articles/18068", { auth: demoAuth })).status).toBe(500);
    expect((await admin("GET", "faults")).body).toHaveLength(1);
    await admin("DELETE", "faults");
    expect((await api("GET", "articles/18068", { auth: demoAuth })).status).toBe(200);

    await admin("POST", "faults", { reset: true });
    await expect(api("GET", "articles/18068", { auth: demoAuth })).rejects.toThrow();
  });

  it("carries out a write before spoiling its answer (afterWrite), and picks calls by body", async () => {
    const tracking = (waybill: string) => ({
      waybill,
      trackingUrl: `https://t.example/${waybill}`,
      isReturnTracking: false,
    });
    await admin("POST", "faults", {
      afterWrite: true,
      status: 500,
      method: "PUT",
      bodyPattern: '"waybill":"B"',
    });
    expect(
      (await api("PUT", "orders/60001/orderTracking", { auth: demoAuth, body: tracking("A") })).status,
    ).toBe(200);
    expect(
      (await api("PUT", "orders/60001/orderTracking", { auth: demoAuth, body: tracking("B") })).status,
    ).toBe(500);
    await admin("POST", "faults", { afterWrite: true, reset: true, method: "POST" });
    const file = { fileName: "l.pdf", mimeType: "application/pdf", fileDataBase64: "JVBERi0=" };
    await expect(api("POST", "orders/60001/files", { auth: demoAuth, body: file })).rejects.toThrow();
    // Both writes took effect though their answers were spoilt.
    const order = (await api("GET", "orders/60001", { auth: demoAuth })).body as {
      tracking: { waybill: string }[];
    };
    expect(order.tracking.map((row) => row.waybill).slice(-2)).toEqual(["A", "B"]);
    expect((await api("GET", "orders/60001/files", { auth: demoAuth })).body).toEqual([
      { id: 1, fileName: "l.pdf", mimeType: "application/pdf" },
    ]);
  });

  it("answers 413 to a body over its limit", async () => {
    const small = await startOngoingSimulator({ maxRequestBytes: 1_000 });
    try {
      const response = await fetch(new URL("orders/60001/files", small.baseUrl), {
        method: "POST",
        headers: { authorization: demoAuth, "content-type": "application/json" },
        body: JSON.stringify({
          fileName: "l.pdf",
          mimeType: "application/pdf",
          fileDataBase64: "A".repeat(2_000),
        }),
      });
      expect(response.status).toBe(413);
      expect(small.state.files.size).toBe(0);
    } finally {
      await small.stop();
    }
  });

  it("counts calls per operation, lists writes, sets latency and resets", async () => {
    await api("GET", "orders/50163", { auth: demoAuth });
    await api("GET", "orders?goodsOwnerId=159&orderNumber=O1231234", { auth: demoAuth });
    await api("PATCH", "orders/50163/waybill", { auth: demoAuth, body: { waybill: "W-9" } });
    expect((await admin("GET", "calls")).body).toEqual({
      total: 3,
      byOperation: { findOrderByNumber: 1, getOrder: 1, patchWaybill: 1 },
    });
    expect((await admin("GET", "writes")).body).toMatchObject([
      {
        operation: "patchWaybill",
        method: "PATCH",
        path: "/orders/50163/waybill",
        body: { waybill: "W-9" },
        goodsOwnerId: 159,
        status: 200,
      },
    ]);
    expect((await admin("GET", "requests")).body[0].headers).toMatchObject({ authorization: "Basic ***" });
    expect((await admin("PUT", "latency", { latencyMs: 5 })).body).toEqual({ latencyMs: 5 });
    await admin("DELETE", "calls");
    expect((await admin("GET", "calls")).body).toEqual({ total: 0, byOperation: {} });
    await admin("POST", "reset");
    expect(simulator.state.latencyMs).toBe(0);
    expect(simulator.state.orders.get(50163)?.orderInfo).toMatchObject({ wayBill: "UA65456546" });
  });
});
