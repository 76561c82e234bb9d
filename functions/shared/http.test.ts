import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpNetworkError, isRetryableStatus, retryAfterMs, sendHttp } from "./http.ts";

let server: Server;
let url: string;
const received: Record<string, string | string[] | undefined>[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    received.push(request.headers);
    // "/stall" never answers; anything else answers with the body length it read.
    if (request.url === "/stall") return;
    // "/big/<n>" answers n bytes, chunked (no content-length); "/big-declared/<n>" declares them first.
    const big = /^\/big(-declared)?\/(\d+)$/.exec(request.url ?? "");
    if (big) {
      const bytes = Number(big[2]);
      if (big[1]) response.setHeader("content-length", bytes);
      for (let sent = 0; sent < bytes; sent += 1024) response.write("x".repeat(Math.min(1024, bytes - sent)));
      return response.end();
    }
    let length = 0;
    request.on("data", (chunk: Buffer) => {
      length += chunk.length;
    });
    request.on("end", () => response.end(JSON.stringify({ length })));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("sendHttp", () => {
  it("sends exactly the given headers plus host, connection and a byte-accurate content-length", async () => {
    const body = JSON.stringify({ name: "åäö 🚚" });
    const response = await sendHttp({
      method: "POST",
      url: `${url}/echo`,
      headers: { accept: "application/json", "content-type": "application/json" },
      body,
      timeoutMs: 5_000,
    });
    expect(JSON.parse(response.body)).toEqual({ length: Buffer.byteLength(body) });
    expect(Object.keys(received.at(-1) ?? {}).sort()).toEqual(
      ["accept", "connection", "content-length", "content-type", "host"].sort(),
    );
  });

  it("times out a request still queued for a free connection, not only one on the wire", async () => {
    // Fill every pooled connection to this host with requests that never get an answer.
    const stalled = Array.from({ length: 16 }, () =>
      sendHttp({ method: "GET", url: `${url}/stall`, headers: {}, timeoutMs: 120_000 }).catch(
        () => undefined,
      ),
    );
    const queued = sendHttp({ method: "GET", url: `${url}/stall`, headers: {}, timeoutMs: 200 });
    await expect(queued).rejects.toBeInstanceOf(HttpNetworkError);
    await expect(queued).rejects.toMatchObject({ timedOut: true });
    server.closeAllConnections();
    await Promise.all(stalled);
  });

  it("reads a body up to the cap and refuses a longer one as a network error, declared or not", async () => {
    const get = (path: string) =>
      sendHttp({
        method: "GET",
        url: `${url}${path}`,
        headers: {},
        timeoutMs: 5_000,
        maxResponseBytes: 10_000,
      });
    expect((await get("/big/10000")).body).toHaveLength(10_000);
    for (const path of ["/big/50000", "/big-declared/50000"]) {
      await expect(get(path)).rejects.toMatchObject({ name: "HttpNetworkError", code: "ERESPONSETOOLARGE" });
    }
  });
});

describe("Retry-After and the retryable statuses", () => {
  it("reads delay-seconds and HTTP dates, and ignores nonsense", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(retryAfterMs("3", now)).toBe(3_000);
    expect(retryAfterMs("Wed, 01 Jan 2025 00:00:10 GMT", now)).toBe(10_000);
    expect(retryAfterMs("Tue, 31 Dec 2024 23:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it("reads Retry-After as seconds or as a date", () => {
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs("Thu, 01 Jan 1970 00:00:10 GMT", 0)).toBe(10_000);
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs("soon")).toBeUndefined();
  });

  it("counts 408, 425, 429 and every 5xx as retryable, nothing else", () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504]) expect(isRetryableStatus(status)).toBe(true);
    for (const status of [200, 400, 401, 403, 404, 409, 413, 422])
      expect(isRetryableStatus(status)).toBe(false);
  });
});
