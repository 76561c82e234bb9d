/**
 * Workflow records in the state table: a small, durable state machine per business key (e.g. one shipped-mail
 * per order, one booking per order). Every move is a conditional write on the version read, so two workers can
 * never both take the same step, and a retry resumes from the step recorded.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { documentClient } from "../aws/dynamodb.ts";
import { TransientError } from "../errors.ts";

export interface Workflow<D> {
  /** The business key within the kind, e.g. `159#50163`. */
  readonly key: string;
  readonly step: string;
  readonly data: D;
  /** Increments with every move; the condition of the next move. */
  readonly version: number;
  /** When the record last moved (epoch ms). */
  readonly updatedAt: number;
}

/** Another worker moved the record since it was read: re-read and decide again (a transient failure). */
export class WorkflowConflictError extends TransientError {
  override readonly name = "WorkflowConflictError";
  constructor(kind: string, key: string) {
    super("workflow-conflict", `${kind} ${key} was moved by another worker`);
  }
}

export interface WorkflowStoreOptions {
  readonly tableName: string;
  /** What the records are, e.g. `shipped-mail`; the prefix of the item id. */
  readonly kind: string;
  /** How long a record is kept after its last move (TTL attribute `expiration`). */
  readonly ttlSeconds: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

export class WorkflowStore<D extends Record<string, unknown>> {
  readonly #options: WorkflowStoreOptions;

  constructor(options: WorkflowStoreOptions) {
    this.#options = options;
  }

  #id(key: string): string {
    return `${this.#options.kind}#${key}`;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #expiration(now: number): number {
    return Math.floor(now / 1000) + this.#options.ttlSeconds;
  }

  async get(key: string): Promise<Workflow<D> | undefined> {
    const { Item } = await documentClient.send(
      new GetCommand({
        TableName: this.#options.tableName,
        Key: { id: this.#id(key) },
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    return {
      key,
      step: Item.step as string,
      data: (Item.data ?? {}) as D,
      version: Item.version as number,
      updatedAt: Item.updatedAt as number,
    };
  }

  /** Creates the record at `step` unless one exists; returns the record that is there and whether it is new. */
  async start(key: string, step: string, data: D): Promise<{ workflow: Workflow<D>; created: boolean }> {
    const now = this.#now();
    const workflow: Workflow<D> = { key, step, data, version: 1, updatedAt: now };
    try {
      await documentClient.send(
        new PutCommand({
          TableName: this.#options.tableName,
          Item: {
            id: this.#id(key),
            kind: this.#options.kind,
            step,
            data,
            version: 1,
            updatedAt: now,
            expiration: this.#expiration(now),
          },
          ConditionExpression: "attribute_not_exists(id)",
        }),
      );
      return { workflow, created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.get(key);
      if (!existing) throw new WorkflowConflictError(this.#options.kind, key);
      return { workflow: existing, created: false };
    }
  }

  /** Moves the record from the version read to `step`, merging `data`; throws WorkflowConflictError if it moved. */
  async advance(workflow: Workflow<D>, step: string, data: Partial<D> = {}): Promise<Workflow<D>> {
    const now = this.#now();
    const merged = { ...workflow.data, ...data } as D;
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: this.#options.tableName,
          Key: { id: this.#id(workflow.key) },
          UpdateExpression:
            "SET #step = :step, #data = :data, #version = :next, updatedAt = :now, expiration = :expiration",
          ConditionExpression: "#version = :version",
          ExpressionAttributeNames: { "#step": "step", "#data": "data", "#version": "version" },
          ExpressionAttributeValues: {
            ":step": step,
            ":data": merged,
            ":next": workflow.version + 1,
            ":version": workflow.version,
            ":now": now,
            ":expiration": this.#expiration(now),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new WorkflowConflictError(this.#options.kind, workflow.key);
      throw error;
    }
    return { key: workflow.key, step, data: merged, version: workflow.version + 1, updatedAt: now };
  }

  /**
   * Sets attributes on the record beside its workflow (evidence from elsewhere, e.g. SES's events about a mail)
   * without moving it or changing its version. False when there is no record.
   */
  async annotate(key: string, attributes: Record<string, unknown>): Promise<boolean> {
    const names = Object.keys(attributes);
    try {
      await documentClient.send(
        new UpdateCommand({
          TableName: this.#options.tableName,
          Key: { id: this.#id(key) },
          UpdateExpression: `SET ${names.map((_, index) => `#a${index} = :a${index}`).join(", ")}`,
          ConditionExpression: "attribute_exists(id)",
          ExpressionAttributeNames: Object.fromEntries(names.map((name, index) => [`#a${index}`, name])),
          ExpressionAttributeValues: Object.fromEntries(
            names.map((name, index) => [`:a${index}`, attributes[name]]),
          ),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
