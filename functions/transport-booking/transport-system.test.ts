import { describe, expect, it } from "vitest";
import { officialExample } from "../../simulators/ongoing/seed.ts";
import { orderSchema } from "../shared/ongoing/model.ts";
import { bookingDocumentKey } from "./document-keys.ts";
import { bookingDocuments, bookingSchema, shipmentFromOrder } from "./transport-system.ts";

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

describe("bookingDocuments", () => {
  const pdf = (fileName: string) => ({ fileName, mimeType: "application/pdf", base64: "JVBERi0=" });

  it("lists the shipment's label, the parcels' labels and the other documents, each under its own name", () => {
    const booking = bookingSchema.parse({
      waybill: "W1",
      label: pdf("label.pdf"),
      parcels: [{ parcelNumber: "P1", label: pdf("label.pdf") }, { parcelNumber: "P2" }],
      documents: [{ ...pdf("customs.pdf"), mimeType: "application/pdf" }],
    });
    expect(bookingDocuments(booking).map((document) => document.fileName)).toEqual([
      "label.pdf",
      "2-label.pdf",
      "customs.pdf",
    ]);
    expect(bookingDocuments(bookingSchema.parse({ waybill: "W2" }))).toEqual([]);
  });

  it("keys each document under the booking's prefix, the same key on a retry", () => {
    expect(bookingDocumentKey(159, 50163, 0, "label W1/ä.pdf")).toBe(
      "booking-documents/159/50163/1-label_W1_.pdf",
    );
    expect(bookingDocumentKey(159, 50163, 0, "label W1/ä.pdf")).toBe(
      bookingDocumentKey(159, 50163, 0, "label W1/ä.pdf"),
    );
  });
});
