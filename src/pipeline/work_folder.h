// WorkFolder: the shared folder the tasks of a distributed build exchange
// files through (docs/distributed.md, "The work folder"):
//
//   plan.json                         the plan (plan stage)
//   map-IIIII-of-NNNNN.json           a map task's manifest: its commit
//   map-IIIII-of-NNNNN/ATTEMPT/       its spill and key files
//   split.json                        key counts, split, reduce assignments
//   reduce-JJJJJ-of-MMMMM.json        a reduce task's manifest
//   reduce-JJJJJ-of-MMMMM/ATTEMPT/    its shard files
//   finalized.json                    written once the output is published
//   .scratch/TASK-ATTEMPT/            a running task's scratch space
//
// Every task writes into a folder of its own attempt (host, pid, random) and
// commits by renaming its manifest into place; it then removes its earlier
// attempts. A task killed before its commit leaves no manifest, and a rerun
// replaces only its own outputs. Manifests name files relative to the work
// folder, so nodes may mount it at different paths. Loading a manifest
// checks its plan id (stale outputs are refused) and that every file it
// lists is present with its size (partial outputs are refused); block
// checksums catch damage when the data is read.
#ifndef PROBEROWS_PIPELINE_WORK_FOLDER_H_
#define PROBEROWS_PIPELINE_WORK_FOLDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "pipeline/map_stage.h"
#include "pipeline/reduce_stage.h"
#include "pipeline/split_stage.h"
#include "plan/build_plan.h"
#include "proberows/env.h"

namespace proberows {

// Per-task measurements kept in its manifest (for benchmarks and status).
struct TaskStats {
  double seconds = 0;
  uint64_t peak_rss_bytes = 0;
  uint64_t bytes_read = 0;     // by the process (rchar)
  uint64_t bytes_written = 0;  // files the task left in the work folder
};

class WorkFolder {
 public:
  WorkFolder(Env* env, std::string dir);

  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  static std::string TaskName(const char* stage, int task, int tasks);  // "map-00003-of-00008"

  // A fresh attempt id: host-pid-random.
  static std::string NewAttempt();
  // Creates and returns the folder "<task>/<attempt>" (absolute).
  [[nodiscard]] absl::StatusOr<std::string> MakeAttemptDir(const std::string& task, const std::string& attempt);
  // A scratch folder for a running task, removed by the caller.
  [[nodiscard]] absl::StatusOr<std::string> MakeScratchDir(const std::string& task, const std::string& attempt);

  // The plan. SavePlan refuses (FailedPrecondition) a folder holding a plan
  // with another id unless `replace`, which empties the folder first; the
  // same plan again is kept (its task outputs stay valid).
  [[nodiscard]] absl::Status SavePlan(const BuildPlan& plan, bool replace, bool* unchanged);
  [[nodiscard]] absl::StatusOr<BuildPlan> LoadPlan() const;

  // Map task manifests. SaveMap commits `result` (files under the attempt's
  // folder) and removes the task's other attempts.
  [[nodiscard]] absl::Status SaveMap(const MapResult& result, const std::string& attempt, const TaskStats& stats);
  [[nodiscard]] absl::StatusOr<MapResult> LoadMap(const BuildPlan& plan, int task) const;

  [[nodiscard]] absl::Status SaveSplit(const SplitResult& split, const TaskStats& stats);
  [[nodiscard]] absl::StatusOr<SplitResult> LoadSplit(const BuildPlan& plan) const;

  // Reduce task manifests; LoadReduce also gives the folder holding the
  // task's shard files.
  [[nodiscard]] absl::Status SaveReduce(const ReduceResult& result, const std::string& attempt, const TaskStats& stats);
  [[nodiscard]] absl::StatusOr<ReduceResult> LoadReduce(const BuildPlan& plan, int task, std::string* shard_dir) const;

  // A task's stats as its manifest holds them (NotFound without manifest).
  [[nodiscard]] absl::StatusOr<TaskStats> LoadStats(const std::string& manifest) const;

  // Removes every task's files (after the output is published), keeping the
  // plan and the manifests.
  [[nodiscard]] absl::Status RemoveTaskData();

 private:
  absl::Status Commit(const std::string& task, const std::string& attempt, const std::string& json);

  Env* env_;
  std::string dir_;
};

}  // namespace proberows

#endif  // PROBEROWS_PIPELINE_WORK_FOLDER_H_
