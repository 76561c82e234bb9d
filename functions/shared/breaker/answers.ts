/**
 * What this container heard from its dependencies since the pipeline last looked: the clients say when a
 * dependency answered (any answer that is not "unavailable"), and the circuit breakers read it after each
 * record, so one real answer ends an outage. No I/O here, so every client may import it.
 */
import type { Dependency } from "../contract/dependencies.ts";

const answered = new Set<Dependency>();

/** The dependency answered a request (a success, a 404, a rejection: anything but unavailable). */
export function dependencyAnswered(dependency: Dependency): void {
  answered.add(dependency);
}

/** The dependencies that answered since the last call, and forgets them. */
export function takeAnswered(): ReadonlySet<Dependency> {
  const taken = new Set(answered);
  answered.clear();
  return taken;
}
