// Long sequences cut into training rows (--max-measurements-per-row,
// --row-window; group/row_cut.h): the exact rows read back from the output,
// every row of a key in the key's split and shard, the metadata's counts,
// and the same bytes from every strategy, memory limit, worker count and
// stage task count.
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "proberows/array_record_reader.h"
#include "proberows/example.h"
#include "proberows/pipeline.h"
#include "proberows/stages.h"
#include "source/duckdb_handle.h"
#include "tests/reliability_util.h"
#include "tests/test_util.h"
#include "util/status_macros.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;

constexpr int kKeys = 40;
constexpr int64_t kWindow = 900;  // --row-window 15m over integer seconds
constexpr uint64_t kMax = 4;      // --max-measurements-per-row

// Key k (1..kKeys) has 3k measurements at k * 13 + i * 50 seconds (i < 3k),
// a static column and one value per measurement.
constexpr const char* kSql =
    "SELECT k AS prb_id, k * 13 + i * 50 AS timestamp, k * 100000 + i AS rtt, 'c' || k AS country "
    "FROM (SELECT k, unnest(range(0, 3 * k)) AS i FROM range(1, 41) AS t(k))";

class CutRowsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    DuckDbOptions o;
    o.threads = 1;
    auto db = DuckDb::Open(o);
    ASSERT_TRUE(db.ok());
    // Rows shuffled and in small row groups, so that map tasks share the file.
    ASSERT_TRUE((*db)
                    ->Execute(fmt::format("COPY ({} ORDER BY hash(prb_id * 7919 + timestamp)) TO '{}' "
                                          "(FORMAT parquet, ROW_GROUP_SIZE 256)",
                                          kSql, Input()))
                    .ok());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Input() { return dir_->path() + "/in.parquet"; }

  BuildOptions Options(const std::string& name) {
    BuildOptions o;
    o.inputs = {Input()};
    o.output_dir = tmp_.path() + "/" + name;
    o.static_columns = {"country"};
    o.test_fraction = 0.25;
    o.train_shards = 3;
    o.test_shards = 2;
    o.max_measurements_per_row = kMax;
    o.row_window = "15m";
    o.progress = false;
    o.workers = 2;
    o.memory_limit_bytes = 1ull << 30;
    return o;
  }

  static TempDir* dir_;
  TempDir tmp_;
};

TempDir* CutRowsTest::dir_ = nullptr;

// One row read back: its shard file and decoded features.
struct Row {
  std::string file;
  int64_t key = 0;
  int64_t row_index = -1;
  int64_t window_start = -1;
  std::vector<int64_t> timestamps;
  std::vector<int64_t> rtts;
  std::string country;
};

std::vector<Row> ReadRows(const std::string& dir) {
  std::vector<Row> rows;
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".array_record-") != std::string::npos)
      files.insert(e.path().filename().string());
  for (const std::string& file : files) {
    auto reader = ArrayRecordReader::Open(Env::Default(), dir + "/" + file);
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return rows;
    EXPECT_TRUE((*reader)
                    ->ReadAll([&](uint64_t, std::string_view rec) -> absl::Status {
                      ASSIGN_OR_RETURN(DecodedExample ex, DecodeExample(rec));
                      Row r;
                      r.file = file;
                      auto ints = [&](const char* name) { return std::get<std::vector<int64_t>>(ex.at(name)); };
                      r.key = ints("prb_id").at(0);
                      r.row_index = ints("row_index").at(0);
                      r.window_start = ints("window_start").at(0);
                      r.timestamps = ints("timestamp");
                      r.rtts = ints("rtt");
                      r.country = std::get<std::vector<std::string>>(ex.at("country")).at(0);
                      EXPECT_EQ(ex.size(), 6u);
                      rows.push_back(std::move(r));
                      return absl::OkStatus();
                    })
                    .ok());
  }
  return rows;
}

