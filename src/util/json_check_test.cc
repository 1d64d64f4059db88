#include "util/json_check.h"

#include <string>

#include "gtest/gtest.h"
#include "util/status_macros.h"

namespace proberows {
namespace {

using Json = nlohmann::ordered_json;

TEST(CheckJsonDepth, CountsBracketsOutsideStrings) {
  EXPECT_TRUE(CheckJsonDepth("[[1]]", 2).ok());
  EXPECT_EQ(StatusMessage(CheckJsonDepth("[[[1]]]", 2)), "nested deeper than 2 levels (at byte 2)");
  EXPECT_EQ(StatusMessage(CheckJsonDepth("{\"a\": {\"b\": [1]}}", 2)), "nested deeper than 2 levels (at byte 12)");
  // Brackets in strings, escaped quotes included, do not count.
  EXPECT_TRUE(CheckJsonDepth(R"(["[[[", "\"[[[", {"k": "{{{"}])", 2).ok());
  // Closing brackets never make the depth negative.
  EXPECT_EQ(StatusMessage(CheckJsonDepth("]]][[[", 2)), "nested deeper than 2 levels (at byte 5)");
  EXPECT_TRUE(CheckJsonDepth(std::string(kMaxJsonDepth, '[')).ok());
  EXPECT_FALSE(CheckJsonDepth(std::string(kMaxJsonDepth + 1, '[')).ok());
}

TEST(ParseJsonFile, NamesTheFileAndNeverThrows) {
  absl::StatusOr<Json> j = ParseJsonFile(R"({"a": [1, 2]})", "f.json");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ((*j)["a"][1], 2);
  EXPECT_EQ(
      StatusMessage(ParseJsonFile("{\"a\": ", "f.json").status()),
      "'f.json' is not valid JSON: parse error at line 1, column 7: syntax error while parsing value - unexpected "
      "end of input; expected '[', '{', or a literal");
  absl::StatusOr<Json> deep = ParseJsonFile(std::string(100000, '[') + std::string(100000, ']'), "d.json");
  EXPECT_EQ(deep.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(StatusMessage(deep.status()), "'d.json' is not valid JSON: nested deeper than 512 levels (at byte 512)");
}

TEST(JsonFieldCheck, NamesTheFirstWrongFieldByPath) {
  const Json j = Json::parse(R"({"s": {"rows": "12", "n": -1, "big": 1e20, "ok": 3, "list": [1, {"x": true}]}})");
  JsonFieldCheck c;
  EXPECT_TRUE(c.Field(j, "", "s", JsonKind::kObject));
  EXPECT_TRUE(c.Field(j["s"], "s", "ok", JsonKind::kCount));
  EXPECT_FALSE(c.Field(j["s"], "s", "absent", JsonKind::kString, /*required=*/false));
  EXPECT_TRUE(c.ok());
  EXPECT_FALSE(c.Field(j["s"], "s", "rows", JsonKind::kCount));
  EXPECT_EQ(c.problem(), "field 's.rows' is the string \"12\", expected an integer >= 0");
  // The first problem is kept; later checks fail at once.
  EXPECT_FALSE(c.Field(j["s"], "s", "ok", JsonKind::kCount));
  EXPECT_EQ(c.problem(), "field 's.rows' is the string \"12\", expected an integer >= 0");

  auto problem = [&](const std::string& key, JsonKind kind) {
    JsonFieldCheck one;
    one.Field(j["s"], "s", key, kind);
    return one.problem();
  };
  EXPECT_EQ(problem("n", JsonKind::kCount), "field 's.n' is the number -1, expected an integer >= 0");
  EXPECT_EQ(problem("big", JsonKind::kCount), "field 's.big' is the number 1e+20, expected an integer >= 0");
  EXPECT_EQ(problem("list", JsonKind::kObject), "field 's.list' is an array, expected an object");
  EXPECT_EQ(problem("gone", JsonKind::kBool), "field 's.gone' is missing");
  JsonFieldCheck e;
  EXPECT_FALSE(e.Value(j["s"]["list"][1]["x"], JsonFieldCheck::Path(JsonFieldCheck::Element("s.list", 1), "x"),
                       JsonKind::kString));
  EXPECT_EQ(e.problem(), "field 's.list[1].x' is the boolean true, expected a string");
  JsonFieldCheck top;
  EXPECT_FALSE(top.Value(Json::array(), "", JsonKind::kObject));
  EXPECT_EQ(top.problem(), "the top level is an array, expected an object");
}

}  // namespace
}  // namespace proberows
