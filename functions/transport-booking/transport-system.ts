/**
 * The transport system, as the booking use-case sees it: book a shipment for an order, get back a waybill,
 * a tracking link, parcel numbers and optionally a label. The shipment and booking schemas are the JSON
 * contract of the generic HTTP adapter (docs/use-case-transport-booking.md), shared with the transport simulator.
 */
import * as z from "zod";
import {
  type AddressField,
  addressFields,
  addressShape,
  type OngoingOrder,
} from "../shared/ongoing/model.ts";

const text = z.string().optional();

export const shipmentSchema = z.object({
  /** `${goodsOwnerId}-${orderId}`: also sent as the `Idempotency-Key` header. */
  idempotencyKey: z.string().min(1),
  goodsOwnerId: z.number().int().positive(),
  orderId: z.number().int().positive(),
  orderNumber: text,
  goodsOwnerOrderId: text,
  transporter: z.object({ code: z.string().min(1), serviceCode: text }),
  servicePointCode: text,
  deliveryInstruction: text,
  consignee: z.object({ ...addressShape(text), email: text, phone: text }),
  /** Parcels the warehouse already registered (outbound only); empty when none are known yet. */
  parcels: z.array(z.object({ parcelNumber: text, weightKg: z.number().optional() })),
  lines: z.array(
    z.object({
      rowNumber: text,
      articleNumber: text,
      articleName: text,
      quantity: z.number(),
      weightKg: z.number().optional(),
    }),
  ),
  /** Sum of the known weights; absent when Ongoing gave none. */
  totalWeightKg: z.number().optional(),
});
export type Shipment = z.infer<typeof shipmentSchema>;

export const labelSchema = z.object({
  fileName: z.string().min(1),
  mimeType: z.string().min(1),
  base64: z.string().min(1),
});
export type Label = z.infer<typeof labelSchema>;

export const bookingSchema = z.object({
  waybill: z.string().min(1),
  trackingUrl: z.string().min(1).nullish(),
  /** A parcel may come with its own label. */
  parcels: z.array(z.object({ parcelNumber: z.string().min(1), label: labelSchema.nullish() })).default([]),
  /** The shipment's label. */
  label: labelSchema.nullish(),
  /** Other documents of the booking (e.g. a customs declaration), attached to the order like the labels. */
  documents: z.array(labelSchema).default([]),
  /** The transport system's own number for the shipment (Ongoing: transporter order number). */
  transporterOrderNumber: z.string().min(1).nullish(),
  /** The weight the transport system charges for, in kg (Ongoing: transporter freight weight). */
  freightWeightKg: z.number().nonnegative().nullish(),
  /** The freight price the transport system quoted, in the goods owner's currency (Ongoing: freight price). */
  freightPrice: z.number().nonnegative().nullish(),
  /** The waybill of a prepaid return shipment booked with the delivery. */
  returnWaybill: z.string().min(1).nullish(),
});
export type Booking = z.infer<typeof bookingSchema>;

/**
 * Every document of a booking, in order (the shipment's label, the parcels' labels, the other documents), each
 * under a file name of its own: Ongoing's list of an order's files is how a retry tells what is attached.
 */
export function bookingDocuments(booking: Booking): Label[] {
  const all = [
    ...(booking.label ? [booking.label] : []),
    ...booking.parcels.flatMap((parcel) => (parcel.label ? [parcel.label] : [])),
    ...booking.documents,
  ];
  const taken = new Set<string>();
  return all.map((document, index) => {
    const fileName = taken.has(document.fileName) ? `${index + 1}-${document.fileName}` : document.fileName;
    taken.add(fileName);
    return { ...document, fileName };
  });
}

export interface BookOptions {
  remainingTimeMs(): number;
  /**
   * False only when no earlier attempt can have reached the transport system (the workflow has just recorded
   * "booking"); otherwise an adapter without an idempotency key looks for that attempt's booking first.
   * @default unknown (treated as true)
   */
  readonly earlierAttempt?: boolean;
}

export interface TransportSystem {
  /**
   * Books the shipment. Booking the same `idempotencyKey` again returns the same booking. Throws
   * PermanentError when the transport system rejects it (4xx) and TransientError when it may heal.
   */
  book(shipment: Shipment, options: BookOptions): Promise<Booking>;
}

/** The idempotency key of one order's booking. */
export const bookingIdempotencyKey = (goodsOwnerId: number, orderId: number): string =>
  `${goodsOwnerId}-${orderId}`;

const present = (value: string | null | undefined): string | undefined =>
  value === null || value === undefined || value === "" ? undefined : value;

const orderWeight = (line: NonNullable<OngoingOrder["orderLines"]>[number]): number | undefined => {
  const items = (line as { pickedArticleItems?: Array<{ weight?: number | null }> | null })
    .pickedArticleItems;
  const weights = (items ?? []).map((item) => item.weight).filter((weight) => typeof weight === "number");
  return weights.length > 0 ? weights.reduce((sum, weight) => sum + weight, 0) : undefined;
};

/** The shipment to book for an order, from what Ongoing knows about it. */
export function shipmentFromOrder(order: OngoingOrder): Shipment {
  const { orderInfo, consignee } = order;
  const info = orderInfo as typeof orderInfo & {
    servicePointCode?: string | null;
    deliveryInstruction?: string | null;
    smsNotification?: { value?: string | null } | null;
  };
  const lines = (order.orderLines ?? []).map((line) => ({
    rowNumber: present(line.rowNumber),
    articleNumber: present(line.article?.articleNumber),
    articleName: present(line.article?.articleName),
    quantity: line.pickedNumberOfItems ?? line.orderedNumberOfItems ?? 0,
    weightKg: orderWeight(line),
  }));
  const weights = lines.map((line) => line.weightKg).filter((weight) => weight !== undefined);
  return {
    idempotencyKey: bookingIdempotencyKey(order.goodsOwner.id, orderInfo.orderId),
    goodsOwnerId: order.goodsOwner.id,
    orderId: orderInfo.orderId,
    orderNumber: present(orderInfo.orderNumber),
    goodsOwnerOrderId: present(orderInfo.goodsOwnerOrderId),
    transporter: {
      code: present(order.transporter?.code) ?? "",
      serviceCode: present(order.transporter?.serviceCode),
    },
    servicePointCode: present(info.servicePointCode),
    deliveryInstruction: present(info.deliveryInstruction),
    consignee: {
      ...(Object.fromEntries(addressFields.map((field) => [field, present(consignee?.[field])])) as Record<
        AddressField,
        string | undefined
      >),
      email: present(orderInfo.emailNotification?.value ?? consignee?.advanced?.emailNotification?.value),
      phone: present(info.smsNotification?.value),
    },
    parcels: (order.parcels ?? [])
      .filter((parcel) => parcel.isReturnParcel !== true)
      .map((parcel) => ({ parcelNumber: present(parcel.parcelNumber) })),
    lines,
    totalWeightKg: weights.length > 0 ? weights.reduce((sum, weight) => sum + weight, 0) : undefined,
  };
}
