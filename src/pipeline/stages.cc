// The stage commands of a distributed build (include/proberows/stages.h):
// each loads what it needs from the work folder, runs its stage function
// (the same ones Build() composes) and commits its manifest.
#include "proberows/stages.h"

#include <unistd.h>

#include <chrono>

#include <fmt/format.h>

#include "group/row_cut.h"
#include "pipeline/finalize_stage.h"
#include "pipeline/map_stage.h"
#include "pipeline/output_transaction.h"
#include "pipeline/reduce_stage.h"
#include "pipeline/split_stage.h"
#include "pipeline/stale_temp.h"
#include "pipeline/task_context.h"
#include "pipeline/work_folder.h"
#include "plan/build_plan.h"
#include "proberows/array_record_options.h"
#include "proberows/example.h"
#include "util/file_lock.h"
#include "util/json_check.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

using Clock = std::chrono::steady_clock;

// One running task: its attempt, its scratch folder (always removed) and
// its attempt folder (removed unless committed), so that a failed task
// leaves nothing behind.
class TaskRun {
 public:
  // `label` names the task in messages ("map task 0", "split").
  TaskRun(Env* env, const std::string& work_dir, std::string name, std::string label)
      : env_(env),
        wf_(env, work_dir),
        name_(std::move(name)),
        label_(std::move(label)),
        attempt_(WorkFolder::NewAttempt()) {}
  ~TaskRun() {
    if (!scratch_.empty()) (void)env_->RemoveAll(scratch_);
    if (!committed_ && !attempt_dir_.empty()) (void)env_->RemoveAll(attempt_dir_);
  }

  // Sets up `ctx` for this task: the task's lock, workers, memory, a scratch
  // folder.
  absl::Status Start(const StageOptions& options, BuildMonitor* monitor, TaskContext* ctx) {
    // One process per task: two running the same task would each remove the
    // other's attempt as stale and leave the task broken.
    ASSIGN_OR_RETURN(lock_, FileLock::Acquire(wf_.Path("." + name_ + ".lock"),
                                              fmt::format("{} is already running in another process", label_)));
    if (options.memory_limit_bytes < (128ull << 20))
      return absl::InvalidArgumentError(
          fmt::format("--memory-limit {} is too small to make progress: proberows needs at least 128 MiB",
                      FormatBytes(options.memory_limit_bytes)));
    if (options.workers < 0)
      return absl::InvalidArgumentError(fmt::format("--workers {} must be at least 1", options.workers));
    BuildOptions cores;
    cores.workers = options.workers;
    ctx->env = env_;
    ctx->monitor = monitor;
    ctx->memory_limit = options.memory_limit_bytes;
    ctx->workers = WorkersWithin(cores.EffectiveWorkers(), options.memory_limit_bytes);
    if (options.temp_dir.empty()) {
      ASSIGN_OR_RETURN(scratch_, wf_.MakeScratchDir(name_, attempt_));
    } else {
      RemoveStaleTempFolders(env_, options.temp_dir);
      scratch_ = options.temp_dir + "/" + TempFolderName(::getpid());
      if (absl::Status st = env_->CreateDirs(scratch_); !st.ok()) return Annotate(st, "--temp-dir");
    }
    ctx->temp_dir = scratch_;
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> AttemptDir() {
    ASSIGN_OR_RETURN(attempt_dir_, wf_.MakeAttemptDir(name_, attempt_));
    return attempt_dir_;
  }
  void Committed() { committed_ = true; }

  WorkFolder& wf() { return wf_; }
  const std::string& attempt() const { return attempt_; }
  const std::string& name() const { return name_; }

 private:
  Env* env_;
  WorkFolder wf_;
  std::string name_;
  std::string label_;
  std::string attempt_;
  std::string scratch_;
  std::string attempt_dir_;
  bool committed_ = false;
  std::unique_ptr<FileLock> lock_;  // last: released after the folders are removed
};

std::string AbsolutePath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr) return path;
  return std::string(cwd) + "/" + path;
}

