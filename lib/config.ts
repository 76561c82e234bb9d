/**
 * The deployment's configuration: one typed, validated object read from `cdk.json` context key
 * `ongoingWebhooks`, overridable per key with `-c ongoingWebhooks.<path>=<value>` (a JSON value or a plain string).
 * Checked with zod at synth time; a missing or wrong value fails synth naming the key and what is expected.
 * Secrets are referenced by Secrets Manager name only, never given here.
 */
import * as z from "zod";
import { mailPacingReserveMs } from "../functions/order-shipped-email/send-pacing.ts";
import { maxVisibilitySeconds } from "../functions/shared/pipeline/retry.ts";
import { ongoingTokenUrl } from "../functions/shared/settings.ts";
import { useCases } from "../functions/shared/webhooks/routes.ts";
import { nshiftDefaultBaseUrl } from "../functions/transport-booking/nshift-shipment.ts";

export const contextKey = "ongoingWebhooks";

const mailPacingReserveSeconds = mailPacingReserveMs / 1000;

/** CloudWatch Logs accepts only these retention periods (days). */
const logRetentionDays = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653,
] as const;

const secretName = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, "a Secrets Manager secret name (letters, digits and /_+=.@-)");

const goodsOwnerId = z.string().regex(/^\d+$/, 'a goods-owner id (digits), e.g. "159"');

const language = z.enum(["auto", "sv", "en"]);

/** Sender and branding of the shipped-order e-mail, per goods owner or as the default. */
const emailBranding = z.strictObject({
  /** The From address; must belong to the SES identity. */
  fromAddress: z.email("an e-mail address"),
  /** Reply-To addresses. @default none */
  replyTo: z.array(z.email("an e-mail address")).default([]),
  /** Brand name shown in the subject and greeting. @default the goods owner's name from Ongoing */
  brandName: z.string().min(1).max(100).optional(),
  /** Mail language: `auto` picks Swedish for consignees in SE, else English. @default "auto" */
  language: language.default("auto"),
});

/** A transporter the transport use-case books; no `serviceCodes` means any service of that transporter. */
const transporterMatch = z.strictObject({
  code: z.string().min(1, "a transporter code, e.g. PLAB"),
  serviceCodes: z.array(z.string().min(1)).optional(),
});

const ongoingApi = z.enum(["rest", "automation"]);

/** Which transport adapter books: the generic HTTP adapter or the built-in nShift Delivery one. */
const transportAdapter = z.enum(["http", "nshift"]);

/** Printing of a goods owner's labels in the warehouse, once they are attached to the order (Automation API). */
const printing = z.strictObject({
  /** The report (label layout and printer) to print with; ask the warehouse for its id. */
  reportId: z.number().int().positive(),
  /** The warehouse user the job prints as. @default none (Ongoing's choice) */
  printAsUser: z
    .strictObject({ userName: z.string().min(1).optional(), userId: z.number().int().positive().optional() })
    .optional(),
  /** The computer (and so printer) the job prints at. @default none (Ongoing's choice) */
  printAsComputer: z
    .strictObject({
      computerName: z.string().min(1).optional(),
      computerId: z.number().int().positive().optional(),
    })
    .optional(),
});

const goodsOwnerSettings = z.strictObject({
  /**
   * Secret with this goods owner's REST API login: `{"username","password"}` (Basic) or `{"clientId","clientSecret"}`
   * (OAuth 2.0 client credentials). @default ongoing.credentialsSecretName
   */
  credentialsSecretName: secretName.optional(),
  /** Which Ongoing API the transport use-case uses for this goods owner. @default ongoing.transportApi */
  transportApi: ongoingApi.optional(),
  /** Mail sender and branding for this goods owner. @default email.default */
  email: emailBranding.partial().optional(),
  /** Transporters booked for this goods owner. @default transport.transporters */
  transporters: z.array(transporterMatch).optional(),
  /** The transport adapter that books this goods owner's orders. @default transport.adapter */
  transportAdapter: transportAdapter.optional(),
  /** One print job per booked order after its labels are attached. @default none: nothing is printed */
  printing: printing.optional(),
});

