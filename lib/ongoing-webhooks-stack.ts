/**
 * The whole system in one stack: the webhook ingress (API Gateway → SQS), one consumer per use-case, the
 * scheduled article reconcile, the state and article tables, SES sending, and the dashboard and alarms. The
 * parts are built by the modules in lib/stack/, each in this stack's scope (so logical ids stay put).
 */
import { Stack, type StackProps } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import { routes, type UseCase, useCases } from "../functions/shared/contract/routes.ts";
import { stateKeyPrefixes } from "../functions/shared/contract/state-keys.ts";
import { ArticleReconcile } from "./article-reconcile.ts";
import type { Config } from "./config.ts";
import {
  articleReconcileEnvironment,
  articleReconcileWorkerEnvironment,
  articleSyncEnvironment,
  authorizerEnvironment,
  type ConsumerResources,
  ongoingBundledFiles,
  ongoingSecretGrants,
  orderShippedEmailEnvironment,
  reconcileDispatcherBundledFiles,
  type StackResources,
  transportBookingEnvironment,
  transportStatusEnvironment,
} from "./function-settings.ts";
import { tagResource } from "./metadata.ts";
import { WebhookMonitoring } from "./monitoring.ts";
import { OperatorQueries } from "./operator-queries.ts";
import { ServiceFunction } from "./service-function.ts";
import { createBreakerProbe } from "./stack/breaker-probe.ts";
import { createMailConfigurationSet, createMailEvents, type MailEvents } from "./stack/mail.ts";
import { functionEntry, pascal } from "./stack/naming.ts";
import { addStackOutputs } from "./stack/outputs.ts";
import { grantSecrets, secretsNamed } from "./stack/secrets.ts";
import { createDocumentsBucket, createTable, grantArticles } from "./stack/storage.ts";
import { grantUseCases } from "./stack/use-case-grants.ts";
import { grantStateKeys } from "./state-keys.ts";
import { articlesTable, stateTable, trailTable } from "./tables.ts";
import { UseCaseConsumer } from "./use-case-consumer.ts";
import { WebhookIngress } from "./webhook-ingress.ts";
export interface OngoingWebhooksStackProps extends StackProps {
  readonly config: Config;
}

const environmentOf: Record<
  UseCase,
  (config: Config, resources: ConsumerResources) => Record<string, string | undefined>
> = {
  "order-shipped-email": orderShippedEmailEnvironment,
  "transport-booking": transportBookingEnvironment,
  "article-sync": articleSyncEnvironment,
  "transport-status": transportStatusEnvironment,
};

export class OngoingWebhooksStack extends Stack {
  readonly ingress: WebhookIngress;
  readonly consumers: Record<UseCase, UseCaseConsumer>;
  readonly stateTable: dynamodb.Table;
  readonly articlesTable: dynamodb.Table;
  /** The operator's trail: one item per accepted webhook (docs/trail.md). */
  readonly trailTable: dynamodb.Table;
  readonly documentsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: OngoingWebhooksStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.stateTable = createTable(this, "StateTable", stateTable, "state");
    this.articlesTable = createTable(this, "ArticlesTable", articlesTable, "articles");
    this.trailTable = createTable(this, "TrailTable", trailTable, "trail");
    this.documentsBucket = createDocumentsBucket(this, config.transport.documentRetentionDays);
    const configurationSetName =
      config.email.configurationSetName ?? createMailConfigurationSet(this).configurationSetName;
    const resources: StackResources = {
      stateTableName: this.stateTable.tableName,
      articlesTableName: this.articlesTable.tableName,
      trailTableName: this.trailTable.tableName,
      sesConfigurationSetName: configurationSetName,
      documentsBucketName: this.documentsBucket.bucketName,
    };

