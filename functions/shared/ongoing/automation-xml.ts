/**
 * The XML side of Ongoing's SOAP Automation API (SOAP 1.1, namespace `http://ongoingsystems.se/Automation`):
 * envelopes built and read with fast-xml-parser, SOAP faults, and the SOAP order mapped to the same
 * `OngoingOrder` the REST API gives. Ongoing documents the requests but not every response element: the order
 * follows the goods-owner SOAP API's `Order` type (OrderInfo, GoodsOwnerInfo, Consignee, PickedOrderLines,
 * OrderPalletItems, Tracking, Transporter), and elements it may leave out, repeat once or send as nil are all
 * accepted.
 */
import { XMLBuilder, XMLParser } from "fast-xml-parser";
import type { OngoingOrder } from "./model.ts";

export const automationNamespace = "http://ongoingsystems.se/Automation";
const soapNamespace = "http://schemas.xmlsoap.org/soap/envelope/";

/** A parsed XML element: text, nested elements, `@_` attributes; lists are arrays. */
export type XmlNode = string | XmlObject | XmlNode[];
export interface XmlObject {
  [name: string]: XmlNode | undefined;
}

/** Elements that are list items wherever they appear, so one item still reads as a list. */
const listItems = new Set([
  "Order",
  "PickedOrderLine",
  "OrderPalletItemInfo",
  "OrderTrackingInfo",
  "int",
  "string",
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => listItems.has(name),
});

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  suppressBooleanAttributes: false,
  suppressEmptyNode: true,
});

/** A SOAP 1.1 request or response envelope around one element of the Automation namespace. */
export function buildEnvelope(elementName: string, content: XmlObject): string {
  return builder.build({
    "?xml": { "@_version": "1.0", "@_encoding": "utf-8" },
    "soap:Envelope": {
      "@_xmlns:soap": soapNamespace,
      "@_xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
      "@_xmlns:xsd": "http://www.w3.org/2001/XMLSchema",
      "soap:Body": { [elementName]: { "@_xmlns": automationNamespace, ...content } },
    },
  }) as string;
}

/** A SOAP 1.1 fault envelope (`faultcode` `soap:Client` or `soap:Server`). */
export function buildFault(code: "Client" | "Server", faultString: string): string {
  return builder.build({
    "?xml": { "@_version": "1.0", "@_encoding": "utf-8" },
    "soap:Envelope": {
      "@_xmlns:soap": soapNamespace,
      "soap:Body": { "soap:Fault": { faultcode: `soap:${code}`, faultstring: faultString } },
    },
  }) as string;
}

export interface SoapFault {
  /** `Client` or `Server` (the prefix dropped), as Ongoing sent it. */
  code: string;
  message: string;
}

export type SoapBody = { fault: SoapFault } | { element: string; content: XmlObject };

/** The one element in the body of a SOAP envelope, or its fault; throws on anything that is not SOAP. */
export function parseEnvelope(xml: string): SoapBody {
  const document = parser.parse(xml.replace(/^\uFEFF/, "")) as XmlObject;
  const body = child(child(document, "Envelope"), "Body");
  if (!body) throw new Error("not a SOAP envelope");
  const fault = child(body, "Fault");
  if (fault) {
    return {
      fault: {
        code: (text(fault.faultcode) ?? "").replace(/^.*:/, ""),
        message: text(fault.faultstring) ?? "",
      },
    };
  }
  const element = Object.keys(body).find((name) => !name.startsWith("@_"));
  if (!element) throw new Error("empty SOAP body");
  return { element, content: child(body, element) ?? {} };
}

/** A child element as an object (the first when repeated); undefined when absent, text or nil. */
export function child(node: XmlNode | undefined, name: string): XmlObject | undefined {
  if (node === undefined || typeof node === "string" || Array.isArray(node)) return undefined;
  const value = node[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || typeof first === "string" || Array.isArray(first) || isNil(first))
    return undefined;
  return first;
}

/** Child elements as a list: none, one or many; nil counts as none. */
export function children(node: XmlNode | undefined, name: string): XmlObject[] {
  if (node === undefined || typeof node === "string" || Array.isArray(node)) return [];
  const value = node[name];
  const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return items.filter(
    (item): item is XmlObject => typeof item === "object" && !Array.isArray(item) && !isNil(item),
  );
}

function isNil(node: XmlObject): boolean {
  return node["@_nil"] === "true";
}

/** An element's text: undefined when absent, null when nil, "" when empty. */
export function text(node: XmlNode | undefined): string | null | undefined {
  if (node === undefined) return undefined;
  if (typeof node === "string") return node;
  if (Array.isArray(node)) return text(node[0]);
  if (isNil(node)) return null;
  const value = node["#text"];
  return typeof value === "string" ? value : "";
}

