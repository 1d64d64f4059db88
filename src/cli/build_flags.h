// The flags of `build`: those that decide the output (shared with `plan`)
// and those of one process (workers, memory, temp folder, shared with the
// stage commands). The CLI only turns them into options.
#ifndef PROBEROWS_CLI_BUILD_FLAGS_H_
#define PROBEROWS_CLI_BUILD_FLAGS_H_

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "proberows/build_options.h"

namespace proberows {

struct BuildFlags {
  BuildOptions options;
  std::string strategy = "streaming";
  std::string memory = "2GB";
  std::optional<int> workers;

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

}  // namespace proberows

#endif  // PROBEROWS_CLI_BUILD_FLAGS_H_
