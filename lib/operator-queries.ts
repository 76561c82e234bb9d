/**
 * What an operator asks when a customer got no mail or an order was not booked, saved in CloudWatch Logs Insights
 * (scoped to this stack's log groups), and a Contributor Insights rule with its dashboard widget: the goods owners
 * with the most failures, without a metric per goods owner. Field names are the ones the functions log (Powertools
 * Logger JSON and the ingress's access log); `operator-queries.test.ts` checks them against real log lines.
 */
import { Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/** Which of the stack's log groups a query reads. */
export type LogSource = "ingress" | "consumers" | "mail-events";

export interface OperatorQuery {
  /** Construct id and the saved query's name (under the stack's folder). */
  readonly id: string;
  readonly name: string;
  readonly sources: readonly LogSource[];
  readonly query: logs.QueryStringProps;
}

/** The pipeline's log messages the queries filter on (functions/shared/pipeline/consumer.ts). */
export const logMessages = {
  deadLettered: "dead-lettered",
  willRetry: "failed; will retry",
  ongoingCall: "Ongoing API call",
} as const;

/** What the operator replaces before running a query that looks for one webhook or order. */
export const placeholders = {
  requestId: "REQUEST-ID",
  webhookEventId: "0",
  goodsOwnerId: "0",
  orderId: "0",
} as const;

const recordFields = [
  "useCase",
  "message",
  "receiveCount",
  "code",
  "reason",
  "failureClass",
  "goodsOwnerId",
  "orderId",
  "articleSystemId",
  "webhookEventId",
  "apiRequestId",
];

export const operatorQueries: readonly OperatorQuery[] = [
  {
    id: "WebhookByRequestId",
    name: "Webhook by API request id (ingress and consumers)",
    sources: ["ingress", "consumers"],
    query: {
      // The access log names the API Gateway request id `requestId`; the consumers carry it as `apiRequestId`.
      fields: ["@timestamp", "@log", "status", "resourcePath", ...recordFields],
      filterStatements: [
        `apiRequestId = "${placeholders.requestId}" or requestId = "${placeholders.requestId}"`,
      ],
      sort: "@timestamp asc",
    },
  },
  {
    id: "WebhookByEventId",
    name: "Webhook by Ongoing webhookEventId (consumers)",
    sources: ["consumers"],
    query: {
      fields: ["@timestamp", "@log", ...recordFields],
      filterStatements: [`webhookEventId = ${placeholders.webhookEventId}`],
      sort: "@timestamp asc",
    },
  },
  {
    id: "OrderJourney",
    name: "Order by goods owner and order id (consumers and SES mail events)",
    sources: ["consumers", "mail-events"],
    query: {
      fields: ["@timestamp", "@log", ...recordFields, "sesMessageId", "sesEvent"],
      // Mail events name the order by the shipped-mail record's key, `<goodsOwnerId>#<orderId>`.
      filterStatements: [
        `(goodsOwnerId = ${placeholders.goodsOwnerId} and orderId = ${placeholders.orderId}) or key = "${placeholders.goodsOwnerId}#${placeholders.orderId}"`,
      ],
      sort: "@timestamp asc",
    },
  },
  {
    id: "FailuresByReason",
    name: "Failures by reason (dead-lettered and retried)",
    sources: ["consumers"],
    query: {
      filterStatements: [`message in ["${logMessages.deadLettered}", "${logMessages.willRetry}"]`],
      statsStatements: [
        "count(*) as failures, count_distinct(goodsOwnerId) as goodsOwners, latest(reason) as lastReason by useCase, failureClass, code",
      ],
      sort: "failures desc",
    },
  },
  {
    id: "DeadLetterArrivals",
    name: "Dead-letter arrivals, newest first",
    sources: ["consumers"],
    query: {
      fields: ["@timestamp", ...recordFields, "messageId"],
      filterStatements: [`message = "${logMessages.deadLettered}"`],
      sort: "@timestamp desc",
      limit: 200,
    },
  },
  {
    id: "SlowestOngoingCalls",
    name: "Slowest Ongoing API calls (slow or failed calls are logged at INFO)",
    sources: ["consumers"],
    query: {
      fields: ["@timestamp", "useCase", "operation", "method", "status", "attempt", "latencyMs"],
      filterStatements: [`message = "${logMessages.ongoingCall}"`],
      sort: "latencyMs desc",
      limit: 100,
    },
  },
];

/**
 * The Contributor Insights rule body: the consumers' failure lines (JSON log format) counted per goods owner.
 * Deferred records (waiting out an outage) are not failures and are not counted.
 */
export function failuresByGoodsOwnerRule(logGroupNames: readonly string[]): Record<string, unknown> {
  return {
    Schema: { Name: "CloudWatchLogRule", Version: 1 },
    LogGroupNames: logGroupNames,
    LogFormat: "JSON",
    Contribution: {
      Keys: ["$.goodsOwnerId"],
      Filters: [
        { Match: "$.message", In: [logMessages.deadLettered, logMessages.willRetry] },
        { Match: "$.goodsOwnerId", IsPresent: true },
      ],
    },
    AggregateOn: "Count",
  };
}

export interface OperatorQueriesProps {
  /** The ingress's access log group. */
  readonly accessLogGroup: logs.ILogGroup;
  /** The log groups of every function run by the consumer pipeline (use-cases and the reconcile worker). */
  readonly consumerLogGroups: readonly logs.ILogGroup[];
  /** The SES mail-events function's log group. @default none (the order query reads the consumers only) */
  readonly mailEventsLogGroup?: logs.ILogGroup;
  /** The dashboard to add the goods-owner failures widget to. @default no widget */
  readonly dashboard?: cloudwatch.Dashboard;
  /** Goods owners the widget shows. @default 10 */
  readonly topContributors?: number;
}

export class OperatorQueries extends Construct {
  readonly failuresByGoodsOwner: cloudwatch.CfnInsightRule;

  constructor(scope: Construct, id: string, props: OperatorQueriesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const groups: Record<LogSource, logs.ILogGroup[]> = {
      ingress: [props.accessLogGroup],
      consumers: [...props.consumerLogGroups],
      "mail-events": props.mailEventsLogGroup ? [props.mailEventsLogGroup] : [],
    };
    for (const query of operatorQueries) {
      new logs.QueryDefinition(this, query.id, {
        queryDefinitionName: `${stack.stackName}/${query.name}`,
        queryString: new logs.QueryString(query.query),
        logGroups: query.sources.flatMap((source) => groups[source]),
      });
    }
    const ruleName = `${stack.stackName}-failures-by-goods-owner`;
    this.failuresByGoodsOwner = new cloudwatch.CfnInsightRule(this, "FailuresByGoodsOwner", {
      ruleName,
      ruleState: "ENABLED",
      ruleBody: stack.toJsonString(
        failuresByGoodsOwnerRule(props.consumerLogGroups.map((group) => group.logGroupName)),
      ),
    });
    props.dashboard?.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `## Failures by goods owner\nContributor Insights rule \`${ruleName}\`; saved Logs Insights queries under \`${stack.stackName}/\``,
        width: 24,
        height: 2,
      }),
      new ContributorInsightsWidget({
        title: "Goods owners with the most failures (dead-lettered or retried), per 5 minutes",
        maxContributors: props.topContributors ?? 10,
        rule: this.failuresByGoodsOwner,
      }),
    );
  }
}

/** A time series of a Contributor Insights rule's top contributors (CDK has no L2 widget for it). */
class ContributorInsightsWidget extends cloudwatch.ConcreteWidget {
  readonly #props: { title: string; maxContributors: number; rule: cloudwatch.CfnInsightRule };

  constructor(props: { title: string; maxContributors: number; rule: cloudwatch.CfnInsightRule }) {
    super(24, 6);
    this.#props = props;
  }

  toJson(): unknown[] {
    return [
      {
        type: "metric",
        width: this.width,
        height: this.height,
        x: this.x,
        y: this.y,
        properties: {
          title: this.#props.title,
          view: "timeSeries",
          stacked: false,
          region: Stack.of(this.#props.rule).region,
          period: 300,
          stat: "Sum",
          // The rule's name by reference, so the dashboard is created after the rule.
          insightRule: {
            ruleName: this.#props.rule.attrRuleName,
            maxContributorCount: this.#props.maxContributors,
            orderBy: "Sum",
          },
          legend: { position: "right" },
        },
      },
    ];
  }
}