export function numberOf(node: XmlNode | undefined): number | null | undefined {
  const value = text(node);
  if (value === undefined || value === null) return value;
  if (value.trim() === "") return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

export function booleanOf(node: XmlNode | undefined): boolean | null | undefined {
  const value = text(node);
  if (value === undefined || value === null) return value;
  const normalized = value.trim().toLowerCase();
  if (normalized === "true" || normalized === "1") return true;
  if (normalized === "false" || normalized === "0") return false;
  return null;
}

/** Drops undefined fields, so an element Ongoing left out stays out of the model (as in a REST answer). */
function defined<T extends Record<string, unknown>>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

/** An object for an element, undefined when absent, null when nil. */
function nested<T>(parent: XmlObject, name: string, map: (node: XmlObject) => T): T | null | undefined {
  const value = parent[name];
  if (value === undefined) return undefined;
  const node = child(parent, name);
  return node ? map(node) : null;
}

function notification(node: XmlObject) {
  return defined({ toBeNotified: booleanOf(node.ToBeNotified), value: text(node.Value) });
}

function address(node: XmlObject) {
  return defined({
    name: text(node.Name),
    address1: text(node.Address),
    address2: text(node.Address2),
    address3: text(node.Address3),
    postCode: text(node.PostCode),
    city: text(node.City),
    countryCode: text(node.CountryCode),
    countryStateCode: text(node.CountryStateCode),
  });
}

/** The consignee's e-mail and its notify flag, where the REST model keeps them. */
function consigneeAdvanced(node: XmlObject) {
  if (node.Email === undefined && node.NotifyByEmail === undefined) return undefined;
  return {
    emailNotification: defined({ toBeNotified: booleanOf(node.NotifyByEmail), value: text(node.Email) }),
  };
}

function consignee(node: XmlObject) {
  return defined({
    customerNumber: text(node.CustomerNumber),
    ...address(node),
    advanced: consigneeAdvanced(node),
    invoiceAddress: nested(node, "InvoiceAddress", (invoice) =>
      defined({ ...address(invoice), advanced: consigneeAdvanced(invoice) }),
    ),
  });
}

function listOf<T>(parent: XmlObject, listName: string, itemName: string, map: (node: XmlObject) => T) {
  const value = parent[listName];
  if (value === undefined) return undefined;
  const list = child(parent, listName);
  if (!list) return text(value) === null ? null : [];
  return children(list, itemName).map(map);
}

/** A SOAP `Order` as the model every use-case reads (the same as the REST API's order). */
export function orderFromSoap(node: XmlObject): OngoingOrder {
  const info = child(node, "OrderInfo") ?? {};
  const owner = child(node, "GoodsOwnerInfo") ?? child(node, "GoodsOwner") ?? {};
  const statusNumber = numberOf(info.OrderStatusNumber);
  const statusText = text(info.OrderStatusText);
  return defined({
    goodsOwner: defined({ id: numberOf(owner.Id ?? owner.GoodsOwnerId) as number, name: text(owner.Name) }),
    orderInfo: defined({
      orderId: numberOf(info.OrderId) as number,
      orderNumber: text(info.GoodsOwnerOrderNumber ?? info.OrderNumber),
      goodsOwnerOrderId: text(info.GoodsOwnerOrderId),
      wayBill: text(info.WayBill),
      orderStatus:
        statusNumber === undefined || statusNumber === null
          ? statusNumber
          : defined({ number: statusNumber, text: statusText }),
      emailNotification: nested(info, "EmailNotification", notification),
      shippedTime: text(info.ShippedTime),
    }),
    consignee: nested(node, "Consignee", consignee),
    parcels: listOf(node, "OrderPalletItems", "OrderPalletItemInfo", (parcel) =>
      defined({
        id: numberOf(parcel.Id),
        parcelNumber: text(parcel.LabelId),
        isReturnParcel: booleanOf(parcel.IsReturnParcel),
        tracking: nested(parcel, "Tracking", (tracking) =>
          defined({ trackingUrl: text(tracking.TrackingUrl) }),
        ),
      }),
    ),
    orderLines: listOf(node, "PickedOrderLines", "PickedOrderLine", (line) =>
      defined({
        id: numberOf(line.OrderLineSystemId),
        rowNumber: text(line.RowNumber),
        article: nested(line, "Article", (article) =>
          defined({
            articleSystemId: numberOf(article.ArticleSystemId),
            articleNumber: text(article.ArticleNumber),
            articleName: text(article.ArticleName),
            productCode: text(article.ProductCode),
          }),
        ),
        orderedNumberOfItems: numberOf(line.OrderedNumberOfItems),
        pickedNumberOfItems: numberOf(line.PickedNumberOfItems),
      }),
    ),
    tracking: listOf(node, "Tracking", "OrderTrackingInfo", (tracking) =>
      defined({
        trackingUrl: text(tracking.TrackingUrl),
        waybill: text(tracking.Waybill),
        isReturn: booleanOf(tracking.IsReturn),
      }),
    ),
    transporter: nested(node, "Transporter", (transporter) =>
      defined({
        transporterName: text(transporter.TransporterName),
        name: text(transporter.Name),
        code: text(transporter.Code),
        serviceCode: text(transporter.ServiceCode),
      }),
    ),
  }) as OngoingOrder;
}

/** The orders in a `GetOrdersByQueryResult`: under `Orders`, or directly in the result; none when empty or nil. */
export function ordersInResult(result: XmlObject | undefined): XmlObject[] {
  if (!result) return [];
  const orders = child(result, "Orders");
  return children(orders ?? result, "Order");
}

/** `Success` and Ongoing's message from a result (`ErrorMessage` or `Message`); a missing flag is success. */
export function resultStatus(result: XmlObject | undefined): { success: boolean; message: string } {
  const success = booleanOf(result?.Success);
  const message = text(result?.ErrorMessage) || text(result?.Message) || "";
  return { success: success !== false, message };
}
