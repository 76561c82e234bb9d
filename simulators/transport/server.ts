/**
 * A transport-system simulator speaking the generic HTTP adapter contract (docs/use-case-transport-booking.md), for
 * tests and the local stack: a real HTTP server that books shipments idempotently on the `Idempotency-Key`
 * header, keeps a record of bookings (and how often each key was asked for), and lets a test or an operator
 * add latency and inject faults through an admin API under `/_admin/`. After a booking it can post status events
 * about it to a callback URL (the stack's `/webhooks/transport-status` route), as a carrier's scans would.
 * Parts: state.ts (state, knobs, schemas), bookings.ts (bookings, labels, status events), admin.ts (admin API).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { type Shipment, shipmentSchema } from "../../functions/transport-booking/transport-system.ts";
import { closeServer, listen, readBody } from "../http.ts";
import { handleAdmin } from "./admin.ts";
import { createBooking, postStatusEvents } from "./bookings.ts";
import { reply, retryHeader } from "./reply.ts";
import {
  type BookingRecord,
  type Fault,
  faultSchema,
  freshState,
  type Outage,
  outageSchema,
  resetState,
  type TransportSimulatorOptions,
  type TransportSimulatorState,
  takeFault,
} from "./state.ts";

export { labelPdf } from "./bookings.ts";
export {
  type BookingRecord,
  type Fault,
  faultSchema,
  type Outage,
  outageSchema,
  type SentStatusEvent,
  type StatusCallbacks,
  statusCallbacksSchema,
  type TransportSimulatorOptions,
  type TransportSimulatorState,
} from "./state.ts";

export interface TransportSimulator {
  readonly baseUrl: string;
  /** The booking endpoint: what TRANSPORT_ADAPTER_URL points at. */
  readonly bookingUrl: string;
  readonly adminUrl: string;
  readonly state: TransportSimulatorState;
  injectFault(...faults: Fault[]): void;
  /** Takes the whole system down (every path but the admin API) until `endOutage`. */
  startOutage(outage?: Outage): void;
  endOutage(): void;
  /** Bookings created for an order, whatever key they were asked for with (one, if the client is right). */
  bookingsForOrder(goodsOwnerId: number, orderId: number): BookingRecord[];
  /** Resolves once every status event due so far has been posted. */
  statusEventsSent(): Promise<void>;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A one-page PDF whose only text is the waybill: small, and opens in any viewer. `minBytes` pads it with a
 * comment before the end (still a valid PDF) to stand in for a big label.

/** The shipment of a booking request, or the answer that refuses it (auth, Idempotency-Key, JSON, schema). */
function checkedShipment(
  request: IncomingMessage,
  body: string,
  options: TransportSimulatorOptions,
): { key: string; shipment: Shipment } | { refusal: [status: number, body: { error: string }] } {
  if (options.auth && request.headers[options.auth.headerName.toLowerCase()] !== options.auth.value) {
    return { refusal: [401, { error: "unauthorized" }] };
  }
  const key = request.headers["idempotency-key"];
  if (typeof key !== "string" || key === "") {
    return { refusal: [400, { error: "missing Idempotency-Key header" }] };
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { refusal: [400, { error: "body is not JSON" }] };
  }
  const parsed = shipmentSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
    return { refusal: [422, { error: `invalid shipment at ${fields}` }] };
  }
  return { key, shipment: parsed.data };
}

/** An outage answers every request but the admin API's, before anything is read or counted as a booking. */
function down(state: TransportSimulatorState, request: IncomingMessage, response: ServerResponse): boolean {
  const outage = state.outage;
  if (!outage) return false;
  if (request.method === "POST") state.requests += 1;
  if (outage.reset) request.socket.destroy();
  else
    reply(
      response,
      outage.status,
      { error: "transport system unavailable (simulated outage)" },
      retryHeader(outage),
    );
  return true;
}

export async function startTransportSimulator(
  options: TransportSimulatorOptions = {},
): Promise<TransportSimulator> {
  const state = freshState(options);
  let sequence = 0;
  let callbacks: Promise<void> = Promise.resolve();
  let baseUrl = "";

  /** A new booking's record; its status events are posted after those of earlier bookings. */
  const newRecord = (key: string, shipment: Shipment): BookingRecord => {
    sequence += 1;
    const booking = createBooking(state, shipment, sequence, baseUrl);
    const settings = state.statusCallbacks;
    if (settings) {
      callbacks = callbacks.then(() => postStatusEvents(settings, shipment, booking, state.sentStatusEvents));
    }
    return { key, booking, shipment, createdAt: new Date().toISOString(), requests: 1 };
  };

  const book = async (request: IncomingMessage, response: ServerResponse) => {
    state.requests += 1;
    const checked = checkedShipment(request, await readBody(request), options);
    if ("refusal" in checked) return reply(response, ...checked.refusal);
    const { key, shipment } = checked;
    const fault = takeFault(state);
    await sleep(state.latencyMs + (fault?.delayMs ?? 0));
    if (fault && !fault.afterBooking) {
      if (fault.reset) return void request.socket.destroy();
      if (fault.status)
        return reply(response, fault.status, fault.body ?? { error: "injected" }, retryHeader(fault));
    }
    let record = state.bookings.get(key);
    if (record) record.requests += 1;
    else {
      record = newRecord(key, shipment);
      state.bookings.set(key, record);
    }
    if (fault?.afterBooking) {
      if (fault.reset) return void request.socket.destroy();
      return reply(response, fault.status ?? 503, fault.body ?? { error: "injected" }, retryHeader(fault));
    }
    return reply(response, record.requests === 1 ? 201 : 200, record.booking);
  };

  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://simulator").pathname;
    if (!path.startsWith("/_admin/") && down(state, request, response)) return;
    const route =
      request.method === "POST" && path === "/bookings"
        ? book(request, response)
        : path.startsWith("/_admin/")
          ? handleAdmin(state, request, response, path, () => simulator.reset())
          : request.method === "GET" && path.startsWith("/track/")
            ? Promise.resolve(
                reply(response, 200, { waybill: path.slice("/track/".length), status: "booked" }),
              )
            : Promise.resolve(reply(response, 404, { error: "not found" }));
    route.catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, { error: String(error), id: randomUUID() });
    });
  });
  const port = await listen(server, options);
  baseUrl = `http://${options.host ?? "127.0.0.1"}:${port}`;

  const simulator: TransportSimulator = {
    baseUrl,
    bookingUrl: `${baseUrl}/bookings`,
    adminUrl: `${baseUrl}/_admin`,
    state,
    injectFault: (...faults) => void state.faults.push(...faults.map((fault) => faultSchema.parse(fault))),
    startOutage: (outage = {}) => {
      state.outage = outageSchema.parse(outage);
    },
    endOutage: () => {
      state.outage = undefined;
    },
    bookingsForOrder: (goodsOwnerId, orderId) =>
      [...state.bookings.values()].filter(
        (record) => record.shipment.goodsOwnerId === goodsOwnerId && record.shipment.orderId === orderId,
      ),
    reset: () => resetState(state, options),
    statusEventsSent: () => callbacks,
    stop: () => closeServer(server),
  };
  return simulator;
}
