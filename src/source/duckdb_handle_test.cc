// Smoke test: DuckDB opens through the C API, writes Parquet and reads it back.
#include "source/duckdb_handle.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

TEST(DuckDbHandle, WritesAndReadsParquet) {
  TempDir dir;
  auto db = DuckDb::Open({});
  ASSERT_TRUE(db.ok()) << db.status();
  const std::string path = dir.path() + "/t.parquet";
  ASSERT_TRUE((*db)
                  ->Execute("COPY (SELECT range AS i, range * 0.5 AS d, 'x' || range AS s FROM range(5000)) TO " +
                            QuoteLiteral(path) + " (FORMAT parquet)")
                  .ok());
  auto result = (*db)->Stream("SELECT i, d, s FROM read_parquet(" + QuoteLiteral(path) + ") ORDER BY i");
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->columns().size(), 3u);
  EXPECT_EQ(result->columns()[0].type_name(), "BIGINT");
  EXPECT_EQ(result->columns()[1].type_name(), "DECIMAL(21,1)");
  EXPECT_EQ(result->columns()[2].type_name(), "VARCHAR");
  int64_t rows = 0, sum = 0;
  std::string last;
  for (;;) {
    auto chunk = result->Next();
    ASSERT_TRUE(chunk.ok()) << chunk.status();
    if (!chunk->valid()) break;
    auto* ints = static_cast<int64_t*>(duckdb_vector_get_data(chunk->column(0)));
    auto* strs = static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk->column(2)));
    for (uint64_t r = 0; r < chunk->size(); ++r) {
      sum += ints[r];
      last = std::string(StringAt(strs, r));
    }
    rows += chunk->size();
  }
  EXPECT_EQ(rows, 5000);
  EXPECT_EQ(sum, 4999 * 5000 / 2);
  EXPECT_EQ(last, "x4999");
  auto count = (*db)->QueryInt64("SELECT count(*) FROM " + QuoteLiteral(path));
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 5000);
}

TEST(DuckDbHandle, SyntaxErrorIsAStatus) {
  auto db = DuckDb::Open({});
  ASSERT_TRUE(db.ok());
  auto result = (*db)->Stream("SELEC 1");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("syntax error"), std::string::npos) << result.status();
}

TEST(DuckDbHandle, Quoting) {
  EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
}

}  // namespace
}  // namespace proberows
