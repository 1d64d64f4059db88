#include <charconv>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "example/example_test_util.h"
#include "proberows/example.h"

namespace proberows {
namespace {

using testing::BitsToFloat;
using testing::FloatBits;

TEST(ExampleJsonTest, RendersAllTypesWithSortedKeys) {
  DecodedExample e;
  e["z_ints"] = std::vector<int64_t>{std::numeric_limits<int64_t>::min(), 0, 7};
  e["floats"] = std::vector<float>{52.1f,
                                   -0.0f,
                                   1.0f,
                                   std::numeric_limits<float>::quiet_NaN(),
                                   std::numeric_limits<float>::infinity(),
                                   -std::numeric_limits<float>::infinity(),
                                   1e-45f};
  e["bytes"] = std::vector<std::string>{"2001:db8::1", "", "M\xc3\xbcnchen", std::string("\xff\x00", 2)};
  e["unset"] = std::monostate();
  e["B"] = std::vector<int64_t>{};
  EXPECT_EQ(DecodedExampleToJson(e),
            R"({"B":[],"bytes":["2001:db8::1","","M)"
            "\xc3\xbc"
            R"(nchen",{"base64":"/wA="}],"floats":[52.1,-0.0,1.0,"NaN","Infinity","-Infinity",1e-45],)"
            R"("unset":null,"z_ints":[-9223372036854775808,0,7]})");
  EXPECT_EQ(DecodedExampleToJson({}), "{}");
  EXPECT_EQ(DecodedExampleToJson({{"a", std::vector<int64_t>{1}}}, {.indent = 1}), "{\n \"a\": [\n  1\n ]\n}");
}

// Every finite float prints as a decimal that reads back as the same float.
TEST(ExampleJsonTest, FloatsRoundTrip) {
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    const float f = BitsToFloat(static_cast<uint32_t>(rng()));
    if (!std::isfinite(f)) continue;
    const std::string json = DecodedExampleToJson({{"f", std::vector<float>{f}}});
    const nlohmann::json parsed = nlohmann::json::parse(json);
    const double d = parsed["f"][0].get<double>();
    ASSERT_EQ(FloatBits(static_cast<float>(d)), FloatBits(f)) << json;
    // And the text itself is short: at most 9 significant digits.
    const std::string text = parsed["f"][0].dump();
    float back = 0;
    std::from_chars(text.data(), text.data() + text.size(), back);
    ASSERT_EQ(FloatBits(back), FloatBits(f)) << text;
  }
}

TEST(ExampleJsonTest, RegroupsRaggedFeatures) {
  DecodedExample e;
  e["rtts/ragged_flat_values"] = std::vector<float>{1.5f, 2.5f, 3.5f};
  e["rtts/ragged_row_lengths_0"] = std::vector<int64_t>{2, 0, 1};
  e["bad/ragged_flat_values"] = std::vector<int64_t>{1};
  e["bad/ragged_row_lengths_0"] = std::vector<int64_t>{2};  // does not add up
  e["neg/ragged_flat_values"] = std::vector<int64_t>{1};
  e["neg/ragged_row_lengths_0"] = std::vector<int64_t>{-1, 2};
  e["x"] = std::vector<int64_t>{9};
  e["x/ragged_flat_values"] = std::vector<int64_t>{1};  // "x" is taken
  e["x/ragged_row_lengths_0"] = std::vector<int64_t>{1};
  e["lonely/ragged_flat_values"] = std::vector<std::string>{"a"};
  e["s/ragged_flat_values"] = std::vector<std::string>{"a", "b"};
  e["s/ragged_row_lengths_0"] = std::vector<int64_t>{2};
  EXPECT_EQ(DecodedExampleToJson(e, {.regroup_ragged = true}),
            R"({"bad/ragged_flat_values":[1],"bad/ragged_row_lengths_0":[2],)"
            R"("lonely/ragged_flat_values":["a"],)"
            R"("neg/ragged_flat_values":[1],"neg/ragged_row_lengths_0":[-1,2],)"
            R"("rtts":[[1.5,2.5],[],[3.5]],"s":[["a","b"]],)"
            R"("x":[9],"x/ragged_flat_values":[1],"x/ragged_row_lengths_0":[1]})");
}

TEST(ExampleJsonTest, NonUtf8NamesNeverThrow) {
  DecodedExample e;
  e["bad\xff"] = std::vector<int64_t>{1};
  EXPECT_EQ(DecodedExampleToJson(e), "{\"bad\xef\xbf\xbd\":[1]}");
}

}  // namespace
}  // namespace proberows
