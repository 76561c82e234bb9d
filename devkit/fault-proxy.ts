/**
 * A reverse proxy in front of a real local service (SES, DynamoDB) that can answer in its place: a throttle, a
 * rejection, a dropped connection. It also records when each forwarded call was answered, because the local SES
 * stores mails with one-second timestamps, too coarse for a latency figure.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the proxy answers instead of the service, when `matches` says so. */
export interface ProxyFault {
  /** Which requests it applies to (the raw body and the headers). @default every request */
  readonly matches?: (body: string, headers: IncomingMessage["headers"]) => boolean;
  /** Drop the connection instead of answering. */
  readonly reset?: boolean;
  readonly status?: number;
  readonly body?: string;
  readonly contentType?: string;
  /** For this many matching requests. @default unlimited */
  times?: number;
}

/** One forwarded call, answered by the service. */
export interface ProxiedCall {
  readonly body: string;
  readonly status: number;
  readonly answeredAt: number;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** The service the proxy forwards to; set it before the first request. */
  target: string;
  /** Faults, first match wins. */
  readonly faults: ProxyFault[];
  /** Forwarded calls whose body `record` accepted. */
  readonly calls: ProxiedCall[];
  /** Answers the proxy gave itself (faults). */
  faulted: number;
  /** Most forwarded calls per second (a token bucket, like SES's sending rate); 429 Throttling beyond it. */
  ratePerSecond: number | undefined;
  stop(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Which forwarded calls to keep in `calls` (e.g. only SES SendEmail). @default none */
  readonly record?: (body: string) => boolean;
  /** The answer when the rate is exceeded. */
  readonly throttleAnswer?: { status: number; body: string; contentType: string };
}

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.once("end", () => resolve(Buffer.concat(chunks)));
    request.once("error", reject);
  });

export async function startFaultProxy(options: FaultProxyOptions = {}): Promise<FaultProxy> {
  // A full bucket to begin with: SES allows its whole per-second rate at once.
  let tokens = Number.POSITIVE_INFINITY;
  let refilledAt = Date.now();
  const takeToken = (rate: number): boolean => {
    const now = Date.now();
    tokens = Math.min(rate, tokens + ((now - refilledAt) / 1000) * rate);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };

  const proxy: Omit<FaultProxy, "endpoint" | "stop"> = {
    target: "",
    faults: [],
    calls: [],
    faulted: 0,
    ratePerSecond: undefined,
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    const text = body.toString("utf8");
    const fault = proxy.faults.find(
      (candidate) => (candidate.times ?? 1) > 0 && (candidate.matches?.(text, request.headers) ?? true),
    );
    if (fault) {
      if (fault.times !== undefined) fault.times -= 1;
      proxy.faulted += 1;
      if (fault.reset) {
        request.socket.destroy();
        return;
      }
      response.writeHead(fault.status ?? 500, { "content-type": fault.contentType ?? "text/xml" });
      response.end(fault.body ?? "");
      return;
    }
    const recorded = options.record?.(text) ?? false;
    if (recorded && proxy.ratePerSecond !== undefined && !takeToken(proxy.ratePerSecond)) {
      proxy.faulted += 1;
      const answer = options.throttleAnswer ?? { status: 429, body: "", contentType: "text/plain" };
      response.writeHead(answer.status, { "content-type": answer.contentType });
      response.end(answer.body);
      return;
    }
    const target = new URL(request.url ?? "/", proxy.target);
    const upstream = httpRequest(
      target,
      { method: request.method, headers: { ...request.headers, host: target.host } },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
        answer.once("end", () => {
          if (recorded)
            proxy.calls.push({ body: text, status: answer.statusCode ?? 0, answeredAt: Date.now() });
        });
      },
    );
    upstream.once("error", () => request.socket.destroy());
    upstream.end(body);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => request.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** SES (v1 query API) error answers, as SES words them. */
export const sesAnswers = {
  throttling: {
    status: 400,
    contentType: "text/xml",
    body: '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message></Error><RequestId>local-throttle</RequestId></ErrorResponse>',
  },
  /** SES's answer once the account's 24-hour quota is used up. */
  dailyQuotaExceeded: {
    status: 400,
    contentType: "text/xml",
    body: '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Daily message quota exceeded.</Message></Error><RequestId>local-quota</RequestId></ErrorResponse>',
  },
  rejected: {
    status: 400,
    contentType: "text/xml",
    body: '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>MessageRejected</Code><Message>Email address is not verified.</Message></Error><RequestId>local-reject</RequestId></ErrorResponse>',
  },
} as const;

/** Is this SES request a SendEmail? */
export const isSendEmail = (body: string): boolean => /(^|&)Action=SendEmail(&|$)/.test(body);

/** The first To address of an SES SendEmail request. */
export function sendEmailRecipient(body: string): string | undefined {
  return new URLSearchParams(body).get("Destination.ToAddresses.member.1") ?? undefined;
}
