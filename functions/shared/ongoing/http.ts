/**
 * The HTTP layer under the Ongoing client, kept in one small module so it can be swapped. undici's `request()`
 * over one keep-alive `Agent`, not the global `fetch`: Ongoing is reported to answer 500 to the headers fetch
 * adds. Sends exactly the headers it is given (undici adds only host, connection and content-length).
 */
import { Agent, request } from "undici";

export interface HttpRequest {
  method: "GET" | "PATCH" | "PUT" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** The request never got an HTTP answer: time-out, reset, refused. */
export class HttpNetworkError extends Error {
  override readonly name = "HttpNetworkError";
  readonly timedOut: boolean;
  constructor(message: string, options: { timedOut: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.timedOut = options.timedOut;
  }
}

// One pool per container: connections are reused across invocations.
const agent = new Agent({ keepAliveTimeout: 4_000, connections: 16 });

export async function sendHttp(input: HttpRequest): Promise<HttpResponse> {
  const signal = AbortSignal.timeout(input.timeoutMs);
  try {
    const response = await request(input.url, {
      dispatcher: agent,
      method: input.method,
      headers: input.headers,
      body: input.body,
      signal,
      headersTimeout: input.timeoutMs,
      bodyTimeout: input.timeoutMs,
    });
    const body = await response.body.text();
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    return { status: response.statusCode, headers, body };
  } catch (error) {
    const timedOut =
      signal.aborted ||
      (error as { code?: string }).code === "UND_ERR_HEADERS_TIMEOUT" ||
      (error as { code?: string }).code === "UND_ERR_BODY_TIMEOUT";
    const code = (error as { code?: string }).code ?? (error as Error).name;
    throw new HttpNetworkError(timedOut ? "timed out" : `network error (${code})`, {
      timedOut,
      cause: error,
    });
  }
}
