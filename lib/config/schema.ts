/**
 * The configuration's shape, assembled from its parts; the checks that span several keys are in checks.ts.
 */
import * as z from "zod";
import { articleReconcileConfig, breakerConfig, useCasesConfig } from "./consumers.ts";
import { emailConfig, transportConfig } from "./delivery.ts";
import { ingressConfig, webhookAuthConfig } from "./ingress.ts";
import { ongoingConfig } from "./ongoing.ts";
import { goodsOwnerId, goodsOwnerSettings } from "./parts.ts";

/** CloudWatch Logs accepts only these retention periods (days). */
const logRetentionDays = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653,
] as const;

export const configObject = z.strictObject({
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
  ongoing: ongoingConfig,
  /** Per-goods-owner overrides, keyed by goods-owner id. @default {} */
  goodsOwners: z.record(goodsOwnerId, goodsOwnerSettings).default({}),
  webhookAuth: webhookAuthConfig,
  ingress: ingressConfig,
  email: emailConfig,
  transport: transportConfig,
  /** Per-use-case consumer settings. @default see each field */
  useCases: useCasesConfig,
  articleReconcile: articleReconcileConfig,
  /**
   * Circuit breakers per dependency (Ongoing, SES, the transport system): when records fail on a dependency one
   * after another, the consumers that need it pause until a scheduled probe finds it answering again, and no
   * webhook spends its retries meanwhile. @default see each field
   */
  breaker: breakerConfig,
  /** How long an event's idempotency record is kept (Ongoing retries for a day). @default 7 */
  idempotencyDays: z.number().int().min(2).max(365).default(7),
  /** The operator's trail of every webhook (docs/trail.md). @default see each field */
  trail: z
    .strictObject({
      /** Days a webhook's trail is kept after its latest attempt or event (DynamoDB TTL). @default 30 */
      retentionDays: z.number().int().min(1).max(3650).default(30),
    })
    .default({ retentionDays: 30 }),
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

export type ConfigObject = z.output<typeof configObject>;
