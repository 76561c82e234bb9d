/**
 * Every relative link in README.md and docs/*.md resolves: the file exists, and an `#anchor` names a heading of
 * that file by GitHub's slug rules (github-slugger, duplicates numbered). Links inside code are not links.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import GithubSlugger from "github-slugger";
import { lexer, type Token, type Tokens } from "marked";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const documents = [
  join(root, "README.md"),
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => join(root, "docs", name)),
];

/** The text GitHub slugs a heading from: inline code keeps its content, emphasis and links their text. */
function plainText(tokens: Token[]): string {
  return tokens
    .map((token) => {
      if ("tokens" in token && token.tokens) return plainText(token.tokens);
      if (token.type === "codespan" || token.type === "text" || token.type === "escape") return token.text;
      return "";
    })
    .join("");
}

/** Walks every token, nested ones (lists, tables, blockquotes, emphasis) included. */
function walk(tokens: Token[], visit: (token: Token) => void): void {
  for (const token of tokens) {
    visit(token);
    if (token.type === "table") {
      const table = token as Tokens.Table;
      for (const cell of [...table.header, ...table.rows.flat()]) walk(cell.tokens, visit);
    }
    if (token.type === "list") for (const item of (token as Tokens.List).items) walk(item.tokens, visit);
    if ("tokens" in token && token.tokens) walk(token.tokens, visit);
  }
}

interface Parsed {
  anchors: Set<string>;
  links: string[];
}

const parsed = new Map<string, Parsed>();
function parse(file: string): Parsed {
  const cached = parsed.get(file);
  if (cached) return cached;
  const slugger = new GithubSlugger();
  const result: Parsed = { anchors: new Set(), links: [] };
  walk(lexer(readFileSync(file, "utf8")), (token) => {
    if (token.type === "heading")
      result.anchors.add(slugger.slug(plainText((token as Tokens.Heading).tokens)));
    if (token.type === "link" || token.type === "image") result.links.push((token as Tokens.Link).href);
  });
  parsed.set(file, result);
  return result;
}

/** Relative links only: a scheme (https:, mailto:) or a protocol-relative URL is not ours to check. */
const isRelative = (href: string) => !/^[a-z][a-z0-9+.-]*:/i.test(href) && !href.startsWith("//");

function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const href of parse(file).links.filter(isRelative)) {
    const [path, anchor] = href.split("#", 2) as [string, string | undefined];
    const target = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
    if (!existsSync(target)) {
      broken.push(`${href}: no file ${relative(root, target)}`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!target.endsWith(".md") || statSync(target).isDirectory()) {
      broken.push(`${href}: an anchor into ${relative(root, target)}, which is not a Markdown file`);
    } else if (!parse(target).anchors.has(decodeURIComponent(anchor))) {
      broken.push(`${href}: no heading #${anchor} in ${relative(root, target)}`);
    }
  }
  return broken;
}

describe("documentation links", () => {
  it("finds the README and the docs", () => {
    expect(documents.length).toBeGreaterThan(1);
    expect(parse(join(root, "README.md")).links.length).toBeGreaterThan(0);
  });

  it.each(documents.map((file) => [relative(root, file), file]))(
    "%s: every relative link and anchor resolves",
    (_name, file) => {
      expect(brokenLinks(file)).toEqual([]);
    },
  );

  it("slugs headings as GitHub does", () => {
    const slugger = new GithubSlugger();
    const heading = (lexer("## Use-case 2: `transport-booking` (REST & SOAP)\n")[0] as Tokens.Heading).tokens;
    expect(slugger.slug(plainText(heading))).toBe("use-case-2-transport-booking-rest--soap");
    expect(slugger.slug(plainText(heading))).toBe("use-case-2-transport-booking-rest--soap-1");
  });

  it("reports a missing file, a missing heading and an anchor into a non-Markdown file", () => {
    const dir = mkdtempSync(join(tmpdir(), "docs-links-"));
    try {
      writeFileSync(join(dir, "b.md"), "# Title\n\n## Same\n\n## Same\n");
      writeFileSync(join(dir, "c.txt"), "text\n");
      const links = [
        "b.md#title",
        "b.md#same-1",
        "#local",
        "b.md#same-2",
        "missing.md",
        "c.txt#x",
        "https://x.y/z",
      ];
      writeFileSync(
        join(dir, "a.md"),
        `# Local\n\n${links.map((l) => `[l](${l})`).join(" ")}\n\n\`[no](nowhere.md)\`\n`,
      );
      expect(brokenLinks(join(dir, "a.md")).map((line) => line.split(":")[0])).toEqual([
        "b.md#same-2",
        "missing.md",
        "c.txt#x",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
