#include "pipeline/dataset_writer.h"

#include <xxhash.h>

#include <algorithm>

#include <fmt/format.h>

#include "util/status_macros.h"

namespace proberows {

std::string ShardFileName(const std::string& name, Split split, int index, int count) {
  return fmt::format("{}-{}.array_record-{:05d}-of-{:05d}", name, SplitName(split), index, count);
}

absl::StatusOr<std::string> FileXxh3(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  std::string buf(1 << 20, '\0');
  uint64_t offset = 0;
  absl::Status status;
  while (offset < file->size()) {
    std::string_view got;
    status = file->Read(offset, buf.size(), buf.data(), &got);
    if (!status.ok()) break;
    if (got.empty()) break;
    XXH3_64bits_update(state, got.data(), got.size());
    offset += got.size();
  }
  const uint64_t h = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  RETURN_IF_ERROR(status);
  return fmt::format("{:016x}", h);
}

DatasetWriter::DatasetWriter(Env* env, std::string dir, std::string name, SplitPlan plan,
                             ArrayRecordWriterOptions options, int threads, ShardRange range)
    : env_(env),
      hashing_env_(env),
      dir_(std::move(dir)),
      name_(std::move(name)),
      plan_(plan),
      options_(std::move(options)),
      threads_(std::max(1, threads)),
      range_(range),
      first_row_(plan_.GlobalShardBegin(range.begin)),
      end_row_(plan_.GlobalShardBegin(range.end)),
      next_row_(first_row_) {
  if (threads_ > 1) pool_ = std::make_unique<ThreadPool>(threads_);
}

DatasetWriter::~DatasetWriter() = default;

absl::StatusOr<std::unique_ptr<DatasetWriter>> DatasetWriter::Open(Env* env, std::string dir, std::string name,
                                                                   SplitPlan plan, ArrayRecordWriterOptions options,
                                                                   int threads, ShardRange range) {
  if (range.begin < 0 || range.begin > range.end || range.end > plan.total_shards())
    return absl::InternalError(
        fmt::format("shard range [{}, {}) is not within the {} shards", range.begin, range.end, plan.total_shards()));
  return std::unique_ptr<DatasetWriter>(
      new DatasetWriter(env, std::move(dir), std::move(name), plan, std::move(options), threads, range));
}

absl::Status DatasetWriter::OpenShard(int g) {
  shard_ = g;
  shard_end_ = plan_.GlobalShardBegin(g + 1);
  const Split split = plan_.SplitOfShard(g);
  current_ = ShardStats();
  current_.file = ShardFileName(name_, split, plan_.IndexInSplit(g), plan_.shards(split));
  ASSIGN_OR_RETURN(writer_,
                   ArrayRecordWriter::Open(&hashing_env_, dir_ + "/" + current_.file, options_, threads_, pool_.get()));
  return absl::OkStatus();
}

absl::Status DatasetWriter::CloseShard() {
  if (!writer_) return absl::OkStatus();
  RETURN_IF_ERROR(writer_->Close());
  writer_.reset();
  const std::string path = dir_ + "/" + current_.file;
  ASSIGN_OR_RETURN(current_.file_bytes, env_->GetFileSize(path));
  // The checksum of the bytes as they were written (no read back).
  uint64_t digest = 0;
  if (hashing_env_.DigestOf(path, &digest)) {
    current_.xxh3 = fmt::format("{:016x}", digest);
  } else {
    ASSIGN_OR_RETURN(current_.xxh3, FileXxh3(env_, path));
  }
  shards_.push_back(current_);
  return absl::OkStatus();
}

absl::Status DatasetWriter::NextShard() {
  RETURN_IF_ERROR(CloseShard());
  const int next = shard_ < 0 ? range_.begin : shard_ + 1;
  if (next >= range_.end) return absl::InternalError("no shard left for the next row");
  return OpenShard(next);
}

absl::Status DatasetWriter::Add(std::string_view row, uint32_t measurements, bool gather_statistics,
                                bool continues_key) {
  if (continues_key) {
    if (!writer_ || next_row_ == first_row_) return absl::InternalError("a continued row before any row of its key");
  } else {
    if (next_row_ >= end_row_)
      return absl::InternalError(fmt::format("more rows than the {} this writer's shards hold", end_row_ - first_row_));
    // Shards are visited in order, empty ones included.
    while (!writer_ || next_row_ >= shard_end_) RETURN_IF_ERROR(NextShard());
  }
  RETURN_IF_ERROR(writer_->Write(row));
  if (stats_ != nullptr && gather_statistics)
    RETURN_IF_ERROR(stats_->AddRow(plan_.SplitOfShard(shard_) == Split::kTest, row, measurements));
  ShardStats& s = current_;
  if (s.rows == 0) {
    s.min_row_bytes = s.max_row_bytes = row.size();
    s.min_measurements = s.max_measurements = measurements;
  } else {
    s.min_row_bytes = std::min<uint64_t>(s.min_row_bytes, row.size());
    s.max_row_bytes = std::max<uint64_t>(s.max_row_bytes, row.size());
    s.min_measurements = std::min<uint64_t>(s.min_measurements, measurements);
    s.max_measurements = std::max<uint64_t>(s.max_measurements, measurements);
  }
  ++s.rows;
  s.measurements += measurements;
  s.row_bytes += row.size();
  if (continues_key) return absl::OkStatus();
  ++s.keys;
  ++next_row_;
  return absl::OkStatus();
}

absl::Status DatasetWriter::Finish() {
  if (next_row_ != end_row_)
    return absl::InternalError(fmt::format("wrote {} rows but shards {}..{} hold {}", next_row_ - first_row_,
                                           range_.begin, range_.end, end_row_ - first_row_));
  // Close the open shard and create the remaining (empty) ones.
  while ((shard_ < 0 ? range_.begin : shard_ + 1) < range_.end) RETURN_IF_ERROR(NextShard());
  return CloseShard();
}

}  // namespace proberows
