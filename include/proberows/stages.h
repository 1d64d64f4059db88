// Distributed builds: the stages of `build` as separate tasks that any
// scheduler runs (Dask, Slurm job arrays, Kubernetes Indexed Jobs, a
// map-style cloud service), with a shared work folder between them and no
// scheduler or RPC of ours (docs/distributed.md):
//
//   PlanStage       once      options + input -> WORK/plan.json
//   MapStage i      i < N     its share of the input -> partitions + key lists
//   SplitStage      once      exact key counts -> split and shard assignment
//   ReduceStage j   j < M     complete shard files
//   FinalizeStage   once      checks, metadata, publishes the output folder
//
// The output folder is byte-identical to `Build()` with the same options,
// whatever N and M. Every task is idempotent (outputs appear atomically, a
// rerun replaces only its own), bounded by its own memory limit, and can be
// rerun alone after a kill; a missing, partial, damaged or stale task output
// makes the next stage refuse with one line naming the task and the file.
#ifndef PROBEROWS_STAGES_H_
#define PROBEROWS_STAGES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "proberows/build_options.h"
#include "proberows/env.h"
#include "proberows/pipeline.h"

namespace proberows {

// What one task runs with (each task has its own).
struct StageOptions {
  int workers = 0;                           // threads; 0 = number of cores
  uint64_t memory_limit_bytes = 2ull << 30;  // the task's whole process
  std::string temp_dir;                      // scratch; empty = inside the work folder
};

struct PlanStageOptions {
  int map_tasks = 1;
  int reduce_tasks = 1;
  // What each reduce task will run with: sizes the hash partitions so that
  // one fits a reduce worker (a reduce task re-splits any that do not).
  uint64_t reduce_memory_limit_bytes = 2ull << 30;
  int reduce_workers = 0;  // 0 = number of cores here
  // Discard a different plan (and its task outputs) already in the folder.
  bool replace = false;
};

struct FinalizeStageOptions : StageOptions {
  bool verify_checksums = true;  // re-read every shard and check its XXH3
  bool keep_work = false;        // keep the tasks' files after publishing
};

// What a task reports (also kept in its manifest).
struct StageSummary {
  std::string line;  // one human-readable line
  double seconds = 0;
  uint64_t peak_rss_bytes = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
};

// Makes the plan and writes it to `work_dir`/plan.json. The same plan again
// keeps the folder's task outputs (a resumed run skips finished tasks);
// another plan is refused unless `replace`.
[[nodiscard]] absl::StatusOr<StageSummary> PlanStage(const BuildOptions& options, const std::string& work_dir,
                                                     const PlanStageOptions& plan_options, Env* env = Env::Default());

// Map task `task` (0-based) of the plan in `work_dir`.
[[nodiscard]] absl::StatusOr<StageSummary> MapStage(const std::string& work_dir, int task, const StageOptions& options,
                                                    BuildMonitor* monitor = nullptr, Env* env = Env::Default());

[[nodiscard]] absl::StatusOr<StageSummary> SplitStage(const std::string& work_dir, const StageOptions& options,
                                                      BuildMonitor* monitor = nullptr, Env* env = Env::Default());

[[nodiscard]] absl::StatusOr<StageSummary> ReduceStage(const std::string& work_dir, int task,
                                                       const StageOptions& options, BuildMonitor* monitor = nullptr,
                                                       Env* env = Env::Default());

// Publishes the output folder named in the plan; the summary is `build`'s.
[[nodiscard]] absl::StatusOr<BuildSummary> FinalizeStage(const std::string& work_dir,
                                                         const FinalizeStageOptions& options,
                                                         BuildMonitor* monitor = nullptr, Env* env = Env::Default());

// A table of every task of the plan in `work_dir`: done (with its time and
// peak memory), not done, or made for another plan. Sets `*done` when the
// output has been published.
[[nodiscard]] absl::StatusOr<std::string> WorkStatus(const std::string& work_dir, bool* done = nullptr,
                                                     Env* env = Env::Default());

// The task count of `stage` ("map" or "reduce") in the plan in `work_dir`.
[[nodiscard]] absl::StatusOr<int> PlannedTasks(const std::string& work_dir, const std::string& stage,
                                               Env* env = Env::Default());

}  // namespace proberows

#endif  // PROBEROWS_STAGES_H_