absl::Status CheckTask(const char* stage, int task, int tasks) {
  if (task < 0 || task >= tasks)
    return absl::InvalidArgumentError(
        fmt::format("{} task {} does not exist: the plan has {} {} task(s), numbered 0 to {}", stage, task, tasks,
                    stage, tasks - 1));
  return absl::OkStatus();
}

// Every map task's output, checked.
absl::StatusOr<std::vector<MapResult>> LoadMaps(const WorkFolder& wf, const BuildPlan& plan) {
  std::vector<MapResult> maps;
  for (int i = 0; i < plan.map_tasks; ++i) {
    ASSIGN_OR_RETURN(MapResult m, wf.LoadMap(plan, i));
    maps.push_back(std::move(m));
  }
  return maps;
}

// The plan's source, resolved again, with its encoder and writer options.
struct Schema {
  SourceSchema source;
  std::unique_ptr<ExampleEncoder> encoder;
  ArrayRecordWriterOptions ar_options;
};

absl::StatusOr<Schema> ResolveSchema(const BuildPlan& plan, const TaskContext& ctx) {
  Schema s;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<DuckDb> db, OpenTaskDuckDb(ctx));
    ASSIGN_OR_RETURN(s.source, ResolvePlannedSource(db.get(), ctx.env, plan));
  }
  ASSIGN_OR_RETURN(const RowCut cut, MakeRowCut(plan.options, s.source));
  ASSIGN_OR_RETURN(ExampleEncoder encoder, ExampleEncoder::Create(s.source.Specs(), cut.Features()));
  s.encoder = std::make_unique<ExampleEncoder>(std::move(encoder));
  absl::StatusOr<ArrayRecordWriterOptions> ar = ArrayRecordWriterOptions::FromString(plan.options.array_record_options);
  if (!ar.ok()) return Annotate(ar.status(), "--array-record-options");
  s.ar_options = *ar;
  return s;
}

TaskStats Stats(Clock::time_point start, uint64_t read_before, uint64_t written) {
  TaskStats s;
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  s.peak_rss_bytes = PeakRssBytes();
  s.bytes_read = ProcessBytesRead() - read_before;
  s.bytes_written = written;
  return s;
}

StageSummary Summary(const TaskStats& s, std::string line) {
  StageSummary out;
  out.seconds = s.seconds;
  out.peak_rss_bytes = s.peak_rss_bytes;
  out.bytes_read = s.bytes_read;
  out.bytes_written = s.bytes_written;
  out.line = fmt::format("{} in {:.2f} s, peak RSS {}", line, s.seconds, FormatBytes(s.peak_rss_bytes));
  return out;
}

}  // namespace

