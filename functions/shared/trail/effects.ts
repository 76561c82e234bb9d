/**
 * Effects that arrive after a webhook was processed (SES's delivery events of a shipped-mail), added to its
 * trail item's `effect`. Like every trail write it never fails the caller: an error is logged and counted.
 */

import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { documentClient } from "../aws/dynamodb.ts";
import { logger } from "../powertools/logger.ts";
import { metrics } from "../powertools/metrics.ts";
import { trailKeys } from "./model.ts";

export class TrailEffects {
  readonly #tableName: string;
  readonly #client: DynamoDBDocumentClient;

  constructor(tableName: string, client: DynamoDBDocumentClient = documentClient) {
    this.#tableName = tableName;
    this.#client = client;
  }

  /** Sets these effect entries on the webhook's item; true when it has one (an expired one is not recreated). */
  async add(eventId: string, effect: Readonly<Record<string, string>>): Promise<boolean> {
    const entries = Object.entries(effect);
    if (entries.length === 0) return false;
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { [trailKeys.eventId]: eventId },
          UpdateExpression: `SET ${entries.map((_, index) => `#effect.#k${index} = :v${index}`).join(", ")}`,
          ConditionExpression: "attribute_exists(#effect)",
          ExpressionAttributeNames: {
            "#effect": "effect",
            ...Object.fromEntries(entries.map(([name], index) => [`#k${index}`, name])),
          },
          ExpressionAttributeValues: Object.fromEntries(
            entries.map(([, value], index) => [`:v${index}`, value]),
          ),
        }),
        { abortSignal: AbortSignal.timeout(2_000) },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      metrics.singleMetric().addMetric("TrailWriteFailed", MetricUnit.Count, 1);
      logger.warn("could not add to the trail; going on", { eventId, error: String(error) });
      return false;
    }
  }
}
