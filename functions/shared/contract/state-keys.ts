/**
 * Who writes which items of the shared state table, by the start of their `id`: the pipeline's idempotency
 * records (`idempotency#<use-case>#<hash>`), workflow records (`<kind>#<key>`), the reconcile's watermarks and
 * run checkpoints, and the circuit breakers (`breaker#<dependency>`, read and moved by every consumer that has
 * one). The stack grants each function its prefixes only; a new kind of record is one more prefix here.
 */
export const stateKeyPrefixes = {
  "order-shipped-email": ["shipped-mail#", "breaker#"],
  "transport-booking": ["idempotency#transport-booking#", "transport-booking#", "breaker#"],
  "article-sync": ["breaker#"],
  "transport-status": ["transport-status#", "breaker#"],
  "mail-events": ["shipped-mail#"],
  "article-reconcile": ["article-reconcile#", "article-reconcile-run#", "breaker#"],
  "breaker-probe": ["breaker#"],
} as const satisfies Record<string, readonly string[]>;
