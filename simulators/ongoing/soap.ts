/**
 * The Ongoing simulator's SOAP Automation API (`POST /{warehouse}/Automation.asmx`): `GetOrdersByQuery`,
 * `UpdateOrder` (`UpdateOrderWaybill`, `UpdateOrderTracking`, `UpdateOrderTransporterOrderNumber`,
 * `UpdateOrderTransporterFreightWeight`, `UpdateOrderFreightPrice`, `UpdateOrderReturnWaybill`), `UploadOrderFile`
 * (with `FileWillBeDeletedAt`), `GetFileList`, `CreatePrintJob` and `ReportOrderTransportStatusEvent`, over the same store,
 * faults, call counts and write record as the REST API, so a SOAP write changes the same order a REST read
 * then sees. Logins are integrator users that see several goods owners (credentials in the body, as Ongoing's).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { transportStatuses } from "../../functions/shared/contract/webhook-schemas.ts";
import {
  buildEnvelope,
  buildFault,
  child,
  parseEnvelope,
  text,
  type XmlObject,
} from "../../functions/shared/ongoing/automation-xml.ts";
import { readBody, recordedHeaders, sleep } from "../http.ts";
import { bearerLogin } from "./oauth.ts";
import type { Json } from "./seed.ts";
import type { OngoingSimulatorState } from "./server.ts";

export interface AutomationUser {
  username: string;
  password: string;
  /** The goods owners this integrator login sees. */
  goodsOwnerIds: number[];
}

/** The default integrator login: `automation`/`automation-password`, goods owners 159 and 160. */
export const defaultAutomationUsers: AutomationUser[] = [
  { username: "automation", password: "automation-password", goodsOwnerIds: [159, 160] },
];

/** The path faults match for a SOAP call: `/Automation.asmx/{Operation}`. */
export const soapFaultPath = (operation: string) => `/Automation.asmx/${operation}`;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const nil = { "@_xsi:nil": "true" };

/** A JSON value as SOAP element content: null is nil, undefined is left out. */
function value(input: unknown): XmlObject[string] {
  if (input === undefined) return undefined;
  if (input === null) return nil;
  return String(input);
}

function element(fields: Record<string, XmlObject[string]>): XmlObject {
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

function send(response: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}) {
  if (response.destroyed || response.writableEnded) return;
  response.writeHead(status, { "content-type": "text/xml; charset=utf-8", ...headers });
  response.end(xml);
}

/** SOAP 1.1 sends every fault with HTTP 500. */
const sendFault = (response: ServerResponse, code: "Client" | "Server", message: string) =>
  send(response, 500, buildFault(code, message));

