// proberows command line: turns flags into options and calls the library.
// Exit codes: 0 success, 1 error, 2 usage error, 130 interrupted.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "proberows/build_options.h"
#include "proberows/dataset.h"
#include "proberows/generate.h"
#include "proberows/pipeline.h"
#include "util/status_macros.h"

namespace proberows {
namespace {

std::atomic<bool>* g_cancel = nullptr;

void OnSignal(int) {
  if (g_cancel) g_cancel->store(true);
}

void InstallSignalHandlers(std::atomic<bool>* flag) {
  g_cancel = flag;
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

bool ShowProgress(bool enabled) {
  if (!enabled) return false;
  if (!::isatty(STDERR_FILENO)) return false;
  const char* ci = std::getenv("CI");
  return !(ci && *ci && std::string(ci) != "0" && std::string(ci) != "false");
}

std::string Si(double v) {
  if (v >= 1e9) return fmt::format("{:.2f}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}K", v / 1e3);
  return fmt::format("{:.0f}", v);
}

// Renders the monitor to stderr every 200 ms until stopped.
class ProgressLine {
 public:
  explicit ProgressLine(const BuildMonitor* m) : monitor_(m), start_(std::chrono::steady_clock::now()) {
    thread_ = std::thread([this] { Run(); });
  }
  ~ProgressLine() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_; })) Render();
  }
  void Render() {
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

  const BuildMonitor* monitor_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// CLI11 validator for sizes like 1GB.
uint64_t SizeOrThrow(const std::string& flag, const std::string& text) {
  uint64_t v = 0;
  absl::Status st = ParseByteSize(text, &v);
  if (!st.ok()) throw CLI::ValidationError(flag, StatusMessage(st));
  return v;
}

// Prints a parse error (or --help / --version) the CLI11 way and maps it to
// our exit codes: 0 for --help/--version, 2 for any usage error (CLI11's own
// codes, e.g. 106 or 109, are not part of our interface).
int UsageExit(const CLI::App& app, const CLI::Error& e) { return app.exit(e) == 0 ? 0 : 2; }

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"proberows: per-probe training rows (tf.train.Example in ArrayRecord) from measurement tables"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "proberows 0.1.0");

  // ---- generate
  GenerateOptions gen;
  std::string gen_memory;
  CLI::App* generate = app.add_subcommand("generate", "write a synthetic RIPE-Atlas-like ping dataset as Parquet");
  generate->add_option("--output,-o", gen.output_dir, "output folder")->required();
  generate->add_option("--measurements,-n", gen.measurements, "number of measurements (rows)")->capture_default_str();
  generate->add_option("--probes,-p", gen.probes, "number of probes")->capture_default_str();
  generate->add_option("--files", gen.files, "number of Parquet files")->capture_default_str();
  generate->add_option("--seed", gen.seed, "random seed")->capture_default_str();
  generate->add_option("--memory-limit", gen_memory, "DuckDB memory limit, e.g. 1GB");
  generate->add_option("--threads", gen.threads, "DuckDB threads (default: all cores)");
  generate->add_flag("--overwrite", gen.overwrite, "replace existing part-*.parquet files");

  // ---- build
  BuildOptions b;
  std::string strategy = "streaming", memory = "2GB";
  std::optional<int> workers;
  bool no_progress = false;
  CLI::App* build = app.add_subcommand("build", "group measurements per probe into ArrayRecord shards");
  build->add_option("--input,-i", b.inputs, "input files, globs or folders (Parquet, CSV, JSON)");
  build->add_option("--sql", b.sql, "a DuckDB query to use as the input instead of --input");
  build->add_option("--output,-o", b.output_dir, "output folder")->required();
  build->add_option("--name", b.name, "dataset name (shard file prefix)")->capture_default_str();
  build->add_option("--key", b.key_column, "grouping key column")->capture_default_str();
  build->add_option("--order-by", b.order_column, "column ordering measurements within a row")->capture_default_str();
  build->add_option("--static-columns", b.static_columns, "columns constant per key, written once per row")
      ->delimiter(',');
  build->add_option("--include", b.include_columns, "only these columns (plus key and order column)")->delimiter(',');
  build->add_option("--exclude", b.exclude_columns, "drop these columns")->delimiter(',');
  build->add_flag("--null-lists-as-empty", b.null_lists_as_empty, "read NULL lists as empty lists");
  // Nested input, NULL policy, formats, presets (issue #10).
  build->add_option("--fill-null", b.fill_nulls, "COLUMN=VALUE: NULLs of COLUMN (or of the leaves under it) become VALUE")
      ->delimiter(',');
  build->add_flag("--null-mask", b.null_mask, "with --fill-null: add a bool feature COLUMN_present per filled column");
  build->add_option("--input-format", b.input_format, "parquet, csv or json, whatever the file extensions");
  build->add_option("--preset", b.preset, "read a known input shape (e.g. ripe-atlas-ping); see docs/ripe-atlas.md");
  build->add_option("--test-fraction", b.test_fraction, "fraction of keys in the test split")->capture_default_str();
  build->add_option("--seed", b.seed, "seed of the split/shuffle hash")->capture_default_str();
  build->add_option("--train-shards", b.train_shards, "train shards (default: from size, like TFDS)");
  build->add_option("--test-shards", b.test_shards, "test shards (default: from size, like TFDS)");
  build->add_option("--array-record-options", b.array_record_options, "ArrayRecord writer options")
      ->capture_default_str();
  build->add_option("--strategy", strategy, "sequential, in-memory or streaming")->capture_default_str();
  build->add_option("--workers,-j", workers, "worker threads (default: number of cores)");
  build->add_option("--memory-limit,-m", memory, "memory budget of the whole process, e.g. 1GB")->capture_default_str();
  build->add_option("--temp-dir", b.temp_dir, "folder for spill files (default: beside the output)");
  build->add_flag("--overwrite", b.overwrite, "replace a previous proberows output in --output");
  build->add_flag("--no-progress", no_progress, "no live progress line");

  // ---- inspect / cat / verify
  std::string inspect_dir;
  CLI::App* inspect = app.add_subcommand("inspect", "summarize an output folder");
  inspect->add_option("dir", inspect_dir, "output folder")->required();

  std::string cat_file;
  CatOptions cat_options;
  bool cat_flat = false;
  CLI::App* cat = app.add_subcommand("cat", "print rows of an ArrayRecord file as JSON lines");
  cat->add_option("file", cat_file, "ArrayRecord file")->required();
  cat->add_option("--index", cat_options.index, "first row")->capture_default_str();
  cat->add_option("--limit", cat_options.limit, "rows to print (0: all)")->capture_default_str();
  cat->add_flag("--flat", cat_flat, "print ragged features as stored (no regrouping into lists)");
  bool cat_salvage = false;
  cat->add_flag("--salvage", cat_salvage,
                "read a damaged file: print the records of every intact chunk, list the damaged ones on stderr");

  std::string verify_dir;
  VerifyOptions verify_options;
  CLI::App* verify = app.add_subcommand("verify", "check an output folder (and optionally recount from the input)");
  verify->add_option("dir", verify_dir, "output folder")->required();
  verify->add_option("--input,-i", verify_options.inputs, "recount each key's measurements in these inputs");
  verify->add_option("--sql", verify_options.sql, "recount from this query instead");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return UsageExit(app, e);
  }

  Env* env = Env::Default();
  if (generate->parsed()) {
    if (!gen_memory.empty()) {
      try {
        gen.memory_limit_bytes = SizeOrThrow("--memory-limit", gen_memory);
      } catch (const CLI::Error& e) {
        return UsageExit(app, e);
      }
    }
    absl::StatusOr<GenerateResult> r = GenerateDataset(gen);
    if (!r.ok()) return Fail(r.status());
    std::printf("generated %llu measurements of %llu probes in %zu file(s), %s, in %.2f s: %s\n",
                static_cast<unsigned long long>(r->measurements), static_cast<unsigned long long>(r->probes),
                r->files.size(), FormatBytes(r->bytes).c_str(), r->seconds, gen.output_dir.c_str());
    return 0;
  }
  if (build->parsed()) {
    if (absl::Status st = ParseStrategy(strategy, &b.strategy); !st.ok()) return Fail(st);
    if (absl::Status st = ParseByteSize(memory, &b.memory_limit_bytes); !st.ok())
      return Fail(Annotate(st, "--memory-limit"));
    if (workers.has_value()) {
      if (*workers <= 0)
        return Fail(absl::InvalidArgumentError(fmt::format("--workers {} must be at least 1", *workers)));
      b.workers = *workers;
    }
    if (build->count("--train-shards") && b.train_shards <= 0)
      return Fail(absl::InvalidArgumentError(fmt::format("--train-shards {} must be at least 1", b.train_shards)));
    if (build->count("--test-shards") && b.test_shards <= 0)
      return Fail(absl::InvalidArgumentError(fmt::format("--test-shards {} must be at least 1", b.test_shards)));
    BuildMonitor monitor;
    InstallSignalHandlers(&monitor.cancel);
    absl::StatusOr<BuildSummary> summary;
    {
      std::optional<ProgressLine> line;
      if (ShowProgress(!no_progress)) line.emplace(&monitor);
      summary = Build(b, &monitor, env);
    }
    if (!summary.ok()) return Fail(summary.status());
    std::fputs(FormatSummary(*summary).c_str(), stdout);
    return 0;
  }
  if (inspect->parsed()) {
    absl::StatusOr<std::string> s = InspectDataset(env, inspect_dir);
    if (!s.ok()) return Fail(s.status());
    std::fputs(s->c_str(), stdout);
    return 0;
  }
  if (cat->parsed()) {
    cat_options.regroup_ragged = !cat_flat;
    std::string out;
    if (cat_salvage) {
      std::vector<std::string> damage;
      absl::Status st = SalvageFile(env, cat_file, cat_options, &out, &damage);
      std::fputs(out.c_str(), stdout);
      for (const std::string& d : damage) std::fprintf(stderr, "proberows: salvage: %s\n", d.c_str());
      if (!st.ok()) return Fail(st);
      return 0;
    }
    absl::Status st = CatFile(env, cat_file, cat_options, &out);
    std::fputs(out.c_str(), stdout);
    if (!st.ok()) return Fail(st);
    return 0;
  }
  if (verify->parsed()) {
    absl::StatusOr<VerifyResult> r = VerifyDataset(env, verify_dir, verify_options);
    if (!r.ok()) return Fail(r.status());
    std::fputs(r->report.c_str(), stdout);
    for (const std::string& p : r->problems) std::fprintf(stderr, "proberows: problem: %s\n", p.c_str());
    if (!r->ok) {
      std::fprintf(stderr, "proberows: error: verification failed with %zu problem(s)\n", r->problems.size());
      return 1;
    }
    return 0;
  }
  return 2;
}

}  // namespace proberows

int main(int argc, char** argv) { return proberows::Main(argc, argv); }
