#include "source/feature_names.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

TEST(FeatureNamesTest, WhatTfdsCanHold) {
  for (const char* ok : {"rtt", "prb_id", "result/rtt", "rtts/ragged_flat_values", "a-b", "my col", "rtt (ms)", "é"})
    EXPECT_TRUE(IsValidFeatureName(ok)) << ok;
  for (const char* bad : {"", " lts", "proto ", "\tx", "a\nb", "/x", "x/", "a//b"})
    EXPECT_FALSE(IsValidFeatureName(bad)) << bad;
  EXPECT_EQ(ValidFeatureName(" lts"), "lts");
  EXPECT_EQ(ValidFeatureName(" proto "), "proto");
  EXPECT_EQ(ValidFeatureName("a\nb"), "a_b");
  EXPECT_EQ(ValidFeatureName("a//b"), "a/_/b");
}

// Real firmware-1 RIPE Atlas results carry " lts" and " proto": `schema`
// lists them with the rename, `build` refuses and writes nothing, and the
// rename it prints builds.
TEST(FeatureNamesTest, SchemaReportsAndBuildRefuses) {
  TempDir dir;
  const std::string input = dir.path() + "/fw1.jsonl";
  std::ofstream(input) << R"({"prb_id":1,"timestamp":1," lts":5," proto":"ICMP","avg":1.5})"
                          "\n"
                       << R"({"prb_id":2,"timestamp":2," lts":6," proto":"UDP","avg":2.5})"
                          "\n";
  const std::string lts =
      "feature name ' lts' has a space at its start or end, which TFDS cannot hold: rename it: --sql \"SELECT * RENAME "
      "(\\\" lts\\\" AS lts) FROM "
      "read_json('" +
      input + "')\", or drop it with --exclude ' lts'";
  CommandResult r = RunProberows("schema -i " + input);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("problems (2), each stops the build:\n  " + lts + "\n  feature name ' proto' has a space"),
            std::string::npos)
      << r.out;
  const std::string out = dir.path() + "/out";
  r = RunProberows("build -i " + input + " -o " + out + " --exclude ' proto'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "proberows: error: " + lts + "\n");
  EXPECT_FALSE(std::filesystem::exists(out));
  r = RunProberows("build -i " + input + " -o " + out + " --exclude ' proto,proto '");
  EXPECT_EQ(r.exit_code, 1);
  // The suggested query builds.
  r = RunProberows("build -o " + out +
                   " --sql \"SELECT * RENAME (\\\" lts\\\" AS lts, \\\" proto\\\" AS proto) FROM read_json('" + input +
                   "')\"");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunProberows("inspect " + out);
  EXPECT_NE(r.out.find("    lts  "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    proto  "), std::string::npos) << r.out;
}

}  // namespace
}  // namespace proberows
