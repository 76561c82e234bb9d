/**
 * The Ongoing WMS REST client (API v1) for one goods owner: its calls and what their answers mean, over the
 * shared call engine (call.ts: time-outs, retries, metrics, write serialization, failure classes) with the
 * goods owner's credentials (credentials.ts).
 */
import * as z from "zod";
import { ongoingSettingsSchema } from "../contract/settings.ts";
import { NotFoundError } from "../errors.ts";
import { settingsOf } from "../function-settings.ts";
import { credentialsSecretFor } from "../goods-owners.ts";
import { type CredentialsSource, credentialsFromSecret, tokenSettingsOf } from "./credentials.ts";
import { articleSchema, type OngoingArticle, type OngoingOrder, orderSchema } from "./model.ts";
import { type CallSpec, RestCalls } from "./rest-call.ts";

export interface OngoingClientOptions {
  /** `…/{warehouse}/api/v1/` */
  baseUrl: string;
  /** The client speaks for one goods owner (its credentials). */
  goodsOwnerId: number;
  /** Called before each request; asked to `forceFetch` once after a 401, in case the secret was rotated. */
  credentials: CredentialsSource;
  /** Per request, default 10000. */
  timeoutMs?: number;
  /** Default 4. */
  maxAttempts?: number;
  /** The Lambda's remaining time: retries never run past it. */
  remainingTimeMs?: () => number;
}

export interface OngoingClient {
  /** Throws NotFoundError on 404. */
  getOrder(orderId: number): Promise<OngoingOrder>;
  findOrderByNumber(orderNumber: string): Promise<OngoingOrder | undefined>;
  /** Throws NotFoundError on 404. */
  getArticle(articleSystemId: number): Promise<OngoingArticle>;
  listArticles(query: {
    articleSystemIdFrom?: number;
    maxArticlesToGet?: number;
    articleDataLastUpdatedFrom?: string;
  }): Promise<OngoingArticle[]>;
  /** All pages (cursor = last articleSystemId + 1) until an empty page. */
  pageArticles(query: {
    pageSize?: number;
    articleDataLastUpdatedFrom?: string;
  }): AsyncIterable<OngoingArticle[]>;
  patchWaybill(orderId: number, waybill: string): Promise<void>;
  putOrderTracking(
    orderId: number,
    tracking: { waybill: string; trackingUrl: string; isReturnTracking: boolean },
  ): Promise<void>;
  putParcel(
    orderId: number,
    parcel: { parcelNumber: string; transportAdministrationType?: "delivery" | "return" },
  ): Promise<void>;
  /** `PATCH orders/{id}/returnWaybill` (Ongoing's REST example): sets the order's return waybill. */
  patchReturnWaybill(orderId: number, returnWaybill: string): Promise<void>;
  /** `fileWillBeDeletedAt` lets Ongoing remove the file (the REST name of SOAP's `FileWillBeDeletedAt`). */
  postOrderFile(
    orderId: number,
    file: {
      fileName: string;
      mimeType: string;
      fileDataBase64: string;
      fileWillBeDeletedAt?: Date | undefined;
    },
  ): Promise<void>;
  /** The files attached to an order (names and types, not their content). Throws NotFoundError on 404. */
  getOrderFiles(orderId: number): Promise<OngoingFile[]>;
}

/** A file attached to an order, as listed (REST `GET orders/{id}/files`, SOAP `GetFileList`). */
export interface OngoingFile {
  readonly fileName: string;
  readonly mimeType?: string | undefined;
}

export type OngoingOperation = keyof OngoingClient;

const defaultPageSize = 200;

type OngoingReads = Pick<
  OngoingClient,
  "getOrder" | "findOrderByNumber" | "getArticle" | "listArticles" | "pageArticles" | "getOrderFiles"
>;

/** The calls that read: orders, articles (a page, or all pages), an order's files. */
function readsOf(calls: RestCalls): OngoingReads {
  const { goodsOwnerId } = calls;
  const reads: OngoingReads = {
    async getOrder(orderId) {
      const order = await calls.getJson(
        { operation: "getOrder", method: "GET", path: `orders/${orderId}` },
        orderSchema,
      );
      return calls.checkGoodsOwner("getOrder", order);
    },

    async findOrderByNumber(orderNumber) {
      const spec: CallSpec = {
        operation: "findOrderByNumber",
        method: "GET",
        path: "orders",
        query: { goodsOwnerId, orderNumber },
      };
      try {
        const orders = await calls.getJson(spec, z.array(orderSchema));
        const order =
          orders.find((candidate) => candidate.orderInfo.orderNumber === orderNumber) ?? orders[0];
        return order ? calls.checkGoodsOwner("findOrderByNumber", order) : undefined;
      } catch (error) {
        if (error instanceof NotFoundError) return undefined;
        throw error;
      }
    },

    getArticle(articleSystemId) {
      return calls.getJson(
        { operation: "getArticle", method: "GET", path: `articles/${articleSystemId}` },
        articleSchema,
      );
    },

    listArticles(query) {
      return calls.getJson(
        {
          operation: "listArticles",
          method: "GET",
          path: "articles",
          query: {
            goodsOwnerId,
            articleSystemIdFrom: query.articleSystemIdFrom,
            maxArticlesToGet: query.maxArticlesToGet,
            articleDataLastUpdatedFrom: query.articleDataLastUpdatedFrom,
          },
        },
        z.array(articleSchema),
      );
    },

    async *pageArticles(query) {
      const pageSize = query.pageSize ?? defaultPageSize;
      let articleSystemIdFrom = 0;
      for (;;) {
        const page = await reads.listArticles({
          articleSystemIdFrom,
          maxArticlesToGet: pageSize,
          articleDataLastUpdatedFrom: query.articleDataLastUpdatedFrom,
        });
        if (page.length === 0) return;
        yield page;
        articleSystemIdFrom = Math.max(...page.map((article) => article.articleSystemId)) + 1;
      }
    },

    async getOrderFiles(orderId) {
      // Ongoing documents the call but not its answer: any entry naming a file counts, however it is wrapped.
      const listing = await calls.getJson(
        { operation: "getOrderFiles", method: "GET", path: `orders/${orderId}/files` },
        z.unknown(),
      );
      return filesIn(listing);
    },
  };
  return reads;
}

