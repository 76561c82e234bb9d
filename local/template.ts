/**
 * Reads the synthesized CloudFormation template into what the local stack runs: queues, tables, functions
 * (their bundle directory, handler and environment), event-source mappings, the schedule and the REST API.
 * Intrinsics (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, …) are resolved to local names and URLs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Consumer } from "../functions/shared/contract/consumers.ts";

export const metadataKey = "OngoingWebhooks";

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
  readonly Outputs?: Record<string, unknown>;
}

/** The project's own metadata on key resources. */
export interface ResourceMetadata {
  readonly kind: "queue" | "deadLetterQueue" | "consumer" | "table" | "route" | string;
  readonly useCase?: Consumer;
  readonly table?: string;
  readonly bucket?: string;
  readonly routePath?: string;
}

/** A value as an object (an empty one when it is not one), to read template properties. */
export const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};

export function metadataOf(resource: CfnResource): ResourceMetadata | undefined {
  return resource.Metadata?.[metadataKey] as ResourceMetadata | undefined;
}

/** A synthesized cloud assembly: the directory, the stack's template and its asset directories. */
export interface Assembly {
  readonly dir: string;
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** S3 object key of a file asset → its directory in the assembly. */
  readonly assetDirs: ReadonlyMap<string, string>;
}

interface Manifest {
  artifacts?: Record<string, { type: string; properties?: { templateFile?: string; file?: string } }>;
}

/** Reads a cloud assembly (cdk.out) with exactly one stack. */
export function readAssembly(dir: string): Assembly {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
  const artifacts = Object.entries(manifest.artifacts ?? {});
  const stacks = artifacts.filter(([, artifact]) => artifact.type === "aws:cloudformation:stack");
  const [stack] = stacks;
  if (!stack || stacks.length !== 1) throw new Error(`expected one stack in ${dir}, found ${stacks.length}`);
  const [stackName, artifact] = stack;
  const template = JSON.parse(
    readFileSync(join(dir, artifact.properties?.templateFile ?? `${stackName}.template.json`), "utf8"),
  ) as CfnTemplate;
  const assetDirs = new Map<string, string>();
  for (const [, other] of artifacts) {
    if (other.type !== "cdk:asset-manifest" || !other.properties?.file) continue;
    const assets = JSON.parse(readFileSync(join(dir, other.properties.file), "utf8")) as {
      files?: Record<
        string,
        { source: { path: string; packaging?: string }; destinations: Record<string, { objectKey: string }> }
      >;
    };
    for (const file of Object.values(assets.files ?? {})) {
      for (const destination of Object.values(file.destinations)) {
        assetDirs.set(destination.objectKey, join(dir, file.source.path));
      }
    }
  }
  return { dir, stackName, template, assetDirs };
}

/** Where each resource is locally: what a Ref and a Fn::GetAtt of it resolve to. */
export interface LocalNames {
  readonly region: string;
  readonly accountId: string;
  ref(logicalId: string): string;
  getAtt(logicalId: string, attribute: string): string;
}

/** Resolves CloudFormation intrinsics in a value to plain strings. */
export function resolve(value: unknown, names: LocalNames): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => resolve(item, names));
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === "Ref" || first[0].startsWith("Fn::"))) {
    const [fn, arg] = first;
    return resolveIntrinsic(fn, arg, names);
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolve(item, names)]));
}

const pseudo = (name: string, names: LocalNames): string | undefined =>
  ({
    "AWS::Region": names.region,
    "AWS::AccountId": names.accountId,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "local",
    "AWS::NoValue": "",
  })[name];

function resolveIntrinsic(fn: string, arg: unknown, names: LocalNames): string | string[] {
  const asString = (item: unknown) => String(resolve(item, names));
  switch (fn) {
    case "Ref":
      return pseudo(String(arg), names) ?? names.ref(String(arg));
    case "Fn::GetAtt": {
      const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/);
      return names.getAtt(String(logicalId), String(attribute));
    }
    case "Fn::Join": {
      const [separator, items] = arg as [string, unknown[]];
      return (resolve(items, names) as unknown[]).map(String).join(separator);
    }
    case "Fn::Sub": {
      const [text, variables = {}] = Array.isArray(arg)
        ? (arg as [string, Record<string, unknown>])
        : [String(arg)];
      return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
        if (name in variables) return asString(variables[name]);
        const [logicalId, attribute] = name.split(/\.(.*)/);
        if (attribute) return names.getAtt(String(logicalId), attribute);
        return pseudo(name, names) ?? names.ref(name);
      });
    }
    case "Fn::Select": {
      const [index, list] = arg as [unknown, unknown];
      return String((resolve(list, names) as unknown[])[Number(resolve(index, names))]);
    }
    case "Fn::Split": {
      const [separator, text] = arg as [string, unknown];
      return asString(text).split(separator);
    }
    default:
      throw new Error(`cannot resolve ${fn} locally`);
  }
}

/** The resources of one CloudFormation type, by logical id. */
export function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** The logical id an intrinsic points at (`{Ref: X}`, `{Fn::GetAtt: [X, …]}`, or a Join/Sub mentioning X). */
export function referencedIds(value: unknown): string[] {
  if (typeof value !== "object" || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === "string") return [record.Ref];
  const getAtt = record["Fn::GetAtt"];
  if (getAtt !== undefined)
    return [Array.isArray(getAtt) ? String(getAtt[0]) : (String(getAtt).split(".")[0] ?? "")];
  const sub = record["Fn::Sub"];
  if (sub !== undefined) {
    const text = Array.isArray(sub) ? String(sub[0]) : String(sub);
    return [...text.matchAll(/\$\{([^}.!]+)/g)].map((match) => match[1] ?? "");
  }
  return Object.values(record).flatMap(referencedIds);
}
