// Build(): the stages plan -> map -> split -> reduce -> finalize in one
// process (docs/design.md), for the three strategies; the summary.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>

#include <fmt/format.h>

#include "group/row_cut.h"
#include "pipeline/finalize_stage.h"
#include "pipeline/map_stage.h"
#include "pipeline/output_transaction.h"
#include "pipeline/reduce_stage.h"
#include "pipeline/split_stage.h"
#include "pipeline/stale_temp.h"
#include "pipeline/task_context.h"
#include "plan/build_plan.h"
#include "proberows/array_record_options.h"
#include "proberows/example.h"
#include "proberows/pipeline.h"
#include "source/duckdb_handle.h"
#include "source/input_source.h"
#include "util/status_macros.h"

namespace proberows {

const char* PhaseName(int phase) {
  switch (phase) {
    case BuildMonitor::kStarting: return "starting";
    case BuildMonitor::kCounting: return "counting";
    case BuildMonitor::kScanning: return "scanning";
    case BuildMonitor::kGrouping: return "grouping";
    case BuildMonitor::kFinishing: return "finishing";
    case BuildMonitor::kDone: return "done";
  }
  return "?";
}

uint64_t PeakRssBytes() {
  // VmHWM is this process image's own peak. getrusage's ru_maxrss is not
  // when the process was started by a large one (a Dask worker, Python's
  // subprocess): exec carries the parent's peak over into it.
  if (std::FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    unsigned long long kib = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof(line), f) != nullptr)
      found = std::sscanf(line, "VmHWM: %llu kB", &kib) == 1;
    std::fclose(f);
    if (found) return static_cast<uint64_t>(kib) * 1024;
  }
  struct rusage ru;
  if (::getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;
}

namespace {

using Clock = std::chrono::steady_clock;

// Times the phases of a build for its summary.
class PhaseClock {
 public:
  explicit PhaseClock(BuildSummary* summary) : summary_(summary), start_(Clock::now()), phase_start_(start_) {}
  void End(const char* name) {
    const auto now = Clock::now();
    summary_->phase_seconds.emplace_back(name, std::chrono::duration<double>(now - phase_start_).count());
    phase_start_ = now;
  }
  double Total() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  BuildSummary* summary_;
  Clock::time_point start_;
  Clock::time_point phase_start_;
};

// The private temporary folder of a build, removed on every exit path.
struct TempDirGuard {
  Env* env;
  std::string path;
  void Remove() {
    if (!path.empty()) (void)env->RemoveAll(path);
    path.clear();
  }
  ~TempDirGuard() { Remove(); }
};

absl::Status MakeTempDir(Env* env, const std::string& path) {
  absl::Status st = env->CreateDirs(path);
  if (!st.ok()) return Annotate(st, "--temp-dir");
  ASSIGN_OR_RETURN(auto probe, env->NewWritableFile(path + "/.probe"));
  absl::Status w = probe->Close();
  if (!w.ok()) return Annotate(w, "--temp-dir is not writable");
  return absl::OkStatus();
}

MapMode MapModeFor(Strategy s) {
  switch (s) {
    case Strategy::kSequential: return MapMode::kKeysOnly;
    case Strategy::kInMemory: return MapMode::kMemory;
    case Strategy::kStreaming: return MapMode::kSpill;
  }
  return MapMode::kSpill;
}

}  // namespace

