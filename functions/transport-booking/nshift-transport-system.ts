/**
 * The built-in nShift Delivery adapter (formerly Unifaun Online). nShift has no idempotency key, so a booking is
 * two documented steps with a handle in between: store the shipment (`POST /stored-shipments`, our unique key as
 * its `senderReference`), then print it (`POST /stored-shipments/{id}/shipments?returnFile=true`, labels inline).
 * A stored shipment is searchable by reference (`GET /stored-shipments?searchField=reference&searchOp=equals`)
 * and nShift refuses to print one that is not READY (422), so:
 * - an attempt after one whose result is unknown first looks the stored shipment up and adopts it, never
 *   storing a second one;
 * - a print whose answer was lost is never repeated into a second shipment: printing again is refused and the
 *   order is dead-lettered with the stored shipment's id for a person to finish from nShift.
 * Credentials: Basic auth with the API key's id and secret id (Secrets Manager, JSON `{"id","secret"}`).
 */
import { PermanentError, TransientError } from "../shared/errors.ts";
import {
  HttpNetworkError,
  type HttpResponse,
  isRetryableStatus,
  retryAfterMs,
  sendHttp,
} from "../shared/http.ts";
import {
  bookingFromPrinted,
  type NshiftAccount,
  nshiftShipmentFrom,
  printableStatuses,
  printedShipmentSchema,
  type StoredShipment,
  statusListSchema,
  storedShipmentSchema,
} from "./nshift-shipment.ts";
import type { Booking, Shipment, TransportSystem } from "./transport-system.ts";

export interface NshiftCredentials {
  /** The API key's id (Basic auth user name). */
  readonly id: string;
  /** The API key's secret id (Basic auth password). */
  readonly secret: string;
}

export interface NshiftTransportSystemOptions extends NshiftAccount {
  /** The REST API root, e.g. https://api.unifaun.com/rs-extapi/v1 */
  readonly baseUrl: string;
  readonly credentials: () => Promise<NshiftCredentials>;
  /** Time-out of one request. */
  readonly timeoutMs: number;
  /** nShift's print configuration (media of the labels). @default PDF on laser-a4 */
  readonly printConfig?: Record<string, unknown>;
}

/** Time kept back from the Lambda's remaining time so a timed-out request is still reported. */
const reserveMs = 1_000;

const defaultPrintConfig = { target1Media: "laser-a4", target1Type: "pdf" };

/** Stored shipments nShift could not make printable: never printed, so not an earlier booking to adopt. */
const refusedStatuses = ["INVALID", "FAILED"];

/** The credentials secret's JSON, checked: a wrong shape is a configuration error, not something to retry. */
export function parseNshiftCredentials(value: unknown, secretName: string): NshiftCredentials {
  const { id, secret } = (value ?? {}) as { id?: unknown; secret?: unknown };
  if (typeof id !== "string" || id === "" || typeof secret !== "string" || secret === "") {
    throw new PermanentError(
      "nshift-credentials-invalid",
      `secret "${secretName}" must be JSON {"id","secret"}: the nShift API key's id and secret id`,
    );
  }
  return { id, secret };
}

export function createNshiftTransportSystem(options: NshiftTransportSystemOptions): TransportSystem {
  const root = options.baseUrl.replace(/\/+$/, "");
  const printConfig = options.printConfig ?? defaultPrintConfig;

  const call = (
    method: "GET" | "POST",
    path: string,
    body: unknown,
    remainingTimeMs: () => number,
    what: string,
  ): Promise<HttpResponse> =>
    nshiftCall(options, { method, url: `${root}${path}`, body, remainingTimeMs, what });

  async function find(reference: string, remainingTimeMs: () => number): Promise<StoredShipment | undefined> {
    const query = new URLSearchParams({
      searchField: "reference",
      searchOp: "equals",
      searchValue: reference,
    });
    const response = await call(
      "GET",
      `/stored-shipments?${query}`,
      undefined,
      remainingTimeMs,
      "to the search",
    );
    if (response.status !== 200) {
      throw new PermanentError(
        "transport-rejected",
        `nShift refused the search for ${reference} (HTTP ${response.status})${errorMessage(response.body)}`,
      );
    }
    const list = parse(response.body, storedShipmentSchema.array(), "its stored shipments");
    // `equals` is asked for; the exact match is checked again so a looser search can never adopt another order.
    // One nShift refused (INVALID, FAILED) was never printed: it is left behind and a new one stored.
    return list.find(
      (stored) =>
        stored.reference === reference && !refusedStatuses.includes((stored.status ?? "").toUpperCase()),
    );
  }

  async function store(shipment: Shipment, remainingTimeMs: () => number): Promise<StoredShipment> {
    const body = nshiftShipmentFrom(shipment, options);
    const response = await call("POST", "/stored-shipments", body, remainingTimeMs, "to the booking");
    if (response.status === 200 || response.status === 201) {
      return parse(response.body, storedShipmentSchema, "the stored shipment");
    }
    throw new PermanentError(
      "transport-rejected",
      `nShift rejected the shipment of ${shipment.idempotencyKey} (HTTP ${response.status})${validationMessages(response.body)}`,
    );
  }

  async function print(stored: StoredShipment, adopted: boolean, remainingTimeMs: () => number) {
    const response = await call(
      "POST",
      `/stored-shipments/${encodeURIComponent(stored.id)}/shipments?returnFile=true`,
      printConfig,
      remainingTimeMs,
      "to the print",
    );
    if (response.status === 200 || response.status === 201) {
      const printed = parse(response.body, printedShipmentSchema.array().min(1), "the printed shipment");
      return bookingFromPrinted(printed);
    }
    if (response.status === 422 && adopted) throw printedBefore(stored, "not printable");
    throw new PermanentError(
      "transport-rejected",
      `nShift refused to print stored shipment ${stored.id} (HTTP ${response.status})${validationMessages(response.body)}`,
    );
  }

  return {
    async book(shipment, { remainingTimeMs, earlierAttempt }): Promise<Booking> {
      const reference = shipment.idempotencyKey;
      // Unknown whether an earlier attempt stored (or printed) it: look before storing anything.
      const found = earlierAttempt === false ? undefined : await find(reference, remainingTimeMs);
      const stored = found ?? (await store(shipment, remainingTimeMs));
      const status = (stored.status ?? "READY").toUpperCase();
      if (found && !printableStatuses.includes(status)) throw printedBefore(found, status);
      if (!printableStatuses.includes(status)) {
        throw new PermanentError(
          "transport-rejected",
          `nShift stored the shipment of ${reference} as ${status} (${stored.id}), not printable` +
            validationMessages(JSON.stringify(stored.statuses ?? [])),
        );
      }
      return print(stored, found !== undefined, remainingTimeMs);
    },
  };
}

