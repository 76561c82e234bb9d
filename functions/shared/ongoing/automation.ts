/**
 * The client of Ongoing's SOAP Automation API (`/{warehouse}/Automation.asmx`): one integrator login that works
 * across the goods owners an automation webhook lists. Same time-outs, retries, metrics, write serialization
 * and failure classes as the REST client (it shares its call loop); the order it returns is the same
 * `OngoingOrder`, so a use-case cannot tell which API fetched it.
 *
 * SOAP faults: a fault whose message speaks of the login is handled like a 401 (re-read the secret once, then
 * permanent); other `soap:Client` faults are permanent; `soap:Server` faults may heal (transient). A result
 * with `Success=false` is not found when its message says so, else permanent (Ongoing refused the change).
 */
import type { z } from "zod";
import { NotFoundError, PermanentError } from "../errors.ts";
import type { HttpResponse } from "../http.ts";
import { ongoingSettingsSchema, readSettings } from "../settings.ts";
import type { transportStatuses } from "../webhooks/schemas.ts";
import {
  automationNamespace,
  buildEnvelope,
  child,
  orderFromSoap,
  ordersInResult,
  parseEnvelope,
  resultStatus,
  type SoapFault,
  text,
  type XmlNode,
  type XmlObject,
} from "./automation-xml.ts";
import { callBudget, callOngoing, type OngoingAnswer, serialized, statusAnswer, userAgent } from "./call.ts";
import type { OngoingFile } from "./client.ts";
import {
  type CredentialsSource,
  credentialsFromSecret,
  credentialsPerAttempt,
  tokenSettingsOf,
} from "./credentials.ts";
import { type OngoingOrder, orderSchema } from "./model.ts";

export interface AutomationClientOptions {
  /** `…/{warehouse}/Automation.asmx` */
  url: string;
  /** The integrator's login; asked to `forceFetch` once after a login fault, in case the secret was rotated. */
  credentials: CredentialsSource;
  /** Per request, default 10000. */
  timeoutMs?: number;
  /** Default 4. */
  maxAttempts?: number;
  /** The Lambda's remaining time: retries never run past it. */
  remainingTimeMs?: () => number;
}

export interface AutomationClient {
  /** `GetOrdersByQuery` by order id within the goods owner; NotFoundError when it has no such order. */
  getOrder(goodsOwnerId: number, orderId: number): Promise<OngoingOrder>;
  /** `UpdateOrder` with `UpdateOrderWaybill`. */
  setWaybill(goodsOwnerId: number, orderId: number, waybill: string): Promise<void>;
  /** `UpdateOrder` with `UpdateOrderTracking`. */
  addTracking(
    goodsOwnerId: number,
    orderId: number,
    tracking: { waybill: string; trackingUrl: string; isReturn?: boolean },
  ): Promise<void>;
  /**
   * `UploadOrderFile`, the order named by its goods-owner order number as in Ongoing's example; without
   * `orderNumber` the order is fetched first to learn it.
   */
  uploadOrderFile(
    goodsOwnerId: number,
    order: { orderId: number; orderNumber?: string | null },
    file: OrderFileUpload,
  ): Promise<void>;
  /** `GetFileList` by goods owner and order id: the files attached to the order (names and types). */
  getOrderFiles(goodsOwnerId: number, orderId: number): Promise<OngoingFile[]>;
  /**
   * `UpdateOrder` with the booking's other fields, each its own element (`UpdateOrderTransporterOrderNumber`,
   * `UpdateOrderTransporterFreightWeight`, `UpdateOrderFreightPrice`, `UpdateOrderReturnWaybill`): each sets a
   * value, so repeating the call is harmless.
   */
  updateOrderFields(goodsOwnerId: number, orderId: number, fields: OrderFields): Promise<void>;
  /** `CreatePrintJob`: prints the order's uploaded labels on the warehouse's printer. Never repeated blindly. */
  createPrintJob(goodsOwnerId: number, job: PrintJob): Promise<void>;
  /** `ReportOrderTransportStatusEvent` (`Operation: CreateOrUpdate`). */
  reportTransportStatusEvent(goodsOwnerId: number, event: TransportStatusEvent): Promise<void>;
}

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
function present(content: Record<string, XmlNode | undefined>): XmlObject {
  return Object.fromEntries(Object.entries(content).filter(([, value]) => value !== undefined));
}

