/**
 * What each webhook use-case's function may touch besides its own queues: its state items, secrets, the mirror,
 * the documents bucket, SES. Least privilege, one function per use-case so each reads as its list of grants.
 */
import { Stack, Validations } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { bookingDocumentsPrefix } from "../../functions/shared/contract/names.ts";
import type { UseCase } from "../../functions/shared/contract/routes.ts";
import { stateKeyPrefixes } from "../../functions/shared/contract/state-keys.ts";
import type { Config } from "../config.ts";
import { ongoingSecretGrants } from "../function-settings.ts";
import { grantStateKeys } from "../state-keys.ts";
import type { UseCaseConsumer } from "../use-case-consumer.ts";
import { grantSendMail } from "./mail.ts";
import { grantSecrets, secretsNamed } from "./secrets.ts";
import { grantArticles, grantTrail } from "./storage.ts";

export interface UseCaseGrantsProps {
  readonly config: Config;
  readonly consumers: Readonly<Record<UseCase, UseCaseConsumer>>;
  readonly stateTable: dynamodb.ITable;
  readonly articlesTable: dynamodb.ITable;
  /** The operator's trail: every consumer notes its webhooks' outcomes there. */
  readonly trailTable: dynamodb.ITable;
  readonly documentsBucket: s3.Bucket;
  readonly configurationSetName: string;
}

export function grantUseCases(props: UseCaseGrantsProps): void {
  const fn = (useCase: UseCase) => props.consumers[useCase].function.function;
  grantOrderShippedEmail(fn("order-shipped-email"), props);
  grantTransportBooking(fn("transport-booking"), props);
  grantTransportStatus(fn("transport-status"), props);
  grantArticleSync(fn("article-sync"), props);
  // Each consumer notes its webhooks' outcomes on the trail: one UpdateItem per outcome, nothing else.
  for (const useCase of Object.keys(props.consumers) as UseCase[]) grantTrail(props.trailTable, fn(useCase));
}

function grantOrderShippedEmail(fn: lambda.IFunction, props: UseCaseGrantsProps): void {
  grantStateKeys(props.stateTable, fn, stateKeyPrefixes["order-shipped-email"]);
  grantSecrets(fn, ongoingSecretGrants(props.config));
  grantSendMail(fn, props.config.email.senderIdentity, props.configurationSetName);
}

function grantTransportBooking(
  fn: lambda.IFunction,
  { config, stateTable, documentsBucket }: UseCaseGrantsProps,
) {
  grantStateKeys(stateTable, fn, stateKeyPrefixes["transport-booking"]);
  grantBookingDocuments(fn, documentsBucket);
  grantSecrets(fn, ongoingSecretGrants(config, { automation: true }));
  grantSecrets(fn, secretsNamed(config.transport.adapterAuthSecretName));
  grantSecrets(fn, secretsNamed(config.transport.nshift?.credentialsSecretName));
}

/** Status events go to Ongoing only through the Automation API: its login and nothing else. */
function grantTransportStatus(fn: lambda.IFunction, { config, stateTable }: UseCaseGrantsProps): void {
  grantStateKeys(stateTable, fn, stateKeyPrefixes["transport-status"]);
  grantSecrets(fn, secretsNamed(config.ongoing.automationCredentialsSecretName));
}

/** Article-sync keeps no state besides the mirror: its repeats are deduplicated by the mirror itself. */
function grantArticleSync(fn: lambda.IFunction, { config, articlesTable }: UseCaseGrantsProps): void {
  grantArticles(articlesTable, fn);
  grantSecrets(fn, ongoingSecretGrants(config));
}

/** Put and get of booking documents, list of their prefix only (no delete: objects expire by the lifecycle rule). */
function grantBookingDocuments(fn: lambda.IFunction, bucket: s3.Bucket): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ["s3:PutObject", "s3:GetObject"],
      resources: [bucket.arnForObjects(`${bookingDocumentsPrefix}*`)],
    }),
  );
  // Without list, S3 answers a missing key with 403 AccessDenied, not NoSuchKey: an expired label would look transient.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ["s3:ListBucket"],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { "s3:prefix": `${bookingDocumentsPrefix}*` } },
    }),
  );
  const stack = Stack.of(bucket);
  const bucketLogicalId = stack.resolve(stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket));
  Validations.of(fn.role as iam.IRole).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${bookingDocumentsPrefix}*]`,
    reason:
      "One object per booking document, keys not known in advance: the wildcard is the documents prefix only",
  });
}
