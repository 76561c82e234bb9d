/** The reconcile bench's count of DynamoDB requests and items read, per table, through the functions' one client. */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

export interface DynamoDbUse {
  readRequests: number;
  itemsRead: number;
  writeRequests: number;
}

/** Counts the DynamoDB requests of the functions' one client, and the items they read, per table. */
export function countDynamoDb(client: DynamoDBClient, tables: { articles: string; state: string }) {
  const empty = (): DynamoDbUse => ({ readRequests: 0, itemsRead: 0, writeRequests: 0 });
  let use = { articles: empty(), state: empty() };
  const tableOf = (name: unknown) => (name === tables.state ? use.state : use.articles);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as Record<string, unknown>;
      const output = result.output as unknown as Record<string, unknown>;
      switch (context.commandName) {
        case "GetItemCommand": {
          const table = tableOf(input.TableName);
          table.readRequests += 1;
          table.itemsRead += output.Item ? 1 : 0;
          break;
        }
        case "QueryCommand": {
          const table = tableOf(input.TableName);
          table.readRequests += 1;
          table.itemsRead += Number(output.Count ?? 0);
          break;
        }
        case "BatchGetItemCommand":
          for (const [name, items] of Object.entries((output.Responses ?? {}) as Record<string, unknown[]>)) {
            const table = tableOf(name);
            table.readRequests += 1;
            table.itemsRead += items.length;
          }
          break;
        case "PutItemCommand":
        case "UpdateItemCommand":
        case "DeleteItemCommand":
          tableOf(input.TableName).writeRequests += 1;
          break;
      }
      return result;
    },
    { step: "initialize", name: "benchDynamoDbCounter" },
  );
  return {
    reset() {
      use = { articles: empty(), state: empty() };
    },
    snapshot() {
      return { articles: { ...use.articles }, state: { ...use.state } };
    },
  };
}
