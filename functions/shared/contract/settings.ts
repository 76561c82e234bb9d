/**
 * The plain settings each function reads from its environment: the contract between the CDK stack (which
 * writes them from the validated configuration in `lib/config.ts`) and the functions. Never secrets: those are
 * named here and read at run time from Secrets Manager. Parsed once per container; a bad value fails loudly.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as z from "zod";
import { consumers } from "./consumers.ts";
import { dependencies } from "./dependencies.ts";

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

/** Loopback hosts: the only ones reached over plain http (the local stack's simulators). */
const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** An https URL, or an http one to this machine's loopback (the local stack); nothing else in clear text. */
export const secureUrl = z.url({ protocol: /^https?$/ }).refine((value) => {
  const url = new URL(value);
  return url.protocol === "https:" || loopbackHosts.has(url.hostname);
}, "an https URL (plain http only to a loopback host)");

/**
 * A value too large for the environment (Lambda allows 4 KB in all), which the stack writes as a JSON file into
 * the function's bundle (lib/bundled-files.ts): the variable names the file, relative to the code directory
 * (LAMBDA_TASK_ROOT), and is read with the settings, once per container. Inline JSON is taken too (tests).
 */
const bundledJson = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((value, ctx) => {
      if (/^\s*[[{]/.test(value)) return value;
      const file = resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), value);
      try {
        return readFileSync(file, "utf8");
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `cannot read the bundled file ${file}: ${String(error)}` });
        return z.NEVER;
      }
    })
    .pipe(json(schema));

const transporterMatch = z.object({ code: z.string(), serviceCodes: z.array(z.string()).optional() });
export type TransporterMatch = z.infer<typeof transporterMatch>;

const emailBranding = z.object({
  fromAddress: z.string().optional(),
  replyTo: z.array(z.string()).optional(),
  brandName: z.string().optional(),
  language: z.enum(["auto", "sv", "en"]).optional(),
});
export type EmailBranding = z.infer<typeof emailBranding>;

/** A goods owner's label printing (Automation API `CreatePrintJob`); absent: nothing is printed. */
const printing = z.object({
  reportId: z.number().int().positive(),
  printAsUser: z.object({ userName: z.string().optional(), userId: z.number().int().optional() }).optional(),
  printAsComputer: z
    .object({ computerName: z.string().optional(), computerId: z.number().int().optional() })
    .optional(),
});
export type Printing = z.infer<typeof printing>;

/** Per-goods-owner overrides (non-secret), keyed by goods-owner id as a string. */
export const goodsOwnerSettingsSchema = z.record(
  z.string(),
  z.object({
    credentialsSecretName: z.string().optional(),
    transportApi: z.enum(["rest", "automation"]).optional(),
    email: emailBranding.optional(),
    transporters: z.array(transporterMatch).optional(),
    transportAdapter: z.enum(["http", "nshift"]).optional(),
    printing: printing.optional(),
  }),
);
export type GoodsOwnerSettings = z.infer<typeof goodsOwnerSettingsSchema>;

/** The goods owners the scheduled article reconcile covers. */
export const reconcileGoodsOwnerIdsSchema = z.array(z.number().int().positive());

/** Ongoing's login service, where OAuth 2.0 client credentials get a token (developer.ongoingwarehouse.com). */
export const ongoingTokenUrl = "https://login.ongoingwms.com/connect/token";

/** nShift's REST API (Unifaun), when the configuration names no other. */
export const nshiftDefaultBaseUrl = "https://api.unifaun.com/rs-extapi/v1";

/** What every function that calls Ongoing needs. */
export const ongoingSettingsSchema = z.object({
  ONGOING_BASE_URL: z.url(),
  /** Default secret with `{"username","password"}` for the REST API; absent when every goods owner has its own. */
  ONGOING_CREDENTIALS_SECRET: z.string().min(1).optional(),
  ONGOING_AUTOMATION_CREDENTIALS_SECRET: z.string().min(1).optional(),
  /** OAuth 2.0 token endpoint for secrets holding `{"clientId","clientSecret"}`. @default ongoingTokenUrl */
  ONGOING_TOKEN_URL: z.url().default(ongoingTokenUrl),
  /** Space-separated scopes asked for with each token. @default none */
  ONGOING_TOKEN_SCOPE: z.string().min(1).optional(),
  ONGOING_TRANSPORT_API: z.enum(["rest", "automation"]).default("rest"),
  ONGOING_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  ONGOING_MAX_ATTEMPTS: z.coerce.number().int().positive().default(4),
  /** Every goods owner's settings: the bundled file's name (see bundledJson). @default {} */
  GOODS_OWNERS: bundledJson(goodsOwnerSettingsSchema).default({}),
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
  /** The operator's trail (one item per webhook, see trail/); absent: no trail is written. */
  TRAIL_TABLE_NAME: z.string().min(1).optional(),
  /** Days a trail item is kept after its latest write. */
  TRAIL_RETENTION_DAYS: z.coerce.number().int().positive().default(30),
  /** The table holding the circuit breakers' state (the state table); absent: no breakers. */
  BREAKER_TABLE_NAME: z.string().min(1).optional(),
  /** Records in a row failing on a dependency that open its breaker. */
  BREAKER_FAILURE_THRESHOLD: z.coerce.number().int().positive().default(5),
  /** Records a half-open breaker lets through first. */
  BREAKER_TRIAL_RECORDS: z.coerce.number().int().positive().default(3),
  /** How often the probe looks at an open breaker; records waiting for it come back after about this long. */
  BREAKER_PROBE_INTERVAL_SECONDS: z.coerce.number().positive().default(60),
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
    /** How long a mail whose SES outcome is unknown waits for SES's event before it is sent again (see ses-evidence.ts). */
    SES_EVIDENCE_GRACE_SECONDS: z.coerce.number().int().min(0).default(900),
  });

