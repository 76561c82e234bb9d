/** The circuit breakers' probe: a scheduled function that pauses and resumes the consumers of a failing dependency. */
import { Duration, type Stack, Validations } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { Consumer } from "../../functions/shared/contract/consumers.ts";
import { useCaseDependencies } from "../../functions/shared/contract/dependencies.ts";
import { type UseCase, useCases } from "../../functions/shared/contract/routes.ts";
import { stateKeyPrefixes } from "../../functions/shared/contract/state-keys.ts";
import type { Config } from "../config.ts";
import {
  breakerProbeEnvironment,
  ongoingBundledFiles,
  ongoingSecretGrants,
  type StackResources,
} from "../function-settings.ts";
import { tagResource } from "../metadata.ts";
import { ServiceFunction } from "../service-function.ts";
import { grantStateKeys } from "../state-keys.ts";
import type { UseCaseConsumer } from "../use-case-consumer.ts";
import { functionEntry } from "./naming.ts";
import { grantSecrets, secretsNamed } from "./secrets.ts";

export interface BreakerProbeProps {
  readonly config: Config;
  readonly resources: StackResources;
  readonly consumers: Readonly<Record<UseCase, UseCaseConsumer>>;
  /** The article reconcile's worker: behind Ongoing's breaker too, so paused and resumed with the use-cases. */
  readonly reconcileWorker?: UseCaseConsumer;
  readonly stateTable: dynamodb.ITable;
}

/**
 * The circuit breakers' probe, every `breaker.probeIntervalMinutes`: it may read the breaker items, ask each
 * dependency a cheap question, and pause or resume exactly the consumers' event source mappings.
 */
export function createBreakerProbe(
  scope: Stack,
  { config, resources, consumers: byUseCase, reconcileWorker, stateTable }: BreakerProbeProps,
): lambda.IFunction {
  const all: [Consumer, UseCaseConsumer | undefined][] = [
    ...useCases.map((useCase): [Consumer, UseCaseConsumer] => [useCase, byUseCase[useCase]]),
    ["article-reconcile", reconcileWorker],
  ];
  const consumers = all.flatMap(([useCase, consumer]) => {
    if (!consumer?.eventSource) return [];
    return [
      { useCase, consumer, mapping: consumer.eventSource, dependencies: [...useCaseDependencies[useCase]] },
    ];
  });
  const probe = new ServiceFunction(scope, "BreakerProbe", {
    entry: functionEntry("breaker-probe"),
    serviceName: "breaker-probe",
    environment: breakerProbeEnvironment(
      config,
      resources,
      consumers.map(({ useCase, consumer, mapping, dependencies }) => ({
        useCase,
        mappingId: mapping.eventSourceMappingId,
        queueUrl: consumer.queue.queueUrl,
        dependencies,
      })),
    ),
    timeoutSeconds: 60,
    memoryMb: 256,
    tracing: config.ingress.tracing,
    logRetentionDays: config.logRetentionDays,
    description: "Probes the dependencies of open circuit breakers and pauses or resumes the consumers",
    bundledFiles: ongoingBundledFiles(config),
  });
  const fn = probe.function;
  grantStateKeys(stateTable, fn, stateKeyPrefixes["breaker-probe"]);
  // The Automation login too: the probe asks the Automation API when a consumer behind the breaker uses it.
  grantSecrets(fn, ongoingSecretGrants(config, { automation: true }));
  grantSecrets(fn, secretsNamed(config.transport.adapterAuthSecretName));
  if (consumers.length > 0) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["lambda:GetEventSourceMapping", "lambda:UpdateEventSourceMapping"],
        resources: consumers.map(({ mapping }) => mapping.eventSourceMappingArn),
      }),
    );
  }
  for (const { consumer } of consumers) consumer.queue.grant(fn, "sqs:GetQueueAttributes");
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["ses:GetAccount"], resources: ["*"] }));
  if (fn.role) {
    Validations.of(fn.role).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
      reason: "SES GetAccount (the probe's look at sending and quota) has no resource-level permissions",
    });
  }
  new events.Rule(scope, "BreakerProbeSchedule", {
    description: "Probes the dependencies of open circuit breakers",
    schedule: events.Schedule.rate(Duration.minutes(config.breaker.probeIntervalMinutes)),
    targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
  });
  tagResource(fn, { kind: "breaker-probe" });

  // Article-sync keeps no state, but reads and moves its dependency's breaker: those items only.
  grantStateKeys(stateTable, byUseCase["article-sync"].function.function, stateKeyPrefixes["article-sync"]);
  return fn;
}
