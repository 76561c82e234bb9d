/**
 * Where a goods owner's reconcile run got to, page by page, and which worker holds it now: one item per goods
 * owner and mode in the state table (`article-reconcile-run#<goodsOwnerId>#<mode>`). A unit of work that nears
 * its time limit saves its place and the next slice continues from there, whichever worker picks it up; the
 * lease keeps two workers off the same run (a repeated message, a schedule tick while a run is going on).
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ChangeCounts } from "../shared/articles/catalogue.ts";
import { documentClient } from "../shared/aws/dynamodb.ts";

export type ReconcileMode = "incremental" | "full";

export interface ReconcileRun {
  readonly goodsOwnerId: number;
  readonly mode: ReconcileMode;
  readonly runId: string;
  /** When the run began asking Ongoing (epoch ms); the next incremental window starts here. */
  readonly startedAt: number;
  /** Incremental: the lower bound of `articleDataLastUpdated` asked for (epoch ms). */
  readonly from?: number;
  readonly phase: "articles" | "tombstones" | "done";
  /** The next page's `articleSystemIdFrom`. */
  readonly cursor: number;
  /** Incremental: the tombstones written from here on (epoch ms) are still to be asked about. */
  readonly tombstonesFrom?: number;
  /** Invocations that worked on the run so far. */
  readonly slices: number;
  /** The message whose invocation worked on the run last (its retries may go on with it). */
  readonly owner?: string;
  /** Pages of Ongoing's list done. */
  readonly pages: number;
  /** Articles Ongoing listed. */
  readonly examined: number;
  /** Incremental: tombstones written by a webhook and asked of Ongoing again. */
  readonly tombstonesRechecked: number;
  /**
   * Full: mirrored articles missing from Ongoing's list that Ongoing still served by id. Not zero means the list
   * skipped articles, i.e. the paging order differs from what the reconcile relies on; they were kept, not deleted.
   */
  readonly unlisted: number;
  readonly counts: ChangeCounts;
  readonly updatedAt: number;
  readonly finishedAt?: number;
}

/** What `claim` found: another worker's live lease, or the lease is ours and this is the run saved (if any). */
export type Claim =
  | { readonly held: true }
  | { readonly held: false; readonly run: ReconcileRun | undefined };

/** A worker whose lease another worker took (after it expired) must stop writing: the run is that worker's now. */
export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
}

export class ReconcileCheckpoints {
  readonly #tableName: string;

  constructor(tableName: string) {
    this.#tableName = tableName;
  }

  static id(goodsOwnerId: number, mode: ReconcileMode): string {
    return `article-reconcile-run#${goodsOwnerId}#${mode}`;
  }

  /** The run saved for a goods owner and mode (finished or not), for operators and tests. */
  async get(goodsOwnerId: number, mode: ReconcileMode): Promise<ReconcileRun | undefined> {
    const { Item } = await documentClient.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { id: ReconcileCheckpoints.id(goodsOwnerId, mode) },
        ConsistentRead: true,
      }),
    );
    return Item?.run as ReconcileRun | undefined;
  }

  /** Takes the run's lease for `owner` until `until` (epoch ms), unless another owner's lease is still live. */
  async claim(
    goodsOwnerId: number,
    mode: ReconcileMode,
    lease: { owner: string; until: number; now: number },
  ): Promise<Claim> {
    try {
      const { Attributes } = await documentClient.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { id: ReconcileCheckpoints.id(goodsOwnerId, mode) },
          UpdateExpression: "SET kind = :kind, leaseOwner = :owner, leaseUntil = :until",
          ConditionExpression: "attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner",
          ExpressionAttributeValues: {
            ":kind": "article-reconcile-run",
            ":owner": lease.owner,
            ":until": lease.until,
            ":now": lease.now,
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return { held: false, run: Attributes?.run as ReconcileRun | undefined };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { held: true };
      throw error;
    }
  }

  /**
   * Saves the run's place, keeping the lease, or giving it up with `release`. Throws LeaseLostError when another
   * worker holds the lease now.
   */
  async save(
    run: ReconcileRun,
    lease: { owner: string; until: number },
    options: { release?: boolean } = {},
  ): Promise<void> {
    try {
      await documentClient.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            id: ReconcileCheckpoints.id(run.goodsOwnerId, run.mode),
            kind: "article-reconcile-run",
            run,
            ...(options.release ? {} : { leaseOwner: lease.owner, leaseUntil: lease.until }),
          },
          ConditionExpression: "leaseOwner = :owner",
          ExpressionAttributeValues: { ":owner": lease.owner },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new LeaseLostError(
          `goods owner ${run.goodsOwnerId}'s ${run.mode} reconcile is held by another worker now`,
        );
      }
      throw error;
    }
  }

  /** Gives the lease up without touching the run (nothing done, or a failure to be retried by anyone). */
  async release(goodsOwnerId: number, mode: ReconcileMode, owner: string): Promise<void> {
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { id: ReconcileCheckpoints.id(goodsOwnerId, mode) },
          UpdateExpression: "REMOVE leaseOwner, leaseUntil",
          ConditionExpression: "leaseOwner = :owner",
          ExpressionAttributeValues: { ":owner": owner },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
