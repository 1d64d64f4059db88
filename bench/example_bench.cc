// Micro benchmarks of the Example encoder on a realistic probe row: 26
// measurements of 13 non-key columns (RIPE Atlas ping-like: IPv6 addresses,
// timestamps, RTTs and a list of RTTs), plus payload building and decoding.
//
//   ./build/rel/example_bench
//
// Bytes/s is serialized Example bytes (the encoder's output, the decoder's
// input; for BM_BuildPayloads, payload bytes produced).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "example/segment.h"
#include "proberows/array_record_reader.h"
#include "proberows/env.h"
#include "proberows/example.h"
#include "stats/dataset_stats.h"
#include "util/byte_buffer.h"

namespace proberows {
namespace {

constexpr int kMeasurements = 26;

std::vector<ColumnSpec> Schema() {
  return {
      {"prb_id", FeatureType::kInt64, false, ColumnRole::kKey},
      {"prb_lat", FeatureType::kFloat, false, ColumnRole::kStatic},
      {"prb_lon", FeatureType::kFloat, false, ColumnRole::kStatic},
      {"prb_country", FeatureType::kBytes, false, ColumnRole::kStatic},
      {"timestamp", FeatureType::kInt64, false, ColumnRole::kPerMeasurement},
      {"msm_id", FeatureType::kInt64, false, ColumnRole::kPerMeasurement},
      {"dst_addr", FeatureType::kBytes, false, ColumnRole::kPerMeasurement},
      {"src_addr", FeatureType::kBytes, false, ColumnRole::kPerMeasurement},
      {"proto", FeatureType::kBytes, false, ColumnRole::kPerMeasurement},
      {"rtt_min", FeatureType::kFloat, false, ColumnRole::kPerMeasurement},
      {"rtt_avg", FeatureType::kFloat, false, ColumnRole::kPerMeasurement},
      {"rtt_max", FeatureType::kFloat, false, ColumnRole::kPerMeasurement},
      {"rtts", FeatureType::kFloat, true, ColumnRole::kPerMeasurement},
      {"sent", FeatureType::kInt64, false, ColumnRole::kPerMeasurement},
  };
}

struct Measurement {
  int64_t timestamp, msm_id, sent;
  std::string dst, src;
  std::vector<double> rtts;
};

std::vector<Measurement> Measurements() {
  std::mt19937_64 rng(1);
  std::vector<Measurement> out;
  for (int m = 0; m < kMeasurements; ++m) {
    Measurement x;
    x.timestamp = 1717200000000000 + m * 240000000LL;  // microseconds
    x.msm_id = 1000000 + static_cast<int64_t>(rng() % 60000000);
    x.sent = 3;
    char buf[64];
    std::snprintf(buf, sizeof(buf), "2001:67c:2e8:22::c100:%x", static_cast<unsigned>(rng() % 65536));
    x.dst = buf;
    std::snprintf(buf, sizeof(buf), "2a02:a210:%x:4d00:220:4aff:fee0:%x", static_cast<unsigned>(rng() % 65536),
                  static_cast<unsigned>(rng() % 65536));
    x.src = buf;
    for (int i = 0; i < 3; ++i) x.rtts.push_back(10.0 + static_cast<double>(rng() % 100000) / 1000.0);
    out.push_back(std::move(x));
  }
  return out;
}

void BuildPayload(const Measurement& x, std::string* out) {
  PayloadBuilder b(out);
  b.AddFloat(static_cast<float>(52.3731));
  b.AddFloat(static_cast<float>(4.8922));
  b.AddBytes("NL");
  b.AddInt64(x.timestamp);
  b.AddInt64(x.msm_id);
  b.AddBytes(x.dst);
  b.AddBytes(x.src);
  b.AddBytes("ICMP");
  double lo = x.rtts[0], hi = x.rtts[0], sum = 0;
  for (double r : x.rtts) {
    lo = std::min(lo, r);
    hi = std::max(hi, r);
    sum += r;
  }
  b.AddFloat(static_cast<float>(lo));
  b.AddFloat(static_cast<float>(sum / x.rtts.size()));
  b.AddFloat(static_cast<float>(hi));
  b.BeginList();
  for (double r : x.rtts) b.AddFloatElement(static_cast<float>(r));
  b.EndList();
  b.AddInt64(x.sent);
}

struct Row {
  std::string key;
  std::vector<std::string> payloads;
  std::vector<std::string_view> views;
};

Row MakeRow() {
  Row row;
  AppendInt64Segment(&row.key, 6012);
  for (const Measurement& m : Measurements()) {
    row.payloads.emplace_back();
    BuildPayload(m, &row.payloads.back());
  }
  row.views.assign(row.payloads.begin(), row.payloads.end());
  return row;
}

ExampleEncoder MakeEncoder() {
  absl::StatusOr<ExampleEncoder> enc = ExampleEncoder::Create(Schema());
  if (!enc.ok()) std::abort();
  return *std::move(enc);
}

void BM_EncodeRow(benchmark::State& state) {
  const ExampleEncoder enc = MakeEncoder();
  const Row row = MakeRow();
  std::string out;
  size_t payload_bytes = 0;
  for (const std::string& p : row.payloads) payload_bytes += p.size();
  for (auto _ : state) {
    out.clear();
    if (!enc.EncodeRow(row.key, row.views, &out).ok()) std::abort();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
  state.SetItemsProcessed(state.iterations());
  state.counters["row_bytes"] = static_cast<double>(out.size());
  state.counters["payload_bytes"] = static_cast<double>(payload_bytes);
}
BENCHMARK(BM_EncodeRow);

// Rows appended back to back into one partition-sized buffer, as the reduce
// does (64 MiB, reused like the reduce's per-partition buffers): through
// std::string (EncodeRow, which zero-fills each row's room first) and through
// ByteBuffer (EncodeRowTo, no zero-fill).
constexpr size_t kPartitionBytes = size_t{64} << 20;

void BM_EncodeRowsIntoString(benchmark::State& state) {
  const ExampleEncoder enc = MakeEncoder();
  const Row row = MakeRow();
  std::string out;
  out.reserve(kPartitionBytes);
  size_t bytes = 0;
  for (auto _ : state) {
    if (out.size() + 8192 > kPartitionBytes) out.clear();
    const size_t before = out.size();
    if (!enc.EncodeRow(row.key, row.views, &out).ok()) std::abort();
    bytes += out.size() - before;
  }
  benchmark::DoNotOptimize(out.data());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeRowsIntoString);

void BM_EncodeRowsIntoByteBuffer(benchmark::State& state) {
  const ExampleEncoder enc = MakeEncoder();
  const Row row = MakeRow();
  ByteBuffer out;
  out.ReserveDiscarding(kPartitionBytes);
  size_t bytes = 0;
  for (auto _ : state) {
    if (out.size() + 8192 > kPartitionBytes) out.clear();
    const size_t before = out.size();
    if (!enc.EncodeRowTo(row.key, row.views, [&out](size_t n) { return out.Extend(n); }).ok()) std::abort();
    bytes += out.size() - before;
  }
  benchmark::DoNotOptimize(out.data());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeRowsIntoByteBuffer);

void BM_BuildPayloads(benchmark::State& state) {
  const std::vector<Measurement> ms = Measurements();
  std::vector<std::string> payloads(ms.size());
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (size_t i = 0; i < ms.size(); ++i) {
      payloads[i].clear();
      BuildPayload(ms[i], &payloads[i]);
      bytes += payloads[i].size();
    }
    benchmark::DoNotOptimize(payloads.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ms.size()));
}
BENCHMARK(BM_BuildPayloads);

void BM_DecodeExample(benchmark::State& state) {
  const ExampleEncoder enc = MakeEncoder();
  const Row row = MakeRow();
  std::string bytes;
  if (!enc.EncodeRow(row.key, row.views, &bytes).ok()) std::abort();
  for (auto _ : state) {
    absl::StatusOr<DecodedExample> d = DecodeExample(bytes);
    if (!d.ok()) std::abort();
    benchmark::DoNotOptimize(d->size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeExample);

// The statistics the dataset writer gathers per row (stats/dataset_stats.h):
// one parse of the encoded row, every value into its feature's statistics.
void BM_StatisticsAddRow(benchmark::State& state) {
  const ExampleEncoder enc = MakeEncoder();
  const Row row = MakeRow();
  std::string bytes;
  if (!enc.EncodeRow(row.key, row.views, &bytes).ok()) std::abort();
  DatasetStatistics stats(enc.Features(), "timestamp");
  for (auto _ : state) {
    if (!stats.AddRow(false, bytes, kMeasurements).ok()) std::abort();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StatisticsAddRow);

// The same on real rows: the first 20,000 rows of a built dataset's first
// train shard, e.g. the 20M benchmark dataset's (skipped unless
// PROBEROWS_STATS_BENCH_DIR names a build output folder):
//   PROBEROWS_STATS_BENCH_DIR=/path/to/out ./example_bench --benchmark_filter=Statistics
void BM_StatisticsAddRowFromShard(benchmark::State& state) {
  const char* dir = std::getenv("PROBEROWS_STATS_BENCH_DIR");
  if (dir == nullptr) {
    state.SkipWithError("PROBEROWS_STATS_BENCH_DIR is not set");
    return;
  }
  std::ifstream meta_file(std::string(dir) + "/proberows.json");
  const nlohmann::json meta = nlohmann::json::parse(meta_file);
  std::vector<FeatureDescription> features;
  for (const auto& f : meta.at("features"))
    features.push_back(FeatureDescription{f.at("name"), f.at("dtype"), f.at("kind"), f.value("column", ""), 0});
  const std::string shard = meta.at("splits").at("train").at("shards").at(0).at("file").get<std::string>();
  auto reader = ArrayRecordReader::Open(Env::Default(), std::string(dir) + "/" + shard);
  if (!reader.ok()) std::abort();
  std::vector<std::string> rows;
  for (uint64_t i = 0; i < std::min<uint64_t>(20000, (*reader)->num_records()); ++i) {
    rows.emplace_back();
    if (!(*reader)->ReadRecord(i, &rows.back()).ok()) std::abort();
  }
  DatasetStatistics stats(features, meta.value("order_by", ""));
  size_t i = 0;
  for (auto _ : state) {
    if (!stats.AddRow(false, rows[i], 26).ok()) std::abort();
    if (++i == rows.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StatisticsAddRowFromShard);

}  // namespace
}  // namespace proberows

BENCHMARK_MAIN();
