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
import { nshiftShipmentSchema } from "../../functions/transport-booking/nshift-shipment.ts";
import { closeServer, listen, readBody, sleep } from "../http.ts";
import { labelPdf } from "../transport/server.ts";

/** The path of the REST API root, as on api.unifaun.com. */
export const nshiftApiPath = "/rs-extapi/v1";

export const nshiftFaultSchema = z.object({
  /** The operation it hits. @default "any" */
  operation: z.enum(["search", "store", "print", "any"]).default("any"),
  /** Answer with this status (and `body`) instead. */
  status: z.number().int().min(100).max(599).optional(),
  body: z.unknown().optional(),
  /** Drop the connection without an answer. */
  reset: z.boolean().optional(),
  /** Wait this long before answering (longer than the client's time-out makes a time-out). */
  delayMs: z.number().int().min(0).optional(),
  /** Carry the request out first, then fail: the client never learns of what it did. */
  afterEffect: z.boolean().optional(),
  /** How many requests it applies to. @default 1 */
  times: z.number().int().min(1).default(1),
});
export type NshiftFault = z.input<typeof nshiftFaultSchema>;
type Operation = "search" | "store" | "print";

export interface StoredRecord {
  readonly id: string;
  readonly shipment: z.infer<typeof nshiftShipmentSchema>;
  readonly created: string;
  status: "READY" | "INVALID" | "PRINTED";
  readonly statuses: { message: string; messageCode: string; field: string; type: string }[];
}

export interface PrintedRecord {
  readonly id: string;
  readonly storedId: string;
  readonly shipmentNo: string;
  readonly orderNo: string | undefined;
  readonly reference: string;
  readonly parcels: { parcelNo: string }[];
  readonly label: string;
}

export interface NshiftSimulatorState {
  readonly stored: Map<string, StoredRecord>;
  readonly printed: PrintedRecord[];
  readonly faults: Array<z.output<typeof nshiftFaultSchema>>;
  /** Requests received per operation, faulted ones included. */
  readonly requests: Record<Operation, number>;
}

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

const requiredFields: Array<[string, (shipment: z.infer<typeof nshiftShipmentSchema>) => unknown]> = [
  ["Address_Name", (shipment) => shipment.receiver.name],
  ["Address_Zipcode", (shipment) => shipment.receiver.zipcode],
  ["Address_City", (shipment) => shipment.receiver.city],
  ["Address_Country", (shipment) => shipment.receiver.country],
];

