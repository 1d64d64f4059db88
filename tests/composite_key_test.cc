// Composite keys (--key a,b; source/key_codec.h): rows grouped by the tuple,
// every key column written as its own feature, the split and order by the
// documented hash of the tuple (docs/output-format.md, "Composite keys"),
// the same bytes from every strategy, memory limit, worker count and stage
// task count, and exact usage errors.
#include <xxhash.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>

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

// Key (a, b) for a in 1..8 and b in {x, xy, y}: a + length(b) measurements
// at a * 7 + i * 10, rtt a * 1000 + i, a static country b || a.
constexpr const char* kSql =
    "SELECT a, b, a * 7 + i * 10 AS timestamp, a * 1000 + i AS rtt, b || a AS country "
    "FROM (SELECT a, b, unnest(range(0, a + length(b))) AS i "
    "FROM range(1, 9) AS t(a), (VALUES ('x'), ('xy'), ('y')) AS v(b))";
constexpr int kKeys = 24;
constexpr uint64_t kMeasurements = 140;  // sum over a of 3a + 4

class CompositeKeyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    DuckDbOptions o;
    o.threads = 1;
    auto db = DuckDb::Open(o);
    ASSERT_TRUE(db.ok());
    // Rows shuffled and in small row groups, so that map tasks share the file.
    ASSERT_TRUE((*db)
                    ->Execute(fmt::format("COPY ({} ORDER BY hash(a * 7919 + rtt, b)) TO '{}' "
                                          "(FORMAT parquet, ROW_GROUP_SIZE 16)",
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
    o.key_column = "a,b";
    o.static_columns = {"country"};
    o.test_fraction = 0.25;
    o.train_shards = 3;
    o.test_shards = 2;
    o.progress = false;
    o.workers = 2;
    o.memory_limit_bytes = 1ull << 30;
    return o;
  }

  static TempDir* dir_;
  TempDir tmp_;
};

TempDir* CompositeKeyTest::dir_ = nullptr;

// The tuple's bytes as docs/output-format.md defines them, written out here:
// an integer as 8 bytes big-endian with the sign bit flipped, a string as its
// bytes (no 0x00 in these) then 0x00 0x00.
std::string TupleBytes(int64_t a, const std::string& b) {
  std::string out;
  const uint64_t u = static_cast<uint64_t>(a) ^ 0x8000000000000000ull;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(u >> (56 - 8 * i)));
  out += b;
  out.append(2, '\0');
  return out;
}

struct Row {
  std::string file;
  int64_t a = 0;
  std::string b;
  std::vector<int64_t> timestamps;
  std::vector<int64_t> rtts;
  std::string country;
};

// Every row of `dir`, shard by shard in name order, records in file order.
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
                      auto strings = [&](const char* name) { return std::get<std::vector<std::string>>(ex.at(name)); };
                      EXPECT_EQ(ints("a").size(), 1u);
                      EXPECT_EQ(strings("b").size(), 1u);
                      r.a = ints("a").at(0);
                      r.b = strings("b").at(0);
                      r.timestamps = ints("timestamp");
                      r.rtts = ints("rtt");
                      r.country = strings("country").at(0);
                      EXPECT_EQ(ex.size(), 5u);  // a, b, country, rtt, timestamp: no other key feature
                      rows.push_back(std::move(r));
                      return absl::OkStatus();
                    })
                    .ok());
  }
  return rows;
}

