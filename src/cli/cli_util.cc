#include "cli/cli_util.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <fmt/format.h>

#include "proberows/build_options.h"
#include "source/bzip2_pipes.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

std::atomic<bool>* g_cancel = nullptr;

void OnSignal(int) {
  if (g_cancel) g_cancel->store(true);
}

std::string Si(double v) {
  if (v >= 1e9) return fmt::format("{:.2f}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}K", v / 1e3);
  return fmt::format("{:.0f}", v);
}

}  // namespace

void InstallSignalHandlers(std::atomic<bool>* flag) {
  g_cancel = flag;
  SetBzip2Interrupt(flag);  // a .bz2 decoder stops too, so a statement reading it ends
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "proberows: error: %s\n", StatusMessage(status).c_str());
  return status.code() == absl::StatusCode::kCancelled ? 130 : 1;
}

int CatchExceptions(const std::function<int()>& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {  // nlohmann::json::exception is one too
    std::fprintf(stderr, "proberows: error: internal error (please report it): %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "proberows: error: internal error (please report it): an unknown C++ exception\n");
  }
  return 1;
}

bool ShowProgress(bool enabled) {
  if (!enabled) return false;
  if (!::isatty(STDERR_FILENO)) return false;
  const char* ci = std::getenv("CI");
  return !(ci && *ci && std::string(ci) != "0" && std::string(ci) != "false");
}

ProgressLine::ProgressLine(const BuildMonitor* m) : monitor_(m), start_(std::chrono::steady_clock::now()) {
  thread_ = std::thread([this] { Run(); });
}

ProgressLine::~ProgressLine() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

void ProgressLine::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_; })) Render();
}

void ProgressLine::Render() {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int phase = monitor_->phase.load();
  const uint64_t total = monitor_->total_measurements.load();
  const uint64_t scanned = monitor_->measurements_scanned.load();
  const uint64_t written = monitor_->measurements_written.load();
  const uint64_t rows = monitor_->rows_written.load();
  // Work = scanning + writing, each half of the job.
  const double done = total ? (static_cast<double>(scanned) + static_cast<double>(written)) / (2.0 * total) : 0;
  std::string line = fmt::format("[{}] scanned {}/{} measurements, wrote {} rows, {:.0f}%", PhaseName(phase),
                                 Si(scanned), Si(total), Si(rows), done * 100);
  if (secs > 0.5 && total > 0) {
    line += fmt::format(", {}/s", Si(static_cast<double>(scanned) / secs));
    if (done > 0.01) line += fmt::format(", ETA {:.0f}s", secs / done - secs);
  }
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

uint64_t SizeOrThrow(const std::string& flag, const std::string& text) {
  uint64_t v = 0;
  absl::Status st = ParseByteSize(text, &v);
  if (!st.ok()) throw CLI::ValidationError(flag, StatusMessage(st));
  return v;
}

CLI::Validator NonNegative(const std::string& flag) {
  return CLI::Validator(
      [flag](std::string& value) -> std::string {
        const size_t first = value.find_first_not_of(" \t");
        if (first != std::string::npos && value[first] == '-')
          throw NegativeValue{fmt::format("{} must not be negative (got {})", flag, value)};
        return "";
      },
      "");
}

int UsageExit(const CLI::App& app, const CLI::Error& e) { return app.exit(e) == 0 ? 0 : 2; }

namespace {

size_t EditDistance(const std::string& a, const std::string& b) {
  // Optimal string alignment: insertions, deletions, substitutions and
  // transpositions of neighbours each cost 1.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates) {
  const size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
  std::string best;
  size_t best_distance = limit + 1;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string DidYouMean(const CLI::App& app, int argc, char** argv) {
  // The subcommand: the first argument that is not a flag.
  std::vector<std::string> commands;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    commands.push_back(sub->get_name());
  if (argc < 2) return "";
  const std::string first = argv[1];
  if (first.empty() || first[0] == '-') return "";
  const CLI::App* cmd = nullptr;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (sub->get_name() == first) cmd = sub;
  if (cmd == nullptr) {
    const std::string close = ClosestMatch(first, commands);
    std::string message = fmt::format("proberows: '{}' is not a command", first);
    if (!close.empty()) return message + fmt::format("; did you mean '{}'?", close);
    std::string all;
    for (const std::string& c : commands) all += (all.empty() ? "" : ", ") + c;
    return message + " (commands: " + all + ")";
  }
  // Its flags: every --name it does not know.
  std::vector<std::string> flags;
  for (const CLI::Option* o : cmd->get_options())
    for (const std::string& l : o->get_lnames()) flags.push_back("--" + l);
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.rfind("--", 0) != 0) continue;
    arg = arg.substr(0, arg.find('='));
    if (std::find(flags.begin(), flags.end(), arg) != flags.end()) continue;
    const std::string close = ClosestMatch(arg, flags);
    std::string message = fmt::format("proberows {}: unknown flag '{}'", first, arg);
    if (!close.empty()) message += fmt::format("; did you mean '{}'?", close);
    return message;
  }
  return "";
}

}  // namespace proberows
