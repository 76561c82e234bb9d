/**
 * The goods-owner REST API v1 routes the simulator answers (the subset this project calls): each an operation
 * name, a method and path pattern, and what it does to the warehouse state.
 */
import { readFileSync } from "node:fs";
import { HttpProblem } from "./answers.ts";
import type { Json, SimulatorUser } from "./seed.ts";
import {
  goodsOwnerIdOf,
  isObject,
  type OngoingSimulatorState,
  orderIdOf,
  parseOngoingTime,
} from "./state.ts";

const statusesExample = JSON.parse(
  readFileSync(
    new URL("./examples/official-rest-example-GET-order-statuses.json", import.meta.url),
    "utf8",
  ).replace(/^\uFEFF/, ""),
) as unknown;

export interface ApiRoute {
  operation: string;
  method: string;
  pattern: RegExp;
  write?: boolean;
  handle: (context: ApiContext) => unknown;
}

export interface ApiContext {
  ids: number[];
  query: URLSearchParams;
  body: unknown;
  user: SimulatorUser;
  state: OngoingSimulatorState;
}

function visibleOrder(context: ApiContext, orderId: number | undefined): Json {
  const order = orderId === undefined ? undefined : context.state.orders.get(orderId);
  if (!order || goodsOwnerIdOf(order) !== context.user.goodsOwnerId) {
    throw new HttpProblem(404, `Order with id ${orderId} was not found.`);
  }
  return order;
}

function visibleArticle(context: ApiContext, articleSystemId: number | undefined): Json {
  const article = articleSystemId === undefined ? undefined : context.state.articles.get(articleSystemId);
  if (!article || goodsOwnerIdOf(article) !== context.user.goodsOwnerId) {
    throw new HttpProblem(404, `Article with id ${articleSystemId} was not found.`);
  }
  return article;
}

function requireGoodsOwner(context: ApiContext): void {
  const value = context.query.get("goodsOwnerId");
  if (value === null || !/^\d+$/.test(value))
    throw new HttpProblem(400, "The goodsOwnerId field is required.");
  if (Number(value) !== context.user.goodsOwnerId) {
    throw new HttpProblem(403, `You do not have access to goods owner ${value}.`);
  }
}

function requireBody(context: ApiContext, fields: Record<string, "string" | "boolean">): Json {
  const body = context.body;
  if (!isObject(body)) throw new HttpProblem(400, "The request is invalid.");
  for (const [field, type] of Object.entries(fields)) {
    const value = body[field];
    if (typeof value !== type || (type === "string" && value === "")) {
      throw new HttpProblem(400, `The ${field} field is required.`);
    }
  }
  return body;
}

const ok = { success: true, message: null };

