/**
 * Least privilege on the shared state table: each function reads and writes only the items under its own key
 * prefixes (`dynamodb:LeadingKeys`, the prefixes in `functions/shared/contract/state-keys.ts`), so one
 * function's bug or compromise cannot touch another's records.
 */
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";

/**
 * Item actions the state records need: Powertools idempotency (get, put, update, delete), workflow records and the
 * circuit breakers (read together in one batch get).
 */
export const stateItemActions = [
  "dynamodb:BatchGetItem",
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
] as const;

/** Grants the item actions on the state table's items whose id starts with one of `prefixes`, nothing else. */
export function grantStateKeys(
  table: dynamodb.ITable,
  grantee: iam.IGrantable,
  prefixes: readonly string[],
): iam.Grant {
  if (prefixes.length === 0) throw new Error("grantStateKeys: name at least one key prefix");
  return iam.Grant.addToPrincipal({
    grantee,
    actions: [...stateItemActions],
    resourceArns: [table.tableArn],
    conditions: {
      "ForAllValues:StringLike": { "dynamodb:LeadingKeys": prefixes.map((prefix) => `${prefix}*`) },
    },
  });
}
