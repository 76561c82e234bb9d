import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type OngoingOrder, orderSchema } from "../shared/ongoing/model.ts";
import { cleanText, mailView, renderShippedMail, safeLink, subjectMaxLength } from "./mail-content.ts";

/** Ongoing's official example order (status 500 Collected, consignee in the US). */
function exampleOrder(): OngoingOrder {
  const url = new URL(
    "../../simulators/ongoing/examples/official-rest-example-GET-order-response.json",
    import.meta.url,
  );
  return orderSchema.parse(JSON.parse(readFileSync(url, "utf8").replace(/^\uFEFF/, "")));
}

function withTracking(order: OngoingOrder): OngoingOrder {
  return {
    ...order,
    tracking: [
      {
        waybill: "UA65456546",
        trackingUrl: "https://tracking.example/?id=UA65456546&lang=sv",
        isReturn: false,
      },
      { waybill: "UE4534434", trackingUrl: "https://tracking.example/return", isReturn: true },
    ],
    parcels: (order.parcels ?? []).map((parcel) => ({
      ...parcel,
      tracking: { trackingUrl: `https://tracking.example/parcel/${parcel.parcelNumber}` },
    })),
  };
}

describe("renderShippedMail with Ongoing's example order", () => {
  it("writes English: subject, lines, tracking, parcels, address", () => {
    const mail = renderShippedMail(mailView(withTracking(exampleOrder()), { language: "en" }));
    expect(mail.subject).toBe("REST example: your order O1231234 has shipped");
    for (const body of [mail.html, mail.text]) {
      expect(body).toContain("What we shipped");
      expect(body).toContain("1009");
      expect(body).toContain("00376546546");
      expect(body).not.toContain("00371231232"); // the return parcel
      expect(body).toContain("Address 1");
      expect(body).toContain("12345 City");
      expect(body).toContain("United States");
      expect(body).toContain("PostNord Sweden AB");
    }
    expect(mail.html).toContain('<a href="https://tracking.example/?id&#x3D;UA65456546&amp;lang&#x3D;sv">');
    expect(mail.html).toContain('<a href="https://tracking.example/parcel/00376546546">');
    expect(mail.html).not.toContain("tracking.example/return");
    expect(mail.text).toContain("- 2 × 1009 (1009)");
    expect(mail.text).toContain("Waybill UA65456546: https://tracking.example/?id=UA65456546&lang=sv");
    expect(mail.html).toContain('<html lang="en">');
  });

  it("writes Swedish", () => {
    const mail = renderShippedMail(mailView(exampleOrder(), { language: "sv" }));
    expect(mail.subject).toBe("REST example: din order O1231234 har skickats");
    expect(mail.text).toContain("Det här skickades:");
    expect(mail.text).toContain("Leveransadress:");
    expect(mail.text).toContain("USA");
    expect(mail.html).toContain('<html lang="sv">');
  });

  it("uses the configured brand name over the goods owner's name", () => {
    const mail = renderShippedMail(mailView(exampleOrder(), { language: "en", brandName: "Acme" }));
    expect(mail.subject).toBe("Acme: your order O1231234 has shipped");
    expect(mail.text).toContain("from Acme");
  });
});

describe("hostile content from Ongoing", () => {
  const hostile = (): OngoingOrder => {
    const order = exampleOrder();
    return {
      ...order,
      goodsOwner: { ...order.goodsOwner, name: "Shop\r\nBcc: victim@example.com" },
      orderInfo: { ...order.orderInfo, orderNumber: `<b>1</b>\n${"9".repeat(500)}` },
      consignee: {
        ...order.consignee,
        name: '<script>alert("x")</script> 🎉👩‍👩‍👧',
        address1: "\u202Egnp.exe\u0000",
        city: "Åre".repeat(300),
      },
      tracking: [
        { waybill: "W1", trackingUrl: "javascript:alert(1)" },
        { waybill: "W2", trackingUrl: 'https://ok.example/"><script>' },
        { waybill: "W3", trackingUrl: "data:text/html,<script>" },
      ],
    };
  };

  it("renders names as text, never markup", () => {
    const mail = renderShippedMail(mailView(hostile(), { language: "en" }));
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 🎉👩‍👩‍👧");
    expect(mail.html).not.toContain("javascript:");
    expect(mail.html).not.toContain("data:text");
    expect(mail.html).toContain("https://ok.example/%22%3E%3Cscript%3E");
    expect(mail.text).toContain("Waybill W1\n");
  });

  it("keeps the subject on one line, free of control characters and capped", () => {
    const mail = renderShippedMail(mailView(hostile(), { language: "en" }));
    expect(mail.subject).not.toMatch(/[\r\n\p{Cc}]/u);
    expect(mail.subject.startsWith("Shop Bcc: victim@example.com: your order <b>1</b> 999")).toBe(true);
    expect(Array.from(mail.subject).length).toBeLessThanOrEqual(subjectMaxLength);
    expect(mail.subject.endsWith("…")).toBe(true);
  });

  it("never lets a value break out of its element or line (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.string({ unit: "binary" }),
        (name, number) => {
          const order = exampleOrder();
          const view = mailView(
            {
              ...order,
              orderInfo: { ...order.orderInfo, orderNumber: number },
              consignee: { ...order.consignee, name },
            },
            { language: "sv" },
          );
          const mail = renderShippedMail(view);
          expect(mail.subject).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
          expect(view.consigneeName).not.toMatch(/[\p{Cc}\u2028\u2029]/u);
          const greeting = /<p style="margin:0 0 8px;">([\s\S]*?)<\/p>/.exec(mail.html)?.[1] ?? "";
          expect(greeting).not.toMatch(/[<>"]/);
          expect(mail.text).toContain(view.consigneeName ? `\nHej ${view.consigneeName}!\n` : "\nHej!\n");
        },
      ),
    );
  });
});

describe("cleanText and safeLink", () => {
  it("cuts long text at a grapheme, not inside an emoji", () => {
    expect(cleanText("👩‍👩‍👧".repeat(10), 3)).toBe("👩‍👩‍👧👩‍👩‍👧…");
  });
  it("links only absolute http(s) addresses", () => {
    expect(safeLink("https://a.example/x")).toBe("https://a.example/x");
    expect(safeLink("http://a.example")).toBe("http://a.example/");
    expect(safeLink("ftp://a.example")).toBeNull();
    expect(safeLink("/relative")).toBeNull();
    expect(safeLink(" JAVASCRIPT:alert(1)")).toBeNull();
    expect(safeLink(null)).toBeNull();
  });
});