absl::StatusOr<StageSummary> PlanStage(const BuildOptions& options, const std::string& work_dir,
                                       const PlanStageOptions& plan_options, Env* env) {
  const auto start = Clock::now();
  const uint64_t read_before = ProcessBytesRead();
  if (work_dir.empty()) return absl::InvalidArgumentError("--work is required");
  // Tasks run elsewhere, from other folders: inputs and output by absolute path.
  BuildOptions absolute = options;
  for (std::string& p : absolute.inputs) p = AbsolutePath(p);
  if (!absolute.output_dir.empty()) absolute.output_dir = AbsolutePath(absolute.output_dir);
  RETURN_IF_ERROR(absolute.Validate());
  absl::StatusOr<ArrayRecordWriterOptions> ar = ArrayRecordWriterOptions::FromString(options.array_record_options);
  if (!ar.ok()) return Annotate(ar.status(), "--array-record-options");
  if (plan_options.map_tasks < 1 || plan_options.reduce_tasks < 1)
    return absl::InvalidArgumentError(fmt::format("--map-tasks {} and --reduce-tasks {} must be at least 1",
                                                  plan_options.map_tasks, plan_options.reduce_tasks));
  TaskContext ctx;
  ctx.env = env;
  ctx.memory_limit = options.memory_limit_bytes;
  ctx.workers = WorkersWithin(options.EffectiveWorkers(), options.memory_limit_bytes);
  DuckDbOptions db_options;
  db_options.memory_limit_bytes = DuckDbMemory(options.memory_limit_bytes);
  db_options.threads = ctx.workers;
  ASSIGN_OR_RETURN(std::unique_ptr<DuckDb> db, DuckDb::Open(db_options));
  PlanSettings settings;
  settings.map_tasks = plan_options.map_tasks;
  settings.reduce_tasks = plan_options.reduce_tasks;
  settings.reduce_memory_limit = plan_options.reduce_memory_limit_bytes;
  BuildOptions cores;
  cores.workers = plan_options.reduce_workers;
  settings.reduce_workers = WorkersWithin(cores.EffectiveWorkers(), plan_options.reduce_memory_limit_bytes);
  SourceSchema schema;
  ASSIGN_OR_RETURN(BuildPlan plan, MakePlan(db.get(), env, absolute, settings, &schema));
  WorkFolder wf(env, work_dir);
  bool unchanged = false;
  RETURN_IF_ERROR(wf.SavePlan(plan, plan_options.replace, &unchanged));
  const TaskStats stats = Stats(start, read_before, 0);
  return Summary(stats, fmt::format("plan {}{}: {} input file(s), ~{} measurements, {} map x {} reduce task(s), {} "
                                    "partitions -> {}",
                                    plan.id, unchanged ? " (unchanged: finished tasks are kept)" : "",
                                    plan.inputs.size(), plan.estimated_rows, plan.map_tasks, plan.reduce_tasks,
                                    1 << plan.partition_bits, wf.Path("plan.json")));
}

absl::StatusOr<StageSummary> MapStage(const std::string& work_dir, int task, const StageOptions& options,
                                      BuildMonitor* monitor, Env* env) {
  const auto start = Clock::now();
  const uint64_t read_before = ProcessBytesRead();
  WorkFolder wf(env, work_dir);
  ASSIGN_OR_RETURN(BuildPlan plan, wf.LoadPlan());
  RETURN_IF_ERROR(CheckTask("map", task, plan.map_tasks));
  TaskRun run(env, work_dir, WorkFolder::TaskName("map", task, plan.map_tasks), fmt::format("map task {}", task));
  TaskContext ctx;
  RETURN_IF_ERROR(run.Start(options, monitor, &ctx));
  ASSIGN_OR_RETURN(std::string out_dir, run.AttemptDir());
  ctx.SetPhase(BuildMonitor::kScanning);
  MapResult result;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<DuckDb> db, OpenTaskDuckDb(ctx));
    ASSIGN_OR_RETURN(SourceSchema schema, ResolvePlannedSource(db.get(), ctx.env, plan));
    ASSIGN_OR_RETURN(result, RunMap(plan, task, schema, MapMode::kSpill, out_dir, db.get(), ctx));
  }
  const TaskStats stats = Stats(start, read_before, result.spill_bytes + result.key_bytes);
  RETURN_IF_ERROR(run.wf().SaveMap(result, run.attempt(), stats));
  run.Committed();
  ctx.SetPhase(BuildMonitor::kDone);
  return Summary(
      stats, fmt::format("map {}/{}: {} measurements from {} input file(s) ({} read) -> {} of records, {} "
                         "of keys",
                         task, plan.map_tasks, result.rows, MapFiles(plan, task).size(), FormatBytes(stats.bytes_read),
                         FormatBytes(result.spill_bytes), FormatBytes(result.key_bytes)));
}

