import { describe, expect, it } from "vitest";
import { escapeJavaScript, evaluateMappingTemplate, javaUrlEncode } from "./api-gateway-vtl.ts";

const render = (template: string, input: Parameters<typeof evaluateMappingTemplate>[1] = {}) =>
  evaluateMappingTemplate(template, input).output;

describe("$util", () => {
  it("urlEncode behaves like Java's URLEncoder (space → +, * kept, ~ → %7E, UTF-8 bytes)", () => {
    expect(javaUrlEncode("a b*c~d-e_f.g")).toBe("a+b*c%7Ed-e_f.g");
    expect(javaUrlEncode("&=+%/?#\"'")).toBe("%26%3D%2B%25%2F%3F%23%22%27");
    expect(javaUrlEncode("åä😀\n")).toBe("%C3%A5%C3%A4%F0%9F%98%80%0A");
    expect(render("$util.urlEncode($input.body)", { body: "x y" })).toBe("x+y");
    expect(render("$util.urlDecode('a+b%C3%A5')")).toBe("a bå");
  });

  it("escapeJavaScript behaves like Commons Lang's (quotes, slash, control and non-ASCII characters)", () => {
    expect(escapeJavaScript(`it's "q" \\ / \n\t\r\b\f \u0001 å 😀`)).toBe(
      `it\\'s \\"q\\" \\\\ \\/ \\n\\t\\r\\b\\f \\u0001 \\u00E5 \\uD83D\\uDE00`,
    );
  });

  it("parseJson, base64Encode and base64Decode", () => {
    expect(render(`#set($o = $util.parseJson('{"a":{"b":"c"}}'))$o.a.b`)).toBe("c");
    expect(render("$util.base64Encode('åäö')")).toBe(Buffer.from("åäö").toString("base64"));
    expect(render(`$util.base64Decode('${Buffer.from("hej 😀").toString("base64")}')`)).toBe("hej 😀");
  });
});

describe("$input", () => {
  const body = '{"order":{"id":12,"lines":[{"sku":"A"},{"sku":"B"}]},"name":"Åsa"}';

  it("body is the raw body, with Java String methods", () => {
    expect(render("$input.body", { body })).toBe(body);
    expect(render("$input.body.length()", { body: "åäö😀" })).toBe("5");
    expect(render("#if($input.body.contains('Åsa'))yes#end", { body })).toBe("yes");
    expect(render("$input.body.replaceAll('[0-9]+', 'N')", { body: "a1b22" })).toBe("aNbN");
  });

  it("path and json follow JSONPath", () => {
    expect(render("$input.path('$.order.id')", { body })).toBe("12");
    expect(render("$input.path('$.order.lines[1].sku')", { body })).toBe("B");
    expect(render("$input.json('$.order.lines[0]')", { body })).toBe('{"sku":"A"}');
    expect(render("#foreach($line in $input.path('$.order.lines'))$line.sku#end", { body })).toBe("AB");
    expect(render("#if($input.path('$.name') == 'Åsa')eq#end", { body })).toBe("eq");
  });

  it("params finds path, query string and header values (headers case-insensitively)", () => {
    const input = {
      pathParameters: { id: "7" },
      queryString: { q: "s" },
      headers: { "X-Auth-Token": "t" },
    };
    expect(render("$input.params('id')-$input.params('q')-$input.params('x-auth-token')", input)).toBe(
      "7-s-t",
    );
    expect(render("$input.params().path.id $input.params().querystring.q", input)).toBe("7 s");
    expect(render("[$input.params('missing')]", input)).toBe("[]");
  });
});

describe("$context and $stageVariables", () => {
  it("exposes context values and records response and request overrides", () => {
    const result = evaluateMappingTemplate(
      "#set($context.responseOverride.status = 413)#set($context.responseOverride.header.X-Reason = 'big')" +
        "#set($context.requestOverride.header.X-Trace = $context.requestId)$context.requestId $context.requestTimeEpoch $stageVariables.env",
      { context: { requestId: "r-1", requestTimeEpoch: 1700000000000 }, stageVariables: { env: "v1" } },
    );
    expect(result.output).toBe("r-1 1700000000000 v1");
    expect(result.responseOverride).toEqual({ status: 413, header: { "X-Reason": "big" } });
    expect(result.requestOverride.header).toEqual({ "X-Trace": "r-1" });
  });

  it("leaves the status alone when no override is set", () => {
    expect(evaluateMappingTemplate("ok").responseOverride.status).toBeUndefined();
  });
});

describe("Java String methods", () => {
  it("replaceAll follows Java's replacement syntax: backslash escapes, numbered and named groups", () => {
    expect(render("$input.body.replaceAll('(a)(b)', '$2$1')", { body: "xaby" })).toBe("xbay");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Java's named-group reference, not a JavaScript template
    expect(render("$input.body.replaceAll('(?<first>a)', '[${first}]')", { body: "aba" })).toBe("[a]b[a]");
    expect(render("$input.body.replaceAll('a', '\\$1\\\\')", { body: "bab" })).toBe("b$1\\b");
    expect(render("$input.body.replaceAll('\\uFFFF', '\\\\uffff')", { body: '"x\uFFFFy"' })).toBe(
      '"x\\uffffy"',
    );
  });
});
