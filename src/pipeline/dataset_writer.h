// DatasetWriter: takes rows in global hash order and writes them into the
// test and train shards of a SplitPlan, as ArrayRecord files named like TFDS:
//   <dir>/<name>-<split>.array_record-<i:05>-of-<n:05>
// and keeps the statistics the metadata reports.
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
#include "util/thread_pool.h"

namespace proberows {

// XXH3-64 of the whole file at `path` as 16 hex digits, read in 1 MiB pieces
// (the checksum proberows.json records per shard and `verify` recomputes).
[[nodiscard]] absl::StatusOr<std::string> FileXxh3(Env* env, const std::string& path);

std::string ShardFileName(const std::string& name, Split split, int index, int count);

class DatasetWriter {
 public:
  // `threads` compression threads (output bytes do not depend on it).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DatasetWriter>> Open(Env* env, std::string dir, std::string name,
                                                                           SplitPlan plan,
                                                                           ArrayRecordWriterOptions options,
                                                                           int threads);
  ~DatasetWriter();

  // Adds the next row in global order. Fails once all planned rows are in.
  [[nodiscard]] absl::Status Add(std::string_view row, uint32_t measurements);
  // Closes the last shards; fails unless exactly the planned rows were added.
  [[nodiscard]] absl::Status Finish();

  uint64_t rows_added() const { return next_row_; }
  const SplitStats& stats(Split s) const { return stats_[static_cast<int>(s)]; }
  const SplitPlan& plan() const { return plan_; }

 private:
  DatasetWriter(Env* env, std::string dir, std::string name, SplitPlan plan, ArrayRecordWriterOptions options,
                int threads);
  absl::Status OpenShard(Split split, int index);
  absl::Status CloseShard();
  absl::Status NextShard();

  Env* env_;
  std::string dir_;
  std::string name_;
  SplitPlan plan_;
  ArrayRecordWriterOptions options_;
  int threads_;
  std::unique_ptr<ThreadPool> pool_;

  uint64_t next_row_ = 0;  // global row index
  Split split_ = Split::kTest;
  int shard_ = -1;          // open shard index in split_, -1 none
  uint64_t shard_end_ = 0;  // global row index where the open shard ends
  std::unique_ptr<ArrayRecordWriter> writer_;
  ShardStats current_;
  SplitStats stats_[2];
};

}  // namespace proberows

#endif  // PROBEROWS_PIPELINE_DATASET_WRITER_H_
