/**
 * What the Automation client sends: the operations it calls, the requests a use-case hands it, and the SOAP
 * content of each (absent values leave their elements out). Pure data, no I/O.
 */
import type { transportStatuses } from "../contract/webhook-schemas.ts";
import type { XmlNode, XmlObject } from "./automation-xml.ts";
/** A file to attach to an order; `willBeDeletedAt` lets Ongoing remove it (labels: after about 30 days). */
export interface OrderFileUpload {
  fileName: string;
  mimeType: string;
  fileDataBase64: string;
  willBeDeletedAt?: Date | undefined;
}

/** Order fields a booking may set besides the waybill and tracking; absent ones are left alone. */
export interface OrderFields {
  transporterOrderNumber?: string | undefined;
  freightWeightKg?: number | undefined;
  freightPrice?: number | undefined;
  returnWaybill?: string | undefined;
}

/** `PrintJob{ReportId, IdsToPrint, PrintAsUser, PrintAsComputer, PrintAsGoodsOwner}` as Ongoing's example. */
export interface PrintJob {
  reportId: number;
  idsToPrint: number[];
  printAsUser?: { userName?: string | undefined; userId?: number | undefined } | undefined;
  printAsComputer?: { computerName?: string | undefined; computerId?: number | undefined } | undefined;
  printAsGoodsOwnerId?: number | undefined;
}

export type TransportStatus = (typeof transportStatuses)[number];

/** One transport status event of an order, as `ReportOrderTransportStatusEvent` takes it. */
export interface TransportStatusEvent {
  orderId: number;
  eventTime: Date;
  eventType: "Delivery" | "Return";
  transportStatus: TransportStatus;
  /** At most 400 characters (Ongoing's limit); longer is cut. */
  comment?: string | undefined;
}

export type AutomationOperation =
  | "GetOrdersByQuery"
  | "UpdateOrder"
  | "UploadOrderFile"
  | "GetFileList"
  | "CreatePrintJob"
  | "ReportOrderTransportStatusEvent";

/** Drops absent values, so the XML leaves out their elements. */
export function present(content: Record<string, XmlNode | undefined>): XmlObject {
  return Object.fromEntries(Object.entries(content).filter(([, value]) => value !== undefined));
}

/** `UpdateOrder` with `UpdateOrderWaybill`. */
export function waybillUpdate(orderId: number, waybill: string): XmlObject {
  return { Order: { OrderId: String(orderId), UpdateOrderWaybill: { Waybill: waybill } } };
}

/** `UpdateOrder` with `UpdateOrderTracking`. */
export function trackingUpdate(
  orderId: number,
  tracking: { waybill: string; trackingUrl: string; isReturn?: boolean },
): XmlObject {
  return {
    Order: {
      OrderId: String(orderId),
      UpdateOrderTracking: {
        Waybill: tracking.waybill,
        TrackingUrl: tracking.trackingUrl,
        IsReturn: String(tracking.isReturn ?? false),
      },
    },
  };
}

/** `UploadOrderFile`, the order named by its goods-owner order number as in Ongoing's example. */
export function orderFileUpload(goodsOwnerId: number, orderNumber: string, file: OrderFileUpload): XmlObject {
  return {
    OrderFile: {
      File: present({
        FileName: file.fileName,
        FileBytes: file.fileDataBase64,
        MimeType: file.mimeType,
        FileWillBeDeletedAt: file.willBeDeletedAt?.toISOString(),
      }),
      GoodsOwnerId: String(goodsOwnerId),
      OrderFileIdentificationType: "GoodsOwnerOrderNumber",
      GoodsOwnerOrderNumber: orderNumber,
    },
  };
}

/** `UpdateOrder` with the given fields, each its own element; undefined when none is given. */
export function orderFieldUpdates(orderId: number, fields: OrderFields): XmlObject | undefined {
  const decimal = (value: number | undefined) => (value === undefined ? undefined : String(value));
  const updates = present({
    UpdateOrderTransporterOrderNumber: fields.transporterOrderNumber && {
      TransporterOrderNumber: fields.transporterOrderNumber,
    },
    UpdateOrderTransporterFreightWeight:
      fields.freightWeightKg === undefined
        ? undefined
        : { TransporterFreightWeight: decimal(fields.freightWeightKg) as string },
    UpdateOrderFreightPrice:
      fields.freightPrice === undefined
        ? undefined
        : { FreightPrice: decimal(fields.freightPrice) as string },
    UpdateOrderReturnWaybill: fields.returnWaybill && { ReturnWaybill: fields.returnWaybill },
  });
  if (Object.keys(updates).length === 0) return undefined;
  return { Order: { OrderId: String(orderId), ...updates } };
}

/** `CreatePrintJob`; the goods owner printed as is the job's, else the calling one. */
export function printJobRequest(goodsOwnerId: number, job: PrintJob): XmlObject {
  const { printAsUser: user, printAsComputer: computer } = job;
  return {
    PrintJob: present({
      ReportId: String(job.reportId),
      IdsToPrint: { int: job.idsToPrint.map(String) },
      PrintAsUser: user && present({ UserName: user.userName, UserId: user.userId?.toString() }),
      PrintAsComputer:
        computer &&
        present({ ComputerName: computer.computerName, ComputerId: computer.computerId?.toString() }),
      PrintAsGoodsOwner: { GoodsOwnerId: String(job.printAsGoodsOwnerId ?? goodsOwnerId) },
    }),
  };
}

/** `ReportOrderTransportStatusEvent` with `Operation: CreateOrUpdate`; the comment cut to Ongoing's 400. */
export function transportStatusReport(event: TransportStatusEvent): XmlObject {
  return {
    Operation: present({
      Operation: "CreateOrUpdate",
      OrderId: String(event.orderId),
      Comment: event.comment?.slice(0, 400),
      EventTime: event.eventTime.toISOString(),
      EventType: event.eventType,
      TransportStatus: event.transportStatus,
    }),
  };
}
