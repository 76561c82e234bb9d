/**
 * The dashboard's and alarms' view of the dependencies: SES's account reputation and the mail-events function,
 * and the circuit breakers (one alarm per dependency while it is unreachable). Part of WebhookMonitoring.
 */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type { MonitoringFacade } from "cdk-monitoring-constructs";
import { metricsNamespace } from "../functions/shared/contract/names.ts";

/** A critical alarm on the first error (fault, throttle) and on the first message (a dead-letter queue). */
export const alarmOnAny = () => ({ Critical: { maxErrorCount: 0 } });
export const alarmOnAnyMessage = () => ({ Critical: { maxMessageCount: 0 } });

/** The dependencies the breaker probe reports on, as its metrics name them. */
const breakerDependencies = [
  { dependency: "ongoing", name: "Ongoing" },
  { dependency: "ses", name: "SES" },
  { dependency: "transport", name: "The transport system" },
] as const;

/**
 * SES's own review levels: it puts an account under review at a 5 % bounce rate or a 0.1 % complaint rate and
 * may pause its sending soon after, which would stop every shipped-mail. Alarm at those levels, before a pause.
 */
export const mailReputationAlarms = [
  { metricName: "Reputation.BounceRate", threshold: 0.05, what: "bounce rate at SES's 5 % review level" },
  {
    metricName: "Reputation.ComplaintRate",
    threshold: 0.001,
    what: "complaint rate at SES's 0.1 % review level",
  },
] as const;

/** SES's account reputation, and the function that records SES's sending events with its dead-letter queue. */
/** The function recording SES's mail events, and its dead-letter queue. */
export interface MailEventsResources {
  readonly function: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
}

export function monitorMail(
  monitoring: MonitoringFacade,
  props: {
    readonly mailReputation?: boolean | undefined;
    readonly mailEvents?: MailEventsResources | undefined;
  },
): void {
  if (props.mailReputation ?? true) {
    monitoring.monitorCustom({
      alarmFriendlyName: "mail-reputation",
      humanReadableName: "SES account reputation (bounce and complaint rates)",
      metricGroups: [
        {
          title: "Bounce and complaint rate (SES review levels: 5 % and 0.1 %)",
          metrics: mailReputationAlarms.map(({ metricName, threshold, what }) => ({
            // Account-wide metrics SES publishes by itself; the configuration set adds per-use-case counts.
            metric: new cloudwatch.Metric({
              namespace: "AWS/SES",
              metricName,
              statistic: "Maximum",
              period: Duration.hours(1),
              label: metricName,
            }),
            alarmFriendlyName: metricName.replace("Reputation.", "").toLowerCase(),
            addAlarm: {
              Critical: {
                threshold,
                comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                alarmDescriptionOverride: `SES ${what}: SES may pause sending (see the runbook)`,
              },
            },
          })),
        },
      ],
    });
  }
  if (props.mailEvents) {
    monitoring.addLargeHeader("SES mail events");
    monitoring.monitorLambdaFunction({
      lambdaFunction: props.mailEvents.function,
      alarmFriendlyName: "mail-events",
      humanReadableName: "SES mail events",
      addFaultCountAlarm: alarmOnAny(),
      addThrottlesCountAlarm: alarmOnAny(),
    });
    monitoring.monitorSqsQueue({
      queue: props.mailEvents.deadLetterQueue,
      alarmFriendlyName: "mail-events-DLQ",
      humanReadableName: "SES mail events not recorded (DLQ)",
      addQueueMaxSizeAlarm: alarmOnAnyMessage(),
    });
  }
}

/**
 * One alarm per dependency while its breaker is open ("Ongoing unreachable"), and beside it how long it has
 * been and how many webhooks wait for it, from the probe's metrics (published every probe run).
 */
export function monitorBreakers(monitoring: MonitoringFacade, probe: lambda.IFunction): void {
  const metric = (metricName: string, dependency: string, label: string) =>
    new cloudwatch.Metric({
      namespace: metricsNamespace,
      metricName,
      dimensionsMap: { service: "breaker-probe", dependency },
      statistic: "Maximum",
      period: Duration.minutes(5),
      label,
    });
  monitoring.addLargeHeader("Dependencies (circuit breakers)");
  monitoring.monitorCustom({
    alarmFriendlyName: "breakers",
    humanReadableName: "Dependencies: unreachable since (minutes) and webhooks waiting",
    metricGroups: breakerDependencies.map(({ dependency, name }) => ({
      title: `${name}: unreachable for (minutes), webhooks waiting`,
      metrics: [
        {
          metric: metric("BreakerOpen", dependency, `${name} unreachable (breaker open)`),
          alarmFriendlyName: `${dependency}-breaker`,
          addAlarm: {
            Critical: {
              threshold: 1,
              comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
              alarmDescriptionOverride:
                `${name} is unreachable: its circuit breaker is open and the consumers that need it are paused; ` +
                "webhooks wait on their queues and resume by themselves when it answers (see the runbook)",
            },
          },
        },
        metric("BreakerOpenMinutes", dependency, `${name} unreachable for (minutes)`),
        metric("WebhooksWaiting", dependency, "webhooks waiting"),
      ],
    })),
  });
  monitoring.monitorLambdaFunction({
    lambdaFunction: probe,
    alarmFriendlyName: "breaker-probe",
    humanReadableName: "Breaker probe",
    addFaultCountAlarm: alarmOnAny(),
  });
}
