/**
 * Size limits of the source (docs/architecture-rules.md): no TypeScript file over 400 lines, tests included. The
 * import rules are dependency-cruiser's (`npm run arch`); functions over 100 lines are Biome's.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = new URL("..", import.meta.url).pathname;
const maxLines = 400;
const sourceFolders = [
  "bin",
  "lib",
  "functions",
  "local",
  "simulators",
  "scripts",
  "test",
  "bench",
  "devkit",
];

function sourceFiles(): string[] {
  return sourceFolders.flatMap((folder) => {
    let names: string[];
    try {
      names = readdirSync(join(root, folder), { recursive: true, encoding: "utf8" });
    } catch {
      return []; // a folder that does not exist (yet) has no files
    }
    return names
      .filter((name) => name.endsWith(".ts") && !name.split("/").includes("node_modules"))
      .map((name) => relative(root, join(root, folder, name)));
  });
}

/** Lines as `wc -l` counts them (newlines), so the number matches what a reader measures. */
const lineCount = (file: string): number => readFileSync(join(root, file), "utf8").split("\n").length - 1;

describe("source size", () => {
  const lines = new Map(sourceFiles().map((file) => [file, lineCount(file)]));

  it(`has no TypeScript file over ${maxLines} lines`, () => {
    const tooLong = [...lines]
      .filter(([, count]) => count > maxLines)
      .map(([file, count]) => `${file}: ${count} lines`);
    expect(tooLong, "split these by subject").toEqual([]);
  });
});
