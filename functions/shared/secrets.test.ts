import { describe, expect, it } from "vitest";
import { useLocalAws } from "../../test/support/env.ts";

const aws = useLocalAws({
  secrets: { plain: "s3cret", json: '{"username":"u","password":"p"}', bad: "{" },
});

describe("secrets", () => {
  it("reads string and JSON secrets over the wire, and classifies failures", async () => {
    const { getSecretJson, getSecretString } = await import("./secrets.ts");
    expect(await getSecretString("plain")).toBe("s3cret");
    expect(await getSecretJson("json")).toEqual({ username: "u", password: "p" });
    await expect(getSecretJson("bad")).rejects.toMatchObject({
      name: "PermanentError",
      code: "secret-not-json",
    });
    await expect(getSecretString("missing")).rejects.toMatchObject({
      name: "PermanentError",
      code: "secret-unavailable",
    });
  });

  it("caches a secret until forced to re-read it (rotation)", async () => {
    const { getSecretString } = await import("./secrets.ts");
    aws.secrets.put("rotating", "one");
    expect(await getSecretString("rotating")).toBe("one");
    aws.secrets.put("rotating", "two");
    expect(await getSecretString("rotating")).toBe("one");
    expect(await getSecretString("rotating", { forceFetch: true })).toBe("two");
  });
});
