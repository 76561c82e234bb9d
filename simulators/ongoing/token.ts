/**
 * The simulator's login service route, `POST /connect/token` (OAuth 2.0 client credentials): faults and the call
 * record as the other routes, then a token from the OAuth state (oauth.ts) or Ongoing's OAuth error answers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, recordedHeaders, sleep } from "../http.ts";
import { tokenPath } from "./oauth.ts";
import type { OngoingSimulatorState } from "./state.ts";

function sendOAuth(response: ServerResponse, status: number, body: unknown, headers = {}) {
  if (response.destroyed || response.writableEnded) return;
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    ...headers,
  });
  response.end(JSON.stringify(body));
}

/** Client credentials from `Authorization: Basic` (RFC 6749 2.3.1, form-encoded parts) or the form body. */
function clientCredentials(request: IncomingMessage, form: URLSearchParams) {
  const match = /^Basic\s+(.+)$/i.exec(request.headers.authorization ?? "");
  if (match) {
    const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return { viaHeader: true, clientId: "", clientSecret: "" };
    const part = (value: string) => decodeURIComponent(value.replace(/\+/g, " "));
    return {
      viaHeader: true,
      clientId: part(decoded.slice(0, colon)),
      clientSecret: part(decoded.slice(colon + 1)),
    };
  }
  return {
    viaHeader: false,
    clientId: form.get("client_id") ?? "",
    clientSecret: form.get("client_secret") ?? "",
  };
}

/** Answers `POST /connect/token` as an OAuth 2.0 token endpoint (client credentials grant only). */
export async function handleTokenRequest(
  state: OngoingSimulatorState,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const method = request.method ?? "POST";
  state.recordCall({ operation: "token", method, path: tokenPath, headers: recordedHeaders(request) });
  const rawBody = await readBody(request);
  const fault = state.takeFault(method, tokenPath, rawBody);
  if (fault) {
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.reset) {
      request.socket.destroy();
      return;
    }
    if (fault.status !== undefined) {
      const headers = fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter };
      return sendOAuth(response, fault.status, { error: "server_error" }, headers);
    }
  }
  if (method !== "POST") return sendOAuth(response, 405, { error: "invalid_request" });
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers["content-type"] ?? "")) {
    return sendOAuth(response, 400, {
      error: "invalid_request",
      error_description: "form body expected",
    });
  }
  const form = new URLSearchParams(rawBody);
  if (form.get("grant_type") !== "client_credentials") {
    return sendOAuth(response, 400, { error: "unsupported_grant_type" });
  }
  const { viaHeader, clientId, clientSecret } = clientCredentials(request, form);
  const issued = state.oauth.issue(clientId, clientSecret);
  if (!issued) {
    // RFC 6749 5.2: 401 with a challenge when the client authenticated by header, else 400.
    return sendOAuth(
      response,
      viaHeader ? 401 : 400,
      { error: "invalid_client" },
      viaHeader ? { "www-authenticate": 'Basic realm="Ongoing WMS login"' } : {},
    );
  }
  sendOAuth(response, 200, {
    access_token: issued.token,
    token_type: "Bearer",
    expires_in: issued.expiresIn,
    ...(form.get("scope") ? { scope: form.get("scope") } : {}),
  });
}