export const transportBookingSettingsSchema = statefulConsumerSettingsSchema
  .extend(ongoingSettingsSchema.shape)
  .extend({
    /** Default transporter list (per-goods-owner overrides in GOODS_OWNERS); absent is not `[]`, see goods-owners.ts. */
    TRANSPORTERS: json(z.array(transporterMatch)).optional(),
    TRANSPORT_ADAPTER_URL: secureUrl.optional(),
    TRANSPORT_ADAPTER_AUTH_SECRET: z.string().min(1).optional(),
    TRANSPORT_ADAPTER_AUTH_HEADER: z.string().default("Authorization"),
    TRANSPORT_ADAPTER_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
    /** The default adapter (per-goods-owner overrides in GOODS_OWNERS). */
    TRANSPORT_ADAPTER: z.enum(["http", "nshift"]).default("http"),
    /** The nShift account, when the nShift adapter is chosen anywhere. */
    NSHIFT_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    NSHIFT_CREDENTIALS_SECRET: z.string().min(1).optional(),
    NSHIFT_SENDER_QUICK_ID: z.string().min(1).optional(),
    NSHIFT_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
    /** The bucket labels and other booking documents are kept in until written back (keys only in the record). */
    DOCUMENTS_BUCKET_NAME: z.string().min(1),
    /** How long a write whose answer was lost may take to land before the order is read again to look for it. */
    ONGOING_WRITE_SETTLE_MS: z.coerce.number().int().min(0).default(2_000),
    /** Days after the booking that Ongoing may delete the labels attached to the order (`FileWillBeDeletedAt`). */
    ONGOING_FILE_RETENTION_DAYS: z.coerce.number().int().positive().default(30),
  });

export const transportStatusSettingsSchema = statefulConsumerSettingsSchema.extend(
  ongoingSettingsSchema.shape,
);

export const articleSyncSettingsSchema = consumerSettingsSchema.extend(ongoingSettingsSchema.shape).extend({
  ARTICLES_TABLE_NAME: z.string().min(1),
});

/** The reconcile's dispatcher: queues one unit of work per goods owner. */
export const articleReconcileSettingsSchema = z.object({
  /** Goods owners reconciled on schedule: the bundled file (a JSON array of ids) it is in. @default [] */
  RECONCILE_GOODS_OWNER_IDS: bundledJson(reconcileGoodsOwnerIdsSchema).default([]),
  /** The queue of units the reconcile worker consumes. */
  RECONCILE_QUEUE_URL: z.string().min(1),
});

/** The consumer of SES's sending events (through EventBridge): it records them on the shipped-mail records. */
export const mailEventsSettingsSchema = z.object({
  STATE_TABLE_NAME: z.string().min(1),
  /** The operator's trail, where each mail's events are added to its webhook's item; absent: not added. */
  TRAIL_TABLE_NAME: z.string().min(1).optional(),
});

/** One consumer the breaker probe pauses and resumes: its event source mapping, queue and dependencies. */
const breakerConsumer = z.object({
  useCase: z.enum(consumers),
  mappingId: z.string().min(1),
  queueUrl: z.string().min(1),
  dependencies: z.array(z.enum(dependencies)),
});
export type BreakerConsumer = z.infer<typeof breakerConsumer>;

export const breakerProbeSettingsSchema = ongoingSettingsSchema.extend({
  STATE_TABLE_NAME: z.string().min(1),
  BREAKER_CONSUMERS: json(z.array(breakerConsumer)),
  /** How long a half-open breaker must keep answering the probe before it closes without a record's help. */
  BREAKER_PROBE_INTERVAL_SECONDS: z.coerce.number().positive().default(60),
  TRANSPORT_ADAPTER_URL: z.url().optional(),
  TRANSPORT_ADAPTER_AUTH_SECRET: z.string().min(1).optional(),
  TRANSPORT_ADAPTER_AUTH_HEADER: z.string().default("Authorization"),
  TRANSPORT_ADAPTER_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
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
