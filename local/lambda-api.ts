/**
 * A stand-in for the two Lambda API calls the breaker probe makes (GetEventSourceMapping and
 * UpdateEventSourceMapping `Enabled`), over the same REST paths, so the probe pauses and resumes the local event
 * sources as it does the mappings on AWS. As on AWS, an update answers at once ("Disabling") and takes effect
 * in the background (the local event source waits for its batches in flight); an update while the mapping is
 * in such a transitional state is refused with ResourceInUseException, as on AWS.
 */
import { createServer, type ServerResponse } from "node:http";
import { closeServer, listen, readBody } from "../simulators/http.ts";

export interface LocalMapping {
  /** What the function's name is, in answers. */
  readonly functionName: string;
  readonly enabled: boolean;
  setEnabled(enabled: boolean): Promise<void>;
}

export interface LambdaApiStandIn {
  readonly endpoint: string;
  /** Whether a mapping is enabled (or enabling) now. */
  enabled(uuid: string): boolean | undefined;
  /**
   * Holds a mapping in a state (a test knob, e.g. "Updating" as after a configuration change) until released
   * with `undefined`; while it is transitional, an update is refused with ResourceInUseException, as on AWS.
   */
  hold(uuid: string, state: TransitionalState | undefined): void;
  stop(): Promise<void>;
}

export type TransitionalState = "Enabling" | "Disabling" | "Updating" | "Creating";

const pathPattern = /^\/2015-03-31\/event-source-mappings\/([^/]+)$/;

export async function startLambdaApi(
  /** By UUID; read on every request, so it may be filled after the start. */
  mappings: ReadonlyMap<string, LocalMapping>,
  options: { port?: number; host?: string } = {},
): Promise<LambdaApiStandIn> {
  // Mappings may be added after the start (the functions start once the endpoint is known).
  const changed = new Map<string, "Enabled" | "Enabling" | "Disabled" | "Disabling">();
  const held = new Map<string, TransitionalState>();
  const stateOf = (uuid: string) => {
    const mapping = mappings.get(uuid);
    if (!mapping) return undefined;
    return held.get(uuid) ?? changed.get(uuid) ?? (mapping.enabled ? "Enabled" : "Disabled");
  };

  const answer = (response: ServerResponse, status: number, body: unknown, errorType?: string) => {
    response.writeHead(status, {
      "content-type": "application/json",
      ...(errorType ? { "x-amzn-errortype": errorType } : {}),
    });
    response.end(JSON.stringify(body));
  };
  const describe = (uuid: string) => ({
    UUID: uuid,
    State: stateOf(uuid),
    FunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${mappings.get(uuid)?.functionName}`,
  });

  const server = createServer(async (request, response) => {
    const uuid = decodeURIComponent(
      pathPattern.exec(new URL(request.url ?? "/", "http://local").pathname)?.[1] ?? "",
    );
    const mapping = mappings.get(uuid);
    if (!mapping) {
      answer(
        response,
        404,
        { Type: "User", message: `no event source mapping ${uuid}` },
        "ResourceNotFoundException",
      );
      return;
    }
    if (request.method === "GET") {
      answer(response, 200, describe(uuid));
      return;
    }
    if (request.method !== "PUT") {
      answer(
        response,
        405,
        { message: `${request.method} is not supported here` },
        "InvalidParameterValueException",
      );
      return;
    }
    const body = JSON.parse((await readBody(request)) || "{}") as { Enabled?: boolean };
    const current = stateOf(uuid);
    if (current !== "Enabled" && current !== "Disabled") {
      answer(
        response,
        400,
        { Type: "User", message: `The resource you requested is currently in use (${current}).` },
        "ResourceInUseException",
      );
      return;
    }
    if (typeof body.Enabled === "boolean") {
      const enabled = body.Enabled;
      changed.set(uuid, enabled ? "Enabling" : "Disabling");
      void mapping.setEnabled(enabled).then(
        () => changed.set(uuid, enabled ? "Enabled" : "Disabled"),
        () => changed.set(uuid, enabled ? "Disabled" : "Enabled"),
      );
    }
    answer(response, 202, describe(uuid));
  });
  const port = await listen(server, options);
  return {
    endpoint: `http://${options.host ?? "127.0.0.1"}:${port}`,
    enabled: (uuid) => {
      const current = stateOf(uuid);
      return current === undefined ? undefined : current === "Enabled" || current === "Enabling";
    },
    hold: (uuid, state) => {
      if (state) held.set(uuid, state);
      else held.delete(uuid);
    },
    stop: () => closeServer(server),
  };
}
