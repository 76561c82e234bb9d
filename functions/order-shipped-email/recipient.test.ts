import { describe, expect, it } from "vitest";
import { type OngoingOrder, orderSchema } from "../shared/ongoing/model.ts";
import { recipientOf } from "./recipient.ts";

type Notification = { toBeNotified?: boolean | null; value?: string | null } | null;

function order(
  own: Notification,
  consignee: Notification = null,
  invoice: Notification = null,
): OngoingOrder {
  return orderSchema.parse({
    goodsOwner: { id: 159, name: "Shop" },
    orderInfo: { orderId: 1, emailNotification: own },
    consignee: {
      name: "Ada",
      advanced: { emailNotification: consignee },
      invoiceAddress: { advanced: { emailNotification: invoice } },
    },
  });
}

describe("recipientOf", () => {
  it("prefers the order's own address, then the consignee's, then the invoice address's", () => {
    expect(recipientOf(order({ value: "own@example.com" }, { value: "c@example.com" }))).toEqual({
      status: "found",
      address: "own@example.com",
    });
    expect(recipientOf(order({ value: "" }, { value: "c@example.com" }, { value: "i@example.com" }))).toEqual(
      {
        status: "found",
        address: "c@example.com",
      },
    );
    expect(recipientOf(order(null, null, { value: " i@example.com " }))).toEqual({
      status: "found",
      address: "i@example.com",
    });
  });

  it("respects toBeNotified: false on the address chosen or on the order before it", () => {
    expect(recipientOf(order({ toBeNotified: false, value: "own@example.com" }))).toEqual({
      status: "none",
      reason: "not-to-be-notified",
    });
    expect(recipientOf(order({ toBeNotified: false }, { value: "c@example.com" }))).toEqual({
      status: "none",
      reason: "not-to-be-notified",
    });
    expect(recipientOf(order({ value: "own@example.com" }, { toBeNotified: false }))).toMatchObject({
      status: "found",
    });
  });

  it("skips orders without an address", () => {
    expect(recipientOf(order(null))).toEqual({ status: "none", reason: "no-address" });
    expect(recipientOf(order({ toBeNotified: true, value: "  " }))).toEqual({
      status: "none",
      reason: "no-address",
    });
  });

  it.each([
    "not-an-address",
    "a@b.com\r\nBcc: victim@example.com",
    "a@b.com, c@d.com",
    "Ada <a@b.com>",
    `${"x".repeat(250)}@example.com`,
  ])("refuses %j", (value) => {
    expect(recipientOf(order({ value }))).toEqual({ status: "none", reason: "invalid-address" });
  });
});
