/**
 * The simulator's admin API under `/_admin/`: read and change the warehouse (orders, articles), the call and
 * write records, injected faults, latency and the login service, over HTTP (for the local stack and scripts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "../http.ts";
import { HttpProblem, sendJson } from "./answers.ts";
import type { Json } from "./seed.ts";
import { type FaultSpec, goodsOwnerIdOf, isObject, type OngoingSimulatorState, orderIdOf } from "./state.ts";

interface AdminCall {
  state: OngoingSimulatorState;
  /** The record's id segment (`orders/:id`), as given. */
  id: string | undefined;
  /** The parsed JSON body, if any. */
  body: unknown;
  /** The body, which must be a JSON object. */
  jsonBody: () => Json;
  /** Whether a resource belongs to the `goodsOwnerId` query's goods owner (all do without one). */
  ofOwner: (resource: Json) => boolean;
  found: <T>(value: T | undefined) => T;
  notFound: () => HttpProblem;
}

/** A status and a JSON body (none for 204). */
type Answer = [status: number, body?: unknown];
type AdminRoute = (call: AdminCall) => Answer;

function adminNumber(value: string | undefined): number {
  const number = Number(value);
  if (!Number.isInteger(number)) throw new HttpProblem(400, "not an id");
  return number;
}

const warehouseRoutes: Record<string, AdminRoute> = {
  "GET ": ({ state }) => [
    200,
    {
      orders: state.orders.size,
      articles: state.articles.size,
      writes: state.writes.length,
      calls: state.totalCalls(),
      faults: state.faults,
      latencyMs: state.latencyMs,
    },
  ],
  "GET orders": ({ state, ofOwner }) => [200, [...state.orders.values()].filter(ofOwner)],
  "POST orders": ({ state, jsonBody }) => {
    const order = jsonBody();
    const orderId = orderIdOf(order) ?? Math.max(100_000, ...state.orders.keys()) + 1;
    return [201, state.putOrder(order, orderId)];
  },
  "GET orders/:id": ({ state, id, found }) => [200, found(state.orders.get(adminNumber(id)))],
  "PUT orders/:id": ({ state, id, jsonBody }) => [200, state.putOrder(jsonBody(), adminNumber(id))],
  "PATCH orders/:id": ({ state, id, jsonBody, found }) => [
    200,
    found(state.patchOrder(adminNumber(id), jsonBody())),
  ],
  "DELETE orders/:id": ({ state, id, notFound }) => {
    if (!state.deleteOrder(adminNumber(id))) throw notFound();
    return [204];
  },
  "GET articles": ({ state, ofOwner }) => [200, [...state.articles.values()].filter(ofOwner)],
  "POST articles": ({ state, jsonBody }) => {
    const article = jsonBody();
    const articleSystemId =
      typeof article.articleSystemId === "number"
        ? article.articleSystemId
        : Math.max(100_000, ...state.articles.keys()) + 1;
    return [201, state.putArticle({ ...article, articleDataLastUpdated: undefined }, articleSystemId)];
  },
  "POST articles/generate": ({ state, jsonBody, found }) => {
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
    return [201, { generated: count, articles: state.articles.size }];
  },
  "GET articles/:id": ({ state, id, found }) => [200, found(state.articles.get(adminNumber(id)))],
  "PUT articles/:id": ({ state, id, jsonBody }) => [
    200,
    state.putArticle({ ...jsonBody(), articleDataLastUpdated: undefined }, adminNumber(id)),
  ],
  "PATCH articles/:id": ({ state, id, jsonBody, found }) => [
    200,
    found(state.patchArticle(adminNumber(id), jsonBody())),
  ],
  "DELETE articles/:id": ({ state, id, notFound }) => {
    if (!state.deleteArticle(adminNumber(id))) throw notFound();
    return [204];
  },
  "POST reset": ({ state }) => {
    state.reset();
    return [204];
  },
};

