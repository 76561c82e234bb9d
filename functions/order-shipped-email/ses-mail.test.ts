import { MessageRejected } from "@aws-sdk/client-ses";
import { describe, expect, it } from "vitest";
import { classifySesError } from "./ses-mail.ts";

const serviceError = (name: string, httpStatusCode: number) =>
  Object.assign(new Error(name), {
    name,
    $fault: httpStatusCode >= 500 ? "server" : "client",
    $metadata: { httpStatusCode },
  });

describe("classifySesError", () => {
  it("retries throttling and SES outages (the mail was not accepted)", () => {
    expect(classifySesError(serviceError("Throttling", 400))).toEqual({
      kind: "throttled",
      code: "Throttling",
    });
    expect(classifySesError(serviceError("TooManyRequestsException", 429)).kind).toBe("throttled");
    expect(classifySesError(serviceError("ServiceUnavailable", 503))).toEqual({
      kind: "unavailable",
      code: "ServiceUnavailable",
    });
  });

  it("does not know whether SES took the mail after a 500 or a gateway time-out", () => {
    expect(classifySesError(serviceError("InternalFailure", 500))).toEqual({
      kind: "outcome-unknown",
      code: "InternalFailure",
    });
    expect(classifySesError(serviceError("HTTP 504", 504)).kind).toBe("outcome-unknown");
  });

  it("treats rejections as permanent", () => {
    const rejected = new MessageRejected({
      message: "Email address is not verified.",
      $metadata: { httpStatusCode: 400 },
    });
    expect(classifySesError(rejected)).toEqual({ kind: "rejected", code: "MessageRejected" });
    expect(classifySesError(serviceError("MailFromDomainNotVerifiedException", 400)).kind).toBe("rejected");
    expect(classifySesError(serviceError("ConfigurationSetDoesNotExistException", 400)).kind).toBe(
      "rejected",
    );
  });

  it("tells a connection never made from one that may have reached SES", () => {
    expect(classifySesError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))).toEqual({
      kind: "not-delivered",
      code: "ECONNREFUSED",
    });
    expect(classifySesError(Object.assign(new Error("reset"), { code: "ECONNRESET" })).kind).toBe(
      "outcome-unknown",
    );
    expect(classifySesError(Object.assign(new Error("aborted"), { name: "AbortError" })).kind).toBe(
      "outcome-unknown",
    );
  });
});