/** `…/{warehouse}/api/v1/` → `…/{warehouse}/Automation.asmx`: both APIs live under the warehouse's path. */
export function automationUrlFrom(restBaseUrl: string): string {
  const url = new URL(restBaseUrl);
  url.pathname = `${url.pathname.replace(/\/api\/v1\/?$/i, "").replace(/\/$/, "")}/Automation.asmx`;
  return url.toString();
}

// A login fault from an ASMX service arrives as a server fault; only its words tell it apart.
const loginFault = /password|user ?name|log ?in|authenticat|authori[sz]|credential/i;
const notFoundMessage = /not (be )?found|does not exist|doesn't exist|no such order|unknown order/i;

/** Ongoing's words, shortened; never our request data. */
const ongoingWords = (message: string) =>
  message.trim() === "" ? "no message" : message.trim().slice(0, 300);

function faultAnswer(operation: AutomationOperation, fault: SoapFault): OngoingAnswer<never> {
  const message = `Ongoing ${operation} SOAP fault (${fault.code}): ${ongoingWords(fault.message)}`;
  if (loginFault.test(fault.message)) return { reauthenticate: { code: "ongoing-unauthorized", message } };
  if (notFoundMessage.test(fault.message)) throw new NotFoundError(message);
  if (/^client$/i.test(fault.code)) throw new PermanentError("ongoing-bad-request", message);
  return { retry: { code: "ongoing-unavailable", message } };
}

function interpret(operation: AutomationOperation, response: HttpResponse): OngoingAnswer<XmlObject> {
  let body: ReturnType<typeof parseEnvelope> | undefined;
  try {
    body = parseEnvelope(response.body);
  } catch {
    // Not SOAP (a proxy's page, an empty body): the HTTP status alone decides.
  }
  if (body && "fault" in body) return faultAnswer(operation, body.fault);
  if (response.status === 200 && body) {
    if (body.element !== `${operation}Response`) {
      throw new PermanentError(
        "ongoing-unexpected-response",
        `Ongoing ${operation}: answered with ${body.element}, not ${operation}Response`,
      );
    }
    return { done: body.content };
  }
  if (response.status === 404) {
    throw new PermanentError(
      "ongoing-endpoint-missing",
      `Ongoing ${operation} answered 404: no Automation API at this URL`,
    );
  }
  if (response.status >= 200 && response.status < 300) {
    return {
      retry: { code: "ongoing-unexpected-response", message: `Ongoing ${operation}: the answer is not SOAP` },
    };
  }
  return statusAnswer(operation, response, "no SOAP fault");
}

/** Every element in a `GetFileList` result that names a file, however the list is wrapped (not documented). */
function filesIn(node: XmlNode | undefined): XmlObject[] {
  if (node === undefined || typeof node === "string") return [];
  if (Array.isArray(node)) return node.flatMap(filesIn);
  if ("FileName" in node) return [node];
  return Object.values(node).flatMap((value) => filesIn(value));
}

function checkSuccess(operation: AutomationOperation, result: XmlObject | undefined): void {
  const { success, message } = resultStatus(result);
  if (success) return;
  const detail = `Ongoing ${operation} refused: ${ongoingWords(message)}`;
  if (notFoundMessage.test(message)) throw new NotFoundError(detail);
  if (loginFault.test(message)) throw new PermanentError("ongoing-unauthorized", detail);
  throw new PermanentError("ongoing-rejected", detail);
}

