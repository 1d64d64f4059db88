// proberows command line: turns flags into options and calls the library.
// Exit codes: 0 success, 1 error, 2 usage error, 130 interrupted.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/build_flags.h"
#include "cli/cli_util.h"
#include "cli/schema_command.h"
#include "cli/stage_commands.h"
#include "proberows/build_options.h"
#include "proberows/dataset.h"
#include "proberows/generate.h"
#include "proberows/pipeline.h"
#include "util/status_macros.h"

namespace proberows {

int Main(int argc, char** argv) {
  CLI::App app{"proberows: per-probe training rows (tf.train.Example in ArrayRecord) from measurement tables"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "proberows 0.1.0");

  // ---- generate
  GenerateOptions gen;
  std::string gen_memory;
  CLI::App* generate = app.add_subcommand("generate", "write a synthetic RIPE-Atlas-like ping dataset as Parquet");
  generate->add_option("--output,-o", gen.output_dir, "output folder")->required();
  generate->add_option("--measurements,-n", gen.measurements, "number of measurements (rows)")
      ->capture_default_str()
      ->check(NonNegative("--measurements"));
  generate->add_option("--probes,-p", gen.probes, "number of probes")
      ->capture_default_str()
      ->check(NonNegative("--probes"));
  generate->add_option("--files", gen.files, "number of Parquet files")->capture_default_str();
  generate->add_option("--seed", gen.seed, "random seed")->capture_default_str()->check(NonNegative("--seed"));
  generate->add_option("--memory-limit", gen_memory, "DuckDB memory limit, e.g. 1GB");
  generate->add_option("--threads", gen.threads, "DuckDB threads (default: all cores)");
  generate->add_flag("--overwrite", gen.overwrite, "replace existing part-* files");
  std::string gen_format = "parquet";
  generate->add_option("--format", gen_format, "parquet, or ripe-atlas-ping-json (RIPE Atlas' native ping results)")
      ->capture_default_str();
  std::string gen_shape = "synthetic";
  generate
      ->add_option("--shape", gen_shape,
                   "synthetic, or ripe-atlas: every probe runs every measurement id once per --interval, "
                   "one file per hour named like RIPE's dumps (default --probes 12000)")
      ->capture_default_str();
  std::string gen_compression = "none";
  generate->add_option("--compression", gen_compression, "JSON files: none, gzip, zstd or bzip2")
      ->capture_default_str();
  generate->add_option("--measurement-ids", gen.measurement_ids, "ripe-atlas shape: measurement ids (IPv4, then IPv6)")
      ->capture_default_str();
  generate->add_option("--interval", gen.interval_seconds, "ripe-atlas shape: seconds between a stream's results")
      ->capture_default_str();
  std::string gen_start;
  generate->add_option("--start", gen_start, "UTC start of the data, e.g. 2024-05-01T00 (default 2024-01-01)");

  // ---- build
  BuildCommand build_command;
  BuildFlags& bf = build_command.flags;
  CLI::App* build = app.add_subcommand("build", "group measurements per probe into ArrayRecord shards");
  build_command.Add(build);

  // ---- schema
  SchemaCommand schema_command;
  schema_command.Add(&app);

  // ---- plan / map / split / reduce / finalize / status
  StageCommands stages;
  stages.Add(&app);

  // ---- inspect / cat / verify
  std::string inspect_dir;
  CLI::App* inspect = app.add_subcommand("inspect", "summarize an output folder");
  inspect->add_option("dir", inspect_dir, "output folder")->required();
  bool inspect_stats = false;
  inspect->add_flag("--stats", inspect_stats,
                    "also print each feature's statistics per split and the per-row histograms");

  std::string report_dir;
  std::string report_out = "report.html";
  CLI::App* report = app.add_subcommand(
      "report", "write one self-contained HTML page (charts, statistics, train vs test) about an output folder");
  report->add_option("dir", report_dir, "output folder")->required();
  report->add_option("--output,-o", report_out, "the page to write")->capture_default_str();

  std::string cat_file;
  CatOptions cat_options;
  bool cat_flat = false;
  std::string cat_split;
  CLI::App* cat = app.add_subcommand("cat", "print rows of an output folder or an ArrayRecord file as JSON lines");
  cat->add_option("path", cat_file, "output folder (every shard of --split) or one ArrayRecord file")->required();
  cat->add_option("--split", cat_split, "an output folder's split: train or test (default: both, train first)");
  cat->add_option("--index", cat_options.index, "first row")->capture_default_str()->check(NonNegative("--index"));
  cat->add_option("--limit", cat_options.limit, "rows to print (0: all)")
      ->capture_default_str()
      ->check(NonNegative("--limit"));
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
    if (e.get_exit_code() != 0) {  // not --help / --version
      if (const std::string hint = DidYouMean(app, argc, argv); !hint.empty()) {
        std::fprintf(stderr, "%s\nRun with --help for more information.\n", hint.c_str());
        return 2;
      }
    }
    return UsageExit(app, e);
  } catch (const NegativeValue& e) {
    return Fail(absl::InvalidArgumentError(e.message));
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
    if (absl::Status st = ParseGenerateFormat(gen_format, &gen.format); !st.ok()) return Fail(st);
    if (absl::Status st = ParseGenerateShape(gen_shape, &gen.shape); !st.ok()) return Fail(st);
    if (absl::Status st = ParseGenerateCompression(gen_compression, &gen.compression); !st.ok()) return Fail(st);
    if (!gen_start.empty()) {
      if (absl::Status st = ParseUtcTime(gen_start, "--start", &gen.start_epoch_seconds); !st.ok()) return Fail(st);
    }
    if (gen.shape == GenerateShapeKind::kRipeAtlas && generate->count("--probes") == 0) gen.probes = kDefaultRipeProbes;
    absl::StatusOr<GenerateResult> r = GenerateDataset(gen);
    if (!r.ok()) return Fail(r.status());
    std::printf("generated %llu measurements of %llu probes in %zu file(s), %s, in %.2f s: %s\n",
                static_cast<unsigned long long>(r->measurements), static_cast<unsigned long long>(r->probes),
                r->files.size(), FormatBytes(r->bytes).c_str(), r->seconds, gen.output_dir.c_str());
    return 0;
  }
  if (build->parsed()) {
    if (absl::Status st = bf.CheckUsage(build); !st.ok())
      return UsageExit(app, CLI::ValidationError(StatusMessage(st)));
    if (absl::Status st = bf.Finish(build); !st.ok()) return Fail(st);
    const BuildOptions& b = bf.options;
    if (build_command.dry_run) return PrintSchema(b, 0);
    BuildMonitor monitor;
    InstallSignalHandlers(&monitor.cancel);
    absl::StatusOr<BuildSummary> summary;
    {
      std::optional<ProgressLine> line;
      if (ShowProgress(!build_command.no_progress)) line.emplace(&monitor);
      summary = Build(b, &monitor, env);
    }
    if (!summary.ok()) return Fail(summary.status());
    std::fputs(FormatSummary(*summary).c_str(), stdout);
    return 0;
  }
  if (schema_command.parsed()) return schema_command.Run(app);
  if (std::optional<int> code = stages.Run(env); code.has_value()) return *code;
  if (inspect->parsed()) {
    absl::StatusOr<std::string> s = InspectDataset(env, inspect_dir);
    if (!s.ok()) return Fail(s.status());
    std::fputs(s->c_str(), stdout);
    if (inspect_stats) {
      absl::StatusOr<std::string> st = InspectStatistics(env, inspect_dir);
      if (!st.ok()) return Fail(st.status());
      std::fputs(st->c_str(), stdout);
    }
    return 0;
  }
  if (report->parsed()) {
    absl::StatusOr<std::string> page = RenderReport(env, report_dir);
    if (!page.ok()) return Fail(page.status());
    if (absl::Status st = WriteStringToFileAtomic(env, *page, report_out); !st.ok())
      return Fail(Annotate(st, fmt::format("writing '{}'", report_out)));
    std::printf("wrote %s (%s): open it in a browser\n", report_out.c_str(), FormatBytes(page->size()).c_str());
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
    std::error_code ec;
    const bool folder = std::filesystem::is_directory(cat_file, ec);
    if (!folder && !cat_split.empty())
      return UsageExit(app, CLI::ValidationError("--split reads an output folder; '" + cat_file + "' is a file"));
    absl::Status st =
        folder ? CatDataset(env, cat_file, cat_split, cat_options, &out) : CatFile(env, cat_file, cat_options, &out);
    std::fputs(out.c_str(), stdout);
    if (!st.ok()) return Fail(st);
    return 0;
  }
  if (verify->parsed()) {
    if (!verify_options.inputs.empty() && !verify_options.sql.empty())
      return UsageExit(app, CLI::ValidationError("--input and --sql are mutually exclusive"));
    absl::StatusOr<VerifyResult> r = VerifyDataset(env, verify_dir, verify_options);
    if (!r.ok()) return Fail(r.status());
    std::fputs(r->report.c_str(), stdout);
    for (const std::string& p : r->problems) std::fprintf(stderr, "proberows: problem: %s\n", p.c_str());
    if (!r->ok) {
      std::string message = fmt::format("verification failed with {} problem(s)", r->problem_count);
      if (r->problem_count > r->problems.size())
        message += fmt::format("; only the first {} are shown", r->problems.size());
      std::fprintf(stderr, "proberows: error: %s\n", message.c_str());
      return 1;
    }
    return 0;
  }
  return 2;
}

}  // namespace proberows

int main(int argc, char** argv) {
  return proberows::CatchExceptions([&] { return proberows::Main(argc, argv); });
}
