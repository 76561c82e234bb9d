/**
 * The stack at production scale: 1,000 goods owners, each with its own secret, transporters and mail branding,
 * stays inside Lambda's and CloudFormation's hard limits, because per-goods-owner settings travel as a file in
 * the functions' bundles (not in their environments) and their secrets are granted by one name prefix.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaleContext } from "../test/support/goods-owners.ts";
import { createApp } from "./app.ts";

const cdkContext = (
  JSON.parse(readFileSync(new URL("../cdk.json", import.meta.url), "utf8")) as {
    context: Record<string, unknown>;
  }
).context;

/** What a CloudFormation reference resolves to at most here (an ARN, a queue URL), for size estimates. */
const resolvedTokenChars = 160;

/** JSON with every intrinsic function (`Ref`, `Fn::*`) counted as a resolved value of resolvedTokenChars. */
function resolvedLength(value: unknown): number {
  const text = JSON.stringify(value, (_key, node: unknown) => {
    if (node && typeof node === "object" && !Array.isArray(node)) {
      const keys = Object.keys(node);
      if (keys.length === 1 && (keys[0] === "Ref" || keys[0]?.startsWith("Fn::")))
        return "x".repeat(resolvedTokenChars);
    }
    return node;
  });
  return text.length;
}

let outdir: string;
let template: Record<string, unknown>;
let resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), "ongoing-webhooks-scale-"));
  const { app, stack } = createApp({
    // Bundling is skipped (the template is what is measured); the local stack test bundles the same config.
    context: { ...cdkContext, "aws:cdk:bundling-stacks": [], ...scaleContext(1000) },
    outdir,
  });
  app.synth();
  template = Template.fromStack(stack).toJSON() as Record<string, unknown>;
  resources = template.Resources as typeof resources;
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("1,000 goods owners", () => {
  it("keeps the template under CloudFormation's 1 MB and 500 resources", () => {
    expect(JSON.stringify(template).length).toBeLessThan(1_000_000);
    expect(Object.keys(resources).length).toBeLessThanOrEqual(500);
  });

  it("keeps every function's environment under Lambda's 4 KB, with no goods owner in it", () => {
    const functions = Object.values(resources).filter(
      (resource) => resource.Type === "AWS::Lambda::Function",
    );
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const variables = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      if (!variables) continue;
      // Lambda counts keys and values; the JSON with resolved references is an upper bound.
      expect(resolvedLength(variables)).toBeLessThanOrEqual(4096);
      expect(JSON.stringify(variables)).not.toContain("goods-owner-1158");
    }
  });

  it("keeps each role's inline policies under IAM's 10,240 characters, granting the secrets by prefix", () => {
    const byRole = new Map<string, number>();
    for (const resource of Object.values(resources)) {
      if (resource.Type !== "AWS::IAM::Policy") continue;
      const roles = (resource.Properties?.Roles as { Ref: string }[] | undefined) ?? [];
      for (const role of roles) {
        byRole.set(
          role.Ref,
          (byRole.get(role.Ref) ?? 0) + resolvedLength(resource.Properties?.PolicyDocument),
        );
      }
    }
    expect(byRole.size).toBeGreaterThan(0);
    for (const [role, chars] of byRole) expect(chars, role).toBeLessThanOrEqual(10_240);
    const text = JSON.stringify(template);
    expect(text).toContain(":secret:ongoing-webhooks/goods-owners/*");
    expect(text).not.toContain("ongoing-webhooks/goods-owners/1158");
  });

  it("writes the goods owners into one bundled file, read by the functions' own schema", () => {
    const file = JSON.parse(readFileSync(goodsOwnersFileIn(outdir), "utf8")) as Record<string, unknown>;
    expect(Object.keys(file)).toHaveLength(1000);
    expect(file["1158"]).toMatchObject({ email: { fromAddress: "goods-owner-1158@example.com" } });
  });
});

function goodsOwnersFileIn(dir: string): string {
  const root = join(dir, "bundled-files");
  const found = readdirSync(root, { recursive: true, encoding: "utf8" }).find((path) =>
    path.endsWith("goods-owners.json"),
  );
  if (!found) throw new Error("no goods-owners.json written");
  return join(root, found);
}
