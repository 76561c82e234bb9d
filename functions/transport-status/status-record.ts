/**
 * The state-table record of an order's transport status events (kind `transport-status`, key
 * `goodsOwnerId#orderId`): the latest event claimed, its time and id, and whether Ongoing has it.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { documentClient } from "../shared/aws/dynamodb.ts";

export const recordKind = "transport-status";

/** The latest event claimed for an order, as the state table keeps it. */
export interface OrderStatusRecord {
  /** Epoch ms of the latest claimed event's `eventTime`. */
  readonly eventAt: number;
  readonly eventId: string;
  readonly reported: boolean;
}

export const statusRecordId = (goodsOwnerId: number, orderId: number): string =>
  `${recordKind}#${goodsOwnerId}#${orderId}`;

/** Reads, claims and marks the order records of one table. */
export class OrderStatusStore {
  readonly #tableName: string;
  readonly #ttlSeconds: number;
  readonly #now: () => number;

  constructor(tableName: string, ttlSeconds: number, now: () => number) {
    this.#tableName = tableName;
    this.#ttlSeconds = ttlSeconds;
    this.#now = now;
  }

  async read(id: string): Promise<OrderStatusRecord | undefined> {
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: this.#tableName, Key: { id }, ConsistentRead: true }),
    );
    return Item as OrderStatusRecord | undefined;
  }

  /** Claims the order for this event unless a later one (by time, then id) is claimed; false when one is. */
  async claim(id: string, eventAt: number, eventId: string): Promise<boolean> {
    const now = this.#now();
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { id },
          UpdateExpression:
            "SET eventAt = :at, eventId = :eventId, reported = :false, updatedAt = :now, expiration = :expiration",
          // The same event claimed twice at once is reported twice: harmless, Ongoing's CreateOrUpdate.
          ConditionExpression:
            "attribute_not_exists(id) OR eventAt < :at OR (eventAt = :at AND eventId <= :eventId)",
          ExpressionAttributeValues: {
            ":at": eventAt,
            ":eventId": eventId,
            ":false": false,
            ":now": now,
            ":expiration": Math.floor(now / 1000) + this.#ttlSeconds,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    return true;
  }

  /** Only for the event claimed: a newer one claimed meanwhile keeps its own flag. */
  async markReported(id: string, eventId: string): Promise<void> {
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { id },
          UpdateExpression: "SET reported = :reported, updatedAt = :now",
          ConditionExpression: "eventId = :eventId",
          ExpressionAttributeValues: { ":reported": true, ":eventId": eventId, ":now": this.#now() },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
