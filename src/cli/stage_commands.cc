#include "cli/stage_commands.h"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string_view>

#include <fmt/format.h>

#include "cli/cli_util.h"
#include "util/status_macros.h"

namespace proberows {

void StageCommands::Add(CLI::App* app) {
  const std::string work_help = "the work folder the tasks share (on storage every node sees)";
  plan_ = app->add_subcommand("plan", "distributed build, stage 1: plan the tasks into a work folder");
  plan_->add_option("--work,-w", work_, work_help)->required();
  flags_.AddOutputFlags(plan_);
  plan_->add_option("--map-tasks", plan_options_.map_tasks, "map tasks (each reads about 1/N of the input)")
      ->capture_default_str();
  plan_->add_option("--reduce-tasks", plan_options_.reduce_tasks, "reduce tasks (each writes about 1/M of the shards)")
      ->capture_default_str();
  plan_->add_option("--reduce-memory-limit", reduce_memory_,
                    "memory limit reduce tasks will run with (sizes the partitions; default: --memory-limit)");
  plan_->add_option("--reduce-workers", plan_options_.reduce_workers,
                    "workers reduce tasks will run with (default: number of cores here)");
  plan_->add_flag("--replace", plan_options_.replace, "discard another plan and its task outputs in the work folder");
  flags_.AddProcessFlags(plan_, "unused by plan");

  auto task_command = [&](const char* name, const char* help, bool with_task) {
    CLI::App* cmd = app->add_subcommand(name, help);
    cmd->add_option("--work,-w", work_, work_help)->required();
    if (with_task)
      cmd->add_option("task", task_, "task index: I, I/N, or auto (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, ...)")
          ->required();
    flags_.AddProcessFlags(cmd, "scratch folder (default: inside the work folder)");
    cmd->add_flag("--no-progress", no_progress_, "no live progress line");
    return cmd;
  };
  map_ = task_command("map", "distributed build, stage 2: read a share of the input into hash partitions", true);
  split_ = task_command("split", "distributed build, stage 3: count keys, plan the split and the shards", false);
  reduce_ = task_command("reduce", "distributed build, stage 4: group partitions into complete shard files", true);
  finalize_ = task_command("finalize", "distributed build, stage 5: check the shards, write metadata, publish", false);
  finalize_->add_flag("--no-verify", no_verify_, "check shard sizes only, not their checksums");
  finalize_->add_flag("--keep-work", keep_work_, "keep the tasks' files in the work folder after publishing");

  status_ = app->add_subcommand("status", "show which tasks of a distributed build are done");
  status_->add_option("--work,-w", work_, work_help)->required();
}

namespace {

// A task number as schedulers write it: decimal digits only, no sign, space
// or leading zero ("1abc", "0x1", " 1", "-0", "01" are refused, never read
// as 1 or 0). False when `text` is not one or is above INT_MAX.
bool ParseTaskNumber(std::string_view text, int* out) {
  if (text.empty() || text.size() > 10 || (text.size() > 1 && text[0] == '0')) return false;
  int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n > std::numeric_limits<int>::max()) return false;
  *out = static_cast<int>(n);
  return true;
}

}  // namespace

absl::StatusOr<int> StageCommands::TaskIndex(const std::string& stage, Env* env) const {
  std::string text = task_;
  std::string source;  // the environment variable it came from
  if (text == "auto") {
    text.clear();
    for (const char* var :
         {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "CLOUD_RUN_TASK_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"}) {
      const char* v = std::getenv(var);
      if (v != nullptr && *v != 0) {
        text = v;
        source = var;
        break;
      }
    }
    if (text.empty())
      return absl::InvalidArgumentError(
          "task 'auto': none of JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, CLOUD_RUN_TASK_INDEX, "
          "AWS_BATCH_JOB_ARRAY_INDEX is set");
  }
  const size_t slash = text.find('/');
  int index = -1, of = -1;
  const bool with_count = slash != std::string::npos;
  if (!ParseTaskNumber(std::string_view(text).substr(0, slash), &index) ||
      (with_count && !ParseTaskNumber(std::string_view(text).substr(slash + 1), &of))) {
    if (!source.empty())
      return absl::InvalidArgumentError(
          fmt::format("task 'auto': {}='{}' is not a task index: expected I or I/N in decimal digits, e.g. 3 or 3/8",
                      source, text));
    return absl::InvalidArgumentError(
        fmt::format("task '{}': expected I or I/N in decimal digits, e.g. 3 or 3/8", text));
  }
  if (with_count) {
    ASSIGN_OR_RETURN(int planned, PlannedTasks(work_, stage, env));
    if (of != planned)
      return absl::InvalidArgumentError(
          fmt::format("task '{}': the plan has {} {} task(s), not {}", text, planned, stage, of));
  }
  return index;
}