const useCaseSettings = z.strictObject({
  /** Off: the route still accepts and queues webhooks, but no function consumes them. @default true */
  enabled: z.boolean().default(true),
  /**
   * SQS messages per invocation; a batch's records run 10 at a time, so this does not raise the load on Ongoing.
   * @default 10 (article-sync: 100)
   */
  batchSize: z.number().int().min(1).max(100).default(10),
  /** Most concurrent invocations (SQS event-source maximum concurrency), to protect Ongoing's API. @default 2 */
  maxConcurrency: z.number().int().min(2).max(1000).default(2),
  /**
   * Receives before a message is dead-lettered as exhausted. Receives spent waiting for a dependency whose
   * circuit breaker is open are not counted. @default 8
   */
  maxReceiveCount: z.number().int().min(1).max(1000).default(8),
  /**
   * First retry delay of a transiently failed message; it doubles with each receive (with jitter, at most 12 hours).
   * The worst case of all retries together must fit in the queue's retention (14 days). @default 10
   */
  retryBaseDelaySeconds: z.number().int().min(0).max(43_200).default(10),
  /** Function time-out. @default 60 */
  timeoutSeconds: z.number().int().min(5).max(900).default(60),
  /** Function memory. @default 512 */
  memoryMb: z.number().int().min(128).max(10240).default(512),
  /**
   * Seconds the event source gathers messages before invoking (`MaximumBatchingWindowInSeconds`); at least 1
   * when `batchSize` is over 10, as AWS requires. @default 0 (article-sync: 1)
   */
  batchingWindowSeconds: z.number().int().min(0).max(300).default(0),
});

/**
 * Article-sync waits up to a second to fill a batch of up to 100: Ongoing posts a burst of repeated events for one
 * article, and the events in one batch share one fetch of the article. A large batch also keeps its 10 records in
 * flight busy through a burst, where batches of 10 would each wait for their slowest record.
 */
const articleSyncSettings = useCaseSettings.extend({
  batchSize: z.number().int().min(1).max(100).default(100),
  batchingWindowSeconds: z.number().int().min(0).max(300).default(1),
});
const useCaseSchemaOf = (name: (typeof useCases)[number]) =>
  name === "article-sync" ? articleSyncSettings : useCaseSettings;

