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
  flags_.AddInputFlags(cmd_);
  cmd_->add_option("--rows", rows_, "count NULLs in the first N rows only (0: all)")->capture_default_str();
  cmd_->add_option("--memory-limit,-m", flags_.memory, "memory budget, e.g. 1GB")->capture_default_str();
}

absl::Status SchemaCommand::Parsed(BuildOptions* options, uint64_t* rows) const {
  RETURN_IF_ERROR(flags_.CheckUsage(cmd_));
  *options = flags_.options;
  if (absl::Status st = ParseByteSize(flags_.memory, &options->memory_limit_bytes); !st.ok())
    return Annotate(st, "--memory-limit");
  *rows = rows_;
  return absl::OkStatus();
}

int SchemaCommand::Run(const CLI::App& app) const {
  if (absl::Status usage = flags_.CheckUsage(cmd_); !usage.ok())
    return UsageExit(app, CLI::ValidationError(StatusMessage(usage)));
  BuildOptions b = flags_.options;
  if (absl::Status st = ParseByteSize(flags_.memory, &b.memory_limit_bytes); !st.ok())
    return Fail(Annotate(st, "--memory-limit"));
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
