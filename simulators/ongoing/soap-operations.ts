/**
 * The SOAP Automation API operations the simulator carries out on its warehouse: the reads (`GetOrdersByQuery`,
 * `GetFileList`) and the writes (`UpdateOrder`, `UploadOrderFile`, `CreatePrintJob`,
 * `ReportOrderTransportStatusEvent`), each checking what Ongoing checks and refusing as Ongoing does.
 */

import { transportStatuses } from "../../functions/shared/contract/webhook-schemas.ts";
import { child, text, type XmlObject } from "../../functions/shared/ongoing/automation-xml.ts";
import type { Json } from "./seed.ts";
import { element, nil, soapOrder, value } from "./soap-order.ts";
import { isObject, type OngoingSimulatorState } from "./state.ts";

export interface AutomationUser {
  username: string;
  password: string;
  /** The goods owners this integrator login sees. */
  goodsOwnerIds: number[];
}

/** A refusal Ongoing reports as `Success=false` with a message; `status` is the REST answer's equivalent. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SoapContext {
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

export function getOrdersByQuery(context: SoapContext): XmlObject {
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
export function getFileList(context: SoapContext): XmlObject {
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

export const writes: Record<string, { listName: string; handle: typeof updateOrder }> = {
  UpdateOrder: { listName: "Order", handle: updateOrder },
  UploadOrderFile: { listName: "OrderFile", handle: uploadOrderFile },
  CreatePrintJob: { listName: "PrintJob", handle: createPrintJob },
  ReportOrderTransportStatusEvent: { listName: "Operation", handle: reportOrderTransportStatusEvent },
};
