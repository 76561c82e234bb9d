/**
 * The dashboard and alarms (cdk-monitoring-constructs): per use-case received / processed / failed, dead-letter
 * depth, oldest message age, duration and Ongoing API errors; the ingress's 2xx/4xx/5xx and latency; the SES
 * account's bounce and complaint rates. Every alarm
 * notifies one encrypted, HTTPS-only SNS topic.
 */
import { Duration, Stack } from "aws-cdk-lib";
import type * as apigw from "aws-cdk-lib/aws-apigateway";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import {
  DefaultDashboardFactory,
  MetricStatistic,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from "cdk-monitoring-constructs";
import { Construct } from "constructs";
import { metricsNamespace } from "../functions/shared/contract/names.ts";
import type { UseCase } from "../functions/shared/contract/routes.ts";
import {
  alarmOnAny,
  alarmOnAnyMessage,
  type MailEventsResources,
  monitorBreakers,
  monitorMail,
} from "./monitoring-dependencies.ts";
import type { UseCaseConsumer } from "./use-case-consumer.ts";

export interface WebhookMonitoringProps {
  readonly consumers: Readonly<Record<UseCase, UseCaseConsumer>>;
  readonly api: apigw.RestApi;
  readonly accessLogGroup: logs.ILogGroup;
  readonly authorizerFunction: lambda.IFunction;
  /** The article reconcile: its dispatcher, and its worker with the queue of units. */
  readonly reconcile: { readonly dispatcher: lambda.IFunction; readonly worker: UseCaseConsumer };
  /** Subscribed to the alarm topic. @default none */
  readonly alarmEmail?: string;
  /** @default 900 */
  readonly oldestMessageAgeAlarmSeconds?: number;
  /** 401/403 answers in five minutes above which the denial alarm fires. @default 20 */
  readonly authDenialsAlarmThreshold?: number;
  /** Watch the SES account's bounce and complaint rates (when the stack sends mail). @default true */
  readonly mailReputation?: boolean;
  /** The function recording SES's mail events, and its dead-letter queue. @default not monitored */
  readonly mailEvents?: MailEventsResources;
  /** The circuit breakers' probe: an alarm and a widget per dependency. @default none (no breakers) */
  readonly breakerProbeFunction?: lambda.IFunction;
}

/** The pipeline's outcome metrics emitted with the `service` (= use-case) dimension alone. */
const outcomeMetrics = ["Processed", "Skipped"] as const;
/**
 * The pipeline's failure metrics: emitted with `service` and `class` (permanent / transient / exhausted), so a
 * metric keyed by `service` alone has no data; a search over both plots one line per class.
 */
const failureMetrics = ["Failed", "DeadLettered"] as const;

export class WebhookMonitoring extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: WebhookMonitoringProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    this.alarmTopic = this.alarmTopicOf(stackName, props.alarmEmail);

    const dashboards = new DefaultDashboardFactory(this, "Dashboards", {
      dashboardNamePrefix: stackName,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
    });
    const monitoring = new MonitoringFacade(this, "Facade", {
      alarmFactoryDefaults: {
        alarmNamePrefix: stackName,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: this.alarmTopic }),
        datapointsToAlarm: 1,
      },
      metricFactoryDefaults: {},
      dashboardFactory: dashboards,
    });

    this.monitorIngress(monitoring, props);
    for (const [useCase, consumer] of Object.entries(props.consumers) as [UseCase, UseCaseConsumer][]) {
      this.monitorUseCase(monitoring, useCase, consumer, props.oldestMessageAgeAlarmSeconds ?? 900);
    }
    monitorMail(monitoring, props);
    if (props.breakerProbeFunction) monitorBreakers(monitoring, props.breakerProbeFunction);
    this.monitorReconcile(monitoring, props.reconcile);

    if (!dashboards.dashboard) throw new Error(`${this.node.path}: the dashboard was not created`);
    this.dashboard = dashboards.dashboard;
  }

  /** The alarm topic, encrypted with a key CloudWatch may use, with the configured e-mail subscribed. */
  private alarmTopicOf(stackName: string, alarmEmail: string | undefined): sns.Topic {
    // CloudWatch alarms can publish to an encrypted topic only with a customer-managed key they may use.
    const topicKey = new kms.Key(this, "AlarmTopicKey", {
      enableKeyRotation: true,
      description: "Encrypts the webhook alarm topic",
    });
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
      }),
    );
    const alarmTopic = new sns.Topic(this, "AlarmTopic", {
      displayName: `${stackName} alarms`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    if (alarmEmail) {
      alarmTopic.addSubscription(new subscriptions.EmailSubscription(alarmEmail));
    }

    return alarmTopic;
  }

  /** The API's faults, its accepted and denied answers (from the access log), and the authorizer. */
  private monitorIngress(monitoring: MonitoringFacade, props: WebhookMonitoringProps): void {
    monitoring.addLargeHeader("Ingress (API Gateway → SQS)").monitorApiGateway({
      api: props.api,
      apiStage: props.api.deploymentStage.stageName,
      alarmFriendlyName: "ingress",
      add5XXFaultCountAlarm: alarmOnAny(),
    });
    const denials = new logs.MetricFilter(this, "AuthDenials", {
      logGroup: props.accessLogGroup,
      filterPattern: logs.FilterPattern.any(
        logs.FilterPattern.stringValue("$.status", "=", "401"),
        logs.FilterPattern.stringValue("$.status", "=", "403"),
      ),
      metricNamespace: metricsNamespace,
      metricName: "IngressAuthDenied",
      metricValue: "1",
      defaultValue: 0,
    });
    const okCount = new logs.MetricFilter(this, "Accepted", {
      logGroup: props.accessLogGroup,
      filterPattern: logs.FilterPattern.stringValue("$.status", "=", "202"),
      metricNamespace: metricsNamespace,
      metricName: "IngressAccepted",
      metricValue: "1",
      defaultValue: 0,
    });
    monitoring.monitorCustom({
      alarmFriendlyName: "ingress-auth",
      humanReadableName: "Ingress answers",
      metricGroups: [
        {
          title: "Accepted (202) and denied (401/403)",
          metrics: [
            {
              metric: okCount.metric({ statistic: "Sum", period: Duration.minutes(5) }),
              alarmFriendlyName: "accepted",
              addAlarm: {},
            },
            {
              metric: denials.metric({ statistic: "Sum", period: Duration.minutes(5) }),
              alarmFriendlyName: "auth-denials",
              addAlarm: {
                Critical: {
                  threshold: props.authDenialsAlarmThreshold ?? 20,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  alarmDescriptionOverride: "Many webhook requests with a missing or wrong token",
                },
              },
            },
          ],
        },
      ],
    });
    monitoring.monitorLambdaFunction({
      lambdaFunction: props.authorizerFunction,
      alarmFriendlyName: "authorizer",
      humanReadableName: "Webhook authorizer",
      addFaultCountAlarm: alarmOnAny(),
      addThrottlesCountAlarm: alarmOnAny(),
    });
  }

  /** A use-case's queue and dead-letter queue, its function, its outcomes and its calls to Ongoing. */
  private monitorUseCase(
    monitoring: MonitoringFacade,
    useCase: UseCase,
    consumer: UseCaseConsumer,
    oldestMessageAgeSeconds: number,
  ): void {
    monitoring.addLargeHeader(`Use-case: ${useCase}`);
    monitoring.monitorSqsQueueWithDlq({
      queue: consumer.queue,
      deadLetterQueue: consumer.deadLetterQueue,
      alarmFriendlyName: `${useCase}-queue`,
      humanReadableName: `${useCase} queue (received)`,
      addQueueMaxMessageAgeAlarm: {
        Critical: { maxAgeInSeconds: oldestMessageAgeSeconds },
      },
      addDeadLetterQueueMaxSizeAlarm: alarmOnAnyMessage(),
    });
    monitoring.monitorLambdaFunction({
      lambdaFunction: consumer.function.function,
      alarmFriendlyName: `${useCase}-function`,
      humanReadableName: `${useCase} consumer`,
      addFaultCountAlarm: alarmOnAny(),
      addThrottlesCountAlarm: alarmOnAny(),
    });
    monitoring.monitorCustom({
      alarmFriendlyName: `${useCase}-outcomes`,
      humanReadableName: `${useCase}: outcomes and Ongoing API`,
      metricGroups: [
        {
          title: "Outcomes",
          metrics: [
            ...outcomeMetrics.map(
              (name) =>
                new cloudwatch.Metric({
                  namespace: metricsNamespace,
                  metricName: name,
                  dimensionsMap: { service: useCase },
                  statistic: "Sum",
                  period: Duration.minutes(5),
                  label: name,
                }),
            ),
            ...failureMetrics.map((name) => ({
              searchQuery: `MetricName="${name}"`,
              namespace: metricsNamespace,
              // A key without a value joins the search schema without filtering: one line per class.
              dimensionsMap: { service: useCase, class: undefined as unknown as string },
              statistic: MetricStatistic.SUM,
              period: Duration.minutes(5),
            })),
          ],
        },
        {
          title: "Ongoing API calls by operation and status class",
          metrics: [
            {
              searchQuery: 'MetricName="OngoingApiCall"',
              namespace: metricsNamespace,
              // The search schema must name every dimension the client emits (service, operation, statusClass)
              // or it matches nothing; keys without a value do not filter: one line per operation and class.
              dimensionsMap: {
                service: useCase,
                operation: undefined as unknown as string,
                statusClass: undefined as unknown as string,
              },
              statistic: MetricStatistic.SUM,
              period: Duration.minutes(5),
            },
          ],
        },
      ],
    });
  }

  /** The reconcile's dispatcher, its units' queue and dead-letter queue, and the worker. */
  private monitorReconcile(
    monitoring: MonitoringFacade,
    reconcile: WebhookMonitoringProps["reconcile"],
  ): void {
    monitoring.addLargeHeader("Article reconcile").monitorLambdaFunction({
      lambdaFunction: reconcile.dispatcher,
      alarmFriendlyName: "article-reconcile",
      humanReadableName: "Article reconcile dispatcher",
      addFaultCountAlarm: alarmOnAny(),
      addThrottlesCountAlarm: alarmOnAny(),
    });
    // A unit on the dead-letter queue is a goods owner whose run stopped: redriving it continues from its place.
    monitoring.monitorSqsQueueWithDlq({
      queue: reconcile.worker.queue,
      deadLetterQueue: reconcile.worker.deadLetterQueue,
      alarmFriendlyName: "article-reconcile-queue",
      humanReadableName: "Article reconcile units",
      addDeadLetterQueueMaxSizeAlarm: alarmOnAnyMessage(),
    });
    monitoring.monitorLambdaFunction({
      lambdaFunction: reconcile.worker.function.function,
      alarmFriendlyName: "article-reconcile-worker",
      humanReadableName: "Article reconcile worker",
      addThrottlesCountAlarm: alarmOnAny(),
    });
  }
}
