/**
 * Evaluates API Gateway (REST) mapping templates the way API Gateway does, on amplify-velocity-template:
 * `$input` (body, json, path, params), `$util` (urlEncode/urlDecode as Java's URLEncoder/URLDecoder,
 * escapeJavaScript as Commons Lang's, parseJson, base64Encode/Decode), `$context` (with `requestOverride` and
 * `responseOverride`) and `$stageVariables`. Used by the tests and by the local ingress stand-in, so the local
 * stack runs the SYNTHESIZED templates rather than a copy of their logic.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const velocity = require("amplify-velocity-template") as {
  parse(template: string): unknown;
  Compile: new (
    asts: unknown,
    config: { escape: boolean },
  ) => { render(context: Record<string, unknown>, macros?: unknown): string };
};

/** Parsed templates: a stack has a few, evaluated on every request. */
const parsedTemplates = new Map<string, unknown>();
function parsed(template: string): unknown {
  let ast = parsedTemplates.get(template);
  if (ast === undefined) {
    ast = velocity.parse(template);
    // Tests evaluate many one-off templates; a stack's own few stay well under this.
    if (parsedTemplates.size >= 100) parsedTemplates.clear();
    parsedTemplates.set(template, ast);
  }
  return ast;
}

/** A Java string as VTL sees it: `length()`, `contains()`, `replaceAll()`, … on top of the JavaScript string. */
export class JavaString {
  constructor(private readonly value: string) {}
  toString(): string {
    return this.value;
  }
  valueOf(): string {
    return this.value;
  }
  toJSON(): string {
    return this.value;
  }
  length(): number {
    return this.value.length;
  }
  isEmpty(): boolean {
    return this.value.length === 0;
  }
  contains(part: unknown): boolean {
    return this.value.includes(String(part));
  }
  startsWith(part: unknown): boolean {
    return this.value.startsWith(String(part));
  }
  endsWith(part: unknown): boolean {
    return this.value.endsWith(String(part));
  }
  indexOf(part: unknown): number {
    return this.value.indexOf(String(part));
  }
  equals(other: unknown): boolean {
    return this.value === String(other);
  }
  equalsIgnoreCase(other: unknown): boolean {
    return this.value.toLowerCase() === String(other).toLowerCase();
  }
  substring(start: number, end?: number): JavaString {
    return new JavaString(this.value.substring(start, end));
  }
  replace(search: unknown, replacement: unknown): JavaString {
    return new JavaString(this.value.split(String(search)).join(String(replacement)));
  }
  replaceAll(pattern: unknown, replacement: unknown): JavaString {
    const template = String(replacement);
    return new JavaString(
      this.value.replace(new RegExp(String(pattern), "g"), (...args: unknown[]) => {
        // (match, group 1…n, offset, input[, named groups]): the groups end where the numeric offset is.
        const groups = args.slice(
          0,
          args.findIndex((arg) => typeof arg === "number"),
        ) as string[];
        const named = args.at(-1);
        return javaReplacement(
          template,
          groups,
          typeof named === "object" && named !== null ? (named as Record<string, string>) : undefined,
        );
      }),
    );
  }
  toLowerCase(): JavaString {
    return new JavaString(this.value.toLowerCase());
  }
  toUpperCase(): JavaString {
    return new JavaString(this.value.toUpperCase());
  }
  trim(): JavaString {
    return new JavaString(this.value.trim());
  }
  matches(pattern: unknown): boolean {
    return new RegExp(`^(?:${String(pattern)})$`).test(this.value);
  }
  split(pattern: unknown): JavaString[] {
    return this.value.split(new RegExp(String(pattern))).map((part) => new JavaString(part));
  }
}

/**
 * Java's `Matcher.replaceAll` replacement: `\x` is x itself, `$n` and `${name}` are groups; anything else is
 * literal (JavaScript's `$&`, `$$` and kept backslashes differ).
 */
function javaReplacement(
  template: string,
  groups: readonly (string | undefined)[],
  named: Record<string, string | undefined> | undefined,
): string {
  let result = "";
  for (let index = 0; index < template.length; index++) {
    const char = template[index];
    if (char === "\\") {
      result += template[++index] ?? "";
    } else if (char === "$") {
      const name = /^\{(\w+)\}/.exec(template.slice(index + 1));
      const digits = /^\d/.exec(template.slice(index + 1));
      if (name?.[1] !== undefined) {
        result += named?.[name[1]] ?? "";
        index += name[0].length;
      } else if (digits) {
        result += groups[Number(digits[0])] ?? "";
        index += 1;
      } else throw new Error(`Illegal group reference in replacement: ${template}`);
    } else result += char;
  }
  return result;
}

const text = (value: unknown): string => (value === undefined || value === null ? "" : String(value));

/** Java's `URLEncoder.encode(s, "UTF-8")`: letters, digits and `.-*_` kept, space → `+`, the rest %XX. */
export function javaUrlEncode(value: string): string {
  let encoded = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9.\-*_]/.test(char)) encoded += char;
    else if (char === " ") encoded += "+";
    else encoded += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

/** Java's `URLDecoder.decode(s, "UTF-8")`. */
export function javaUrlDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, " "));
}

