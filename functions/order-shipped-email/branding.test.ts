import { describe, expect, it } from "vitest";
import { languageFor } from "./branding.ts";

describe("languageFor", () => {
  it("writes Swedish to Sweden and English elsewhere", () => {
    expect(languageFor({ language: "auto" }, "SE")).toBe("sv");
    expect(languageFor({ language: "auto" }, " se")).toBe("sv");
    expect(languageFor({ language: "auto" }, "NO")).toBe("en");
    expect(languageFor({ language: "auto" }, null)).toBe("en");
  });
  it("lets a goods owner fix the language", () => {
    expect(languageFor({ language: "sv" }, "US")).toBe("sv");
    expect(languageFor({ language: "en" }, "SE")).toBe("en");
  });
});
