/**
 * The whole system in one stack: the webhook ingress (API Gateway → SQS), one consumer per use-case, the
 * scheduled article reconcile, the state and article tables, SES sending, and the dashboard and alarms.
 */
import { ArnFormat, Aws, CfnOutput, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as ses from "aws-cdk-lib/aws-ses";
import type { Construct } from "constructs";
import { tombstonesIndex } from "../functions/article-sync/indexes.ts";
import { routes, routeUrlPath, type UseCase, useCases } from "../functions/shared/webhooks/routes.ts";
import { ArticleReconcile } from "./article-reconcile.ts";
import type { Config } from "./config.ts";
import {
  articleReconcileEnvironment,
  articleReconcileWorkerEnvironment,
  articleSyncEnvironment,
  authorizerEnvironment,
  type ConsumerResources,
  ongoingSecretNames,
  orderShippedEmailEnvironment,
  type StackResources,
  transportBookingEnvironment,
} from "./function-settings.ts";
import { tagResource } from "./metadata.ts";
import { WebhookMonitoring } from "./monitoring.ts";
import { ServiceFunction } from "./service-function.ts";
import { articlesTable, stateTable, type TableDefinition } from "./tables.ts";
import { UseCaseConsumer } from "./use-case-consumer.ts";
import { WebhookIngress } from "./webhook-ingress.ts";

export interface OngoingWebhooksStackProps extends StackProps {
  readonly config: Config;
}

const entry = (name: string, file = "index") =>
  new URL(`../functions/${name}/${file}.ts`, import.meta.url).pathname;

const environmentOf: Record<
  UseCase,
  (config: Config, resources: ConsumerResources) => Record<string, string | undefined>
> = {
  "order-shipped-email": orderShippedEmailEnvironment,
  "transport-booking": transportBookingEnvironment,
  "article-sync": articleSyncEnvironment,
};

export class OngoingWebhooksStack extends Stack {
  readonly ingress: WebhookIngress;
  readonly consumers: Record<UseCase, UseCaseConsumer>;
  readonly stateTable: dynamodb.Table;
  readonly articlesTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: OngoingWebhooksStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.stateTable = this.table("StateTable", stateTable, "state");
    this.articlesTable = this.table("ArticlesTable", articlesTable, "articles");

    const configurationSetName =
      config.email.configurationSetName ?? this.mailConfigurationSet().configurationSetName;
    const resources: StackResources = {
      stateTableName: this.stateTable.tableName,
      articlesTableName: this.articlesTable.tableName,
      sesConfigurationSetName: configurationSetName,
    };

    this.consumers = Object.fromEntries(
      useCases.map((useCase) => {
        const settings = config.useCases[useCase];
        const consumer = new UseCaseConsumer(this, pascal(useCase), {
          useCase,
          entry: entry(useCase),
          environment: (deadLetterQueue) =>
            environmentOf[useCase](config, { ...resources, deadLetterQueueUrl: deadLetterQueue.queueUrl }),
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

    const ongoingSecrets = ongoingSecretNames(config);
    const emailFunction = this.consumers["order-shipped-email"].function.function;
    const transportFunction = this.consumers["transport-booking"].function.function;
    const articleSyncFunction = this.consumers["article-sync"].function.function;
    this.stateTable.grantReadWriteData(emailFunction);
    this.stateTable.grantReadWriteData(transportFunction);
    // Article-sync keeps no state besides the mirror: its repeats are deduplicated by the mirror itself.
    this.grantArticles(articleSyncFunction);
    for (const fn of [emailFunction, articleSyncFunction]) this.grantSecrets(fn, ongoingSecrets);
    this.grantSecrets(transportFunction, ongoingSecretNames(config, { automation: true }));
    if (config.transport.adapterAuthSecretName) {
      this.grantSecrets(transportFunction, [config.transport.adapterAuthSecretName]);
    }
    emailFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["ses:SendEmail", "ses:SendRawEmail"],
        resources: [
          this.formatArn({ service: "ses", resource: "identity", resourceName: config.email.senderIdentity }),
          this.formatArn({
            service: "ses",
            resource: "configuration-set",
            resourceName: configurationSetName,
          }),
        ],
      }),
    );

    const reconcile = new ArticleReconcile(this, "ArticleReconcile", {
      dispatcherEntry: entry("article-reconcile"),
      workerEntry: entry("article-reconcile", "worker"),
      dispatcherEnvironment: (queue) =>
        articleReconcileEnvironment(config, { ...resources, reconcileQueueUrl: queue.queueUrl }),
      workerEnvironment: (deadLetterQueue, queue) =>
        articleReconcileWorkerEnvironment(config, {
          ...resources,
          deadLetterQueueUrl: deadLetterQueue.queueUrl,
          reconcileQueueUrl: queue.queueUrl,
        }),
      rateMinutes: config.articleReconcile.rateMinutes,
      scheduleEnabled: config.articleReconcile.enabled,
      ...(config.articleReconcile.fullRateDays ? { fullRateDays: config.articleReconcile.fullRateDays } : {}),
      maxConcurrency: config.articleReconcile.maxConcurrency,
      maxReceiveCount: config.articleReconcile.maxReceiveCount,
      timeoutSeconds: config.articleReconcile.timeoutSeconds,
      tracing: config.ingress.tracing,
      logRetentionDays: config.logRetentionDays,
    });
    const reconcileWorker = reconcile.worker.function.function;
    this.stateTable.grantReadWriteData(reconcileWorker);
    this.grantArticles(reconcileWorker);
    this.grantSecrets(reconcileWorker, ongoingSecrets);

    const authorizer = new ServiceFunction(this, "Authorizer", {
      entry: entry("authorizer"),
      serviceName: "authorizer",
      environment: authorizerEnvironment(config),
      timeoutSeconds: 10,
      memoryMb: 256,
      tracing: config.ingress.tracing,
      logRetentionDays: config.logRetentionDays,
      description: "Checks the webhook token",
    });
    this.grantSecrets(authorizer.function, [config.webhookAuth.tokenSecretName]);
    tagResource(authorizer.function, { kind: "authorizer" });

    this.ingress = new WebhookIngress(this, "Ingress", {
      routes,
      queues: Object.fromEntries(
        useCases.map((useCase) => [useCase, this.consumers[useCase].queue]),
      ) as Record<UseCase, UseCaseConsumer["queue"]>,
      authorizerFunction: authorizer.function,
      tokenHeaderName: config.webhookAuth.headerName,
      authorizerCacheTtlSeconds: config.webhookAuth.cacheTtlSeconds,
      maxBodyChars: config.ingress.maxBodyBytes,
      throttlingRateLimit: config.ingress.throttlingRateLimit,
      throttlingBurstLimit: config.ingress.throttlingBurstLimit,
      tracing: config.ingress.tracing,
      cloudWatchRole: config.ingress.cloudWatchRole,
      logRetentionDays: config.logRetentionDays,
    });

    const monitoring = new WebhookMonitoring(this, "Monitoring", {
      consumers: this.consumers,
      api: this.ingress.api,
      accessLogGroup: this.ingress.accessLogGroup,
      authorizerFunction: authorizer.function,
      reconcile: { dispatcher: reconcile.dispatcher.function, worker: reconcile.worker },
      alarmEmail: config.alarmEmail,
      oldestMessageAgeAlarmSeconds: config.oldestMessageAgeAlarmSeconds,
      authDenialsAlarmThreshold: config.authDenialsAlarmThreshold,
      mailReputation: config.useCases["order-shipped-email"].enabled,
    });

    for (const route of routes) {
      new CfnOutput(this, `RouteUrl${pascal(route.path)}`, {
        description: `POST ${routeUrlPath(route)} (${route.ongoingTrigger})`,
        value: this.ingress.routeUrls[route.path] ?? "",
      });
    }
    for (const useCase of useCases) {
      new CfnOutput(this, `QueueUrl${pascal(useCase)}`, { value: this.consumers[useCase].queue.queueUrl });
      new CfnOutput(this, `DeadLetterQueueUrl${pascal(useCase)}`, {
        value: this.consumers[useCase].deadLetterQueue.queueUrl,
      });
    }
    new CfnOutput(this, "QueueUrlArticleReconcile", { value: reconcile.worker.queue.queueUrl });
    new CfnOutput(this, "DeadLetterQueueUrlArticleReconcile", {
      value: reconcile.worker.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, "StateTableName", { value: this.stateTable.tableName });
    new CfnOutput(this, "ArticlesTableName", { value: this.articlesTable.tableName });
    new CfnOutput(this, "AlarmTopicArn", { value: monitoring.alarmTopic.topicArn });
    new CfnOutput(this, "DashboardUrl", {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${monitoring.dashboard.dashboardName}`,
    });
  }

  /**
   * Reads and writes on the article mirror and its tombstones index, named. The table's own grant would name
   * every index of the table with a wildcard (`index/*`).
   */
  private grantArticles(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: [
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:Scan",
        "dynamodb:ConditionCheckItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeTable",
      ],
      resourceArns: [
        this.articlesTable.tableArn,
        `${this.articlesTable.tableArn}/index/${tombstonesIndex.name}`,
      ],
    });
  }

  private table(id: string, definition: TableDefinition, name: "state" | "articles"): dynamodb.Table {
    const attribute = (key: TableDefinition["partitionKey"]) => ({
      name: key.name,
      type: key.type === "S" ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
    });
    const table = new dynamodb.Table(this, id, {
      partitionKey: attribute(definition.partitionKey),
      ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
      timeToLiveAttribute: definition.timeToLiveAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of definition.indexes ?? []) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    tagResource(table, { kind: "table", table: name });
    return table;
  }

  /** A configuration set with reputation metrics, recording bounces and complaints as CloudWatch metrics. */
  private mailConfigurationSet(): ses.ConfigurationSet {
    const configurationSet = new ses.ConfigurationSet(this, "MailConfigurationSet", {
      reputationMetrics: true,
      sendingEnabled: true,
    });
    configurationSet.addEventDestination("DeliveryProblems", {
      destination: ses.EventDestination.cloudWatchDimensions([
        {
          name: "useCase",
          source: ses.CloudWatchDimensionSource.MESSAGE_TAG,
          defaultValue: "order-shipped-email",
        },
      ]),
      events: [
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.REJECT,
        ses.EmailSendingEvent.DELIVERY_DELAY,
      ],
    });
    return configurationSet;
  }

  /** GetSecretValue on exactly the named secrets (Secrets Manager appends six random characters to an ARN). */
  private grantSecrets(fn: lambda.IFunction, names: readonly string[]): void {
    if (names.length === 0) return;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["secretsmanager:GetSecretValue"],
        resources: names.map((name) =>
          this.formatArn({
            service: "secretsmanager",
            resource: "secret",
            resourceName: `${name}-??????`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );
  }
}

const pascal = (value: string) =>
  value
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
