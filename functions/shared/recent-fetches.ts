/**
 * Fetches of this container kept a short while across batches, by key (oldest first). A burst of repeated events
 * lands in several batches; an event may reuse a fetch that started at or after the ingress received it: the
 * sender posts the webhook after the change, so that fetch saw the change or something newer.
 */

export interface RecentFetch<T> {
  /** When the fetch was queued (eviction order). */
  readonly queuedAt: number;
  /** The queuing invocation's: once it has answered its batch, a fetch not yet begun never will. */
  readonly batchAnswered: AbortSignal | undefined;
  /** `observedAt`: taken just before the source was asked; unset while the fetch waits for a slot. */
  readonly started: { observedAt?: number };
  readonly promise: Promise<T>;
}

export class RecentFetches<T> {
  readonly #entries = new Map<string, RecentFetch<T>>();
  readonly #ttlMs: number;
  readonly #limit: number;

  /** `ttlMs`: how long a fetch is kept for reuse; `limit`: how many are kept at most. */
  constructor(ttlMs: number, limit: number) {
    this.#ttlMs = ttlMs;
    this.#limit = limit;
  }

  /** Forgets every fetch (for tests). */
  clear(): void {
    this.#entries.clear();
  }

  /** A fetch an event received at `receivedAt` (epoch ms) may take instead of its own; none without `receivedAt`. */
  reusable(key: string, receivedAt: number | undefined, now: number): Promise<T> | undefined {
    this.#evict(now);
    const entry = this.#entries.get(key);
    return entry && receivedAt !== undefined && mayShare(entry, receivedAt) ? entry.promise : undefined;
  }

  /** Keeps a fetch for later events; a fetch that fails is forgotten. */
  add(key: string, entry: RecentFetch<T>): void {
    // Re-inserted at the end, so the map stays in order of queuedAt.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#evict(entry.queuedAt);
    entry.promise.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
  }

  #evict(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (now - entry.queuedAt <= this.#ttlMs && this.#entries.size <= this.#limit) break;
      this.#entries.delete(key);
    }
  }
}

/**
 * Whether an event received at `receivedAt` may take another batch's fetch: one that began at or after that time,
 * or one still waiting for its slot in an invocation that is still running (it will begin later than now, and now
 * is after the event was received).
 */
function mayShare(entry: RecentFetch<unknown>, receivedAt: number): boolean {
  const { observedAt } = entry.started;
  if (observedAt !== undefined) return observedAt >= receivedAt;
  return entry.batchAnswered?.aborted !== true;
}
