#include "cli/schema_command.h"

#include <cstdio>

#include <fmt/format.h>

#include "cli/cli_util.h"
#include "source/schema_report.h"
#include "util/status_macros.h"

namespace proberows {

void SchemaCommand::Add(CLI::App* app) {
  cmd_ = app->add_subcommand(
      "schema", "print the features a build would write and every column that would stop it, before any work");
  BuildOptions& b = options_;
  cmd_->add_option("--input,-i", b.inputs, "input files, globs or folders (Parquet, CSV, JSON)");
  cmd_->add_option("--sql", b.sql, "a DuckDB query to use as the input instead of --input");
  cmd_->add_option("--key", b.key_column, "grouping key column")->capture_default_str();
  cmd_->add_option("--order-by", b.order_column, "column ordering measurements within a row")->capture_default_str();
  cmd_->add_option("--static-columns", b.static_columns, "columns constant per key, written once per row")
      ->delimiter(',');
  cmd_->add_option("--include", b.include_columns, "only these columns (plus key and order column)")->delimiter(',');
  cmd_->add_option("--exclude", b.exclude_columns, "drop these columns")->delimiter(',');
  cmd_->add_flag("--null-lists-as-empty", b.null_lists_as_empty, "read NULL lists as empty lists");
  cmd_->add_option("--fill-null", b.fill_nulls,
                   "COLUMN=VALUE: NULLs of COLUMN (or of the columns under it) become VALUE")
      ->delimiter(',');
  cmd_->add_flag("--null-mask", b.null_mask, "with --fill-null: a bool feature COLUMN_present for each filled column");
  cmd_->add_option("--input-format", b.input_format, "parquet, csv or json, whatever the file extensions");
  cmd_->add_option("--preset", b.preset, "read a known input shape, e.g. ripe-atlas-ping (docs/ripe-atlas.md)");
  cmd_->add_option("--rows", rows_, "count NULLs in the first N rows only (0: all)")->capture_default_str();
  cmd_->add_option("--memory-limit,-m", memory_, "memory budget, e.g. 1GB")->capture_default_str();
}

int SchemaCommand::Run(const CLI::App& app) const {
  BuildOptions b = options_;
  absl::Status usage;
  if (b.inputs.empty() && b.sql.empty()) {
    usage = absl::InvalidArgumentError("no input: give --input FILE_OR_GLOB... or --sql QUERY");
  } else if (!b.inputs.empty() && !b.sql.empty()) {
    usage = absl::InvalidArgumentError("--input and --sql are mutually exclusive");
  } else if (absl::Status st = ParseByteSize(memory_, &b.memory_limit_bytes); !st.ok()) {
    usage = Annotate(st, "--memory-limit");
  }
  if (!usage.ok()) return UsageExit(app, CLI::ValidationError(StatusMessage(usage)));
  return PrintSchema(b, rows_);
}

int PrintSchema(const BuildOptions& options, uint64_t max_rows) {
  absl::StatusOr<SchemaReport> report = DescribeSchema(options, max_rows);
  if (!report.ok()) return Fail(report.status());
  std::fputs(report->text.c_str(), stdout);
  if (report->problems == 0) return 0;
  std::fflush(stdout);  // the report comes before the line that points at it, also in a merged log
  std::fprintf(stderr, "proberows: error: the build would stop: %zu problem(s) listed above\n", report->problems);
  return 1;
}

}  // namespace proberows
