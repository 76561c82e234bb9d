/**
 * A stand-in for the Secrets Manager API (GetSecretValue only) for tests and the local stack, where no local
 * implementation of Secrets Manager exists. A real HTTP server speaking the AWS JSON 1.1 protocol, so the
 * functions' real SDK client talks to it unchanged.
 */
import { createServer, type Server } from "node:http";
import { closeServer, listen, readBody } from "../http.ts";

export interface SecretsManagerStandIn {
  readonly endpoint: string;
  /** Sets (or replaces) a secret's string value. */
  put(name: string, value: string): void;
  delete(name: string): void;
  stop(): Promise<void>;
}

export async function startSecretsManager(
  secrets: Record<string, string> = {},
  options: { port?: number; host?: string } = {},
): Promise<SecretsManagerStandIn> {
  const store = new Map(Object.entries(secrets));
  const server: Server = createServer((request, response) => {
    const answer = (body: string) => {
      const reply = (status: number, payload: unknown) => {
        response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        response.end(JSON.stringify(payload));
      };
      const target = String(request.headers["x-amz-target"] ?? "");
      if (target !== "secretsmanager.GetSecretValue") {
        return reply(400, { __type: "UnknownOperationException", message: `not supported here: ${target}` });
      }
      let secretId = "";
      try {
        secretId = String((JSON.parse(body) as { SecretId?: string }).SecretId ?? "");
      } catch {
        return reply(400, { __type: "InvalidRequestException", message: "body is not JSON" });
      }
      const value = store.get(secretId);
      if (value === undefined) {
        return reply(400, {
          __type: "ResourceNotFoundException",
          message: "Secrets Manager can't find the specified secret.",
        });
      }
      return reply(200, {
        ARN: `arn:aws:secretsmanager:eu-west-1:000000000000:secret:${secretId}`,
        Name: secretId,
        SecretString: value,
        VersionId: "local",
        VersionStages: ["AWSCURRENT"],
        CreatedDate: Date.now() / 1000,
      });
    };
    readBody(request).then(answer, () => request.socket.destroy());
  });
  const port = await listen(server, options);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    put: (name, value) => void store.set(name, value),
    delete: (name) => void store.delete(name),
    stop: () => closeServer(server),
  };
}
