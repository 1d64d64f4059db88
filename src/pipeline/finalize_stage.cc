#include "pipeline/finalize_stage.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pipeline/dataset_writer.h"
#include "pipeline/metadata.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

void AddShard(const ShardStats& sh, SplitStats* s) {
  if (sh.rows > 0) {
    if (s->rows == 0) {
      s->min_row_bytes = sh.min_row_bytes;
      s->max_row_bytes = sh.max_row_bytes;
      s->min_measurements = sh.min_measurements;
      s->max_measurements = sh.max_measurements;
    } else {
      s->min_row_bytes = std::min(s->min_row_bytes, sh.min_row_bytes);
      s->max_row_bytes = std::max(s->max_row_bytes, sh.max_row_bytes);
      s->min_measurements = std::min(s->min_measurements, sh.min_measurements);
      s->max_measurements = std::max(s->max_measurements, sh.max_measurements);
    }
  }
  s->rows += sh.rows;
  s->keys += sh.keys;
  s->measurements += sh.measurements;
  s->row_bytes += sh.row_bytes;
  s->file_bytes += sh.file_bytes;
  s->shards.push_back(sh);
}

}  // namespace

absl::StatusOr<FinalizeResult> RunFinalize(const FinalizeInput& in, OutputTransaction* txn, const TaskContext& ctx) {
  const BuildPlan& plan = *in.plan;
  const SplitPlan& sp = in.split->split;
  Env* env = ctx.env;
  FinalizeResult result;
  int next_shard = 0;
  uint64_t keys = 0, measurements = 0;
  for (size_t j = 0; j < in.reduces.size(); ++j) {
    const ReduceResult& r = *in.reduces[j];
    const std::string& who = in.task_names[j];
    if (r.plan_id != plan.id)
      return absl::FailedPreconditionError(
          fmt::format("{} was made for another plan ({}, not {}); rerun it", who, r.plan_id, plan.id));
    const ReduceAssignment& a = in.split->reduce[j];
    if (r.shard_begin != a.shard_begin || r.shards.size() != static_cast<size_t>(a.shard_end - a.shard_begin))
      return absl::FailedPreconditionError(fmt::format("{} wrote shards {}..{}, the split assigned it {}..{}; rerun it",
                                                       who, r.shard_begin, r.shard_begin + r.shards.size(),
                                                       a.shard_begin, a.shard_end));
    for (const ShardStats& sh : r.shards) {
      const int g = next_shard++;
      const Split split = sp.SplitOfShard(g);
      const std::string expected = ShardFileName(plan.options.name, split, sp.IndexInSplit(g), sp.shards(split));
      const uint64_t planned = sp.GlobalShardBegin(g + 1) - sp.GlobalShardBegin(g);
      // The plan's rows are keys (several rows each when rows are cut).
      const bool cut = plan.options.CutsRows();
      if (sh.file != expected || sh.keys != planned || (!cut && sh.rows != sh.keys))
        return absl::FailedPreconditionError(fmt::format("{}: shard {} is '{}' with {} {}, expected '{}' with {}", who,
                                                         g, sh.file, cut ? sh.keys : sh.rows, cut ? "keys" : "rows",
                                                         expected, planned));
      const std::string path = in.shard_dirs[j] + "/" + sh.file;
      absl::StatusOr<uint64_t> size = env->GetFileSize(path);
      if (!size.ok())
        return absl::FailedPreconditionError(fmt::format("{}: shard file '{}' is missing; rerun it", who, path));
      if (*size != sh.file_bytes)
        return absl::FailedPreconditionError(
            fmt::format("{}: shard file '{}' is {} bytes, {} when it was written (partial or replaced); rerun it", who,
                        path, *size, sh.file_bytes));
      if (in.verify_checksums) {
        RETURN_IF_ERROR(ctx.Cancelled());
        ASSIGN_OR_RETURN(std::string xxh3, FileXxh3(env, path));
        if (xxh3 != sh.xxh3)
          return absl::DataLossError(fmt::format("{}: shard file '{}' is damaged (XXH3 {}, written as {}); rerun it",
                                                 who, path, xxh3, sh.xxh3));
      }
      AddShard(sh, split == Split::kTest ? &result.test : &result.train);
      keys += sh.keys;
      measurements += sh.measurements;
    }
  }
  if (next_shard != sp.total_shards())
    return absl::FailedPreconditionError(
        fmt::format("the reduce tasks wrote {} of the {} shards", next_shard, sp.total_shards()));
  if (keys != in.split->keys || measurements != in.split->measurements)
    return absl::InternalError(fmt::format("the shards hold {} keys and {} measurements, the input {} and {}", keys,
                                           measurements, in.split->keys, in.split->measurements));
  // The row statistics: every reduce task's, merged (exact, so the task
  // count does not show in the result).
  result.statistics = std::make_shared<DatasetStatistics>(in.encoder->Features(), plan.options.order_column);
  for (size_t j = 0; j < in.reduces.size(); ++j) {
    const ReduceResult& r = *in.reduces[j];
    if (r.statistics != nullptr) {
      result.statistics->Merge(*r.statistics);
      continue;
    }
    if (r.statistics_state.empty())
      return absl::FailedPreconditionError(
          fmt::format("{} has no statistics (written by an older proberows?); rerun it", in.task_names[j]));
    DatasetStatistics loaded(in.encoder->Features(), plan.options.order_column);
    const nlohmann::json state = nlohmann::json::parse(r.statistics_state, nullptr, /*allow_exceptions=*/false);
    if (absl::Status st = loaded.FromState(state); !st.ok()) return Annotate(st, in.task_names[j]);
    result.statistics->Merge(loaded);
  }
  if (result.statistics->split(true).rows != result.test.rows ||
      result.statistics->split(false).rows != result.train.rows)
    return absl::InternalError(fmt::format("the statistics count {} test and {} train rows, the shards {} and {}",
                                           result.statistics->split(true).rows, result.statistics->split(false).rows,
                                           result.test.rows, result.train.rows));
  RETURN_IF_ERROR(ctx.Cancelled());
  // Into the staging folder (hard links, or copies across file systems:
  // the reduce tasks' files stay, so a failed finalize can simply be rerun),
  // then the metadata, then publish.
  for (size_t j = 0; j < in.reduces.size(); ++j) {
    if (in.shard_dirs[j] == txn->staging_dir()) continue;
    for (const ShardStats& sh : in.reduces[j]->shards) {
      RETURN_IF_ERROR(ctx.Cancelled());
      RETURN_IF_ERROR(env->LinkOrCopyFile(in.shard_dirs[j] + "/" + sh.file, txn->staging_dir() + "/" + sh.file));
    }
  }
  MetadataInput meta{plan.options,
                     *in.schema,
                     *in.encoder,
                     *in.ar_options,
                     sp,
                     result.test,
                     result.train,
                     in.split->measurements,
                     result.statistics.get()};
  RETURN_IF_ERROR(WriteMetadata(env, txn->staging_dir(), meta));
  RETURN_IF_ERROR(txn->Commit());
  return result;
}

}  // namespace proberows
