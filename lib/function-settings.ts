/**
 * Each function's environment, built from the validated configuration and typed by the function's settings
 * schema (`functions/shared/contract/settings.ts`), so the stack and the functions cannot drift apart. Secrets appear
 * here by name only.
 */

import type { UseCase } from "../functions/shared/contract/routes.ts";
import {
  type articleReconcileSettingsSchema,
  type articleReconcileWorkerSettingsSchema,
  type articleSyncSettingsSchema,
  type authorizerSettingsSchema,
  type BreakerConsumer,
  type breakerProbeSettingsSchema,
  goodsOwnerSettingsSchema,
  type mailEventsSettingsSchema,
  type orderShippedEmailSettingsSchema,
  reconcileGoodsOwnerIdsSchema,
  type SettingsEnvironment,
  type transportBookingSettingsSchema,
  type transportStatusSettingsSchema,
} from "../functions/shared/contract/settings.ts";
import type { Config } from "./config.ts";

/** What the stack creates that the functions need by name or URL (CloudFormation tokens at synth time). */
export interface StackResources {
  readonly stateTableName: string;
  readonly articlesTableName: string;
  /** The operator's trail: every webhook consumer notes its outcomes there. */
  readonly trailTableName: string;
  readonly sesConfigurationSetName: string;
  /** The bucket of labels and other booking documents. */
  readonly documentsBucketName: string;
}

/** The consumer-specific part: its dead-letter queue (created by the consumer construct). */
export interface ConsumerResources extends StackResources {
  readonly deadLetterQueueUrl: string;
}

function ongoingSettings(config: Config) {
  return {
    ONGOING_BASE_URL: config.ongoing.baseUrl,
    ONGOING_CREDENTIALS_SECRET: config.ongoing.credentialsSecretName,
    ONGOING_AUTOMATION_CREDENTIALS_SECRET: config.ongoing.automationCredentialsSecretName,
    ONGOING_TOKEN_URL: config.ongoing.tokenUrl,
    ONGOING_TOKEN_SCOPE: config.ongoing.tokenScope,
    ONGOING_TRANSPORT_API: config.ongoing.transportApi,
    ONGOING_REQUEST_TIMEOUT_MS: String(config.ongoing.requestTimeoutMs),
    ONGOING_MAX_ATTEMPTS: String(config.ongoing.maxAttempts),
    GOODS_OWNERS: bundledFileNames.goodsOwners,
  };
}

/** Files bundled beside the handler for settings that grow with the goods owners (see ServiceFunction). */
export const bundledFileNames = {
  goodsOwners: "goods-owners.json",
  reconcileGoodsOwnerIds: "reconcile-goods-owner-ids.json",
} as const;

/**
 * The per-goods-owner settings every function that calls Ongoing gets as a bundled file, checked against the
 * schema the functions read it with, so a deployment never ships a file its functions would refuse.
 */
export function ongoingBundledFiles(config: Config): Record<string, unknown> {
  return { [bundledFileNames.goodsOwners]: goodsOwnerSettingsSchema.parse(config.goodsOwners) };
}

/** The reconcile's dispatcher reads only the list of goods owners it queues. */
export function reconcileDispatcherBundledFiles(config: Config): Record<string, unknown> {
  return {
    [bundledFileNames.reconcileGoodsOwnerIds]: reconcileGoodsOwnerIdsSchema.parse(
      config.articleReconcile.goodsOwnerIds,
    ),
  };
}

function consumerSettings(config: Config, useCase: UseCase, resources: ConsumerResources) {
  return {
    USE_CASE: useCase,
    DEAD_LETTER_QUEUE_URL: resources.deadLetterQueueUrl,
    MAX_RECEIVE_COUNT: String(config.useCases[useCase].maxReceiveCount),
    RETRY_BASE_DELAY_SECONDS: String(config.useCases[useCase].retryBaseDelaySeconds),
    TRAIL_TABLE_NAME: resources.trailTableName,
    TRAIL_RETENTION_DAYS: String(config.trail.retentionDays),
    ...breakerSettings(config, resources),
  };
}

