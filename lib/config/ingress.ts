/** The webhook edge: the token check, request limits, throttling, tracing and the optional WAF. */
import * as z from "zod";
import { secretName } from "./parts.ts";

export const webhookAuthConfig = z
  .strictObject({
    /**
     * Secret holding the webhook token(s): a plain string, or JSON `{"current","previous"}` so a token can be
     * rotated without downtime (both are accepted).
     */
    tokenSecretName: secretName,
    /** Header Ongoing sends the token in. @default "X-Auth-Token" */
    headerName: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, "an HTTP header name")
      .default("X-Auth-Token"),
    /**
     * Also accept `Authorization: Basic` whose password is the token. API Gateway caches an authorizer's answer
     * only when every identity source (the token header) is present, so Basic auth turns the cache off.
     * @default false
     */
    allowBasicAuth: z.boolean().default(false),
    /**
     * How long API Gateway caches the authorizer's answer per token.
     * @default 300, or 0 when allowBasicAuth is on (the only value allowed then)
     */
    cacheTtlSeconds: z.number().int().min(0).max(3600).optional(),
  })
  .superRefine((auth, ctx) => {
    if (auth.allowBasicAuth && (auth.cacheTtlSeconds ?? 0) > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["cacheTtlSeconds"],
        message:
          "must be 0 (or unset) when webhookAuth.allowBasicAuth is true: API Gateway caches authorizer answers only by the token header, which a Basic-auth request lacks",
      });
    }
  })
  .transform((auth) => ({
    ...auth,
    cacheTtlSeconds: auth.cacheTtlSeconds ?? (auth.allowBasicAuth ? 0 : 300),
  }));

export const ingressConfig = z
  .strictObject({
    /**
     * Largest accepted body, counted in characters (UTF-16 code units, all a mapping template can measure;
     * equal to bytes for ASCII JSON); larger is answered 413. At most 250000 so a message stays under SQS's limit.
     * @default 65536
     */
    maxBodyBytes: z.number().int().min(1024).max(250_000).default(65_536),
    /** Stage steady-state request rate. @default 50 */
    throttlingRateLimit: z.number().min(1).default(50),
    /** Stage burst. @default 100 */
    throttlingBurstLimit: z.number().int().min(1).default(100),
    /** X-Ray tracing on the API stage and functions. @default false */
    tracing: z.boolean().default(false),
    /**
     * Let the stack set the account-wide role API Gateway writes CloudWatch logs with (kept when the stack is
     * deleted). API Gateway refuses a stage with logging until that role is set; turn off only where the
     * account already has one. @default true
     */
    cloudWatchRole: z.boolean().default(true),
    /**
     * An AWS WAF web ACL on the stage: it blocks a source IP over `rateLimitPerIp` requests per
     * `rateWindowSeconds`, and bodies over `maxBodyBytes`, before they reach API Gateway. Costs about
     * $7/month plus $0.60 per million requests (docs/configuration.md). @default off
     */
    waf: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Requests per window one source IP may send (set it above Ongoing's peak per address). @default 3000 */
        rateLimitPerIp: z.number().int().min(10).max(2_000_000_000).default(3000),
        /** @default 300 */
        rateWindowSeconds: z
          .union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)])
          .default(300),
        /** Largest body let through (WAF inspects at most 16 KB; Ongoing's webhooks are well under 1 KB). @default 16384 */
        maxBodyBytes: z.number().int().min(1024).max(16_384).default(16_384),
      })
      .default({ enabled: false, rateLimitPerIp: 3000, rateWindowSeconds: 300, maxBodyBytes: 16_384 }),
  })
  .default({
    maxBodyBytes: 65_536,
    throttlingRateLimit: 50,
    throttlingBurstLimit: 100,
    tracing: false,
    cloudWatchRole: true,
    waf: { enabled: false, rateLimitPerIp: 3000, rateWindowSeconds: 300, maxBodyBytes: 16_384 },
  });
