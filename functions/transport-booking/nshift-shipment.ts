/**
 * The shapes of nShift Delivery's REST API (formerly Unifaun Online, `https://api.unifaun.com/rs-extapi/v1`), as
 * far as the adapter uses them, and the mapping from our shipment to nShift's. Shared with the simulator in
 * `simulators/nshift/` (its README names the public documentation these come from).
 */
import * as z from "zod";
import type { Booking, Label, Shipment } from "./transport-system.ts";

const party = z.object({
  quickId: z.string().optional(),
  name: z.string().optional(),
  address1: z.string().optional(),
  address2: z.string().optional(),
  address3: z.string().optional(),
  zipcode: z.string().optional(),
  city: z.string().optional(),
  state: z.string().optional(),
  country: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  mobile: z.string().optional(),
});

/** The shipment data of `POST /stored-shipments` (the fields the adapter sends). */
export const nshiftShipmentSchema = z.object({
  sender: party,
  receiver: party,
  agent: z.object({ quickId: z.string() }).optional(),
  service: z.object({ id: z.string().min(1) }),
  orderNo: z.string().optional(),
  senderReference: z.string().min(1),
  receiverReference: z.string().optional(),
  deliveryInstruction: z.string().optional(),
  parcels: z
    .array(
      z.object({
        copies: z.number().int().positive(),
        weight: z.number().positive().optional(),
        contents: z.string().optional(),
      }),
    )
    .min(1),
});
export type NshiftShipment = z.infer<typeof nshiftShipmentSchema>;

/** A stored shipment as `POST /stored-shipments` and `GET /stored-shipments` answer it. */
export const storedShipmentSchema = z.object({
  id: z.string().min(1),
  status: z.string().optional(),
  orderNo: z.string().nullish(),
  reference: z.string().nullish(),
  statuses: z
    .array(
      z.object({ message: z.string().nullish(), field: z.string().nullish(), type: z.string().nullish() }),
    )
    .nullish(),
});
export type StoredShipment = z.infer<typeof storedShipmentSchema>;

/** One printed shipment of the answer to `POST /stored-shipments/{id}/shipments?returnFile=true`. */
export const printedShipmentSchema = z.object({
  id: z.string().min(1),
  shipmentNo: z.string().nullish(),
  orderNo: z.string().nullish(),
  reference: z.string().nullish(),
  parcels: z.array(z.object({ parcelNo: z.string().min(1) })).nullish(),
  /** The documents inline (base64) when asked with `returnFile=true`. */
  prints: z
    .array(
      z.object({ id: z.string().nullish(), description: z.string().nullish(), data: z.string().nullish() }),
    )
    .nullish(),
  /** Older accounts answer PDFs here instead (`inlinePdf=true`). */
  pdfs: z
    .array(
      z.object({ id: z.string().nullish(), description: z.string().nullish(), pdf: z.string().nullish() }),
    )
    .nullish(),
});
export type PrintedShipment = z.infer<typeof printedShipmentSchema>;

/** A validation message of a 422 answer. */
export const statusListSchema = z.array(
  z.object({ message: z.string().nullish(), field: z.string().nullish(), type: z.string().nullish() }),
);

/** Stored shipments in these states may be printed (WARNED: only ignorable validation messages). */
export const printableStatuses = ["READY", "WARNED"];

/** The settings of the nShift account the adapter books in. */
export interface NshiftAccount {
  /** The sender as saved in the nShift account (its quick id). */
  readonly senderQuickId: string;
}

/**
 * nShift's shipment for ours. `senderReference` carries the booking's unique key (`goodsOwnerId-orderId`): it is
 * how a booking whose answer was lost is found again. `orderNo` is Ongoing's order number (what people search for
 * in nShift), the service is the transporter's service code in Ongoing (an nShift service id, e.g. `P19`).
 */
export function nshiftShipmentFrom(shipment: Shipment, account: NshiftAccount): NshiftShipment {
  const { consignee } = shipment;
  const serviceId = shipment.transporter.serviceCode ?? shipment.transporter.code;
  const knownWeights = shipment.parcels.map((parcel) => parcel.weightKg);
  const contents = shipment.lines.find((line) => line.articleName)?.articleName;
  const parcels =
    shipment.parcels.length > 0
      ? knownWeights.map((weight) => ({ copies: 1, ...(weight ? { weight } : {}) }))
      : [{ copies: 1, ...(shipment.totalWeightKg ? { weight: shipment.totalWeightKg } : {}) }];
  const address = [consignee.address1, consignee.address2, consignee.address3].filter(Boolean);
  return nshiftShipmentSchema.parse({
    sender: { quickId: account.senderQuickId },
    receiver: {
      name: consignee.name,
      address1: address[0],
      // nShift has two address lines: the third joins the second rather than being lost.
      address2: address.length > 1 ? address.slice(1).join(", ") : undefined,
      zipcode: consignee.postCode,
      city: consignee.city,
      state: consignee.countryStateCode,
      country: consignee.countryCode,
      email: consignee.email,
      mobile: consignee.phone,
    },
    ...(shipment.servicePointCode ? { agent: { quickId: shipment.servicePointCode } } : {}),
    service: { id: serviceId },
    orderNo: shipment.orderNumber,
    senderReference: shipment.idempotencyKey,
    receiverReference: shipment.goodsOwnerOrderId,
    deliveryInstruction: shipment.deliveryInstruction,
    parcels: parcels.map((parcel) => (contents ? { ...parcel, contents } : parcel)),
  });
}

/** Our booking from nShift's printed shipment(s): the first is the outbound one, its documents are the labels. */
export function bookingFromPrinted(printed: PrintedShipment[]): Booking {
  const [first] = printed;
  if (!first) throw new Error("no printed shipment");
  const parcels = printed.flatMap((shipment) => shipment.parcels ?? []);
  const documents: Label[] = printed.flatMap((shipment) => [
    ...(shipment.prints ?? []).flatMap((print, index) =>
      print.data ? [document(shipment.id, print.id ?? String(index + 1), print.description, print.data)] : [],
    ),
    ...(shipment.pdfs ?? []).flatMap((pdf, index) =>
      pdf.pdf ? [document(shipment.id, pdf.id ?? String(index + 1), pdf.description, pdf.pdf)] : [],
    ),
  ]);
  const [label, ...others] = documents;
  return {
    waybill: first.shipmentNo || parcels[0]?.parcelNo || first.id,
    trackingUrl: null,
    parcels: parcels.map((parcel) => ({ parcelNumber: parcel.parcelNo })),
    label: label ?? null,
    documents: others,
  };
}

function document(
  shipmentId: string,
  id: string,
  description: string | null | undefined,
  data: string,
): Label {
  const kind = (description ?? "document").toLowerCase().replace(/[^a-z0-9]+/g, "-") || "document";
  return { fileName: `nshift-${shipmentId}-${id}-${kind}.pdf`, mimeType: "application/pdf", base64: data };
}
