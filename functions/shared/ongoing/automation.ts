import { ongoingSettingsSchema } from "../contract/settings.ts";
import { PermanentError } from "../errors.ts";
import { settingsOf } from "../function-settings.ts";
import { checkSuccess, filesIn, interpret, orderIn } from "./automation-answers.ts";
import {
  type AutomationOperation,
  type OrderFields,
  type OrderFileUpload,
  orderFieldUpdates,
  orderFileUpload,
  type PrintJob,
  printJobRequest,
  type TransportStatusEvent,
  trackingUpdate,
  transportStatusReport,
  waybillUpdate,
} from "./automation-requests.ts";
import { automationNamespace, buildEnvelope, child, text, type XmlObject } from "./automation-xml.ts";
import { callBudget, callOngoing, serialized, userAgent } from "./call.ts";
import type { OngoingFile } from "./client.ts";
import {
  type CredentialsSource,
  credentialsFromSecret,
  credentialsPerAttempt,
  tokenSettingsOf,
} from "./credentials.ts";
import type { OngoingOrder } from "./model.ts";

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

/** `…/{warehouse}/api/v1/` → `…/{warehouse}/Automation.asmx`: both APIs live under the warehouse's path. */
export function automationUrlFrom(restBaseUrl: string): string {
  const url = new URL(restBaseUrl);
  url.pathname = `${url.pathname.replace(/\/api\/v1\/?$/i, "").replace(/\/$/, "")}/Automation.asmx`;
  return url.toString();
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
      return orderIn(result, goodsOwnerId, orderId);
    },

    setWaybill(goodsOwnerId, orderId, waybill) {
      return write(goodsOwnerId, "UpdateOrder", waybillUpdate(orderId, waybill), { repeatable: true });
    },

    addTracking(goodsOwnerId, orderId, tracking) {
      return write(goodsOwnerId, "UpdateOrder", trackingUpdate(orderId, tracking), { repeatable: false });
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
      return write(goodsOwnerId, "UploadOrderFile", orderFileUpload(goodsOwnerId, orderNumber, file), {
        repeatable: false,
      });
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
      const updates = orderFieldUpdates(orderId, fields);
      if (!updates) return Promise.resolve();
      return write(goodsOwnerId, "UpdateOrder", updates, { repeatable: true });
    },

    createPrintJob(goodsOwnerId, job) {
      // A print job that may have been made is not made again: a second one prints the labels twice.
      return write(goodsOwnerId, "CreatePrintJob", printJobRequest(goodsOwnerId, job), { repeatable: false });
    },

    reportTransportStatusEvent(goodsOwnerId, event) {
      // CreateOrUpdate: the same event reported again updates it rather than adding one.
      return write(goodsOwnerId, "ReportOrderTransportStatusEvent", transportStatusReport(event), {
        repeatable: true,
      });
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
    const settings = settingsOf(ongoingSettingsSchema);
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