export const apiRoutes: ApiRoute[] = [
  {
    operation: "getOrderStatuses",
    method: "GET",
    pattern: /^\/orders\/statuses$/,
    handle: () => statusesExample,
  },
  {
    operation: "getOrder",
    method: "GET",
    pattern: /^\/orders\/(\d+)$/,
    handle: (context) => visibleOrder(context, context.ids[0]),
  },
  {
    operation: "findOrderByNumber",
    method: "GET",
    pattern: /^\/orders$/,
    handle: (context) => {
      requireGoodsOwner(context);
      const orderNumber = context.query.get("orderNumber");
      return [...context.state.orders.values()].filter(
        (order) =>
          goodsOwnerIdOf(order) === context.user.goodsOwnerId &&
          (orderNumber === null || (order.orderInfo as Json).orderNumber === orderNumber),
      );
    },
  },
  {
    operation: "getArticle",
    method: "GET",
    pattern: /^\/articles\/(\d+)$/,
    handle: (context) => visibleArticle(context, context.ids[0]),
  },
  {
    operation: "listArticles",
    method: "GET",
    pattern: /^\/articles$/,
    handle: (context) => {
      requireGoodsOwner(context);
      const from = Number(context.query.get("articleSystemIdFrom") ?? 0);
      const max = Number(context.query.get("maxArticlesToGet") ?? 1000);
      const articleNumber = context.query.get("articleNumber");
      const changedSince = context.query.get("articleDataLastUpdatedFrom");
      const since = changedSince === null ? undefined : parseOngoingTime(changedSince);
      if (!Number.isInteger(from) || !Number.isInteger(max) || max < 0 || Number.isNaN(since)) {
        throw new HttpProblem(400, "The request is invalid.");
      }
      // Ascending articleSystemId from `articleSystemIdFrom` (inclusive), at most `maxArticlesToGet`: the
      // cursor paging Ongoing documents ("repeat until a page is empty").
      const ids = context.state.articleIdsOf(context.user.goodsOwnerId);
      let low = 0;
      let high = ids.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if ((ids[middle] as number) < from) low = middle + 1;
        else high = middle;
      }
      const page: Json[] = [];
      for (let index = low; index < ids.length && page.length < max; index++) {
        const article = context.state.articles.get(ids[index] as number) as Json;
        if (articleNumber !== null && article.articleNumber !== articleNumber) continue;
        if (
          since !== undefined &&
          !(
            typeof article.articleDataLastUpdated === "string" &&
            parseOngoingTime(article.articleDataLastUpdated) >= since
          )
        ) {
          continue;
        }
        page.push(article);
      }
      return page;
    },
  },
  {
    operation: "patchWaybill",
    method: "PATCH",
    pattern: /^\/orders\/(\d+)\/waybill$/,
    write: true,
    handle: (context) => {
      const order = visibleOrder(context, context.ids[0]);
      const body = requireBody(context, { waybill: "string" });
      (order.orderInfo as Json).wayBill = body.waybill;
      return ok;
    },
  },
  {
    operation: "patchReturnWaybill",
    method: "PATCH",
    pattern: /^\/orders\/(\d+)\/returnWaybill$/,
    write: true,
    handle: (context) => {
      const order = visibleOrder(context, context.ids[0]);
      const body = requireBody(context, { returnWaybill: "string" });
      (order.orderInfo as Json).returnWayBill = body.returnWaybill;
      return ok;
    },
  },
  {
    operation: "putOrderTracking",
    method: "PUT",
    pattern: /^\/orders\/(\d+)\/orderTracking$/,
    write: true,
    handle: (context) => {
      const order = visibleOrder(context, context.ids[0]);
      const body = requireBody(context, {
        waybill: "string",
        trackingUrl: "string",
        isReturnTracking: "boolean",
      });
      const tracking = (Array.isArray(order.tracking) ? order.tracking : []) as Json[];
      const entry = { trackingUrl: body.trackingUrl, waybill: body.waybill, isReturn: body.isReturnTracking };
      const same = tracking.findIndex(
        (t) => t.waybill === body.waybill && t.isReturn === body.isReturnTracking,
      );
      if (same >= 0) tracking[same] = entry;
      else tracking.push(entry);
      order.tracking = tracking;
      return ok;
    },
  },
  {
    operation: "putParcel",
    method: "PUT",
    pattern: /^\/orders\/(\d+)\/parcels$/,
    write: true,
    handle: (context) => {
      const order = visibleOrder(context, context.ids[0]);
      const body = requireBody(context, { parcelNumber: "string" });
      const type = body.transportAdministrationType ?? "delivery";
      if (type !== "delivery" && type !== "return") {
        throw new HttpProblem(400, "The transportAdministrationType field is invalid.");
      }
      const parcels = (Array.isArray(order.parcels) ? order.parcels : []) as Json[];
      const id = Math.max(0, ...parcels.map((p) => (typeof p.id === "number" ? p.id : 0))) + 1;
      parcels.push({ id, parcelNumber: body.parcelNumber, isReturnParcel: type === "return" });
      order.parcels = parcels;
      return { ...ok, parcelId: id };
    },
  },
  {
    operation: "postOrderFile",
    method: "POST",
    pattern: /^\/orders\/(\d+)\/files$/,
    write: true,
    handle: (context) => {
      const orderId = orderIdOf(visibleOrder(context, context.ids[0])) as number;
      const body = requireBody(context, { fileName: "string", mimeType: "string", fileDataBase64: "string" });
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body.fileDataBase64 as string)) {
        throw new HttpProblem(400, "The fileDataBase64 field is not valid base 64.");
      }
      const files = context.state.files.get(orderId) ?? [];
      const id = files.length + 1;
      files.push({
        id,
        fileName: body.fileName,
        mimeType: body.mimeType,
        fileDataBase64: body.fileDataBase64,
        ...(typeof body.fileWillBeDeletedAt === "string"
          ? { fileWillBeDeletedAt: body.fileWillBeDeletedAt }
          : {}),
      });
      context.state.files.set(orderId, files);
      return { ...ok, fileId: id };
    },
  },
  {
    operation: "getOrderFiles",
    method: "GET",
    pattern: /^\/orders\/(\d+)\/files$/,
    handle: (context) => {
      const orderId = orderIdOf(visibleOrder(context, context.ids[0])) as number;
      return (context.state.files.get(orderId) ?? []).map(({ fileDataBase64: _, ...file }) => file);
    },
  },
];
