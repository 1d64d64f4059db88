// `proberows schema` and `build --dry-run`: print the features a build would
// write and every column that would stop it (source/schema_report.h).
#ifndef PROBEROWS_CLI_SCHEMA_COMMAND_H_
#define PROBEROWS_CLI_SCHEMA_COMMAND_H_

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/build_flags.h"
#include "proberows/build_options.h"

namespace proberows {

class SchemaCommand {
 public:
  // Adds the `schema` subcommand: the input and column flags of `build`.
  void Add(CLI::App* app);
  bool parsed() const { return cmd_ != nullptr && cmd_->parsed(); }
  // Runs it: 0 if the build could run, 1 if a column would stop it (the
  // report says which and how to fix it) or the input cannot be read, 2 for
  // a usage error (no input, --input with --sql, a malformed size), as for
  // `build`.
  int Run(const CLI::App& app) const;
  // The options and --rows of the parsed command, after the checks of Run()
  // (a usage error is InvalidArgument).
  [[nodiscard]] absl::Status Parsed(BuildOptions* options, uint64_t* rows) const;
  CLI::App* command() const { return cmd_; }

 private:
  CLI::App* cmd_ = nullptr;
  BuildFlags flags_;  // the input flags and --memory-limit
  uint64_t rows_ = 0;
};

// Prints the report of `options` on stdout (`max_rows` > 0: NULLs counted in
// the first rows only); the exit code as for `schema`.
int PrintSchema(const BuildOptions& options, uint64_t max_rows);

}  // namespace proberows

#endif  // PROBEROWS_CLI_SCHEMA_COMMAND_H_
