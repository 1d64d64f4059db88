// Reading a finished output folder: the summary `proberows inspect` prints,
// rows as JSON for `proberows cat`, and `proberows verify`.
#ifndef PROBEROWS_DATASET_H_
#define PROBEROWS_DATASET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proberows/env.h"

namespace proberows {

// Human-readable summary of the dataset in `dir` (from proberows.json, with
// each shard's record count read from the file itself).
[[nodiscard]] absl::StatusOr<std::string> InspectDataset(Env* env, const std::string& dir);

// `inspect --stats`: the per-feature statistics of every split (from
// dataset_info.json's TFDS statistics) and the per-row histograms (from
// proberows.json), as text.
[[nodiscard]] absl::StatusOr<std::string> InspectStatistics(Env* env, const std::string& dir);

// `proberows report`: one self-contained HTML page (no network needed to
// view it: Chart.js is inlined) about the dataset in `dir`: splits and
// counts, measurements-per-row, row-size and order-span histograms, time
// coverage, per-feature missing rates and value distributions, train and
// test side by side, in a light and a dark theme. Reads proberows.json and
// dataset_info.json only; FailedPrecondition for a folder written without
// statistics (by an older proberows).
[[nodiscard]] absl::StatusOr<std::string> RenderReport(Env* env, const std::string& dir);

struct CatOptions {
  uint64_t index = 0;   // first record
  uint64_t limit = 10;  // records to print (0: all from index on)
  bool regroup_ragged = true;
};
// Rows of one ArrayRecord file as JSON lines.
[[nodiscard]] absl::Status CatFile(Env* env, const std::string& path, const CatOptions& options, std::string* out);

// Rows of an output folder as JSON lines: every shard of `split` ("train",
// "test", or "" for both, train first), in row order; options.index and
// options.limit count rows over the shards one after the other.
[[nodiscard]] absl::Status CatDataset(Env* env, const std::string& dir, const std::string& split,
                                      const CatOptions& options, std::string* out);

// Opt-in salvage of a damaged ArrayRecord file (`proberows cat --salvage`):
// appends every record of every intact chunk as a JSON line to `out` (from
// `options.index`, at most `options.limit` records, 0 = all) and one line per
// damaged chunk to `damage` ("FILE: REASON at offset N: records A..B lost"),
// then a summary line.
// Fails only if the file cannot be read or recognized at all.
[[nodiscard]] absl::Status SalvageFile(Env* env, const std::string& path, const CatOptions& options, std::string* out,
                                       std::vector<std::string>* damage);

struct VerifyOptions {
  // When non-empty: recount every key's measurements in these inputs with
  // DuckDB and compare them with the rows.
  std::vector<std::string> inputs;
  std::string sql;
  int threads = 0;
};
// VerifyResult::problems keeps at most this many lines.
inline constexpr size_t kMaxVerifyProblems = 100;
struct VerifyResult {
  bool ok = true;
  uint64_t problem_count = 0;         // every problem found
  std::vector<std::string> problems;  // the first kMaxVerifyProblems, one line each, naming file / key / offset
  std::string report;                 // what was checked, with counts
};
// Checks every shard's checksum, every ArrayRecord hash, record counts against
// the metadata, that every row decodes, and (with inputs) the per-key counts.
[[nodiscard]] absl::StatusOr<VerifyResult> VerifyDataset(Env* env, const std::string& dir,
                                                         const VerifyOptions& options);

}  // namespace proberows

#endif  // PROBEROWS_DATASET_H_
