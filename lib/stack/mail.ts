/**
 * SES around the shipped-order e-mail: the configuration set, the grant to send, and the function that keeps
 * SES's sending events on each mail's record.
 */
import { Duration, type Stack, Validations } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as destinations from "aws-cdk-lib/aws-lambda-destinations";
import * as ses from "aws-cdk-lib/aws-ses";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { sesDetailTypes } from "../../functions/shared/contract/ses-events.ts";
import { stateKeyPrefixes } from "../../functions/shared/contract/state-keys.ts";
import type { Config } from "../config.ts";
import { mailEventsEnvironment, type StackResources } from "../function-settings.ts";
import { tagResource } from "../metadata.ts";
import { ServiceFunction } from "../service-function.ts";
import { grantStateKeys } from "../state-keys.ts";
import { sqsMaxMessageSizeBytes } from "../use-case-consumer.ts";
import { functionEntry } from "./naming.ts";
import { grantTrail } from "./storage.ts";

/**
 * A configuration set with reputation metrics, recording bounces and complaints as CloudWatch metrics, and
 * publishing every mail's sending events to the default event bus (see createMailEvents).
 */
export function createMailConfigurationSet(scope: Stack): ses.ConfigurationSet {
  const configurationSet = new ses.ConfigurationSet(scope, "MailConfigurationSet", {
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
      events.EventBus.fromEventBusName(scope, "DefaultEventBus", "default"),
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

/** `ses:SendEmail` from the sender identity through the configuration set, nothing else. */
export function grantSendMail(
  fn: lambda.IFunction,
  senderIdentity: string,
  configurationSetName: string,
): void {
  const stack = fn.stack;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ["ses:SendEmail"],
      resources: [
        stack.formatArn({ service: "ses", resource: "identity", resourceName: senderIdentity }),
        stack.formatArn({
          service: "ses",
          resource: "configuration-set",
          resourceName: configurationSetName,
        }),
      ],
    }),
  );
}

export interface MailEvents {
  readonly function: lambda.Function;
  readonly deadLetterQueue: sqs.Queue;
}

/**
 * SES's sending events of shipped-mails (configuration set → the default event bus → a rule) → a function that
 * keeps them on each mail's record. An event EventBridge cannot hand over, or that still fails after Lambda's
 * two retries, goes to one dead-letter queue.
 */
export function createMailEvents(
  scope: Stack,
  config: Config,
  resources: StackResources,
  stateTable: dynamodb.ITable,
  trailTable: dynamodb.ITable,
): MailEvents {
  const deadLetterQueue = new sqs.Queue(scope, "MailEventsDeadLetterQueue", {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    maxMessageSizeBytes: sqsMaxMessageSizeBytes,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(deadLetterQueue).acknowledge({
    id: "AwsSolutions::AwsSolutions-SQS3",
    reason: "it is the dead-letter queue of the mail-events rule target and function",
  });
  const mailEvents = new ServiceFunction(scope, "MailEvents", {
    entry: functionEntry("mail-events"),
    serviceName: "mail-events",
    environment: mailEventsEnvironment(resources),
    timeoutSeconds: 30,
    memoryMb: 256,
    tracing: config.ingress.tracing,
    logRetentionDays: config.logRetentionDays,
    description: "Records SES's sending events on the shipped-mail records",
  });
  const fn = mailEvents.function;
  grantStateKeys(stateTable, fn, stateKeyPrefixes["mail-events"]);
  grantTrail(trailTable, fn);
  fn.configureAsyncInvoke({
    onFailure: new destinations.SqsDestination(deadLetterQueue),
    retryAttempts: 2,
    maxEventAge: Duration.hours(6),
  });
  new events.Rule(scope, "MailEventsRule", {
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