const recordRoutes: Record<string, AdminRoute> = {
  "GET writes": ({ state, ofOwner }) => [
    200,
    state.writes.filter((write) => ofOwner({ goodsOwner: { id: write.goodsOwnerId } })),
  ],
  "DELETE writes": ({ state }) => {
    state.writes.length = 0;
    return [204];
  },
  "GET calls": ({ state }) => [200, { total: state.totalCalls(), byOperation: state.callCounts() }],
  "DELETE calls": ({ state }) => {
    state.clearCalls();
    return [204];
  },
  "GET requests": ({ state }) => [200, state.requests],
  "GET faults": ({ state }) => [200, state.faults],
  "POST faults": ({ state, jsonBody }) => [201, state.addFault(jsonBody() as FaultSpec)],
  "DELETE faults": ({ state }) => {
    state.clearFaults();
    return [204];
  },
  "DELETE faults/:id": ({ state, id }) => {
    state.faults = state.faults.filter((fault) => fault.id !== adminNumber(id));
    return [204];
  },
  "GET latency": ({ state }) => [200, { latencyMs: state.latencyMs }],
  "PUT latency": ({ state, jsonBody }) => {
    const latencyMs = jsonBody().latencyMs;
    if (typeof latencyMs !== "number" || latencyMs < 0) throw new HttpProblem(400, "latencyMs must be >= 0");
    state.latencyMs = latencyMs;
    return [200, { latencyMs }];
  },
};

const loginRoutes: Record<string, AdminRoute> = {
  "GET oauth": ({ state }) => [200, state.oauth.summary()],
  "PUT oauth": ({ state, jsonBody }) => {
    const lifetime = jsonBody().tokenLifetimeSeconds;
    if (typeof lifetime !== "number" || lifetime < 1)
      throw new HttpProblem(400, "tokenLifetimeSeconds must be >= 1");
    state.oauth.tokenLifetimeSeconds = lifetime;
    return [200, state.oauth.summary()];
  },
  "POST oauth/expire-tokens": ({ state }) => {
    state.oauth.expireTokens();
    return [204];
  },
  "PUT oauth-clients/:id": ({ state, id, body, notFound }) => {
    const secret = isObject(body) ? body.clientSecret : undefined;
    if (secret !== undefined && (typeof secret !== "string" || secret === ""))
      throw new HttpProblem(400, "clientSecret must be a non-empty string");
    if (!state.oauth.clients.has(String(id))) throw notFound();
    return [200, state.oauth.reissueSecret(String(id), secret)];
  },
};

const adminRoutes: Record<string, AdminRoute> = { ...warehouseRoutes, ...recordRoutes, ...loginRoutes };

export async function handleAdmin(
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
  const ownerFilter = query.get("goodsOwnerId");
  const segments = adminPath.split("/").filter(Boolean);
  const [collection, id] = segments;
  // A numeric segment is a record's id; a word names an action (`articles/generate`), except in a collection
  // whose records are named (an OAuth client's id is a word).
  const namedRecords = collection === "oauth-clients";
  const key = `${method} ${collection ?? ""}${id === undefined ? "" : namedRecords || /^\d+$/.test(id) ? "/:id" : `/${id}`}`;
  const route = Object.hasOwn(adminRoutes, key) ? adminRoutes[key] : undefined;
  if (!route) return sendJson(response, 404, { Message: `no admin route ${method} /_admin/${adminPath}` });
  const notFound = () => new HttpProblem(404, `${collection} ${id} not found`);
  try {
    const [status, answer] = route({
      state,
      id,
      body,
      jsonBody: () => {
        if (!isObject(body)) throw new HttpProblem(400, "a JSON object body is required");
        return body;
      },
      ofOwner: (resource) => ownerFilter === null || goodsOwnerIdOf(resource) === Number(ownerFilter),
      found: (value) => {
        if (value === undefined) throw notFound();
        return value;
      },
      notFound,
    });
    return sendJson(response, status, answer);
  } catch (error) {
    const status = error instanceof HttpProblem ? error.status : 400;
    return sendJson(response, status, { Message: error instanceof Error ? error.message : String(error) });
  }
}
