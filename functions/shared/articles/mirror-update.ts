/**
 * The one write of an observation to its mirror item: only the changed fields set or removed, the revision
 * bumped, a tombstone's delete time and purge time set (or cleared on a return), conditional on the revision
 * read, so a concurrent writer is never half-overwritten.
 */
import type { UpdateCommandInput } from "@aws-sdk/lib-dynamodb";
import {
  type ArticleObservation,
  articleData,
  dataVersionOf,
  type MirroredField,
  type MirrorItem,
  tombstoneTtlSeconds,
} from "./article-data.ts";

export function mirrorUpdate(
  tableName: string,
  item: MirrorItem | undefined,
  observation: ArticleObservation,
  fields: MirroredField[],
  now: number,
): UpdateCommandInput {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {
    ":revision": (item?.revision ?? 0) + 1,
    ":observedAt": observation.observedAt,
    ":syncedAt": new Date(now).toISOString(),
    ":syncedBy": observation.source,
  };
  const set = [
    "revision = :revision",
    "observedAt = :observedAt",
    "syncedAt = :syncedAt",
    "syncedBy = :syncedBy",
  ];
  const remove: string[] = [];
  const data = observation.article ? articleData(observation.article) : {};
  fields.forEach((field, index) => {
    names[`#f${index}`] = field;
    if (data[field] === undefined) remove.push(`#f${index}`);
    else {
      values[`:f${index}`] = data[field];
      set.push(`#f${index} = :f${index}`);
    }
  });
  const dataVersion = dataVersionOf(observation.article);
  if (dataVersion !== undefined) {
    values[":dataVersion"] = dataVersion;
    set.push("dataVersion = :dataVersion");
  } else if (item?.dataVersion !== undefined) remove.push("dataVersion");
  if (observation.article) {
    if (item?.deleted) remove.push("deleted", "deletedAt", "purgeAt");
  } else {
    values[":deleted"] = true;
    values[":deletedAt"] = new Date(now).toISOString();
    values[":purgeAt"] = Math.floor(now / 1000) + tombstoneTtlSeconds;
    set.push("deleted = :deleted", "deletedAt = :deletedAt", "purgeAt = :purgeAt");
  }
  if (item) values[":read"] = item.revision;
  return {
    TableName: tableName,
    Key: { goodsOwnerId: observation.goodsOwnerId, articleSystemId: observation.articleSystemId },
    UpdateExpression: `SET ${set.join(", ")}${remove.length > 0 ? ` REMOVE ${remove.join(", ")}` : ""}`,
    ConditionExpression: item ? "revision = :read" : "attribute_not_exists(articleSystemId)",
    ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
    ExpressionAttributeValues: values,
  };
}
