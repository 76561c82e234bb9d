/**
 * The webhook authorizer's logic: find the presented token (the configured header, or Basic auth's password
 * when allowed), compare it in constant time with the current and the previous token from Secrets Manager,
 * and answer API Gateway with a policy. The token is never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";

/** The accepted tokens: `previous` is still accepted while Ongoing is switched over to `current`. */
export interface WebhookTokens {
  readonly current: string;
  readonly previous?: string;
}

export interface AuthorizerOptions {
  readonly headerName: string;
  readonly allowBasicAuth: boolean;
  /** Reads the token secret's string value (cached by the caller). */
  readonly readTokenSecret: () => Promise<string>;
}

/**
 * Why a request was denied, in the Deny's context (`$context.authorizer.denial` in the 403 answer). A missing
 * token is denied, not thrown as `Unauthorized` (API Gateway's 401): a throw counts as a function error, so
 * every stray request would fire the authorizer's fault alarm. With the authorizer cache on (the default) API
 * Gateway answers a missing token header 401 itself, before the function runs.
 */
export type Denial = "missing-token" | "invalid-token";

/** Reads the token secret: a plain string, or JSON `{"current","previous"}` during a rotation. */
export function parseTokenSecret(value: string): WebhookTokens {
  const trimmed = value.trim();
  if (trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new Error('webhook token secret starts with "{" but is not JSON');
    }
    const { current, previous } = parsed as { current?: unknown; previous?: unknown };
    if (typeof current !== "string" || current === "") {
      throw new Error('webhook token secret JSON has no "current" string');
    }
    return typeof previous === "string" && previous !== "" ? { current, previous } : { current };
  }
  if (trimmed === "") throw new Error("webhook token secret is empty");
  return { current: trimmed };
}

function header(headers: Record<string, string | undefined> | null, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined && value !== "") return value;
  }
  return undefined;
}

/** The token the request presents, if any: the token header first, then Basic auth's password when allowed. */
export function presentedToken(
  headers: Record<string, string | undefined> | null,
  options: Pick<AuthorizerOptions, "headerName" | "allowBasicAuth">,
): string | undefined {
  const token = header(headers, options.headerName);
  if (token !== undefined) return token;
  if (!options.allowBasicAuth) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header(headers, "Authorization") ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const password = colon === -1 ? "" : decoded.slice(colon + 1);
  return password === "" ? undefined : password;
}

/** A fixed-length digest, so the constant-time compare never sees (or leaks) the tokens' lengths. */
export const tokenDigest = (token: string): Buffer => createHash("sha256").update(token, "utf8").digest();

/** True when the presented token equals one of the accepted ones; compares against every one, always. */
export function tokenMatches(presented: string, tokens: WebhookTokens): boolean {
  const digest = tokenDigest(presented);
  let matched = false;
  for (const accepted of [tokens.current, tokens.previous ?? tokens.current]) {
    matched = timingSafeEqual(digest, tokenDigest(accepted)) || matched;
  }
  return matched;
}

/** The resource a cached answer must cover: every POST route of the stage (the cache is per token, not per route). */
export function stageResource(methodArn: string): string {
  const [apiArn, stage] = methodArn.split("/");
  return `${apiArn}/${stage}/POST/*`;
}

function policy(effect: "Allow" | "Deny", methodArn: string, denial?: Denial): APIGatewayAuthorizerResult {
  return {
    principalId: "ongoing-wms",
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: stageResource(methodArn) }],
    },
    ...(denial ? { context: { denial } } : {}),
  };
}

/**
 * Missing or wrong token → Deny (403) saying which; right → Allow. Only a real fault throws: a secret that cannot
 * be read (API Gateway answers 500, so Ongoing retries, and the fault alarm fires).
 */
export async function authorize(
  event: Pick<APIGatewayRequestAuthorizerEvent, "headers" | "methodArn">,
  options: AuthorizerOptions,
): Promise<APIGatewayAuthorizerResult> {
  const presented = presentedToken(event.headers, options);
  if (presented === undefined) return policy("Deny", event.methodArn, "missing-token");
  const tokens = parseTokenSecret(await options.readTokenSecret());
  return tokenMatches(presented, tokens)
    ? policy("Allow", event.methodArn)
    : policy("Deny", event.methodArn, "invalid-token");
}
