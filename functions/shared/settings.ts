/**
 * The plain settings each function reads from its environment: the contract between the CDK stack (which
 * writes them from the validated configuration in `lib/config.ts`) and the functions. Never secrets: those are
 * named here and read at run time from Secrets Manager. Parsed once per container; a bad value fails loudly.
 */
import * as z from "zod";
import { consumers } from "./consumers.ts";

const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "not JSON" });
        return z.NEVER;
      }
    })
    .pipe(schema);

const transporterMatch = z.object({ code: z.string(), serviceCodes: z.array(z.string()).optional() });
export type TransporterMatch = z.infer<typeof transporterMatch>;

const emailBranding = z.object({
  fromAddress: z.string().optional(),
  replyTo: z.array(z.string()).optional(),
  brandName: z.string().optional(),
  language: z.enum(["auto", "sv", "en"]).optional(),
});
export type EmailBranding = z.infer<typeof emailBranding>;

/** Per-goods-owner overrides (non-secret), keyed by goods-owner id as a string. */
export const goodsOwnerSettingsSchema = z.record(
  z.string(),
  z.object({
    credentialsSecretName: z.string().optional(),
    transportApi: z.enum(["rest", "automation"]).optional(),
    email: emailBranding.optional(),
    transporters: z.array(transporterMatch).optional(),
  }),
);
export type GoodsOwnerSettings = z.infer<typeof goodsOwnerSettingsSchema>;

/** What every function that calls Ongoing needs. */
export const ongoingSettingsSchema = z.object({
  ONGOING_BASE_URL: z.url(),
  /** Default secret with `{"username","password"}` for the REST API; absent when every goods owner has its own. */
  ONGOING_CREDENTIALS_SECRET: z.string().min(1).optional(),
  ONGOING_AUTOMATION_CREDENTIALS_SECRET: z.string().min(1).optional(),
  ONGOING_TRANSPORT_API: z.enum(["rest", "automation"]).default("rest"),
  ONGOING_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  ONGOING_MAX_ATTEMPTS: z.coerce.number().int().positive().default(4),
  GOODS_OWNERS: json(goodsOwnerSettingsSchema).default({}),
});

/** What every SQS consumer needs (the pipeline). */
export const consumerSettingsSchema = z.object({
  USE_CASE: z.enum(consumers),
  /** The state table; only consumers that keep state get it (and access to it). */
  STATE_TABLE_NAME: z.string().min(1).optional(),
  DEAD_LETTER_QUEUE_URL: z.string().min(1),
  MAX_RECEIVE_COUNT: z.coerce.number().int().positive(),
  IDEMPOTENCY_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(7 * 24 * 3600),
  /** First retry delay of a transiently failed message; it doubles with each receive (with jitter). */
  RETRY_BASE_DELAY_SECONDS: z.coerce.number().min(0).default(10),
});

/** The consumers that keep state: the pipeline's idempotency records, shipped-mail records, booking workflows. */
const statefulConsumerSettingsSchema = consumerSettingsSchema.extend({ STATE_TABLE_NAME: z.string().min(1) });

export const orderShippedEmailSettingsSchema = statefulConsumerSettingsSchema
  .extend(ongoingSettingsSchema.shape)
  .extend({
    /** Default sender and branding (per-goods-owner overrides in GOODS_OWNERS); see goods-owners.ts brandingFor. */
    EMAIL_DEFAULT: json(emailBranding).optional(),
    SES_CONFIGURATION_SET: z.string().min(1).optional(),
    /** Mails per second one invocation sends at most (the SES rate ÷ maximum concurrency); absent: not paced. */
    SES_SEND_RATE_PER_INVOCATION: z.coerce.number().positive().optional(),
  });

export const transportBookingSettingsSchema = statefulConsumerSettingsSchema
  .extend(ongoingSettingsSchema.shape)
  .extend({
    /** Default transporter list (per-goods-owner overrides in GOODS_OWNERS); absent is not `[]`, see goods-owners.ts. */
    TRANSPORTERS: json(z.array(transporterMatch)).optional(),
    TRANSPORT_ADAPTER_URL: z.url().optional(),
    TRANSPORT_ADAPTER_AUTH_SECRET: z.string().min(1).optional(),
    TRANSPORT_ADAPTER_AUTH_HEADER: z.string().default("Authorization"),
    TRANSPORT_ADAPTER_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  });

export const articleSyncSettingsSchema = consumerSettingsSchema.extend(ongoingSettingsSchema.shape).extend({
  ARTICLES_TABLE_NAME: z.string().min(1),
});

/** The reconcile's dispatcher: queues one unit of work per goods owner. */
export const articleReconcileSettingsSchema = z.object({
  /** Goods owners reconciled on schedule, as a JSON array of ids. */
  RECONCILE_GOODS_OWNER_IDS: json(z.array(z.number().int().positive())).default([]),
  /** The queue of units the reconcile worker consumes. */
  RECONCILE_QUEUE_URL: z.string().min(1),
});

/** The reconcile's worker: a consumer of that queue, one goods owner per message. */
export const articleReconcileWorkerSettingsSchema = consumerSettingsSchema
  .extend(ongoingSettingsSchema.shape)
  .extend({
    ARTICLES_TABLE_NAME: z.string().min(1),
    STATE_TABLE_NAME: z.string().min(1),
    /** Its own queue, for a unit's continuation. */
    RECONCILE_QUEUE_URL: z.string().min(1),
    /** Articles per Ongoing request (`maxArticlesToGet`). */
    RECONCILE_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  });

export const authorizerSettingsSchema = z.object({
  WEBHOOK_TOKEN_SECRET: z.string().min(1),
  WEBHOOK_TOKEN_HEADER: z.string().default("X-Auth-Token"),
  WEBHOOK_ALLOW_BASIC_AUTH: z
    .enum(["true", "false"])
    .default("false")
    .transform((value) => value === "true"),
});

/** Parses the environment with a settings schema; throws one error naming every bad variable. */
export function readSettings<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new Error(`Invalid function settings (environment):\n  - ${lines.join("\n  - ")}`);
}

/** A settings object as the stack writes it: every value a string. */
export type SettingsEnvironment<S extends z.ZodType> = { [K in keyof z.input<S>]: string };
