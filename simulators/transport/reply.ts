/** How the transport simulator answers: JSON (or nothing), and the `Retry-After` of a fault or outage. */
import type { ServerResponse } from "node:http";

export function reply(
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

export function retryHeader(fault: { retryAfter?: string | undefined }): Record<string, string> {
  return fault.retryAfter ? { "retry-after": fault.retryAfter } : {};
}
