// Options of `proberows build`: a value type with documented defaults,
// validated once by Validate(). The CLI only turns flags into these.
#ifndef PROBEROWS_BUILD_OPTIONS_H_
#define PROBEROWS_BUILD_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace proberows {

enum class Strategy {
  kSequential,  // one query per key; the simple reference
  kInMemory,    // load everything, group in RAM
  kStreaming,   // partition to spill files, group partition by partition (default)
};

// "sequential" / "in-memory" / "streaming".
const char* StrategyName(Strategy s);
[[nodiscard]] absl::Status ParseStrategy(const std::string& text, Strategy* out);

// Parses sizes like "1GB", "512MiB", "100m", "4096" (bytes); KB/MB/GB are
// powers of 1000, KiB/MiB/GiB and bare k/m/g powers of 1024.
[[nodiscard]] absl::Status ParseByteSize(const std::string& text, uint64_t* bytes);
// Parses --row-window's DURATION: "90s", "15m", "1h", "1d" (a positive
// integer and one of s, m, h, d) into seconds in `*seconds` and false in
// `*bare`, or a bare positive integer (in the order column's own unit) into
// `*seconds` and true in `*bare`.
[[nodiscard]] absl::Status ParseRowWindow(const std::string& text, int64_t* seconds, bool* bare);
// 1536 -> "1.5 KiB".
std::string FormatBytes(uint64_t bytes);

// The dataset version written into dataset_info.json (and the last folder
// of the TFDS layout).
inline constexpr const char* kTfdsVersion = "1.0.0";

struct BuildOptions {
  // Input: files or globs (Parquet, CSV, JSON by extension; all inputs must
  // be of one format), or a DuckDB query (exactly one of the two).
  std::vector<std::string> inputs;
  std::string sql;

  // Output folder. Must not exist, be empty, or (with overwrite) hold a
  // previous proberows output, which is replaced only when the new one is
  // complete.
  std::string output_dir;
  std::string name = "probes";  // dataset name, the prefix of every shard file
  bool overwrite = false;
  // Publish into <output_dir>/<name>/<kTfdsVersion>/, the folder that
  // tfds.builder(name, data_dir=output_dir) looks for, instead of
  // output_dir itself.
  bool tfds_layout = false;

  // The grouping key: one column, or several separated by ',' (a composite
  // key: rows group by the tuple, each part is written as its own feature).
  std::string key_column = "prb_id";
  std::string order_column = "timestamp";
  // Columns written once per row; all measurements of a key must agree.
  std::vector<std::string> static_columns;
  // Column selection: if include is non-empty only those (plus key and order)
  // are written; exclude removes columns. Key and order can't be excluded.
  std::vector<std::string> include_columns;
  std::vector<std::string> exclude_columns;

  // A NULL LIST value is an error unless this is set; then it is read as an
  // empty list. (NULL floats always become NaN; NULL integers and strings
  // are errors unless filled with fill_nulls.)
  bool null_lists_as_empty = false;

  // ---- nested input, NULL policy, formats, presets (docs/output-format.md)
  // "COLUMN=VALUE": NULLs of that column (a leaf such as result/ttl, or a
  // prefix of leaves such as result) become VALUE (parsed as the column's
  // type) instead of an error.
  std::vector<std::string> fill_nulls;
  // With fill_nulls: every filled column `x` gets a bool feature `x_present`
  // (1 where the input had a value, 0 where it was NULL).
  bool null_mask = false;
  // "parquet", "csv" or "json": read the inputs in this format whatever their
  // extension ("" = by extension).
  std::string input_format;
  // A named input transformation (source/presets.h), e.g. "ripe-atlas-ping";
  // "" = the input's columns as they are.
  std::string preset;
  // How JSON input is parsed under a preset: "duckdb" (DuckDB's read_json and
  // the preset's SQL, the reference) or "native" (simdjson straight into
  // records: --preset ripe-atlas-ping on uncompressed JSON lines only,
  // source/native_ping.h; same output bytes).
  std::string json_reader = "duckdb";

  double test_fraction = 0.1;  // in [0, 1)
  uint64_t seed = 0;
  // Shards per split; 0 = derived from the data size as TFDS does.
  int train_shards = 0;
  int test_shards = 0;
  // Google's ArrayRecord options grammar.
  std::string array_record_options = "group_size:1,zstd:3";

  // ---- long sequences cut into training rows (docs/output-format.md, "Cut
  // rows"). Both off by default: one row per key.
  // A key's measurements, in output order, cut into consecutive rows of at
  // most this many; 0 = no limit.
  uint64_t max_measurements_per_row = 0;
  // One row per key per window of the order column: "90s", "15m", "1h",
  // "1d" (s/m/h/d; converted to the order column's unit: TIMESTAMP columns
  // are microseconds, DATE columns days, numbers seconds) or a bare positive
  // integer in the order column's own unit; "" = no windows. With
  // max_measurements_per_row, windows first, then each is cut.
  std::string row_window;
  // Whether either option above is set: rows carry `row_index` (and, with a
  // window, `window_start`) features.
  bool CutsRows() const { return max_measurements_per_row > 0 || !row_window.empty(); }

  Strategy strategy = Strategy::kStreaming;
  int workers = 0;                           // 0 = number of cores
  uint64_t memory_limit_bytes = 2ull << 30;  // whole process, DuckDB included
  std::string temp_dir;                      // empty = a folder beside the output
  bool progress = true;                      // live line (only on a terminal)

  // The folder the dataset is published into (see tfds_layout).
  std::string PublishedDir() const;

  // Checks ranges and combinations; the message names the flag.
  [[nodiscard]] absl::Status Validate() const;
  // The key's columns: key_column split at ',' ("a,b" -> {"a", "b"}; empty
  // parts are kept for Validate() to refuse).
  std::vector<std::string> KeyColumns() const;
  int EffectiveWorkers() const;
};

}  // namespace proberows

#endif  // PROBEROWS_BUILD_OPTIONS_H_
