// End-to-end tests of `build`: the three strategies, worker counts, memory
// limits and input splits give byte-identical output; rows check out against
// protobuf's own parser and DuckDB's view of the input.
#include "proberows/pipeline.h"

#include <filesystem>
#include <map>
#include <set>

#include "example.pb.h"
#include "gtest/gtest.h"
#include "proberows/array_record_reader.h"
#include "proberows/dataset.h"
#include "proberows/generate.h"
#include "source/duckdb_handle.h"
#include "source/key_codec.h"
#include "tests/reliability_util.h"
#include "tests/test_util.h"
#include "util/status_macros.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;

class PipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    for (int files : {1, 3}) {
      GenerateOptions g;
      g.output_dir = Input(files);
      g.measurements = 20000;
      g.probes = 700;
      g.files = files;
      g.seed = 7;
      absl::StatusOr<GenerateResult> r = GenerateDataset(g);
      ASSERT_TRUE(r.ok()) << r.status();
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Input(int files) { return dir_->path() + "/input" + std::to_string(files); }

  BuildOptions Options(const std::string& out, int files = 1) {
    BuildOptions o;
    o.inputs = {Input(files) + "/*.parquet"};
    o.output_dir = out;
    o.static_columns = {"prb_lat", "prb_lon", "prb_asn", "prb_country"};
    o.train_shards = 3;
    o.test_shards = 2;
    o.progress = false;
    return o;
  }

  std::map<std::string, std::string> BuildTree(BuildOptions o) {
    absl::StatusOr<BuildSummary> s = Build(o);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) return {};
    return ReadTreeBytes(o.output_dir);
  }

  static TempDir* dir_;
};

TempDir* PipelineTest::dir_ = nullptr;

TEST_F(PipelineTest, AllStrategiesWorkersLimitsAndFileSplitsAreByteIdentical) {
  TempDir out;
  BuildOptions ref = Options(out.path() + "/sequential");
  ref.strategy = Strategy::kSequential;
  const auto expected = BuildTree(ref);
  ASSERT_FALSE(expected.empty());
  // 2 + 3 shards + proberows.json + dataset_info.json + features.json.
  EXPECT_EQ(expected.size(), 8u);
  EXPECT_TRUE(expected.count("probes-train.array_record-00000-of-00003"));
  EXPECT_TRUE(expected.count("probes-test.array_record-00001-of-00002"));

  struct Variant {
    Strategy strategy;
    int workers;
    uint64_t memory;
    int files;
  };
  const Variant variants[] = {
      {Strategy::kInMemory, 1, 2ull << 30, 1},    {Strategy::kInMemory, 2, 2ull << 30, 3},
      {Strategy::kStreaming, 1, 2ull << 30, 1},   {Strategy::kStreaming, 2, 2ull << 30, 3},
      {Strategy::kStreaming, 2, 128ull << 20, 1}, {Strategy::kStreaming, 3, 128ull << 20, 3},
  };
  int i = 0;
  for (const Variant& v : variants) {
    BuildOptions o = Options(out.path() + "/v" + std::to_string(i++), v.files);
    o.strategy = v.strategy;
    o.workers = v.workers;
    o.memory_limit_bytes = v.memory;
    const auto got = BuildTree(o);
    ASSERT_EQ(got.size(), expected.size());
    for (const auto& [name, bytes] : expected) {
      ASSERT_TRUE(got.count(name)) << name;
      EXPECT_TRUE(got.at(name) == bytes) << name << " differs for strategy " << StrategyName(v.strategy) << ", "
                                         << v.workers << " workers, " << v.memory << " bytes, " << v.files << " files";
    }
  }
}

