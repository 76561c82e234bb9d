// The call engine (call.ts) through the REST client: failures, retries, write serialization and metrics.
import { describe, expect, it, vi } from "vitest";
import { captureEmf } from "../../../test/support/emf.ts";
import { useOngoingSimulator } from "../../../test/support/env.ts";
import { NotFoundError, PermanentError, TransientError } from "../errors.ts";
import { dimensionedMetrics } from "../powertools/dimensioned-metrics.ts";
import { OngoingWriteUnknownError } from "./call.ts";
import { createOngoingClient, type OngoingClientOptions } from "./client.ts";
import type { CredentialsRequest } from "./credentials.ts";

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

describe("Ongoing client: failures", () => {
  it("throws NotFoundError on 404, also for another goods owner's order", async () => {
    const client = clientFor();
    await expect(client.getOrder(999_999)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.getOrder(70_001)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.getArticle(30_001)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("throws PermanentError with Ongoing's message on 400, 401 and 403", async () => {
    const client = clientFor();
    await expect(client.patchWaybill(60_001, "")).rejects.toMatchObject({
      name: "PermanentError",
      code: "ongoing-bad-request",
      message: expect.stringContaining("The waybill field is required."),
    });
    simulator.state.addFault({ status: 403, message: "Access to the goods owner is denied." });
    await expect(client.getOrder(50163)).rejects.toMatchObject({
      code: "ongoing-forbidden",
      message: expect.stringContaining("Access to the goods owner is denied."),
    });

    const credentials = vi.fn(async (_options?: CredentialsRequest) => ({
      username: "demo",
      password: "wrong-password",
    }));
    const denied = clientFor({ credentials });
    const error = await denied.getOrder(50163).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: "ongoing-unauthorized", message: expect.stringContaining("denied") });
    expect(String((error as Error).message)).not.toContain("wrong-password");
    // One re-read of a possibly rotated secret, then give up.
    expect(credentials.mock.calls.map(([options]) => options?.forceFetch)).toEqual([undefined, true]);
  });

  it("picks up rotated credentials after a 401", async () => {
    let password = "old-password";
    const client = clientFor({
      credentials: async (options) => {
        if (options?.forceFetch) password = "demo-password";
        return { username: "demo", password };
      },
    });
    expect((await client.getOrder(50163)).orderInfo.orderId).toBe(50163);
  });

  it("waits out a 429's Retry-After (seconds or HTTP date), then succeeds", async () => {
    const client = clientFor();
    simulator.state.addFault({ status: 429, retryAfter: "1" });
    expect((await client.getOrder(50163)).orderInfo.orderId).toBe(50163);
    expect(calls("getOrder")).toBe(2);
    simulator.state.addFault({ status: 429, retryAfter: new Date(Date.now() + 1_000).toUTCString() });
    await client.getArticle(18068);
    expect(calls("getArticle")).toBe(2);
  });

  it("retries 5xx, connection resets and time-outs, then succeeds", async () => {
    const client = clientFor({ timeoutMs: 300 });
    simulator.state.addFault({ status: 500, times: 2 });
    await client.getOrder(50163);
    expect(calls("getOrder")).toBe(3);
    simulator.state.addFault({ reset: true });
    await client.getArticle(18068);
    expect(calls("getArticle")).toBe(2);
    simulator.state.addFault({ delayMs: 1_500, path: "^/orders$" });
    await client.findOrderByNumber("O1231234");
    expect(calls("findOrderByNumber")).toBe(2);
  });

  it("throws TransientError when attempts run out, with Retry-After when known", async () => {
    const client = clientFor({ maxAttempts: 3, timeoutMs: 300 });
    simulator.state.addFault({ status: 503, times: 10 });
    await expect(client.getOrder(50163)).rejects.toMatchObject({
      name: "TransientError",
      code: "ongoing-unavailable",
    });
    expect(calls("getOrder")).toBe(3);

    simulator.state.clearFaults();
    simulator.state.addFault({ status: 429, retryAfter: "120" });
    const throttled = await client.getArticle(18068).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(TransientError);
    expect(throttled).toMatchObject({ code: "ongoing-throttled", retryAfterMs: 120_000 });
    expect(calls("getArticle")).toBe(1);

    simulator.state.addFault({ reset: true, times: 3 });
    await expect(client.patchWaybill(60_001, "W")).rejects.toMatchObject({ code: "ongoing-network" });
    simulator.state.addFault({ delayMs: 1_000, times: 3 });
    await expect(client.getArticle(18068)).rejects.toMatchObject({ code: "ongoing-timeout" });
  });
});

describe("Ongoing client: failures of writes and time", () => {
  it.each([
    ["a time-out", { afterWrite: true, delayMs: 1_000 }],
    ["a cut connection", { afterWrite: true, reset: true }],
    ["a 500", { afterWrite: true, status: 500 }],
    ["a 503 with Retry-After", { afterWrite: true, status: 503, retryAfter: "1" }],
  ])("does not repeat a write that adds a row after %s that may hide its success", async (_, fault) => {
    const client = clientFor({ timeoutMs: 300, maxAttempts: 4 });
    const file = { fileName: "l.pdf", mimeType: "application/pdf", fileDataBase64: "JVBERi0=" };
    simulator.state.addFault({ ...fault, method: "POST", path: "/files$" });
    const upload = client.postOrderFile(60_001, file);
    await expect(upload).rejects.toBeInstanceOf(OngoingWriteUnknownError);
    // Ongoing's failure, not the message's: it counts towards Ongoing's circuit breaker.
    await expect(upload).rejects.toMatchObject({
      name: "OngoingWriteUnknownError",
      code: "ongoing-write-unknown",
      dependency: "ongoing",
    });
    expect(calls("postOrderFile")).toBe(1);
    expect(await client.getOrderFiles(60_001)).toEqual([{ fileName: "l.pdf", mimeType: "application/pdf" }]);

    simulator.state.addFault({ ...fault, method: "PUT", path: "/parcels$" });
    await expect(client.putParcel(60_001, { parcelNumber: "P1" })).rejects.toBeInstanceOf(
      OngoingWriteUnknownError,
    );
    simulator.state.addFault({ ...fault, method: "PUT", path: "/orderTracking$" });
    await expect(
      client.putOrderTracking(60_001, {
        waybill: "W",
        trackingUrl: "https://t.example/W",
        isReturnTracking: false,
      }),
    ).rejects.toBeInstanceOf(OngoingWriteUnknownError);
    expect([calls("putParcel"), calls("putOrderTracking")]).toEqual([1, 1]);

    // A waybill is set, not added: repeating it is harmless, so it is retried as before.
    simulator.state.addFault({ ...fault, method: "PATCH" });
    await client.patchWaybill(60_001, "W");
    expect(calls("patchWaybill")).toBe(2);
  });

  it("repeats a write that adds a row when it surely did not take effect (429, refused connection)", async () => {
    const client = clientFor({ maxAttempts: 4 });
    simulator.state.addFault({ status: 429, retryAfter: "0", method: "POST" });
    await client.postOrderFile(60_001, {
      fileName: "l.pdf",
      mimeType: "application/pdf",
      fileDataBase64: "JVBERi0=",
    });
    expect(calls("postOrderFile")).toBe(2);
    expect(simulator.state.files.get(60_001)).toHaveLength(1);

    const refused = createOngoingClient({
      baseUrl: "http://127.0.0.1:1/demo/api/v1/",
      goodsOwnerId: 159,
      credentials: async () => demo,
      maxAttempts: 2,
    });
    await expect(refused.putParcel(60_001, { parcelNumber: "P" })).rejects.toMatchObject({
      name: "TransientError",
      code: "ongoing-network",
      message: expect.stringContaining("after 2 attempts"),
    });
  });

  it("fails permanently, with Ongoing's words, when a file is larger than Ongoing takes (413)", async () => {
    simulator.state.maxRequestBytes = 1_000;
    try {
      const upload = clientFor().postOrderFile(60_001, {
        fileName: "big.pdf",
        mimeType: "application/pdf",
        fileDataBase64: "A".repeat(2_000),
      });
      await expect(upload).rejects.toBeInstanceOf(PermanentError);
      await expect(upload).rejects.toMatchObject({
        code: "ongoing-rejected",
        message: "Ongoing postOrderFile answered 413: The request is too large.",
      });
      expect(calls("postOrderFile")).toBe(1);
    } finally {
      simulator.state.maxRequestBytes = 30_000_000;
    }
  });

  it("never retries past the Lambda's remaining time", async () => {
    simulator.state.addFault({ status: 500, forMs: 60_000 });
    const deadline = Date.now() + 2_500;
    const client = clientFor({ maxAttempts: 100, remainingTimeMs: () => deadline - Date.now() });
    await expect(client.getOrder(50163)).rejects.toMatchObject({
      name: "TransientError",
      code: "ongoing-unavailable",
    });
    expect(calls("getOrder")).toBeLessThan(100);
    expect(calls("getOrder")).toBeGreaterThan(0);

    simulator.state.clearFaults();
    const late = clientFor({ remainingTimeMs: () => 900 });
    await expect(late.getOrder(50163)).rejects.toMatchObject({ code: "ongoing-no-time" });
    expect(calls("getOrder")).toBeLessThan(100);
  });

  it("bounds a slow answer's wait by the remaining time", async () => {
    simulator.state.addFault({ delayMs: 5_000, times: 5 });
    const deadline = Date.now() + 1_600;
    const client = clientFor({ timeoutMs: 10_000, remainingTimeMs: () => deadline - Date.now() });
    await expect(client.getOrder(50163)).rejects.toMatchObject({ code: "ongoing-timeout" });
  });
});

describe("Ongoing client: writes one at a time per goods owner", () => {
  it("never has two writes for one goods owner in flight, across clients", async () => {
    simulator.state.latencyMs = 20;
    const one = clientFor();
    const two = clientFor();
    await Promise.all([
      one.patchWaybill(60_001, "A"),
      two.patchWaybill(60_002, "B"),
      one.putParcel(60_001, { parcelNumber: "P" }),
      two.postOrderFile(60_002, { fileName: "f.pdf", mimeType: "application/pdf", fileDataBase64: "AA==" }),
      one.putOrderTracking(60_003, {
        waybill: "C",
        trackingUrl: "https://t.example/C",
        isReturnTracking: false,
      }),
    ]);
    expect(simulator.state.writes).toHaveLength(5);
    expect(simulator.state.writes.map((w) => w.concurrent)).toEqual([1, 1, 1, 1, 1]);
    // The order the calls were made in is the order Ongoing sees them.
    expect(simulator.state.writes.map((w) => w.operation)).toEqual([
      "patchWaybill",
      "patchWaybill",
      "putParcel",
      "postOrderFile",
      "putOrderTracking",
    ]);
  });

  it("keeps the queue going after a failed write", async () => {
    const client = clientFor({ maxAttempts: 1 });
    const results = await Promise.allSettled([
      client.patchWaybill(999_999, "A"),
      client.patchWaybill(60_001, "B"),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
  });
});

describe("Ongoing client: metrics", () => {
  it("counts every call by operation and status class, with its latency", async () => {
    // What the file's earlier calls gathered goes first, unread.
    await captureEmf(() => dimensionedMetrics.publish());
    const emitted = await captureEmf(async () => {
      simulator.state.addFault({ reset: true });
      await clientFor().getOrder(50163);
      // Written as the invocation ends, one line per operation and status class.
      dimensionedMetrics.publish();
    });
    const counted = emitted.filter((metric) => metric.OngoingApiCall === 1);
    expect(counted.map((m) => [m.operation, m.statusClass])).toEqual([
      ["getOrder", "network"],
      ["getOrder", "2xx"],
    ]);
    expect(emitted.filter((metric) => typeof metric.OngoingApiLatency === "number")).toHaveLength(2);
  });
});