absl::StatusOr<StageOptions> StageCommands::Options(const CLI::App* cmd) {
  RETURN_IF_ERROR(flags_.Finish(cmd));
  StageOptions o;
  o.workers = flags_.options.workers;
  o.memory_limit_bytes = flags_.options.memory_limit_bytes;
  o.temp_dir = flags_.options.temp_dir;
  return o;
}

std::optional<int> StageCommands::Run(Env* env) {
  auto report = [](const absl::StatusOr<StageSummary>& s) {
    if (!s.ok()) return Fail(s.status());
    std::printf("proberows %s\n", s->line.c_str());
    return 0;
  };
  // Runs `fn(monitor)` with signal handling and, on a terminal, a progress line.
  auto monitored = [&](auto fn) {
    BuildMonitor monitor;
    InstallSignalHandlers(&monitor.cancel);
    std::optional<ProgressLine> line;
    if (ShowProgress(!no_progress_)) line.emplace(&monitor);
    return fn(&monitor);
  };
  if (plan_->parsed()) {
    if (absl::Status st = flags_.CheckUsage(plan_); !st.ok())
      return UsageExit(*plan_, CLI::ValidationError(StatusMessage(st)));
    if (absl::Status st = flags_.Finish(plan_); !st.ok()) return Fail(st);
    plan_options_.reduce_memory_limit_bytes = flags_.options.memory_limit_bytes;
    if (!reduce_memory_.empty()) {
      if (absl::Status st = ParseByteSize(reduce_memory_, &plan_options_.reduce_memory_limit_bytes); !st.ok())
        return Fail(Annotate(st, "--reduce-memory-limit"));
    }
    return report(PlanStage(flags_.options, work_, plan_options_, env));
  }
  if (map_->parsed() || reduce_->parsed()) {
    const bool is_map = map_->parsed();
    CLI::App* cmd = is_map ? map_ : reduce_;
    absl::StatusOr<StageOptions> o = Options(cmd);
    if (!o.ok()) return Fail(o.status());
    absl::StatusOr<int> task = TaskIndex(is_map ? "map" : "reduce", env);
    if (!task.ok()) return Fail(task.status());
    return report(monitored([&](BuildMonitor* m) {
      return is_map ? MapStage(work_, *task, *o, m, env) : ReduceStage(work_, *task, *o, m, env);
    }));
  }
  if (split_->parsed()) {
    absl::StatusOr<StageOptions> o = Options(split_);
    if (!o.ok()) return Fail(o.status());
    return report(monitored([&](BuildMonitor* m) { return SplitStage(work_, *o, m, env); }));
  }
  if (finalize_->parsed()) {
    absl::StatusOr<StageOptions> o = Options(finalize_);
    if (!o.ok()) return Fail(o.status());
    FinalizeStageOptions f;
    static_cast<StageOptions&>(f) = *o;
    f.verify_checksums = !no_verify_;
    f.keep_work = keep_work_;
    absl::StatusOr<BuildSummary> s = monitored([&](BuildMonitor* m) { return FinalizeStage(work_, f, m, env); });
    if (!s.ok()) return Fail(s.status());
    std::fputs(FormatSummary(*s).c_str(), stdout);
    return 0;
  }
  if (status_->parsed()) {
    absl::StatusOr<std::string> s = WorkStatus(work_, nullptr, env);
    if (!s.ok()) return Fail(s.status());
    std::fputs(s->c_str(), stdout);
    return 0;
  }
  return std::nullopt;
}

}  // namespace proberows
