// DatasetWriter: takes rows in global hash order and writes them into a
// range of the test and train shards of a SplitPlan (all of them, or the
// range one reduce task owns), as ArrayRecord files named like TFDS:
//   <dir>/<name>-<split>.array_record-<i:05>-of-<n:05>
// and keeps the per-shard statistics the metadata reports.
#ifndef PROBEROWS_PIPELINE_DATASET_WRITER_H_
#define PROBEROWS_PIPELINE_DATASET_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plan/split_plan.h"
#include "proberows/array_record_options.h"
#include "proberows/array_record_writer.h"
#include "proberows/env.h"
#include "proberows/pipeline.h"
#include "stats/dataset_stats.h"
#include "util/hashing_env.h"
#include "util/thread_pool.h"

namespace proberows {

// XXH3-64 of the whole file at `path` as 16 hex digits, read in 1 MiB pieces
// (the checksum proberows.json records per shard and `verify` recomputes).
[[nodiscard]] absl::StatusOr<std::string> FileXxh3(Env* env, const std::string& path);

std::string ShardFileName(const std::string& name, Split split, int index, int count);

// Shards [begin, end) in SplitPlan's numbering over both splits.
struct ShardRange {
  int begin = 0;
  int end = 0;
};

class DatasetWriter {
 public:
  // Writes the shards `range` (REQUIRES: within plan.total_shards()), i.e.
  // the global rows [plan.GlobalShardBegin(range.begin),
  // plan.GlobalShardBegin(range.end)). `threads` compression threads (output
  // bytes do not depend on it).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DatasetWriter>> Open(Env* env, std::string dir, std::string name,
                                                                           SplitPlan plan,
                                                                           ArrayRecordWriterOptions options,
                                                                           int threads, ShardRange range);
  ~DatasetWriter();

  // Adds the next row in global order. Fails once all the range's rows are in.
  // With `gather_statistics` false the row is not added to statistics(): the
  // caller gathered its statistics and merges them itself.
  //
  // "Rows" of the plan are keys: with cut rows (group/row_cut.h) a key has
  // several rows, all in the shard of the key. `continues_key`: the row is
  // one more row of the key added last (it takes no global row index of its
  // own); REQUIRES: a row of that key was added.
  [[nodiscard]] absl::Status Add(std::string_view row, uint32_t measurements, bool gather_statistics = true,
                                 bool continues_key = false);
  // Closes the last shards (creating empty ones); fails unless exactly the
  // range's rows were added.
  [[nodiscard]] absl::Status Finish();

  // Global index of the next row Add() expects, and the range's rows.
  uint64_t next_row() const { return next_row_; }
  uint64_t first_row() const { return first_row_; }
  uint64_t end_row() const { return end_row_; }
  // Gathers the statistics of every row added into `stats` (stats/
  // dataset_stats.h) from now on; null stops it.
  void set_statistics(std::shared_ptr<DatasetStatistics> stats) { stats_ = std::move(stats); }
  const std::shared_ptr<DatasetStatistics>& statistics() const { return stats_; }

  // Statistics of the shards closed so far, in shard order.
  const std::vector<ShardStats>& shards() const { return shards_; }
  const SplitPlan& plan() const { return plan_; }

 private:
  DatasetWriter(Env* env, std::string dir, std::string name, SplitPlan plan, ArrayRecordWriterOptions options,
                int threads, ShardRange range);
  absl::Status OpenShard(int g);
  absl::Status CloseShard();
  absl::Status NextShard();

  Env* env_;
  HashingEnv hashing_env_;  // shard files are written through it
  std::string dir_;
  std::string name_;
  SplitPlan plan_;
  ArrayRecordWriterOptions options_;
  int threads_;
  std::unique_ptr<ThreadPool> pool_;

  ShardRange range_;
  uint64_t first_row_;
  uint64_t end_row_;
  uint64_t next_row_;       // global row index
  int shard_ = -1;          // open shard (global numbering), -1 none yet
  uint64_t shard_end_ = 0;  // global row index where the open shard ends
  std::unique_ptr<ArrayRecordWriter> writer_;
  ShardStats current_;
  std::vector<ShardStats> shards_;
  std::shared_ptr<DatasetStatistics> stats_;
};

}  // namespace proberows

#endif  // PROBEROWS_PIPELINE_DATASET_WRITER_H_
