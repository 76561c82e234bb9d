import { describe, expect, it } from "vitest";
import { logSafeText, logSafeTextMaxChars } from "./log-safe-text.ts";

describe("logSafeText", () => {
  it("keeps a plain reason as it is", () => {
    expect(logSafeText("unknown service code")).toBe("unknown service code");
  });

  it("removes quoted values, e-mail addresses and numbers a transport system echoes back", () => {
    const echoed =
      "Receiver 'Anna Svensson' at \"Storgatan 1\" invalid: postcode 123 45, phone +46 70-123 45 67, mail anna.svensson@example.se";
    const safe = logSafeText(echoed);
    for (const personal of ["Anna", "Storgatan", "123 45", "70-123", "anna.svensson", "example.se"]) {
      expect(safe).not.toContain(personal);
    }
    expect(safe).toBe('Receiver "…" at "…" invalid: postcode [number], phone [number], mail [email]');
  });

  it("cuts long text short and flattens control characters", () => {
    const safe = logSafeText(`line one\nline two\t${"x".repeat(500)}`);
    expect(safe.length).toBe(logSafeTextMaxChars);
    expect(safe).toMatch(/^line one line two x+…$/);
  });
});
