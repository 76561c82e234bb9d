/**
 * The Ongoing simulator's SOAP Automation API (`POST /{warehouse}/Automation.asmx`): `GetOrdersByQuery`,
 * `UpdateOrder` (`UpdateOrderWaybill`, `UpdateOrderTracking`, `UpdateOrderTransporterOrderNumber`,
 * `UpdateOrderTransporterFreightWeight`, `UpdateOrderFreightPrice`, `UpdateOrderReturnWaybill`), `UploadOrderFile`
 * (with `FileWillBeDeletedAt`), `GetFileList`, `CreatePrintJob` and `ReportOrderTransportStatusEvent`, over the same store,
 * faults, call counts and write record as the REST API, so a SOAP write changes the same order a REST read
 * then sees. Logins are integrator users that see several goods owners (credentials in the body, as Ongoing's).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
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
import {
  type AutomationUser,
  getFileList,
  getOrdersByQuery,
  Refusal,
  type SoapContext,
  writes,
} from "./soap-operations.ts";
import type { Fault, OngoingSimulatorState } from "./state.ts";

export type { AutomationUser } from "./soap-operations.ts";

/** The default integrator login: `automation`/`automation-password`, goods owners 159 and 160. */
export const defaultAutomationUsers: AutomationUser[] = [
  { username: "automation", password: "automation-password", goodsOwnerIds: [159, 160] },
];

/** The path faults match for a SOAP call: `/Automation.asmx/{Operation}`. */
export const soapFaultPath = (operation: string) => `/Automation.asmx/${operation}`;

function send(response: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}) {
  if (response.destroyed || response.writableEnded) return;
  response.writeHead(status, { "content-type": "text/xml; charset=utf-8", ...headers });
  response.end(xml);
}

/** SOAP 1.1 sends every fault with HTTP 500. */
const sendFault = (response: ServerResponse, code: "Client" | "Server", message: string) =>
  send(response, 500, buildFault(code, message));

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
  if (fault.soapFaultCode !== undefined || fault.status === 500) {
    sendFault(
      response,
      fault.soapFaultCode ?? "Server",
      fault.message ?? "Server was unable to process request. ---> An error has occurred.",
    );
    return true;
  }
  if (fault.status === undefined) return false;
  const headers: Record<string, string> =
    fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter };
  if (response.destroyed || response.writableEnded) return true;
  response.writeHead(fault.status, { "content-type": "text/html; charset=utf-8", ...headers });
  response.end(`<html><body>${fault.status}</body></html>`);
  return true;
}

/** A fault after the write was carried out; true when it spoiled the answer. */
async function spoiledByFault(
  fault: Fault | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<boolean> {
  if (!fault?.afterWrite) return false;
  // Carried out already: now the answer is late (the client has given up), cut, or a Server fault.
  if (fault.delayMs) await sleep(fault.delayMs);
  if (fault.reset) {
    request.socket.destroy();
    return true;
  }
  if (fault.status === undefined && fault.soapFaultCode === undefined) return false;
  sendFault(response, fault.soapFaultCode ?? "Server", fault.message ?? "An error has occurred.");
  return true;
}

/** The integrator login of the call (body credentials or a bearer token); null when a bearer token is bad. */
function loginOf(
  state: OngoingSimulatorState,
  users: AutomationUser[],
  request: IncomingMessage,
  content: XmlObject,
): AutomationUser | null | undefined {
  const bearer = bearerLogin(state.oauth, request);
  if (bearer === null) return null;
  return users.find((candidate) =>
    bearer === undefined
      ? candidate.username === text(content.UserName) && candidate.password === text(content.Password)
      : candidate.username === bearer,
  );
}

/** Carries out a write operation, counting the goods owner's writes in flight, and records it. */
function carryOutWrite(context: SoapContext, operation: string, write: (typeof writes)[string]): XmlObject {
  const { state } = context;
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
    body: child(context.content, write.listName) ?? null,
    goodsOwnerId,
    status,
    at: new Date().toISOString(),
    concurrent: Math.max(inFlight, 1),
  });
  return result;
}

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
  state.recordCall({
    operation,
    method: request.method ?? "POST",
    path: "/Automation.asmx",
    headers: recordedHeaders(request),
  });
  const fault = state.takeFault(request.method ?? "POST", soapFaultPath(operation), rawBody);
  if (await answeredByFault(fault, request, response)) return;

  if (request.method !== "POST") return sendFault(response, "Client", "Only POST is supported.");
  if (!body || !("element" in body))
    return sendFault(response, "Client", "The request is not a SOAP envelope.");
  const { content } = body;
  const user = loginOf(state, users, request, content);
  if (user === null) {
    // A bad bearer token is refused by the web server before the SOAP service sees the call.
    if (response.destroyed || response.writableEnded) return;
    response.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token"' });
    response.end();
    return;
  }
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
  const result = carryOutWrite(context, operation, write);
  if (await spoiledByFault(fault, request, response)) return;
  send(response, 200, buildEnvelope(`${operation}Response`, result));
}
