import { describe, expect, it } from "vitest";
import { secureUrl, transportBookingSettingsSchema } from "./settings.ts";

describe("secureUrl (the transport adapter's URL)", () => {
  it("takes https anywhere and plain http only to a loopback host", () => {
    for (const url of [
      "https://transport.example.com/bookings",
      "http://127.0.0.1:4010/b",
      "http://localhost/b",
    ])
      expect(secureUrl.safeParse(url).success).toBe(true);
    for (const url of ["http://transport.example.com/bookings", "http://10.0.0.5/b", "ftp://127.0.0.1/b"])
      expect(secureUrl.safeParse(url).success).toBe(false);
  });

  it("is what the transport-booking function reads TRANSPORT_ADAPTER_URL with", () => {
    const url = transportBookingSettingsSchema.shape.TRANSPORT_ADAPTER_URL;
    expect(url.safeParse("http://transport.example.com/bookings").success).toBe(false);
    expect(url.safeParse(undefined).success).toBe(true);
  });
});
