#include "source/flatten.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "source/duckdb_handle.h"

namespace proberows {
namespace {

// The leaves of the columns of `select` (a SELECT with LIMIT 0), each as
// "name depth type SQL".
std::vector<std::string> Leaves(const std::string& select) {
  auto db = DuckDb::Open({});
  EXPECT_TRUE(db.ok());
  auto r = (*db)->Query(select);
  EXPECT_TRUE(r.ok()) << r.status();
  std::vector<std::string> out;
  for (const ResultColumn& c : r->columns()) {
    for (const Leaf& l : FlattenColumn(c.name, c.type.get(), "t." + QuoteIdentifier(c.name))) {
      out.push_back(l.name + " " + std::to_string(l.depth) + " " + l.InputType() + " " +
                    (l.problem.empty() ? l.Wrap(l.mapping.ok ? l.mapping.expr : l.inner) : "PROBLEM " + l.problem));
    }
  }
  return out;
}

TEST(FlattenTest, ScalarsAndListsKeepTheirSql) {
  EXPECT_EQ(Leaves("SELECT 1::BIGINT AS a, 2::INTEGER AS b, [1.5]::DOUBLE[] AS c, ['x'] AS d LIMIT 0"),
            (std::vector<std::string>{"a 0 BIGINT t.\"a\"", "b 0 INTEGER CAST(t.\"b\" AS BIGINT)",
                                      "c 1 DOUBLE[] t.\"c\"", "d 1 VARCHAR[] t.\"d\""}));
}

TEST(FlattenTest, StructsListsOfStructsMapsAndArrays) {
  EXPECT_EQ(
      Leaves("SELECT {'a': 1, 'b': 'x'} AS s, [{'rtt': 1.5, 'ttl': 3::TINYINT}] AS r, [[1, 2]] AS l, "
             "MAP {'k': 1} AS m, [1, 2]::INTEGER[2] AS arr LIMIT 0"),
      (std::vector<std::string>{
          "s/a 0 INTEGER CAST(struct_extract(t.\"s\", 'a') AS BIGINT)",
          "s/b 0 VARCHAR struct_extract(t.\"s\", 'b')",
          "r/rtt 1 DECIMAL(2,1)[] list_transform(t.\"r\", x1 -> CAST(struct_extract(x1, 'rtt') AS DOUBLE))",
          "r/ttl 1 TINYINT[] list_transform(t.\"r\", x1 -> CAST(struct_extract(x1, 'ttl') AS BIGINT))",
          "l 2 INTEGER[][] list_transform(t.\"l\", x1 -> list_transform(x1, x2 -> CAST(x2 AS BIGINT)))",
          "m/key 1 VARCHAR[] list_transform(map_entries(t.\"m\"), x1 -> struct_extract(x1, 'key'))",
          "m/value 1 INTEGER[] list_transform(map_entries(t.\"m\"), x1 -> CAST(struct_extract(x1, 'value') AS BIGINT))",
          // A fixed-size ARRAY always goes through list_transform (into a LIST).
          "arr 1 INTEGER[] list_transform(t.\"arr\", x1 -> CAST(x1 AS BIGINT))",
      }));
}

TEST(FlattenTest, WhatCannotBeEncodedIsAProblemNotAnError) {
  EXPECT_EQ(Leaves("SELECT {'i': INTERVAL 1 DAY, 'ok': 1} AS s, 1 AS \"a/b\" LIMIT 0"),
            (std::vector<std::string>{
                "s/i 0 INTERVAL PROBLEM has type INTERVAL",
                "s/ok 0 INTEGER CAST(struct_extract(t.\"s\", 'ok') AS BIGINT)",
                "a/b 0 INTEGER PROBLEM has '/' in its name, which TFDS reserves for nesting features (rename it in a "
                "--sql query, e.g. SELECT * RENAME (\"a/b\" AS ...) FROM ...)",
            }));
}

TEST(FlattenTest, PathsCountListLevelsPerStep) {
  auto db = DuckDb::Open({});
  ASSERT_TRUE(db.ok());
  auto r = (*db)->Query("SELECT [{'hop': 1, 'result': [{'rtt': 1.5}]}] AS result LIMIT 0");
  ASSERT_TRUE(r.ok());
  const std::vector<Leaf> leaves = FlattenColumn("result", r->columns()[0].type.get(), "t.result");
  ASSERT_EQ(leaves.size(), 2u);
  EXPECT_EQ(leaves[1].name, "result/result/rtt");
  EXPECT_EQ(leaves[1].depth, 2);
  EXPECT_EQ(leaves[1].path, (std::vector<PathStep>{{"result", 1}, {"result", 1}, {"rtt", 0}}));
}

}  // namespace
}  // namespace proberows
