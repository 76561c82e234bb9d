import { describe, expect, it } from "vitest";
import { officialExample } from "../../simulators/ongoing/seed.ts";
import { orderSchema } from "../shared/ongoing/model.ts";
import { shipmentFromOrder } from "./transport-system.ts";

const example = orderSchema.parse(officialExample("order"));

describe("shipmentFromOrder", () => {
  it("builds the shipment from Ongoing's example order", () => {
    expect(shipmentFromOrder(example)).toEqual({
      idempotencyKey: "159-50163",
      goodsOwnerId: 159,
      orderId: 50163,
      orderNumber: "O1231234",
      goodsOwnerOrderId: "KL33334",
      transporter: { code: "PLAB", serviceCode: "P18" },
      servicePointCode: "3232323",
      deliveryInstruction: "Do not bend",
      consignee: {
        name: "Name 1",
        address1: "Address 1",
        address2: "Address 2",
        address3: "Address 3",
        postCode: "12345",
        city: "City",
        countryCode: "US",
        countryStateCode: "MN",
        email: "a@b.com",
        phone: "123456789",
      },
      parcels: [{ parcelNumber: "00376546546" }],
      lines: [
        { rowNumber: "1", articleNumber: "1009", articleName: undefined, quantity: 2, weightKg: undefined },
      ],
      totalWeightKg: undefined,
    });
  });
});
