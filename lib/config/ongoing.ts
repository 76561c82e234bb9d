/** How the functions reach Ongoing WMS: the REST API root, the logins (by secret name), time-outs. */
import * as z from "zod";
import { ongoingTokenUrl } from "../../functions/shared/contract/settings.ts";
import { ongoingApi, secretName } from "./parts.ts";

export const ongoingConfig = z.strictObject({
  /** Goods-owner REST API root: https://api.ongoingsystems.se/{warehouse}/api/v1/ */
  baseUrl: z
    .url({
      protocol: /^https$/,
      error: "an https URL ending in /api/v1/, e.g. https://api.ongoingsystems.se/MyWarehouse/api/v1/",
    })
    .refine(
      (url) => /\/api\/v1\/?$/.test(url),
      "an https URL ending in /api/v1/ (the warehouse's REST API root)",
    ),
  /**
   * Secret holding the default REST API login as JSON: `{"username","password"}` (Basic) or
   * `{"clientId","clientSecret"}` (OAuth 2.0 client credentials, Ongoing's recommendation).
   * @default none: then every goods owner served needs goodsOwners.N.credentialsSecretName (else its webhooks
   * are dead-lettered with `no-credentials`)
   */
  credentialsSecretName: secretName.optional(),
  /**
   * Name prefix every goods owner's own secret (goodsOwners.N.credentialsSecretName) must start with: functions
   * are granted the prefix, so their role policies stay the same size however many goods owners there are.
   * @default "ongoing-webhooks/goods-owners/"
   */
  goodsOwnerSecretPrefix: z
    .string()
    .regex(
      /^[A-Za-z0-9/_+=.@-]{1,256}\/$/,
      'a Secrets Manager name prefix ending in "/", e.g. "ongoing-webhooks/goods-owners/"',
    )
    .default("ongoing-webhooks/goods-owners/"),
  /**
   * Secret holding the Automation API login, Basic or OAuth as for credentialsSecretName.
   * @default none (Automation API unused)
   */
  automationCredentialsSecretName: secretName.optional(),
  /**
   * OAuth 2.0 token endpoint for logins held as `{"clientId","clientSecret"}`.
   * @default "https://login.ongoingwms.com/connect/token" (Ongoing's login service)
   */
  tokenUrl: z
    .url({ protocol: /^https$/, error: "an https URL of an OAuth 2.0 token endpoint" })
    .default(ongoingTokenUrl),
  /** Space-separated OAuth scopes asked for with each token (Ongoing documents none). @default none */
  tokenScope: z
    .string()
    .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, "space-separated OAuth scopes")
    .optional(),
  /** Which API the transport use-case fetches and writes back with. @default "rest" */
  transportApi: ongoingApi.default("rest"),
  /** Time-out of one HTTP request to Ongoing. @default 10000 */
  requestTimeoutMs: z.number().int().min(500).max(60_000).default(10_000),
  /** Attempts per Ongoing call within one invocation (then the message is retried later). @default 4 */
  maxAttempts: z.number().int().min(1).max(10).default(4),
});
