/**
 * docs/dependencies.md says why each package is here: every package in package.json has a row, and every row
 * names packages that package.json has. A row may name several (`@aws-lambda-powertools/logger`, `metrics`: the
 * second in the first one's scope) or a pattern (`@aws-sdk/client-*`).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { lexer, type Tokens } from "marked";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const installed = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];

/** The package names (or patterns) in the first column of the docs' tables. */
function documentedNames(): string[] {
  const names: string[] = [];
  for (const token of lexer(readFileSync(join(root, "docs", "dependencies.md"), "utf8"))) {
    if (token.type !== "table") continue;
    for (const row of (token as Tokens.Table).rows) {
      let scope: string | undefined;
      for (const span of row[0]?.tokens.filter((t) => t.type === "codespan") ?? []) {
        const name = (span as Tokens.Codespan).text;
        if (name.startsWith("@")) scope = name.split("/")[0];
        names.push(!name.startsWith("@") && scope ? `${scope}/${name}` : name);
      }
    }
  }
  return names;
}

const matches = (pattern: string, name: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(name);

describe("docs/dependencies.md", () => {
  const documented = documentedNames();

  it("has a row for every package in package.json", () => {
    expect(installed.filter((name) => !documented.some((pattern) => matches(pattern, name)))).toEqual([]);
  });

  it("names only packages that package.json has", () => {
    expect(documented.filter((pattern) => !installed.some((name) => matches(pattern, name)))).toEqual([]);
  });
});