absl::StatusOr<StageSummary> SplitStage(const std::string& work_dir, const StageOptions& options, BuildMonitor* monitor,
                                        Env* env) {
  const auto start = Clock::now();
  const uint64_t read_before = ProcessBytesRead();
  WorkFolder wf(env, work_dir);
  ASSIGN_OR_RETURN(BuildPlan plan, wf.LoadPlan());
  TaskRun run(env, work_dir, "split", "the split stage");
  TaskContext ctx;
  RETURN_IF_ERROR(run.Start(options, monitor, &ctx));
  ctx.SetPhase(BuildMonitor::kCounting);
  ASSIGN_OR_RETURN(std::vector<MapResult> maps, LoadMaps(wf, plan));
  std::vector<const MapResult*> ptrs;
  for (const MapResult& m : maps) ptrs.push_back(&m);
  ASSIGN_OR_RETURN(SplitResult split, RunSplit(plan, ptrs, ctx));
  const TaskStats stats = Stats(start, read_before, 0);
  RETURN_IF_ERROR(wf.SaveSplit(split, stats));
  return Summary(stats, fmt::format("split: {} measurements, {} keys -> test {} rows in {} shard(s), train {} rows "
                                    "in {} shard(s), over {} reduce task(s)",
                                    split.measurements, split.keys, split.split.num_test, split.split.test_shards,
                                    split.split.num_train, split.split.train_shards, plan.reduce_tasks));
}

absl::StatusOr<StageSummary> ReduceStage(const std::string& work_dir, int task, const StageOptions& options,
                                         BuildMonitor* monitor, Env* env) {
  const auto start = Clock::now();
  const uint64_t read_before = ProcessBytesRead();
  WorkFolder wf(env, work_dir);
  ASSIGN_OR_RETURN(BuildPlan plan, wf.LoadPlan());
  RETURN_IF_ERROR(CheckTask("reduce", task, plan.reduce_tasks));
  ASSIGN_OR_RETURN(SplitResult split, wf.LoadSplit(plan));
  ASSIGN_OR_RETURN(std::vector<MapResult> maps, LoadMaps(wf, plan));
  TaskRun run(env, work_dir, WorkFolder::TaskName("reduce", task, plan.reduce_tasks),
              fmt::format("reduce task {}", task));
  TaskContext ctx;
  RETURN_IF_ERROR(run.Start(options, monitor, &ctx));
  ASSIGN_OR_RETURN(Schema schema, ResolveSchema(plan, ctx));
  ASSIGN_OR_RETURN(std::string shard_dir, run.AttemptDir());
  ctx.SetPhase(BuildMonitor::kGrouping);
  if (monitor != nullptr) {
    const ReduceAssignment& a = split.reduce[static_cast<size_t>(task)];
    monitor->total_rows = a.row_end - a.row_begin;
  }
  std::vector<MapResult*> ptrs;
  for (MapResult& m : maps) ptrs.push_back(&m);
  ReduceInput in{&plan, &split, &schema.source, schema.encoder.get(), &schema.ar_options, ptrs, false};
  ASSIGN_OR_RETURN(ReduceResult result, RunReduce(in, task, shard_dir, ctx));
  uint64_t written = 0;
  for (const ShardStats& sh : result.shards) written += sh.file_bytes;
  const TaskStats stats = Stats(start, read_before, written);
  RETURN_IF_ERROR(wf.SaveReduce(result, run.attempt(), stats));
  run.Committed();
  ctx.SetPhase(BuildMonitor::kDone);
  const std::string shards =
      result.shards.empty()
          ? std::string("no shards (the split has fewer shards than reduce tasks)")
          : fmt::format("shard(s) {}..{} ({})", result.shard_begin,
                        result.shard_begin + static_cast<int>(result.shards.size()) - 1, FormatBytes(written));
  return Summary(stats, fmt::format("reduce {}/{}: {} rows, {} measurements -> {}", task, plan.reduce_tasks,
                                    result.rows, result.measurements, shards));
}