export function createAutomationClient(options: AutomationClientOptions): AutomationClient {
  const budget = callBudget(options);

  function call(operation: AutomationOperation, content: XmlObject, repeatable = true): Promise<XmlObject> {
    const credentialsFor = credentialsPerAttempt(options.credentials, budget);
    return callOngoing(
      {
        operation,
        method: "POST",
        url: options.url,
        repeatable,
        async prepare(forceFetch) {
          const credentials = await credentialsFor(forceFetch);
          const headers: Record<string, string> = {
            "Content-Type": "text/xml; charset=utf-8",
            SOAPAction: `"${automationNamespace}/${operation}"`,
            Accept: "text/xml",
            "User-Agent": userAgent,
          };
          // A token goes in the header, as on the REST APIs; the login fields of the body are then left out.
          if ("accessToken" in credentials) {
            headers.Authorization = `Bearer ${credentials.accessToken}`;
            return { headers, body: buildEnvelope(operation, content) };
          }
          return {
            headers,
            body: buildEnvelope(operation, {
              UserName: credentials.username,
              Password: credentials.password,
              ...content,
            }),
          };
        },
        interpret: (response) => interpret(operation, response),
      },
      budget,
    );
  }

  // Ongoing runs a goods owner's writes one at a time, whichever API they came through. A write that adds
  // something each time (`repeatable: false`) is not repeated after an attempt that may have taken effect.
  const write = (
    goodsOwnerId: number,
    operation: AutomationOperation,
    content: XmlObject,
    { repeatable }: { repeatable: boolean },
  ) =>
    serialized(`${options.url}#${goodsOwnerId}`, async () => {
      const response = await call(operation, content, repeatable);
      checkSuccess(operation, child(response, `${operation}Result`));
    });

  const client: AutomationClient = {
    async getOrder(goodsOwnerId, orderId) {
      const response = await call("GetOrdersByQuery", {
        Query: { GoodsOwnerId: String(goodsOwnerId), OrderIds: { int: [String(orderId)] } },
      });
      const result = child(response, "GetOrdersByQueryResult");
      checkSuccess("GetOrdersByQuery", result);
      const orders = ordersInResult(result).map(orderFromSoap);
      const order = orders.find(
        (candidate) => candidate.orderInfo?.orderId === orderId && candidate.goodsOwner?.id === goodsOwnerId,
      );
      if (!order) {
        throw new NotFoundError(
          `Ongoing GetOrdersByQuery: no order ${orderId} for goods owner ${goodsOwnerId} (${orders.length} other)`,
        );
      }
      const parsed = orderSchema.safeParse(order);
      if (!parsed.success) {
        const where = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
        throw new PermanentError(
          "ongoing-unexpected-response",
          `Ongoing GetOrdersByQuery: the order does not match the model (${where})`,
        );
      }
      return parsed.data;
    },

    setWaybill(goodsOwnerId, orderId, waybill) {
      return write(
        goodsOwnerId,
        "UpdateOrder",
        { Order: { OrderId: String(orderId), UpdateOrderWaybill: { Waybill: waybill } } },
        { repeatable: true },
      );
    },

    addTracking(goodsOwnerId, orderId, tracking) {
      return write(
        goodsOwnerId,
        "UpdateOrder",
        {
          Order: {
            OrderId: String(orderId),
            UpdateOrderTracking: {
              Waybill: tracking.waybill,
              TrackingUrl: tracking.trackingUrl,
              IsReturn: String(tracking.isReturn ?? false),
            },
          },
        },
        { repeatable: false },
      );
    },

    async uploadOrderFile(goodsOwnerId, order, file) {
      const orderNumber =
        order.orderNumber ?? (await client.getOrder(goodsOwnerId, order.orderId)).orderInfo.orderNumber;
      if (!orderNumber) {
        throw new PermanentError(
          "ongoing-order-number-missing",
          `Ongoing UploadOrderFile: order ${order.orderId} has no order number to name it by`,
        );
      }
      return write(
        goodsOwnerId,
        "UploadOrderFile",
        {
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
        },
        { repeatable: false },
      );
    },

    async getOrderFiles(goodsOwnerId, orderId) {
      const response = await call("GetFileList", {
        FileSearchValues: { GoodsOwnerId: String(goodsOwnerId), OrderId: String(orderId) },
      });
      const result = child(response, "GetFileListResult");
      checkSuccess("GetFileList", result);
      return filesIn(result).flatMap((file) => {
        const fileName = text(file.FileName);
        return fileName ? [{ fileName, mimeType: text(file.MimeType) ?? undefined }] : [];
      });
    },

    updateOrderFields(goodsOwnerId, orderId, fields) {
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
      if (Object.keys(updates).length === 0) return Promise.resolve();
      return write(
        goodsOwnerId,
        "UpdateOrder",
        { Order: { OrderId: String(orderId), ...updates } },
        { repeatable: true },
      );
    },

    createPrintJob(goodsOwnerId, job) {
      const { printAsUser: user, printAsComputer: computer } = job;
      return write(
        goodsOwnerId,
        "CreatePrintJob",
        {
          PrintJob: present({
            ReportId: String(job.reportId),
            IdsToPrint: { int: job.idsToPrint.map(String) },
            PrintAsUser: user && present({ UserName: user.userName, UserId: user.userId?.toString() }),
            PrintAsComputer:
              computer &&
              present({ ComputerName: computer.computerName, ComputerId: computer.computerId?.toString() }),
            PrintAsGoodsOwner: { GoodsOwnerId: String(job.printAsGoodsOwnerId ?? goodsOwnerId) },
          }),
        },
        // A print job that may have been made is not made again: a second one prints the labels twice.
        { repeatable: false },
      );
    },

    reportTransportStatusEvent(goodsOwnerId, event) {
      return write(
        goodsOwnerId,
        "ReportOrderTransportStatusEvent",
        {
          Operation: present({
            Operation: "CreateOrUpdate",
            OrderId: String(event.orderId),
            Comment: event.comment?.slice(0, 400),
            EventTime: event.eventTime.toISOString(),
            EventType: event.eventType,
            TransportStatus: event.transportStatus,
          }),
        },
        // CreateOrUpdate: the same event reported again updates it rather than adding one.
        { repeatable: true },
      );
    },
  };
  return client;
}