/** Commons Lang 2 `StringEscapeUtils.escapeJavaScript`, which API Gateway's `$util.escapeJavaScript` is. */
export function escapeJavaScript(value: string): string {
  let escaped = "";
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    const unit = (c: number) => `\\u${c.toString(16).toUpperCase().padStart(4, "0")}`;
    if (code > 0xffff) {
      escaped += [...char.split("").map((part) => unit(part.charCodeAt(0)))].join("");
    } else if (code > 0x7f) escaped += unit(code);
    else if (code < 32) {
      const named: Record<number, string> = { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r" };
      escaped += named[code] ?? unit(code);
    } else if (char === "'" || char === '"' || char === "\\" || char === "/") escaped += `\\${char}`;
    else escaped += char;
  }
  return escaped;
}

/** The JSONPath subset mapping templates use: `$`, `$.a.b`, `$['a']`, `$.a[0]`. */
export function jsonPath(document: unknown, path: string): unknown {
  const trimmed = path.trim();
  if (!trimmed.startsWith("$")) throw new Error(`not a JSONPath expression: ${path}`);
  const steps = [...trimmed.slice(1).matchAll(/\.([^.[\]]+)|\[\s*(?:'([^']*)'|"([^"]*)"|(\d+))\s*\]/g)].map(
    (match) => match[1] ?? match[2] ?? match[3] ?? Number(match[4]),
  );
  let node: unknown = document;
  for (const step of steps) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[step];
  }
  return node;
}

/** Wraps strings (deeply) as JavaStrings so VTL can call Java methods on them. */
function toVtl(value: unknown): unknown {
  if (typeof value === "string") return new JavaString(value);
  if (Array.isArray(value)) return value.map(toVtl);
  if (value !== null && typeof value === "object" && !(value instanceof JavaString)) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, toVtl(entry)]));
  }
  return value;
}

export interface MappingTemplateInput {
  /** The raw request (or integration response) body. */
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly queryString?: Readonly<Record<string, string>>;
  readonly pathParameters?: Readonly<Record<string, string>>;
  /** `$context` values (requestId, requestTimeEpoch, error, …); `requestOverride`/`responseOverride` are added. */
  readonly context?: Readonly<Record<string, unknown>>;
  readonly stageVariables?: Readonly<Record<string, string>>;
}

export interface MappingTemplateResult {
  readonly output: string;
  /** What the template set on `$context.responseOverride` (status, headers). */
  readonly responseOverride: { readonly status?: number; readonly header: Record<string, string> };
  /** What the template set on `$context.requestOverride` (headers, path, query string). */
  readonly requestOverride: {
    readonly header: Record<string, string>;
    readonly path: Record<string, string>;
    readonly querystring: Record<string, string>;
  };
}

/** Evaluates one mapping template as API Gateway would. */
export function evaluateMappingTemplate(
  template: string,
  input: MappingTemplateInput = {},
): MappingTemplateResult {
  const body = input.body ?? "";
  const headers = input.headers ?? {};
  const queryString = input.queryString ?? {};
  const pathParameters = input.pathParameters ?? {};
  const parsedBody = (): unknown => (body === "" ? {} : JSON.parse(body));
  const findHeader = (name: string) =>
    Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];

  const $input = {
    body: new JavaString(body),
    path: (path: unknown) => toVtl(jsonPath(parsedBody(), text(path))),
    json: (path: unknown) => new JavaString(JSON.stringify(jsonPath(parsedBody(), text(path))) ?? ""),
    params: (name?: unknown) => {
      if (name === undefined) {
        return toVtl({
          path: { ...pathParameters },
          querystring: { ...queryString },
          header: { ...headers },
        });
      }
      const key = text(name);
      const value = pathParameters[key] ?? queryString[key] ?? findHeader(key);
      return value === undefined ? new JavaString("") : new JavaString(value);
    },
  };
  const $util = {
    urlEncode: (value: unknown) => new JavaString(javaUrlEncode(text(value))),
    urlDecode: (value: unknown) => new JavaString(javaUrlDecode(text(value))),
    escapeJavaScript: (value: unknown) => new JavaString(escapeJavaScript(text(value))),
    parseJson: (value: unknown) => toVtl(JSON.parse(text(value))),
    base64Encode: (value: unknown) => new JavaString(Buffer.from(text(value), "utf8").toString("base64")),
    base64Decode: (value: unknown) => new JavaString(Buffer.from(text(value), "base64").toString("utf8")),
  };
  const responseOverride = { header: {} as Record<string, unknown>, status: undefined as unknown };
  const requestOverride = { header: {}, path: {}, querystring: {} } as Record<
    string,
    Record<string, unknown>
  >;
  const $context = {
    ...(toVtl(input.context ?? {}) as Record<string, unknown>),
    responseOverride,
    requestOverride,
  };

  const output = new velocity.Compile(parsed(template), { escape: false }).render({
    input: $input,
    util: $util,
    context: $context,
    stageVariables: toVtl(input.stageVariables ?? {}),
  });

  const strings = (record: Record<string, unknown> | undefined) =>
    Object.fromEntries(Object.entries(record ?? {}).map(([key, value]) => [key, text(value)]));
  const status = responseOverride.status;
  return {
    output,
    responseOverride: {
      ...(status === undefined || status === "" ? {} : { status: Number(text(status)) }),
      header: strings(responseOverride.header),
    },
    requestOverride: {
      header: strings(requestOverride.header),
      path: strings(requestOverride.path),
      querystring: strings(requestOverride.querystring),
    },
  };
}