TEST_F(CutRowsTest, RowsAreCutByWindowThenCount) {
  BuildOptions o = Options("out");
  absl::StatusOr<BuildSummary> s = Build(o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->keys, static_cast<uint64_t>(kKeys));

  // The expected rows of every key, computed here from the definition.
  std::map<int64_t, std::vector<Row>> expected;
  uint64_t expected_rows = 0, measurements = 0;
  for (int64_t k = 1; k <= kKeys; ++k) {
    std::vector<Row>& rows = expected[k];
    for (int64_t i = 0; i < 3 * k; ++i) {
      const int64_t ts = k * 13 + i * 50;
      const int64_t window = ts / kWindow * kWindow;
      if (rows.empty() || rows.back().window_start != window || rows.back().timestamps.size() == kMax) {
        Row r;
        r.key = k;
        r.row_index = static_cast<int64_t>(rows.size());
        r.window_start = window;
        r.country = fmt::format("c{}", k);
        rows.push_back(r);
      }
      rows.back().timestamps.push_back(ts);
      rows.back().rtts.push_back(k * 100000 + i);
      ++measurements;
    }
    expected_rows += rows.size();
  }
  EXPECT_EQ(expected_rows, 690u);  // checked with a Python one-liner of the same definition

  const std::vector<Row> got = ReadRows(o.output_dir);
  ASSERT_EQ(got.size(), expected_rows);
  std::map<int64_t, std::vector<Row>> by_key;
  for (const Row& r : got) by_key[r.key].push_back(r);
  ASSERT_EQ(by_key.size(), static_cast<size_t>(kKeys));
  uint64_t test_keys = 0, test_rows = 0;
  for (const auto& [key, rows] : by_key) {
    SCOPED_TRACE(fmt::format("key {}", key));
    const std::vector<Row>& want = expected.at(key);
    ASSERT_EQ(rows.size(), want.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].file, rows[0].file);  // one shard (so one split) per key
      EXPECT_EQ(rows[i].row_index, want[i].row_index);
      EXPECT_EQ(rows[i].window_start, want[i].window_start);
      EXPECT_EQ(rows[i].timestamps, want[i].timestamps);
      EXPECT_EQ(rows[i].rtts, want[i].rtts);
      EXPECT_EQ(rows[i].country, want[i].country);
    }
    if (rows[0].file.find("-test.") != std::string::npos) {
      ++test_keys;
      test_rows += rows.size();
    }
  }
  EXPECT_EQ(test_keys, 10u);  // round(0.25 * 40): the split counts keys
  EXPECT_EQ(s->test.rows, test_rows);
  EXPECT_EQ(s->test.keys, 10u);
  EXPECT_EQ(s->train.rows + s->test.rows, expected_rows);

  // The metadata says how many rows and keys, and how rows were cut.
  const nlohmann::json meta = nlohmann::json::parse(ReadFileOrDie(o.output_dir + "/proberows.json"));
  EXPECT_EQ(meta["counts"], nlohmann::json({{"rows", expected_rows}, {"keys", kKeys}, {"measurements", measurements}}));
  EXPECT_EQ(meta["split"]["test_keys"], 10);
  EXPECT_EQ(meta["split"]["train_keys"], 30);
  EXPECT_EQ(meta["split"]["test_rows"], test_rows);
  EXPECT_EQ(meta["split"]["train_rows"], expected_rows - test_rows);
  EXPECT_EQ(meta["splits"]["test"]["keys"], 10);
  EXPECT_EQ(meta["splits"]["test"]["rows"], test_rows);
  EXPECT_EQ(meta["cut_rows"], nlohmann::json({{"max_measurements_per_row", kMax},
                                              {"row_window", "15m"},
                                              {"window_width", kWindow},
                                              {"features", {"row_index", "window_start"}}}));
  const nlohmann::json features = nlohmann::json::parse(ReadFileOrDie(o.output_dir + "/features.json"));
  EXPECT_EQ(features["featuresDict"]["features"]["row_index"]["tensor"]["dtype"], "int64");
  EXPECT_EQ(features["featuresDict"]["features"]["window_start"]["tensor"]["dtype"], "int64");
  // dataset_info.json's shard lengths are rows; the statistics count rows.
  const nlohmann::json info = nlohmann::json::parse(ReadFileOrDie(o.output_dir + "/dataset_info.json"));
  uint64_t lengths = 0;
  for (const auto& split : info["splits"]) {
    for (const auto& n : split["shardLengths"]) lengths += std::stoull(n.get<std::string>());
    EXPECT_EQ(split["statistics"]["numExamples"],
              split["name"] == "test" ? std::to_string(test_rows) : std::to_string(expected_rows - test_rows));
  }
  EXPECT_EQ(lengths, expected_rows);

  // `verify` accepts the cut rows (row_index in order, a key's rows in one
  // shard, the split by key) and recounts every key's measurements.
  const CommandResult v = RunProberows("verify " + o.output_dir + " -i " + Input());
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("recounted the input with DuckDB: 40 keys, 2460 measurements\nOK\n"), std::string::npos)
      << v.out;
}

TEST_F(CutRowsTest, OnlyACountOrOnlyAWindow) {
  BuildOptions o = Options("count");
  o.row_window.clear();
  ASSERT_TRUE(Build(o).ok());
  std::vector<Row> rows;
  {
    // Without a window, rows hold no window_start.
    auto reader = ArrayRecordReader::Open(Env::Default(), o.output_dir + "/probes-train.array_record-00000-of-00003");
    ASSERT_TRUE(reader.ok());
    std::string rec;
    ASSERT_TRUE((*reader)->ReadRecord(0, &rec).ok());
    auto ex = DecodeExample(rec);
    ASSERT_TRUE(ex.ok());
    EXPECT_TRUE(ex->count("row_index"));
    EXPECT_FALSE(ex->count("window_start"));
  }
  const nlohmann::json meta = nlohmann::json::parse(ReadFileOrDie(o.output_dir + "/proberows.json"));
  uint64_t want = 0;  // sum of ceil(3k / 4)
  for (uint64_t k = 1; k <= kKeys; ++k) want += (3 * k + kMax - 1) / kMax;
  EXPECT_EQ(meta["counts"]["rows"], want);

  BuildOptions w = Options("window");
  w.max_measurements_per_row = 0;
  ASSERT_TRUE(Build(w).ok());
  uint64_t windows = 0;  // distinct windows per key
  for (int64_t k = 1; k <= kKeys; ++k) {
    std::set<int64_t> seen;
    for (int64_t i = 0; i < 3 * k; ++i) seen.insert((k * 13 + i * 50) / kWindow);
    windows += seen.size();
  }
  const nlohmann::json wmeta = nlohmann::json::parse(ReadFileOrDie(w.output_dir + "/proberows.json"));
  EXPECT_EQ(wmeta["counts"]["rows"], windows);
  EXPECT_EQ(wmeta["cut_rows"]["max_measurements_per_row"], 0);
}

