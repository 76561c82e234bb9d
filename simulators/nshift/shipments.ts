/**
 * The nShift simulator's operations on its stored and printed shipments: store (READY, or INVALID with its
 * validation messages), search, and print (a label per shipment).
 */
import { nshiftShipmentSchema } from "../../functions/transport-booking/nshift-shipment.ts";
import { labelPdf } from "../transport/bookings.ts";
import {
  type NshiftSimulatorState,
  nshiftApiPath,
  type PrintedRecord,
  requiredFields,
  type StoredRecord,
} from "./state.ts";

/** What the operations work on: the state, the server's origin (for hrefs) and the stored-shipment sequence. */
export interface Desk {
  readonly state: NshiftSimulatorState;
  origin: string;
  sequence: number;
}

const storedInfo = (desk: Desk, record: StoredRecord) => ({
  href: `${desk.origin}${nshiftApiPath}/stored-shipments/${record.id}`,
  id: record.id,
  status: record.status,
  orderNo: record.shipment.orderNo ?? null,
  reference: record.shipment.senderReference,
  serviceId: record.shipment.service.id,
  parcelCount: record.shipment.parcels.reduce((sum, parcel) => sum + parcel.copies, 0),
  rcvName: record.shipment.receiver.name ?? null,
  rcvZipcode: record.shipment.receiver.zipcode ?? null,
  rcvCity: record.shipment.receiver.city ?? null,
  rcvCountry: record.shipment.receiver.country ?? null,
  created: record.created,
  statuses: record.statuses.length > 0 ? record.statuses : null,
});

export const store = (desk: Desk, body: string) => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { status: 400, body: { code: "ILLEGAL", message: "Illegal shipment data in body" } };
  }
  const parsed = nshiftShipmentSchema.safeParse(json);
  const missingStatus = (field: string) => ({
    message: "Value missing",
    messageCode: "Missing",
    field,
    type: "error",
  });
  if (!parsed.success) {
    return { status: 422, body: parsed.error.issues.map((issue) => missingStatus(issue.path.join("_"))) };
  }
  // Stored even when incomplete, as documented: INVALID, with its validation messages.
  const missing = requiredFields.filter(([, value]) => !value(parsed.data)).map(([field]) => field);
  desk.sequence += 1;
  const record: StoredRecord = {
    id: String(4_000_000 + desk.sequence),
    shipment: parsed.data,
    created: new Date().toISOString(),
    status: missing.length > 0 ? "INVALID" : "READY",
    statuses: missing.map(missingStatus),
  };
  desk.state.stored.set(record.id, record);
  return { status: 201, body: storedInfo(desk, record) };
};

export const search = (desk: Desk, query: URLSearchParams) => {
  const field = query.get("searchField");
  const op = query.get("searchOp") ?? "equals";
  const value = query.get("searchValue") ?? "";
  if (field !== null && !["orderNo", "reference", "shipmentNo"].includes(field)) {
    return { status: 400, body: { code: "ILLEGAL", message: "Illegal search field argument" } };
  }
  const matches = (text: string | undefined) => {
    if (text === undefined) return false;
    if (op === "equals") return text === value;
    if (op === "contains") return text.includes(value);
    if (op === "startsWith") return text.startsWith(value);
    if (op === "endsWith") return text.endsWith(value);
    return false;
  };
  const found = [...desk.state.stored.values()].filter((record) => {
    if (field === null) return true;
    if (field === "orderNo") return matches(record.shipment.orderNo);
    if (field === "reference") return matches(record.shipment.senderReference);
    return desk.state.printed.some(
      (printed) => printed.storedId === record.id && matches(printed.shipmentNo),
    );
  });
  return { status: 200, body: found.slice(0, 50).map((record) => storedInfo(desk, record)) };
};

export const print = (desk: Desk, storedId: string, returnFile: boolean) => {
  const { state } = desk;
  const record = state.stored.get(storedId);
  if (!record) return { status: 404, body: { code: "NOT_FOUND", message: "Stored shipment not found" } };
  if (record.status !== "READY") return { status: 422 };
  record.status = "PRINTED";
  const number = String(state.printed.length + 1).padStart(8, "0");
  const id = String(5_000_000 + state.printed.length + 1);
  const copies = record.shipment.parcels.reduce((sum, parcel) => sum + parcel.copies, 0);
  const printed: PrintedRecord = {
    id,
    storedId,
    shipmentNo: `SIM${number}`,
    orderNo: record.shipment.orderNo,
    reference: record.shipment.senderReference,
    parcels: Array.from({ length: copies }, (_, index) => ({ parcelNo: `69${number}${index + 1}SE` })),
    label: labelPdf(`SIM${number}`),
  };
  state.printed.push(printed);
  const href = `${desk.origin}${nshiftApiPath}/shipments/${id}`;
  return {
    status: 201,
    body: [
      {
        href,
        id,
        shipmentNo: printed.shipmentNo,
        orderNo: printed.orderNo ?? null,
        reference: printed.reference,
        serviceId: record.shipment.service.id,
        parcelCount: copies,
        parcels: printed.parcels.map((parcel) => ({ ...parcel, reference: null })),
        consolidated: false,
        status: "PRINTED",
        prints: [
          {
            id: "1",
            description: "Label",
            href: `${href}/prints/1`,
            data: returnFile ? printed.label : null,
          },
        ],
      },
    ],
  };
};