TEST_F(PipelineTest, RowsMatchDuckDbAndProtobuf) {
  TempDir out;
  BuildOptions o = Options(out.path() + "/ds");
  ASSERT_TRUE(Build(o).ok());

  // Every row, parsed by protobuf.
  std::map<int64_t, tensorflow::Example> rows;
  uint64_t test_rows = 0;
  for (const auto& e : fs::directory_iterator(o.output_dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".array_record-") == std::string::npos) continue;
    auto reader = ArrayRecordReader::Open(Env::Default(), e.path().string());
    ASSERT_TRUE(reader.ok()) << reader.status();
    if (name.find("-test.") != std::string::npos) test_rows += (*reader)->num_records();
    ASSERT_TRUE((*reader)
                    ->ReadAll([&](uint64_t, std::string_view rec) -> absl::Status {
                      tensorflow::Example ex;
                      if (!ex.ParseFromArray(rec.data(), static_cast<int>(rec.size())))
                        return absl::DataLossError("protobuf cannot parse a row");
                      const auto& f = ex.features().feature();
                      const int64_t key = f.at("prb_id").int64_list().value(0);
                      rows[key] = ex;
                      return absl::OkStatus();
                    })
                    .ok());
  }
  ASSERT_EQ(rows.size(), 700u);
  EXPECT_EQ(test_rows, 70u);  // round(0.1 * 700)

  // DuckDB's view of the same keys.
  auto db = DuckDb::Open({});
  ASSERT_TRUE(db.ok());
  auto result = (*db)->Query(
      "SELECT prb_id, epoch_us(timestamp), avg, dst_addr, len(rtts), rtts, prb_country, ttl FROM read_parquet(" +
      QuoteLiteral(Input(1) + "/*.parquet") + ") ORDER BY prb_id, timestamp");
  ASSERT_TRUE(result.ok()) << result.status();
  std::map<int64_t, std::vector<int64_t>> timestamps;
  std::map<int64_t, int64_t> rtt_count;
  for (;;) {
    auto chunk = result->Next();
    ASSERT_TRUE(chunk.ok());
    if (!chunk->valid()) break;
    auto* k = static_cast<int64_t*>(duckdb_vector_get_data(chunk->column(0)));
    auto* ts = static_cast<int64_t*>(duckdb_vector_get_data(chunk->column(1)));
    auto* n = static_cast<int64_t*>(duckdb_vector_get_data(chunk->column(4)));
    for (uint64_t r = 0; r < chunk->size(); ++r) {
      timestamps[k[r]].push_back(ts[r]);
      rtt_count[k[r]] += n[r];
    }
  }
  ASSERT_EQ(timestamps.size(), rows.size());
  for (const auto& [key, ts] : timestamps) {
    const auto& f = rows.at(key).features().feature();
    const auto& got_ts = f.at("timestamp").int64_list().value();
    ASSERT_EQ(static_cast<size_t>(got_ts.size()), ts.size()) << "key " << key;
    for (size_t i = 0; i < ts.size(); ++i) ASSERT_EQ(got_ts[static_cast<int>(i)], ts[i]) << "key " << key;
    EXPECT_EQ(f.at("avg").float_list().value_size(), static_cast<int>(ts.size()));
    EXPECT_EQ(f.at("dst_addr").bytes_list().value_size(), static_cast<int>(ts.size()));
    EXPECT_EQ(f.at("rtts/ragged_row_lengths_0").int64_list().value_size(), static_cast<int>(ts.size()));
    EXPECT_EQ(f.at("rtts/ragged_flat_values").float_list().value_size(), rtt_count[key]);
    EXPECT_EQ(f.at("prb_country").bytes_list().value_size(), 1);
    EXPECT_EQ(f.at("prb_lat").float_list().value_size(), 1);
  }
}

TEST_F(PipelineTest, VerifyRecountsTheInput) {
  TempDir out;
  BuildOptions o = Options(out.path() + "/ds");
  ASSERT_TRUE(Build(o).ok());
  VerifyOptions v;
  v.inputs = {Input(3) + "/*.parquet"};
  auto r = VerifyDataset(Env::Default(), o.output_dir, v);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok) << (r->problems.empty() ? "" : r->problems[0]);
  EXPECT_EQ(r->report,
            "checked 5 shard file(s): 700 rows, 20000 measurements\n"
            "recounted the input with DuckDB: 700 keys, 20000 measurements\nOK\n");
}

TEST(PipelineDefaultDataset, SplitCountsOfTheDefaultDataset) {
  TempDir dir;
  GenerateOptions g;
  g.output_dir = dir.path() + "/in";
  ASSERT_TRUE(GenerateDataset(g).ok());
  BuildOptions o;
  o.inputs = {g.output_dir};
  o.output_dir = dir.path() + "/out";
  auto s = Build(o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->keys, 18928u);
  EXPECT_EQ(s->input_measurements, 500000u);
  EXPECT_EQ(s->train.rows, 17035u);
  EXPECT_EQ(s->test.rows, 1893u);
  EXPECT_EQ(s->train.measurements + s->test.measurements, 500000u);

  // More workers than a small budget lets DuckDB scan with (4 x 19-column row
  // groups do not fit its 32 MiB): fewer scan threads, same bytes.
  BuildOptions small = o;
  small.output_dir = dir.path() + "/small";
  small.workers = 4;
  small.memory_limit_bytes = 128ull << 20;
  auto t = Build(small);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(ReadTreeBytes(small.output_dir), ReadTreeBytes(o.output_dir));
}

}  // namespace
}  // namespace proberows

