/**
 * The circuit breakers' shared state: one item per dependency in the state table (`breaker#<dependency>`), moved
 * between closed, open and half-open only by conditional writes, so every container and the probe agree on it
 * whichever of them writes first; and one item listing the event source mappings the breakers paused, so only
 * those are resumed (never one an operator turned off).
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { documentClient } from "../aws/dynamodb.ts";
import type { Dependency } from "../contract/dependencies.ts";

export type BreakerPosition = "closed" | "open" | "half-open";

export interface BreakerState {
  readonly dependency: Dependency;
  readonly position: BreakerPosition;
  /** When the dependency stopped answering (epoch ms); kept while it reopens from half-open. */
  readonly openedAt?: number;
  /** Why it opened (log-safe). */
  readonly reason?: string;
  /** When the position last changed (epoch ms). */
  readonly changedAt?: number;
  /** Trial records let through since it half-opened. */
  readonly trials: number;
  /** The probe's last look (epoch ms) and what it found. */
  readonly probedAt?: number;
  readonly probeResult?: string;
}

export const breakerKey = (dependency: Dependency) => `breaker#${dependency}`;
const pausedMappingsKey = "breaker#paused-mappings";

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string })?.name === "ConditionalCheckFailedException"
  );
}

export class BreakerStore {
  readonly #table: string;
  readonly #client: DynamoDBDocumentClient;

  constructor(tableName: string, client: DynamoDBDocumentClient = documentClient) {
    this.#table = tableName;
    this.#client = client;
  }

  /** Every asked dependency's state; one never written is closed. */
  async read(dependencies: readonly Dependency[]): Promise<Map<Dependency, BreakerState>> {
    const states = new Map<Dependency, BreakerState>();
    for (const dependency of dependencies)
      states.set(dependency, { dependency, position: "closed", trials: 0 });
    if (dependencies.length === 0) return states;
    const answer = await this.#client.send(
      new BatchGetCommand({
        RequestItems: { [this.#table]: { Keys: dependencies.map((d) => ({ id: breakerKey(d) })) } },
      }),
    );
    for (const item of answer.Responses?.[this.#table] ?? []) {
      const dependency = String(item.id).slice("breaker#".length) as Dependency;
      states.set(dependency, {
        dependency,
        position: (item.position as BreakerPosition | undefined) ?? "closed",
        openedAt: item.openedAt as number | undefined,
        reason: item.reason as string | undefined,
        changedAt: item.changedAt as number | undefined,
        trials: Number(item.trials ?? 0),
        probedAt: item.probedAt as number | undefined,
        probeResult: item.probeResult as string | undefined,
      });
    }
    return states;
  }

  /** Closed or half-open → open; false when it was open already. */
  open(dependency: Dependency, reason: string, now: number): Promise<boolean> {
    return this.#move(dependency, {
      condition: "attribute_not_exists(#position) OR #position <> :open",
      update:
        "SET #position = :open, openedAt = if_not_exists(openedAt, :now), reason = :reason, changedAt = :now, trials = :zero",
      values: { ":open": "open", ":now": now, ":reason": reason.slice(0, 500), ":zero": 0 },
    });
  }

  /** Open → half-open (the probe found the dependency answering). */
  halfOpen(dependency: Dependency, now: number): Promise<boolean> {
    return this.#move(dependency, {
      condition: "#position = :open",
      update: "SET #position = :halfOpen, changedAt = :now, trials = :zero",
      values: { ":open": "open", ":halfOpen": "half-open", ":now": now, ":zero": 0 },
    });
  }

  /** Open or half-open → closed (a real answer, or the probe again while half-open). */
  close(dependency: Dependency, now: number): Promise<boolean> {
    return this.#move(dependency, {
      condition: "#position IN (:open, :halfOpen)",
      update: "SET #position = :closed, changedAt = :now, trials = :zero REMOVE openedAt, reason",
      values: { ":open": "open", ":halfOpen": "half-open", ":closed": "closed", ":now": now, ":zero": 0 },
    });
  }

  /** One of the few records a half-open breaker lets through; false when they are taken or it is not half-open. */
  claimTrial(dependency: Dependency, maxTrials: number): Promise<boolean> {
    return this.#move(dependency, {
      condition: "#position = :halfOpen AND trials < :max",
      update: "ADD trials :one",
      values: { ":halfOpen": "half-open", ":max": maxTrials, ":one": 1 },
    });
  }

  /** What the probe found, whatever the position. */
  async recordProbe(dependency: Dependency, now: number, result: string): Promise<void> {
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { id: breakerKey(dependency) },
        UpdateExpression: "SET probedAt = :now, probeResult = :result",
        ExpressionAttributeValues: { ":now": now, ":result": result.slice(0, 500) },
      }),
    );
  }

  /** The event source mappings the breakers paused (UUIDs). */
  async pausedMappings(): Promise<Set<string>> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { id: pausedMappingsKey }, ConsistentRead: true }),
    );
    return new Set((Item?.mappings as Set<string> | undefined) ?? []);
  }

  async markPaused(mappingId: string, paused: boolean): Promise<void> {
    await this.#client.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { id: pausedMappingsKey },
        UpdateExpression: paused ? "ADD mappings :id" : "DELETE mappings :id",
        ExpressionAttributeValues: { ":id": new Set([mappingId]) },
      }),
    );
  }

  async #move(
    dependency: Dependency,
    change: { condition: string; update: string; values: Record<string, unknown> },
  ): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { id: breakerKey(dependency) },
          ConditionExpression: change.condition,
          UpdateExpression: change.update,
          ExpressionAttributeNames: { "#position": "position" },
          ExpressionAttributeValues: change.values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
