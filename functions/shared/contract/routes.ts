/**
 * The route table: route path → use-case → event type → payload schema. Declared once; read by the CDK
 * ingress, the local ingress stand-in, the webhook CLI and the tests.
 */
import type { z } from "zod";
import { articleWebhookSchema, orderWebhookSchema, transportStatusEventSchema } from "./webhook-schemas.ts";

/** The use-cases, each with its own queue, dead-letter queue and consumer function. */
export const useCases = [
  "order-shipped-email",
  "transport-booking",
  "article-sync",
  "transport-status",
] as const;
export type UseCase = (typeof useCases)[number];

/** What happened in Ongoing, as the route tells it (an article payload does not say which trigger fired). */
export const eventTypes = [
  "order-shipped",
  "article-created",
  "article-updated",
  "article-deleted",
  "transport-status-changed",
] as const;
export type EventType = (typeof eventTypes)[number];

export interface Route {
  /** Path segment under `/webhooks/`. */
  readonly path: string;
  readonly useCase: UseCase;
  readonly eventType: EventType;
  /** The payload schema; the API Gateway request model is generated from it. */
  readonly schema: z.ZodType;
  /** Which Ongoing trigger to point at this route (for docs/runbook.md and the webhook CLI). */
  readonly ongoingTrigger: string;
}

export const routes: readonly Route[] = [
  {
    path: "order-shipped-email",
    useCase: "order-shipped-email",
    eventType: "order-shipped",
    schema: orderWebhookSchema,
    ongoingTrigger: "Order webhook: “Order status is changed”, to status Sent (450)",
  },
  {
    path: "transport-booking",
    useCase: "transport-booking",
    eventType: "order-shipped",
    schema: orderWebhookSchema,
    ongoingTrigger: "Automation webhook: “Order status is changed”, to status Sent (450)",
  },
  {
    path: "article-created",
    useCase: "article-sync",
    eventType: "article-created",
    schema: articleWebhookSchema,
    ongoingTrigger: "Article webhook: “Article is created”",
  },
  {
    path: "article-updated",
    useCase: "article-sync",
    eventType: "article-updated",
    schema: articleWebhookSchema,
    ongoingTrigger: "Article webhook: “Article is updated”",
  },
  {
    path: "article-deleted",
    useCase: "article-sync",
    eventType: "article-deleted",
    schema: articleWebhookSchema,
    ongoingTrigger: "Article webhook: “Article is deleted”",
  },
  {
    path: "transport-status",
    useCase: "transport-status",
    eventType: "transport-status-changed",
    schema: transportStatusEventSchema,
    ongoingTrigger: "none: the transport system's status callbacks post here (not an Ongoing webhook)",
  },
];

/** The URL path of a route, relative to the API's stage root. */
export const routeUrlPath = (route: Route): string => `/webhooks/${route.path}`;

export function routeByPath(path: string): Route | undefined {
  return routes.find((route) => route.path === path);
}

/**
 * SQS message attributes the ingress sets on every message; the consumers read them.
 * Names are the contract between the mapping template and the pipeline.
 */
export const messageAttributes = {
  eventType: "eventType",
  requestId: "apiRequestId",
  receivedAt: "receivedAt",
  /** Set by the pipeline when it dead-letters a message itself. */
  failureReason: "failureReason",
  failureClass: "failureClass",
  failureCode: "failureCode",
  sourceMessageId: "sourceMessageId",
  useCase: "useCase",
  /** Set by the pipeline when it puts a message back to wait out a dependency's outage (see pipeline/queue.ts). */
  countedReceives: "countedReceives",
  deferrals: "deferrals",
  /** Set by `npm run replay` when it sends a webhook from the trail again. */
  replayedAt: "replayedAt",
} as const;
