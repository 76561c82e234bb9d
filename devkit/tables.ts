/** Creates the stack's tables in a local DynamoDB, from the same key schemas the stack uses. */
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { articlesTable, type KeyAttribute, stateTable, type TableDefinition } from "../lib/tables.ts";

// The local stack's one set of credentials (local/account.ts), for the tables and clients tests and bench make.
import { localCredentials } from "../local/account.ts";

export { localCredentials };

export async function createTable(
  endpoint: string,
  tableName: string,
  definition: TableDefinition,
): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: "eu-west-1", credentials: localCredentials });
  const keys = [definition.partitionKey, ...(definition.sortKey ? [definition.sortKey] : [])];
  const keySchema = (attributes: readonly KeyAttribute[]) =>
    attributes.map((key, index) => ({
      AttributeName: key.name,
      KeyType: index === 0 ? ("HASH" as const) : ("RANGE" as const),
    }));
  const indexes = definition.indexes ?? [];
  const attributes = new Map(
    [...keys, ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])].map((key) => [
      key.name,
      key,
    ]),
  );
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: keySchema(keys),
      AttributeDefinitions: [...attributes.values()].map((key) => ({
        AttributeName: key.name,
        AttributeType: key.type,
      })),
      ...(indexes.length > 0
        ? {
            GlobalSecondaryIndexes: indexes.map((index) => ({
              IndexName: index.name,
              KeySchema: keySchema([index.partitionKey, index.sortKey]),
              Projection: { ProjectionType: index.keysOnly ? ("KEYS_ONLY" as const) : ("ALL" as const) },
            })),
          }
        : {}),
    }),
  );
  client.destroy();
}

/** Creates the state and articles tables; returns their names. */
export async function createStackTables(
  endpoint: string,
  prefix = "test",
): Promise<{ state: string; articles: string }> {
  const names = { state: `${prefix}-state`, articles: `${prefix}-articles` };
  await createTable(endpoint, names.state, stateTable);
  await createTable(endpoint, names.articles, articlesTable);
  return names;
}