/** The breakers' state lives in the state table; every consumer reads and moves its dependencies' breakers. */
function breakerSettings(config: Config, resources: StackResources) {
  if (!config.breaker.enabled) return {};
  return {
    BREAKER_TABLE_NAME: resources.stateTableName,
    BREAKER_FAILURE_THRESHOLD: String(config.breaker.failureThreshold),
    BREAKER_TRIAL_RECORDS: String(config.breaker.trialRecords),
    BREAKER_PROBE_INTERVAL_SECONDS: String(config.breaker.probeIntervalMinutes * 60),
  };
}

/** The probe: Ongoing, SES and the transport system to ask, and the consumers it pauses and resumes. */
export function breakerProbeEnvironment(
  config: Config,
  resources: StackResources,
  consumers: readonly BreakerConsumer[],
): SettingsEnvironment<typeof breakerProbeSettingsSchema> {
  return {
    ...ongoingSettings(config),
    STATE_TABLE_NAME: resources.stateTableName,
    BREAKER_CONSUMERS: JSON.stringify(consumers),
    BREAKER_PROBE_INTERVAL_SECONDS: String(config.breaker.probeIntervalMinutes * 60),
    TRANSPORT_ADAPTER_URL: config.transport.adapterUrl,
    TRANSPORT_ADAPTER_AUTH_SECRET: config.transport.adapterAuthSecretName,
    TRANSPORT_ADAPTER_AUTH_HEADER: config.transport.adapterAuthHeaderName,
    TRANSPORT_ADAPTER_TIMEOUT_MS: String(config.transport.adapterTimeoutMs),
  };
}

/** Only the consumers that keep state in the state table are told its name (and granted access to it). */
function stateSettings(resources: ConsumerResources) {
  return { STATE_TABLE_NAME: resources.stateTableName };
}

export function orderShippedEmailEnvironment(
  config: Config,
  resources: ConsumerResources,
): SettingsEnvironment<typeof orderShippedEmailSettingsSchema> {
  return {
    ...consumerSettings(config, "order-shipped-email", resources),
    ...stateSettings(resources),
    ...ongoingSettings(config),
    EMAIL_DEFAULT: config.email.default && JSON.stringify(config.email.default),
    SES_CONFIGURATION_SET: resources.sesConfigurationSetName,
    SES_EVIDENCE_GRACE_SECONDS: String(config.email.sesEvidenceGraceSeconds),
    // At most maxConcurrency invocations run at once, so their shares add up to the rate.
    SES_SEND_RATE_PER_INVOCATION: String(
      config.email.maxSendRate / config.useCases["order-shipped-email"].maxConcurrency,
    ),
  };
}

export function transportBookingEnvironment(
  config: Config,
  resources: ConsumerResources,
): SettingsEnvironment<typeof transportBookingSettingsSchema> {
  return {
    ...consumerSettings(config, "transport-booking", resources),
    ...stateSettings(resources),
    // The one consumer that keeps the pipeline's idempotency records.
    IDEMPOTENCY_TTL_SECONDS: String(config.idempotencyDays * 24 * 3600),
    ...ongoingSettings(config),
    TRANSPORTERS: config.transport.transporters && JSON.stringify(config.transport.transporters),
    TRANSPORT_ADAPTER_URL: config.transport.adapterUrl,
    TRANSPORT_ADAPTER_AUTH_SECRET: config.transport.adapterAuthSecretName,
    TRANSPORT_ADAPTER_AUTH_HEADER: config.transport.adapterAuthHeaderName,
    TRANSPORT_ADAPTER_TIMEOUT_MS: String(config.transport.adapterTimeoutMs),
    TRANSPORT_ADAPTER: config.transport.adapter,
    NSHIFT_BASE_URL: config.transport.nshift?.baseUrl,
    NSHIFT_CREDENTIALS_SECRET: config.transport.nshift?.credentialsSecretName,
    NSHIFT_SENDER_QUICK_ID: config.transport.nshift?.senderQuickId,
    NSHIFT_TIMEOUT_MS: config.transport.nshift && String(config.transport.nshift.timeoutMs),
    DOCUMENTS_BUCKET_NAME: resources.documentsBucketName,
    ONGOING_FILE_RETENTION_DAYS: String(config.transport.documentRetentionDays),
  };
}

