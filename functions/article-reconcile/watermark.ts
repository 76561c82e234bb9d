/**
 * Where the incremental reconcile of a goods owner got to: the start of its last window, in the state table
 * (`article-reconcile#<goodsOwnerId>`). Only ever moves forward, so an overlapping or late run cannot rewind it.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { documentClient } from "../shared/aws/dynamodb.ts";

export interface ReconcileWatermark {
  readonly goodsOwnerId: number;
  /** When the last completed run began asking Ongoing (epoch ms). */
  readonly windowStart: number;
  readonly mode: "incremental" | "full";
  readonly completedAt: number;
}

export class ReconcileWatermarks {
  readonly #tableName: string;

  constructor(tableName: string) {
    this.#tableName = tableName;
  }

  static id(goodsOwnerId: number): string {
    return `article-reconcile#${goodsOwnerId}`;
  }

  async get(goodsOwnerId: number): Promise<ReconcileWatermark | undefined> {
    const { Item } = await documentClient.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { id: ReconcileWatermarks.id(goodsOwnerId) },
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    return {
      goodsOwnerId,
      windowStart: Item.windowStart as number,
      mode: Item.mode as ReconcileWatermark["mode"],
      completedAt: Item.completedAt as number,
    };
  }

  /** Records a completed run; a run that began before the recorded one leaves it as it is. */
  async advance(watermark: ReconcileWatermark): Promise<void> {
    try {
      await documentClient.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            id: ReconcileWatermarks.id(watermark.goodsOwnerId),
            kind: "article-reconcile",
            ...watermark,
          },
          ConditionExpression: "attribute_not_exists(id) OR windowStart <= :windowStart",
          ExpressionAttributeValues: { ":windowStart": watermark.windowStart },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
