// The memory budget of a task (docs/design.md, "Memory budget"): the shares
// of --memory-limit that the plan (partition count) and every stage (worker
// count, DuckDB's limit, buffers, partitions in flight) size themselves by.
#ifndef PROBEROWS_PLAN_MEMORY_BUDGET_H_
#define PROBEROWS_PLAN_MEMORY_BUDGET_H_

#include <algorithm>
#include <cstdint>

namespace proberows {

// Memory a process needs besides what the budget hands out: code, DuckDB's
// and the allocators' fixed costs, stacks.
inline constexpr uint64_t kBaseReserve = 64ull << 20;
// Bytes of working memory per byte of partition records while a partition is
// grouped: the records, the sort index and the encoded rows.
inline constexpr double kGroupingFactor = 2.5;
// The least memory per worker thread: compression batches and contexts, a
// malloc arena.
inline constexpr uint64_t kBytesPerWorker = 32ull << 20;
// DuckDB memory one scanning thread may need (a row group of a wide table).
inline constexpr uint64_t kDuckDbBytesPerThread = 32ull << 20;

// Workers a task runs with: `requested`, lowered to what `memory_limit`
// carries (more would push the process over its limit; fewer never change
// the output).
inline int WorkersWithin(int requested, uint64_t memory_limit) {
  const uint64_t carried =
      std::max<uint64_t>(1, (memory_limit - std::min(memory_limit, kBaseReserve)) / kBytesPerWorker);
  return static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(std::max(1, requested)), carried));
}

// DuckDB's share of a task's budget (it only scans): a quarter, at least
// 32 MiB.
inline uint64_t DuckDbMemory(uint64_t memory_limit) { return std::max<uint64_t>(memory_limit / 4, 32ull << 20); }

// The largest partition (record bytes) a reduce task with `workers` workers
// groups within `memory_limit`: workers + 1 partitions are in flight, each
// costing kGroupingFactor times its bytes, in 80% of the budget.
inline uint64_t TargetPartitionBytes(uint64_t memory_limit, int workers) {
  const double usable = static_cast<double>(memory_limit - std::min(memory_limit, kBaseReserve)) * 0.8;
  return std::max<uint64_t>(1, static_cast<uint64_t>(usable / (kGroupingFactor * (std::max(1, workers) + 1))));
}

}  // namespace proberows

#endif  // PROBEROWS_PLAN_MEMORY_BUDGET_H_