/** A refusal Ongoing reports as `Success=false` with a message; `status` is the REST answer's equivalent. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface SoapContext {
  state: OngoingSimulatorState;
  user: AutomationUser;
  content: XmlObject;
}

function visibleOrder(context: SoapContext, orderId: number): Json {
  const order = context.state.orders.get(orderId);
  const owner = order && isObject(order.goodsOwner) ? order.goodsOwner.id : undefined;
  if (!order || typeof owner !== "number" || !context.user.goodsOwnerIds.includes(owner)) {
    throw new Refusal(404, `Order with id ${orderId} was not found.`);
  }
  return order;
}

const goodsOwnerOf = (order: Json) => (order.goodsOwner as Json).id as number;

function requiredText(node: XmlObject | undefined, name: string): string {
  const found = text(node?.[name]);
  if (!found) throw new Refusal(400, `The ${name} field is required.`);
  return found;
}

function integer(node: XmlObject | undefined, name: string): number {
  const found = Number(text(node?.[name]));
  if (!Number.isInteger(found)) throw new Refusal(400, `The ${name} field is required.`);
  return found;
}

function decimal(node: XmlObject | undefined, name: string): number {
  const found = Number(text(node?.[name]));
  if (!Number.isFinite(found)) throw new Refusal(400, `The ${name} field is not a decimal.`);
  return found;
}

function getOrdersByQuery(context: SoapContext): XmlObject {
  const query = child(context.content, "Query");
  const goodsOwner = text(query?.GoodsOwnerId);
  const ints = child(query, "OrderIds")?.int;
  const ids = (Array.isArray(ints) ? ints : ints === undefined ? [] : [ints]).map((id) => Number(text(id)));
  const orders = [...context.state.orders.values()].filter((order) => {
    const owner = goodsOwnerOf(order);
    const orderId = (order.orderInfo as Json).orderId as number;
    return (
      context.user.goodsOwnerIds.includes(owner) &&
      (goodsOwner === undefined || goodsOwner === null || Number(goodsOwner) === owner) &&
      (ids.length === 0 || ids.includes(orderId))
    );
  });
  return { GetOrdersByQueryResult: { Orders: orders.length === 0 ? "" : { Order: orders.map(soapOrder) } } };
}

function updateOrder(context: SoapContext, record: (goodsOwnerId: number) => void): XmlObject {
  const update = child(context.content, "Order");
  const order = visibleOrder(context, integer(update, "OrderId"));
  record(goodsOwnerOf(order));
  const waybill = child(update, "UpdateOrderWaybill");
  const tracking = child(update, "UpdateOrderTracking");
  const newWaybill = waybill ? requiredText(waybill, "Waybill") : undefined;
  let entry: Json | undefined;
  if (tracking) {
    entry = {
      trackingUrl: requiredText(tracking, "TrackingUrl"),
      waybill: requiredText(tracking, "Waybill"),
      isReturn: text(tracking.IsReturn) === "true",
    };
  }
  if (newWaybill !== undefined) (order.orderInfo as Json).wayBill = newWaybill;
  // The REST order's names for the values these set (returnWayBill as in Ongoing's example order).
  const info = order.orderInfo as Json;
  const transporterOrderNumber = child(update, "UpdateOrderTransporterOrderNumber");
  if (transporterOrderNumber)
    info.transporterOrderNumber = requiredText(transporterOrderNumber, "TransporterOrderNumber");
  const freightWeight = child(update, "UpdateOrderTransporterFreightWeight");
  if (freightWeight) info.transporterFreightWeight = decimal(freightWeight, "TransporterFreightWeight");
  const freightPrice = child(update, "UpdateOrderFreightPrice");
  if (freightPrice) info.freightPrice = decimal(freightPrice, "FreightPrice");
  const returnWaybill = child(update, "UpdateOrderReturnWaybill");
  if (returnWaybill) info.returnWayBill = requiredText(returnWaybill, "ReturnWaybill");
  if (entry) {
    const list = (Array.isArray(order.tracking) ? order.tracking : []) as Json[];
    const same = list.findIndex((t) => t.waybill === entry.waybill && t.isReturn === entry.isReturn);
    if (same >= 0) list[same] = entry;
    else list.push(entry);
    order.tracking = list;
  }
  return { UpdateOrderResult: { Success: "true", Message: nil } };
}

function uploadOrderFile(context: SoapContext, record: (goodsOwnerId: number) => void): XmlObject {
  const orderFile = child(context.content, "OrderFile");
  const goodsOwnerId = integer(orderFile, "GoodsOwnerId");
  record(goodsOwnerId);
  const identification = text(orderFile?.OrderFileIdentificationType) ?? "GoodsOwnerOrderNumber";
  let order: Json | undefined;
  if (identification === "OrderId") {
    order = visibleOrder(context, integer(orderFile, "OrderId"));
  } else if (identification === "GoodsOwnerOrderNumber") {
    const orderNumber = requiredText(orderFile, "GoodsOwnerOrderNumber");
    order = [...context.state.orders.values()].find(
      (candidate) =>
        goodsOwnerOf(candidate) === goodsOwnerId && (candidate.orderInfo as Json).orderNumber === orderNumber,
    );
    if (!order || !context.user.goodsOwnerIds.includes(goodsOwnerId)) {
      throw new Refusal(404, `Order with order number ${orderNumber} was not found.`);
    }
  } else {
    throw new Refusal(400, `The OrderFileIdentificationType ${identification} is not supported.`);
  }
  if (goodsOwnerOf(order) !== goodsOwnerId) throw new Refusal(404, "The order was not found.");
  const file = child(orderFile, "File");
  const fileName = requiredText(file, "FileName");
  const mimeType = requiredText(file, "MimeType");
  const fileBytes = requiredText(file, "FileBytes");
  const willBeDeletedAt = text(file?.FileWillBeDeletedAt);
  if (willBeDeletedAt && Number.isNaN(Date.parse(willBeDeletedAt)))
    throw new Refusal(400, "The FileWillBeDeletedAt field is not a date.");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(fileBytes))
    throw new Refusal(400, "The FileBytes field is not valid base 64.");
  const orderId = (order.orderInfo as Json).orderId as number;
  const files = context.state.files.get(orderId) ?? [];
  const id = files.length + 1;
  files.push({
    id,
    fileName,
    mimeType,
    fileDataBase64: fileBytes,
    ...(willBeDeletedAt ? { fileWillBeDeletedAt: willBeDeletedAt } : {}),
  });
  context.state.files.set(orderId, files);
  return { UploadOrderFileResult: { Success: "true", Message: nil, FileId: String(id) } };
}

/**
 * `GetFileList` by goods owner and order id. Ongoing documents the request only; the answer's shape here
 * (`GetFileListResult/Files/FileInfo{FileId, FileName, MimeType}`) is our guess, and the client reads any shape.
 */
