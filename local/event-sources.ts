/**
 * The SQS event sources: each mapping of the template registered with the Lambda API stand-in (so the breaker
 * probe can pause and resume it), switching it by hand, and watching the queues drain.
 */
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Consumer } from "../functions/shared/contract/consumers.ts";
import type { FunctionHosts } from "./function-hosts.ts";
import type { LocalQueue } from "./provision.ts";
import type { LocalServices } from "./services.ts";
import type { LocalNames } from "./template.ts";
import { type CfnTemplate, metadataOf, referencedIds, resourcesOfType } from "./template.ts";

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

export interface EventSources {
  /** Whether a consumer's event source is enabled (undefined: it has none), as the breaker probe left it. */
  enabled(useCase: Consumer): boolean | undefined;
  /** Disables or enables a consumer's event source; disabling resolves once it has no batch in flight. */
  setEnabled(useCase: Consumer, enabled: boolean): Promise<void>;
  depth(url: string): Promise<QueueDepth>;
  /** Resolves when the queues are empty (nothing visible, in flight or delayed) twice in a row. */
  drained(which: readonly LocalQueue[], timeoutMs: number): Promise<void>;
}

export function registerEventSources(options: {
  template: CfnTemplate;
  names: LocalNames;
  hosts: FunctionHosts;
  services: LocalServices;
  /** Whether the event sources run at all. */
  consumers: boolean;
}): EventSources {
  const { hosts, services } = options;
  // By the UUID the probe's environment names them with (Ref → local-<id>).
  for (const [mappingId, mapping] of resourcesOfType(options.template, "AWS::Lambda::EventSourceMapping")) {
    const [functionId] = referencedIds(mapping.Properties?.FunctionName);
    const fn = functionId ? hosts.functions.get(functionId) : undefined;
    if (!functionId || !fn) continue;
    const consumer = hosts.entries.find(([id]) => id === functionId)?.[1];
    let enabled = mapping.Properties?.Enabled !== false && options.consumers;
    services.localMappings.set(options.names.ref(mappingId), {
      functionName: fn.name,
      useCase: consumer ? metadataOf(consumer)?.useCase : undefined,
      get enabled() {
        return enabled;
      },
      async setEnabled(on) {
        enabled = on;
        await fn.setEventSourceEnabled(on);
      },
    });
  }
  const depth = (url: string) => queueDepths(services.sqs, url);
  return {
    enabled(useCase) {
      const [uuid] = [...services.localMappings].find(([, mapping]) => mapping.useCase === useCase) ?? [];
      return uuid === undefined ? undefined : services.lambdaApi.enabled(uuid);
    },
    async setEnabled(useCase, enabled) {
      const [id] =
        hosts.entries.find(
          ([, resource]) =>
            metadataOf(resource)?.kind === "consumer" && metadataOf(resource)?.useCase === useCase,
        ) ?? [];
      const fn = id ? hosts.functions.get(id) : undefined;
      if (!fn) throw new Error(`the template has no consumer for ${useCase}`);
      await fn.setEventSourceEnabled(enabled);
    },
    depth,
    async drained(which, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let quiet = 0;
      while (quiet < 2) {
        if (Date.now() > deadline) throw new Error(`queues not drained within ${timeoutMs} ms`);
        await new Promise((resolveSleep) => setTimeout(resolveSleep, 100));
        const depths = await Promise.all(which.map((queue) => depth(queue.url)));
        quiet = depths.every((d) => d.visible + d.inFlight + d.delayed === 0) ? quiet + 1 : 0;
      }
    },
  };
}

async function queueDepths(sqs: SQSClient, url: string): Promise<QueueDepth> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}
