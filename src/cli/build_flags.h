// The flags of `build`: those that decide the output (shared with `plan`)
// and those of one process (workers, memory, temp folder, shared with the
// stage commands). The CLI only turns them into options.
#ifndef PROBEROWS_CLI_BUILD_FLAGS_H_
#define PROBEROWS_CLI_BUILD_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "proberows/build_options.h"

namespace proberows {

struct BuildFlags {
  BuildOptions options;
  std::string strategy = "streaming";
  std::string memory = "2GB";
  std::optional<int64_t> workers;  // checked against int's range by Finish()
  std::optional<int64_t> train_shards, test_shards;
  std::optional<int64_t> max_measurements_per_row;

  // --input, --sql, --key ... --preset: what is read, and how (shared with
  // `schema`).
  void AddInputFlags(CLI::App* cmd);
  // The input flags, then --output, --name ... --overwrite: what the output is.
  void AddOutputFlags(CLI::App* cmd);
  // --workers, --memory-limit, --temp-dir: what one process runs with.
  void AddProcessFlags(CLI::App* cmd, const std::string& temp_dir_help);
  // --strategy.
  void AddStrategyFlag(CLI::App* cmd);
  // The usage errors (exit 2) among the flags `cmd` has: no input or both
  // --input and --sql, an unknown --strategy, a malformed --memory-limit.
  // The message is for CLI::ValidationError.
  [[nodiscard]] absl::Status CheckUsage(const CLI::App* cmd) const;
  // Turns the text flags into `options`; errors name the flag.
  [[nodiscard]] absl::Status Finish(const CLI::App* cmd);
};

// Every flag of `proberows build`, in one place: the CLI adds them to its
// `build` command and the Python package's build() takes them as keyword
// arguments (python/src/module.cc lists them and parses them with this same
// definition), so a flag added here appears in both.
struct BuildCommand {
  BuildFlags flags;
  bool no_progress = false;
  bool dry_run = false;  // `proberows schema` for these options (cli/schema_command.h)

  void Add(CLI::App* cmd);
};

// The preset names, "a, b or c" (for --help).
std::string PresetNames();

}  // namespace proberows

#endif  // PROBEROWS_CLI_BUILD_FLAGS_H_
