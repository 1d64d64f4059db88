// The `build` pipeline: measurement tables in, one tf.train.Example row per
// key out, split into train/test and written as ArrayRecord shards with
// metadata. See docs/design.md.
#ifndef PROBEROWS_PIPELINE_H_
#define PROBEROWS_PIPELINE_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "proberows/build_options.h"
#include "proberows/env.h"

namespace proberows {

// Live counters a caller can poll from another thread (for a progress line),
// and a flag that cancels the build (checked between chunks and partitions).
struct BuildMonitor {
  enum Phase : int { kStarting = 0, kCounting, kScanning, kGrouping, kFinishing, kDone };
  std::atomic<int> phase{kStarting};
  std::atomic<uint64_t> total_measurements{0};  // known after counting
  std::atomic<uint64_t> total_rows{0};          // distinct keys, after counting
  std::atomic<uint64_t> measurements_scanned{0};
  std::atomic<uint64_t> rows_written{0};
  std::atomic<uint64_t> measurements_written{0};
  std::atomic<bool> cancel{false};
};
const char* PhaseName(int phase);

struct ShardStats {
  std::string file;  // file name inside the output folder
  uint64_t rows = 0;
  // Keys whose rows the shard holds: `rows` unless rows are cut
  // (--max-measurements-per-row, --row-window), where a key has several.
  uint64_t keys = 0;
  uint64_t measurements = 0;
  uint64_t row_bytes = 0;  // sum of encoded row sizes
  uint64_t file_bytes = 0;
  std::string xxh3;  // XXH3-64 of the whole file, 16 hex digits
  // Smallest and largest row (encoded bytes, measurements); 0 when empty.
  uint64_t min_row_bytes = 0;
  uint64_t max_row_bytes = 0;
  uint64_t min_measurements = 0;
  uint64_t max_measurements = 0;
};

struct SplitStats {
  uint64_t rows = 0;
  uint64_t keys = 0;  // `rows` unless rows are cut
  uint64_t measurements = 0;
  uint64_t row_bytes = 0;
  uint64_t min_row_bytes = 0;
  uint64_t max_row_bytes = 0;
  uint64_t min_measurements = 0;
  uint64_t max_measurements = 0;
  uint64_t file_bytes = 0;
  std::vector<ShardStats> shards;
};

struct BuildSummary {
  std::string output_dir;
  std::string strategy;
  int workers = 0;            // threads used (fewer than asked when --memory-limit is small)
  int workers_requested = 0;  // --workers (or the core count)
  uint64_t memory_limit_bytes = 0;
  uint64_t input_measurements = 0;
  uint64_t keys = 0;
  SplitStats train;
  SplitStats test;
  std::vector<std::pair<std::string, double>> phase_seconds;  // in order
  double total_seconds = 0;
  uint64_t peak_rss_bytes = 0;
  uint64_t spill_bytes = 0;       // bytes written to spill files
  uint64_t spill_kept_bytes = 0;  // bytes of spill blocks kept in memory instead of written
  int partitions = 0;
};

// Runs the build. On error nothing new is visible in the output folder and
// temporary files are removed. `monitor` may be null.
[[nodiscard]] absl::StatusOr<BuildSummary> Build(const BuildOptions& options, BuildMonitor* monitor = nullptr,
                                                 Env* env = Env::Default());

// The human-readable summary printed at the end of `proberows build`.
std::string FormatSummary(const BuildSummary& summary);

// Peak resident set size of this process so far, in bytes.
uint64_t PeakRssBytes();

}  // namespace proberows

#endif  // PROBEROWS_PIPELINE_H_
