// Presets: named transformations of well-known input shapes into sensible
// per-probe features, so that real data builds with one flag and no SQL.
// docs/ripe-atlas.md lists every preset's features and how each source field
// maps onto them.
//
// A preset is a list of output columns, each an SQL expression over one raw
// input row (aliased r), and, for JSON input, the column types to read the
// raw fields with (pinned so that every firmware's shape reads the same way,
// whatever a sample would suggest). The build reads the preset's output
// columns as if they were the input's (they may be nested: STRUCTs and
// LISTs flatten like any other input, source/flatten.h).
#ifndef PROBEROWS_SOURCE_PRESETS_H_
#define PROBEROWS_SOURCE_PRESETS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "source/input_files.h"

namespace proberows {

struct PresetColumn {
  std::string name;
  std::string sql;  // over the raw row r
};

struct PresetPlan {
  // JSON input: the raw fields read (name, DuckDB type), in order: what
  // DuckDB's read_json gives with json_columns, whatever the files hold.
  std::vector<std::pair<std::string, std::string>> json_fields;
  // JSON input: "columns = {...}" to read json_fields with ("" = let
  // DuckDB detect the types).
  std::string json_columns;
  // Raw columns the preset needs (checked against the input; a missing one
  // is an error naming the preset and the column).
  std::vector<std::string> required;
  // Raw columns the preset reads if the input has them (name, DuckDB type):
  // a missing one reads as NULL (e.g. a BigQuery export of some columns).
  std::vector<std::pair<std::string, std::string>> optional;
  std::vector<PresetColumn> columns;
};

// The presets: name and a one-line description.
std::vector<std::pair<std::string, std::string>> PresetList();

// The plan of preset `name` for input in `format` (`sql` for --sql input,
// whose raw columns are the query's). NotFound (listing the presets) for an
// unknown name; InvalidArgument when the preset cannot read that format.
[[nodiscard]] absl::StatusOr<PresetPlan> PlanPreset(const std::string& name, InputFormat format, bool sql);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_PRESETS_H_