TEST_F(CompositeKeyTest, RowsPerTupleInTheDocumentedOrderAndSplit) {
  BuildOptions o = Options("out");
  absl::StatusOr<BuildSummary> s = Build(o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->keys, static_cast<uint64_t>(kKeys));

  // The expected rows in output order: keys sorted by (hash, tuple bytes);
  // the first round(0.25 * 24) = 6 are test (2 shards of 3), the other 18
  // train (3 shards of 6).
  struct Want {
    uint64_t hash;
    std::string bytes;
    int64_t a;
    std::string b;
  };
  std::vector<Want> order;
  for (int64_t a = 1; a <= 8; ++a)
    for (const std::string b : {"x", "xy", "y"}) {
      const std::string bytes = TupleBytes(a, b);
      order.push_back({XXH3_64bits_withSeed(bytes.data(), bytes.size(), 0), bytes, a, b});
    }
  std::sort(order.begin(), order.end(),
            [](const Want& x, const Want& y) { return std::tie(x.hash, x.bytes) < std::tie(y.hash, y.bytes); });
  std::vector<std::string> files;
  for (int i = 0; i < kKeys; ++i)
    files.push_back(i < 6 ? fmt::format("probes-test.array_record-{:05}-of-00002", i / 3)
                          : fmt::format("probes-train.array_record-{:05}-of-00003", (i - 6) / 6));

  const std::vector<Row> got = ReadRows(o.output_dir);
  ASSERT_EQ(got.size(), static_cast<size_t>(kKeys));
  // ReadRows reads test shards first, then train: the expected order.
  for (int i = 0; i < kKeys; ++i) {
    const Want& w = order[static_cast<size_t>(i)];
    const Row& r = got[static_cast<size_t>(i)];
    SCOPED_TRACE(fmt::format("row {}: ({}, {})", i, w.a, w.b));
    EXPECT_EQ(r.file, files[static_cast<size_t>(i)]);
    EXPECT_EQ(r.a, w.a);
    EXPECT_EQ(r.b, w.b);
    std::vector<int64_t> ts, rtts;
    for (int64_t k = 0; k < w.a + static_cast<int64_t>(w.b.size()); ++k) {
      ts.push_back(w.a * 7 + k * 10);
      rtts.push_back(w.a * 1000 + k);
    }
    EXPECT_EQ(r.timestamps, ts);
    EXPECT_EQ(r.rtts, rtts);
    EXPECT_EQ(r.country, fmt::format("{}{}", w.b, w.a));
  }
  EXPECT_EQ(s->test.keys, 6u);
  EXPECT_EQ(s->train.keys, 18u);

  // The metadata records the key list; both parts are key features.
  const nlohmann::json meta = nlohmann::json::parse(ReadFileOrDie(o.output_dir + "/proberows.json"));
  EXPECT_EQ(meta["key"], "a,b");
  EXPECT_EQ(meta["key_columns"], nlohmann::json({"a", "b"}));
  EXPECT_EQ(meta["counts"], nlohmann::json({{"rows", kKeys}, {"measurements", kMeasurements}}));
  std::map<std::string, std::string> roles;
  for (const auto& c : meta["columns"]) roles[c["name"]] = c["role"];
  EXPECT_EQ(roles, (std::map<std::string, std::string>{{"a", "key"},
                                                       {"b", "key"},
                                                       {"country", "static"},
                                                       {"rtt", "per_measurement"},
                                                       {"timestamp", "per_measurement"}}));
  const nlohmann::json features = nlohmann::json::parse(ReadFileOrDie(o.output_dir + "/features.json"));
  EXPECT_EQ(features["featuresDict"]["features"]["a"]["tensor"]["dtype"], "int64");
  EXPECT_EQ(features["featuresDict"]["features"]["b"]["tensor"]["dtype"], "string");
  EXPECT_FALSE(features["featuresDict"]["features"].contains("a,b"));

  // `verify` checks the hash order and split and recounts the tuples.
  const CommandResult v = RunProberows("verify " + o.output_dir + " -i " + Input());
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("recounted the input with DuckDB: 24 keys, 140 measurements\nOK\n"), std::string::npos) << v.out;
}