TEST_F(CutRowsTest, SameBytesFromEveryStrategyLimitWorkersAndStages) {
  BuildOptions ref = Options("ref");
  ref.workers = 1;
  ref.memory_limit_bytes = 256ull << 20;
  ASSERT_TRUE(Build(ref).ok());
  const auto expected = ReadTreeBytes(ref.output_dir);
  ASSERT_EQ(expected.size(), 8u);  // 5 shards + 3 metadata files

  struct Variant {
    Strategy strategy;
    int workers;
    uint64_t memory;
  };
  for (const Variant& v :
       {Variant{Strategy::kStreaming, 2, 1ull << 30}, Variant{Strategy::kInMemory, 2, 1ull << 30},
        Variant{Strategy::kInMemory, 1, 256ull << 20}, Variant{Strategy::kSequential, 1, 1ull << 30}}) {
    SCOPED_TRACE(fmt::format("{} -j{} -m {}", StrategyName(v.strategy), v.workers, FormatBytes(v.memory)));
    BuildOptions o = ref;
    o.output_dir = tmp_.path() + fmt::format("/{}-{}-{}", StrategyName(v.strategy), v.workers, v.memory);
    o.strategy = v.strategy;
    o.workers = v.workers;
    o.memory_limit_bytes = v.memory;
    ASSERT_TRUE(Build(o).ok());
    EXPECT_TRUE(ReadTreeBytes(o.output_dir) == expected);
  }
  for (auto [maps, reduces] : {std::pair{1, 1}, {3, 2}}) {
    SCOPED_TRACE(fmt::format("{} map x {} reduce tasks", maps, reduces));
    BuildOptions o = ref;
    o.output_dir = tmp_.path() + fmt::format("/stages-{}x{}", maps, reduces);
    const std::string work = tmp_.path() + fmt::format("/work-{}x{}", maps, reduces);
    PlanStageOptions p;
    p.map_tasks = maps;
    p.reduce_tasks = reduces;
    p.reduce_memory_limit_bytes = 256ull << 20;
    ASSERT_TRUE(PlanStage(o, work, p).ok());
    StageOptions t;
    t.workers = 2;
    t.memory_limit_bytes = 256ull << 20;
    for (int i = 0; i < maps; ++i) ASSERT_TRUE(MapStage(work, i, t).ok());
    ASSERT_TRUE(SplitStage(work, t).ok());
    for (int j = 0; j < reduces; ++j) ASSERT_TRUE(ReduceStage(work, j, t).ok());
    FinalizeStageOptions f;
    f.memory_limit_bytes = t.memory_limit_bytes;
    absl::StatusOr<BuildSummary> done = FinalizeStage(work, f);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_TRUE(ReadTreeBytes(o.output_dir) == expected);
  }
}

TEST_F(CutRowsTest, UsageErrorsNameTheFlag) {
  BuildOptions o = Options("bad");
  o.row_window = "1w";
  EXPECT_EQ(Build(o).status().message(),
            "--row-window '1w': expected a positive whole number of seconds, minutes, hours or days (90s, 15m, 1h, "
            "1d) or a positive integer in the order column's unit");
  const CommandResult r = RunProberows("build --max-measurements-per-row 0 -i x -o " + tmp_.path() + "/never");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "proberows: error: --max-measurements-per-row 0 must be at least 1\n");
  // --dry-run says how rows would be cut.
  const CommandResult dry = RunProberows("build --dry-run -o " + tmp_.path() + "/never -i " + Input() +
                                         " --max-measurements-per-row 5 --row-window 1h");
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("\nrows cut: one per window of 1h, at most 5 measurements each; each row also holds "
                         "row_index and window_start (int64)\n"),
            std::string::npos)
      << dry.out;
  // A column named like a row feature collides with it.
  BuildOptions c = Options("collide");
  c.inputs.clear();
  c.sql = "SELECT 1 AS prb_id, 2 AS timestamp, 3 AS row_index";
  c.static_columns.clear();
  EXPECT_EQ(Build(c).status().message(),
            "feature name collision: column 'row_index' and the row feature 'row_index' of cut rows both produce "
            "feature 'row_index'");
}

}  // namespace
}  // namespace proberows
