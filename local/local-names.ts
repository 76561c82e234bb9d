/**
 * What each template resource is called locally: queues and tables after their use-case / table metadata,
 * everything else after its logical id, and the {@link LocalNames} a Ref or Fn::GetAtt of it resolves to.
 */
import { accountId, region } from "./account.ts";
import { type CfnTemplate, type LocalNames, metadataOf, resourcesOfType } from "./template.ts";

export interface LocalNameTable {
  readonly names: LocalNames;
  readonly queueNames: ReadonlyMap<string, string>;
  /** Filled as the queues are created (a queue's URL is SQS's answer). */
  readonly queueUrls: Map<string, string>;
  readonly tableNames: ReadonlyMap<string, string>;
  readonly functionNames: ReadonlyMap<string, string>;
  readonly bucketNames: ReadonlyMap<string, string>;
  queueArn(id: string): string;
}

export function localNamesOf(template: CfnTemplate): LocalNameTable {
  const queueNames = new Map<string, string>();
  const queueUrls = new Map<string, string>();
  const tableNames = new Map<string, string>();
  const functionNames = new Map<string, string>();
  const bucketNames = new Map<string, string>();
  for (const [id, resource] of resourcesOfType(template, "AWS::S3::Bucket")) {
    const meta = metadataOf(resource);
    bucketNames.set(
      id,
      String(resource.Properties?.BucketName ?? `ongoing-webhooks-${meta?.bucket ?? id}`).toLowerCase(),
    );
  }
  for (const [id, resource] of resourcesOfType(template, "AWS::SQS::Queue")) {
    const meta = metadataOf(resource);
    const base = meta?.useCase ? `ongoing-webhooks-${meta.useCase}` : `ongoing-webhooks-${id}`;
    queueNames.set(
      id,
      String(resource.Properties?.QueueName ?? (meta?.kind === "deadLetterQueue" ? `${base}-dlq` : base)),
    );
  }
  for (const [id, resource] of tablesOf(template)) {
    const meta = metadataOf(resource);
    tableNames.set(id, String(resource.Properties?.TableName ?? `ongoing-webhooks-${meta?.table ?? id}`));
  }
  for (const [id, resource] of resourcesOfType(template, "AWS::Lambda::Function")) {
    const meta = metadataOf(resource);
    functionNames.set(
      id,
      String(resource.Properties?.FunctionName ?? `ongoing-webhooks-${meta?.useCase ?? meta?.kind ?? id}`),
    );
  }
  const queueArn = (id: string) => `arn:aws:sqs:${region}:${accountId}:${queueNames.get(id)}`;
  const names: LocalNames = {
    region,
    accountId,
    ref(id) {
      if (queueUrls.has(id)) return String(queueUrls.get(id));
      if (tableNames.has(id)) return String(tableNames.get(id));
      if (functionNames.has(id)) return String(functionNames.get(id));
      if (bucketNames.has(id)) return String(bucketNames.get(id));
      if (!template.Resources[id]) throw new Error(`Ref to unknown resource ${id}`);
      return `local-${id}`;
    },
    getAtt(id, attribute) {
      if (queueNames.has(id)) {
        if (attribute === "Arn") return queueArn(id);
        if (attribute === "QueueName") return String(queueNames.get(id));
        if (attribute === "QueueUrl") return String(queueUrls.get(id));
      }
      if (tableNames.has(id) && attribute === "Arn")
        return `arn:aws:dynamodb:${region}:${accountId}:table/${tableNames.get(id)}`;
      if (functionNames.has(id) && attribute === "Arn")
        return `arn:aws:lambda:${region}:${accountId}:function:${functionNames.get(id)}`;
      if (bucketNames.has(id) && attribute === "Arn") return `arn:aws:s3:::${bucketNames.get(id)}`;
      return `local-${id}-${attribute}`;
    },
  };
  return { names, queueNames, queueUrls, tableNames, functionNames, bucketNames, queueArn };
}

/** The template's DynamoDB tables, plain and global. */
export function tablesOf(template: CfnTemplate) {
  return [
    ...resourcesOfType(template, "AWS::DynamoDB::Table"),
    ...resourcesOfType(template, "AWS::DynamoDB::GlobalTable"),
  ];
}