export async function startNshiftSimulator(options: NshiftSimulatorOptions = {}): Promise<NshiftSimulator> {
  const apiKey = options.apiKey ?? { id: "simulator", secret: "simulator-secret" };
  const expectedAuth = `Basic ${Buffer.from(`${apiKey.id}:${apiKey.secret}`).toString("base64")}`;
  const state: NshiftSimulatorState = {
    stored: new Map(),
    printed: [],
    faults: [],
    requests: { search: 0, store: 0, print: 0 },
  };
  let sequence = 0;
  let origin = "";

  const takeFault = (operation: Operation) => {
    const index = state.faults.findIndex(
      (fault) => fault.operation === "any" || fault.operation === operation,
    );
    const fault = state.faults[index];
    if (!fault) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) state.faults.splice(index, 1);
    return fault;
  };

  /** Runs an operation with its fault, if any: before the effect, or after it (the answer is then lost). */
  const run = async (
    operation: Operation,
    request: IncomingMessage,
    response: ServerResponse,
    effect: () => { status: number; body?: unknown },
  ) => {
    state.requests[operation] += 1;
    const fault = takeFault(operation);
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

  const storedInfo = (record: StoredRecord) => ({
    href: `${origin}${nshiftApiPath}/stored-shipments/${record.id}`,
    id: record.id,
    status: record.status,
    orderNo: record.shipment.orderNo ?? null,
    reference: record.shipment.senderReference,
    serviceId: record.shipment.service.id,
    parcelCount: record.shipment.parcels.reduce((sum, parcel) => sum + parcel.copies, 0),
    rcvName: record.shipment.receiver.name ?? null,
    rcvZipcode: record.shipment.receiver.zipcode ?? null,
    rcvCity: record.shipment.receiver.city ?? null,
    rcvCountry: record.shipment.receiver.country ?? null,
    created: record.created,
    statuses: record.statuses.length > 0 ? record.statuses : null,
  });

  const store = (body: string) => {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return { status: 400, body: { code: "ILLEGAL", message: "Illegal shipment data in body" } };
    }
    const parsed = nshiftShipmentSchema.safeParse(json);
    const missingStatus = (field: string) => ({
      message: "Value missing",
      messageCode: "Missing",
      field,
      type: "error",
    });
    if (!parsed.success) {
      return { status: 422, body: parsed.error.issues.map((issue) => missingStatus(issue.path.join("_"))) };
    }
    // Stored even when incomplete, as documented: INVALID, with its validation messages.
    const missing = requiredFields.filter(([, value]) => !value(parsed.data)).map(([field]) => field);
    sequence += 1;
    const record: StoredRecord = {
      id: String(4_000_000 + sequence),
      shipment: parsed.data,
      created: new Date().toISOString(),
      status: missing.length > 0 ? "INVALID" : "READY",
      statuses: missing.map(missingStatus),
    };
    state.stored.set(record.id, record);
    return { status: 201, body: storedInfo(record) };
  };

  const search = (query: URLSearchParams) => {
    const field = query.get("searchField");
    const op = query.get("searchOp") ?? "equals";
    const value = query.get("searchValue") ?? "";
    if (field !== null && !["orderNo", "reference", "shipmentNo"].includes(field)) {
      return { status: 400, body: { code: "ILLEGAL", message: "Illegal search field argument" } };
    }
    const matches = (text: string | undefined) => {
      if (text === undefined) return false;
      if (op === "equals") return text === value;
      if (op === "contains") return text.includes(value);
      if (op === "startsWith") return text.startsWith(value);
      if (op === "endsWith") return text.endsWith(value);
      return false;
    };
    const found = [...state.stored.values()].filter((record) => {
      if (field === null) return true;
      if (field === "orderNo") return matches(record.shipment.orderNo);
      if (field === "reference") return matches(record.shipment.senderReference);
      return state.printed.some((printed) => printed.storedId === record.id && matches(printed.shipmentNo));
    });
    return { status: 200, body: found.slice(0, 50).map(storedInfo) };
  };

  const print = (storedId: string, returnFile: boolean) => {
    const record = state.stored.get(storedId);
    if (!record) return { status: 404, body: { code: "NOT_FOUND", message: "Stored shipment not found" } };
    if (record.status !== "READY") return { status: 422 };
    record.status = "PRINTED";
    const number = String(state.printed.length + 1).padStart(8, "0");
    const id = String(5_000_000 + state.printed.length + 1);
    const copies = record.shipment.parcels.reduce((sum, parcel) => sum + parcel.copies, 0);
    const printed: PrintedRecord = {
      id,
      storedId,
      shipmentNo: `SIM${number}`,
      orderNo: record.shipment.orderNo,
      reference: record.shipment.senderReference,
      parcels: Array.from({ length: copies }, (_, index) => ({ parcelNo: `69${number}${index + 1}SE` })),
      label: labelPdf(`SIM${number}`),
    };
    state.printed.push(printed);
    const href = `${origin}${nshiftApiPath}/shipments/${id}`;
    return {
      status: 201,
      body: [
        {
          href,
          id,
          shipmentNo: printed.shipmentNo,
          orderNo: printed.orderNo ?? null,
          reference: printed.reference,
          serviceId: record.shipment.service.id,
          parcelCount: copies,
          parcels: printed.parcels.map((parcel) => ({ ...parcel, reference: null })),
          consolidated: false,
          status: "PRINTED",
          prints: [
            {
              id: "1",
              description: "Label",
              href: `${href}/prints/1`,
              data: returnFile ? printed.label : null,
            },
          ],
        },
      ],
    };
  };

  const admin = async (request: IncomingMessage, response: ServerResponse, path: string) => {
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
      simulator.reset();
      return reply(response, 204);
    }
    return reply(response, 404, { error: `no admin route ${method} ${path}` });
  };

  const api = async (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const body = await readBody(request);
    if (request.headers.authorization !== expectedAuth) {
      return reply(response, 401, { code: "UNAUTHORIZED", message: "Invalid or expired token" });
    }
    const path = url.pathname.slice(nshiftApiPath.length);
    const method = request.method ?? "GET";
    if (method === "GET" && path === "/stored-shipments") {
      return run("search", request, response, () => search(url.searchParams));
    }
    if (method === "POST" && path === "/stored-shipments")
      return run("store", request, response, () => store(body));
    const printPath = /^\/stored-shipments\/([^/]+)\/shipments$/.exec(path);
    if (method === "POST" && printPath) {
      const returnFile = url.searchParams.get("returnFile") === "true";
      return run("print", request, response, () =>
        print(decodeURIComponent(printPath[1] as string), returnFile),
      );
    }
    return reply(response, 404, { code: "NOT_FOUND", message: `no resource ${method} ${path}` });
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://simulator");
    const route = url.pathname.startsWith("/_admin/")
      ? admin(request, response, url.pathname)
      : url.pathname.startsWith(`${nshiftApiPath}/`)
        ? api(request, response, url)
        : Promise.resolve(reply(response, 404, { code: "NOT_FOUND", message: "not found" }));
    route.catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, { code: "INTERNAL", message: String(error) });
    });
  });
  const port = await listen(server, options);
  origin = `http://${options.host ?? "127.0.0.1"}:${port}`;

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
