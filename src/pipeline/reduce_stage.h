// The reduce stage: one task writes the complete shard files the split
// stage assigned to it (SplitResult::reduce). It gathers, partition by
// partition in hash order, every map task's records of the partition, sorts
// and groups them into one row per key on its workers (re-splitting a
// partition too large for its memory budget), and writes the rows that fall
// in its shards. The sequential strategy instead queries DuckDB once per key.
#ifndef PROBEROWS_PIPELINE_REDUCE_STAGE_H_
#define PROBEROWS_PIPELINE_REDUCE_STAGE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pipeline/map_stage.h"
#include "pipeline/split_stage.h"
#include "pipeline/task_context.h"
#include "plan/build_plan.h"
#include "proberows/array_record_options.h"
#include "proberows/example.h"
#include "proberows/pipeline.h"
#include "source/input_source.h"
#include "stats/dataset_stats.h"

namespace proberows {

struct ReduceResult {
  std::string plan_id;
  int task = 0;
  int tasks = 1;
  int shard_begin = 0;             // the shards written: [shard_begin, shard_end)
  std::vector<ShardStats> shards;  // in shard order; files in the task's shard folder
  uint64_t rows = 0;
  uint64_t measurements = 0;
  int partitions = 0;  // partitions grouped (after re-splitting)
  // Statistics of the rows written (stats/dataset_stats.h). A result loaded
  // from a work folder holds the serialized state in `statistics_state`
  // instead (WorkFolder::LoadReduce does not know the features).
  std::shared_ptr<DatasetStatistics> statistics;
  std::string statistics_state;
  double seconds = 0;
};

// Everything a reduce task reads and writes with.
struct ReduceInput {
  const BuildPlan* plan = nullptr;
  const SplitResult* split = nullptr;
  const SourceSchema* schema = nullptr;
  const ExampleEncoder* encoder = nullptr;
  const ArrayRecordWriterOptions* ar_options = nullptr;
  // Every map task's result, in task order. Records held in memory are
  // moved out of them.
  std::span<MapResult* const> maps;
  bool sequential = false;  // query DuckDB per key instead of reading records
};

// Runs reduce task `task`, writing its shard files into `shard_dir` (an
// existing folder).
[[nodiscard]] absl::StatusOr<ReduceResult> RunReduce(const ReduceInput& in, int task, const std::string& shard_dir,
                                                     const TaskContext& ctx);

}  // namespace proberows

#endif  // PROBEROWS_PIPELINE_REDUCE_STAGE_H_
