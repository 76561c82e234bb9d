/**
 * The backfill: a goods owner's whole catalogue (thousands of articles, many pages) from the Ongoing simulator
 * into an empty mirror in dynalite, with progress per page; a second run writes nothing.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import { useLocalAws, useOngoingSimulator } from "./support/env.ts";

const goodsOwnerId = 159;
const catalogueSize = 3000;

const simulator = useOngoingSimulator({ seed: false });
const aws = useLocalAws({ dynamo: { tablePrefix: "backfill" } });

beforeAll(() => {
  for (let index = 0; index < catalogueSize; index++) {
    simulator.state.putArticle({
      goodsOwner: { id: goodsOwnerId, name: "REST example" },
      articleSystemId: 1_000 + index * 3,
      articleNumber: `BULK-${index}`,
      articleName: `Bulk article ${index}`,
      isActive: index % 7 !== 0,
      weight: index / 100,
      barCodeInfo: { barCode: String(7_350_000_000_000 + index) },
      articleGroup: index % 2 === 0 ? { code: "EVEN", name: "Even" } : null,
      inventoryInfo: { numberOfItems: index },
    });
  }
  // Another goods owner's articles must not leak into this one's mirror.
  simulator.state.putArticle({ goodsOwner: { id: 160 }, articleSystemId: 999_999, articleNumber: "OTHER" });
});

describe("backfill", () => {
  it("loads thousands of articles across many pages into an empty mirror, with progress", async () => {
    const { backfill } = await import("../scripts/backfill.ts");
    const lines: string[] = [];
    const result = await backfill({
      goodsOwnerId,
      tableName: aws.tables.articles,
      ongoingBaseUrl: simulator.baseUrl,
      credentials: async () => ({ username: "demo", password: "demo-password" }),
      pageSize: 250,
      expected: catalogueSize,
      progress: { write: (text: string) => lines.push(text) },
    });
    expect(result).toEqual({
      articles: catalogueSize,
      pages: 12,
      counts: { created: catalogueSize, updated: 0, unchanged: 0, deleted: 0, stale: 0 },
    });
    expect(lines).toHaveLength(12);
    expect(lines.at(-1)).toMatch(/^\[#{30}\] 100% 3000 articles, 12 pages \(3000 new/);

    const { ArticleMirror, articleData, storedData } = await import("../functions/shared/articles/mirror.ts");
    const mirror = new ArticleMirror({ tableName: aws.tables.articles });
    let count = 0;
    for await (const item of mirror.items(goodsOwnerId)) {
      count += 1;
      const article = simulator.state.articles.get(item.articleSystemId);
      expect(storedData(item)).toEqual(articleData(article as never));
      expect(item.syncedBy).toEqual({ kind: "backfill" });
    }
    expect(count).toBe(catalogueSize);
    expect(await mirror.get(160, 999_999)).toBeUndefined();
    // 3000 writes into dynalite take 15–25 s alone, and more with the whole suite running on two shared cores.
  }, 120_000);

  it("writes nothing when run again (the command line, flags and env)", async () => {
    const { main } = await import("../scripts/backfill.ts");
    vi.stubEnv("ONGOING_USERNAME", "demo");
    vi.stubEnv("ONGOING_PASSWORD", "demo-password");
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const stdout = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const args = [
        "--goods-owner",
        "159",
        "--table",
        aws.tables.articles,
        "--ongoing-url",
        simulator.baseUrl,
      ];
      expect(await main([...args, "--page-size", "1000"])).toBe(0);
      expect(stdout).toHaveBeenCalledWith(
        "Goods owner 159: 3000 articles in 3 pages → 0 created, 0 updated, 3000 unchanged",
      );
      expect(await main(["--table", aws.tables.articles])).toBe(2);
      expect(errors).toHaveBeenCalledWith(expect.stringContaining("--goods-owner <id> is required"));
    } finally {
      errors.mockRestore();
      stderr.mockRestore();
      stdout.mockRestore();
    }
  });
});
