#include "pipeline/task_context.h"

namespace proberows {

absl::StatusOr<std::unique_ptr<DuckDb>> OpenTaskDuckDb(const TaskContext& ctx) {
  DuckDbOptions o;
  o.memory_limit_bytes = DuckDbMemory(ctx.memory_limit);
  // Each scanning DuckDB thread decodes whole Parquet row groups; with too
  // many threads for a small budget DuckDB runs out of memory. Fewer scan
  // threads never change the output.
  o.threads = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(ctx.workers),
                                                  std::max<uint64_t>(1, o.memory_limit_bytes / kDuckDbBytesPerThread)));
  o.temp_directory = ctx.temp_dir + "/duckdb";
  o.preserve_insertion_order = false;
  return DuckDb::Open(o);
}

}  // namespace proberows
