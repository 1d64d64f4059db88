// TaskContext: what one stage task (map, split, reduce, finalize) runs with,
// in a `build` process or as its own command on a cluster node: the Env, its
// threads, its memory budget, a private scratch folder and an optional
// monitor. Also the memory budget's constants (docs/design.md).
#ifndef PROBEROWS_PIPELINE_TASK_CONTEXT_H_
#define PROBEROWS_PIPELINE_TASK_CONTEXT_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plan/memory_budget.h"
#include "proberows/env.h"
#include "proberows/pipeline.h"
#include "source/duckdb_handle.h"

namespace proberows {

struct TaskContext {
  Env* env = nullptr;
  int workers = 1;  // already lowered by WorkersWithin
  uint64_t memory_limit = 2ull << 30;
  std::string temp_dir;             // private scratch folder; exists
  BuildMonitor* monitor = nullptr;  // may be null
  // A map task whose reduce runs in the same process (`build`) may keep the
  // spill blocks of its first partitions in memory, encoded, up to this many
  // bytes, instead of writing them (group/partitioner.h). 0: write them all
  // (every distributed map task).
  uint64_t spill_keep_bytes = 0;

  // kCancelled once the monitor asks to stop.
  absl::Status Cancelled() const {
    if (monitor != nullptr && monitor->cancel.load(std::memory_order_relaxed))
      return absl::CancelledError("interrupted; no output was written");
    return absl::OkStatus();
  }
  void SetPhase(int phase) const {
    if (monitor != nullptr) monitor->phase = phase;
  }
};

// Opens the DuckDB a task scans with: DuckDbMemory() of the budget, at most
// one scan thread per kDuckDbBytesPerThread of it, spilling under
// `ctx.temp_dir`, no insertion order (the output never depends on the scan
// order).
[[nodiscard]] absl::StatusOr<std::unique_ptr<DuckDb>> OpenTaskDuckDb(const TaskContext& ctx);

}  // namespace proberows

#endif  // PROBEROWS_PIPELINE_TASK_CONTEXT_H_
