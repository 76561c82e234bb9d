/**
 * The whole system in one stack: the webhook ingress (API Gateway → SQS), one consumer per use-case, the
 * scheduled article reconcile, the state and article tables, SES sending, and the dashboard and alarms.
 */
import {
  ArnFormat,
  Aws,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as destinations from "aws-cdk-lib/aws-lambda-destinations";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as ses from "aws-cdk-lib/aws-ses";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { tombstonesIndex } from "../functions/article-sync/indexes.ts";
import { sesDetailTypes } from "../functions/mail-events/ses-event.ts";
import { useCaseDependencies } from "../functions/shared/breaker/dependencies.ts";
import { routes, routeUrlPath, type UseCase, useCases } from "../functions/shared/webhooks/routes.ts";
import { bookingDocumentsPrefix } from "../functions/transport-booking/document-keys.ts";
import { ArticleReconcile } from "./article-reconcile.ts";
import type { Config } from "./config.ts";
import {
  articleReconcileEnvironment,
  articleReconcileWorkerEnvironment,
  articleSyncEnvironment,
  authorizerEnvironment,
  breakerProbeEnvironment,
  type ConsumerResources,
  mailEventsEnvironment,
  ongoingBundledFiles,
  ongoingSecretGrants,
  orderShippedEmailEnvironment,
  reconcileDispatcherBundledFiles,
  type SecretGrants,
  type StackResources,
  transportBookingEnvironment,
  transportStatusEnvironment,
} from "./function-settings.ts";
import { tagResource } from "./metadata.ts";
import { WebhookMonitoring } from "./monitoring.ts";
import { OperatorQueries } from "./operator-queries.ts";
import { ServiceFunction } from "./service-function.ts";
import { grantStateKeys, stateKeyPrefixes } from "./state-keys.ts";
import { articlesTable, stateTable, type TableDefinition } from "./tables.ts";
import { sqsMaxMessageSizeBytes, UseCaseConsumer } from "./use-case-consumer.ts";
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
  "transport-status": transportStatusEnvironment,
};

export class OngoingWebhooksStack extends Stack {
  readonly ingress: WebhookIngress;
  readonly consumers: Record<UseCase, UseCaseConsumer>;
  readonly stateTable: dynamodb.Table;
  readonly articlesTable: dynamodb.Table;
  readonly documentsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: OngoingWebhooksStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.stateTable = this.table("StateTable", stateTable, "state");
    this.articlesTable = this.table("ArticlesTable", articlesTable, "articles");
    this.documentsBucket = this.documentsBucketOf(config.transport.documentRetentionDays);

    const configurationSetName =
      config.email.configurationSetName ?? this.mailConfigurationSet().configurationSetName;
    const resources: StackResources = {
      stateTableName: this.stateTable.tableName,
      articlesTableName: this.articlesTable.tableName,
      sesConfigurationSetName: configurationSetName,
      documentsBucketName: this.documentsBucket.bucketName,
    };

