/**
 * A simulator of Ongoing WMS's goods-owner REST API v1 (the subset this project calls), for tests and the local
 * stack; never bundled into a Lambda. A real HTTP server: Basic auth or an OAuth bearer token (oauth.ts) scoped to
 * one goods owner per user, JSON and
 * error bodies like Ongoing's (`{"Message": ...}`), injectable faults and latency, and a record of every call
 * and write. Controlled in process through `state`, or over HTTP through the admin API under `/_admin/`.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { closeServer, listen, readBody, recordedHeaders, sleep } from "../http.ts";
import {
  bearerLogin,
  defaultOAuthClients,
  handleTokenRequest,
  type OAuthClient,
  OAuthState,
  tokenPath,
} from "./oauth.ts";
import { buildSeed, defaultUsers, type Json, type SimulatorUser } from "./seed.ts";
import { type AutomationUser, defaultAutomationUsers, handleSoap } from "./soap.ts";

export { defaultOAuthClients, type OAuthClient } from "./oauth.ts";
export type { Json, SimulatorUser } from "./seed.ts";
export { defaultUsers } from "./seed.ts";
export { type AutomationUser, defaultAutomationUsers } from "./soap.ts";

export interface OngoingSimulatorOptions {
  port?: number;
  host?: string;
  /** The warehouse name in the path: `/{warehouse}/api/v1/`. Default `demo`. */
  warehouse?: string;
  /** Added to every API call. Default 0. */
  latencyMs?: number;
  /** Default: `demo`/`demo-password` (goods owner 159) and `other`/`other-password` (goods owner 160). */
  users?: SimulatorUser[];
  /** Integrator logins of the SOAP Automation API. Default: `automation`/`automation-password` (159 and 160). */
  automationUsers?: AutomationUser[];
  /** OAuth 2.0 clients of the token endpoint. Default: `{login}-client`/`{login}-client-secret` per default login. */
  oauthClients?: OAuthClient[];
  /** true (default): official examples plus demo data; "official": only the examples; false: empty. */
  seed?: boolean | "official";
  /**
   * Larger request bodies are answered 413 (Ongoing does not document its limit; IIS's default is 30,000,000
   * bytes). Default 30,000,000.
   */
  maxRequestBytes?: number;
}

/** A fault to inject. Matches the next `times` calls (default 1), or every call for `forMs` when given. */
export interface FaultSpec {
  /** Answer with this status (and `{"Message": message}`). */
  status?: number;
  message?: string;
  /** The `Retry-After` header to send with the status (seconds or an HTTP date). */
  retryAfter?: string;
  /** Destroy the connection without an answer. */
  reset?: boolean;
  /** Wait this long first (longer than the client's time-out = a time-out); alone, the call then proceeds. */
  delayMs?: number;
  times?: number;
  forMs?: number;
  /** Only calls with this HTTP method. */
  method?: string;
  /** Only calls whose API path (e.g. `/orders/50163/waybill`, `/Automation.asmx/UpdateOrder`) matches this. */
  path?: string;
  /** Only calls whose request body matches this (e.g. `UpdateOrderTracking` among the `UpdateOrder` calls). */
  bodyPattern?: string;
  /** A SOAP call answers with a SOAP fault of this code (HTTP 500); `status: 500` alone gives a Server fault. */
  soapFaultCode?: "Client" | "Server";
  /**
   * The call is carried out first, then the fault spoils its answer (`delayMs` past the client's time-out,
   * `reset`, or `status`): the write took effect but the client cannot know it.
   */
  afterWrite?: boolean;
}

export interface Fault extends FaultSpec {
  id: number;
  remaining?: number;
  until?: string;
}

export interface WriteRecord {
  operation: string;
  method: string;
  path: string;
  body: unknown;
  goodsOwnerId: number;
  status: number;
  at: string;
  /** Writes for the same goods owner in flight when this one arrived (itself included). */
  concurrent: number;
}

export interface RecordedRequest {
  operation: string;
  method: string;
  path: string;
  /** Header names as sent, with their values (Authorization masked). */
  headers: Record<string, string>;
  at: string;
}

