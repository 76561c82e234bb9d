/**
 * Values that live for one invocation (one SQS batch) and are shared by its records: a send pacer, a batch's
 * fetch slots. The pipeline gives every record of a batch the same `batchCache` map, made afresh per invocation,
 * so that map is the invocation's identity; a WeakMap on it lets each value go when the batch does.
 */
import type { HandlerContext } from "./pipeline/types.ts";

/** What identifies an invocation: its batch's shared map (`HandlerContext.batchCache`). */
export type Invocation = HandlerContext["batchCache"] | object;

export class InvocationScope<T> {
  readonly #values = new WeakMap<object, T>();

  /** The invocation's value, made by `create` for its first user. */
  of(invocation: Invocation, create: () => T): T {
    let value = this.#values.get(invocation);
    if (value === undefined) {
      value = create();
      this.#values.set(invocation, value);
    }
    return value;
  }
}
