/** What `GET /_local/status` answers: queues, breakers, tables, buckets, endpoints and the recent trail. */
import { BatchGetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Consumer } from "../functions/shared/contract/consumers.ts";
import { dependencies } from "../functions/shared/contract/dependencies.ts";
import type { EventSources } from "./event-sources.ts";
import type { Provisioned } from "./provision.ts";
/**
 * One accepted webhook's journey, as the trail records it (functions/shared/trail's TrailEntry fits this shape),
 * newest first in the status.
 */
export interface LocalTrailEntry {
  readonly eventId: string;
  readonly route: string;
  readonly goodsOwnerId?: number | string;
  /** What it is about: an order or an article. */
  readonly subject?: string;
  readonly receivedAt: string;
  readonly outcome: "pending" | "done" | "skipped" | "transient" | "dead-lettered";
  readonly reason?: string;
  readonly attempts: readonly {
    at: string;
    outcome: string;
    reason?: string;
    code?: string;
    /** Sent again by a replay. */
    replay?: boolean;
  }[];
  /** What it did (SES message id, waybill, mirror revision). */
  readonly effect?: Record<string, string>;
}

export interface LocalStatus {
  readonly queues: {
    useCase: Consumer;
    visible: number;
    inFlight: number;
    deadLetters: number;
    /** Whether its event source consumes (false while paused by a breaker or by hand). */
    consuming: boolean | undefined;
    url: string;
    deadLetterUrl: string;
  }[];
  /** Each dependency's circuit breaker, as the state table has it. */
  readonly breakers: { dependency: string; position: string; openedAt?: string; probeResult?: string }[];
  readonly tables: { articles: string; state: string; trail: string };
  /** S3 buckets by their metadata name (e.g. `documents`), on the same endpoint as SQS. */
  readonly buckets: Record<string, string>;
  readonly endpoints: {
    ingress: string;
    dynamodb: string;
    sqs: string;
    ses: string;
    ongoing: string;
    transport: string;
    secretsManager: string;
  };
  /** The recent trail, newest first; absent where the stack records none. */
  readonly trail?: readonly LocalTrailEntry[];
}

export interface StatusSources {
  readonly provisioned: Provisioned;
  readonly eventSources: EventSources;
  readonly dynamodb: DynamoDBClient;
  /** Filled in as the parts start (the ingress's URL comes last). */
  readonly endpoints: LocalStatus["endpoints"];
  /** The recent trail, newest first, where the stack records one. @default no `trail` in the status */
  readonly trail?: () => Promise<readonly LocalTrailEntry[]>;
}

export async function readStatus(sources: StatusSources): Promise<LocalStatus> {
  const { provisioned, eventSources } = sources;
  const none = { visible: 0, inFlight: 0, delayed: 0 };
  return {
    queues: await Promise.all(
      provisioned.queues.map(async (queue) => {
        const main = await eventSources.depth(queue.url);
        const dead = queue.deadLetterUrl ? await eventSources.depth(queue.deadLetterUrl) : none;
        return {
          useCase: queue.useCase,
          visible: main.visible + main.delayed,
          inFlight: main.inFlight,
          deadLetters: dead.visible + dead.inFlight + dead.delayed,
          consuming: eventSources.enabled(queue.useCase),
          url: queue.url,
          deadLetterUrl: queue.deadLetterUrl,
        };
      }),
    ),
    breakers: await breakerStates(sources.dynamodb, provisioned.tables.state),
    tables: provisioned.tables,
    buckets: provisioned.buckets,
    endpoints: { ...sources.endpoints },
    ...(sources.trail ? { trail: await sources.trail() } : {}),
  };
}

async function breakerStates(dynamodb: DynamoDBClient, stateTable: string): Promise<LocalStatus["breakers"]> {
  const keys = dependencies.map((dependency) => ({ id: { S: `breaker#${dependency}` } }));
  const answer = await dynamodb.send(
    new BatchGetItemCommand({ RequestItems: { [stateTable]: { Keys: keys } } }),
  );
  const items = answer.Responses?.[stateTable] ?? [];
  return dependencies.map((dependency) => {
    const item = items.find((candidate) => candidate.id?.S === `breaker#${dependency}`);
    const openedAt = item?.openedAt?.N;
    return {
      dependency,
      position: item?.position?.S ?? "closed",
      ...(openedAt ? { openedAt: new Date(Number(openedAt)).toISOString() } : {}),
      ...(item?.probeResult?.S ? { probeResult: item.probeResult.S } : {}),
    };
  });
}
