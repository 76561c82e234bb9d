/**
 * An AWS WAF web ACL on the webhook stage: unauthenticated floods are stopped before they reach API Gateway, so
 * they neither use up the method throttle Ongoing shares nor invoke the authorizer. Two rules: a rate limit per
 * source IP, and a body-size limit. Blocked requests are answered 403 by WAF and counted in CloudWatch.
 */
import type * as apigw from "aws-cdk-lib/aws-apigateway";
import * as wafv2 from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";

/** WAF inspects at most this much of an API Gateway request body by default; a longer body counts as too large. */
export const wafBodyInspectionLimitBytes = 16 * 1024;

/** The firewall's settings (see WebhookFirewallProps). */
export interface WebhookFirewallOptions {
  /** Requests one source IP may send per window; above it, that IP is blocked until its rate falls. @default 3000 */
  readonly rateLimitPerIp?: number;
  /** The rate rule's window in seconds: 60, 120, 300 or 600. @default 300 */
  readonly rateWindowSeconds?: number;
  /** Largest body let through, in bytes (at most WAF's inspection limit, 16 KB). @default 16384 */
  readonly maxBodyBytes?: number;
}

export interface WebhookFirewallProps extends WebhookFirewallOptions {
  readonly stage: apigw.Stage;
}

export class WebhookFirewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: WebhookFirewallProps) {
    super(scope, id);
    const limit = props.rateLimitPerIp ?? 3000;
    const window = props.rateWindowSeconds ?? 300;
    const maxBodyBytes = props.maxBodyBytes ?? wafBodyInspectionLimitBytes;
    if (!Number.isInteger(limit) || limit < 10 || limit > 2_000_000_000) {
      throw new Error(`${this.node.path}: rateLimitPerIp must be a whole number 10–2000000000, got ${limit}`);
    }
    if (![60, 120, 300, 600].includes(window)) {
      throw new Error(`${this.node.path}: rateWindowSeconds must be 60, 120, 300 or 600, got ${window}`);
    }
    if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1 || maxBodyBytes > wafBodyInspectionLimitBytes) {
      throw new Error(
        `${this.node.path}: maxBodyBytes must be 1–${wafBodyInspectionLimitBytes} (WAF's inspection limit), got ${maxBodyBytes}`,
      );
    }
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    this.webAcl = new wafv2.CfnWebACL(this, "WebAcl", {
      scope: "REGIONAL",
      description: "Webhook ingress: rate limit per source IP, body-size limit",
      defaultAction: { allow: {} },
      visibilityConfig: visibility("webhook-ingress"),
      rules: [
        {
          name: "rate-per-source-ip",
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: { aggregateKeyType: "IP", limit, evaluationWindowSec: window },
          },
          visibilityConfig: visibility("webhook-rate-per-source-ip"),
        },
        {
          name: "body-size",
          priority: 1,
          action: { block: {} },
          statement: {
            sizeConstraintStatement: {
              // A body beyond what WAF inspects is too large by definition.
              fieldToMatch: { body: { oversizeHandling: "MATCH" } },
              comparisonOperator: "GT",
              size: maxBodyBytes,
              textTransformations: [{ priority: 0, type: "NONE" }],
            },
          },
          visibilityConfig: visibility("webhook-body-size"),
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, "Association", {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
