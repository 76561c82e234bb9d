/**
 * Each function's environment, built from the validated configuration and typed by the function's settings
 * schema (`functions/shared/settings.ts`), so the stack and the functions cannot drift apart. Secrets appear
 * here by name only.
 */
import type {
  articleReconcileSettingsSchema,
  articleReconcileWorkerSettingsSchema,
  articleSyncSettingsSchema,
  authorizerSettingsSchema,
  orderShippedEmailSettingsSchema,
  SettingsEnvironment,
  transportBookingSettingsSchema,
} from "../functions/shared/settings.ts";
import type { UseCase } from "../functions/shared/webhooks/routes.ts";
import type { Config } from "./config.ts";

/** What the stack creates that the functions need by name or URL (CloudFormation tokens at synth time). */
export interface StackResources {
  readonly stateTableName: string;
  readonly articlesTableName: string;
  readonly sesConfigurationSetName: string;
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
    ONGOING_TRANSPORT_API: config.ongoing.transportApi,
    ONGOING_REQUEST_TIMEOUT_MS: String(config.ongoing.requestTimeoutMs),
    ONGOING_MAX_ATTEMPTS: String(config.ongoing.maxAttempts),
    GOODS_OWNERS: JSON.stringify(config.goodsOwners),
  };
}

function consumerSettings(config: Config, useCase: UseCase, resources: ConsumerResources) {
  return {
    USE_CASE: useCase,
    DEAD_LETTER_QUEUE_URL: resources.deadLetterQueueUrl,
    MAX_RECEIVE_COUNT: String(config.useCases[useCase].maxReceiveCount),
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
  config: Config,
  resources: ReconcileResources,
): SettingsEnvironment<typeof articleReconcileSettingsSchema> {
  return {
    RECONCILE_GOODS_OWNER_IDS: JSON.stringify(config.articleReconcile.goodsOwnerIds),
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
  };
}

export function authorizerEnvironment(config: Config): SettingsEnvironment<typeof authorizerSettingsSchema> {
  return {
    WEBHOOK_TOKEN_SECRET: config.webhookAuth.tokenSecretName,
    WEBHOOK_TOKEN_HEADER: config.webhookAuth.headerName,
    WEBHOOK_ALLOW_BASIC_AUTH: String(config.webhookAuth.allowBasicAuth),
  };
}

/**
 * Every Ongoing API secret a function that calls Ongoing may read: the default and every goods owner's REST
 * secret, and the Automation API login only for the function that may use it (transport booking).
 */
export function ongoingSecretNames(config: Config, options: { automation?: boolean } = {}): string[] {
  const names = [
    config.ongoing.credentialsSecretName,
    options.automation ? config.ongoing.automationCredentialsSecretName : undefined,
    ...Object.values(config.goodsOwners).map((owner) => owner.credentialsSecretName),
  ];
  return [...new Set(names.filter((name): name is string => name !== undefined))];
}
