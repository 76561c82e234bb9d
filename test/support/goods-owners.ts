/** A production-sized configuration: many goods owners, for the scale tests of the stack and the local stack. */

/** Goods owners 159 … 159+count-1, each configured as fully as a third-party-logistics warehouse would. */
export function manyGoodsOwners(count: number): Record<string, unknown> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, index) => {
      const id = 159 + index;
      return [
        String(id),
        {
          credentialsSecretName: `ongoing-webhooks/goods-owners/${id}`,
          transportApi: index % 2 === 0 ? "rest" : "automation",
          email: {
            fromAddress: `goods-owner-${id}@example.com`,
            replyTo: [`support-${id}@example.com`],
            brandName: `Brand number ${id}`,
            language: "auto",
          },
          transporters: [{ code: "PLAB", serviceCodes: ["P19", "P24"] }, { code: "BUDBEE" }],
        },
      ];
    }),
  );
}

export const scaleContext = (count: number): Record<string, unknown> => ({
  "ongoingWebhooks.ongoing.automationCredentialsSecretName": "ongoing-webhooks/automation",
  "ongoingWebhooks.goodsOwners": manyGoodsOwners(count),
  "ongoingWebhooks.articleReconcile.goodsOwnerIds": Array.from({ length: count }, (_, index) => 159 + index),
});
