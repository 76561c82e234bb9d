/**
 * One container's view of the circuit breakers its use-case depends on. It opens a breaker when records fail on
 * a dependency one after another (not one order's 404: only failures the clients tag as the dependency's own),
 * lets a few trial records through while it is half-open, and closes it on the first real answer. The state is
 * shared (see store.ts) and read at most once per `cacheMs`, so a breaker one container opens stops the others.
 */
import type { Dependency } from "../contract/dependencies.ts";
import { takeAnswered } from "./answers.ts";
import type { BreakerState, BreakerStore } from "./store.ts";

export interface BreakerOptions {
  /** Records in a row failing on a dependency (in one container) that open its breaker. */
  readonly failureThreshold: number;
  /** Records a half-open breaker lets through before it closes or reopens. */
  readonly trialRecords: number;
  /** How often the probe looks at an open breaker; deferred records come back after it. */
  readonly probeIntervalSeconds: number;
  /** How long a read of the shared state is trusted. */
  readonly cacheMs: number;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** Whether a record may run now, or must wait (deferred, no receive counted) for a dependency. */
export type Admission =
  | { readonly run: true }
  | {
      readonly run: false;
      readonly dependency: Dependency;
      readonly delaySeconds: number;
      readonly reason: string;
    };

/** SQS's longest message delay. */
const maxDelaySeconds = 900;

export class CircuitBreakers {
  readonly #store: BreakerStore;
  readonly #options: BreakerOptions;
  readonly #dependencies: readonly Dependency[];
  readonly #consecutive = new Map<Dependency, number>();
  #cache: { at: number; states: Promise<Map<Dependency, BreakerState>> } | undefined;

  constructor(store: BreakerStore, dependencies: readonly Dependency[], options: BreakerOptions) {
    this.#store = store;
    this.#dependencies = dependencies;
    this.#options = options;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  /** The shared states, from the cache while it is fresh. */
  states(): Promise<Map<Dependency, BreakerState>> {
    const now = this.#now();
    if (!this.#cache || now - this.#cache.at >= this.#options.cacheMs) {
      const states = this.#store.read(this.#dependencies);
      // A failed read is not cached: the next record asks again.
      states.catch(() => {
        if (this.#cache?.states === states) this.#cache = undefined;
      });
      this.#cache = { at: now, states };
    }
    return this.#cache.states;
  }

  #forget(): void {
    this.#cache = undefined;
  }

  /** A delay that brings a deferred record back after the probe's next look, spread so they do not return at once. */
  #deferral(open: boolean): number {
    const interval = this.#options.probeIntervalSeconds;
    const base = open ? interval : Math.max(1, interval / 4);
    const spread = base * 0.5 * (this.#options.random ?? Math.random)();
    return Math.min(maxDelaySeconds, Math.ceil(base + spread));
  }

  /** Before a record runs: wait while a dependency is open, or half-open with its trial records taken. */
  async admit(): Promise<Admission> {
    const states = await this.states();
    for (const dependency of this.#dependencies) {
      const state = states.get(dependency);
      if (state?.position === "open") {
        return {
          run: false,
          dependency,
          delaySeconds: this.#deferral(true),
          reason: `${dependency} unavailable (breaker open${state.reason ? `: ${state.reason}` : ""})`,
        };
      }
    }
    for (const dependency of this.#dependencies) {
      if (states.get(dependency)?.position !== "half-open") continue;
      if (await this.#store.claimTrial(dependency, this.#options.trialRecords)) continue;
      this.#forget();
      return {
        run: false,
        dependency,
        delaySeconds: this.#deferral(false),
        reason: `${dependency} recovering (breaker half-open, trial records taken)`,
      };
    }
    return { run: true };
  }

  /**
   * After a record: every dependency that answered since the last look is healthy, so its count starts over and
   * an open or half-open breaker closes (the first real answer ends the outage); but not `failedOn`.
   */
  async settle(failedOn?: Dependency): Promise<void> {
    // The record's own answers from the dependency it then failed on prove nothing (GETs answer, writes fail).
    const answered = [...takeAnswered()].filter((dependency) => dependency !== failedOn);
    if (answered.length === 0) return;
    const states = await this.states();
    for (const dependency of answered) {
      this.#consecutive.set(dependency, 0);
      const position = states.get(dependency)?.position;
      if (position === "open" || position === "half-open") {
        await this.#store.close(dependency, this.#now());
        this.#forget();
      }
    }
  }

  /**
   * A record failed because a dependency did not answer. Opens its breaker at the threshold, or at once while it
   * is half-open (a trial failed); resolves whether the breaker is open now, i.e. the record should wait for it
   * without counting the receive.
   */
  async outage(dependency: Dependency, reason: string): Promise<boolean> {
    await this.settle(dependency);
    const count = (this.#consecutive.get(dependency) ?? 0) + 1;
    this.#consecutive.set(dependency, count);
    const position = (await this.states()).get(dependency)?.position;
    if (position === "open") return true;
    if (position === "half-open" || count >= this.#options.failureThreshold) {
      await this.#store.open(dependency, reason, this.#now());
      this.#forget();
      return true;
    }
    return false;
  }
}
