// GenerateDataset: writes a synthetic, RIPE-Atlas-like ping dataset (one row
// per measurement by a probe) as Parquet files, for tests, demos and
// benchmarks of the probe-row pipeline.
//
// The data is a pure function of the options that shape it (measurements,
// probes, files, seed): the same options give the same rows in the same order
// in every file (and, with the pinned DuckDB, the same bytes), whatever the
// thread count or memory limit. It is produced by DuckDB SQL as a streaming
// pipeline, so memory stays bounded by `memory_limit_bytes` (plus DuckDB's
// fixed overhead) up to hundreds of millions of measurements; see
// docs/dataset.md for the schema, how every value is drawn, and measurements.
//
// Thread-safety: GenerateDataset may be called from several threads at once
// for different output folders.
#ifndef PROBEROWS_GENERATE_H_
#define PROBEROWS_GENERATE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace proberows {

class Env;

// Defaults: 500,000 measurements by 18,928 probes (~26.4 per probe).
inline constexpr uint64_t kDefaultGenerateMeasurements = 500000;
inline constexpr uint64_t kDefaultGenerateProbes = 18928;

// What the files hold.
enum class GenerateFormat {
  kParquet,            // part-*.parquet: one flat row per measurement (docs/dataset.md)
  kRipeAtlasPingJson,  // part-*.jsonl: the same measurements as RIPE Atlas' native
                       // ping results (nested `result`, NULLs, mixed firmware)
};

// "parquet" / "ripe-atlas-ping-json".
[[nodiscard]] absl::Status ParseGenerateFormat(const std::string& text, GenerateFormat* format);

// How the measurements are laid out (docs/dataset.md).
enum class GenerateShapeKind {
  // A lognormal number of measurements per probe over 30 days, each to a
  // random one of 10 targets; files part-<i>-of-<n>.
  kSynthetic,
  // As RIPE Atlas' built-in measurements run: every probe runs every IPv4
  // measurement id (and, with IPv6, every IPv6 one) once per interval, each
  // at its own phase; one file per hour, named like RIPE's hourly dumps
  // (ping-2024-01-01T0000.bz2).
  kRipeAtlas,
};

// "synthetic" / "ripe-atlas".
[[nodiscard]] absl::Status ParseGenerateShape(const std::string& text, GenerateShapeKind* shape);

// How JSON files are compressed (Parquet compresses inside the file).
enum class GenerateCompression { kNone, kGzip, kZstd, kBzip2 };

// "none" / "gzip" (or "gz") / "zstd" (or "zst") / "bzip2" (or "bz2").
[[nodiscard]] absl::Status ParseGenerateCompression(const std::string& text, GenerateCompression* compression);

// The RIPE Atlas shape's defaults: about as many probes as RIPE Atlas has
// connected, 50 measurement ids (25 targets over IPv4, 25 over IPv6), one
// result per stream every 240 s.
inline constexpr uint64_t kDefaultRipeProbes = 12000;
inline constexpr int kDefaultRipeMeasurementIds = 50;
inline constexpr int kDefaultRipeIntervalSeconds = 240;
// 2024-01-01T00:00:00Z.
inline constexpr int64_t kDefaultGenerateStart = 1704067200;

