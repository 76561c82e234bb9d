import { describe, expect, it } from "vitest";
import { checkLambdaEnvironment, InvalidParameterValueException } from "./aws-limits.ts";

describe("checkLambdaEnvironment", () => {
  // {"A":"…"} is 8 bytes of JSON around the value.
  const environment = (valueBytes: number, character = "x") => ({
    A: character.repeat(valueBytes / Buffer.byteLength(character)),
  });

  it("takes an environment whose JSON is exactly 4 KB", () => {
    expect(() => checkLambdaEnvironment("f", environment(4096 - 8))).not.toThrow();
  });

  it("refuses one byte more with Lambda's message, measured in UTF-8 bytes of the variables' JSON", () => {
    expect(() => checkLambdaEnvironment("f", environment(4096 - 7))).toThrow(InvalidParameterValueException);
    // "å" is two bytes: 2045 of them are 4098 bytes of JSON, though only 2053 characters.
    expect(() => checkLambdaEnvironment("orders", environment(4088, "å"))).not.toThrow();
    expect(() => checkLambdaEnvironment("orders", environment(4090, "å"))).toThrow(
      `orders: Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {"A":"${"å".repeat(2045)}"}`,
    );
  });
});
