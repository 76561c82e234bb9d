/**
 * Bad requests for the ingress, generated with fast-check from a seed: malformed JSON, wrong types, huge bodies,
 * wrong content types, missing, wrong and very long tokens, odd unicode. Every one must be answered 4xx and
 * queue nothing.
 */
import fc from "fast-check";
import { routes, routeUrlPath } from "../functions/shared/contract/routes.ts";
import { inPool } from "./ongoing.ts";

export interface BadRequest {
  readonly kind: string;
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/**
 * Header values travel as bytes: odd unicode goes as its UTF-8 bytes, as a misbehaving client would send it;
 * control characters no HTTP client can send are dropped.
 */
const headerBytes = (value: string): string =>
  Buffer.from(value, "utf8")
    .toString("latin1")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters removed
    .replace(/[\x00-\x08\x0a-\x1f\x7f]/g, "");

/** Every UTF-8 byte as %XX (encodeURIComponent refuses a lone surrogate; a raw client would not). */
const percentEncoded = (text: string): string =>
  [...Buffer.from(text, "utf8")].map((byte) => `%${byte.toString(16).padStart(2, "0")}`).join("");

const oddUnicode = fc.constantFrom(
  "\u200b",
  "\u202eevil",
  "\ufeff",
  "１２３",
  "٣٤٥",
  "e\u0301",
  "🦄💥",
  "\u0000",
  "\ud800",
  "Ω≈ç√",
  "\u2028\u2029",
  "𝕆𝕟𝕘𝕠𝕚𝕟𝕘",
);

const route = fc.constantFrom(...routes);

const validPayload = (isArticle: boolean) =>
  isArticle
    ? { webhookEventId: 11, goodsOwnerId: 159, articleSystemId: 18068, articleNumber: "A" }
    : { webhookEventId: 11, goodsOwnerId: 159, orderId: 50163, orderNumber: "O1" };

/** A value that is not a positive whole number, whatever the schema's id field expects. */
const badId = fc.oneof(
  fc.string().map((text) => `${text}x`),
  fc.integer({ max: 0 }),
  fc.double({ noInteger: true, noNaN: true }),
  fc.constantFrom(null, true, false, [], {}, [1], { id: 1 }, "159", 1e308 * 10, -1),
  oddUnicode,
);

const malformedJson = fc.oneof(
  fc.string().filter((text) => {
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  }),
  fc.constantFrom('{"webhookEventId":1,', "{'a':1}", '{"a":NaN}', "[", "{}}", '{"a":"\\x"}', "\u0000{}"),
  oddUnicode.map((text) => `{${text}}`),
);

export const badRequest: fc.Arbitrary<BadRequest> = fc.oneof(
  // Malformed JSON.
  fc.record({ route, body: malformedJson }).map(({ route: r, body }) => ({
    kind: "malformed-json",
    path: routeUrlPath(r),
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  })),
  // Not an object at all.
  fc
    .record({ route, body: fc.constantFrom("null", "[]", "42", '"text"', "true", "[{}]") })
    .map(({ route: r, body }) => ({
      kind: "not-an-object",
      path: routeUrlPath(r),
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    })),
  // A required id of the wrong type, or missing.
  fc
    .record({
      route,
      field: fc.constantFrom("webhookEventId", "goodsOwnerId", "target"),
      value: fc.option(badId, { nil: undefined }),
    })
    .map(({ route: r, field, value }) => {
      const isArticle = r.useCase === "article-sync";
      const payload: Record<string, unknown> = validPayload(isArticle);
      const name = field === "target" ? (isArticle ? "articleSystemId" : "orderId") : field;
      if (value === undefined) delete payload[name];
      else payload[name] = value;
      return {
        kind: "wrong-type",
        path: routeUrlPath(r),
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
      };
    }),
  // Huge bodies: otherwise valid, over the ingress's limit.
  fc
    .record({ route, size: fc.integer({ min: 70_000, max: 240_000 }), filler: oddUnicode })
    .map(({ route: r, size, filler }) => ({
      kind: "huge-body",
      path: routeUrlPath(r),
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...validPayload(r.useCase === "article-sync"), pad: filler.repeat(size) }),
    })),
  // Wrong content types for a valid payload.
  fc
    .record({
      route,
      contentType: fc.constantFrom(
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/octet-stream",
        "text/html; charset=utf-8",
      ),
    })
    .map(({ route: r, contentType }) => ({
      kind: "wrong-content-type",
      path: routeUrlPath(r),
      method: "POST",
      headers: { "content-type": contentType },
      body: JSON.stringify(validPayload(r.useCase === "article-sync")),
    })),
  // Missing, wrong, very long or odd tokens on a valid payload.
  fc
    .record({
      route,
      token: fc.option(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 64 }).map((text) => `x${text}`.replace(/[\r\n]/g, "")),
          fc.integer({ min: 4_000, max: 10_000 }).map((length) => "t".repeat(length)),
          // The real token with odd unicode after it (never only characters a client drops).
          oddUnicode.filter((text) => text !== "\u0000").map((text) => `local-dev-token${text}`),
        ),
        { nil: undefined },
      ),
    })
    .map(({ route: r, token }) => ({
      kind: token === undefined ? "missing-token" : "wrong-token",
      path: routeUrlPath(r),
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token === undefined ? {} : { "x-auth-token": headerBytes(token) }),
      },
      body: JSON.stringify(validPayload(r.useCase === "article-sync")),
    })),
  // Paths and methods that do not exist.
  fc
    .record({
      path: fc.oneof(
        fc.constantFrom(
          "/webhooks/nowhere",
          "/webhooks",
          "/",
          "/webhooks/order-shipped-email/extra",
          "/../etc/passwd",
        ),
        oddUnicode.map((text) => `/webhooks/${percentEncoded(text)}`),
      ),
      method: fc.constantFrom("POST", "GET", "PUT", "DELETE"),
    })
    .map(({ path, method }) => ({
      kind: "no-such-route",
      path,
      method,
      headers: { "content-type": "application/json" },
      body: method === "GET" ? undefined : "{}",
    })),
);

/** `count` bad requests, the same ones for the same seed. */
export const badRequests = (count: number, seed: number): BadRequest[] =>
  fc.sample(badRequest, { numRuns: count, seed });

export interface AbuseAnswer {
  readonly request: BadRequest;
  readonly status: number;
}

/** Sends each bad request (valid token unless the request says otherwise) and returns the answers. */
export async function sendBadRequests(
  ingressUrl: string,
  token: string,
  requests: readonly BadRequest[],
  concurrency = 16,
): Promise<AbuseAnswer[]> {
  return inPool(requests, concurrency, async (request) => {
    const tokenless = request.kind === "missing-token" || request.kind === "wrong-token";
    const headers = tokenless ? request.headers : { "x-auth-token": token, ...request.headers };
    try {
      const response = await fetch(`${ingressUrl}${request.path}`, {
        method: request.method,
        headers,
        ...(request.body === undefined ? {} : { body: request.body }),
      });
      await response.arrayBuffer();
      return { request, status: response.status };
    } catch {
      return { request, status: 0 };
    }
  });
}
