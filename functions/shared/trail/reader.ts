/**
 * Reads the trail: one webhook by its event id, a subject's journey, what arrived or failed in a time range, and
 * the most recent entries (the local status page). The indexes are keys-only: a query finds event ids, a batch
 * get reads their items.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import {
  hoursBetween,
  outcomeOf,
  type TrailAttempt,
  type TrailEntry,
  type TrailRecord,
  trailIndexes,
  trailKeys,
} from "./model.ts";

export interface TrailTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The trail table through a plain DynamoDB client (the CLIs' and the local stack's own). */
export function trailTableOf(client: DynamoDBClient, tableName: string): TrailTable {
  return { client: DynamoDBDocumentClient.from(client), tableName };
}

/** A stored item as the trail's shape (the body and event type included). */
export function recordOf(item: Record<string, unknown>): TrailRecord {
  const attempts = (Array.isArray(item.attempts) ? item.attempts : []) as TrailAttempt[];
  const effect = item.effect as Record<string, string> | undefined;
  return {
    eventId: String(item[trailKeys.eventId]),
    route: String(item.route ?? ""),
    useCase: String(item.useCase ?? ""),
    eventType: String(item.eventType ?? ""),
    ...(typeof item.goodsOwnerId === "number" ? { goodsOwnerId: item.goodsOwnerId } : {}),
    ...(typeof item.subject === "string" ? { subject: item.subject } : {}),
    receivedAt: new Date(Number(item.receivedAt)).toISOString(),
    ...outcomeOf(attempts),
    attempts,
    ...(effect && Object.keys(effect).length > 0 ? { effect } : {}),
    ...(typeof item.body === "string" ? { body: item.body } : {}),
    ...(typeof item.bodyOmittedBytes === "number" ? { bodyOmittedBytes: item.bodyOmittedBytes } : {}),
  };
}

/** The entry without what only replay needs (the body), as the status page shows it. */
export function entryOf(record: TrailRecord): TrailEntry {
  const { body: _body, bodyOmittedBytes: _omitted, eventType: _eventType, ...entry } = record;
  return entry;
}

export async function trailByEventId(table: TrailTable, eventId: string): Promise<TrailRecord | undefined> {
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: { [trailKeys.eventId]: eventId } }),
  );
  return Item ? recordOf(Item) : undefined;
}

/** Every webhook about a subject (`order#<goodsOwnerId>#<orderId>`), oldest first. */
export async function trailBySubject(table: TrailTable, subject: string): Promise<TrailRecord[]> {
  const index = trailIndexes.bySubject;
  const ids = await queryIds(
    table,
    index.name,
    `#p = :p`,
    { "#p": index.partitionKey.name },
    { ":p": subject },
  );
  return sortByReceived(await readTrail(table, ids));
}

/** Every webhook received in [fromMs, toMs], oldest first. */
export async function trailReceivedBetween(
  table: TrailTable,
  fromMs: number,
  toMs: number,
): Promise<TrailRecord[]> {
  const index = trailIndexes.byHour;
  const ids: string[] = [];
  for (const hour of hoursBetween(fromMs, toMs).reverse()) {
    ids.push(
      ...(await queryIds(
        table,
        index.name,
        "#p = :p AND #s BETWEEN :from AND :to",
        { "#p": index.partitionKey.name, "#s": index.sortKey.name },
        { ":p": hour, ":from": fromMs, ":to": toMs },
      )),
    );
  }
  return sortByReceived(await readTrail(table, ids));
}

/** Every webhook whose latest failure (transient or dead-lettered) was at or after `sinceMs`, oldest first. */
export async function trailFailedSince(
  table: TrailTable,
  sinceMs: number,
  nowMs = Date.now(),
): Promise<TrailRecord[]> {
  const index = trailIndexes.failures;
  const ids: string[] = [];
  for (const hour of hoursBetween(sinceMs, nowMs)) {
    ids.push(
      ...(await queryIds(
        table,
        index.name,
        "#p = :p AND #s >= :since",
        { "#p": index.partitionKey.name, "#s": index.sortKey.name },
        { ":p": hour, ":since": sinceMs },
      )),
    );
  }
  return sortByReceived(await readTrail(table, ids));
}

/**
 * The most recent entries, newest first: hour by hour back from now, at most `lookbackHours` (an empty trail
 * costs that many small queries).
 */
export async function recentTrail(
  table: TrailTable,
  options: { limit?: number; lookbackHours?: number; nowMs?: number } = {},
): Promise<TrailEntry[]> {
  const limit = options.limit ?? 50;
  const nowMs = options.nowMs ?? Date.now();
  const index = trailIndexes.byHour;
  const ids: string[] = [];
  for (const hour of hoursBetween(nowMs - (options.lookbackHours ?? 24) * 3_600_000, nowMs)) {
    ids.push(
      ...(await queryIds(
        table,
        index.name,
        "#p = :p",
        { "#p": index.partitionKey.name },
        { ":p": hour },
        { newestFirst: true, limit: limit - ids.length },
      )),
    );
    if (ids.length >= limit) break;
  }
  return sortByReceived(await readTrail(table, ids))
    .reverse()
    .map(entryOf);
}

async function queryIds(
  table: TrailTable,
  indexName: string,
  condition: string,
  names: Record<string, string>,
  values: Record<string, unknown>,
  options: { newestFirst?: boolean; limit?: number } = {},
): Promise<string[]> {
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: indexName,
        KeyConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: !options.newestFirst,
        ...(options.limit ? { Limit: options.limit - ids.length } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) ids.push(String(item[trailKeys.eventId]));
    start = page.LastEvaluatedKey;
  } while (start && (options.limit === undefined || ids.length < options.limit));
  return ids;
}

/** The items of these event ids (a batch get of 100 at a time, unprocessed keys asked again). */
async function readTrail(table: TrailTable, eventIds: readonly string[]): Promise<TrailRecord[]> {
  const records: TrailRecord[] = [];
  const unique = [...new Set(eventIds)];
  for (let index = 0; index < unique.length; index += 100) {
    let keys: Record<string, unknown>[] = unique
      .slice(index, index + 100)
      .map((eventId) => ({ [trailKeys.eventId]: eventId }));
    while (keys.length > 0) {
      const answer = await table.client.send(
        new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: keys } } }),
      );
      for (const item of answer.Responses?.[table.tableName] ?? []) records.push(recordOf(item));
      keys = (answer.UnprocessedKeys?.[table.tableName]?.Keys ?? []) as Record<string, unknown>[];
      // Unprocessed keys mean throttling: ask again after a moment.
      if (keys.length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return records;
}

function sortByReceived(records: TrailRecord[]): TrailRecord[] {
  return records.sort(
    (a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.eventId.localeCompare(b.eventId),
  );
}
