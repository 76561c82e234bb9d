/**
 * The generic HTTP transport adapter: POST the shipment as JSON, read the booking back (contract in
 * docs/use-case-transport-booking.md). Booking is made safe to repeat by the `Idempotency-Key` header: the
 * adapter must return the same booking for the same key.
 */

import { dependencyAnswered } from "../shared/breaker/answers.ts";
import { PermanentError, TransientError } from "../shared/errors.ts";
import {
  HttpNetworkError,
  type HttpResponse,
  isRetryableStatus,
  retryAfterMs,
  sendHttp,
} from "../shared/http.ts";
import { logSafeText } from "../shared/log-safe-text.ts";
import { type Booking, bookingSchema, type Shipment, type TransportSystem } from "./transport-system.ts";

export interface HttpTransportSystemOptions {
  readonly url: string;
  /** Header carrying the adapter's credential, and where its value comes from (a secret). */
  readonly auth?: { readonly headerName: string; readonly value: () => Promise<string> };
  readonly timeoutMs: number;
}

/** Time kept back from the Lambda's remaining time so a timed-out request is still reported. */
const reserveMs = 1_000;

/**
 * A short reason from an error body (`message` or `error`): it ends up in logs and dead-letter attributes, so
 * whatever it echoes of the consignee is redacted (see logSafeText).
 */
function reasonFrom(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; error?: unknown };
    const reason = typeof parsed.message === "string" ? parsed.message : parsed.error;
    return typeof reason === "string" ? `: ${logSafeText(reason)}` : "";
  } catch {
    return "";
  }
}

export function createHttpTransportSystem(options: HttpTransportSystemOptions): TransportSystem {
  return {
    async book(shipment: Shipment, { remainingTimeMs }): Promise<Booking> {
      const timeoutMs = Math.max(1, Math.min(options.timeoutMs, remainingTimeMs() - reserveMs));
      const headers: Record<string, string> = {
        "content-type": "application/json",
        accept: "application/json",
        "idempotency-key": shipment.idempotencyKey,
      };
      if (options.auth) headers[options.auth.headerName.toLowerCase()] = await options.auth.value();
      let response: HttpResponse;
      try {
        response = await sendHttp({
          method: "POST",
          url: options.url,
          headers,
          body: JSON.stringify(shipment),
          timeoutMs,
        });
      } catch (error) {
        throw new TransientError(
          "transport-unavailable",
          `transport system did not answer (${errorCode(error)})`,
          { cause: error, dependency: "transport" },
        );
      }
      const text = response.body;
      const statusCode = response.status;
      const unavailable = isRetryableStatus(statusCode);
      if (!unavailable) dependencyAnswered("transport");
      if (statusCode >= 200 && statusCode < 300) return parseBooking(text);
      const retryAfter = retryAfterMs(response.headers["retry-after"]);
      if (unavailable) {
        throw new TransientError(
          "transport-unavailable",
          `transport system answered HTTP ${statusCode}${reasonFrom(text)}`,
          { retryAfterMs: retryAfter, dependency: "transport" },
        );
      }
      throw new PermanentError(
        "transport-rejected",
        `transport system rejected the booking (HTTP ${statusCode})${reasonFrom(text)}`,
      );
    },
  };
}

function parseBooking(text: string): Booking {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PermanentError("transport-invalid-response", "transport system answered 2xx without JSON");
  }
  const result = bookingSchema.safeParse(json);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => issue.path.join(".") || "(root)").join(", ");
    throw new PermanentError(
      "transport-invalid-response",
      `transport system's booking is invalid at ${fields}`,
    );
  }
  return result.data;
}

function errorCode(error: unknown): string {
  if (error instanceof HttpNetworkError && error.timedOut) return "timeout";
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === "string" ? code : typeof message === "string" ? logSafeText(message) : "unknown";
}
