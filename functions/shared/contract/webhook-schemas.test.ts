import { createRequire } from "node:module";
import { describe, expect, it, vi } from "vitest";
import {
  articleWebhookSchema,
  ongoingTimestamp,
  orderWebhookSchema,
  parseOngoingTimestamp,
  requestModel,
} from "./webhook-schemas.ts";

// ajv-draft-04 is CommonJS whose default export is the class itself; it speaks the dialect API Gateway models use.
const Ajv = createRequire(import.meta.url)("ajv-draft-04") as typeof import("ajv-draft-04").default;

const orderPayload = {
  webhookEventId: 1001,
  goodsOwnerId: 159,
  system: "DemoWarehouse",
  timestamp: "2023-01-01T12:00:00.1234567",
  webhookOrdersId: 5,
  orderId: 50163,
  orderNumber: "O1231234",
  goodsOwnerOrderId: null,
  orderStatus: { number: 450, text: "Sent" },
};

const articlePayload = {
  webhookEventId: 2001,
  goodsOwnerId: 159,
  timestamp: "2023-01-01T12:00:00.0000000",
  webhookArticlesId: 7,
  articleSystemId: 18068,
  articleNumber: "A-1",
};

describe("parseOngoingTimestamp", () => {
  it("reads Ongoing's zone-less seven-decimal timestamp as UTC, truncating to milliseconds", () => {
    expect(parseOngoingTimestamp("2023-01-01T12:00:00.0000000").toISOString()).toBe(
      "2023-01-01T12:00:00.000Z",
    );
    expect(parseOngoingTimestamp("2023-06-30T23:59:58.9876543").toISOString()).toBe(
      "2023-06-30T23:59:58.987Z",
    );
    expect(parseOngoingTimestamp("2023-06-30T23:59:58").toISOString()).toBe("2023-06-30T23:59:58.000Z");
    expect(parseOngoingTimestamp("2023-06-30T23:59:58.5").toISOString()).toBe("2023-06-30T23:59:58.500Z");
  });

  it("does not depend on the machine's time zone (a zone-less value is never local time)", () => {
    // Date reads a zone-less date-time as local time, so the parser must add the Z itself. Run in a zone
    // that is not UTC (Node applies a changed TZ at once), or this would pass however the parser behaved.
    vi.stubEnv("TZ", "Europe/Stockholm");
    try {
      expect(new Date("2024-07-15T08:30:00.000").getTime()).not.toBe(Date.UTC(2024, 6, 15, 8, 30, 0));
      const parsed = parseOngoingTimestamp("2024-07-15T08:30:00.0000000");
      expect(parsed.getTime()).toBe(Date.UTC(2024, 6, 15, 8, 30, 0));
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("honours an explicit zone: Z or an offset", () => {
    expect(parseOngoingTimestamp("2023-01-01T12:00:00.0000000Z").toISOString()).toBe(
      "2023-01-01T12:00:00.000Z",
    );
    expect(parseOngoingTimestamp("2023-01-01T12:00:00.0000000+02:00").toISOString()).toBe(
      "2023-01-01T10:00:00.000Z",
    );
    expect(parseOngoingTimestamp("2023-01-01T12:00:00-05:30").toISOString()).toBe("2023-01-01T17:30:00.000Z");
  });

  it("rejects values that are not Ongoing timestamps", () => {
    for (const bad of [
      "",
      "yesterday",
      "2023-01-01",
      "2023-01-01 12:00:00",
      "2023-01-01T12:00",
      "2023-01-01T12:00:00.12345678",
      "2023-01-01T12:00:00.0000000 UTC",
      "2023-01-01T12:00:00+0200",
    ]) {
      expect(() => parseOngoingTimestamp(bad), bad).toThrow(TypeError);
    }
  });

  it("agrees with the payload schema's timestamp check on what is well-formed", () => {
    for (const good of [
      "2023-01-01T12:00:00.0000000",
      "2023-01-01T12:00:00Z",
      "2023-01-01T12:00:00.1+01:00",
    ]) {
      expect(ongoingTimestamp.safeParse(good).success, good).toBe(true);
      expect(Number.isNaN(parseOngoingTimestamp(good).getTime()), good).toBe(false);
    }
    for (const bad of ["2023-01-01", "2023-01-01 12:00:00", "2023-01-01T12:00:00.12345678", "12:00:00"]) {
      expect(ongoingTimestamp.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe("payload schemas", () => {
  it("accept Ongoing's payloads and keep fields they do not know (Ongoing may add some)", () => {
    const order = orderWebhookSchema.parse({ ...orderPayload, somethingNew: { nested: true } });
    expect(order).toMatchObject({ orderId: 50163, somethingNew: { nested: true } });
    const article = articleWebhookSchema.parse({ ...articlePayload, anotherField: "x" });
    expect(article).toMatchObject({ articleSystemId: 18068, anotherField: "x" });
    // The ids are all a payload must carry.
    expect(orderWebhookSchema.safeParse({ webhookEventId: 1, goodsOwnerId: 2, orderId: 3 }).success).toBe(
      true,
    );
    expect(
      articleWebhookSchema.safeParse({ webhookEventId: 1, goodsOwnerId: 2, articleSystemId: 3 }).success,
    ).toBe(true);
  });

  it("reject a missing or wrong-typed id, naming it", () => {
    const cases: Array<[typeof orderWebhookSchema | typeof articleWebhookSchema, object, string]> = [];
    for (const [schema, payload, ids] of [
      [orderWebhookSchema, orderPayload, ["webhookEventId", "goodsOwnerId", "orderId"]],
      [articleWebhookSchema, articlePayload, ["webhookEventId", "goodsOwnerId", "articleSystemId"]],
    ] as const) {
      for (const key of ids) {
        const { [key]: _dropped, ...missing } = payload as Record<string, unknown>;
        cases.push([schema, missing, key]);
        for (const wrong of [String((payload as Record<string, unknown>)[key]), 1.5, 0, -3, null]) {
          cases.push([schema, { ...payload, [key]: wrong }, key]);
        }
      }
    }
    for (const [schema, payload, key] of cases) {
      const result = schema.safeParse(payload);
      expect(result.success, `${key}: ${JSON.stringify(payload)}`).toBe(false);
      expect(result.error?.issues.map((issue) => issue.path.join("."))).toContain(key);
    }
  });

  it("reject a malformed timestamp and a wrong-typed optional field", () => {
    expect(orderWebhookSchema.safeParse({ ...orderPayload, timestamp: "01/01/2023" }).success).toBe(false);
    expect(orderWebhookSchema.safeParse({ ...orderPayload, orderStatus: { number: "450" } }).success).toBe(
      false,
    );
    expect(articleWebhookSchema.safeParse({ ...articlePayload, articleNumber: 17 }).success).toBe(false);
  });
});

describe("requestModel", () => {
  it("is a draft-04 JSON schema requiring the ids, open to unknown fields", () => {
    const order = requestModel(orderWebhookSchema);
    expect(order).toMatchObject({
      $schema: "http://json-schema.org/draft-04/schema#",
      type: "object",
      required: ["webhookEventId", "goodsOwnerId", "orderId"],
    });
    expect(order.additionalProperties).not.toBe(false);
    const article = requestModel(articleWebhookSchema);
    expect(article).toMatchObject({
      $schema: "http://json-schema.org/draft-04/schema#",
      required: ["webhookEventId", "goodsOwnerId", "articleSystemId"],
    });
    // draft-04 spells an exclusive bound as a boolean beside `minimum` (later drafts use a number).
    expect((order.properties as Record<string, Record<string, unknown>>).orderId).toMatchObject({
      type: "integer",
      minimum: 0,
      exclusiveMinimum: true,
    });
  });

  it("compiles under a draft-04 validator and agrees with zod on the ids", () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    const validateOrder = ajv.compile(requestModel(orderWebhookSchema));
    const validateArticle = ajv.compile(requestModel(articleWebhookSchema));
    expect(validateOrder({ ...orderPayload, unknownField: 1 })).toBe(true);
    expect(validateArticle(articlePayload)).toBe(true);
    const { orderId: _orderId, ...noOrderId } = orderPayload;
    for (const bad of [noOrderId, { ...orderPayload, orderId: "50163" }, { ...orderPayload, orderId: 0 }]) {
      expect(validateOrder(bad), JSON.stringify(bad)).toBe(false);
      expect(orderWebhookSchema.safeParse(bad).success).toBe(false);
    }
    expect(validateArticle({ ...articlePayload, articleSystemId: 1.5 })).toBe(false);
    expect(validateOrder({ ...orderPayload, timestamp: "2023-01-01 12:00:00" })).toBe(false);
  });
});
