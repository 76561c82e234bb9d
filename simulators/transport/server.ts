/**
 * A transport-system simulator speaking the generic HTTP adapter contract (docs/use-case-transport-booking.md), for
 * tests and the local stack: a real HTTP server that books shipments idempotently on the `Idempotency-Key`
 * header, keeps a record of bookings (and how often each key was asked for), and lets a test or an operator
 * add latency and inject faults through an admin API under `/_admin/`. After a booking it can post status events
 * about it to a callback URL (the stack's `/webhooks/transport-status` route), as a carrier's scans would.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import * as z from "zod";
import {
  type TransportStatusEventWebhook,
  transportStatuses,
} from "../../functions/shared/webhooks/schemas.ts";
import {
  type Booking,
  type Shipment,
  shipmentSchema,
} from "../../functions/transport-booking/transport-system.ts";
import { closeServer, listen, readBody } from "../http.ts";

/** One injected fault, consumed by the next booking request(s). */
export const faultSchema = z.object({
  /** Answer with this status (and `body`, `retryAfter`) instead of the booking. */
  status: z.number().int().min(100).max(599).optional(),
  body: z.unknown().optional(),
  retryAfter: z.string().optional(),
  /** Drop the connection without an answer. */
  reset: z.boolean().optional(),
  /** Wait this long before answering (longer than the client's time-out makes a time-out). */
  delayMs: z.number().int().min(0).optional(),
  /** Create the booking first, then fail: the client never learns of a booking that exists. */
  afterBooking: z.boolean().optional(),
  /** How many requests the fault applies to. @default 1 */
  times: z.number().int().min(1).default(1),
});
export type Fault = z.input<typeof faultSchema>;

/** The whole system down until lifted: every path but the admin API, whatever the method (what the probe asks too). */
export const outageSchema = z.object({
  /** Answer every request with this status. @default 503 */
  status: z.number().int().min(100).max(599).default(503),
  retryAfter: z.string().optional(),
  /** Drop every connection without an answer instead. @default false */
  reset: z.boolean().default(false),
});
export type Outage = z.input<typeof outageSchema>;

/** Status events posted after each new booking, one after the other, in `statuses` order. */
export const statusCallbacksSchema = z.object({
  /** Where to post them: the stack's `…/webhooks/transport-status`. */
  url: z.url(),
  /** Headers sent with each (e.g. the webhook token). @default none */
  headers: z.record(z.string(), z.string()).default({}),
  /** @default PickedUpByCarrier, OnWay, Delivered */
  statuses: z.array(z.enum(transportStatuses)).default(["PickedUpByCarrier", "OnWay", "Delivered"]),
  /** Wait before the first event and between events. @default 0 */
  delayMs: z.number().int().min(0).default(0),
});
export type StatusCallbacks = z.input<typeof statusCallbacksSchema>;

/** One status event the simulator posted, with the answer it got (`status` 0: no answer). */
export interface SentStatusEvent {
  readonly event: TransportStatusEventWebhook;
  readonly status: number;
}

export interface BookingRecord {
  readonly key: string;
  readonly booking: Booking;
  readonly shipment: Shipment;
  readonly createdAt: string;
  /** Booking requests received with this key (the first one created the booking; the rest were replays). */
  requests: number;
}

export interface TransportSimulatorState {
  readonly bookings: Map<string, BookingRecord>;
  readonly faults: Array<z.output<typeof faultSchema>>;
  /** The system is down (every path but `/_admin/`) while set; the queued faults wait for it to end. */
  outage: z.output<typeof outageSchema> | undefined;
  /** Every booking request received, including rejected and faulted ones. */
  requests: number;
  latencyMs: number;
  /** Attach a PDF label to new bookings. */
  labels: boolean;
  /** Labels of new bookings are padded to at least this many bytes (0: as small as they come). */
  labelBytes: number;
  /** Give each parcel of a new booking a label of its own as well. */
  parcelLabels: boolean;
  /** Parcels of a new booking when set (else one per parcel of the shipment, at least one). */
  parcelCount: number | undefined;
  /** New bookings also carry a transporter order number, freight weight and price, and a return waybill. */
  details: boolean;
  /** Status events to post after each new booking; none when undefined. */
  statusCallbacks: z.output<typeof statusCallbacksSchema> | undefined;
  /** Every status event posted, in order. */
  readonly sentStatusEvents: SentStatusEvent[];
}

