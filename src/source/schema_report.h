// `proberows schema` (and `build --dry-run`): what a build with these
// options would write, and every column that would stop it, in one run and
// before any heavy work: the schema is resolved (presets, nested columns,
// JSON types), then one DuckDB scan counts the NULLs of every column (the
// NULL census, source/null_census.h). Nothing is written.
#ifndef PROBEROWS_SOURCE_SCHEMA_REPORT_H_
#define PROBEROWS_SOURCE_SCHEMA_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proberows/build_options.h"

namespace proberows {

struct SchemaReport {
  std::string text;     // the report, for stdout
  size_t problems = 0;  // columns (or NULLs) that would stop the build

  // The same as data (Python's proberows.schema()).
  struct Column {
    std::string name;        // the feature name (a ragged x: x/ragged_flat_values, ...)
    std::string dtype;       // int64, float32, bytes or bool
    std::string layout;      // "per row (key)", "per measurement", "ragged, 1 level", ...
    std::string input_type;  // the input's (DuckDB) type
    std::string nulls;       // "none", "3 of 10 rows -> NaN", ...
  };
  std::string input;  // "2 parquet file(s)", "the --sql query"
  std::string preset;
  uint64_t rows = 0;  // rows read (or looked at, with max_rows)
  std::string key_column, order_column;
  std::vector<Column> columns;
  std::vector<std::string> problem_lines;  // each problem with its fix, as the text lists them
};

// Describes the input of `options` (only the input and column flags
// matter; no output folder is needed). `max_rows` > 0 counts NULLs in the
// first `max_rows` rows only. Errors: the input cannot be read, or an option
// is invalid (a missing key column, ...).
[[nodiscard]] absl::StatusOr<SchemaReport> DescribeSchema(const BuildOptions& options, uint64_t max_rows = 0);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_SCHEMA_REPORT_H_
