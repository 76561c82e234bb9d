/**
 * Creates what the template declares in the local services: tables exactly as their keys are defined, buckets,
 * and queues with their settings and redrive policies.
 */
import { CreateTableCommand, type DynamoDBClient, type KeySchemaElement } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Consumer } from "../functions/shared/contract/consumers.ts";
import { localCredentials, region } from "./account.ts";
import { sqsDefaultMaximumMessageSize } from "./aws-limits.ts";
import { type LocalNameTable, tablesOf } from "./local-names.ts";
import type { LocalServices } from "./services.ts";
import type { Stoppers } from "./stoppers.ts";
import {
  type CfnResource,
  type CfnTemplate,
  metadataOf,
  record,
  referencedIds,
  resolve,
  resourcesOfType,
} from "./template.ts";

export interface LocalQueue {
  /** The webhook use-case, or `article-reconcile` (the reconcile's units). */
  readonly useCase: Consumer;
  readonly url: string;
  readonly deadLetterUrl: string;
  readonly maxReceiveCount: number | undefined;
}

export interface Provisioned {
  readonly queues: LocalQueue[];
  /** S3 buckets by their metadata name (e.g. `documents`). */
  readonly buckets: Record<string, string>;
  readonly tables: { articles: string; state: string; trail: string };
}

export async function provision(options: {
  template: CfnTemplate;
  localNames: LocalNameTable;
  services: LocalServices;
  stoppers: Stoppers;
}): Promise<Provisioned> {
  const { template, localNames, services } = options;
  await createTables(template, localNames, services.dynamoDbClient);
  // Buckets: fauxqs keeps no lifecycle rule; objects stay until stop.
  const s3 = new S3Client({
    region,
    // fauxqs serves S3 on the SQS endpoint.
    endpoint: services.sqsEmulator.endpoint,
    credentials: localCredentials,
    forcePathStyle: true,
  });
  options.stoppers.add(async () => s3.destroy());
  for (const name of localNames.bucketNames.values())
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  const buckets = Object.fromEntries(
    [...localNames.bucketNames].map(([id, name]) => [
      String(metadataOf(template.Resources[id] as CfnResource)?.bucket ?? id),
      name,
    ]),
  );
  const queues = await createQueues(template, localNames, services.sqs);
  const tableByKind = (kind: string) =>
    String(
      localNames.tableNames.get(
        tablesOf(template).find(([, resource]) => metadataOf(resource)?.table === kind)?.[0] ?? "",
      ) ?? "",
    );
  return {
    queues,
    buckets,
    tables: { articles: tableByKind("articles"), state: tableByKind("state"), trail: tableByKind("trail") },
  };
}

/** Tables exactly as the template defines their keys. */
async function createTables(template: CfnTemplate, localNames: LocalNameTable, dynamodb: DynamoDBClient) {
  for (const [id, resource] of tablesOf(template)) {
    const properties = record(resource.Properties);
    await dynamodb.send(
      new CreateTableCommand({
        TableName: localNames.tableNames.get(id),
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: properties.KeySchema as KeySchemaElement[],
        AttributeDefinitions: properties.AttributeDefinitions as never,
        ...(properties.GlobalSecondaryIndexes
          ? {
              GlobalSecondaryIndexes: (properties.GlobalSecondaryIndexes as Record<string, unknown>[]).map(
                (index) => ({
                  IndexName: index.IndexName as string,
                  KeySchema: index.KeySchema as KeySchemaElement[],
                  Projection: index.Projection as never,
                }),
              ),
            }
          : {}),
      }),
    );
  }
}

/** Queues with the template's settings: dead-letter queues first, so a redrive policy can name them. */
async function createQueues(
  template: CfnTemplate,
  localNames: LocalNameTable,
  sqs: SQSClient,
): Promise<LocalQueue[]> {
  const queueEntries = resourcesOfType(template, "AWS::SQS::Queue").sort(
    ([, a], [, b]) =>
      Number(Boolean(a.Properties?.RedrivePolicy)) - Number(Boolean(b.Properties?.RedrivePolicy)),
  );
  for (const [id, resource] of queueEntries) {
    const properties = record(resource.Properties);
    const attributes: Record<string, string> = {};
    if (properties.VisibilityTimeout !== undefined)
      attributes.VisibilityTimeout = String(properties.VisibilityTimeout);
    if (properties.MessageRetentionPeriod !== undefined)
      attributes.MessageRetentionPeriod = String(properties.MessageRetentionPeriod);
    if (properties.DelaySeconds !== undefined) attributes.DelaySeconds = String(properties.DelaySeconds);
    // SQS refuses a larger message; unset, SQS's default is its largest, as fauxqs's is.
    attributes.MaximumMessageSize = String(properties.MaximumMessageSize ?? sqsDefaultMaximumMessageSize);
    if (properties.RedrivePolicy)
      attributes.RedrivePolicy = JSON.stringify(resolve(properties.RedrivePolicy, localNames.names));
    const created = await sqs.send(
      new CreateQueueCommand({ QueueName: localNames.queueNames.get(id), Attributes: attributes }),
    );
    localNames.queueUrls.set(id, String(created.QueueUrl));
  }
  const queues: LocalQueue[] = [];
  for (const [id, resource] of queueEntries) {
    const meta = metadataOf(resource);
    if (meta?.kind !== "queue" || !meta.useCase) continue;
    const redrive = record(resource.Properties?.RedrivePolicy);
    const [deadLetterId] = referencedIds(redrive.deadLetterTargetArn);
    queues.push({
      useCase: meta.useCase,
      url: String(localNames.queueUrls.get(id)),
      deadLetterUrl: deadLetterId ? String(localNames.queueUrls.get(deadLetterId)) : "",
      maxReceiveCount: redrive.maxReceiveCount === undefined ? undefined : Number(redrive.maxReceiveCount),
    });
  }
  return queues;
}
