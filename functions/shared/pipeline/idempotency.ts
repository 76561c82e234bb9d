/** The pipeline's deduplication: Powertools idempotency on the state table, around a use-case's handler. */
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { z } from "zod";
import { dynamoDbClient } from "../aws/dynamodb.ts";
import type { consumerSettingsSchema } from "../contract/settings.ts";
import type { HandlerContext, Outcome, UseCaseDefinition, WebhookRecord } from "./types.ts";

export interface Idempotent<S extends z.ZodType, E extends string> {
  readonly config: IdempotencyConfig;
  /** Runs the handler once per key; `run.executed` tells whether it ran or the stored outcome was returned. */
  readonly handle: (
    key: { key: string | undefined },
    record: WebhookRecord<z.infer<S>, E>,
    context: HandlerContext,
    run: { executed: boolean },
  ) => Promise<Outcome>;
}

/** The use-case's handler made idempotent; undefined when the use-case turned idempotency off. */
export function idempotentHandler<S extends z.ZodType, E extends string>(
  definition: UseCaseDefinition<S, E>,
  settings: z.output<typeof consumerSettingsSchema>,
): Idempotent<S, E> | undefined {
  if (definition.idempotency === false) return undefined;
  if (!settings.STATE_TABLE_NAME) {
    throw new Error(
      `STATE_TABLE_NAME is not set: ${definition.useCase} keeps idempotency records in the state table`,
    );
  }
  const config = new IdempotencyConfig({
    eventKeyJmesPath: "key",
    expiresAfterSeconds: settings.IDEMPOTENCY_TTL_SECONDS,
    throwOnNoIdempotencyKey: false,
  });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: settings.STATE_TABLE_NAME,
    keyAttr: "id",
    expiryAttr: "expiration",
    awsSdkV3Client: dynamoDbClient,
  });
  const handle = makeIdempotent(
    async (
      _key: { key: string | undefined },
      record: WebhookRecord<z.infer<S>, E>,
      context: HandlerContext,
      run: { executed: boolean },
    ): Promise<Outcome> => {
      run.executed = true;
      return definition.handle(record, context);
    },
    { persistenceStore, config, keyPrefix: `idempotency#${definition.useCase}`, dataIndexArgument: 0 },
  );
  return { config, handle };
}
