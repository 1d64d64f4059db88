// One probe with a very large number of measurements: written correctly in
// streaming mode when the memory limit allows grouping it, refused with a
// message naming the key and the limit it needs otherwise.
//
// The default suite uses 300k measurements of ~230 bytes each (fast); set
// PROBEROWS_HUGE_PROBE=5000000 (scripts/huge_probe.sh) to run the 5M case.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "gtest/gtest.h"
#include "proberows/array_record_reader.h"
#include "proberows/example.h"
#include "tests/reliability_util.h"
#include "tests/test_util.h"
#include "util/status_macros.h"

namespace proberows {
namespace {

int64_t Measurements() {
  const char* env = std::getenv("PROBEROWS_HUGE_PROBE");
  return env && *env ? std::atoll(env) : 300000;
}

// Padding of the tag column: large records for the quick default case, small
// ones for the opt-in millions (5M x ~50 B fits the default 2 GB budget).
int TagPad() { return Measurements() > 1000000 ? 10 : 190; }

class HugeProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // Timestamps in reverse so that the row must really be sorted; a 200-byte
    // string per measurement makes the records large.
    RunDuckDbOrDie("COPY (SELECT 42::BIGINT AS prb_id, TIMESTAMP '2024-01-01' + to_microseconds(" +
                   std::to_string(Measurements()) +
                   " - i) AS timestamp, (i % 1000)::DOUBLE AS rtt, "
                   "repeat('x', " +
                   std::to_string(TagPad()) + ") || lpad(CAST(i AS VARCHAR), 10, '0') AS tag FROM range(" +
                   std::to_string(Measurements()) + ") t(i)) TO '" + dir_->path() +
                   "/huge.parquet' (FORMAT parquet, ROW_GROUP_SIZE 20000)");
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Input() { return dir_->path() + "/huge.parquet"; }
  static TempDir* dir_;
};

TempDir* HugeProbeTest::dir_ = nullptr;

TEST_F(HugeProbeTest, WrittenCorrectlyInStreamingMode) {
  TempDir out;
  CommandResult r = RunProberows("build --no-progress -j 2 -m 2GB --test-fraction 0 -i " + ShellQuote(Input()) +
                                 " -o " + ShellQuote(out.path() + "/o"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::fprintf(stderr, "%s", r.out.c_str());
  const std::string shard = out.path() + "/o/probes-train.array_record-00000-of-00001";
  absl::StatusOr<std::unique_ptr<ArrayRecordReader>> reader = ArrayRecordReader::Open(Env::Default(), shard);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_EQ((*reader)->num_records(), 1u);
  std::string record;
  ASSERT_TRUE((*reader)->ReadRecord(0, &record).ok());
  absl::StatusOr<DecodedExample> ex = DecodeExample(record);
  ASSERT_TRUE(ex.ok()) << ex.status();
  const auto& ts = std::get<std::vector<int64_t>>(ex->at("timestamp"));
  const auto& tags = std::get<std::vector<std::string>>(ex->at("tag"));
  const int64_t n = Measurements();
  ASSERT_EQ(static_cast<int64_t>(ts.size()), n);
  ASSERT_EQ(static_cast<int64_t>(tags.size()), n);
  for (int64_t i = 1; i < n; ++i) ASSERT_LT(ts[i - 1], ts[i]) << i;
  // Sorted by time = input order reversed: the first tag is the last row's.
  EXPECT_EQ(tags.front(), std::string(TagPad(), 'x') + fmt::format("{:010d}", n - 1));
  EXPECT_EQ(tags.back(), std::string(TagPad(), 'x') + "0000000000");
  CommandResult v = RunProberows("verify " + ShellQuote(out.path() + "/o") + " -i " + ShellQuote(Input()));
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST_F(HugeProbeTest, RefusedClearlyWhenTheLimitIsTooSmall) {
  if (Measurements() < 300000) GTEST_SKIP();
  TempDir out;
  const auto before = ListTree(out.path());
  CommandResult r = RunProberows("build --no-progress -j 1 -m 160MiB -i " + ShellQuote(Input()) + " -o " +
                                 ShellQuote(out.path() + "/o"));
  EXPECT_EQ(r.exit_code, 1);
  const std::string prefix =
      "proberows: error: a single key (key 42 with " + std::to_string(Measurements()) + " measurements) holds ";
  EXPECT_EQ(r.err.substr(0, prefix.size()), prefix) << r.err;
  EXPECT_NE(r.err.find("more than can be grouped within --memory-limit 160.0 MiB; raise --memory-limit to at least "),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  EXPECT_EQ(NewEntries(before, ListTree(out.path())), "");
}

}  // namespace
}  // namespace proberows
