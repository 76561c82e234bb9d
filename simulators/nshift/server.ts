/**
 * A simulator of nShift Delivery's shipments API (formerly Unifaun Online, `https://api.unifaun.com/rs-extapi/v1`)
 * for tests and the local stack: the part the built-in adapter uses, built from nShift's public documentation
 * (sources in ./README.md), with an admin API under `/_admin/` to inject faults and read what was booked.
 *
 * - Basic auth with an API key's id and secret id; anything else is 401 `{code, message}`.
 * - `POST /stored-shipments`: stores the shipment (201): READY, or INVALID with its status list when the receiver
 *   lacks a name, zip code, city or country; 422 with a status list without a service or parcels.
 * - `GET /stored-shipments?searchField=orderNo|reference|shipmentNo&searchOp=equals|contains|startsWith|endsWith
 *   &searchValue=…`: at most 50, as documented.
 * - `POST /stored-shipments/{id}/shipments[?returnFile=true]`: prints it once: 201 with the printed shipment
 *   (parcel numbers, PDFs inline in `prints[].data` when returnFile); a stored shipment not READY (here: already
 *   printed) is 422, as documented.
 * Faults (`POST /_admin/faults`): an HTTP status instead of the answer (5xx, 401, …), a reset, a delay (longer
 * than the client's time-out: a time-out), each before or after the request took effect (`afterEffect`), on one
 * operation (`search`, `store`, `print`) or any.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import * as z from "zod";
import { closeServer, listen, readBody, sleep } from "../http.ts";
import { type Desk, print, search, store } from "./shipments.ts";
import {
  type NshiftFault,
  type NshiftSimulatorState,
  nshiftApiPath,
  nshiftFaultSchema,
  type Operation,
  type PrintedRecord,
} from "./state.ts";

export {
  type NshiftFault,
  type NshiftSimulatorState,
  nshiftApiPath,
  nshiftFaultSchema,
  type PrintedRecord,
  type StoredRecord,
} from "./state.ts";

export interface NshiftSimulatorOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** The API key accepted. @default id "simulator", secret "simulator-secret" */
  readonly apiKey?: { readonly id: string; readonly secret: string };
}

export interface NshiftSimulator {
  /** The REST API root: what transport.nshift.baseUrl points at. */
  readonly baseUrl: string;
  readonly adminUrl: string;
  readonly state: NshiftSimulatorState;
  injectFault(...faults: NshiftFault[]): void;
  /** Shipments printed for a booking key (`senderReference`): one, if the client is right. */
  printedFor(reference: string): PrintedRecord[];
  reset(): void;
  stop(): Promise<void>;
}

function reply(response: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) response.writeHead(status).end();
  else response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** The first queued fault for an operation, consumed by one. */
const takeFault = (state: NshiftSimulatorState, operation: Operation) => {
  const index = state.faults.findIndex((fault) => fault.operation === "any" || fault.operation === operation);
  const fault = state.faults[index];
  if (!fault) return undefined;
  fault.times -= 1;
  if (fault.times <= 0) state.faults.splice(index, 1);
  return fault;
};

/** Runs an operation with its fault, if any: before the effect, or after it (the answer is then lost). */
const run = async (
  state: NshiftSimulatorState,
  operation: Operation,
  request: IncomingMessage,
  response: ServerResponse,
  effect: () => { status: number; body?: unknown },
) => {
  state.requests[operation] += 1;
  const fault = takeFault(state, operation);
  const fail = async () => {
    if (!fault) return false;
    await sleep(fault.delayMs ?? 0);
    if (fault.reset) {
      request.socket.destroy();
      return true;
    }
    if (fault.status) {
      reply(response, fault.status, fault.body ?? { code: "INTERNAL", message: "Internal error" });
      return true;
    }
    return false;
  };
  if (fault && !fault.afterEffect && (await fail())) return;
  const result = effect();
  if (fault?.afterEffect && (await fail())) return;
  reply(response, result.status, result.body);
};

const admin = async (
  state: NshiftSimulatorState,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  reset: () => void,
) => {
  const body = await readBody(request);
  const method = request.method ?? "GET";
  if (method === "GET" && path === "/_admin/state") {
    return reply(response, 200, {
      stored: [...state.stored.values()],
      printed: state.printed.map(({ label: _label, ...printed }) => printed),
      requests: state.requests,
      faults: state.faults.length,
    });
  }
  if (method === "POST" && path === "/_admin/faults") {
    const input = body === "" ? {} : (JSON.parse(body) as unknown);
    const faults = z.array(nshiftFaultSchema).safeParse(Array.isArray(input) ? input : [input]);
    if (!faults.success) return reply(response, 400, { error: faults.error.message });
    state.faults.push(...faults.data);
    return reply(response, 204);
  }
  if (method === "POST" && path === "/_admin/reset") {
    reset();
    return reply(response, 204);
  }
  return reply(response, 404, { error: `no admin route ${method} ${path}` });
};

export async function startNshiftSimulator(options: NshiftSimulatorOptions = {}): Promise<NshiftSimulator> {
  const apiKey = options.apiKey ?? { id: "simulator", secret: "simulator-secret" };
  const expectedAuth = `Basic ${Buffer.from(`${apiKey.id}:${apiKey.secret}`).toString("base64")}`;
  const state: NshiftSimulatorState = {
    stored: new Map(),
    printed: [],
    faults: [],
    requests: { search: 0, store: 0, print: 0 },
  };
  const desk: Desk = { state, origin: "", sequence: 0 };

  const api = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const body = await readBody(request);
    if (request.headers.authorization !== expectedAuth) {
      return reply(response, 401, { code: "UNAUTHORIZED", message: "Invalid or expired token" });
    }
    const path = url.pathname.slice(nshiftApiPath.length);
    const method = request.method ?? "GET";
    if (method === "GET" && path === "/stored-shipments") {
      return run(state, "search", request, response, () => search(desk, url.searchParams));
    }
    if (method === "POST" && path === "/stored-shipments")
      return run(state, "store", request, response, () => store(desk, body));
    const printPath = /^\/stored-shipments\/([^/]+)\/shipments$/.exec(path);
    if (method === "POST" && printPath) {
      const returnFile = url.searchParams.get("returnFile") === "true";
      return run(state, "print", request, response, () =>
        print(desk, decodeURIComponent(printPath[1] as string), returnFile),
      );
    }
    return reply(response, 404, { code: "NOT_FOUND", message: `no resource ${method} ${path}` });
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://simulator");
    const route = url.pathname.startsWith("/_admin/")
      ? admin(state, request, response, url.pathname, () => simulator.reset())
      : url.pathname.startsWith(`${nshiftApiPath}/`)
        ? api(request, response, url)
        : Promise.resolve(reply(response, 404, { code: "NOT_FOUND", message: "not found" }));
    route.catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, { code: "INTERNAL", message: String(error) });
    });
  });
  const port = await listen(server, options);
  const origin = `http://${options.host ?? "127.0.0.1"}:${port}`;
  desk.origin = origin;

  const simulator: NshiftSimulator = {
    baseUrl: `${origin}${nshiftApiPath}`,
    adminUrl: `${origin}/_admin`,
    state,
    injectFault: (...faults) =>
      void state.faults.push(...faults.map((fault) => nshiftFaultSchema.parse(fault))),
    printedFor: (reference) => state.printed.filter((printed) => printed.reference === reference),
    reset() {
      state.stored.clear();
      state.printed.length = 0;
      state.faults.length = 0;
      state.requests.search = 0;
      state.requests.store = 0;
      state.requests.print = 0;
    },
    stop: () => closeServer(server),
  };
  return simulator;
}