    this.consumers = this.useCaseConsumers(config, resources);
    grantUseCases({
      config,
      consumers: this.consumers,
      stateTable: this.stateTable,
      articlesTable: this.articlesTable,
      trailTable: this.trailTable,
      documentsBucket: this.documentsBucket,
      configurationSetName,
    });
    const mailEvents = createMailEvents(this, config, resources, this.stateTable, this.trailTable);
    const reconcile = this.articleReconcile(config, resources);
    const breakerProbe = config.breaker.enabled
      ? createBreakerProbe(this, {
          config,
          resources,
          consumers: this.consumers,
          reconcileWorker: reconcile.worker,
          stateTable: this.stateTable,
        })
      : undefined;
    const authorizer = this.authorizer(config);
    this.ingress = this.webhookIngress(config, authorizer);
    const monitoring = new WebhookMonitoring(this, "Monitoring", {
      consumers: this.consumers,
      api: this.ingress.api,
      accessLogGroup: this.ingress.accessLogGroup,
      authorizerFunction: authorizer,
      reconcile: { dispatcher: reconcile.dispatcher.function, worker: reconcile.worker },
      alarmEmail: config.alarmEmail,
      oldestMessageAgeAlarmSeconds: config.oldestMessageAgeAlarmSeconds,
      authDenialsAlarmThreshold: config.authDenialsAlarmThreshold,
      mailReputation: config.useCases["order-shipped-email"].enabled,
      mailEvents,
      ...(breakerProbe ? { breakerProbeFunction: breakerProbe } : {}),
    });
    new OperatorQueries(this, "OperatorQueries", {
      accessLogGroup: this.ingress.accessLogGroup,
      consumerLogGroups: [...useCases.map((useCase) => this.consumers[useCase]), reconcile.worker].map(
        (consumer) => consumer.function.logGroup,
      ),
      mailEventsLogGroup: mailEvents.function.logGroup,
      dashboard: monitoring.dashboard,
    });
    this.outputs(reconcile, mailEvents, monitoring);
  }

  /** One consumer per use-case: its queue, dead-letter queue and function, as configured. */
  private useCaseConsumers(config: Config, resources: StackResources): Record<UseCase, UseCaseConsumer> {
    return Object.fromEntries(
      useCases.map((useCase) => {
        const settings = config.useCases[useCase];
        const consumer = new UseCaseConsumer(this, pascal(useCase), {
          useCase,
          entry: functionEntry(useCase),
          environment: (deadLetterQueue) =>
            environmentOf[useCase](config, { ...resources, deadLetterQueueUrl: deadLetterQueue.queueUrl }),
          bundledFiles: ongoingBundledFiles(config),
          enabled: settings.enabled,
          batchSize: settings.batchSize,
          batchingWindowSeconds: settings.batchingWindowSeconds,
          maxConcurrency: settings.maxConcurrency,
          maxReceiveCount: settings.maxReceiveCount,
          timeoutSeconds: settings.timeoutSeconds,
          memoryMb: settings.memoryMb,
          tracing: config.ingress.tracing,
          logRetentionDays: config.logRetentionDays,
        });
        return [useCase, consumer];
      }),
    ) as Record<UseCase, UseCaseConsumer>;
  }

  /** The scheduled reconcile of the article mirror: a dispatcher, a queue of units, a worker. */
  private articleReconcile(config: Config, resources: StackResources): ArticleReconcile {
    const reconcile = new ArticleReconcile(this, "ArticleReconcile", {
      dispatcherEntry: functionEntry("article-reconcile"),
      workerEntry: functionEntry("article-reconcile", "worker"),
      dispatcherEnvironment: (queue) =>
        articleReconcileEnvironment({ ...resources, reconcileQueueUrl: queue.queueUrl }),
      workerEnvironment: (deadLetterQueue, queue) =>
        articleReconcileWorkerEnvironment(config, {
          ...resources,
          deadLetterQueueUrl: deadLetterQueue.queueUrl,
          reconcileQueueUrl: queue.queueUrl,
        }),
      dispatcherBundledFiles: reconcileDispatcherBundledFiles(config),
      workerBundledFiles: ongoingBundledFiles(config),
      rateMinutes: config.articleReconcile.rateMinutes,
      scheduleEnabled: config.articleReconcile.enabled,
      ...(config.articleReconcile.fullRateDays ? { fullRateDays: config.articleReconcile.fullRateDays } : {}),
      maxConcurrency: config.articleReconcile.maxConcurrency,
      maxReceiveCount: config.articleReconcile.maxReceiveCount,
      timeoutSeconds: config.articleReconcile.timeoutSeconds,
      tracing: config.ingress.tracing,
      logRetentionDays: config.logRetentionDays,
    });
    const worker = reconcile.worker.function.function;
    grantStateKeys(this.stateTable, worker, stateKeyPrefixes["article-reconcile"]);
    grantArticles(this.articlesTable, worker);
    grantSecrets(worker, ongoingSecretGrants(config));
    return reconcile;
  }

  /** The webhook token's check: reads the token secret, nothing else. */
  private authorizer(config: Config): lambda.IFunction {
    const authorizer = new ServiceFunction(this, "Authorizer", {
      entry: functionEntry("authorizer"),
      serviceName: "authorizer",
      environment: authorizerEnvironment(config),
      timeoutSeconds: 10,
      memoryMb: 256,
      tracing: config.ingress.tracing,
      logRetentionDays: config.logRetentionDays,
      description: "Checks the webhook token",
    });
    grantSecrets(authorizer.function, secretsNamed(config.webhookAuth.tokenSecretName));
    tagResource(authorizer.function, { kind: "authorizer" });
    return authorizer.function;
  }

  /** API Gateway → each use-case's queue, behind the authorizer (and the WAF when configured). */
  private webhookIngress(config: Config, authorizer: lambda.IFunction): WebhookIngress {
    return new WebhookIngress(this, "Ingress", {
      routes,
      queues: Object.fromEntries(
        useCases.map((useCase) => [useCase, this.consumers[useCase].queue]),
      ) as Record<UseCase, UseCaseConsumer["queue"]>,
      authorizerFunction: authorizer,
      tokenHeaderName: config.webhookAuth.headerName,
      authorizerCacheTtlSeconds: config.webhookAuth.cacheTtlSeconds,
      maxBodyChars: config.ingress.maxBodyBytes,
      throttlingRateLimit: config.ingress.throttlingRateLimit,
      throttlingBurstLimit: config.ingress.throttlingBurstLimit,
      tracing: config.ingress.tracing,
      cloudWatchRole: config.ingress.cloudWatchRole,
      logRetentionDays: config.logRetentionDays,
      ...(config.ingress.waf.enabled
        ? {
            firewall: {
              rateLimitPerIp: config.ingress.waf.rateLimitPerIp,
              rateWindowSeconds: config.ingress.waf.rateWindowSeconds,
              maxBodyBytes: config.ingress.waf.maxBodyBytes,
            },
          }
        : {}),
    });
  }

  private outputs(reconcile: ArticleReconcile, mailEvents: MailEvents, monitoring: WebhookMonitoring): void {
    addStackOutputs(this, {
      routes,
      routeUrls: this.ingress.routeUrls,
      useCaseQueues: useCases.map((useCase) => {
        const { queue, deadLetterQueue } = this.consumers[useCase];
        return { name: pascal(useCase), queue, deadLetterQueue };
      }),
      mailEventsDeadLetterQueue: mailEvents.deadLetterQueue,
      reconcileQueues: {
        name: "ArticleReconcile",
        queue: reconcile.worker.queue,
        deadLetterQueue: reconcile.worker.deadLetterQueue,
      },
      stateTableName: this.stateTable.tableName,
      articlesTableName: this.articlesTable.tableName,
      trailTableName: this.trailTable.tableName,
      documentsBucketName: this.documentsBucket.bucketName,
      alarmTopicArn: monitoring.alarmTopic.topicArn,
      dashboardName: monitoring.dashboard.dashboardName,
    });
  }
}