const configObject = z.strictObject({
  /** CloudFormation stack name. @default "OngoingWebhooks" */
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, "a CloudFormation stack name")
    .default("OngoingWebhooks"),
  /** Account and region to deploy to. @default the CLI's (environment-agnostic template) */
  env: z
    .strictObject({
      account: z
        .string()
        .regex(/^\d{12}$/)
        .optional(),
      region: z.string().optional(),
    })
    .default({}),
  ongoing: z.strictObject({
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
  }),
  /** Per-goods-owner overrides, keyed by goods-owner id. @default {} */
  goodsOwners: z.record(goodsOwnerId, goodsOwnerSettings).default({}),
  webhookAuth: z
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
    })),
  ingress: z
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
       * $7/month plus $0.60 per million requests (see README). @default off
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
    }),
  email: z.strictObject({
    /** The verified SES identity (domain or address) mail is sent from; `ses:SendEmail` is granted on it only. */
    senderIdentity: z.string().min(3, "an SES identity: a domain (example.com) or an e-mail address"),
    /**
     * Default sender and branding; a goods owner's own `email` is merged over it field by field.
     * @default none: then a goods owner without its own `email.fromAddress` is dead-lettered (`no-email-branding`)
     */
    default: emailBranding.optional(),
    /** Existing SES configuration set to use. @default one is created by the stack */
    configurationSetName: z.string().min(1).optional(),
    /**
     * Mails per second this stack sends at most: the account's SES sending rate (`aws sesv2 get-account`,
     * `SendQuota.MaxSendRate`), or the share of it left to this stack. The mail function paces itself to it
     * instead of being throttled. @default 14 (SES's usual starting rate outside the sandbox)
     */
    maxSendRate: z.number().positive().max(100_000).default(14),
    /**
     * How long a mail whose SES outcome is unknown (SES timed out or answered 500) waits, after its attempt has
     * certainly ended, for SES's Send event before it is sent again; see docs/outages.md. @default 900 (15 minutes)
     */
    sesEvidenceGraceSeconds: z.number().int().min(60).max(86_400).default(900),
  }),
  transport: z
    .strictObject({
      /**
       * Transporters booked by default (see goodsOwners for per-goods-owner lists); `[]` books nothing.
       * @default none: then a goods owner without its own list is dead-lettered (`no-transporters-configured`)
       */
      transporters: z.array(transporterMatch).optional(),
      /** The adapter that books (per goods owner: goodsOwners.N.transportAdapter). @default "http" */
      adapter: transportAdapter.default("http"),
      /** The built-in nShift Delivery adapter (README: nShift Delivery). Required when "nshift" is chosen anywhere. */
      nshift: z
        .strictObject({
          /** nShift's REST API root, https only. @default "https://api.unifaun.com/rs-extapi/v1" */
          baseUrl: z
            .url({ protocol: /^https$/, error: "an https URL, e.g. https://api.unifaun.com/rs-extapi/v1" })
            .default(nshiftDefaultBaseUrl),
          /** Secret holding the API key as JSON `{"id","secret"}` (its id and secret id). */
          credentialsSecretName: secretName,
          /** Quick id of the sender saved in the nShift account (the warehouse). */
          senderQuickId: z.string().min(1).max(64),
          /** Time-out of one request to nShift. @default 15000 */
          timeoutMs: z.number().int().min(500).max(60_000).default(15_000),
        })
        .optional(),
      /** The transport system's HTTP adapter endpoint (see README: transport adapter contract). @default none */
      adapterUrl: z
        .url({
          protocol: /^https$/,
          error: "an https URL: bookings carry consignee addresses and the adapter's secret",
        })
        .optional(),
      /** Secret holding the adapter's auth header value. @default none (no auth header) */
      adapterAuthSecretName: secretName.optional(),
      /** Header the adapter's secret is sent in. @default "Authorization" */
      adapterAuthHeaderName: z
        .string()
        .regex(/^[A-Za-z0-9-]{1,64}$/)
        .default("Authorization"),
      /** Time-out of one booking request. @default 15000 */
      adapterTimeoutMs: z.number().int().min(500).max(60_000).default(15_000),
      /**
       * Days labels and other booking documents are kept in the documents bucket before they expire (Ongoing
       * advises letting label files go after about 30 days); a booking not written back by then needs a hand.
       * @default 30
       */
      documentRetentionDays: z.number().int().min(1).max(3650).default(30),
    })
    .default({
      adapter: "http",
      adapterAuthHeaderName: "Authorization",
      adapterTimeoutMs: 15_000,
      documentRetentionDays: 30,
    }),
  /** Per-use-case consumer settings. @default see each field */
  useCases: z
    .strictObject(
      Object.fromEntries(
        useCases.map((name) => [name, useCaseSchemaOf(name).default(useCaseSchemaOf(name).parse({}))]),
      ) as {
        [K in (typeof useCases)[number]]: z.ZodDefault<typeof useCaseSettings>;
      },
    )
    .default(Object.fromEntries(useCases.map((name) => [name, useCaseSchemaOf(name).parse({})])) as never),
  articleReconcile: z
    .strictObject({
      /** Run the scheduled incremental reconcile. @default true */
      enabled: z.boolean().default(true),
      /** Minutes between incremental reconciles. @default 60 */
      rateMinutes: z.number().int().min(1).max(1440).default(60),
      /** Goods owners whose articles are mirrored and reconciled. @default [] (none reconciled) */
      goodsOwnerIds: z.array(z.number().int().positive()).default([]),
      /** Goods owners reconciled at once (the worker's event-source maximum concurrency). @default 2 */
      maxConcurrency: z.number().int().min(2).max(1000).default(2),
      /** Receives of one unit of work (one goods owner's slice) before it is dead-lettered. @default 5 */
      maxReceiveCount: z.number().int().min(1).max(1000).default(5),
      /**
       * The worker's time-out; a unit stops a minute before it, saves its place and queues its continuation.
       * @default 900
       */
      timeoutSeconds: z.number().int().min(120).max(900).default(900),
      /** Articles per Ongoing request (`maxArticlesToGet`). @default 500 */
      pageSize: z.number().int().min(1).max(10_000).default(500),
      /**
       * Days between scheduled full reconciles of every goods owner (they find articles deleted without a
       * webhook). @default none: full reconciles on demand only
       */
      fullRateDays: z.number().int().min(1).max(365).optional(),
    })
    .default({
      enabled: true,
      rateMinutes: 60,
      goodsOwnerIds: [],
      maxConcurrency: 2,
      maxReceiveCount: 5,
      timeoutSeconds: 900,
      pageSize: 500,
    }),
  /**
   * Circuit breakers per dependency (Ongoing, SES, the transport system): when records fail on a dependency one
   * after another, the consumers that need it pause until a scheduled probe finds it answering again, and no
   * webhook spends its retries meanwhile. @default see each field
   */
  breaker: z
    .strictObject({
      /** @default true */
      enabled: z.boolean().default(true),
      /** Records in a row failing on a dependency (in one consumer container) that open its breaker. @default 5 */
      failureThreshold: z.number().int().min(1).max(1000).default(5),
      /** Minutes between probes of an open breaker (the schedule's rate). @default 1 */
      probeIntervalMinutes: z.number().int().min(1).max(60).default(1),
      /** Records a half-open breaker lets through before the rest follow. @default 3 */
      trialRecords: z.number().int().min(1).max(100).default(3),
    })
    .default({ enabled: true, failureThreshold: 5, probeIntervalMinutes: 1, trialRecords: 3 }),
  /** How long an event's idempotency record is kept (Ongoing retries for a day). @default 7 */
  idempotencyDays: z.number().int().min(2).max(365).default(7),
  /** E-mail subscribed to the alarm topic. @default none (subscribe yourself) */
  alarmEmail: z.email("an e-mail address").optional(),
  /** Alarm when the ingress answers more than this many 401/403 in five minutes (a leaked or broken token). @default 20 */
  authDenialsAlarmThreshold: z.number().int().min(1).default(20),
  /** Alarm when a queue's oldest message is older than this. @default 900 */
  oldestMessageAgeAlarmSeconds: z.number().int().min(60).default(900),
  /** Log retention of every function and the API access log. @default 30 */
  logRetentionDays: z
    .number()
    .refine((days) => (logRetentionDays as readonly number[]).includes(days), {
      message: `one of CloudWatch's retention periods: ${logRetentionDays.join(", ")}`,
    })
    .default(30),
});

