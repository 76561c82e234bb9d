import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { articleSchema, orderSchema } from "./model.ts";

const example = (name: string): unknown =>
  JSON.parse(
    readFileSync(new URL(`../../../simulators/ongoing/examples/${name}`, import.meta.url), "utf8").replace(
      /^\uFEFF/,
      "",
    ),
  );

describe("Ongoing model", () => {
  it("parses Ongoing's official example order without loss", () => {
    const raw = example("official-rest-example-GET-order-response.json");
    expect(orderSchema.parse(raw)).toStrictEqual(raw);
  });

  it("parses Ongoing's official example article without loss", () => {
    const raw = example("official-rest-example-GET-article-response.json");
    expect(articleSchema.parse(raw)).toStrictEqual(raw);
  });

  it("accepts nulls where Ongoing may send them", () => {
    const order = {
      goodsOwner: { id: 1, name: null },
      orderInfo: { orderId: 2, orderNumber: null, emailNotification: null, orderStatus: null },
      consignee: null,
      parcels: null,
      transporter: null,
    };
    expect(orderSchema.parse(order)).toStrictEqual(order);
  });
});