struct GenerateOptions {
  // Folder for the output files; created (with parents) if missing. REQUIRED.
  std::string output_dir;
  // Total number of rows (measurements) written. REQUIRES: >= probes.
  uint64_t measurements = kDefaultGenerateMeasurements;
  // Number of distinct probes (prb_id values). Every probe has at least one
  // measurement. REQUIRES: >= 1.
  uint64_t probes = kDefaultGenerateProbes;
  // Number of output files `part-NNNNN-of-MMMMM.parquet`. Measurement g (in
  // probe order) goes to file g mod files, so a probe's measurements are
  // spread over several files and every file holds floor or ceil of
  // measurements/files rows. REQUIRES: 1 <= files <= measurements.
  int files = 1;
  // Parquet, or RIPE Atlas' native ping result JSON (one result per line).
  GenerateFormat format = GenerateFormat::kParquet;
  // JSON only: the files compressed (.jsonl.gz, .jsonl.zst, .jsonl.bz2; in
  // the RIPE Atlas shape .bz2, as RIPE names its dumps).
  GenerateCompression compression = GenerateCompression::kNone;
  // The layout of the measurements. kRipeAtlas ignores nothing above but
  // `files`, which must stay 1: its files are the hours.
  GenerateShapeKind shape = GenerateShapeKind::kSynthetic;
  // kRipeAtlas: measurement ids (targets over IPv4 first, then over IPv6;
  // REQUIRES 1..1000), and the seconds between two results of a stream
  // (REQUIRES: divides 3600).
  int measurement_ids = kDefaultRipeMeasurementIds;
  int interval_seconds = kDefaultRipeIntervalSeconds;
  // Seconds since 1970 (UTC) where the data starts; kRipeAtlas: a whole hour.
  int64_t start_epoch_seconds = kDefaultGenerateStart;
  // Seed of all pseudo-random choices. Different seeds give different data.
  uint64_t seed = 42;
  // DuckDB's memory limit in bytes (0: DuckDB's default, 80% of RAM). Does not
  // change the data.
  uint64_t memory_limit_bytes = 0;
  // DuckDB worker threads (0: one per core). Does not change the data.
  int threads = 0;
  // Where DuckDB may spill while sorting a file by time (empty: a hidden
  // folder `.generate-tmp-<pid>` inside output_dir, removed afterwards).
  std::string temp_dir;
  // Replace existing part-*.parquet files in output_dir. Without it, an
  // output_dir that already holds such files is an error.
  bool overwrite = false;
  // File system used for the output folder (create, list, rename, remove,
  // size); nullptr: Env::Default(). DuckDB writes the Parquet bytes itself.
  // Not owned; must outlive the call.
  Env* env = nullptr;
  // Called after each file is written (files_done from 1 to files), from the
  // calling thread. May be empty.
  std::function<void(int files_done, int files)> progress;
};

struct GenerateResult {
  // Paths of the files written, in file order: output_dir/part-00000-of-000NN.parquet, ...
  std::vector<std::string> files;
  uint64_t measurements = 0;  // rows written (== options.measurements)
  uint64_t probes = 0;        // distinct prb_id values (== options.probes)
  uint64_t bytes = 0;         // total size of the files
  double seconds = 0;         // wall time of the whole call
};

// Checks `options` without touching the file system. The messages name the
// command-line flags, e.g. "every probe has at least one measurement:
// --measurements (10) must be >= --probes (20)".
[[nodiscard]] absl::Status ValidateGenerateOptions(const GenerateOptions& options);

// The name (not path) of output file `index` of `files`: "part-00002-of-00004.parquet"
// (".jsonl" for kRipeAtlasPingJson).
std::string GenerateFileName(int index, int files, GenerateFormat format = GenerateFormat::kParquet);

// The name of output file `index` of `files` of `options`:
// part-<i>-of-<n>.<ext>, or, in the RIPE Atlas shape,
// ping-<YYYY-MM-DD>T<HH>00.<ext> for hour `index` (from the start). <ext> is
// parquet, jsonl, jsonl.gz, jsonl.zst or jsonl.bz2 (RIPE Atlas shape: bz2).
std::string GenerateFileName(const GenerateOptions& options, int index, int files);

// Parses a UTC time "YYYY-MM-DD", "YYYY-MM-DDTHH", "YYYY-MM-DDTHH:MM" or
// "YYYY-MM-DDTHH:MM:SS" (a space for the T, a trailing Z allowed) into
// seconds since 1970; the message names `flag`.
[[nodiscard]] absl::Status ParseUtcTime(const std::string& text, const std::string& flag, int64_t* seconds);

// Validates `options`, then writes the files. Each file is written to a
// temporary name in output_dir and renamed into place only after all files
// were written; on any failure the temporary files (and any already renamed
// output of this call) are removed, so output_dir holds either the complete
// dataset or no part-*.parquet file of this call. With `overwrite`, the old
// part-*.parquet files are removed just before the new ones are renamed in.
[[nodiscard]] absl::StatusOr<GenerateResult> GenerateDataset(const GenerateOptions& options);

}  // namespace proberows

#endif  // PROBEROWS_GENERATE_H_
