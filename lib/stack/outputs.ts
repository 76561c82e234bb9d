/** The stack's outputs: every route's URL, every queue's and dead-letter queue's URL, the stores, the dashboard. */
import { Aws, CfnOutput, type Stack } from "aws-cdk-lib";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { type Route, routeUrlPath } from "../../functions/shared/contract/routes.ts";
import { pascal } from "./naming.ts";

/** A consumer's queues, named for the outputs (`QueueUrl<Name>`, `DeadLetterQueueUrl<Name>`). */
export interface OutputQueues {
  readonly name: string;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
}

export interface StackOutputsProps {
  readonly routes: readonly Route[];
  readonly routeUrls: Readonly<Record<string, string>>;
  readonly useCaseQueues: readonly OutputQueues[];
  readonly mailEventsDeadLetterQueue: sqs.IQueue;
  readonly reconcileQueues: OutputQueues;
  readonly stateTableName: string;
  readonly articlesTableName: string;
  readonly trailTableName: string;
  readonly documentsBucketName: string;
  readonly alarmTopicArn: string;
  readonly dashboardName: string;
}

export function addStackOutputs(scope: Stack, props: StackOutputsProps): void {
  for (const route of props.routes) {
    new CfnOutput(scope, `RouteUrl${pascal(route.path)}`, {
      description: `POST ${routeUrlPath(route)} (${route.ongoingTrigger})`,
      value: props.routeUrls[route.path] ?? "",
    });
  }
  const queueOutputs = ({ name, queue, deadLetterQueue }: OutputQueues) => {
    new CfnOutput(scope, `QueueUrl${name}`, { value: queue.queueUrl });
    new CfnOutput(scope, `DeadLetterQueueUrl${name}`, { value: deadLetterQueue.queueUrl });
  };
  for (const queues of props.useCaseQueues) queueOutputs(queues);
  new CfnOutput(scope, "MailEventsDeadLetterQueueUrl", { value: props.mailEventsDeadLetterQueue.queueUrl });
  queueOutputs(props.reconcileQueues);
  new CfnOutput(scope, "StateTableName", { value: props.stateTableName });
  new CfnOutput(scope, "ArticlesTableName", { value: props.articlesTableName });
  new CfnOutput(scope, "TrailTableName", { value: props.trailTableName });
  new CfnOutput(scope, "DocumentsBucketName", { value: props.documentsBucketName });
  new CfnOutput(scope, "AlarmTopicArn", { value: props.alarmTopicArn });
  new CfnOutput(scope, "DashboardUrl", {
    value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${props.dashboardName}`,
  });
}