export function transportStatusEnvironment(
  config: Config,
  resources: ConsumerResources,
): SettingsEnvironment<typeof transportStatusSettingsSchema> {
  return {
    ...consumerSettings(config, "transport-status", resources),
    ...stateSettings(resources),
    ...ongoingSettings(config),
  };
}

export function articleSyncEnvironment(
  config: Config,
  resources: ConsumerResources,
): SettingsEnvironment<typeof articleSyncSettingsSchema> {
  return {
    ...consumerSettings(config, "article-sync", resources),
    ...ongoingSettings(config),
    ARTICLES_TABLE_NAME: resources.articlesTableName,
  };
}

/** The reconcile's queue of units (one per goods owner), created by the stack. */
export interface ReconcileResources extends StackResources {
  readonly reconcileQueueUrl: string;
}

export function articleReconcileEnvironment(
  resources: ReconcileResources,
): SettingsEnvironment<typeof articleReconcileSettingsSchema> {
  return {
    RECONCILE_GOODS_OWNER_IDS: bundledFileNames.reconcileGoodsOwnerIds,
    RECONCILE_QUEUE_URL: resources.reconcileQueueUrl,
  };
}

export function articleReconcileWorkerEnvironment(
  config: Config,
  resources: ReconcileResources & ConsumerResources,
): SettingsEnvironment<typeof articleReconcileWorkerSettingsSchema> {
  return {
    USE_CASE: "article-reconcile",
    DEAD_LETTER_QUEUE_URL: resources.deadLetterQueueUrl,
    MAX_RECEIVE_COUNT: String(config.articleReconcile.maxReceiveCount),
    ...ongoingSettings(config),
    ARTICLES_TABLE_NAME: resources.articlesTableName,
    STATE_TABLE_NAME: resources.stateTableName,
    RECONCILE_QUEUE_URL: resources.reconcileQueueUrl,
    RECONCILE_PAGE_SIZE: String(config.articleReconcile.pageSize),
    // Behind Ongoing's breaker like the use-cases: an outage defers its units instead of dead-lettering them.
    ...breakerSettings(config, resources),
  };
}

export function mailEventsEnvironment(
  resources: StackResources,
): SettingsEnvironment<typeof mailEventsSettingsSchema> {
  return { STATE_TABLE_NAME: resources.stateTableName, TRAIL_TABLE_NAME: resources.trailTableName };
}

export function authorizerEnvironment(config: Config): SettingsEnvironment<typeof authorizerSettingsSchema> {
  return {
    WEBHOOK_TOKEN_SECRET: config.webhookAuth.tokenSecretName,
    WEBHOOK_TOKEN_HEADER: config.webhookAuth.headerName,
    WEBHOOK_ALLOW_BASIC_AUTH: String(config.webhookAuth.allowBasicAuth),
  };
}

/** The Secrets Manager secrets a function may read: by exact name, and every secret under a name prefix. */
export interface SecretGrants {
  readonly names: string[];
  readonly prefixes: string[];
}

/**
 * The Ongoing API secrets a function that calls Ongoing may read: the default REST secret by name, every goods
 * owner's own secret through their one name prefix (so the role policy does not grow with the goods owners), and
 * the Automation API login only for the function that may use it (transport booking).
 */
export function ongoingSecretGrants(config: Config, options: { automation?: boolean } = {}): SecretGrants {
  const names = [
    config.ongoing.credentialsSecretName,
    options.automation ? config.ongoing.automationCredentialsSecretName : undefined,
  ].filter((name): name is string => name !== undefined);
  const anyOwnSecret = Object.values(config.goodsOwners).some((owner) => owner.credentialsSecretName);
  return {
    names: [...new Set(names)],
    prefixes: anyOwnSecret ? [config.ongoing.goodsOwnerSecretPrefix] : [],
  };
}
