// The finalize stage: checks that the reduce tasks wrote every shard exactly
// once (present, complete, the planned rows, counts adding up to the
// input's), moves the shard files into the output's staging folder, writes
// the metadata and publishes the output folder atomically
// (OutputTransaction).
#ifndef PROBEROWS_PIPELINE_FINALIZE_STAGE_H_
#define PROBEROWS_PIPELINE_FINALIZE_STAGE_H_

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pipeline/output_transaction.h"
#include "pipeline/reduce_stage.h"
#include "pipeline/split_stage.h"
#include "pipeline/task_context.h"
#include "plan/build_plan.h"
#include "proberows/array_record_options.h"
#include "proberows/example.h"
#include "proberows/pipeline.h"
#include "source/input_source.h"

namespace proberows {

struct FinalizeInput {
  const BuildPlan* plan = nullptr;
  const SplitResult* split = nullptr;
  const SourceSchema* schema = nullptr;
  const ExampleEncoder* encoder = nullptr;
  const ArrayRecordWriterOptions* ar_options = nullptr;
  std::span<const ReduceResult* const> reduces;  // every reduce task's, in task order
  // Per reduce task, the folder holding its shard files (the staging
  // folder itself when the task wrote there).
  std::vector<std::string> shard_dirs;
  // Where a problem is reported: per reduce task, e.g. "reduce task 3 (W/reduce-...json)".
  std::vector<std::string> task_names;
  bool verify_checksums = false;  // recompute every shard's XXH3 (else sizes only)
};

struct FinalizeResult {
  SplitStats test;
  SplitStats train;
  // The reduce tasks' row statistics, merged (stats/dataset_stats.h).
  std::shared_ptr<DatasetStatistics> statistics;
};

// Runs the stage; commits `txn` on success.
[[nodiscard]] absl::StatusOr<FinalizeResult> RunFinalize(const FinalizeInput& in, OutputTransaction* txn,
                                                         const TaskContext& ctx);

}  // namespace proberows

#endif  // PROBEROWS_PIPELINE_FINALIZE_STAGE_H_
