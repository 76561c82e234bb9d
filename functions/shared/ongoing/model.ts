/**
 * Ongoing's order and article, as our code uses them: typed for the fields we read, every unknown field kept
 * (loose objects), nulls accepted wherever Ongoing may send them. Ongoing's official example responses parse
 * without loss. The same model is produced whichever Ongoing API (REST or Automation) fetched the data.
 */
import * as z from "zod";

const text = z.string().nullish();
const num = z.number().nullish();
const codeName = z.looseObject({ code: text, name: text }).nullish();
const notification = z.looseObject({ toBeNotified: z.boolean().nullish(), value: text }).nullish();
const advanced = z.looseObject({ emailNotification: notification }).nullish();

export const orderStatusNumbers = {
  error: 150,
  open: 200,
  released: 300,
  allocated: 320,
  picked: 400,
  sent: 450,
  collected: 500,
  cancelled: 1000,
} as const;

export const trackingSchema = z.looseObject({
  trackingUrl: text,
  waybill: text,
  isReturn: z.boolean().nullish(),
});

export const parcelSchema = z.looseObject({
  id: num,
  parcelNumber: text,
  isReturnParcel: z.boolean().nullish(),
  tracking: z.looseObject({ trackingUrl: text }).nullish(),
});

export const orderLineSchema = z.looseObject({
  id: num,
  rowNumber: text,
  article: z
    .looseObject({ articleSystemId: num, articleNumber: text, articleName: text, productCode: text })
    .nullish(),
  orderedNumberOfItems: num,
  pickedNumberOfItems: num,
});

/** The text fields of an address, as Ongoing names them; the transport shipment's consignee has the same. */
export const addressFields = [
  "name",
  "address1",
  "address2",
  "address3",
  "postCode",
  "city",
  "countryCode",
  "countryStateCode",
] as const;
export type AddressField = (typeof addressFields)[number];

/** An object shape with every address field of type `type`. */
export const addressShape = <T extends z.ZodType>(type: T): Record<AddressField, T> =>
  Object.fromEntries(addressFields.map((field) => [field, type])) as Record<AddressField, T>;

export const addressSchema = z.looseObject({ ...addressShape(text), advanced });

export const orderSchema = z.looseObject({
  goodsOwner: z.looseObject({ id: z.number(), name: text }),
  orderInfo: z.looseObject({
    orderId: z.number(),
    orderNumber: text,
    goodsOwnerOrderId: text,
    wayBill: text,
    orderStatus: z.looseObject({ number: z.number(), text: text }).nullish(),
    emailNotification: notification,
    shippedTime: text,
  }),
  consignee: addressSchema
    .extend({ customerNumber: text, invoiceAddress: addressSchema.nullish() })
    .nullish(),
  parcels: z.array(parcelSchema).nullish(),
  orderLines: z.array(orderLineSchema).nullish(),
  tracking: z.array(trackingSchema).nullish(),
  transporter: z.looseObject({ transporterName: text, name: text, code: text, serviceCode: text }).nullish(),
});
export type OngoingOrder = z.infer<typeof orderSchema>;

export const articleSchema = z.looseObject({
  goodsOwner: z.looseObject({ id: z.number(), name: text }).nullish(),
  articleSystemId: z.number(),
  articleNumber: text,
  articleName: text,
  productCode: text,
  unitCode: text,
  description: text,
  isStockArticle: z.boolean().nullish(),
  isActive: z.boolean().nullish(),
  barCodeInfo: z.looseObject({}).nullish(),
  weight: num,
  length: num,
  width: num,
  height: num,
  volume: num,
  netWeight: num,
  purchasePrice: num,
  stockValuationPrice: num,
  customerPrice: num,
  countryOfOriginCode: text,
  statisticsNumber: text,
  articleGroup: codeName,
  articleCategory: codeName,
  supplierInfo: z.looseObject({}).nullish(),
  articleDataLastUpdated: text,
  inventoryInfo: z.looseObject({}).nullish(),
});
export type OngoingArticle = z.infer<typeof articleSchema>;
