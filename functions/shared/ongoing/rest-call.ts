/**
 * One REST call to Ongoing for one goods owner: its URL, JSON body and headers (exactly Authorization, Accept,
 * User-Agent, and Content-Type on a body), run by the call engine (call.ts); a non-2xx status means what
 * `statusAnswer` says, with Ongoing's own message. Reads parse against the model; writes run one at a time per
 * goods owner.
 */
import type * as z from "zod";
import { PermanentError, TransientError } from "../errors.ts";
import type { HttpResponse } from "../http.ts";
import {
  callBudget,
  callOngoing,
  type OngoingCallBudget,
  serialized,
  statusAnswer,
  userAgent,
} from "./call.ts";
import { authorization, type CredentialsSource, credentialsPerAttempt } from "./credentials.ts";
import type { OngoingOrder } from "./model.ts";

export interface CallSpec {
  operation: string;
  method: "GET" | "PATCH" | "PUT" | "POST";
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** False for a write that adds something each time it is made (a file, a parcel row). @default true */
  repeatable?: boolean;
}

/** Ongoing's own words from an error body (`{"Message": ...}`), shortened; never our request data. */
function ongoingMessage(body: string): string {
  try {
    const parsed = JSON.parse(body.replace(/^\uFEFF/, "")) as { Message?: unknown; message?: unknown };
    const message = parsed.Message ?? parsed.message;
    if (typeof message === "string" && message !== "") return message.slice(0, 300);
  } catch {
    // Not JSON (e.g. an HTML error page): say nothing rather than echo it.
  }
  return "no message";
}

export interface RestCallOptions {
  baseUrl: string;
  goodsOwnerId: number;
  credentials: CredentialsSource;
  timeoutMs?: number | undefined;
  maxAttempts?: number | undefined;
  remainingTimeMs?: (() => number) | undefined;
}

/** The REST calls of one client: one goods owner, one base URL, one budget. */
export class RestCalls {
  readonly goodsOwnerId: number;
  readonly #baseUrl: string;
  readonly #writeQueueKey: string;
  readonly #credentials: CredentialsSource;
  readonly #budget: OngoingCallBudget;

  constructor(options: RestCallOptions) {
    this.#baseUrl = options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`;
    this.goodsOwnerId = options.goodsOwnerId;
    this.#writeQueueKey = `${this.#baseUrl}#${options.goodsOwnerId}`;
    this.#credentials = options.credentials;
    this.#budget = callBudget(options);
  }

  #urlFor(spec: CallSpec): string {
    const url = new URL(spec.path, this.#baseUrl);
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  send(spec: CallSpec): Promise<HttpResponse> {
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const credentialsFor = credentialsPerAttempt(this.#credentials, this.#budget);
    return callOngoing(
      {
        operation: spec.operation,
        method: spec.method,
        url: this.#urlFor(spec),
        ...(spec.repeatable === false ? { repeatable: false } : {}),
        async prepare(forceFetch) {
          const headers: Record<string, string> = {
            Authorization: authorization(await credentialsFor(forceFetch)),
            Accept: "application/json",
            "User-Agent": userAgent,
          };
          if (body !== undefined) headers["Content-Type"] = "application/json; charset=utf-8";
          return { headers, body };
        },
        interpret(response) {
          if (response.status >= 200 && response.status < 300) return { done: response };
          return statusAnswer(spec.operation, response, ongoingMessage(response.body));
        },
      },
      this.#budget,
    );
  }

  async getJson<T>(spec: CallSpec, schema: z.ZodType<T>): Promise<T> {
    const response = await this.send(spec);
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body.replace(/^\uFEFF/, ""));
    } catch (error) {
      throw new TransientError(
        "ongoing-unexpected-response",
        `Ongoing ${spec.operation}: the answer is not JSON`,
        // A 2xx page that is not JSON is what a maintenance page looks like: an outage, not this message's fault.
        { cause: error, dependency: "ongoing" },
      );
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      const where = result.error.issues.map((issue) => issue.path.join(".")).join(", ");
      throw new PermanentError(
        "ongoing-unexpected-response",
        `Ongoing ${spec.operation}: the answer does not match the model (${where})`,
      );
    }
    return result.data;
  }

  checkGoodsOwner(operation: string, order: OngoingOrder): OngoingOrder {
    if (order.goodsOwner.id !== this.goodsOwnerId) {
      throw new PermanentError(
        "ongoing-goods-owner-mismatch",
        `Ongoing ${operation}: the order belongs to goods owner ${order.goodsOwner.id}, not ${this.goodsOwnerId}`,
      );
    }
    return order;
  }

  async write(spec: CallSpec): Promise<void> {
    await serialized(this.#writeQueueKey, () => this.send(spec));
  }
}
