/**
 * What the transport simulator makes of a shipment: a booking (waybill, parcels, PDF labels, details when asked
 * for) and, when status callbacks are set, the carrier's scans posted to the stack as status events.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { TransportStatusEventWebhook } from "../../functions/shared/contract/webhook-schemas.ts";
import type { Booking, Shipment } from "../../functions/transport-booking/transport-system.ts";
import type { SentStatusEvent, TransportSimulatorState } from "./state.ts";

/**
 * A one-page PDF whose only text is the waybill: small, and opens in any viewer. `minBytes` pads it with a
 * comment before the end (still a valid PDF) to stand in for a big label.
 */
export function labelPdf(waybill: string, minBytes = 0): string {
  const content = `BT /F1 24 Tf 72 720 Td (${waybill.replace(/[()\\]/g, "")}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 298 420] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let pdf = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (const [index, object] of objects.entries()) {
    offsets.push(pdf.length);
    pdf += `${index + 1} 0 obj\n${object}\nendobj\n`;
  }
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, "0")} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n`;
  const padding = Math.max(0, minBytes - pdf.length - "%%EOF\n".length);
  if (padding > 0) pdf += `%${"x".repeat(Math.max(0, padding - 2))}\n`;
  pdf += "%%EOF\n";
  return Buffer.from(pdf, "latin1").toString("base64");
}
/** The booking for a shipment: the `sequence`th of this simulator, tracked under `baseUrl`. */
export function createBooking(
  state: TransportSimulatorState,
  shipment: Shipment,
  sequence: number,
  baseUrl: string,
): Booking {
  const waybill = `SIM${String(sequence).padStart(9, "0")}`;
  const parcelCount = state.parcelCount ?? Math.max(1, shipment.parcels.length);
  const label = (name: string) => ({
    fileName: `label-${name}.pdf`,
    mimeType: "application/pdf",
    base64: labelPdf(name, state.labelBytes),
  });
  return {
    waybill,
    trackingUrl: `${baseUrl}/track/${waybill}`,
    parcels: Array.from({ length: parcelCount }, (_, index) => {
      const parcelNumber = `00373${String(sequence).padStart(9, "0")}${String(index + 1).padStart(3, "0")}`;
      return state.labels && state.parcelLabels
        ? { parcelNumber, label: label(parcelNumber) }
        : { parcelNumber };
    }),
    label: state.labels ? label(waybill) : undefined,
    documents: [],
    ...(state.details
      ? {
          transporterOrderNumber: `TON-${waybill}`,
          freightWeightKg: Math.max(1, shipment.totalWeightKg ?? 1),
          freightPrice: 99.5,
          returnWaybill: `RET-${waybill}`,
        }
      : {}),
  };
}

/** Posts the booking's status events one after the other (a failed post is recorded, not retried). */
export async function postStatusEvents(
  settings: NonNullable<TransportSimulatorState["statusCallbacks"]>,
  shipment: Shipment,
  booking: Booking,
  sent: SentStatusEvent[],
): Promise<void> {
  let lastAt = 0;
  for (const [index, transportStatus] of settings.statuses.entries()) {
    await sleep(settings.delayMs);
    // Each scan strictly later than the one before, even within a millisecond.
    lastAt = Math.max(Date.now(), lastAt + 1);
    const event: TransportStatusEventWebhook = {
      eventId: `${booking.waybill}-${index + 1}-${transportStatus}`,
      goodsOwnerId: shipment.goodsOwnerId,
      orderId: shipment.orderId,
      waybill: booking.waybill,
      eventTime: new Date(lastAt).toISOString(),
      eventType: transportStatus === "DeliveredAndReturnedToSender" ? "Return" : "Delivery",
      transportStatus,
      comment: `simulated scan ${index + 1}`,
    };
    let status = 0;
    try {
      const answer = await fetch(settings.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...settings.headers },
        body: JSON.stringify(event),
      });
      status = answer.status;
    } catch {
      // Unreachable: recorded with status 0.
    }
    sent.push({ event, status });
  }
}