function getFileList(context: SoapContext): XmlObject {
  const search = child(context.content, "FileSearchValues");
  const goodsOwnerId = integer(search, "GoodsOwnerId");
  const orderId = Number(text(search?.OrderId));
  const order = Number.isInteger(orderId) ? context.state.orders.get(orderId) : undefined;
  const visible =
    order !== undefined &&
    goodsOwnerOf(order) === goodsOwnerId &&
    context.user.goodsOwnerIds.includes(goodsOwnerId);
  const files = visible ? (context.state.files.get(orderId) ?? []) : [];
  return {
    GetFileListResult: {
      Files:
        files.length === 0
          ? ""
          : {
              FileInfo: files.map((file) =>
                element({
                  FileId: value(file.id),
                  FileName: value(file.fileName),
                  MimeType: value(file.mimeType),
                }),
              ),
            },
    },
  };
}

/** `CreatePrintJob`: recorded (the write record is the simulated printer's output tray). */
function createPrintJob(context: SoapContext, record: (goodsOwnerId: number) => void): XmlObject {
  const job = child(context.content, "PrintJob");
  const goodsOwnerId = integer(child(job, "PrintAsGoodsOwner"), "GoodsOwnerId");
  if (!context.user.goodsOwnerIds.includes(goodsOwnerId))
    throw new Refusal(404, `Goods owner ${goodsOwnerId} was not found.`);
  record(goodsOwnerId);
  integer(job, "ReportId");
  const ints = child(job, "IdsToPrint")?.int;
  const ids = (Array.isArray(ints) ? ints : ints === undefined ? [] : [ints]).map((id) => Number(text(id)));
  if (ids.length === 0) throw new Refusal(400, "The IdsToPrint field is required.");
  for (const id of ids) visibleOrder(context, id);
  return { CreatePrintJobResult: { Success: "true", Message: nil } };
}

const knownStatuses = new Set<string>(transportStatuses);

/** `ReportOrderTransportStatusEvent`: kept per order, `CreateOrUpdate` replacing an event of the same time and status. */
function reportOrderTransportStatusEvent(
  context: SoapContext,
  record: (goodsOwnerId: number) => void,
): XmlObject {
  const operation = child(context.content, "Operation");
  const order = visibleOrder(context, integer(operation, "OrderId"));
  record(goodsOwnerOf(order));
  const kind = requiredText(operation, "Operation");
  if (kind !== "CreateOrUpdate" && kind !== "Create")
    throw new Refusal(400, "The Operation field is invalid.");
  const eventTime = requiredText(operation, "EventTime");
  if (Number.isNaN(Date.parse(eventTime))) throw new Refusal(400, "The EventTime field is not a date.");
  const eventType = requiredText(operation, "EventType");
  if (eventType !== "Delivery" && eventType !== "Return")
    throw new Refusal(400, "The EventType field is invalid.");
  const transportStatus = requiredText(operation, "TransportStatus");
  if (!knownStatuses.has(transportStatus)) throw new Refusal(400, "The TransportStatus field is invalid.");
  const comment = text(operation?.Comment) ?? null;
  if (comment && comment.length > 400) throw new Refusal(400, "The Comment field is longer than 400.");
  const events = (Array.isArray(order.transportStatusEvents) ? order.transportStatusEvents : []) as Json[];
  const entry = { eventTime, eventType, transportStatus, comment };
  const same = events.findIndex((e) => e.eventTime === eventTime && e.transportStatus === transportStatus);
  if (kind === "CreateOrUpdate" && same >= 0) events[same] = entry;
  else events.push(entry);
  order.transportStatusEvents = events;
  return { ReportOrderTransportStatusEventResult: { Success: "true", Message: nil } };
}

const writes: Record<string, { listName: string; handle: typeof updateOrder }> = {
  UpdateOrder: { listName: "Order", handle: updateOrder },
  UploadOrderFile: { listName: "OrderFile", handle: uploadOrderFile },
  CreatePrintJob: { listName: "PrintJob", handle: createPrintJob },
  ReportOrderTransportStatusEvent: { listName: "Operation", handle: reportOrderTransportStatusEvent },
};