export interface TransportSimulatorOptions {
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Delay before every booking answer. @default 0 */
  readonly latencyMs?: number;
  /** Require this header value on booking requests (401 otherwise). @default none */
  readonly auth?: { readonly headerName: string; readonly value: string };
  /** @default true */
  readonly labels?: boolean;
  /** Pad labels to this many bytes (a big label). @default 0 */
  readonly labelBytes?: number;
  /** A label per parcel as well. @default false */
  readonly parcelLabels?: boolean;
  /** Parcels per booking. @default one per parcel of the shipment, at least one */
  readonly parcelCount?: number;
  /** Book with transporter order number, freight weight and price, and a return waybill. @default false */
  readonly details?: boolean;
  /** Post status events after each new booking. @default none */
  readonly statusCallbacks?: StatusCallbacks;
}

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
 */
export function labelPdf(waybill: string, minBytes = 0): string {
  const content = `BT /F1 24 Tf 72 720 Td (${waybill.replace(/[()\\]/g, "")}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let pdf = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (const [index, object] of objects.entries()) {
    offsets.push(pdf.length);
    pdf += `${index + 1} 0 obj\n${object}\nendobj\n`;
  }
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, "0")} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n`;
  const padding = Math.max(0, minBytes - pdf.length - "%%EOF\n".length);
  if (padding > 0) pdf += `%${"x".repeat(Math.max(0, padding - 2))}\n`;
  pdf += "%%EOF\n";
  return Buffer.from(pdf, "latin1").toString("base64");
}

