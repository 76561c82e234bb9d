import { describe, expect, it } from "vitest";
import {
  buildEnvelope,
  child,
  orderFromSoap,
  ordersInResult,
  parseEnvelope,
  resultStatus,
  type XmlObject,
} from "./automation-xml.ts";
import { orderSchema } from "./model.ts";

const envelope = (inner: string) =>
  `\uFEFF<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body><GetOrdersByQueryResponse xmlns="http://ongoingsystems.se/Automation">${inner}</GetOrdersByQueryResponse></soap:Body></soap:Envelope>`;

function result(inner: string): XmlObject | undefined {
  const body = parseEnvelope(envelope(inner));
  if (!("element" in body)) throw new Error("fault");
  return child(body.content, "GetOrdersByQueryResult");
}

const order = (id: number, extra = "") =>
  `<Order><GoodsOwnerInfo><Id>159</Id></GoodsOwnerInfo><OrderInfo><OrderId>${id}</OrderId>${extra}</OrderInfo></Order>`;

describe("Automation XML: GetOrdersByQuery results", () => {
  it("reads no orders from an empty, nil or missing list", () => {
    expect(ordersInResult(result("<GetOrdersByQueryResult/>"))).toEqual([]);
    expect(ordersInResult(result("<GetOrdersByQueryResult><Orders/></GetOrdersByQueryResult>"))).toEqual([]);
    expect(ordersInResult(result('<GetOrdersByQueryResult xsi:nil="true"/>'))).toEqual([]);
    expect(
      ordersInResult(result('<GetOrdersByQueryResult><Orders xsi:nil="true"/></GetOrdersByQueryResult>')),
    ).toEqual([]);
    expect(ordersInResult(result(""))).toEqual([]);
  });

  it("reads one order and many alike, under Orders or directly in the result", () => {
    const one = ordersInResult(
      result(`<GetOrdersByQueryResult><Orders>${order(1)}</Orders></GetOrdersByQueryResult>`),
    );
    expect(one.map(orderFromSoap).map((o) => o.orderInfo.orderId)).toEqual([1]);
    const many = ordersInResult(
      result(`<GetOrdersByQueryResult><Orders>${order(1)}${order(2)}</Orders></GetOrdersByQueryResult>`),
    );
    expect(many.map(orderFromSoap).map((o) => o.orderInfo.orderId)).toEqual([1, 2]);
    const bare = ordersInResult(result(`<GetOrdersByQueryResult>${order(3)}</GetOrdersByQueryResult>`));
    expect(bare.map(orderFromSoap).map((o) => o.orderInfo.orderId)).toEqual([3]);
  });

  it("maps nil to null, empty to empty, and one list item to a list", () => {
    const [node] = ordersInResult(
      result(
        `<GetOrdersByQueryResult><Orders><Order>
          <GoodsOwnerInfo><Id>160</Id><Name xsi:nil="true"/></GoodsOwnerInfo>
          <OrderInfo><OrderId>7</OrderId><GoodsOwnerOrderNumber>A&amp;B</GoodsOwnerOrderNumber><WayBill xsi:nil="true"/>
            <OrderStatusNumber>450</OrderStatusNumber><EmailNotification xsi:nil="true"/><ShippedTime/></OrderInfo>
          <Consignee xsi:nil="true"/>
          <PickedOrderLines><PickedOrderLine><OrderLineSystemId>9</OrderLineSystemId>
            <Article><ArticleSystemId>5</ArticleSystemId><ArticleName/></Article>
            <OrderedNumberOfItems>2.5</OrderedNumberOfItems></PickedOrderLine></PickedOrderLines>
          <OrderPalletItems/>
          <Tracking><OrderTrackingInfo><TrackingUrl>https://t/1</TrackingUrl><Waybill>W1</Waybill></OrderTrackingInfo></Tracking>
          <Transporter><Name>PostNord</Name><Code>PLAB</Code><ServiceCode>P19</ServiceCode></Transporter>
        </Order></Orders></GetOrdersByQueryResult>`,
      ),
    );
    const mapped = orderFromSoap(node as XmlObject);
    expect(orderSchema.safeParse(mapped).success).toBe(true);
    expect(mapped).toStrictEqual({
      goodsOwner: { id: 160, name: null },
      orderInfo: {
        orderId: 7,
        orderNumber: "A&B",
        wayBill: null,
        orderStatus: { number: 450 },
        emailNotification: null,
        shippedTime: "",
      },
      consignee: null,
      parcels: [],
      orderLines: [{ id: 9, article: { articleSystemId: 5, articleName: "" }, orderedNumberOfItems: 2.5 }],
      tracking: [{ trackingUrl: "https://t/1", waybill: "W1" }],
      transporter: { name: "PostNord", code: "PLAB", serviceCode: "P19" },
    });
  });
});

describe("Automation XML: results and faults", () => {
  it("reads Success=false with Ongoing's message, as ErrorMessage or Message", () => {
    const body = (inner: string) => {
      const parsed = parseEnvelope(envelope(`<UpdateOrderResult>${inner}</UpdateOrderResult>`));
      return "element" in parsed ? child(parsed.content, "UpdateOrderResult") : undefined;
    };
    expect(
      resultStatus(body("<Success>false</Success><ErrorMessage>Order not found</ErrorMessage>")),
    ).toEqual({
      success: false,
      message: "Order not found",
    });
    expect(resultStatus(body("<Success>false</Success><Message>Locked</Message>"))).toEqual({
      success: false,
      message: "Locked",
    });
    expect(resultStatus(body('<Success>true</Success><Message xsi:nil="true"/>'))).toEqual({
      success: true,
      message: "",
    });
    expect(resultStatus(undefined).success).toBe(true);
  });

  it("reads a SOAP fault's code and message", () => {
    const fault = parseEnvelope(
      `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to process request.</faultstring></soap:Fault></soap:Body></soap:Envelope>`,
    );
    expect(fault).toEqual({ fault: { code: "Server", message: "Server was unable to process request." } });
    expect(() => parseEnvelope("<html>Bad gateway</html>")).toThrow();
  });

  it("builds an envelope that escapes what it carries and reads back", () => {
    const xml = buildEnvelope("UpdateOrder", { UserName: "a<b", Password: "p&\"'", Order: { OrderId: "1" } });
    expect(xml).toContain('<UpdateOrder xmlns="http://ongoingsystems.se/Automation">');
    expect(xml).not.toContain("a<b");
    const parsed = parseEnvelope(xml);
    expect(parsed).toMatchObject({ element: "UpdateOrder", content: { UserName: "a<b", Password: "p&\"'" } });
  });
});
