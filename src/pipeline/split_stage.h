// The split stage: from the key lists and record counts of every map task,
// the exact number of distinct keys of each hash partition, and from those
// the train/test split (SplitPlan), the first global row of every partition,
// and which shards each reduce task writes.
//
// Reduce task j writes the shards [S*j/M, S*(j+1)/M) of the S shards of both
// splits (test first; SplitPlan numbering): complete files, rows of about
// equal number per task. It reads every partition that holds one of its
// rows; a partition at the edge of its rows is read by both neighbours, each
// keeping its own rows.
#ifndef PROBEROWS_PIPELINE_SPLIT_STAGE_H_
#define PROBEROWS_PIPELINE_SPLIT_STAGE_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pipeline/map_stage.h"
#include "pipeline/task_context.h"
#include "plan/build_plan.h"
#include "plan/split_plan.h"

namespace proberows {

struct ReduceAssignment {
  int shard_begin = 0;  // shards [shard_begin, shard_end)
  int shard_end = 0;
  uint64_t row_begin = 0;  // global rows [row_begin, row_end)
  uint64_t row_end = 0;
};

struct SplitResult {
  std::string plan_id;
  uint64_t measurements = 0;
  uint64_t keys = 0;
  std::vector<uint64_t> partition_keys;     // distinct keys per partition
  std::vector<uint64_t> partition_records;  // measurements per partition
  SplitPlan split;
  std::vector<ReduceAssignment> reduce;  // per reduce task
  double seconds = 0;

  // Global row of the first key of every partition, and `keys` last.
  std::vector<uint64_t> PartitionRowBegins() const;
};

// Counts the keys of `maps` (every map task of `plan`, in task order) and
// plans the split. InvalidArgument "the input has no rows" when they read
// nothing.
[[nodiscard]] absl::StatusOr<SplitResult> RunSplit(const BuildPlan& plan, std::span<const MapResult* const> maps,
                                                   const TaskContext& ctx);

// Sets `r->split` and `r->reduce` from `r->keys` and `r->measurements`, as
// the split stage plans them for `plan`.
void PlanSplitAndReduce(const BuildPlan& plan, SplitResult* r);

// "" when `s` is consistent: as many partition counts as `plan` has
// partitions, no partition with more keys than measurements, the counts
// adding up to `keys` and `measurements`, and the split and reduce
// assignments the ones PlanSplitAndReduce gives. Else what is not.
[[nodiscard]] std::string SplitInconsistency(const BuildPlan& plan, const SplitResult& s);

}  // namespace proberows

#endif  // PROBEROWS_PIPELINE_SPLIT_STAGE_H_
