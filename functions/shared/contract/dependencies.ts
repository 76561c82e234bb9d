/** The systems the consumers depend on, and which each use-case calls: read by the functions and the stack. */
import type { Consumer } from "./consumers.ts";

/** The systems a consumer depends on, each behind its own circuit breaker (see `pipeline/breaker.ts`). */
export const dependencies = ["ongoing", "ses", "transport"] as const;
export type Dependency = (typeof dependencies)[number];

/**
 * Which dependencies each consumer calls (the webhook use-cases and the reconcile's worker): read by the
 * consumers' definitions and by the stack (the probe's list).
 */
export const useCaseDependencies: Readonly<Record<Consumer, readonly Dependency[]>> = {
  "order-shipped-email": ["ongoing", "ses"],
  "transport-booking": ["ongoing", "transport"],
  "article-sync": ["ongoing"],
  "transport-status": ["ongoing"],
  "article-reconcile": ["ongoing"],
};
