// The map stage: one task reads its share of the input (BuildPlan::maps),
// converts every row into a measurement record on DuckDB's threads and
// routes it to the hash partition of its key, keeping the distinct keys of
// every partition for the exact split (group/key_list.h).
//
// Where the records go depends on the strategy: spill files (streaming, and
// every distributed map task), memory (in-memory), or nowhere (sequential,
// which only needs the keys and queries the rows again per key).
#ifndef PROBEROWS_PIPELINE_MAP_STAGE_H_
#define PROBEROWS_PIPELINE_MAP_STAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "group/partitioner.h"
#include "pipeline/task_context.h"
#include "plan/build_plan.h"
#include "source/duckdb_handle.h"
#include "source/input_source.h"

namespace proberows {

enum class MapMode {
  kSpill,     // records to spill files in the output folder
  kMemory,    // records in memory (Partition::data)
  kKeysOnly,  // records counted, not kept
};

// What one map task produced.
struct MapResult {
  std::string plan_id;
  int task = 0;
  int tasks = 1;
  uint64_t rows = 0;                  // measurements read
  std::vector<Partition> partitions;  // 2^plan.partition_bits, index order
  std::vector<std::string> files;     // every file written (spill and key files)
  uint64_t spill_bytes = 0;           // bytes of spill files
  uint64_t spill_kept_bytes = 0;      // bytes of spill blocks kept in memory instead (TaskContext::spill_keep_bytes)
  uint64_t key_bytes = 0;             // bytes of key files
  uint64_t bytes_read = 0;            // bytes the process read while scanning
  int key_flushes = 0;                // key sets written out early for memory
  double seconds = 0;
};

// Runs map task `task` of `plan` with `db` (opened by OpenTaskDuckDb) over
// `schema` (the plan's resolved source), writing files into `out_dir` (an
// existing folder of this task's own). Checks first that the task's input
// files are those the plan saw; errors name the input file where possible.
[[nodiscard]] absl::StatusOr<MapResult> RunMap(const BuildPlan& plan, int task, const SourceSchema& schema,
                                               MapMode mode, const std::string& out_dir, DuckDb* db,
                                               const TaskContext& ctx);

// Bytes this process has read so far (/proc/self/io rchar), 0 if unknown.
uint64_t ProcessBytesRead();

}  // namespace proberows

#endif  // PROBEROWS_PIPELINE_MAP_STAGE_H_
