// What every proberows subcommand shares: error printing and exit codes,
// signal handling, the live progress line, size flags.
// Exit codes: 0 success, 1 error, 2 usage error, 130 interrupted.
#ifndef PROBEROWS_CLI_CLI_UTIL_H_
#define PROBEROWS_CLI_CLI_UTIL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/status/status.h"
#include "proberows/pipeline.h"

namespace proberows {

// SIGINT and SIGTERM set `*flag` (a BuildMonitor's cancel flag).
void InstallSignalHandlers(std::atomic<bool>* flag);

// Prints "proberows: error: MESSAGE" and returns the exit code: 130 for a
// cancelled run, else 1.
int Fail(const absl::Status& status);

// Runs `fn` (a subcommand) and returns its exit code; an exception escaping
// it (a bug: library code returns statuses) is printed as "proberows: error:
// internal error (please report it): WHAT" and gives 1, never an abort.
int CatchExceptions(const std::function<int()>& fn);

// Whether to draw a live progress line: asked for, stderr is a terminal and
// not under CI.
bool ShowProgress(bool enabled);

// Renders a monitor to stderr every 200 ms until destroyed.
class ProgressLine {
 public:
  explicit ProgressLine(const BuildMonitor* m);
  ~ProgressLine();

 private:
  void Run();
  void Render();

  const BuildMonitor* monitor_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Parses a size flag like "1GB"; throws CLI::ValidationError naming `flag`.
uint64_t SizeOrThrow(const std::string& flag, const std::string& text);

// CLI11 reads "-1" into an unsigned option as 18446744073709551615. The
// NonNegative(flag) check refuses a negative value by name before that
// happens. It throws NegativeValue (catch it around CLI::App::parse and
// Fail() with its message) rather than returning a CLI11 message, because a
// well-formed number out of range is an invalid value (exit 1), like
// --files 0 or --workers 0, not a usage error.
struct NegativeValue {
  std::string message;  // "--index must not be negative (got -1)"
};
CLI::Validator NonNegative(const std::string& flag);

// Prints a parse error (or --help / --version) the CLI11 way and maps it to
// our exit codes: 0 for --help/--version, 2 for any usage error (CLI11's own
// codes, e.g. 106 or 109, are not part of our interface).
int UsageExit(const CLI::App& app, const CLI::Error& e);

// The candidate closest to `word` by edit distance (Damerau-Levenshtein,
// optimal string alignment), if close enough to be a typo (as git and
// cargo suggest): at most a third of its length, at least 1, at most 3.
// "" if none is.
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

// For a parse error caused by an unknown command or flag in `argv`: the
// message naming it with the closest known one ("did you mean ...?"), for
// stderr; "" when the error is something else.
std::string DidYouMean(const CLI::App& app, int argc, char** argv);

}  // namespace proberows

#endif  // PROBEROWS_CLI_CLI_UTIL_H_
