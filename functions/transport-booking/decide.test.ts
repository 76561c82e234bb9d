import { describe, expect, it } from "vitest";
import { officialExample } from "../../simulators/ongoing/seed.ts";
import { type OngoingOrder, orderSchema } from "../shared/ongoing/model.ts";
import { decideBooking, matchesTransporter } from "./decide.ts";

const example: OngoingOrder = orderSchema.parse(officialExample("order"));
const withoutWaybill: OngoingOrder = { ...example, orderInfo: { ...example.orderInfo, wayBill: null } };

describe("matchesTransporter", () => {
  it("matches the code, and the service code when the match names some", () => {
    const transporter = { code: "PLAB", serviceCode: "P18" };
    expect(matchesTransporter(transporter, [{ code: "plab " }])).toBe(true);
    expect(matchesTransporter(transporter, [{ code: "PLAB", serviceCodes: ["P19", "p18"] }])).toBe(true);
    expect(matchesTransporter(transporter, [{ code: "PLAB", serviceCodes: ["P19"] }])).toBe(false);
    expect(matchesTransporter(transporter, [{ code: "DHL" }])).toBe(false);
    expect(matchesTransporter({ code: "" }, [{ code: "" }])).toBe(false);
    expect(matchesTransporter(null, [{ code: "PLAB" }])).toBe(false);
  });
});

describe("decideBooking", () => {
  const plab = [{ code: "PLAB" }];
  it("books a matching order without a waybill", () => {
    expect(decideBooking(withoutWaybill, plab)).toEqual({ action: "book" });
  });
  it("skips with a reason", () => {
    expect(decideBooking(example, plab)).toEqual({ action: "skip", reason: "already-waybilled" });
    expect(decideBooking(withoutWaybill, [{ code: "DHL" }])).toEqual({
      action: "skip",
      reason: "transporter-not-configured",
    });
    expect(decideBooking(withoutWaybill, [])).toMatchObject({ reason: "transporter-not-configured" });
    const cancelled = {
      ...withoutWaybill,
      orderInfo: { ...withoutWaybill.orderInfo, orderStatus: { number: 1000, text: "Cancelled" } },
    };
    expect(decideBooking(cancelled, plab)).toEqual({ action: "skip", reason: "cancelled" });
  });
});
