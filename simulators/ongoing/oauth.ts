/**
 * The simulator's stand-in for Ongoing's login service (`POST /connect/token`, OAuth 2.0 client credentials):
 * each client acts as one API user (goods-owner REST) or integrator login (Automation), tokens expire, and a
 * re-issued secret revokes the old one and every token issued with it, as Ongoing's admin does. Tokens are checked
 * by the REST and SOAP handlers; admin knobs expire or revoke them.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  /** The API user (REST) or integrator login (Automation) whose access the client's tokens carry. */
  username: string;
}

/** One client per default login: `{username}-client` / `{username}-client-secret`. */
export const defaultOAuthClients: OAuthClient[] = ["demo", "other", "automation"].map((username) => ({
  clientId: `${username}-client`,
  clientSecret: `${username}-client-secret`,
  username,
}));

/** The path faults match for a token request. */
export const tokenPath = "/connect/token";

interface IssuedToken {
  clientId: string;
  username: string;
  expiresAt: number;
}

/** Clients, their current secrets and the tokens issued; `reset()` goes back to the configured clients. */
export class OAuthState {
  readonly clients = new Map<string, OAuthClient>();
  readonly tokens = new Map<string, IssuedToken>();
  /** `expires_in` of new tokens. */
  tokenLifetimeSeconds = 3600;
  tokensIssued = 0;

  constructor(private readonly initialClients: OAuthClient[]) {
    this.reset();
  }

  reset(): void {
    this.clients.clear();
    for (const client of this.initialClients) this.clients.set(client.clientId, { ...client });
    this.tokens.clear();
    this.tokenLifetimeSeconds = 3600;
    this.tokensIssued = 0;
  }

  /** A new token for a client whose secret matches, else undefined. */
  issue(clientId: string, clientSecret: string): { token: string; expiresIn: number } | undefined {
    const client = this.clients.get(clientId);
    if (!client || client.clientSecret !== clientSecret) return undefined;
    const token = randomBytes(24).toString("base64url");
    this.tokens.set(token, {
      clientId,
      username: client.username,
      expiresAt: Date.now() + this.tokenLifetimeSeconds * 1000,
    });
    this.tokensIssued++;
    return { token, expiresIn: this.tokenLifetimeSeconds };
  }

  /** The login a valid bearer token acts as; undefined when unknown, revoked or expired. */
  usernameOf(token: string): string | undefined {
    const issued = this.tokens.get(token);
    if (!issued || issued.expiresAt <= Date.now()) return undefined;
    return issued.username;
  }

  /** Every token issued so far stops working (as if their lifetime had passed). */
  expireTokens(): void {
    for (const issued of this.tokens.values()) issued.expiresAt = 0;
  }

  /** Ongoing's "send a new secret": the old secret and every token issued to the client stop working. */
  reissueSecret(clientId: string, clientSecret = randomBytes(24).toString("base64url")): OAuthClient {
    const client = this.clients.get(clientId);
    if (!client) throw new Error(`no OAuth client ${clientId}`);
    client.clientSecret = clientSecret;
    for (const [token, issued] of this.tokens) if (issued.clientId === clientId) this.tokens.delete(token);
    return { ...client };
  }

  summary() {
    const now = Date.now();
    return {
      tokenLifetimeSeconds: this.tokenLifetimeSeconds,
      tokensIssued: this.tokensIssued,
      activeTokens: [...this.tokens.values()].filter((issued) => issued.expiresAt > now).length,
      clients: [...this.clients.values()].map(({ clientId, username }) => ({ clientId, username })),
    };
  }
}

/**
 * The bearer token of `Authorization`: undefined without one (the caller may try Basic), else the login it acts
 * as or `null` when the token is not (or no longer) valid.
 */
export function bearerLogin(state: OAuthState, request: IncomingMessage): string | null | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
  if (!match) return undefined;
  return state.usernameOf(match[1] as string) ?? null;
}
