#include "pipeline/split_stage.h"

#include <atomic>
#include <chrono>

#include <fmt/format.h>

#include "group/key_list.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"

namespace proberows {

std::vector<uint64_t> SplitResult::PartitionRowBegins() const {
  std::vector<uint64_t> begins(partition_keys.size() + 1, 0);
  for (size_t p = 0; p < partition_keys.size(); ++p) begins[p + 1] = begins[p] + partition_keys[p];
  return begins;
}

void PlanSplitAndReduce(const BuildPlan& plan, SplitResult* r) {
  r->split = SplitPlan::Make(r->keys, r->measurements, plan.options.test_fraction, plan.options.test_shards,
                             plan.options.train_shards);
  const int shards = r->split.total_shards();
  const int tasks = plan.reduce_tasks;
  r->reduce.clear();
  for (int j = 0; j < tasks; ++j) {
    ReduceAssignment a;
    a.shard_begin = static_cast<int>(static_cast<int64_t>(shards) * j / tasks);
    a.shard_end = static_cast<int>(static_cast<int64_t>(shards) * (j + 1) / tasks);
    a.row_begin = r->split.GlobalShardBegin(a.shard_begin);
    a.row_end = r->split.GlobalShardBegin(a.shard_end);
    r->reduce.push_back(a);
  }
}

std::string SplitInconsistency(const BuildPlan& plan, const SplitResult& s) {
  const size_t partitions = size_t{1} << plan.partition_bits;
  if (s.partition_keys.size() != partitions || s.partition_records.size() != partitions)
    return fmt::format("{} partition key counts and {} record counts for the plan's {} partitions",
                       s.partition_keys.size(), s.partition_records.size(), partitions);
  uint64_t keys = 0, records = 0;
  for (size_t p = 0; p < partitions; ++p) {
    if (s.partition_keys[p] > s.partition_records[p])
      return fmt::format("partition {} holds {} keys but only {} measurements", p, s.partition_keys[p],
                         s.partition_records[p]);
    keys += s.partition_keys[p];
    records += s.partition_records[p];
  }
  if (keys != s.keys) return fmt::format("its partitions hold {} keys, not {}", keys, s.keys);
  if (records != s.measurements)
    return fmt::format("its partitions hold {} measurements, not {}", records, s.measurements);
  SplitResult want;
  want.keys = s.keys;
  want.measurements = s.measurements;
  PlanSplitAndReduce(plan, &want);
  const SplitPlan& a = s.split;
  const SplitPlan& b = want.split;
  if (a.num_keys != b.num_keys || a.num_test != b.num_test || a.num_train != b.num_train ||
      a.test_shards != b.test_shards || a.train_shards != b.train_shards)
    return fmt::format(
        "its split (keys {}, test {} rows in {} shard(s), train {} rows in {} shard(s)) is not the plan's for {} keys "
        "(test {} rows in {} shard(s), train {} rows in {} shard(s))",
        a.num_keys, a.num_test, a.test_shards, a.num_train, a.train_shards, s.keys, b.num_test, b.test_shards,
        b.num_train, b.train_shards);
  for (size_t j = 0; j < want.reduce.size(); ++j) {
    const ReduceAssignment& x = j < s.reduce.size() ? s.reduce[j] : ReduceAssignment{-1, -1, 0, 0};
    const ReduceAssignment& y = want.reduce[j];
    if (s.reduce.size() != want.reduce.size() || x.shard_begin != y.shard_begin || x.shard_end != y.shard_end ||
        x.row_begin != y.row_begin || x.row_end != y.row_end)
      return fmt::format(
          "reduce task {} is assigned shards [{}, {}) and rows [{}, {}), the plan's split gives [{}, {}) "
          "and [{}, {})",
          j, x.shard_begin, x.shard_end, x.row_begin, x.row_end, y.shard_begin, y.shard_end, y.row_begin, y.row_end);
  }
  return "";
}

absl::StatusOr<SplitResult> RunSplit(const BuildPlan& plan, std::span<const MapResult* const> maps,
                                     const TaskContext& ctx) {
  const auto start = std::chrono::steady_clock::now();
  const size_t partitions = size_t{1} << plan.partition_bits;
  if (maps.size() != static_cast<size_t>(plan.map_tasks))
    return absl::InternalError(fmt::format("{} map results for {} map tasks", maps.size(), plan.map_tasks));
  SplitResult r;
  r.plan_id = plan.id;
  r.partition_keys.assign(partitions, 0);
  r.partition_records.assign(partitions, 0);
  std::vector<std::vector<BlockRef>> runs(partitions);
  for (const MapResult* m : maps) {
    if (m->partitions.size() != partitions)
      return absl::InternalError(
          fmt::format("map task {} has {} partitions, the plan {}", m->task, m->partitions.size(), partitions));
    for (size_t p = 0; p < partitions; ++p) {
      r.partition_records[p] += m->partitions[p].records;
      runs[p].insert(runs[p].end(), m->partitions[p].key_runs.begin(), m->partitions[p].key_runs.end());
    }
    r.measurements += m->rows;
  }
  uint64_t records = 0;
  for (uint64_t n : r.partition_records) records += n;
  if (records != r.measurements)
    return absl::InternalError(
        fmt::format("the map tasks read {} measurements but partitioned {}", r.measurements, records));
  if (r.measurements == 0) return absl::InvalidArgumentError("the input has no rows");

  // Count each partition's distinct keys, partitions spread over the workers.
  {
    std::mutex mu;
    absl::Status status;
    std::atomic<size_t> next{0};
    {
      ThreadPool pool(std::max(1, ctx.workers));
      for (int w = 0; w < std::max(1, ctx.workers); ++w) {
        pool.Schedule([&] {
          for (size_t p = next++; p < partitions; p = next++) {
            if (!ctx.Cancelled().ok()) return;
            absl::StatusOr<uint64_t> n = CountDistinctKeys(ctx.env, runs[p]);
            if (!n.ok()) {
              std::lock_guard<std::mutex> lock(mu);
              if (status.ok()) status = n.status();
              return;
            }
            r.partition_keys[p] = *n;
          }
        });
      }
    }
    RETURN_IF_ERROR(ctx.Cancelled());
    RETURN_IF_ERROR(status);
  }
  for (size_t p = 0; p < partitions; ++p) {
    if ((r.partition_keys[p] == 0) != (r.partition_records[p] == 0))
      return absl::DataLossError(fmt::format("partition {} holds {} measurements but {} keys", p,
                                             r.partition_records[p], r.partition_keys[p]));
    r.keys += r.partition_keys[p];
  }

  PlanSplitAndReduce(plan, &r);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace proberows
