/**
 * A stand-in for SES's failure answers, which aws-ses-v2-local never gives: a real HTTP proxy in front of it
 * that answers the next N calls with an SES error in SES's own XML form (Throttling, MessageRejected, …) and
 * passes every other call through unchanged.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SesError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly type?: "Sender" | "Receiver";
}

// Headers that describe one connection, not the request (fetch sets its own).
const hopByHop = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "expect",
]);

export const sesThrottling: SesError = {
  status: 400,
  code: "Throttling",
  message: "Maximum sending rate exceeded.",
};
export const sesMessageRejected: SesError = {
  status: 400,
  code: "MessageRejected",
  message: "Email address is not verified.",
};

/** SES is briefly unable to take requests: it did not take this one, so sending it again is safe. */
export const sesServiceUnavailable: SesError = {
  status: 503,
  code: "ServiceUnavailable",
  message: "Service is unavailable. Please try again later.",
  type: "Receiver",
};
/** SES failed inside: it may have accepted the mail before failing, so the answer proves nothing. */
export const sesInternalFailure: SesError = {
  status: 500,
  code: "InternalFailure",
  message: "The request processing has failed because of an unknown error.",
  type: "Receiver",
};

export interface FailingSesProxy {
  readonly endpoint: string;
  /** Answers the next `times` calls with `error`. */
  failNext(times: number, error: SesError): void;
  /** Passes the next `times` calls on (SES accepts the mail) but never answers them: the client times out. */
  loseNextAnswers(times: number): void;
  /** Calls answered with an error so far. */
  readonly failed: number;
  stop(): Promise<void>;
}

export async function startFailingSesProxy(target: string): Promise<FailingSesProxy> {
  const queue: SesError[] = [];
  let failed = 0;
  let answersToLose = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const error = queue.shift();
      if (error) {
        failed++;
        response.writeHead(error.status, { "content-type": "text/xml" });
        response.end(
          `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>${error.type ?? "Sender"}</Type>` +
            `<Code>${error.code}</Code><Message>${error.message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
        );
        return;
      }
      const lose = answersToLose > 0;
      if (lose) answersToLose--;
      fetch(new URL(request.url ?? "/", target), {
        method: request.method ?? "GET",
        headers: Object.fromEntries(
          Object.entries(request.headers).filter(
            (entry): entry is [string, string] => typeof entry[1] === "string" && !hopByHop.has(entry[0]),
          ),
        ),
        ...(request.method === "GET" || request.method === "HEAD" ? {} : { body: Buffer.concat(chunks) }),
      })
        .then(async (upstream) => {
          if (lose) {
            // SES has the mail; the answer never comes (the connection closes when the client gives up).
            return;
          }
          response.writeHead(upstream.status, {
            "content-type": upstream.headers.get("content-type") ?? "text/xml",
          });
          response.end(Buffer.from(await upstream.arrayBuffer()));
        })
        .catch(() => {
          response.writeHead(502);
          response.end();
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    failNext(times, error) {
      for (let index = 0; index < times; index++) queue.push(error);
    },
    loseNextAnswers(times) {
      answersToLose += times;
    },
    get failed() {
      return failed;
    },
    stop: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
