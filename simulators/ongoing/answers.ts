/** How the simulator's JSON handlers (REST and admin) answer: Ongoing's `{"Message": ...}` bodies and statuses. */
import type { ServerResponse } from "node:http";

/** Thrown by a route to answer with this status and `{"Message": message}`. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  if (response.destroyed || response.writableEnded) return;
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  response.end(body === undefined ? "" : JSON.stringify(body));
}
