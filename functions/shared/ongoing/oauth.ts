/**
 * OAuth 2.0 client credentials for Ongoing's REST and Automation APIs: an access token from Ongoing's login
 * service, cached per container until shortly before it expires, one token request shared by every caller that
 * needs a token at the same time, and a fresh token (after re-reading the secret, in case it was re-issued) when
 * Ongoing refuses the one in use. A client the login service refuses twice fails permanently with its reason.
 */
import * as z from "zod";
import { ongoingTokenUrl } from "../contract/settings.ts";
import { PermanentError } from "../errors.ts";
import { type HttpResponse, isRetryableStatus, retryAfterMs } from "../http.ts";
import { callOngoing, type OngoingAnswer, type OngoingCallBudget, userAgent } from "./call.ts";
/** Ongoing's documented token endpoint. */
export const defaultTokenUrl = ongoingTokenUrl;

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface TokenSource {
  /** Where tokens come from. */
  tokenUrl: string;
  /** Space-separated scopes to ask for; none when undefined (Ongoing documents none). */
  scope?: string | undefined;
  /** Reads the client id and secret; `forceFetch` skips the secret cache (after a refusal). */
  clientCredentials: (options: { forceFetch: boolean }) => Promise<ClientCredentials>;
  /** Names the client in error messages (the secret's name), never its values. */
  describe: string;
}

/** A token is renewed this long before it expires (a minute, or half its lifetime if that is shorter). */
export const refreshMarginMs = 60_000;
/** Assumed when the login service gives no `expires_in` (it is only RECOMMENDED by RFC 6749). */
const defaultLifetimeSeconds = 300;

interface CachedToken {
  accessToken: string;
  /** When to stop using it (expiry less the margin), epoch ms. */
  renewAt: number;
}

interface TokenEntry {
  token?: CachedToken;
  /** The token request in flight, shared by everyone who needs a token meanwhile. */
  pending?: Promise<CachedToken>;
}

// Per token URL, scope and client (the secret's name): one token per container, shared by every client instance.
const tokens = new Map<string, TokenEntry>();

const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive().optional(),
});

/** The OAuth `error` code (RFC 6749 5.2) of a refusal, and its description shortened; never our request data. */
function oauthError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    if (typeof parsed.error === "string" && /^[\x20-\x7e]{1,64}$/.test(parsed.error)) {
      const description =
        typeof parsed.error_description === "string" ? `: ${parsed.error_description.slice(0, 200)}` : "";
      return `${parsed.error}${description}`;
    }
  } catch {
    // Not JSON: the status says enough.
  }
  return "no OAuth error code";
}

function interpret(source: TokenSource, response: HttpResponse): OngoingAnswer<CachedToken> {
  const { status } = response;
  if (status === 200) {
    let parsed: z.infer<typeof tokenAnswerSchema>;
    try {
      parsed = tokenAnswerSchema.parse(JSON.parse(response.body));
    } catch {
      throw new PermanentError(
        "ongoing-token-unexpected",
        `Ongoing's login service answered without an access token (client from ${source.describe})`,
      );
    }
    if (parsed.token_type !== undefined && parsed.token_type.toLowerCase() !== "bearer") {
      throw new PermanentError(
        "ongoing-token-unexpected",
        `Ongoing's login service issued a "${parsed.token_type.slice(0, 20)}" token, not a bearer token`,
      );
    }
    const lifetimeMs = (parsed.expires_in ?? defaultLifetimeSeconds) * 1000;
    return {
      done: {
        accessToken: parsed.access_token,
        renewAt: Date.now() + lifetimeMs - Math.min(refreshMarginMs, lifetimeMs / 2),
      },
    };
  }
  const reason = oauthError(response.body);
  const message = `Ongoing's login service refused the client from ${source.describe} (${status} ${reason})`;
  // invalid_client and friends: the secret may just have been re-issued, so read it again once.
  if (status === 400 || status === 401) return { reauthenticate: { code: "ongoing-token-refused", message } };
  if (isRetryableStatus(status)) {
    const retryAfter = retryAfterMs(response.headers["retry-after"]);
    return {
      retry: {
        code: "ongoing-token-unavailable",
        message: `Ongoing's login service answered ${status}`,
        ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
      },
    };
  }
  throw new PermanentError("ongoing-token-refused", message);
}

// The caller has just read the secret (again, after a 401): only a refusal here makes it read it once more.
function requestToken(source: TokenSource, budget: OngoingCallBudget) {
  return callOngoing<CachedToken>(
    {
      operation: "token",
      method: "POST",
      url: source.tokenUrl,
      async prepare(force) {
        const { clientId, clientSecret } = await source.clientCredentials({ forceFetch: force });
        // RFC 6749 2.3.1: client_secret_basic, each part form-encoded first.
        const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+");
        const basic = Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`, "utf8").toString("base64");
        const form = new URLSearchParams({ grant_type: "client_credentials" });
        if (source.scope) form.set("scope", source.scope);
        return {
          headers: {
            Authorization: `Basic ${basic}`,
            "Content-Type": "application/x-www-form-urlencoded",
            Accept: "application/json",
            "User-Agent": userAgent,
          },
          body: form.toString(),
        };
      },
      interpret: (response) => interpret(source, response),
    },
    budget,
  );
}

/**
 * An access token for the source. `rejected`: the token Ongoing just refused; unless another caller already
 * replaced it, it is dropped and a new one requested with the secret read again. Throws PermanentError
 * `ongoing-token-refused` for a client the login service refuses, TransientError `ongoing-token-unavailable`
 * while it is down.
 */
export async function accessToken(
  source: TokenSource,
  budget: OngoingCallBudget,
  options: { rejected?: string } = {},
): Promise<string> {
  const key = JSON.stringify([source.tokenUrl, source.scope ?? "", source.describe]);
  let entry = tokens.get(key);
  if (!entry) {
    entry = {};
    tokens.set(key, entry);
  }
  const refused = options.rejected !== undefined && entry.token?.accessToken === options.rejected;
  if (refused) entry.token = undefined;
  if (entry.token && entry.token.renewAt > Date.now()) return entry.token.accessToken;
  if (!entry.pending) {
    const current = entry;
    const pending: Promise<CachedToken> = requestToken(source, budget)
      .then((token) => {
        current.token = token;
        return token;
      })
      .finally(() => {
        if (current.pending === pending) current.pending = undefined;
      });
    current.pending = pending;
  }
  return (await (entry.pending as Promise<CachedToken>)).accessToken;
}

/** Forgets every cached token (tests). */
export function clearTokenCache(): void {
  tokens.clear();
}
