/**
 * Ongoing answers with the goods owner of the credentials used, not of the webhook: an article of another goods
 * owner (a secret filed under the wrong goods owner, say) must never be mirrored under the webhook's one.
 */
import { PermanentError } from "../errors.ts";
import type { OngoingArticle } from "../ongoing/model.ts";

/** Returns the article when it belongs to `goodsOwnerId` (or Ongoing did not say); otherwise a permanent failure. */
export function requireOwnArticle<A extends Pick<OngoingArticle, "goodsOwner" | "articleSystemId">>(
  goodsOwnerId: number,
  article: A,
): A {
  const owner = article.goodsOwner?.id;
  if (owner !== undefined && owner !== goodsOwnerId) {
    throw new PermanentError(
      "goods-owner-mismatch",
      `article ${article.articleSystemId} belongs to goods owner ${owner}, not ${goodsOwnerId}`,
    );
  }
  return article;
}
