/**
 * A simulator of Ongoing WMS's goods-owner REST API v1 (the subset this project calls), for tests and the local
 * stack; never bundled into a Lambda. A real HTTP server: Basic auth or an OAuth bearer token (oauth.ts) scoped to
 * one goods owner per user, JSON and
 * error bodies like Ongoing's (`{"Message": ...}`), injectable faults and latency, and a record of every call
 * and write. Controlled in process through `state`, or over HTTP through the admin API under `/_admin/`.
 * This module wires the parts: state.ts (the warehouse), rest.ts and rest-routes.ts (REST), soap.ts (Automation
 * API), token.ts (login service), admin.ts (admin API).
 */
import { createServer, type Server } from "node:http";
import { closeServer, listen } from "../http.ts";
import { handleAdmin } from "./admin.ts";
import { sendJson } from "./answers.ts";
import { type OAuthClient, tokenPath } from "./oauth.ts";
import { handleApi } from "./rest.ts";
import { defaultUsers, type SimulatorUser } from "./seed.ts";
import { type AutomationUser, defaultAutomationUsers, handleSoap } from "./soap.ts";
import { OngoingSimulatorState } from "./state.ts";
import { handleTokenRequest } from "./token.ts";

export { defaultOAuthClients, type OAuthClient } from "./oauth.ts";
export type { Json, SimulatorUser } from "./seed.ts";
export { defaultUsers } from "./seed.ts";
export { type AutomationUser, defaultAutomationUsers } from "./soap.ts";
export {
  type Fault,
  type FaultSpec,
  OngoingSimulatorState,
  type RecordedRequest,
  type WriteRecord,
} from "./state.ts";

export interface OngoingSimulatorOptions {
  port?: number;
  host?: string;
  /** The warehouse name in the path: `/{warehouse}/api/v1/`. Default `demo`. */
  warehouse?: string;
  /** Added to every API call. Default 0. */
  latencyMs?: number;
  /** Default: `demo`/`demo-password` (goods owner 159) and `other`/`other-password` (goods owner 160). */
  users?: SimulatorUser[];
  /** Integrator logins of the SOAP Automation API. Default: `automation`/`automation-password` (159 and 160). */
  automationUsers?: AutomationUser[];
  /** OAuth 2.0 clients of the token endpoint. Default: `{login}-client`/`{login}-client-secret` per default login. */
  oauthClients?: OAuthClient[];
  /** true (default): official examples plus demo data; "official": only the examples; false: empty. */
  seed?: boolean | "official";
  /**
   * Larger request bodies are answered 413 (Ongoing does not document its limit; IIS's default is 30,000,000
   * bytes). Default 30,000,000.
   */
  maxRequestBytes?: number;
}

export interface OngoingSimulator {
  /** `http://127.0.0.1:PORT/{warehouse}/api/v1/` */
  readonly baseUrl: string;
  /** `http://127.0.0.1:PORT/{warehouse}/Automation.asmx` (SOAP) */
  readonly automationUrl: string;
  /** `http://127.0.0.1:PORT/connect/token`: the login service's OAuth 2.0 token endpoint. */
  readonly tokenUrl: string;
  /** `http://127.0.0.1:PORT/_admin/` */
  readonly adminUrl: string;
  readonly state: OngoingSimulatorState;
  stop(): Promise<void>;
}

export async function startOngoingSimulator(
  options: OngoingSimulatorOptions = {},
): Promise<OngoingSimulator> {
  const warehouse = options.warehouse ?? "demo";
  const state = new OngoingSimulatorState(
    options.seed ?? true,
    options.latencyMs ?? 0,
    options.users ?? defaultUsers,
    options.maxRequestBytes,
    options.oauthClients,
  );
  const apiPrefix = `/${warehouse}/api/v1`;
  const automationUsers = options.automationUsers ?? defaultAutomationUsers;
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://simulator");
    const path = url.pathname;
    let handled: Promise<void>;
    if (path.startsWith("/_admin/") || path === "/_admin") {
      handled = handleAdmin(
        state,
        request,
        response,
        path.slice("/_admin".length).replace(/^\//, ""),
        url.searchParams,
      );
    } else if (path === tokenPath) {
      handled = handleTokenRequest(state, request, response);
    } else if (path.toLowerCase() === `/${warehouse}/automation.asmx`.toLowerCase()) {
      handled = handleSoap(state, automationUsers, request, response);
    } else if (path.toLowerCase().startsWith(`${apiPrefix.toLowerCase()}/`)) {
      handled = handleApi(state, request, response, path.slice(apiPrefix.length), url.searchParams);
    } else {
      handled = Promise.resolve(sendJson(response, 404, { Message: "Not found." }));
    }
    handled.catch(() => sendJson(response, 500, { Message: "An error has occurred." }));
  });
  const port = await listen(server, options);
  const host = options.host === undefined || options.host === "0.0.0.0" ? "127.0.0.1" : options.host;
  const origin = `http://${host}:${port}`;
  return {
    baseUrl: `${origin}${apiPrefix}/`,
    automationUrl: `${origin}/${warehouse}/Automation.asmx`,
    tokenUrl: `${origin}${tokenPath}`,
    adminUrl: `${origin}/_admin/`,
    state,
    stop: () => closeServer(server),
  };
}