const recordedRequestLimit = 200;
const statusesExample = JSON.parse(
  readFileSync(
    new URL("./examples/official-rest-example-GET-order-statuses.json", import.meta.url),
    "utf8",
  ).replace(/^\uFEFF/, ""),
) as unknown;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else (arrays included) replaces. */
function deepMerge(target: Json, patch: Json): Json {
  const merged: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = merged[key];
    merged[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

const clone = <T>(value: T): T => structuredClone(value);

function orderIdOf(order: Json): number | undefined {
  const info = order.orderInfo;
  return isObject(info) && typeof info.orderId === "number" ? info.orderId : undefined;
}

function goodsOwnerIdOf(resource: Json): number | undefined {
  const owner = resource.goodsOwner;
  return isObject(owner) && typeof owner.id === "number" ? owner.id : undefined;
}

/** An Ongoing time (UTC, maybe without a zone designator) as epoch milliseconds. */
function parseOngoingTime(value: string): number {
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
}

/** The simulated warehouse and its records, for tests in the same process. */
export class OngoingSimulatorState {
  readonly orders = new Map<number, Json>();
  readonly articles = new Map<number, Json>();
  readonly files = new Map<number, Json[]>();
  readonly writes: WriteRecord[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly calls = new Map<string, number>();
  faults: Fault[] = [];
  latencyMs: number;
  readonly users: SimulatorUser[];
  private nextFaultId = 1;
  private lastArticleUpdate = 0;
  /** Article ids per goods owner in ascending order (Ongoing's paging order), rebuilt after a change. */
  private readonly articleIndex = new Map<number, number[]>();
  readonly inFlightWrites = new Map<number, number>();
  /** The login service: OAuth clients, issued tokens and their lifetime. */
  readonly oauth: OAuthState;
  /** Larger request bodies are answered 413. */
  maxRequestBytes: number;

  constructor(
    private readonly seedMode: boolean | "official",
    private readonly initialLatencyMs: number,
    users: SimulatorUser[],
    maxRequestBytes = 30_000_000,
    oauthClients: OAuthClient[] = defaultOAuthClients,
  ) {
    this.users = users;
    this.oauth = new OAuthState(oauthClients);
    this.maxRequestBytes = maxRequestBytes;
    this.latencyMs = initialLatencyMs;
    this.reset();
  }

  /** Back to the seed: data, records, faults and latency. */
  reset(): void {
    this.orders.clear();
    this.articles.clear();
    this.articleIndex.clear();
    this.files.clear();
    this.writes.length = 0;
    this.requests.length = 0;
    this.calls.clear();
    this.faults = [];
    this.latencyMs = this.initialLatencyMs;
    this.oauth.reset();
    const seed = buildSeed(this.seedMode);
    for (const order of seed.orders) this.orders.set(orderIdOf(order) as number, order);
    for (const article of seed.articles) this.articles.set(article.articleSystemId as number, article);
  }

  /** A goods owner's article ids, ascending: built once per change, so paging a large catalogue stays cheap. */
  articleIdsOf(goodsOwnerId: number): readonly number[] {
    let ids = this.articleIndex.get(goodsOwnerId);
    if (!ids) {
      ids = [];
      for (const [id, article] of this.articles) if (goodsOwnerIdOf(article) === goodsOwnerId) ids.push(id);
      ids.sort((a, b) => a - b);
      this.articleIndex.set(goodsOwnerId, ids);
    }
    return ids;
  }

  private articleChanged(...goodsOwnerIds: (number | undefined)[]): void {
    for (const id of goodsOwnerIds) if (id !== undefined) this.articleIndex.delete(id);
  }

  /**
   * Many articles at once for a goods owner (a large catalogue for a benchmark): consecutive ids from
   * `firstArticleSystemId`, each a copy of `template` with its own number and name.
   */
  generateArticles(options: {
    goodsOwnerId: number;
    firstArticleSystemId: number;
    count: number;
    template?: Json;
    articleDataLastUpdated?: string;
  }): number {
    const { goodsOwnerId, firstArticleSystemId, count } = options;
    if (
      !Number.isInteger(firstArticleSystemId) ||
      !Number.isInteger(count) ||
      count < 0 ||
      count > 1_000_000
    ) {
      throw new Error("firstArticleSystemId and count (0–1000000) must be whole numbers");
    }
    const lastUpdated = options.articleDataLastUpdated ?? this.touch();
    for (let index = 0; index < count; index++) {
      const articleSystemId = firstArticleSystemId + index;
      const previous = this.articles.get(articleSystemId);
      this.articleChanged(previous && goodsOwnerIdOf(previous));
      this.articles.set(articleSystemId, {
        ...clone(options.template ?? {}),
        articleSystemId,
        articleNumber: `GEN-${goodsOwnerId}-${articleSystemId}`,
        articleName: `Generated article ${articleSystemId}`,
        goodsOwner: { id: goodsOwnerId },
        articleDataLastUpdated: lastUpdated,
      });
    }
    this.articleChanged(goodsOwnerId);
    return count;
  }

  /** Creates or replaces an order (`orderInfo.orderId` required, or given as `orderId`). */
  putOrder(order: Json, orderId = orderIdOf(order)): Json {
    if (orderId === undefined) throw new Error("orderInfo.orderId is required");
    if (goodsOwnerIdOf(order) === undefined) throw new Error("goodsOwner.id is required");
    const stored = clone(order);
    stored.orderInfo = { ...(isObject(stored.orderInfo) ? stored.orderInfo : {}), orderId };
    this.orders.set(orderId, stored);
    return clone(stored);
  }

  /** Merges a partial order into a stored one. */
  patchOrder(orderId: number, patch: Json): Json | undefined {
    const current = this.orders.get(orderId);
    if (!current) return undefined;
    return this.putOrder(deepMerge(current, patch), orderId);
  }

  deleteOrder(orderId: number): boolean {
    this.files.delete(orderId);
    return this.orders.delete(orderId);
  }

  /** Creates or replaces an article; `articleDataLastUpdated` is set to now unless given. */
  putArticle(article: Json, articleSystemId = article.articleSystemId as number | undefined): Json {
    if (typeof articleSystemId !== "number") throw new Error("articleSystemId is required");
    if (goodsOwnerIdOf(article) === undefined) throw new Error("goodsOwner.id is required");
    const stored: Json = { ...clone(article), articleSystemId };
    if (typeof stored.articleDataLastUpdated !== "string") stored.articleDataLastUpdated = this.touch();
    const previous = this.articles.get(articleSystemId);
    if (!previous || goodsOwnerIdOf(previous) !== goodsOwnerIdOf(stored)) {
      this.articleChanged(previous && goodsOwnerIdOf(previous), goodsOwnerIdOf(stored));
    }
    this.articles.set(articleSystemId, stored);
    return clone(stored);
  }

  /** Merges a partial article into a stored one and bumps `articleDataLastUpdated`. */
  patchArticle(articleSystemId: number, patch: Json): Json | undefined {
    const current = this.articles.get(articleSystemId);
    if (!current) return undefined;
    const merged = deepMerge(current, patch);
    merged.articleDataLastUpdated = this.touch();
    return this.putArticle(merged, articleSystemId);
  }

  deleteArticle(articleSystemId: number): boolean {
    const previous = this.articles.get(articleSystemId);
    this.articleChanged(previous && goodsOwnerIdOf(previous));
    return this.articles.delete(articleSystemId);
  }

  /** A strictly increasing "now", so every change is visible to a changed-since query. */
  touch(): string {
    this.lastArticleUpdate = Math.max(Date.now(), this.lastArticleUpdate + 1);
    return new Date(this.lastArticleUpdate).toISOString();
  }

  callCounts(): Record<string, number> {
    return Object.fromEntries([...this.calls.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  totalCalls(): number {
    let total = 0;
    for (const count of this.calls.values()) total += count;
    return total;
  }

  /** Forgets call counts, recorded requests and writes. */
  clearCalls(): void {
    this.calls.clear();
    this.requests.length = 0;
    this.writes.length = 0;
  }

  addFault(spec: FaultSpec): Fault {
    if (spec.path !== undefined) new RegExp(spec.path);
    if (spec.bodyPattern !== undefined) new RegExp(spec.bodyPattern);
    const fault: Fault = { ...spec, id: this.nextFaultId++ };
    if (spec.forMs !== undefined) fault.until = new Date(Date.now() + spec.forMs).toISOString();
    else fault.remaining = spec.times ?? 1;
    this.faults.push(fault);
    return { ...fault };
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** The first live fault matching a call, consumed by one. */
  takeFault(method: string, path: string, body = ""): Fault | undefined {
    const now = Date.now();
    this.faults = this.faults.filter(
      (fault) => (fault.remaining ?? 1) > 0 && (fault.until === undefined || Date.parse(fault.until) > now),
    );
    const fault = this.faults.find(
      (candidate) =>
        (candidate.method === undefined || candidate.method.toUpperCase() === method) &&
        (candidate.path === undefined || new RegExp(candidate.path).test(path)) &&
        (candidate.bodyPattern === undefined || new RegExp(candidate.bodyPattern).test(body)),
    );
    if (fault?.remaining !== undefined) fault.remaining--;
    return fault;
  }

  count(operation: string): void {
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
  }
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface ApiRoute {
  operation: string;
  method: string;
  pattern: RegExp;
  write?: boolean;
  handle: (context: ApiContext) => unknown;
}

interface ApiContext {
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

const apiRoutes: ApiRoute[] = [
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

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  if (response.destroyed || response.writableEnded) return;
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  response.end(body === undefined ? "" : JSON.stringify(body));
}

function credentialsOf(state: OngoingSimulatorState, request: IncomingMessage): SimulatorUser | undefined {
  const users = state.users;
  const bearer = bearerLogin(state.oauth, request);
  if (bearer !== undefined) return users.find((user) => user.username === bearer);
  const header = request.headers.authorization ?? "";
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return users.find((user) => user.username === username && user.password === password);
}

async function handleApi(
  state: OngoingSimulatorState,
  request: IncomingMessage,
  response: ServerResponse,
  apiPath: string,
  query: URLSearchParams,
): Promise<void> {
  const method = request.method ?? "GET";
  const matches = apiRoutes.filter((route) => route.pattern.test(apiPath));
  const route = matches.find((candidate) => candidate.method === method);
  const operation = route?.operation ?? `${method} ${apiPath.replace(/\d+/g, "{id}")}`;
  state.count(operation);
  state.requests.push({
    operation,
    method,
    path: apiPath,
    headers: recordedHeaders(request),
    at: new Date().toISOString(),
  });
  if (state.requests.length > recordedRequestLimit) state.requests.shift();
  const rawBody = await readBody(request);
  if (Buffer.byteLength(rawBody) > state.maxRequestBytes) {
    return sendJson(response, 413, { Message: "The request is too large." });
  }

  const fault = state.takeFault(method, apiPath, rawBody);
  if (fault && !fault.afterWrite) {
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.reset) {
      request.socket.destroy();
      return;
    }
    if (fault.status !== undefined) {
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter };
      return sendJson(
        response,
        fault.status,
        { Message: fault.message ?? "An error has occurred." },
        headers,
      );
    }
  }

  const user = credentialsOf(state, request);
  if (!user) {
    const bearer = /^Bearer\s/i.test(request.headers.authorization ?? "");
    return sendJson(
      response,
      401,
      { Message: "Authorization has been denied for this request." },
      { "www-authenticate": bearer ? 'Bearer error="invalid_token"' : 'Basic realm="Ongoing WMS"' },
    );
  }
  if (!route) {
    if (matches.length > 0) {
      return sendJson(response, 405, {
        Message: `The requested resource does not support http method '${method}'.`,
      });
    }
    return sendJson(response, 404, {
      Message: `No HTTP resource was found that matches the request URI '${apiPath}'.`,
    });
  }

  const inFlight = (state.inFlightWrites.get(user.goodsOwnerId) ?? 0) + (route.write ? 1 : 0);
  if (route.write) state.inFlightWrites.set(user.goodsOwnerId, inFlight);
  let status = 200;
  let body: unknown;
  try {
    if (state.latencyMs > 0) await sleep(state.latencyMs);
    let parsedBody: unknown;
    if (route.write) {
      const contentType = request.headers["content-type"] ?? "";
      if (!/^application\/json\b/i.test(contentType)) {
        throw new HttpProblem(
          415,
          `The request entity's media type '${contentType}' is not supported for this resource.`,
        );
      }
      try {
        parsedBody = JSON.parse(rawBody);
      } catch {
        throw new HttpProblem(400, "The request is invalid.");
      }
    }
    const ids = (route.pattern.exec(apiPath) ?? []).slice(1).map(Number);
    body = route.handle({ ids, query, body: parsedBody, user, state });
  } catch (error) {
    status = error instanceof HttpProblem ? error.status : 500;
    body = { Message: error instanceof HttpProblem ? error.message : "An error has occurred." };
  } finally {
    if (route.write)
      state.inFlightWrites.set(user.goodsOwnerId, (state.inFlightWrites.get(user.goodsOwnerId) ?? 1) - 1);
  }
  if (route.write) {
    let recordedBody: unknown = rawBody;
    try {
      recordedBody = JSON.parse(rawBody);
    } catch {
      // Kept as text: the write record shows what was sent.
    }
    state.writes.push({
      operation,
      method,
      path: apiPath,
      body: recordedBody,
      goodsOwnerId: user.goodsOwnerId,
      status,
      at: new Date().toISOString(),
      concurrent: inFlight,
    });
  }
  if (fault?.afterWrite) {
    // Carried out already: now the answer is late (the client has given up), cut, or a failure.
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.reset) {
      request.socket.destroy();
      return;
    }
    if (fault.status !== undefined) {
      return sendJson(response, fault.status, { Message: fault.message ?? "An error has occurred." });
    }
  }
  sendJson(response, status, body);
}

function adminNumber(value: string | undefined): number {
  const number = Number(value);
  if (!Number.isInteger(number)) throw new HttpProblem(400, "not an id");
  return number;
}

async function handleAdmin(
  state: OngoingSimulatorState,
  request: IncomingMessage,
  response: ServerResponse,
  adminPath: string,
  query: URLSearchParams,
): Promise<void> {
  const method = request.method ?? "GET";
  const raw = await readBody(request);
  let body: unknown;
  if (raw !== "") {
    try {
      body = JSON.parse(raw);
    } catch {
      return sendJson(response, 400, { Message: "body is not JSON" });
    }
  }
  const jsonBody = () => {
    if (!isObject(body)) throw new HttpProblem(400, "a JSON object body is required");
    return body;
  };
  const ownerFilter = query.get("goodsOwnerId");
  const ofOwner = (resource: Json) =>
    ownerFilter === null || goodsOwnerIdOf(resource) === Number(ownerFilter);
  const segments = adminPath.split("/").filter(Boolean);
  const [collection, id] = segments;
  // A numeric segment is a record's id; a word names an action (`articles/generate`), except in a collection
  // whose records are named (an OAuth client's id is a word).
  const namedRecords = collection === "oauth-clients";
  const key = `${method} ${collection ?? ""}${id === undefined ? "" : namedRecords || /^\d+$/.test(id) ? "/:id" : `/${id}`}`;
  try {
    const notFound = () => new HttpProblem(404, `${collection} ${id} not found`);
    const found = <T>(value: T | undefined): T => {
      if (value === undefined) throw notFound();
      return value;
    };
    switch (key) {
      case "GET ":
        return sendJson(response, 200, {
          orders: state.orders.size,
          articles: state.articles.size,
          writes: state.writes.length,
          calls: state.totalCalls(),
          faults: state.faults,
          latencyMs: state.latencyMs,
        });
      case "GET orders":
        return sendJson(response, 200, [...state.orders.values()].filter(ofOwner));
      case "POST orders": {
        const order = jsonBody();
        const orderId = orderIdOf(order) ?? Math.max(100_000, ...state.orders.keys()) + 1;
        return sendJson(response, 201, state.putOrder(order, orderId));
      }
      case "GET orders/:id":
        return sendJson(response, 200, found(state.orders.get(adminNumber(id))));
      case "PUT orders/:id":
        return sendJson(response, 200, state.putOrder(jsonBody(), adminNumber(id)));
      case "PATCH orders/:id":
        return sendJson(response, 200, found(state.patchOrder(adminNumber(id), jsonBody())));
      case "DELETE orders/:id":
        if (!state.deleteOrder(adminNumber(id))) throw notFound();
        return sendJson(response, 204, undefined);
      case "GET articles":
        return sendJson(response, 200, [...state.articles.values()].filter(ofOwner));
      case "POST articles": {
        const article = jsonBody();
        const articleSystemId =
          typeof article.articleSystemId === "number"
            ? article.articleSystemId
            : Math.max(100_000, ...state.articles.keys()) + 1;
        return sendJson(
          response,
          201,
          state.putArticle({ ...article, articleDataLastUpdated: undefined }, articleSystemId),
        );
      }
      case "POST articles/generate": {
        const spec = jsonBody();
        const templateId = spec.templateArticleSystemId;
        const template = typeof templateId === "number" ? found(state.articles.get(templateId)) : undefined;
        const count = state.generateArticles({
          goodsOwnerId: adminNumber(String(spec.goodsOwnerId)),
          firstArticleSystemId: adminNumber(String(spec.firstArticleSystemId)),
          count: adminNumber(String(spec.count)),
          ...(template ? { template } : {}),
          ...(typeof spec.articleDataLastUpdated === "string"
            ? { articleDataLastUpdated: spec.articleDataLastUpdated }
            : {}),
        });
        return sendJson(response, 201, { generated: count, articles: state.articles.size });
      }
      case "GET articles/:id":
        return sendJson(response, 200, found(state.articles.get(adminNumber(id))));
      case "PUT articles/:id":
        return sendJson(
          response,
          200,
          state.putArticle({ ...jsonBody(), articleDataLastUpdated: undefined }, adminNumber(id)),
        );
      case "PATCH articles/:id":
        return sendJson(response, 200, found(state.patchArticle(adminNumber(id), jsonBody())));
      case "DELETE articles/:id":
        if (!state.deleteArticle(adminNumber(id))) throw notFound();
        return sendJson(response, 204, undefined);
      case "GET writes":
        return sendJson(
          response,
          200,
          state.writes.filter((write) => ofOwner({ goodsOwner: { id: write.goodsOwnerId } })),
        );
      case "DELETE writes":
        state.writes.length = 0;
        return sendJson(response, 204, undefined);
      case "GET calls":
        return sendJson(response, 200, { total: state.totalCalls(), byOperation: state.callCounts() });
      case "DELETE calls":
        state.clearCalls();
        return sendJson(response, 204, undefined);
      case "GET requests":
        return sendJson(response, 200, state.requests);
      case "GET faults":
        return sendJson(response, 200, state.faults);
      case "POST faults":
        return sendJson(response, 201, state.addFault(jsonBody() as FaultSpec));
      case "DELETE faults":
        state.clearFaults();
        return sendJson(response, 204, undefined);
      case "DELETE faults/:id":
        state.faults = state.faults.filter((fault) => fault.id !== adminNumber(id));
        return sendJson(response, 204, undefined);
      case "GET latency":
        return sendJson(response, 200, { latencyMs: state.latencyMs });
      case "PUT latency": {
        const latencyMs = jsonBody().latencyMs;
        if (typeof latencyMs !== "number" || latencyMs < 0)
          throw new HttpProblem(400, "latencyMs must be >= 0");
        state.latencyMs = latencyMs;
        return sendJson(response, 200, { latencyMs });
      }
      case "GET oauth":
        return sendJson(response, 200, state.oauth.summary());
      case "PUT oauth": {
        const lifetime = jsonBody().tokenLifetimeSeconds;
        if (typeof lifetime !== "number" || lifetime < 1)
          throw new HttpProblem(400, "tokenLifetimeSeconds must be >= 1");
        state.oauth.tokenLifetimeSeconds = lifetime;
        return sendJson(response, 200, state.oauth.summary());
      }
      case "POST oauth/expire-tokens":
        state.oauth.expireTokens();
        return sendJson(response, 204, undefined);
      case "PUT oauth-clients/:id": {
        const secret = isObject(body) ? body.clientSecret : undefined;
        if (secret !== undefined && (typeof secret !== "string" || secret === ""))
          throw new HttpProblem(400, "clientSecret must be a non-empty string");
        if (!state.oauth.clients.has(String(id))) throw notFound();
        return sendJson(response, 200, state.oauth.reissueSecret(String(id), secret));
      }
      case "POST reset":
        state.reset();
        return sendJson(response, 204, undefined);
      default:
        return sendJson(response, 404, { Message: `no admin route ${method} /_admin/${adminPath}` });
    }
  } catch (error) {
    const status = error instanceof HttpProblem ? error.status : 400;
    return sendJson(response, status, { Message: error instanceof Error ? error.message : String(error) });
  }
}

export interface OngoingSimulator {
  /** `http://127.0.0.1:PORT/{warehouse}/api/v1/` */
  readonly baseUrl: string;
  /** `http://127.0.0.1:PORT/{warehouse}/Automation.asmx` (SOAP) */
  readonly automationUrl: string;
  /** `http://127.0.0.1:PORT/connect/token`: the login service's OAuth 2.0 token endpoint. */
  readonly tokenUrl: string;
  /** `http://127.0.0.1:PORT/_admin/` */
  readonly adminUrl: string;
  readonly state: OngoingSimulatorState;
  stop(): Promise<void>;
}

export async function startOngoingSimulator(
  options: OngoingSimulatorOptions = {},
): Promise<OngoingSimulator> {
  const warehouse = options.warehouse ?? "demo";
  const state = new OngoingSimulatorState(
    options.seed ?? true,
    options.latencyMs ?? 0,
    options.users ?? defaultUsers,
    options.maxRequestBytes,
    options.oauthClients,
  );
  const apiPrefix = `/${warehouse}/api/v1`;
  const automationUsers = options.automationUsers ?? defaultAutomationUsers;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://simulator");
    const path = url.pathname;
    let handled: Promise<void>;
    if (path.startsWith("/_admin/") || path === "/_admin") {
      handled = handleAdmin(
        state,
        request,
        response,
        path.slice("/_admin".length).replace(/^\//, ""),
        url.searchParams,
      );
    } else if (path === tokenPath) {
      handled = handleTokenRequest(state, request, response);
    } else if (path.toLowerCase() === `/${warehouse}/automation.asmx`.toLowerCase()) {
      handled = handleSoap(state, automationUsers, request, response);
    } else if (path.toLowerCase().startsWith(`${apiPrefix.toLowerCase()}/`)) {
      handled = handleApi(state, request, response, path.slice(apiPrefix.length), url.searchParams);
    } else {
      handled = Promise.resolve(sendJson(response, 404, { Message: "Not found." }));
    }
    handled.catch(() => sendJson(response, 500, { Message: "An error has occurred." }));
  });
  const port = await listen(server, options);
  const host = options.host === undefined || options.host === "0.0.0.0" ? "127.0.0.1" : options.host;
  const origin = `http://${host}:${port}`;
  return {
    baseUrl: `${origin}${apiPrefix}/`,
    automationUrl: `${origin}/${warehouse}/Automation.asmx`,
    tokenUrl: `${origin}${tokenPath}`,
    adminUrl: `${origin}/_admin/`,
    state,
    stop: () => closeServer(server),
  };
}