/** One request to nShift with the API key; refusals of the key are permanent, what may heal is transient. */
async function nshiftCall(
  options: NshiftTransportSystemOptions,
  request: {
    method: "GET" | "POST";
    url: string;
    body: unknown;
    remainingTimeMs: () => number;
    what: string;
  },
): Promise<HttpResponse> {
  const { method, url, body, remainingTimeMs, what } = request;
  const { id, secret } = await options.credentials();
  const timeoutMs = Math.max(1, Math.min(options.timeoutMs, remainingTimeMs() - reserveMs));
  let response: HttpResponse;
  try {
    response = await sendHttp({
      method,
      url,
      headers: {
        accept: "application/json",
        authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs,
    });
  } catch (error) {
    const reason = error instanceof HttpNetworkError && error.timedOut ? "timeout" : errorCode(error);
    throw new TransientError("transport-unavailable", `nShift did not answer ${what} (${reason})`, {
      cause: error,
    });
  }
  const { status } = response;
  if (status === 401 || status === 403) {
    throw new PermanentError(
      "transport-unauthorized",
      `nShift refused the API key (HTTP ${status}) ${what}: check the key's id and secret and its REST licences`,
    );
  }
  if (isRetryableStatus(status)) {
    const retryAfter = retryAfterMs(response.headers["retry-after"]);
    throw new TransientError(
      "transport-unavailable",
      `nShift answered HTTP ${status} ${what}${errorMessage(response.body)}`,
      retryAfter === undefined ? {} : { retryAfterMs: retryAfter },
    );
  }
  return response;
}

/** An earlier attempt's stored shipment that cannot be printed: most likely printed already, its answer lost. */
function printedBefore(stored: StoredShipment, status: string): PermanentError {
  return new PermanentError(
    "transport-booking-unknown",
    `nShift holds stored shipment ${stored.id} for ${stored.reference} (${status}): an earlier attempt most likely ` +
      "printed it and its answer was lost. Not booked twice; take its labels and parcel numbers from nShift",
  );
}

function parse<T>(
  text: string,
  schema: { safeParse(value: unknown): { success: boolean; data?: T } },
  what: string,
): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PermanentError("transport-invalid-response", `nShift answered ${what} without JSON`);
  }
  const result = schema.safeParse(json);
  if (!result.success)
    throw new PermanentError("transport-invalid-response", `nShift's answer (${what}) is invalid`);
  return result.data as T;
}

/** `: message` of nShift's error body `{code, message}`, at most 200 characters. */
function errorMessage(body: string): string {
  try {
    const { message } = JSON.parse(body) as { message?: unknown };
    return typeof message === "string" ? `: ${message.slice(0, 200)}` : "";
  } catch {
    return "";
  }
}

/** `: field: message; …` of a 422 status list (errors only), at most 300 characters; else the error message. */
function validationMessages(body: string): string {
  try {
    const list = statusListSchema.safeParse(JSON.parse(body));
    if (!list.success) return errorMessage(body);
    const errors = list.data.filter((status) => status.type !== "ignorable");
    const text = errors
      .map((status) => `${status.field ?? "shipment"}: ${status.message ?? "invalid"}`)
      .join("; ");
    return text === "" ? "" : `: ${text.slice(0, 300)}`;
  } catch {
    return "";
  }
}

function errorCode(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === "string" ? code : typeof message === "string" ? message : "unknown";
}