/** The calls that write, one at a time per goods owner; a write that adds a row is never repeated blindly. */
function writesOf(calls: RestCalls): Omit<OngoingClient, keyof OngoingReads> {
  return {
    patchWaybill(orderId, waybill) {
      return calls.write({
        operation: "patchWaybill",
        method: "PATCH",
        path: `orders/${orderId}/waybill`,
        body: { waybill },
      });
    },

    patchReturnWaybill(orderId, returnWaybill) {
      return calls.write({
        operation: "patchReturnWaybill",
        method: "PATCH",
        path: `orders/${orderId}/returnWaybill`,
        body: { returnWaybill },
      });
    },

    putOrderTracking(orderId, tracking) {
      return calls.write({
        operation: "putOrderTracking",
        method: "PUT",
        path: `orders/${orderId}/orderTracking`,
        // Ongoing's documentation does not say a second PUT replaces the first: treated as adding a row.
        repeatable: false,
        body: {
          waybill: tracking.waybill,
          trackingUrl: tracking.trackingUrl,
          isReturnTracking: tracking.isReturnTracking,
        },
      });
    },

    putParcel(orderId, parcel) {
      return calls.write({
        operation: "putParcel",
        method: "PUT",
        path: `orders/${orderId}/parcels`,
        repeatable: false,
        body: {
          parcelNumber: parcel.parcelNumber,
          transportAdministrationType: parcel.transportAdministrationType ?? "delivery",
        },
      });
    },

    postOrderFile(orderId, file) {
      return calls.write({
        operation: "postOrderFile",
        method: "POST",
        path: `orders/${orderId}/files`,
        repeatable: false,
        body: {
          fileName: file.fileName,
          mimeType: file.mimeType,
          fileDataBase64: file.fileDataBase64,
          ...(file.fileWillBeDeletedAt
            ? { fileWillBeDeletedAt: file.fileWillBeDeletedAt.toISOString() }
            : {}),
        },
      });
    },
  };
}

export function createOngoingClient(options: OngoingClientOptions): OngoingClient {
  const calls = new RestCalls(options);
  return { ...readsOf(calls), ...writesOf(calls) };
}

/** Every object in a file listing with a file name (`fileName`, any case), with its MIME type when given. */
function filesIn(value: unknown): OngoingFile[] {
  if (Array.isArray(value)) return value.flatMap(filesIn);
  if (typeof value !== "object" || value === null) return [];
  const entries = Object.entries(value);
  const field = (name: string) => entries.find(([key]) => key.toLowerCase() === name)?.[1];
  const fileName = field("filename");
  if (typeof fileName === "string" && fileName !== "") {
    const mimeType = field("mimetype");
    return [{ fileName, mimeType: typeof mimeType === "string" ? mimeType : undefined }];
  }
  return entries.flatMap(([, nested]) => filesIn(nested));
}

const clientsByGoodsOwner = new Map<number, { options: OngoingClientOptions; client: OngoingClient }>();

/**
 * The client for a goods owner as configured by the function's settings (ongoingSettingsSchema): base URL,
 * timeout, attempts, and credentials from the goods owner's secret in GOODS_OWNERS or else
 * ONGOING_CREDENTIALS_SECRET. Cached per goods owner per container; a `remainingTimeMs` gives a light client
 * for this invocation over the same cached configuration. Throws PermanentError `no-credentials` when the goods
 * owner has neither.
 */
export function ongoingClientFor(
  goodsOwnerId: number,
  options?: { remainingTimeMs?: () => number },
): OngoingClient {
  let cached = clientsByGoodsOwner.get(goodsOwnerId);
  if (!cached) {
    const settings = settingsOf(ongoingSettingsSchema);
    const secretName = credentialsSecretFor(goodsOwnerId, settings);
    const clientOptions: OngoingClientOptions = {
      baseUrl: settings.ONGOING_BASE_URL,
      goodsOwnerId,
      credentials: credentialsFromSecret(secretName, tokenSettingsOf(settings)),
      timeoutMs: settings.ONGOING_REQUEST_TIMEOUT_MS,
      maxAttempts: settings.ONGOING_MAX_ATTEMPTS,
    };
    cached = { options: clientOptions, client: createOngoingClient(clientOptions) };
    clientsByGoodsOwner.set(goodsOwnerId, cached);
  }
  if (!options?.remainingTimeMs) return cached.client;
  return createOngoingClient({ ...cached.options, remainingTimeMs: options.remainingTimeMs });
}
