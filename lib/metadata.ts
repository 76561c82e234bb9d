/**
 * CloudFormation metadata on the key resources, so tools that run the SYNTHESIZED template (the local stack)
 * find them without guessing logical ids. Every tagged resource carries, under the `OngoingWebhooks` key:
 *
 *   { kind: "queue" | "deadLetterQueue" | "consumer", useCase }           SQS queues and their consumer function
 *                                                                        (useCase "article-reconcile": the reconcile's worker)
 *   { kind: "route", useCase, eventType, routePath }                     the POST method of a webhook route
 *   { kind: "table", table: "state" | "articles" | "trail" }              DynamoDB tables
 *   { kind: "bucket", bucket: "documents" }                              S3 buckets
 *   { kind: "authorizer" } | { kind: "reconcile" } | { kind: "api" }       the authorizer, the reconcile's dispatcher, the REST API
 *   { kind: "mail-events" } | { kind: "mail-events-dlq" }                 SES events' function and its dead-letter queue
 *   { kind: "breaker-probe" }                                            the circuit breakers' probe function
 */
import { CfnResource } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import type { Consumer } from "../functions/shared/contract/consumers.ts";
import type { EventType, UseCase } from "../functions/shared/contract/routes.ts";

export const metadataKey = "OngoingWebhooks";

export type ResourceMetadata =
  | { readonly kind: "queue" | "deadLetterQueue" | "consumer"; readonly useCase: Consumer }
  | {
      readonly kind: "route";
      readonly useCase: UseCase;
      readonly eventType: EventType;
      /** The URL path under the stage, e.g. `/webhooks/article-created`. */
      readonly routePath: string;
    }
  | { readonly kind: "table"; readonly table: "state" | "articles" | "trail" }
  | { readonly kind: "bucket"; readonly bucket: "documents" }
  | {
      readonly kind: "authorizer" | "reconcile" | "api" | "mail-events" | "mail-events-dlq" | "breaker-probe";
    };

/** Tags a construct's CloudFormation resource (the construct itself or its default child). */
export function tagResource(construct: IConstruct, metadata: ResourceMetadata): void {
  const resource = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) {
    throw new Error(`${construct.node.path} has no CloudFormation resource to tag`);
  }
  resource.addMetadata(metadataKey, metadata);
}