absl::StatusOr<BuildSummary> FinalizeStage(const std::string& work_dir, const FinalizeStageOptions& options,
                                           BuildMonitor* monitor, Env* env) {
  const auto start = Clock::now();
  WorkFolder wf(env, work_dir);
  ASSIGN_OR_RETURN(BuildPlan plan, wf.LoadPlan());
  // Finalized already: the published output is this plan's (finalize takes
  // no --overwrite; the plan's own --overwrite is for another output).
  if (env->FileExists(wf.Path("finalized.json"))) {
    absl::StatusOr<std::string> text = ReadFileToString(env, wf.Path("finalized.json"));
    absl::StatusOr<nlohmann::ordered_json> done = text.ok() ? ParseJsonFile(*text, wf.Path("finalized.json"))
                                                            : absl::StatusOr<nlohmann::ordered_json>(text.status());
    if (done.ok() && done->is_object() && done->value("plan", nlohmann::ordered_json()) == plan.id)
      return absl::FailedPreconditionError(fmt::format(
          "work folder '{}' is finalized already: plan {} was published to '{}'; to build again, make a new plan "
          "with `proberows plan --replace` (and --overwrite to replace that output)",
          work_dir, plan.id, plan.options.PublishedDir()));
  }
  ASSIGN_OR_RETURN(SplitResult split, wf.LoadSplit(plan));
  std::vector<ReduceResult> reduces;
  FinalizeInput in;
  for (int j = 0; j < plan.reduce_tasks; ++j) {
    std::string dir;
    ASSIGN_OR_RETURN(ReduceResult r, wf.LoadReduce(plan, j, &dir));
    reduces.push_back(std::move(r));
    in.shard_dirs.push_back(dir);
    in.task_names.push_back(fmt::format("reduce task {} ('{}')", j,
                                        wf.Path(WorkFolder::TaskName("reduce", j, plan.reduce_tasks) + ".json")));
  }
  TaskRun run(env, work_dir, "finalize", "finalize");
  TaskContext ctx;
  RETURN_IF_ERROR(run.Start(options, monitor, &ctx));
  ctx.SetPhase(BuildMonitor::kFinishing);
  ASSIGN_OR_RETURN(Schema schema, ResolveSchema(plan, ctx));
  absl::StatusOr<std::unique_ptr<OutputTransaction>> began =
      OutputTransaction::Begin(env, plan.options.PublishedDir(), plan.options.overwrite);
  if (began.status().code() == absl::StatusCode::kAlreadyExists)
    return absl::AlreadyExistsError(fmt::format(
        "output folder '{}' already holds a dataset and the plan does not replace it: make the plan with --overwrite "
        "(`proberows plan --replace --overwrite ...`), or remove the folder",
        plan.options.PublishedDir()));
  if (!began.ok()) return began.status();
  std::unique_ptr<OutputTransaction> txn = std::move(*began);
  std::vector<const ReduceResult*> ptrs;
  for (const ReduceResult& r : reduces) ptrs.push_back(&r);
  in.plan = &plan;
  in.split = &split;
  in.schema = &schema.source;
  in.encoder = schema.encoder.get();
  in.ar_options = &schema.ar_options;
  in.reduces = ptrs;
  in.verify_checksums = options.verify_checksums;
  ASSIGN_OR_RETURN(FinalizeResult done, RunFinalize(in, txn.get(), ctx));
  txn.reset();
  BuildSummary summary;
  summary.output_dir = plan.options.PublishedDir();
  summary.strategy = fmt::format("distributed ({} map x {} reduce tasks)", plan.map_tasks, plan.reduce_tasks);
  summary.workers = ctx.workers;
  summary.workers_requested = ctx.workers;
  summary.memory_limit_bytes = options.memory_limit_bytes;
  summary.input_measurements = split.measurements;
  summary.keys = split.keys;
  summary.test = std::move(done.test);
  summary.train = std::move(done.train);
  // The stages' times as their manifests recorded them (the slowest task of
  // a stage stands for the stage).
  auto slowest = [&](const char* stage, int tasks) {
    double worst = 0;
    for (int i = 0; i < tasks; ++i) {
      absl::StatusOr<TaskStats> s = wf.LoadStats(WorkFolder::TaskName(stage, i, tasks) + ".json");
      if (s.ok()) {
        worst = std::max(worst, s->seconds);
        summary.peak_rss_bytes = std::max(summary.peak_rss_bytes, s->peak_rss_bytes);
      }
    }
    return worst;
  };
  summary.phase_seconds.emplace_back("map (slowest task)", slowest("map", plan.map_tasks));
  if (absl::StatusOr<TaskStats> s = wf.LoadStats("split.json"); s.ok())
    summary.phase_seconds.emplace_back("split", s->seconds);
  summary.phase_seconds.emplace_back("reduce (slowest task)", slowest("reduce", plan.reduce_tasks));
  summary.total_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  summary.phase_seconds.emplace_back("finalize", summary.total_seconds);
  summary.peak_rss_bytes = std::max(summary.peak_rss_bytes, PeakRssBytes());
  RETURN_IF_ERROR(WriteStringToFileAtomic(
      env, fmt::format("{{\"plan\": \"{}\", \"output\": \"{}\"}}\n", plan.id, plan.options.PublishedDir()),
      wf.Path("finalized.json")));
  if (!options.keep_work) RETURN_IF_ERROR(wf.RemoveTaskData());
  return summary;
}

