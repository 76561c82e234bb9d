import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { smoke } from "./smoke.ts";

// An ingress that takes everything: every check must fail, and say why.
const server = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(202, { "content-type": request.method === "GET" ? "text/html" : "application/json" });
    response.end(request.method === "GET" ? "<html></html>" : JSON.stringify({ messageId: "m-1" }));
  });
});

beforeAll(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)));
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it("fails every check of an ingress that queues whatever it is sent", async () => {
  const { port } = server.address() as AddressInfo;
  const results = await smoke({ url: `http://127.0.0.1:${port}/`, token: "t" });
  expect(results).toHaveLength(6);
  for (const result of results) {
    expect(result.passed).toBe(false);
    expect(result.detail).toContain(`answered 202, expected ${result.expected}`);
  }
  expect(results.at(-1)?.detail).toContain("not JSON with a message");
});
