/**
 * The transport simulator's admin API under `/_admin/`: bookings, sent status events, stats, faults, an outage,
 * the booking knobs (`config`) and a reset.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import * as z from "zod";
import { readBody } from "../http.ts";
import { reply } from "./reply.ts";
import { faultSchema, outageSchema, statusCallbacksSchema, type TransportSimulatorState } from "./state.ts";

const configSchema = z.object({
  latencyMs: z.number().int().min(0).optional(),
  labels: z.boolean().optional(),
  labelBytes: z.number().int().min(0).optional(),
  parcelLabels: z.boolean().optional(),
  parcelCount: z.number().int().min(1).max(999).nullish(),
  details: z.boolean().optional(),
  statusCallbacks: statusCallbacksSchema.nullish(),
});

/** Sets the knobs given; `null` clears `parcelCount` or `statusCallbacks`. */
function applyConfig(state: TransportSimulatorState, config: z.output<typeof configSchema>): void {
  state.latencyMs = config.latencyMs ?? state.latencyMs;
  state.labels = config.labels ?? state.labels;
  state.labelBytes = config.labelBytes ?? state.labelBytes;
  state.parcelLabels = config.parcelLabels ?? state.parcelLabels;
  if (config.parcelCount !== undefined) state.parcelCount = config.parcelCount ?? undefined;
  state.details = config.details ?? state.details;
  if (config.statusCallbacks !== undefined) state.statusCallbacks = config.statusCallbacks ?? undefined;
}

function stats(state: TransportSimulatorState) {
  return {
    requests: state.requests,
    bookings: state.bookings.size,
    faults: state.faults.length,
    outage: state.outage ?? null,
    latencyMs: state.latencyMs,
  };
}

export async function handleAdmin(
  state: TransportSimulatorState,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  reset: () => void,
): Promise<void> {
  const body = await readBody(request);
  const json = () => (body === "" ? {} : (JSON.parse(body) as unknown));
  const route = `${request.method ?? "GET"} ${path}`;
  if (route === "GET /_admin/bookings")
    return reply(response, 200, { bookings: [...state.bookings.values()] });
  if (route.startsWith("GET /_admin/bookings/")) {
    const record = state.bookings.get(decodeURIComponent(path.slice("/_admin/bookings/".length)));
    return record ? reply(response, 200, record) : reply(response, 404, { error: "no such booking" });
  }
  if (route === "GET /_admin/status-events") return reply(response, 200, { sent: state.sentStatusEvents });
  if (route === "GET /_admin/stats") return reply(response, 200, stats(state));
  if (route === "POST /_admin/faults") {
    const input = json();
    const faults = z.array(faultSchema).safeParse(Array.isArray(input) ? input : [input]);
    if (!faults.success) return reply(response, 400, { error: faults.error.message });
    state.faults.push(...faults.data);
    return reply(response, 204);
  }
  if (route === "DELETE /_admin/faults") {
    state.faults.length = 0;
    return reply(response, 204);
  }
  if (route === "PUT /_admin/outage") {
    const outage = outageSchema.safeParse(json());
    if (!outage.success) return reply(response, 400, { error: outage.error.message });
    state.outage = outage.data;
    return reply(response, 204);
  }
  if (route === "DELETE /_admin/outage") {
    state.outage = undefined;
    return reply(response, 204);
  }
  if (route === "PUT /_admin/config") {
    const config = configSchema.safeParse(json());
    if (!config.success) return reply(response, 400, { error: config.error.message });
    applyConfig(state, config.data);
    return reply(response, 204);
  }
  if (route === "POST /_admin/reset") {
    reset();
    return reply(response, 204);
  }
  return reply(response, 404, { error: `no admin route ${request.method ?? "GET"} ${path}` });
}
