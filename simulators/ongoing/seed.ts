/**
 * The simulator's seed: Ongoing's official example order (50163) and article (18068) for goods owner 159,
 * plus deterministic demo data (no randomness, so every run and every test sees the same warehouse).
 */
import { readFileSync } from "node:fs";

export type Json = Record<string, unknown>;

export interface SimulatorUser {
  username: string;
  password: string;
  goodsOwnerId: number;
}

/** The default API users: one per seeded goods owner. */
export const defaultUsers: SimulatorUser[] = [
  { username: "demo", password: "demo-password", goodsOwnerId: 159 },
  { username: "other", password: "other-password", goodsOwnerId: 160 },
];

const examplesDirectory = new URL("./examples/", import.meta.url);

/** An official example response, without its UTF-8 BOM. */
export function officialExample(name: "order" | "article"): Json {
  const file = `official-rest-example-GET-${name}-response.json`;
  return JSON.parse(readFileSync(new URL(file, examplesDirectory), "utf8").replace(/^\uFEFF/, "")) as Json;
}

const goodsOwners: Record<number, string> = { 159: "REST example", 160: "Second demo owner" };

const transporters = [
  {
    transporterName: "PostNord Sweden AB",
    name: "PostNord Parcel (Nordic)",
    code: "PLAB",
    serviceCode: "P19",
  },
  {
    transporterName: "PostNord Sweden AB",
    name: "PostNord MyPack Collect",
    code: "PLAB",
    serviceCode: "P18",
  },
  {
    transporterName: "DHL Freight Sweden AB",
    name: "DHL Service Point",
    code: "DHLFREIGHTSE",
    serviceCode: "SP",
  },
  { transporterName: "Budbee AB", name: "Budbee Home", code: "BUDBEE", serviceCode: "HOME" },
  { transporterName: "DB Schenker", name: "Schenker Parcel", code: "SBTLSE", serviceCode: "SP" },
];

const statuses: Array<{ number: number; text: string }> = [
  { number: 450, text: "Skickad" },
  { number: 450, text: "Skickad" },
  { number: 450, text: "Skickad" },
  { number: 300, text: "Frisläppt" },
  { number: 400, text: "Plockad" },
  { number: 450, text: "Skickad" },
  { number: 1000, text: "Makulerad" },
  { number: 200, text: "Öppen" },
];

const baseTime = Date.UTC(2024, 0, 15, 8, 0, 0);
const iso = (offsetMinutes: number) => new Date(baseTime + offsetMinutes * 60_000).toISOString();

function demoOrder(goodsOwnerId: number, index: number): Json {
  const orderId = goodsOwnerId === 159 ? 60_001 + index : 70_001 + index;
  const status = statuses[index % statuses.length] as { number: number; text: string };
  const transporter = transporters[index % transporters.length] as (typeof transporters)[number];
  const sent = status.number === 450;
  // Every fifth order has no e-mail: the shipped-mail use-case must skip it.
  const email = index % 5 === 4 ? null : `customer${index + 1}@example.com`;
  const waybill = sent ? `${transporter.code}-WB-${orderId}` : null;
  return {
    goodsOwner: { id: goodsOwnerId, name: goodsOwners[goodsOwnerId] },
    orderInfo: {
      orderId,
      orderNumber: `DEMO-${goodsOwnerId}-${String(index + 1).padStart(4, "0")}`,
      goodsOwnerOrderId: `WEB-${10_000 + index}`,
      referenceNumber: null,
      orderRemark: null,
      createdDate: iso(index * 30),
      shippedTime: sent ? iso(index * 30 + 120) : null,
      wayBill: waybill,
      returnWayBill: null,
      orderStatus: status,
      emailNotification: { toBeNotified: email !== null, value: email },
      smsNotification: { toBeNotified: false, value: null },
      wayOfDelivery: { code: "HOME", name: "Home delivery" },
      orderType: { code: "B2C", name: "Business to Consumer" },
    },
    consignee: {
      customerNumber: `C${1000 + index}`,
      name: `Demo Customer ${index + 1}`,
      address1: `Demogatan ${index + 1}`,
      address2: null,
      address3: null,
      postCode: `${11_120 + index}`,
      city: "Stockholm",
      countryCode: "SE",
      countryStateCode: null,
    },
    parcels: sent ? [{ id: orderId * 10, parcelNumber: `00373${orderId}0`, isReturnParcel: false }] : [],
    orderLines: [
      {
        id: orderId * 10 + 1,
        rowNumber: "1",
        article: {
          articleSystemId: (goodsOwnerId === 159 ? 20_001 : 30_001) + (index % 10),
          articleNumber: `ART-${goodsOwnerId}-${(index % 10) + 1}`,
          articleName: `Demo article ${(index % 10) + 1}`,
          productCode: "",
        },
        orderedNumberOfItems: 1 + (index % 3),
        pickedNumberOfItems: sent ? 1 + (index % 3) : 0,
      },
    ],
    tracking: sent
      ? [{ trackingUrl: `https://tracking.example.com/${waybill}`, waybill, isReturn: false }]
      : [],
    transporter,
  };
}

function demoArticle(goodsOwnerId: number, index: number): Json {
  const articleSystemId = (goodsOwnerId === 159 ? 20_001 : 30_001) + index;
  return {
    goodsOwner: { id: goodsOwnerId, name: goodsOwners[goodsOwnerId] },
    articleSystemId,
    articleNumber: `ART-${goodsOwnerId}-${index + 1}`,
    articleName: `Demo article ${index + 1}`,
    productCode: `PC-${index + 1}`,
    unitCode: "st",
    description: `Demo article number ${index + 1}`,
    isStockArticle: true,
    isActive: index % 11 !== 10,
    barCodeInfo: { barCode: `7350000${String(articleSystemId).padStart(6, "0")}` },
    weight: 0.1 * (index + 1),
    length: 10,
    width: 10,
    height: 5,
    volume: 0.5,
    purchasePrice: 10 + index,
    customerPrice: 20 + index,
    countryOfOriginCode: "SE",
    statisticsNumber: null,
    articleGroup: { code: "DEMO", name: "Demo group" },
    articleCategory: null,
    articleDataLastUpdated: iso(index * 60),
    inventoryInfo: { numberOfItems: 100 - index, numberOfBookedItems: 0 },
  };
}

export interface Seed {
  orders: Json[];
  articles: Json[];
}

/** The seed for a mode: "official" = only Ongoing's examples; true = examples plus demo data; false = empty. */
export function buildSeed(mode: boolean | "official"): Seed {
  if (mode === false) return { orders: [], articles: [] };
  const officialArticle = {
    ...officialExample("article"),
    articleDataLastUpdated: "2019-10-10T08:32:53.083Z",
  };
  const seed: Seed = { orders: [officialExample("order")], articles: [officialArticle] };
  if (mode === "official") return seed;
  for (let index = 0; index < 16; index++) seed.orders.push(demoOrder(159, index));
  for (let index = 0; index < 4; index++) seed.orders.push(demoOrder(160, index));
  for (let index = 0; index < 30; index++) seed.articles.push(demoArticle(159, index));
  for (let index = 0; index < 5; index++) seed.articles.push(demoArticle(160, index));
  return seed;
}