absl::StatusOr<int> PlannedTasks(const std::string& work_dir, const std::string& stage, Env* env) {
  WorkFolder wf(env, work_dir);
  ASSIGN_OR_RETURN(BuildPlan plan, wf.LoadPlan());
  if (stage == "map") return plan.map_tasks;
  if (stage == "reduce") return plan.reduce_tasks;
  return absl::InvalidArgumentError(fmt::format("unknown stage '{}'", stage));
}

absl::StatusOr<std::string> WorkStatus(const std::string& work_dir, bool* done, Env* env) {
  WorkFolder wf(env, work_dir);
  ASSIGN_OR_RETURN(BuildPlan plan, wf.LoadPlan());
  std::string out = fmt::format("plan {}: {} map x {} reduce task(s) -> {}\n", plan.id, plan.map_tasks,
                                plan.reduce_tasks, plan.options.PublishedDir());
  const bool published = env->FileExists(wf.Path("finalized.json"));
  int finished = 0, all = 0;
  auto line = [&](const std::string& what, absl::Status loaded, const std::string& manifest) {
    ++all;
    std::string state;
    // Once published, the tasks' files are gone (unless kept): a manifest
    // of this plan is enough.
    if (published && !loaded.ok() && wf.LoadStats(manifest).ok()) loaded = absl::OkStatus();
    if (loaded.ok()) {
      ++finished;
      absl::StatusOr<TaskStats> s = wf.LoadStats(manifest);
      state =
          s.ok() ? fmt::format("done in {:.2f} s, peak RSS {}", s->seconds, FormatBytes(s->peak_rss_bytes)) : "done";
    } else {
      state = fmt::format("not done: {}", StatusMessage(loaded));
    }
    out += fmt::format("  {:<24} {}\n", what, state);
  };
  // Tasks are named as the stage commands name them ("map 0/3", the task
  // `proberows map -w W 0/3` runs and prints).
  for (int i = 0; i < plan.map_tasks; ++i) {
    const std::string name = WorkFolder::TaskName("map", i, plan.map_tasks);
    line(fmt::format("map {}/{}", i, plan.map_tasks), wf.LoadMap(plan, i).status(), name + ".json");
  }
  line("split", wf.LoadSplit(plan).status(), "split.json");
  for (int j = 0; j < plan.reduce_tasks; ++j) {
    const std::string name = WorkFolder::TaskName("reduce", j, plan.reduce_tasks);
    std::string dir;
    line(fmt::format("reduce {}/{}", j, plan.reduce_tasks), wf.LoadReduce(plan, j, &dir).status(), name + ".json");
  }
  if (done != nullptr) *done = published;
  out += fmt::format("  {:<24} {}\n", "finalize", published ? "done: output published" : "not done");
  out += fmt::format("{} of {} tasks done\n", finished + (published ? 1 : 0), all + 1);
  return out;
}

}  // namespace proberows