/** Answers one SOAP call to `/{warehouse}/Automation.asmx`. */
export async function handleSoap(
  state: OngoingSimulatorState,
  users: AutomationUser[],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const rawBody = await readBody(request);
  if (Buffer.byteLength(rawBody) > state.maxRequestBytes) {
    if (response.destroyed || response.writableEnded) return;
    response.writeHead(413, { "content-type": "text/html; charset=utf-8" });
    response.end("<html><body>413 Request Entity Too Large</body></html>");
    return;
  }
  let body: ReturnType<typeof parseEnvelope> | undefined;
  try {
    body = parseEnvelope(rawBody);
  } catch {
    body = undefined;
  }
  const operation = body && "element" in body ? body.element : "SOAP ?";
  state.count(operation);
  state.requests.push({
    operation,
    method: request.method ?? "POST",
    path: "/Automation.asmx",
    headers: recordedHeaders(request),
    at: new Date().toISOString(),
  });
  if (state.requests.length > 200) state.requests.shift();

  const fault = state.takeFault(request.method ?? "POST", soapFaultPath(operation), rawBody);
  if (fault && !fault.afterWrite) {
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.reset) {
      request.socket.destroy();
      return;
    }
    if (fault.soapFaultCode !== undefined || fault.status === 500) {
      return sendFault(
        response,
        fault.soapFaultCode ?? "Server",
        fault.message ?? "Server was unable to process request. ---> An error has occurred.",
      );
    }
    if (fault.status !== undefined) {
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter };
      if (response.destroyed || response.writableEnded) return;
      response.writeHead(fault.status, { "content-type": "text/html; charset=utf-8", ...headers });
      response.end(`<html><body>${fault.status}</body></html>`);
      return;
    }
  }

  if (request.method !== "POST") return sendFault(response, "Client", "Only POST is supported.");
  if (!body || !("element" in body))
    return sendFault(response, "Client", "The request is not a SOAP envelope.");
  const { content } = body;
  const bearer = bearerLogin(state.oauth, request);
  if (bearer === null) {
    // A bad bearer token is refused by the web server before the SOAP service sees the call.
    if (response.destroyed || response.writableEnded) return;
    response.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token"' });
    response.end();
    return;
  }
  const user = users.find((candidate) =>
    bearer === undefined
      ? candidate.username === text(content.UserName) && candidate.password === text(content.Password)
      : candidate.username === bearer,
  );
  if (!user) return sendFault(response, "Server", "Invalid username or password.");
  if (state.latencyMs > 0) await sleep(state.latencyMs);

  const context: SoapContext = { state, user, content };
  if (operation === "GetOrdersByQuery") {
    return send(response, 200, buildEnvelope("GetOrdersByQueryResponse", getOrdersByQuery(context)));
  }
  if (operation === "GetFileList") {
    return send(response, 200, buildEnvelope("GetFileListResponse", getFileList(context)));
  }
  const write = writes[operation];
  if (!write) {
    return sendFault(response, "Client", `Server did not recognize the value of SOAPAction: ${operation}.`);
  }

  let goodsOwnerId = 0;
  let inFlight = 0;
  const record = (owner: number) => {
    goodsOwnerId = owner;
    inFlight = (state.inFlightWrites.get(owner) ?? 0) + 1;
    state.inFlightWrites.set(owner, inFlight);
  };
  let status = 200;
  let result: XmlObject;
  try {
    result = write.handle(context, record);
  } catch (error) {
    status = error instanceof Refusal ? error.status : 500;
    const message = error instanceof Refusal ? error.message : "An error has occurred.";
    result = { [`${operation}Result`]: { Success: "false", Message: message } };
  } finally {
    if (inFlight > 0)
      state.inFlightWrites.set(goodsOwnerId, (state.inFlightWrites.get(goodsOwnerId) ?? 1) - 1);
  }
  state.writes.push({
    operation,
    method: "POST",
    path: "/Automation.asmx",
    body: child(content, write.listName) ?? null,
    goodsOwnerId,
    status,
    at: new Date().toISOString(),
    concurrent: Math.max(inFlight, 1),
  });
  if (fault?.afterWrite) {
    // Carried out already: now the answer is late (the client has given up), cut, or a Server fault.
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.reset) {
      request.socket.destroy();
      return;
    }
    if (fault.status !== undefined || fault.soapFaultCode !== undefined) {
      return sendFault(response, fault.soapFaultCode ?? "Server", fault.message ?? "An error has occurred.");
    }
  }
  send(response, 200, buildEnvelope(`${operation}Response`, result));
}
