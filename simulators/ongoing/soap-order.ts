/** A stored order (the REST shape) as the SOAP Automation API's `Order` element, for the simulator's SOAP reads. */
import type { XmlObject } from "../../functions/shared/ongoing/automation-xml.ts";
import type { Json } from "./seed.ts";
import { isObject } from "./state.ts";

export const nil = { "@_xsi:nil": "true" };

/** A JSON value as SOAP element content: null is nil, undefined is left out. */
export function value(input: unknown): XmlObject[string] {
  if (input === undefined) return undefined;
  if (input === null) return nil;
  return String(input);
}

export function element(fields: Record<string, XmlObject[string]>): XmlObject {
  return Object.fromEntries(Object.entries(fields).filter(([, field]) => field !== undefined));
}

/** A JSON object as an element built by `map`; null is nil, absent is left out. */
function objectElement(input: unknown, map: (object: Json) => XmlObject): XmlObject[string] {
  if (input === undefined) return undefined;
  if (!isObject(input)) return nil;
  return map(input);
}

function listElement(input: unknown, itemName: string, map: (object: Json) => XmlObject): XmlObject[string] {
  if (input === undefined) return undefined;
  if (!Array.isArray(input)) return nil;
  return { [itemName]: input.filter(isObject).map(map) };
}

function addressElement(address: Json): Record<string, XmlObject[string]> {
  const advanced = isObject(address.advanced) ? address.advanced : undefined;
  const email = advanced && isObject(advanced.emailNotification) ? advanced.emailNotification : undefined;
  return {
    Name: value(address.name),
    Address: value(address.address1),
    Address2: value(address.address2),
    Address3: value(address.address3),
    PostCode: value(address.postCode),
    City: value(address.city),
    CountryCode: value(address.countryCode),
    CountryStateCode: value(address.countryStateCode),
    Email: email ? value(email.value) : undefined,
    NotifyByEmail: email ? value(email.toBeNotified) : undefined,
  };
}

/** A stored order (the REST shape) as the SOAP `Order` element. */
export function soapOrder(order: Json): XmlObject {
  const info = isObject(order.orderInfo) ? order.orderInfo : {};
  const status = info.orderStatus;
  return element({
    GoodsOwnerInfo: objectElement(order.goodsOwner, (owner) =>
      element({ Id: value(owner.id), Name: value(owner.name) }),
    ),
    OrderInfo: element({
      OrderId: value(info.orderId),
      GoodsOwnerOrderNumber: value(info.orderNumber),
      GoodsOwnerOrderId: value(info.goodsOwnerOrderId),
      WayBill: value(info.wayBill),
      OrderStatusNumber: isObject(status) ? value(status.number) : value(status),
      OrderStatusText: isObject(status) ? value(status.text) : undefined,
      ShippedTime: value(info.shippedTime),
      EmailNotification: objectElement(info.emailNotification, (notification) =>
        element({ ToBeNotified: value(notification.toBeNotified), Value: value(notification.value) }),
      ),
    }),
    Consignee: objectElement(order.consignee, (consignee) =>
      element({
        CustomerNumber: value(consignee.customerNumber),
        ...addressElement(consignee),
        InvoiceAddress: objectElement(consignee.invoiceAddress, (invoice) =>
          element(addressElement(invoice)),
        ),
      }),
    ),
    PickedOrderLines: listElement(order.orderLines, "PickedOrderLine", (line) =>
      element({
        OrderLineSystemId: value(line.id),
        RowNumber: value(line.rowNumber),
        Article: objectElement(line.article, (article) =>
          element({
            ArticleSystemId: value(article.articleSystemId),
            ArticleNumber: value(article.articleNumber),
            ArticleName: value(article.articleName),
            ProductCode: value(article.productCode),
          }),
        ),
        OrderedNumberOfItems: value(line.orderedNumberOfItems),
        PickedNumberOfItems: value(line.pickedNumberOfItems),
      }),
    ),
    OrderPalletItems: listElement(order.parcels, "OrderPalletItemInfo", (parcel) =>
      element({
        Id: value(parcel.id),
        LabelId: value(parcel.parcelNumber),
        IsReturnParcel: value(parcel.isReturnParcel),
        Tracking: objectElement(parcel.tracking, (tracking) =>
          element({ TrackingUrl: value(tracking.trackingUrl) }),
        ),
      }),
    ),
    Tracking: listElement(order.tracking, "OrderTrackingInfo", (tracking) =>
      element({
        TrackingUrl: value(tracking.trackingUrl),
        Waybill: value(tracking.waybill),
        IsReturn: value(tracking.isReturn),
      }),
    ),
    Transporter: objectElement(order.transporter, (transporter) =>
      element({
        TransporterName: value(transporter.transporterName),
        Name: value(transporter.name),
        Code: value(transporter.code),
        ServiceCode: value(transporter.serviceCode),
      }),
    ),
  });
}
