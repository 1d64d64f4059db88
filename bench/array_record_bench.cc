// Micro benchmarks of ArrayRecordWriter and ArrayRecordReader throughput for
// ~3 KiB tf.train.Example-like records (feature names, varints, floats), per
// compression, group size and thread count.
//
//   build/rel/array_record_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "proberows/array_record_reader.h"
#include "proberows/array_record_writer.h"
#include "util/varint.h"

namespace proberows {
namespace {

constexpr int kRecordsPerFile = 4096;
const char* const kCompressions[] = {"uncompressed", "snappy", "zstd:3", "brotli:6"};

// A record shaped like a serialized tf.train.Example of one probe: repeated
// feature names, increasing timestamps as varints, small integer ids and
// noisy float32 latencies. About 3 KiB, compressing roughly 2-4x.
std::string MakeRecord(std::mt19937_64& rng, uint64_t probe) {
  static const char* const kNames[] = {"timestamp", "rtt_ms", "hop_count", "probe_id", "dst_asn", "loss"};
  std::string out;
  out.reserve(3200);
  uint64_t ts = 1700000000000 + probe * 1000;
  std::normal_distribution<float> rtt(40.0f, 12.0f);
  while (out.size() < 3000) {
    const int feature = static_cast<int>(rng() % 6);
    out += '\n';
    out += kNames[feature];
    out += '\x12';
    for (int i = 0; i < 8; ++i) {
      if (feature == 1 || feature == 5) {
        const float value = rtt(rng);
        char bytes[4];
        std::memcpy(bytes, &value, 4);
        out.append(bytes, 4);
      } else if (feature == 0) {
        ts += 1 + rng() % 5000;
        PutVarint64(&out, ts);
      } else {
        PutVarint64(&out, feature == 3 ? probe : rng() % (feature == 2 ? 30 : 70000));
      }
    }
  }
  return out;
}

const std::vector<std::string>& Records() {
  static const std::vector<std::string> records = [] {
    std::mt19937_64 rng(42);
    std::vector<std::string> out;
    out.reserve(kRecordsPerFile);
    for (int i = 0; i < kRecordsPerFile; ++i) out.push_back(MakeRecord(rng, static_cast<uint64_t>(i / 4)));
    return out;
  }();
  return records;
}

uint64_t RecordBytes() {
  uint64_t total = 0;
  for (const std::string& record : Records()) total += record.size();
  return total;
}

std::string BenchPath(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/proberows_bench_" + std::to_string(::getpid()) +
         "_" + name;
}

ArrayRecordWriterOptions Options(int compression, int group_size) {
  return *ArrayRecordWriterOptions::FromString(std::string(kCompressions[compression]) +
                                               ",group_size:" + std::to_string(group_size));
}

bool WriteFile(const std::string& path, const ArrayRecordWriterOptions& options, int threads, benchmark::State* state) {
  auto writer = ArrayRecordWriter::Open(Env::Default(), path, options, threads);
  if (!writer.ok()) {
    state->SkipWithError(std::string(writer.status().message()).c_str());
    return false;
  }
  for (const std::string& record : Records()) {
    if (!(*writer)->Write(record).ok()) {
      state->SkipWithError("write failed");
      return false;
    }
  }
  if (!(*writer)->Close().ok()) {
    state->SkipWithError("close failed");
    return false;
  }
  return true;
}

void Label(benchmark::State& state, uint64_t file_size) {
  state.SetLabel(std::string(kCompressions[state.range(0)]) + " ratio " +
                 std::to_string(static_cast<double>(RecordBytes()) / static_cast<double>(file_size)).substr(0, 4));
}

// Args: compression index, group_size, threads.
void BM_ArrayRecordWrite(benchmark::State& state) {
  const auto options = Options(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const int threads = static_cast<int>(state.range(2));
  const std::string path = BenchPath("write");
  for (auto _ : state) {
    if (!WriteFile(path, options, threads, &state)) return;
  }
  auto size = Env::Default()->GetFileSize(path);
  Label(state, size.ok() ? *size : 1);
  (void)Env::Default()->RemoveFile(path);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * RecordBytes()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecordsPerFile);
}

// Args: compression index, group_size, threads (1: ReadAll, else ParallelReadAll).
void BM_ArrayRecordRead(benchmark::State& state) {
  const auto options = Options(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const int threads = static_cast<int>(state.range(2));
  const std::string path = BenchPath("read");
  if (!WriteFile(path, options, 1, &state)) return;
  auto reader = ArrayRecordReader::Open(Env::Default(), path);
  if (!reader.ok()) {
    state.SkipWithError("open failed");
    return;
  }
  for (auto _ : state) {
    std::atomic<uint64_t> bytes{0};
    auto count = [&bytes](uint64_t, std::string_view record) {
      bytes.fetch_add(record.size(), std::memory_order_relaxed);
      return absl::OkStatus();
    };
    const absl::Status status = threads == 1 ? (*reader)->ReadAll(count) : (*reader)->ParallelReadAll(threads, count);
    if (!status.ok() || bytes != RecordBytes()) {
      state.SkipWithError("read failed");
      return;
    }
  }
  Label(state, (*reader)->file_size());
  (void)Env::Default()->RemoveFile(path);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * RecordBytes()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecordsPerFile);
}

// Random access to single records (group_size 1 and 64).
void BM_ArrayRecordRandomRead(benchmark::State& state) {
  const auto options = Options(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  const std::string path = BenchPath("random");
  if (!WriteFile(path, options, 1, &state)) return;
  auto reader = ArrayRecordReader::Open(Env::Default(), path);
  if (!reader.ok()) {
    state.SkipWithError("open failed");
    return;
  }
  std::mt19937_64 rng(1);
  std::string record;
  uint64_t bytes = 0;
  for (auto _ : state) {
    if (!(*reader)->ReadRecord(rng() % kRecordsPerFile, &record).ok()) {
      state.SkipWithError("read failed");
      return;
    }
    bytes += record.size();
  }
  state.SetLabel(kCompressions[state.range(0)]);
  (void)Env::Default()->RemoveFile(path);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void ThroughputArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"comp", "group", "threads"});
  for (int compression = 0; compression < 4; ++compression) {
    for (int group : {1, 64}) {
      for (int threads : {1, 2}) b->Args({compression, group, threads});
    }
  }
  b->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(0.5);
}

BENCHMARK(BM_ArrayRecordWrite)->Apply(ThroughputArgs);
BENCHMARK(BM_ArrayRecordRead)->Apply(ThroughputArgs);
BENCHMARK(BM_ArrayRecordRandomRead)
    ->ArgNames({"comp", "group"})
    ->ArgsProduct({{0, 1, 2, 3}, {1, 64}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace proberows

BENCHMARK_MAIN();