    this.consumers = Object.fromEntries(
      useCases.map((useCase) => {
        const settings = config.useCases[useCase];
        const consumer = new UseCaseConsumer(this, pascal(useCase), {
          useCase,
          entry: entry(useCase),
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

    const ongoingSecrets = ongoingSecretGrants(config);
    const emailFunction = this.consumers["order-shipped-email"].function.function;
    const transportFunction = this.consumers["transport-booking"].function.function;
    const articleSyncFunction = this.consumers["article-sync"].function.function;
    const transportStatusFunction = this.consumers["transport-status"].function.function;
    grantStateKeys(this.stateTable, emailFunction, stateKeyPrefixes["order-shipped-email"]);
    grantStateKeys(this.stateTable, transportFunction, stateKeyPrefixes["transport-booking"]);
    grantStateKeys(this.stateTable, transportStatusFunction, stateKeyPrefixes["transport-status"]);
    // Put and get of booking documents, list of their prefix only (no delete: objects expire by the lifecycle rule).
    transportFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["s3:PutObject", "s3:GetObject"],
        resources: [this.documentsBucket.arnForObjects(`${bookingDocumentsPrefix}*`)],
      }),
    );
    // Without list, S3 answers a missing key with 403 AccessDenied, not NoSuchKey: an expired label would look transient.
    transportFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["s3:ListBucket"],
        resources: [this.documentsBucket.bucketArn],
        conditions: { StringLike: { "s3:prefix": `${bookingDocumentsPrefix}*` } },
      }),
    );
    const bucketLogicalId = this.resolve(
      this.getLogicalId(this.documentsBucket.node.defaultChild as s3.CfnBucket),
    );
    Validations.of(transportFunction.role as iam.IRole).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${bookingDocumentsPrefix}*]`,
      reason:
        "One object per booking document, keys not known in advance: the wildcard is the documents prefix only",
    });
    // Article-sync keeps no state besides the mirror: its repeats are deduplicated by the mirror itself.
    this.grantArticles(articleSyncFunction);
    for (const fn of [emailFunction, articleSyncFunction]) this.grantSecrets(fn, ongoingSecrets);
    this.grantSecrets(transportFunction, ongoingSecretGrants(config, { automation: true }));
    // Status events go to Ongoing only through the Automation API: its login and nothing else.
    if (config.ongoing.automationCredentialsSecretName) {
      this.grantSecrets(transportStatusFunction, {
        names: [config.ongoing.automationCredentialsSecretName],
        prefixes: [],
      });
    }
    if (config.transport.adapterAuthSecretName) {
      this.grantSecrets(transportFunction, { names: [config.transport.adapterAuthSecretName], prefixes: [] });
    }
    if (config.transport.nshift) {
      this.grantSecrets(transportFunction, {
        names: [config.transport.nshift.credentialsSecretName],
        prefixes: [],
      });
    }
    emailFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["ses:SendEmail"],
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

    const mailEvents = this.mailEvents(config, resources);

    const reconcile = new ArticleReconcile(this, "ArticleReconcile", {
      dispatcherEntry: entry("article-reconcile"),
      workerEntry: entry("article-reconcile", "worker"),
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
    const reconcileWorker = reconcile.worker.function.function;
    grantStateKeys(this.stateTable, reconcileWorker, stateKeyPrefixes["article-reconcile"]);
    this.grantArticles(reconcileWorker);
    this.grantSecrets(reconcileWorker, ongoingSecrets);

    const breakerProbe = config.breaker.enabled ? this.breakerProbe(config, resources) : undefined;

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
    this.grantSecrets(authorizer.function, { names: [config.webhookAuth.tokenSecretName], prefixes: [] });
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
    new CfnOutput(this, "MailEventsDeadLetterQueueUrl", { value: mailEvents.deadLetterQueue.queueUrl });
    new CfnOutput(this, "QueueUrlArticleReconcile", { value: reconcile.worker.queue.queueUrl });
    new CfnOutput(this, "DeadLetterQueueUrlArticleReconcile", {
      value: reconcile.worker.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, "StateTableName", { value: this.stateTable.tableName });
    new CfnOutput(this, "ArticlesTableName", { value: this.articlesTable.tableName });
    new CfnOutput(this, "DocumentsBucketName", { value: this.documentsBucket.bucketName });
    new CfnOutput(this, "AlarmTopicArn", { value: monitoring.alarmTopic.topicArn });
    new CfnOutput(this, "DashboardUrl", {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${monitoring.dashboard.dashboardName}`,
    });
  }

  /**
   * The circuit breakers' probe, every `breaker.probeIntervalMinutes`: it may read the breaker items, ask each
   * dependency a cheap question, and pause or resume exactly the consumers' event source mappings.
   */
  private breakerProbe(config: Config, resources: StackResources): lambda.IFunction {
    const consumers = useCases.flatMap((useCase) => {
      const consumer = this.consumers[useCase];
      if (!consumer.eventSource) return [];
      return [
        { useCase, consumer, mapping: consumer.eventSource, dependencies: [...useCaseDependencies[useCase]] },
      ];
    });
    const probe = new ServiceFunction(this, "BreakerProbe", {
      entry: entry("breaker-probe"),
      serviceName: "breaker-probe",
      environment: breakerProbeEnvironment(
        config,
        resources,
        consumers.map(({ useCase, consumer, mapping, dependencies }) => ({
          useCase,
          mappingId: mapping.eventSourceMappingId,
          queueUrl: consumer.queue.queueUrl,
          dependencies,
        })),
      ),
      timeoutSeconds: 60,
      memoryMb: 256,
      tracing: config.ingress.tracing,
      logRetentionDays: config.logRetentionDays,
      description: "Probes the dependencies of open circuit breakers and pauses or resumes the consumers",
      bundledFiles: ongoingBundledFiles(config),
    });
    const fn = probe.function;
    grantStateKeys(this.stateTable, fn, stateKeyPrefixes["breaker-probe"]);
    // The Automation login too: the probe asks the Automation API when a consumer behind the breaker uses it.
    this.grantSecrets(fn, ongoingSecretGrants(config, { automation: true }));
    if (config.transport.adapterAuthSecretName) {
      this.grantSecrets(fn, { names: [config.transport.adapterAuthSecretName], prefixes: [] });
    }
    if (consumers.length > 0) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ["lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping"],
          resources: consumers.map(({ mapping }) => mapping.eventSourceMappingArn),
        }),
      );
    }
    for (const { consumer } of consumers) consumer.queue.grant(fn, "sqs:GetQueueAttributes");
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["ses:GetAccount"], resources: ["*"] }));
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        reason: "SES GetAccount (the probe's look at sending and quota) has no resource-level permissions",
      });
    }
    new events.Rule(this, "BreakerProbeSchedule", {
      description: "Probes the dependencies of open circuit breakers",
      schedule: events.Schedule.rate(Duration.minutes(config.breaker.probeIntervalMinutes)),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });
    tagResource(fn, { kind: "breaker-probe" });

    // Article-sync keeps no state, but reads and moves its dependency's breaker: those items only.
    grantStateKeys(
      this.stateTable,
      this.consumers["article-sync"].function.function,
      stateKeyPrefixes["article-sync"],
    );
    return fn;
  }

  /**
   * The mirror's reads (batch get, query) and its only write (a conditional update) on the article mirror and its
   * tombstones index, named. The table's own grant would name every index with a wildcard (`index/*`).
   */
  private grantArticles(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ["dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
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

  /**
   * SES's sending events of shipped-mails (configuration set → the default event bus → a rule) → a function that
   * keeps them on each mail's record. An event EventBridge cannot hand over, or that still fails after Lambda's
   * two retries, goes to one dead-letter queue.
   */
  private mailEvents(config: Config, resources: StackResources) {
    const deadLetterQueue = new sqs.Queue(this, "MailEventsDeadLetterQueue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      maxMessageSizeBytes: sqsMaxMessageSizeBytes,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetterQueue).acknowledge({
      id: "AwsSolutions::AwsSolutions-SQS3",
      reason: "it is the dead-letter queue of the mail-events rule target and function",
    });
    const mailEvents = new ServiceFunction(this, "MailEvents", {
      entry: entry("mail-events"),
      serviceName: "mail-events",
      environment: mailEventsEnvironment(resources),
      timeoutSeconds: 30,
      memoryMb: 256,
      tracing: config.ingress.tracing,
      logRetentionDays: config.logRetentionDays,
      description: "Records SES's sending events on the shipped-mail records",
    });
    const fn = mailEvents.function;
    grantStateKeys(this.stateTable, fn, stateKeyPrefixes["mail-events"]);
    fn.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(deadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    new events.Rule(this, "MailEventsRule", {
      description: "SES's sending events of shipped-mails",
      eventPattern: {
        source: ["aws.ses"],
        detailType: Object.values(sesDetailTypes),
        detail: { mail: { tags: { useCase: ["order-shipped-email"] } } },
      },
      targets: [new targets.LambdaFunction(fn, { deadLetterQueue, maxEventAge: Duration.hours(24) })],
    });
    tagResource(fn, { kind: "mail-events" });
    tagResource(deadLetterQueue, { kind: "mail-events-dlq" });
    return { function: fn, deadLetterQueue };
  }

  /**
   * Labels and other booking documents until they are written back to Ongoing: private, encrypted, HTTPS only,
   * every object expiring after `retentionDays` (Ongoing advises letting label files go after about 30 days).
   */
  private documentsBucketOf(retentionDays: number): s3.Bucket {
    const bucket = new s3.Bucket(this, "DocumentsBucket", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [
        {
          id: "expire-booking-documents",
          expiration: Duration.days(retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // Documents are working copies that expire anyway; the bucket stays with its objects if the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: "AwsSolutions::AwsSolutions-S1",
      reason:
        "Working copies of labels that expire in days, written and read by one role only; " +
        "CloudTrail data events are the audit trail if one is wanted",
    });
    tagResource(bucket, { kind: "bucket", bucket: "documents" });
    return bucket;
  }

  /**
   * A configuration set with reputation metrics, recording bounces and complaints as CloudWatch metrics, and
   * publishing every mail's sending events to the default event bus (see mailEvents).
   */
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
    configurationSet.addEventDestination("MailEvents", {
      destination: ses.EventDestination.eventBus(
        events.EventBus.fromEventBusName(this, "DefaultEventBus", "default"),
      ),
      events: [
        ses.EmailSendingEvent.SEND,
        ses.EmailSendingEvent.DELIVERY,
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.REJECT,
      ],
    });
    return configurationSet;
  }

  /**
   * GetSecretValue on exactly the named secrets (Secrets Manager appends six random characters to an ARN) and
   * on every secret under the given name prefixes.
   */
  private grantSecrets(fn: lambda.IFunction, { names, prefixes }: SecretGrants): void {
    if (names.length === 0 && prefixes.length === 0) return;
    const arn = (resourceName: string) =>
      this.formatArn({
        service: "secretsmanager",
        resource: "secret",
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["secretsmanager:GetSecretValue"],
        resources: [
          ...names.map((name) => arn(`${name}-??????`)),
          ...prefixes.map((prefix) => arn(`${prefix}*`)),
        ],
      }),
    );
    for (const prefix of prefixes) {
      if (!fn.role) continue;
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}*]`,
        reason:
          "the goods owners' Ongoing credentials, one secret each under one name prefix (ongoing.goodsOwnerSecretPrefix), so the policy does not grow with them",
      });
    }
  }
}

const pascal = (value: string) =>
  value
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
