/**
 * The transport-system simulator's state and its knobs: bookings, injected faults, an outage, latency, what a new
 * booking carries and the status events it posts, with the zod schemas the admin API checks its input with.
 */
import * as z from "zod";
import {
  type TransportStatusEventWebhook,
  transportStatuses,
} from "../../functions/shared/contract/webhook-schemas.ts";
import type { Booking, Shipment } from "../../functions/transport-booking/transport-system.ts";

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

/** The knobs of the state as the options set them (and a reset sets them back to). */
function configured(options: TransportSimulatorOptions) {
  return {
    latencyMs: options.latencyMs ?? 0,
    labels: options.labels ?? true,
    labelBytes: options.labelBytes ?? 0,
    parcelLabels: options.parcelLabels ?? false,
    parcelCount: options.parcelCount,
    details: options.details ?? false,
    statusCallbacks: options.statusCallbacks && statusCallbacksSchema.parse(options.statusCallbacks),
  };
}

export function freshState(options: TransportSimulatorOptions): TransportSimulatorState {
  return {
    bookings: new Map(),
    faults: [],
    outage: undefined,
    requests: 0,
    ...configured(options),
    sentStatusEvents: [],
  };
}

/** Back to the options: no bookings, faults, outage or sent events. */
export function resetState(state: TransportSimulatorState, options: TransportSimulatorOptions): void {
  state.bookings.clear();
  state.faults.length = 0;
  state.sentStatusEvents.length = 0;
  Object.assign(state, { outage: undefined, requests: 0, ...configured(options) });
}

/** The next queued fault, consumed by one. */
export function takeFault(
  state: TransportSimulatorState,
): TransportSimulatorState["faults"][number] | undefined {
  const fault = state.faults[0];
  if (!fault) return undefined;
  fault.times -= 1;
  if (fault.times <= 0) state.faults.shift();
  return fault;
}
