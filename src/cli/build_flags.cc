#include "cli/build_flags.h"

#include <limits>

#include <fmt/format.h>

#include "absl/strings/str_join.h"
#include "cli/cli_util.h"
#include "source/presets.h"
#include "util/status_macros.h"

namespace proberows {

std::string PresetNames() {
  std::vector<std::string> names;
  for (const auto& [name, description] : PresetList()) names.push_back(name);
  if (names.size() < 2) return absl::StrJoin(names, "");
  const std::string last = names.back();
  names.pop_back();
  return absl::StrJoin(names, ", ") + " or " + last;
}

void BuildFlags::AddInputFlags(CLI::App* cmd) {
  BuildOptions& b = options;
  cmd->add_option("--input,-i", b.inputs, "input files, globs or folders (Parquet, CSV, JSON)");
  cmd->add_option("--sql", b.sql, "a DuckDB query to use as the input instead of --input");
  cmd->add_option("--key", b.key_column, "grouping key column, or columns A,B,... (a composite key)")
      ->capture_default_str();
  cmd->add_option("--order-by", b.order_column, "column ordering measurements within a row")->capture_default_str();
  cmd->add_option("--static-columns", b.static_columns, "columns constant per key, written once per row")
      ->delimiter(',');
  cmd->add_option("--include", b.include_columns, "only these columns (plus key and order column)")->delimiter(',');
  cmd->add_option("--exclude", b.exclude_columns, "drop these columns")->delimiter(',');
  cmd->add_flag("--null-lists-as-empty", b.null_lists_as_empty, "read NULL lists as empty lists");
  // Nested input, NULL policy, formats, presets (docs/output-format.md, docs/ripe-atlas.md).
  cmd->add_option("--fill-null", b.fill_nulls,
                  "COLUMN=VALUE: NULLs of COLUMN (or of the columns under it) become VALUE")
      ->delimiter(',');
  cmd->add_flag("--null-mask", b.null_mask, "with --fill-null: a bool feature COLUMN_present for each filled column");
  cmd->add_option("--input-format", b.input_format, "parquet, csv or json, whatever the file extensions");
  cmd->add_option("--preset", b.preset, "read a known input shape: " + PresetNames() + " (docs/ripe-atlas.md)");
  cmd->add_option("--json-reader", b.json_reader,
                  "JSON parser of --preset ripe-atlas-ping: duckdb, or native (simdjson; same output)")
      ->capture_default_str();
}

void BuildFlags::AddOutputFlags(CLI::App* cmd) {
  AddInputFlags(cmd);
  BuildOptions& b = options;
  cmd->add_option("--output,-o", b.output_dir, "output folder")->required();
  cmd->add_option("--name", b.name, "dataset name (shard file prefix)")->capture_default_str();
  cmd->add_option("--test-fraction", b.test_fraction, "fraction of keys in the test split")->capture_default_str();
  cmd->add_option("--seed", b.seed, "seed of the split/shuffle hash")
      ->capture_default_str()
      ->check(NonNegative("--seed"));
  cmd->add_option("--train-shards", train_shards, "train shards (default: from size, like TFDS)");
  cmd->add_option("--test-shards", test_shards, "test shards (default: from size, like TFDS)");
  cmd->add_option("--array-record-options", b.array_record_options, "ArrayRecord writer options")
      ->capture_default_str();
  cmd->add_option("--max-measurements-per-row", max_measurements_per_row,
                  "cut a key's measurements into consecutive rows of at most N (rows carry row_index)");
  cmd->add_option("--row-window", b.row_window,
                  "one row per key per window of the order column: DURATION such as 90s, 15m, 1h, 1d (rows carry "
                  "row_index and window_start)");
  cmd->add_flag("--overwrite", b.overwrite, "replace a previous proberows output in --output");
  cmd->add_flag("--tfds-layout", b.tfds_layout,
                "publish into OUTPUT/NAME/1.0.0/, where tfds.builder(NAME, data_dir=OUTPUT) looks");
}

void BuildFlags::AddProcessFlags(CLI::App* cmd, const std::string& temp_dir_help) {
  cmd->add_option("--workers,-j", workers, "worker threads (default: number of cores)");
  cmd->add_option("--memory-limit,-m", memory, "memory budget of the whole process, e.g. 1GB")->capture_default_str();
  cmd->add_option("--temp-dir", options.temp_dir, temp_dir_help);
}

void BuildFlags::AddStrategyFlag(CLI::App* cmd) {
  cmd->add_option("--strategy", strategy, "sequential, in-memory or streaming")->capture_default_str();
}

absl::Status BuildFlags::CheckUsage(const CLI::App* cmd) const {
  const BuildOptions& b = options;
  if (cmd->get_option_no_throw("--input") != nullptr) {
    if (b.inputs.empty() && b.sql.empty())
      return absl::InvalidArgumentError("no input: give --input FILE_OR_GLOB... or --sql QUERY");
    if (!b.inputs.empty() && !b.sql.empty())
      return absl::InvalidArgumentError("--input and --sql are mutually exclusive");
  }
  if (cmd->get_option_no_throw("--strategy") != nullptr) {
    Strategy unused;
    RETURN_IF_ERROR(ParseStrategy(strategy, &unused));
  }
  if (cmd->get_option_no_throw("--memory-limit") != nullptr) {
    uint64_t unused = 0;
    if (absl::Status st = ParseByteSize(memory, &unused); !st.ok()) return Annotate(st, "--memory-limit");
  }
  return absl::OkStatus();
}

namespace {

// A count flag within int's range and at least 1.
absl::Status CheckCount(const char* flag, const std::optional<int64_t>& value, int* out) {
  if (!value.has_value()) return absl::OkStatus();
  if (*value <= 0) return absl::InvalidArgumentError(fmt::format("{} {} must be at least 1", flag, *value));
  constexpr int64_t kMax = std::numeric_limits<int>::max();
  if (*value > kMax)
    return absl::InvalidArgumentError(fmt::format("{} {} is more than the limit, {}", flag, *value, kMax));
  *out = static_cast<int>(*value);
  return absl::OkStatus();
}

}  // namespace

absl::Status BuildFlags::Finish(const CLI::App* cmd) {
  (void)cmd;
  BuildOptions& b = options;
  RETURN_IF_ERROR(ParseStrategy(strategy, &b.strategy));
  if (absl::Status st = ParseByteSize(memory, &b.memory_limit_bytes); !st.ok()) return Annotate(st, "--memory-limit");
  RETURN_IF_ERROR(CheckCount("--workers", workers, &b.workers));
  RETURN_IF_ERROR(CheckCount("--train-shards", train_shards, &b.train_shards));
  RETURN_IF_ERROR(CheckCount("--test-shards", test_shards, &b.test_shards));
  int max_per_row = 0;
  RETURN_IF_ERROR(CheckCount("--max-measurements-per-row", max_measurements_per_row, &max_per_row));
  b.max_measurements_per_row = static_cast<uint64_t>(max_per_row);
  return absl::OkStatus();
}

void BuildCommand::Add(CLI::App* cmd) {
  flags.AddOutputFlags(cmd);
  flags.AddStrategyFlag(cmd);
  flags.AddProcessFlags(cmd, "folder for spill files (default: beside the output)");
  cmd->add_flag("--no-progress", no_progress, "no live progress line");
  cmd->add_flag("--dry-run", dry_run, "print the features and every column that would stop the build; write nothing");
}

}  // namespace proberows