namespace proberows {
namespace {

// A string key from a --sql source, and the same rows read from CSV: both
// give the same dataset, whose rows are keyed by the string.
TEST(PipelineSources, SqlSourceWithStringKeyAndCsvInputAgree) {
  TempDir dir;
  auto db = DuckDb::Open({});
  ASSERT_TRUE(db.ok());
  const std::string csv = dir.path() + "/m.csv";
  ASSERT_TRUE((*db)
                  ->Execute("COPY (SELECT 'probe-' || (i % 7) AS probe, i AS ts, i * 0.5 AS rtt, "
                            "'x' || (i % 3) AS tag FROM range(100) t(i)) TO " +
                            QuoteLiteral(csv) + " (HEADER)")
                  .ok());
  BuildOptions a;
  a.sql = "SELECT * FROM read_csv(" + QuoteLiteral(csv) + ")";
  a.output_dir = dir.path() + "/from-sql";
  a.key_column = "probe";
  a.order_column = "ts";
  a.test_fraction = 0.3;
  auto sa = Build(a);
  ASSERT_TRUE(sa.ok()) << sa.status();
  EXPECT_EQ(sa->keys, 7u);
  EXPECT_EQ(sa->test.rows, 2u);  // round(0.3 * 7) = round(2.1)
  EXPECT_EQ(sa->train.rows, 5u);

  BuildOptions b = a;
  b.sql.clear();
  b.inputs = {csv};
  b.output_dir = dir.path() + "/from-csv";
  b.strategy = Strategy::kSequential;
  ASSERT_TRUE(Build(b).ok());
  for (const char* f :
       {"probes-train.array_record-00000-of-00001", "probes-test.array_record-00000-of-00001", "proberows.json"}) {
    EXPECT_EQ(ReadFileOrDie(a.output_dir + "/" + f), ReadFileOrDie(b.output_dir + "/" + f)) << f;
  }

  // Every row: one string key, its measurements in ts order.
  std::set<std::string> keys;
  for (const char* f : {"probes-train.array_record-00000-of-00001", "probes-test.array_record-00000-of-00001"}) {
    auto reader = ArrayRecordReader::Open(Env::Default(), a.output_dir + "/" + f);
    ASSERT_TRUE(reader.ok());
    ASSERT_TRUE((*reader)
                    ->ReadAll([&](uint64_t, std::string_view rec) -> absl::Status {
                      tensorflow::Example ex;
                      if (!ex.ParseFromArray(rec.data(), static_cast<int>(rec.size())))
                        return absl::DataLossError("unparsable row");
                      const auto& fm = ex.features().feature();
                      const std::string key = fm.at("probe").bytes_list().value(0);
                      keys.insert(key);
                      const auto& ts = fm.at("ts").int64_list().value();
                      const int k = key.back() - '0';
                      if (ts.size() != (k < 100 % 7 ? 15 : 14)) return absl::InternalError("count for " + key);
                      for (int i = 0; i < ts.size(); ++i)
                        if (ts[i] != k + 7 * i) return absl::InternalError("order for " + key);
                      if (fm.at("rtt").float_list().value(0) != 0.5f * static_cast<float>(k))
                        return absl::InternalError("rtt for " + key);
                      return absl::OkStatus();
                    })
                    .ok());
  }
  EXPECT_EQ(keys.size(), 7u);
}

TEST_F(PipelineTest, TfdsLayoutPublishesIntoNameVersion) {
  TempDir out;
  BuildOptions flat = Options(out.path() + "/flat");
  ASSERT_TRUE(Build(flat).ok());
  BuildOptions o = Options(out.path() + "/data_dir");
  o.tfds_layout = true;
  absl::StatusOr<BuildSummary> s = Build(o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->output_dir, out.path() + "/data_dir/probes/1.0.0");
  // The same files, one folder per name and version, as TFDS's data_dir has them.
  std::map<std::string, std::string> want;
  for (auto& [name, bytes] : ReadTreeBytes(flat.output_dir)) want["probes/1.0.0/" + name] = bytes;
  EXPECT_EQ(ReadTreeBytes(out.path() + "/data_dir"), want);
}

}  // namespace
}  // namespace proberows
