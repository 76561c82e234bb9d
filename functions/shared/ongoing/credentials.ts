/**
 * Ongoing credentials: Basic auth or an OAuth 2.0 bearer token (oauth.ts), chosen by the shape of the secret
 * they are read from, and the `Authorization` header each makes. Asked again after a 401 with the credentials
 * refused, so a rotated secret or a refused token is picked up once.
 */
import * as z from "zod";
import type { ongoingSettingsSchema } from "../contract/settings.ts";
import { PermanentError } from "../errors.ts";
import { getSecretJson } from "../secrets.ts";
import { callBudget, type OngoingCallBudget } from "./call.ts";
import { accessToken, defaultTokenUrl } from "./oauth.ts";
/** An API user's name and password (HTTP Basic; the SOAP body's UserName and Password). */
export interface BasicCredentials {
  username: string;
  password: string;
}

/** An OAuth 2.0 access token from Ongoing's login service. */
export interface BearerCredentials {
  accessToken: string;
}

export type OngoingCredentials = BasicCredentials | BearerCredentials;

export interface CredentialsRequest {
  /** Read the secret again (a 401 came back: it may have been rotated). */
  forceFetch?: boolean;
  /** The credentials the 401 answered: a refused token is replaced, unless another call already did. */
  rejected?: OngoingCredentials;
  /** The calling client's time-outs and remaining time, for a token request. */
  budget?: OngoingCallBudget;
}

/** Called before each request; asked to `forceFetch` once after a 401, in case the secret was rotated. */
export type CredentialsSource = (options?: CredentialsRequest) => Promise<OngoingCredentials>;

/** HTTP Basic credentials as Ongoing expects them. */
export function basicAuthorization(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, "utf8").toString("base64")}`;
}

/** The `Authorization` header for either kind of credentials. */
export function authorization(credentials: OngoingCredentials): string {
  return "accessToken" in credentials ? `Bearer ${credentials.accessToken}` : basicAuthorization(credentials);
}

/**
 * The credentials for one attempt of one call: asked again after a 401 with the ones refused, so a refused token
 * is replaced (once, however many calls were refused at the same time).
 */
export function credentialsPerAttempt(
  credentials: CredentialsSource,
  budget: OngoingCallBudget,
): (forceFetch: boolean) => Promise<OngoingCredentials> {
  let used: OngoingCredentials | undefined;
  return async (forceFetch) => {
    used = await credentials(forceFetch ? { forceFetch, rejected: used, budget } : { budget });
    return used;
  };
}

const basicLoginSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });
const oauthLoginSchema = z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) });

/** The secret's login; exactly one of the two shapes (other keys are ignored, as before OAuth). */
async function readLogin(secretName: string, forceFetch: boolean) {
  const value = await getSecretJson(secretName, { forceFetch });
  const basic = basicLoginSchema.safeParse(value);
  const oauth = oauthLoginSchema.safeParse(value);
  if (basic.success && !oauth.success) return basic.data;
  if (oauth.success && !basic.success) return oauth.data;
  throw new PermanentError(
    "ongoing-credentials-invalid",
    `secret "${secretName}" holds ${basic.success ? "both" : "neither"} {"username","password"} (Basic) ` +
      `${basic.success ? "and" : "nor"} {"clientId","clientSecret"} (OAuth)`,
  );
}

/** Where OAuth tokens come from. */
export interface TokenSettings {
  /** @default Ongoing's login service, https://login.ongoingwms.com/connect/token */
  tokenUrl?: string | undefined;
  /** Space-separated scopes. @default none */
  scope?: string | undefined;
}

const unboundedBudget: OngoingCallBudget = callBudget({});

/**
 * Credentials from a secret whose shape names the scheme: `{"username","password"}` is Basic, and
 * `{"clientId","clientSecret"}` is OAuth 2.0 client credentials (a cached access token). Any other shape is a
 * configuration error (values never reported).
 */
export function credentialsFromSecret(secretName: string, token: TokenSettings = {}): CredentialsSource {
  const source = {
    tokenUrl: token.tokenUrl ?? defaultTokenUrl,
    scope: token.scope,
    describe: `secret "${secretName}"`,
    async clientCredentials({ forceFetch }: { forceFetch: boolean }) {
      const login = await readLogin(secretName, forceFetch);
      if (!("clientId" in login)) {
        throw new PermanentError("ongoing-credentials-invalid", `secret "${secretName}" changed scheme`);
      }
      return login;
    },
  };
  return async (options) => {
    const login = await readLogin(secretName, options?.forceFetch ?? false);
    if ("username" in login) return login;
    const rejected = options?.rejected;
    return {
      accessToken: await accessToken(source, options?.budget ?? unboundedBudget, {
        ...(rejected && "accessToken" in rejected ? { rejected: rejected.accessToken } : {}),
      }),
    };
  };
}

/** The function's token endpoint and scopes (ONGOING_TOKEN_URL, ONGOING_TOKEN_SCOPE). */
export function tokenSettingsOf(settings: z.output<typeof ongoingSettingsSchema>): TokenSettings {
  return { tokenUrl: settings.ONGOING_TOKEN_URL, scope: settings.ONGOING_TOKEN_SCOPE };
}