function reply(
  response: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  if (body === undefined) {
    response.writeHead(status, headers).end();
    return;
  }
  response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

export async function startTransportSimulator(
  options: TransportSimulatorOptions = {},
): Promise<TransportSimulator> {
  const state: TransportSimulatorState = {
    bookings: new Map(),
    faults: [],
    outage: undefined,
    requests: 0,
    latencyMs: options.latencyMs ?? 0,
    labels: options.labels ?? true,
    labelBytes: options.labelBytes ?? 0,
    parcelLabels: options.parcelLabels ?? false,
    parcelCount: options.parcelCount,
    details: options.details ?? false,
    statusCallbacks: options.statusCallbacks && statusCallbacksSchema.parse(options.statusCallbacks),
    sentStatusEvents: [],
  };
  let sequence = 0;
  let callbacks: Promise<void> = Promise.resolve();

  /** Posts the booking's status events one after the other (a failed post is recorded, not retried). */
  const postStatusEvents = (shipment: Shipment, booking: Booking) => {
    const settings = state.statusCallbacks;
    if (!settings) return;
    callbacks = callbacks.then(async () => {
      let lastAt = 0;
      for (const [index, transportStatus] of settings.statuses.entries()) {
        await sleep(settings.delayMs);
        // Each scan strictly later than the one before, even within a millisecond.
        lastAt = Math.max(Date.now(), lastAt + 1);
        const event: TransportStatusEventWebhook = {
          eventId: `${booking.waybill}-${index + 1}-${transportStatus}`,
          goodsOwnerId: shipment.goodsOwnerId,
          orderId: shipment.orderId,
          waybill: booking.waybill,
          eventTime: new Date(lastAt).toISOString(),
          eventType: transportStatus === "DeliveredAndReturnedToSender" ? "Return" : "Delivery",
          transportStatus,
          comment: `simulated scan ${index + 1}`,
        };
        let status = 0;
        try {
          const answer = await fetch(settings.url, {
            method: "POST",
            headers: { "content-type": "application/json", ...settings.headers },
            body: JSON.stringify(event),
          });
          status = answer.status;
        } catch {
          // Unreachable: recorded with status 0.
        }
        state.sentStatusEvents.push({ event, status });
      }
    });
  };
  let baseUrl = "";

  const takeFault = () => {
    const fault = state.faults[0];
    if (!fault) return undefined;
    fault.times -= 1;
    if (fault.times <= 0) state.faults.shift();
    return fault;
  };

  const createBooking = (shipment: Shipment): Booking => {
    sequence += 1;
    const waybill = `SIM${String(sequence).padStart(9, "0")}`;
    const parcelCount = state.parcelCount ?? Math.max(1, shipment.parcels.length);
    const label = (name: string) => ({
      fileName: `label-${name}.pdf`,
      mimeType: "application/pdf",
      base64: labelPdf(name, state.labelBytes),
    });
    return {
      waybill,
      trackingUrl: `${baseUrl}/track/${waybill}`,
      parcels: Array.from({ length: parcelCount }, (_, index) => {
        const parcelNumber = `00373${String(sequence).padStart(9, "0")}${String(index + 1).padStart(3, "0")}`;
        return state.labels && state.parcelLabels
          ? { parcelNumber, label: label(parcelNumber) }
          : { parcelNumber };
      }),
      label: state.labels ? label(waybill) : undefined,
      documents: [],
      ...(state.details
        ? {
            transporterOrderNumber: `TON-${waybill}`,
            freightWeightKg: Math.max(1, shipment.totalWeightKg ?? 1),
            freightPrice: 99.5,
            returnWaybill: `RET-${waybill}`,
          }
        : {}),
    };
  };

  const book = async (request: IncomingMessage, response: ServerResponse) => {
    state.requests += 1;
    const body = await readBody(request);
    if (options.auth && request.headers[options.auth.headerName.toLowerCase()] !== options.auth.value) {
      return reply(response, 401, { error: "unauthorized" });
    }
    const key = request.headers["idempotency-key"];
    if (typeof key !== "string" || key === "") {
      return reply(response, 400, { error: "missing Idempotency-Key header" });
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return reply(response, 400, { error: "body is not JSON" });
    }
    const parsed = shipmentSchema.safeParse(json);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
      return reply(response, 422, { error: `invalid shipment at ${fields}` });
    }
    const fault = takeFault();
    await sleep(state.latencyMs + (fault?.delayMs ?? 0));
    if (fault && !fault.afterBooking) {
      if (fault.reset) return void request.socket.destroy();
      if (fault.status)
        return reply(response, fault.status, fault.body ?? { error: "injected" }, retryHeader(fault));
    }
    let record = state.bookings.get(key);
    if (record) record.requests += 1;
    else {
      record = {
        key,
        booking: createBooking(parsed.data),
        shipment: parsed.data,
        createdAt: new Date().toISOString(),
        requests: 1,
      };
      state.bookings.set(key, record);
      postStatusEvents(record.shipment, record.booking);
    }
    if (fault?.afterBooking) {
      if (fault.reset) return void request.socket.destroy();
      return reply(response, fault.status ?? 503, fault.body ?? { error: "injected" }, retryHeader(fault));
    }
    return reply(response, record.requests === 1 ? 201 : 200, record.booking);
  };

  const admin = async (request: IncomingMessage, response: ServerResponse, path: string) => {
    const body = await readBody(request);
    const json = () => (body === "" ? {} : (JSON.parse(body) as unknown));
    const method = request.method ?? "GET";
    if (method === "GET" && path === "/_admin/bookings") {
      return reply(response, 200, { bookings: [...state.bookings.values()] });
    }
    if (method === "GET" && path.startsWith("/_admin/bookings/")) {
      const record = state.bookings.get(decodeURIComponent(path.slice("/_admin/bookings/".length)));
      return record ? reply(response, 200, record) : reply(response, 404, { error: "no such booking" });
    }
    if (method === "GET" && path === "/_admin/status-events") {
      return reply(response, 200, { sent: state.sentStatusEvents });
    }
    if (method === "GET" && path === "/_admin/stats") {
      return reply(response, 200, {
        requests: state.requests,
        bookings: state.bookings.size,
        faults: state.faults.length,
        outage: state.outage ?? null,
        latencyMs: state.latencyMs,
      });
    }
    if (method === "POST" && path === "/_admin/faults") {
      const input = json();
      const faults = z.array(faultSchema).safeParse(Array.isArray(input) ? input : [input]);
      if (!faults.success) return reply(response, 400, { error: faults.error.message });
      state.faults.push(...faults.data);
      return reply(response, 204);
    }
    if (method === "DELETE" && path === "/_admin/faults") {
      state.faults.length = 0;
      return reply(response, 204);
    }
    if (method === "PUT" && path === "/_admin/outage") {
      const outage = outageSchema.safeParse(json());
      if (!outage.success) return reply(response, 400, { error: outage.error.message });
      state.outage = outage.data;
      return reply(response, 204);
    }
    if (method === "DELETE" && path === "/_admin/outage") {
      state.outage = undefined;
      return reply(response, 204);
    }
    if (method === "PUT" && path === "/_admin/config") {
      const config = z
        .object({
          latencyMs: z.number().int().min(0).optional(),
          labels: z.boolean().optional(),
          labelBytes: z.number().int().min(0).optional(),
          parcelLabels: z.boolean().optional(),
          parcelCount: z.number().int().min(1).max(999).nullish(),
          details: z.boolean().optional(),
          statusCallbacks: statusCallbacksSchema.nullish(),
        })
        .safeParse(json());
      if (!config.success) return reply(response, 400, { error: config.error.message });
      state.latencyMs = config.data.latencyMs ?? state.latencyMs;
      state.labels = config.data.labels ?? state.labels;
      state.labelBytes = config.data.labelBytes ?? state.labelBytes;
      state.parcelLabels = config.data.parcelLabels ?? state.parcelLabels;
      if (config.data.parcelCount !== undefined) state.parcelCount = config.data.parcelCount ?? undefined;
      state.details = config.data.details ?? state.details;
      if (config.data.statusCallbacks !== undefined)
        state.statusCallbacks = config.data.statusCallbacks ?? undefined;
      return reply(response, 204);
    }
    if (method === "POST" && path === "/_admin/reset") {
      simulator.reset();
      return reply(response, 204);
    }
    return reply(response, 404, { error: `no admin route ${method} ${path}` });
  };

  /** An outage answers every request but the admin API's, before anything is read or counted as a booking. */
  const down = (request: IncomingMessage, response: ServerResponse) => {
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
  };

  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://simulator").pathname;
    if (!path.startsWith("/_admin/") && down(request, response)) return;
    const route =
      request.method === "POST" && path === "/bookings"
        ? book(request, response)
        : path.startsWith("/_admin/")
          ? admin(request, response, path)
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
    reset() {
      state.bookings.clear();
      state.faults.length = 0;
      state.outage = undefined;
      state.requests = 0;
      state.latencyMs = options.latencyMs ?? 0;
      state.labels = options.labels ?? true;
      state.labelBytes = options.labelBytes ?? 0;
      state.parcelLabels = options.parcelLabels ?? false;
      state.parcelCount = options.parcelCount;
      state.details = options.details ?? false;
      state.statusCallbacks = options.statusCallbacks && statusCallbacksSchema.parse(options.statusCallbacks);
      state.sentStatusEvents.length = 0;
    },
    statusEventsSent: () => callbacks,
    stop: () => closeServer(server),
  };
  return simulator;
}

function retryHeader(fault: { retryAfter?: string | undefined }): Record<string, string> {
  return fault.retryAfter ? { "retry-after": fault.retryAfter } : {};
}