// One machine: the stages of docs/distributed.md in one process, one task
// each, the files between them in a private temporary folder.
absl::StatusOr<BuildSummary> Build(const BuildOptions& options, BuildMonitor* monitor, Env* env) {
  BuildSummary summary;
  PhaseClock clock(&summary);
  RETURN_IF_ERROR(options.Validate());
  absl::StatusOr<ArrayRecordWriterOptions> ar_options =
      ArrayRecordWriterOptions::FromString(options.array_record_options);
  if (!ar_options.ok()) return Annotate(ar_options.status(), "--array-record-options");
  TaskContext ctx;
  ctx.env = env;
  ctx.monitor = monitor;
  ctx.memory_limit = options.memory_limit_bytes;
  ctx.workers = WorkersWithin(options.EffectiveWorkers(), options.memory_limit_bytes);
  // The reduce runs in this process: the map may keep the spill blocks of its
  // first partitions in memory (docs/design.md, memory budget).
  ctx.spill_keep_bytes =
      options.memory_limit_bytes > kBaseReserve ? (options.memory_limit_bytes - kBaseReserve) / 6 : 0;
  summary.strategy = StrategyName(options.strategy);
  summary.workers = ctx.workers;
  summary.workers_requested = options.EffectiveWorkers();
  summary.memory_limit_bytes = options.memory_limit_bytes;
  summary.output_dir = options.PublishedDir();

  ASSIGN_OR_RETURN(std::unique_ptr<OutputTransaction> txn,
                   OutputTransaction::Begin(env, options.PublishedDir(), options.overwrite));
  ctx.temp_dir =
      options.temp_dir.empty() ? txn->staging_dir() + "/.tmp" : options.temp_dir + "/" + TempFolderName(::getpid());
  if (!options.temp_dir.empty()) RemoveStaleTempFolders(env, options.temp_dir);
  TempDirGuard temp_guard{env, ctx.temp_dir};
  RETURN_IF_ERROR(MakeTempDir(env, ctx.temp_dir));

  // plan
  ctx.SetPhase(BuildMonitor::kStarting);
  ASSIGN_OR_RETURN(std::unique_ptr<DuckDb> db, OpenTaskDuckDb(ctx));
  SourceSchema schema;
  PlanSettings settings;
  settings.reduce_memory_limit = ctx.memory_limit;
  settings.reduce_workers = ctx.workers;
  ASSIGN_OR_RETURN(BuildPlan plan, MakePlan(db.get(), env, options, settings, &schema));
  ASSIGN_OR_RETURN(const RowCut cut, MakeRowCut(options, schema));
  absl::StatusOr<ExampleEncoder> encoder = ExampleEncoder::Create(schema.Specs(), cut.Features());
  if (!encoder.ok()) return encoder.status();
  if (monitor != nullptr) monitor->total_measurements = plan.estimated_rows;
  clock.End("plan");

  // map
  ctx.SetPhase(BuildMonitor::kScanning);
  ASSIGN_OR_RETURN(MapResult map, RunMap(plan, 0, schema, MapModeFor(options.strategy), ctx.temp_dir, db.get(), ctx));
  db.reset();  // DuckDB is done: give its memory back before grouping
  summary.spill_bytes = map.spill_bytes;
  summary.spill_kept_bytes = map.spill_kept_bytes;
  clock.End("map");

  // split
  ctx.SetPhase(BuildMonitor::kCounting);
  const MapResult* map_outputs[] = {&map};
  ASSIGN_OR_RETURN(SplitResult split, RunSplit(plan, map_outputs, ctx));
  summary.input_measurements = split.measurements;
  summary.keys = split.keys;
  if (monitor != nullptr) {
    monitor->total_measurements = split.measurements;
    monitor->total_rows = split.keys;
  }
  clock.End("split");

  // reduce
  ctx.SetPhase(BuildMonitor::kGrouping);
  MapResult* maps[] = {&map};
  ReduceInput in{&plan, &split, &schema, &*encoder, &*ar_options, maps, options.strategy == Strategy::kSequential};
  ASSIGN_OR_RETURN(ReduceResult reduce, RunReduce(in, 0, txn->staging_dir(), ctx));
  summary.partitions = reduce.partitions;
  clock.End("reduce");

  // finalize
  ctx.SetPhase(BuildMonitor::kFinishing);
  temp_guard.Remove();
  const ReduceResult* reduces[] = {&reduce};
  FinalizeInput fin{&plan, &split, &schema, &*encoder, &*ar_options, reduces, {txn->staging_dir()}, {"reduce task 0"}};
  ASSIGN_OR_RETURN(FinalizeResult done, RunFinalize(fin, txn.get(), ctx));
  summary.test = std::move(done.test);
  summary.train = std::move(done.train);
  clock.End("finalize");
  ctx.SetPhase(BuildMonitor::kDone);
  summary.total_seconds = clock.Total();
  summary.peak_rss_bytes = PeakRssBytes();
  return summary;
}

std::string FormatSummary(const BuildSummary& s) {
  std::string out;
  const uint64_t rows = s.train.rows + s.test.rows;
  const uint64_t bytes = s.train.row_bytes + s.test.row_bytes;
  out += fmt::format("proberows build: {} measurements -> {} rows in {:.2f} s ({:.0f} measurements/s)\n",
                     s.input_measurements, rows, s.total_seconds,
                     s.total_seconds > 0 ? static_cast<double>(s.input_measurements) / s.total_seconds : 0.0);
  for (const auto* sp : {&s.train, &s.test}) {
    const char* name = sp == &s.train ? "train" : "test";
    out += fmt::format("  {:<5} {:>9} rows {:>11} measurements  row bytes min/mean/max {}/{:.0f}/{}  {} shard(s), {}\n",
                       name, sp->rows, sp->measurements, sp->min_row_bytes,
                       sp->rows ? static_cast<double>(sp->row_bytes) / static_cast<double>(sp->rows) : 0.0,
                       sp->max_row_bytes, sp->shards.size(), FormatBytes(sp->file_bytes));
  }
  out += fmt::format("  rows total {} ({} encoded, {} on disk)\n", rows, FormatBytes(bytes),
                     FormatBytes(s.train.file_bytes + s.test.file_bytes));
  out += "  phases:";
  for (const auto& [name, secs] : s.phase_seconds) out += fmt::format(" {} {:.2f} s;", name, secs);
  out.pop_back();
  out += "\n";
  out += fmt::format("  strategy {}, {} worker(s)", s.strategy, s.workers);
  if (s.workers_requested > s.workers)
    out += fmt::format(" ({} asked; the memory limit carries {})", s.workers_requested, s.workers);
  out +=
      fmt::format(", memory limit {}, peak RSS {}", FormatBytes(s.memory_limit_bytes), FormatBytes(s.peak_rss_bytes));
  if (s.partitions > 0) out += fmt::format(", {} partition(s)", s.partitions);
  if (s.spill_bytes > 0 || s.spill_kept_bytes > 0) out += fmt::format(", spilled {}", FormatBytes(s.spill_bytes));
  if (s.spill_kept_bytes > 0) out += fmt::format(", kept {} in memory", FormatBytes(s.spill_kept_bytes));
  out += fmt::format("\n  output: {}\n", s.output_dir);
  return out;
}

}  // namespace proberows
