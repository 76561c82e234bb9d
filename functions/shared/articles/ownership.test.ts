import { describe, expect, it } from "vitest";
import { useLocalAws } from "../../../test/support/env.ts";
import type { OngoingArticle } from "../ongoing/model.ts";
import { requireOwnArticle } from "./ownership.ts";

useLocalAws({ dynamo: { tablePrefix: "ownership" } });

const article = (articleSystemId: number, goodsOwnerId?: number): OngoingArticle => ({
  articleSystemId,
  articleNumber: `A-${articleSystemId}`,
  ...(goodsOwnerId === undefined ? {} : { goodsOwner: { id: goodsOwnerId, name: "x" } }),
});

describe("requireOwnArticle", () => {
  it("passes the goods owner's own article, and one whose goods owner Ongoing left out", () => {
    expect(requireOwnArticle(159, article(1, 159))).toEqual(article(1, 159));
    expect(requireOwnArticle(159, article(2))).toEqual(article(2));
  });

  it("refuses another goods owner's article as a permanent goods-owner-mismatch", () => {
    expect(() => requireOwnArticle(159, article(3, 160))).toThrow(
      expect.objectContaining({ name: "PermanentError", code: "goods-owner-mismatch" }),
    );
  });
});

describe("mirrorCatalogue (the reconcile's and the backfill's loop)", () => {
  it("mirrors nothing of a page that holds another goods owner's article", async () => {
    const { mirrorCatalogue } = await import("./catalogue.ts");
    const { ArticleMirror } = await import("./mirror.ts");
    const mirror = new ArticleMirror({ tableName: "ownership-articles" });
    async function* pages() {
      yield [article(10, 159), article(11, 160)];
    }
    await expect(
      mirrorCatalogue({
        mirror,
        goodsOwnerId: 159,
        pages: pages(),
        source: { kind: "reconcile", eventType: "x" },
      }),
    ).rejects.toMatchObject({ code: "goods-owner-mismatch" });
    expect(await mirror.get(159, 10)).toBeUndefined();
  });
});