let cached: { options: AutomationClientOptions; client: AutomationClient } | undefined;

/**
 * The Automation API client as configured by the function's settings: the endpoint beside ONGOING_BASE_URL,
 * the integrator login from ONGOING_AUTOMATION_CREDENTIALS_SECRET, the REST client's time-out and attempts.
 * Cached per container; a `remainingTimeMs` gives a light client for this invocation.
 */
export function automationClientFor(options?: { remainingTimeMs?: () => number }): AutomationClient {
  if (!cached) {
    const settings: z.output<typeof ongoingSettingsSchema> = readSettings(ongoingSettingsSchema);
    const secretName = settings.ONGOING_AUTOMATION_CREDENTIALS_SECRET;
    if (!secretName) {
      throw new PermanentError(
        "ongoing-automation-not-configured",
        "ONGOING_AUTOMATION_CREDENTIALS_SECRET is not set: no login for Ongoing's Automation API",
      );
    }
    const clientOptions: AutomationClientOptions = {
      url: automationUrlFrom(settings.ONGOING_BASE_URL),
      credentials: credentialsFromSecret(secretName, tokenSettingsOf(settings)),
      timeoutMs: settings.ONGOING_REQUEST_TIMEOUT_MS,
      maxAttempts: settings.ONGOING_MAX_ATTEMPTS,
    };
    cached = { options: clientOptions, client: createAutomationClient(clientOptions) };
  }
  if (!options?.remainingTimeMs) return cached.client;
  return createAutomationClient({ ...cached.options, remainingTimeMs: options.remainingTimeMs });
}