TEST_F(CompositeKeyTest, SameBytesFromEveryStrategyLimitWorkersAndStages) {
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
       {Variant{Strategy::kStreaming, 2, 1ull << 30}, Variant{Strategy::kStreaming, 2, 128ull << 20},
        Variant{Strategy::kInMemory, 2, 1ull << 30}, Variant{Strategy::kSequential, 1, 1ull << 30}}) {
    SCOPED_TRACE(fmt::format("{} -j{} -m {}", StrategyName(v.strategy), v.workers, FormatBytes(v.memory)));
    BuildOptions o = ref;
    o.output_dir = tmp_.path() + fmt::format("/{}-{}-{}", StrategyName(v.strategy), v.workers, v.memory);
    o.strategy = v.strategy;
    o.workers = v.workers;
    o.memory_limit_bytes = v.memory;
    absl::StatusOr<BuildSummary> s = Build(o);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_TRUE(ReadTreeBytes(o.output_dir) == expected);
  }
  {
    SCOPED_TRACE("3 map x 2 reduce tasks");
    BuildOptions o = ref;
    o.output_dir = tmp_.path() + "/stages";
    const std::string work = tmp_.path() + "/work";
    PlanStageOptions p;
    p.map_tasks = 3;
    p.reduce_tasks = 2;
    p.reduce_memory_limit_bytes = 256ull << 20;
    ASSERT_TRUE(PlanStage(o, work, p).ok());
    StageOptions t;
    t.workers = 2;
    t.memory_limit_bytes = 256ull << 20;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(MapStage(work, i, t).ok());
    ASSERT_TRUE(SplitStage(work, t).ok());
    for (int j = 0; j < 2; ++j) {
      auto st = ReduceStage(work, j, t);
      ASSERT_TRUE(st.ok()) << st.status();
    }
    FinalizeStageOptions f;
    f.memory_limit_bytes = t.memory_limit_bytes;
    absl::StatusOr<BuildSummary> done = FinalizeStage(work, f);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_TRUE(ReadTreeBytes(o.output_dir) == expected);
  }
}

TEST_F(CompositeKeyTest, UsageErrorsAreExact) {
  auto message = [&](const std::string& key, const std::string& sql = "") {
    BuildOptions o = Options("bad");
    o.key_column = key;
    if (!sql.empty()) {
      o.inputs.clear();
      o.sql = sql;
      o.static_columns.clear();
    }
    return std::string(Build(o).status().message());
  };
  EXPECT_EQ(message("a,nope"),
            "key column 'nope' not found in input; available columns: a, b, timestamp, rtt, country");
  EXPECT_EQ(message("a,b,a"), "key column 'a' named twice");
  EXPECT_EQ(message("a,"), "--key 'a,': part 2 is empty (expected COLUMN[,COLUMN...])");
  EXPECT_EQ(message(",b"), "--key ',b': part 1 is empty (expected COLUMN[,COLUMN...])");
  EXPECT_EQ(message("a,timestamp"), "--order-by 'timestamp' is a key column");
  EXPECT_EQ(message("a,country"), "--static-columns: 'country' is the key column");
  EXPECT_EQ(message("a,b", "SELECT * FROM (VALUES (1, 'x', 1), (2, NULL, 2), (3, NULL, 3)) AS t(a, b, timestamp)"),
            "NULL values the output cannot hold (only float features hold NULL, as NaN): key column 'b' is NULL in 2 "
            "of 3 rows; to fix: rows without 'b' must be dropped, e.g. with --sql \"SELECT * FROM ... WHERE \"b\" "
            "IS NOT NULL\"");
  EXPECT_EQ(message("a,b", "SELECT * FROM (VALUES (1, 'x', 1), (NULL, 'y', 2)) AS t(a, b, timestamp)"),
            "NULL values the output cannot hold (only float features hold NULL, as NaN): key column 'a' is NULL in 1 "
            "of 2 rows; to fix: rows without 'a' must be dropped, e.g. with --sql \"SELECT * FROM ... WHERE \"a\" "
            "IS NOT NULL\"");

  // A static column that differs within a key names the key by its parts'
  // values, not by its sort bytes.
  {
    BuildOptions o = Options("bad");
    o.key_column = "a,b";
    o.inputs.clear();
    o.sql = "SELECT * FROM (VALUES (7, 'x', 1, 'NL'), (7, 'x', 2, 'DE')) AS t(a, b, timestamp, country)";
    o.static_columns = {"country"};
    EXPECT_EQ(std::string(Build(o).status().message()),
              "static column 'country' differs within key (7, \"x\"): measurement 0 has \"NL\", measurement 1 has "
              "\"DE\"");
  }

  // The CLI: the same messages, and --dry-run names the key columns.
  const CommandResult r = RunProberows("build --key a,a -i " + Input() + " -o " + tmp_.path() + "/never");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "proberows: error: key column 'a' named twice\n");
  const CommandResult dry =
      RunProberows("build --dry-run --key a,b --static-columns country -o " + tmp_.path() + "/never -i " + Input());
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("one row per 'a,b'"), std::string::npos) << dry.out;
}

}  // namespace
}  // namespace proberows
