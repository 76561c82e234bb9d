/**
 * HTTP plumbing the simulators and stand-ins share (never bundled into a Lambda): reading a request body,
 * listening on a port, stopping a server with its open connections, and recording request headers.
 */
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The whole request body as UTF-8 text. */
export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** Starts `server` listening (a free port and 127.0.0.1 by default) and resolves with the port it got. */
export async function listen(
  server: Server,
  options: { port?: number; host?: string } = {},
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Stops `server`, closing the connections still open (keep-alive ones included). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** A wait that does not keep the process alive. */
export const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** The request's headers as sent, with the credentials of `Authorization` masked. */
export function recordedHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index] as string;
    const value = request.rawHeaders[index + 1] as string;
    headers[name] = name.toLowerCase() === "authorization" ? value.replace(/\s.*$/, " ***") : value;
  }
  return headers;
}
