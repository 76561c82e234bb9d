/**
 * The HTTP layer under the Ongoing clients and the transport adapter, kept in one small module so it can be
 * swapped. Node's own `http`/`https` over keep-alive agents, not the global `fetch`: Ongoing is reported to answer
 * 500 to the headers fetch adds, and this sends exactly the headers it is given (Node adds only Host, Connection
 * and Content-Length). It is also what loads fastest in a fresh Lambda container: nothing to bundle.
 */
import http from "node:http";
import https from "node:https";

export interface HttpRequest {
  method: "GET" | "PATCH" | "PUT" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Largest answer body read; a longer one is cut off as a network error (`ERESPONSETOOLARGE`). @default 20 MiB */
  maxResponseBytes?: number;
}

/**
 * Bodies from Ongoing and the transport system are read into memory: a cap keeps a broken or hostile server from
 * exhausting the function's memory. Large enough for a page of 500 articles or a booking with its labels.
 */
export const defaultMaxResponseBytes = 20 * 1024 * 1024;

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** The request never got a whole HTTP answer: time-out, reset, refused. */
export class HttpNetworkError extends Error {
  override readonly name = "HttpNetworkError";
  readonly timedOut: boolean;
  /** The system error code (ECONNRESET, ECONNREFUSED, …) when there is one. */
  readonly code: string | undefined;
  constructor(message: string, options: { timedOut: boolean; code?: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.timedOut = options.timedOut;
    this.code = options.code;
  }
}

/**
 * Whether an HTTP status may heal by itself, for every API we call (Ongoing, its login service, the transport
 * adapters): 408 time-out, 425 too early, 429 throttled, and every 5xx. Anything else is the request's own fault.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * `Retry-After` (RFC 9110: delay-seconds or an HTTP date) as milliseconds from `now`; undefined when absent or
 * unreadable. A date already past is 0.
 */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

// One pool per protocol and container: connections are reused across invocations.
// Idle sockets close after 4 s, before servers close theirs, so a thawed Lambda does not reuse a dead one.
// The pipeline already bounds the requests in flight (records per batch); a smaller pool would queue them a
// second time, a whole Ongoing round-trip each. 50 sockets, as the AWS SDK's own handler allows.
const agentOptions = { keepAlive: true, keepAliveMsecs: 1_000, maxSockets: 50, timeout: 4_000 };
const agents = { "http:": new http.Agent(agentOptions), "https:": new https.Agent(agentOptions) };

export function sendHttp(input: HttpRequest): Promise<HttpResponse> {
  const url = new URL(input.url);
  const transport = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
  if (!transport) return Promise.reject(new TypeError(`not an http(s) URL: ${url.protocol}`));
  const headers: Record<string, string> = { ...input.headers };
  if (input.body !== undefined) headers["content-length"] = String(Buffer.byteLength(input.body));
  return new Promise((resolve, reject) => {
    const signal = AbortSignal.timeout(input.timeoutMs);
    const fail = (error: unknown) => {
      const code = (error as { code?: string }).code;
      const timedOut = signal.aborted;
      reject(
        new HttpNetworkError(timedOut ? "timed out" : `network error (${code ?? (error as Error).name})`, {
          timedOut,
          ...(code ? { code } : {}),
          cause: error,
        }),
      );
    };
    const request = transport.request(
      url,
      { method: input.method, headers, agent: agents[url.protocol as "http:" | "https:"], signal },
      (response) => {
        const maxBytes = input.maxResponseBytes ?? defaultMaxResponseBytes;
        const tooLarge = () => {
          fail(
            Object.assign(new Error(`response body over ${maxBytes} bytes`), { code: "ERESPONSETOOLARGE" }),
          );
          request.destroy();
        };
        if (Number(response.headers["content-length"] ?? 0) > maxBytes) return tooLarge();
        const chunks: Buffer[] = [];
        let received = 0;
        response.on("data", (chunk: Buffer) => {
          received += chunk.length;
          if (received > maxBytes) return tooLarge();
          chunks.push(chunk);
        });
        response.on("error", fail);
        response.on("aborted", () =>
          fail(Object.assign(new Error("response aborted"), { code: "ECONNRESET" })),
        );
        response.on("end", () => {
          if (!response.complete)
            return fail(Object.assign(new Error("response cut short"), { code: "ECONNRESET" }));
          const responseHeaders: Record<string, string | undefined> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            responseHeaders[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
          }
          resolve({
            status: response.statusCode ?? 0,
            headers: responseHeaders,
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
      },
    );
    request.on("error", fail);
    // A request still queued for a free socket hears of the abort only once it gets one: answer now.
    signal.addEventListener(
      "abort",
      () => {
        fail(signal.reason);
        request.destroy(signal.reason as Error);
      },
      { once: true },
    );
    request.end(input.body);
  });
}