/** How long the main queues keep a message (SQS's longest). */
export const queueRetentionSeconds = 14 * 24 * 3600;

/**
 * The longest a message can spend in retries: each failed receive waits at most the full (unjittered) backoff,
 * base · 2^(n-1) capped at SQS's 12 hours, and is then received again.
 */
export function worstCaseBackoffSeconds(baseSeconds: number, maxReceiveCount: number): number {
  let total = 0;
  for (let receive = 1; receive < maxReceiveCount; receive++)
    total += Math.min(maxVisibilitySeconds, baseSeconds * 2 ** Math.min(receive - 1, 30));
  return total;
}

/**
 * Whether SES sends from `address` under `identity`: an address identity covers itself only; a domain identity
 * covers every address at the domain and at its subdomains (SES's inherited verification).
 */
export function senderIdentityCovers(identity: string, address: string): boolean {
  const [wanted, given] = [identity.toLowerCase(), address.toLowerCase()];
  if (wanted.includes("@")) return wanted === given;
  const domain = given.slice(given.lastIndexOf("@") + 1);
  return domain === wanted || domain.endsWith(`.${wanted}`);
}

/** The configuration, with the checks that span several keys. */
export const configSchema = configObject.superRefine((config, ctx) => {
  // A message whose retries outlast the queue's retention would vanish instead of reaching the DLQ.
  for (const useCase of useCases) {
    const settings = config.useCases[useCase];
    const worst = worstCaseBackoffSeconds(settings.retryBaseDelaySeconds, settings.maxReceiveCount);
    if (worst > queueRetentionSeconds) {
      ctx.addIssue({
        code: "custom",
        path: ["useCases", useCase, "maxReceiveCount"],
        message:
          `with retryBaseDelaySeconds ${settings.retryBaseDelaySeconds}, ${settings.maxReceiveCount} receives may ` +
          `take ${Math.ceil(worst / 86_400)} days of backoff, longer than the queue keeps a message (14 days): ` +
          "a webhook would expire instead of reaching the dead-letter queue; lower maxReceiveCount or retryBaseDelaySeconds",
      });
    }
  }
  // Each invocation sends its share of the rate; a full batch must fit in its time-out with room to record it.
  const mail = config.useCases["order-shipped-email"];
  const secondsPerBatch = (mail.batchSize * mail.maxConcurrency) / config.email.maxSendRate;
  if (mail.enabled && secondsPerBatch > mail.timeoutSeconds - mailPacingReserveSeconds) {
    ctx.addIssue({
      code: "custom",
      path: ["email", "maxSendRate"],
      message:
        `too low for useCases.order-shipped-email: each of its ${mail.maxConcurrency} concurrent invocations sends ` +
        `${mail.batchSize} mails at ${config.email.maxSendRate / mail.maxConcurrency}/s, which takes ` +
        `${Math.ceil(secondsPerBatch)} s, more than its timeoutSeconds (${mail.timeoutSeconds}) less ` +
        `${mailPacingReserveSeconds} s to send and record the last mail; raise maxSendRate or timeoutSeconds, or ` +
        "lower batchSize or maxConcurrency",
    });
  }
  // Goods owners' secrets are granted by prefix only.
  const prefix = config.ongoing.goodsOwnerSecretPrefix;
  for (const [id, owner] of Object.entries(config.goodsOwners)) {
    if (owner.credentialsSecretName !== undefined && !owner.credentialsSecretName.startsWith(prefix)) {
      ctx.addIssue({
        code: "custom",
        path: ["goodsOwners", id, "credentialsSecretName"],
        message: `must start with ongoing.goodsOwnerSecretPrefix ("${prefix}"): functions may read only the secrets under it`,
      });
    }
  }
  // SES refuses (mail-rejected, at run time) a From address its sending identity does not cover.
  const identity = config.email.senderIdentity;
  const senders = [
    ...(config.email.default ? [["email", "default", "fromAddress", config.email.default.fromAddress]] : []),
    ...Object.entries(config.goodsOwners).flatMap(([id, owner]) =>
      owner.email?.fromAddress ? [["goodsOwners", id, "email", "fromAddress", owner.email.fromAddress]] : [],
    ),
  ];
  for (const entry of senders) {
    const address = entry.at(-1) as string;
    if (!senderIdentityCovers(identity, address)) {
      ctx.addIssue({
        code: "custom",
        path: entry.slice(0, -1),
        message: `"${address}" is not covered by email.senderIdentity ("${identity}"): SES would reject every mail from it`,
      });
    }
  }
  // Choosing nShift anywhere needs its account settings.
  const nshiftUsers = [
    ...(config.transport.adapter === "nshift" ? ["transport.adapter"] : []),
    ...Object.entries(config.goodsOwners)
      .filter(([, owner]) => owner.transportAdapter === "nshift")
      .map(([id]) => `goodsOwners.${id}.transportAdapter`),
  ];
  if (nshiftUsers.length > 0 && config.transport.nshift === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["transport", "nshift"],
      message: `required when the nShift adapter is chosen (${nshiftUsers.join(", ")}): {credentialsSecretName, senderQuickId}`,
    });
  }
  // The Automation API logs in as the integrator: choosing it anywhere needs that login.
  const automationUsers = [
    ...(config.ongoing.transportApi === "automation" ? ["ongoing.transportApi"] : []),
    ...Object.entries(config.goodsOwners)
      .filter(([, owner]) => owner.transportApi === "automation")
      .map(([id]) => `goodsOwners.${id}.transportApi`),
    // Printing exists only in the Automation API, whichever API writes the rest back.
    ...Object.entries(config.goodsOwners)
      .filter(([, owner]) => owner.printing !== undefined)
      .map(([id]) => `goodsOwners.${id}.printing`),
  ];
  if (automationUsers.length > 0 && config.ongoing.automationCredentialsSecretName === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["ongoing", "automationCredentialsSecretName"],
      message: `required when the Automation API is chosen (${automationUsers.join(", ")})`,
    });
  }
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** A configuration error: names each bad key and what is expected. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const [index, key] of path.entries()) {
    if (index === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    node[key] = typeof next === "object" && next !== null && !Array.isArray(next) ? { ...next } : {};
    node = node[key] as Record<string, unknown>;
  }
}

function parseContextValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Builds the configuration from all CDK context: the `ongoingWebhooks` object, then every
 * `ongoingWebhooks.<dotted.path>` key on top of it. Throws ConfigError listing every problem.
 */
export function parseConfig(context: Record<string, unknown>): Config {
  const base = parseContextValue(context[contextKey]);
  if (base !== undefined && (typeof base !== "object" || base === null || Array.isArray(base))) {
    throw new ConfigError(`Invalid configuration:\n  - ${contextKey}: expected an object`);
  }
  const raw: Record<string, unknown> = structuredClone((base as Record<string, unknown> | undefined) ?? {});
  for (const [key, value] of Object.entries(context)) {
    if (key.startsWith(`${contextKey}.`))
      setPath(raw, key.slice(contextKey.length + 1).split("."), parseContextValue(value));
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = [contextKey, ...issue.path.map(String)].join(".");
      return `  - ${key}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration (cdk.json context or -c overrides):\n${lines.join("\n")}`);
  }
  return result.data;
}
