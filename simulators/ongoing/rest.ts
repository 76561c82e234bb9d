/**
 * Answers one call to the goods-owner REST API (`/{warehouse}/api/v1/...`): records it, applies an injected
 * fault, checks the login (Basic or an OAuth bearer token), runs the matching route and records a write.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, recordedHeaders, sleep } from "../http.ts";
import { HttpProblem, sendJson } from "./answers.ts";
import { bearerLogin } from "./oauth.ts";
import { type ApiRoute, apiRoutes } from "./rest-routes.ts";
import type { SimulatorUser } from "./seed.ts";
import type { Fault, OngoingSimulatorState } from "./state.ts";

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

/** A fault before the call is carried out; true when it answered (or cut) the call. */
async function answeredByFault(
  fault: Fault | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<boolean> {
  if (!fault || fault.afterWrite) return false;
  if (fault.delayMs) await sleep(fault.delayMs);
  if (fault.reset) {
    request.socket.destroy();
    return true;
  }
  if (fault.status === undefined) return false;
  const headers: Record<string, string> =
    fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter };
  sendJson(response, fault.status, { Message: fault.message ?? "An error has occurred." }, headers);
  return true;
}

/** A fault after the call was carried out; true when it spoiled the answer. */
async function spoiledByFault(
  fault: Fault | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<boolean> {
  if (!fault?.afterWrite) return false;
  // Carried out already: now the answer is late (the client has given up), cut, or a failure.
  if (fault.delayMs) await sleep(fault.delayMs);
  if (fault.reset) {
    request.socket.destroy();
    return true;
  }
  if (fault.status === undefined) return false;
  sendJson(response, fault.status, { Message: fault.message ?? "An error has occurred." });
  return true;
}

function refuseLogin(request: IncomingMessage, response: ServerResponse): void {
  const bearer = /^Bearer\s/i.test(request.headers.authorization ?? "");
  sendJson(
    response,
    401,
    { Message: "Authorization has been denied for this request." },
    { "www-authenticate": bearer ? 'Bearer error="invalid_token"' : 'Basic realm="Ongoing WMS"' },
  );
}

function parseWriteBody(request: IncomingMessage, rawBody: string): unknown {
  const contentType = request.headers["content-type"] ?? "";
  if (!/^application\/json\b/i.test(contentType)) {
    throw new HttpProblem(
      415,
      `The request entity's media type '${contentType}' is not supported for this resource.`,
    );
  }
  try {
    return JSON.parse(rawBody);
  } catch {
    throw new HttpProblem(400, "The request is invalid.");
  }
}

interface RouteCall {
  state: OngoingSimulatorState;
  request: IncomingMessage;
  route: ApiRoute;
  apiPath: string;
  query: URLSearchParams;
  rawBody: string;
  user: SimulatorUser;
}

/** Runs the route (after the simulated latency), counting the goods owner's writes in flight meanwhile. */
async function runRoute(call: RouteCall): Promise<{ status: number; body: unknown; inFlight: number }> {
  const { state, route, user } = call;
  const inFlight = (state.inFlightWrites.get(user.goodsOwnerId) ?? 0) + (route.write ? 1 : 0);
  if (route.write) state.inFlightWrites.set(user.goodsOwnerId, inFlight);
  try {
    if (state.latencyMs > 0) await sleep(state.latencyMs);
    const parsedBody = route.write ? parseWriteBody(call.request, call.rawBody) : undefined;
    const ids = (route.pattern.exec(call.apiPath) ?? []).slice(1).map(Number);
    return {
      status: 200,
      body: route.handle({ ids, query: call.query, body: parsedBody, user, state }),
      inFlight,
    };
  } catch (error) {
    const status = error instanceof HttpProblem ? error.status : 500;
    return {
      status,
      body: { Message: error instanceof HttpProblem ? error.message : "An error has occurred." },
      inFlight,
    };
  } finally {
    if (route.write)
      state.inFlightWrites.set(user.goodsOwnerId, (state.inFlightWrites.get(user.goodsOwnerId) ?? 1) - 1);
  }
}

function recordWrite(call: RouteCall, operation: string, status: number, inFlight: number): void {
  let recordedBody: unknown = call.rawBody;
  try {
    recordedBody = JSON.parse(call.rawBody);
  } catch {
    // Kept as text: the write record shows what was sent.
  }
  call.state.writes.push({
    operation,
    method: call.request.method ?? "GET",
    path: call.apiPath,
    body: recordedBody,
    goodsOwnerId: call.user.goodsOwnerId,
    status,
    at: new Date().toISOString(),
    concurrent: inFlight,
  });
}

export async function handleApi(
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
  state.recordCall({ operation, method, path: apiPath, headers: recordedHeaders(request) });
  const rawBody = await readBody(request);
  if (Buffer.byteLength(rawBody) > state.maxRequestBytes) {
    return sendJson(response, 413, { Message: "The request is too large." });
  }
  const fault = state.takeFault(method, apiPath, rawBody);
  if (await answeredByFault(fault, request, response)) return;

  const user = credentialsOf(state, request);
  if (!user) return refuseLogin(request, response);
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
  const call: RouteCall = { state, request, route, apiPath, query, rawBody, user };
  const { status, body, inFlight } = await runRoute(call);
  if (route.write) recordWrite(call, operation, status, inFlight);
  if (await spoiledByFault(fault, request, response)) return;
  sendJson(response, status, body);
}
