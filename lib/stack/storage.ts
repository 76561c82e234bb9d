/** Where the app keeps its data: the state, article and trail tables, and the booking documents bucket. */
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import { tombstonesIndex } from "../../functions/shared/contract/names.ts";
import { tagResource } from "../metadata.ts";
import type { TableDefinition } from "../tables.ts";

/** A table from its definition: on demand, encrypted, point-in-time recovery, kept if the stack goes. */
export function createTable(
  scope: Construct,
  id: string,
  definition: TableDefinition,
  name: "state" | "articles" | "trail",
): dynamodb.Table {
  const attribute = (key: TableDefinition["partitionKey"]) => ({
    name: key.name,
    type: key.type === "S" ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
  });
  const table = new dynamodb.Table(scope, id, {
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
      projectionType: index.keysOnly ? dynamodb.ProjectionType.KEYS_ONLY : dynamodb.ProjectionType.ALL,
    });
  }
  tagResource(table, { kind: "table", table: name });
  return table;
}

/**
 * The mirror's reads (batch get, query) and its only write (a conditional update) on the article mirror and its
 * tombstones index, named. The table's own grant would name every index with a wildcard (`index/*`).
 */
export function grantArticles(articlesTable: dynamodb.ITable, grantee: iam.IGrantable): void {
  iam.Grant.addToPrincipal({
    grantee,
    actions: ["dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
    resourceArns: [articlesTable.tableArn, `${articlesTable.tableArn}/index/${tombstonesIndex.name}`],
  });
}

/** UpdateItem on the trail table's items only: no read, no delete, no index. */
export function grantTrail(trailTable: dynamodb.ITable, grantee: iam.IGrantable): void {
  iam.Grant.addToPrincipal({
    grantee,
    actions: ["dynamodb:UpdateItem"],
    resourceArns: [trailTable.tableArn],
  });
}

/**
 * Labels and other booking documents until they are written back to Ongoing: private, encrypted, HTTPS only,
 * every object expiring after `retentionDays` (Ongoing advises letting label files go after about 30 days).
 */
export function createDocumentsBucket(scope: Construct, retentionDays: number): s3.Bucket {
  const bucket = new s3.Bucket(scope, "DocumentsBucket", {
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
