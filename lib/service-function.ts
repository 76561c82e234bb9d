/**
 * One Lambda function of this app: the same runtime, architecture, bundling, tracing and log retention for
 * every function, bundled from its TypeScript entry by the locally installed esbuild (never Docker).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Duration, RemovalPolicy, Stage, Token, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

export interface ServiceFunctionProps {
  /** Absolute path of the handler's TypeScript entry (exports `handler`). */
  readonly entry: string;
  /** Plain settings (never secrets); undefined values are left out. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /**
   * JSON files written into the bundle beside the handler (file name → value): settings that grow with the
   * deployment (Lambda allows 4 KB of environment in all), named by the environment. @default none
   */
  readonly bundledFiles?: Readonly<Record<string, unknown>>;
  /** Powertools service name: the `service` dimension of the function's metrics and logs. */
  readonly serviceName: string;
  /** @default 30 */
  readonly timeoutSeconds?: number;
  /** @default 256 */
  readonly memoryMb?: number;
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
  /** Retention of the function's log group. @default 30 */
  readonly logRetentionDays?: number;
  readonly description?: string;
}

const shellQuote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;

/**
 * Writes each file once into the cloud assembly (named by its content's hash) and copies it into the bundle
 * after esbuild ran; the asset's hash is the bundle's output, so a changed file is a new deployment of the code.
 */
function copyIntoBundle(scope: Construct, files: Readonly<Record<string, unknown>>) {
  const sources = Object.entries(files).map(([name, value]) => {
    if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith(".")) {
      throw new Error(`${scope.node.path}: bundled file name "${name}" must be a plain file name`);
    }
    const content = JSON.stringify(value);
    const hash = createHash("sha256").update(content).digest("hex").slice(0, 32);
    const dir = join(Stage.of(scope)?.outdir ?? ".", "bundled-files", hash);
    const file = join(dir, name);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, content);
    }
    return { name, file };
  });
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) =>
      sources.map(({ name, file }) => `cp ${shellQuote(file)} ${shellQuote(join(outputDir, name))}`),
  };
}

/** Lambda's limit on a function's environment: all keys and values together. */
export const lambdaEnvironmentLimitBytes = 4096;
/** What a CloudFormation reference (a queue URL, a table name, an ARN) may resolve to, at most, here. */
const resolvedTokenBytes = 256;

/** Fails synth, naming the largest variables, when the environment cannot fit Lambda's 4 KB once deployed. */
function requireEnvironmentWithinLimit(path: string, environment: Record<string, string>): void {
  const sizes = Object.entries(environment).map(([key, value]) => ({
    key,
    bytes:
      Buffer.byteLength(key) + (Token.isUnresolved(value) ? resolvedTokenBytes : Buffer.byteLength(value)),
  }));
  const total = sizes.reduce((sum, { bytes }) => sum + bytes, 0);
  if (total <= lambdaEnvironmentLimitBytes) return;
  const largest = sizes
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3)
    .map(({ key, bytes }) => `${key} (${bytes} bytes)`);
  throw new Error(
    `${path}: the function's environment needs up to ${total} bytes, over Lambda's ${lambdaEnvironmentLimitBytes}; ` +
      `largest: ${largest.join(", ")}. Move what grows with the configuration into bundledFiles`,
  );
}

/** Output is ESM; this banner gives bundled CommonJS dependencies the `require` they expect. */
const esmRequireBanner =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const timeoutSeconds = props.timeoutSeconds ?? 30;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 900) {
      throw new Error(
        `${this.node.path}: timeoutSeconds must be a whole number 1–900, got ${timeoutSeconds}`,
      );
    }
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: (props.logRetentionDays ?? 30) as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const environment = Object.fromEntries(
      Object.entries({
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: "OngoingWebhooks",
        // Stack traces point into the TypeScript sources via the bundled source maps.
        NODE_OPTIONS: "--enable-source-maps",
      }).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    requireEnvironmentWithinLimit(this.node.path, environment);
    // Its own role with write access to its own log group only, instead of the AWS-managed basic execution role.
    const role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `Runs ${props.serviceName}`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, "Function", {
      role,
      entry: props.entry,
      handler: "handler",
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMb ?? 256,
      timeout: Duration.seconds(timeoutSeconds),
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      description: props.description,
      environment,
      bundling: {
        format: OutputFormat.ESM,
        target: "node24",
        mainFields: ["module", "main"],
        banner: esmRequireBanner,
        minify: true,
        sourceMap: true,
        // Bundle the AWS SDK too, so the versions tested are the versions run.
        externalModules: [],
        forceDockerBundling: false,
        ...(props.bundledFiles && Object.keys(props.bundledFiles).length > 0
          ? { commandHooks: copyIntoBundle(this, props.bundledFiles) }
          : {}),
      },
    });
    if (props.tracing) {
      Validations.of(role).acknowledge({
        id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        reason: "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions",
      });
    }
  }
}
