// ArrayRecordWriter: batches of records are encoded into chunks (on pool
// threads, or inline), then written strictly in submission order by the
// thread calling Write()/Close().
//
// Concurrency: a Batch is filled by the writer thread, then handed to one
// encoder: a pool task or the writer thread itself ("stealing" a batch whose
// task has not started yet, which also avoids deadlock when the pool is
// shared and busy). Batch::state decides who encodes, with one CAS; the
// result is published under Batch::mu. Pool tasks touch only the Batch
// (shared ownership), never the writer.
#include "proberows/array_record_writer.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "arrayrecord/chunk_writer.h"
#include "arrayrecord/compression.h"
#include "arrayrecord/footer.h"
#include "arrayrecord/hash.h"
#include "arrayrecord/simple_chunk.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"

namespace proberows {

using arrayrecord::ChunkHeader;
using arrayrecord::ChunkWriter;
using arrayrecord::CompressionParams;
using arrayrecord::CompressionType;

namespace {

// A batch is submitted when it holds whole chunks and at least this many
// record bytes (or records).
constexpr size_t kBatchBytes = size_t{1} << 20;
constexpr size_t kBatchRecords = size_t{1} << 16;
// Record bytes in flight per encoding thread. Batches of ordinary records
// stay far below it (their count bounds them); records of tens of MiB (a
// probe with 300K measurements) are then encoded a few at a time instead
// of 2 per thread, so the writer's memory stays within its budget share.
constexpr size_t kInFlightBytesPerThread = size_t{16} << 20;

enum BatchState : int { kFilling, kQueued, kRunning, kDone };

struct EncodedChunk {
  ChunkHeader header;
  size_t data_begin;  // in Batch::encoded
  size_t data_end;
};

struct Batch {
  // Input, filled by the writer thread.
  std::string values;           // records concatenated
  std::vector<uint64_t> sizes;  // record sizes
  // Output of Encode().
  std::string encoded;
  std::vector<EncodedChunk> chunks;
  absl::Status status;

  std::atomic<int> state{kFilling};
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;  // guarded by mu

  void Clear() {
    values.clear();
    sizes.clear();
    encoded.clear();
    chunks.clear();
    status = absl::OkStatus();
    done = false;
    state.store(kFilling);
  }
};

CompressionParams ToParams(const ArrayRecordWriterOptions& options) {
  CompressionParams params;
  switch (options.compression) {
    case ArrayRecordWriterOptions::Compression::kNone: params.type = CompressionType::kNone; break;
    case ArrayRecordWriterOptions::Compression::kZstd: params.type = CompressionType::kZstd; break;
    case ArrayRecordWriterOptions::Compression::kBrotli: params.type = CompressionType::kBrotli; break;
    case ArrayRecordWriterOptions::Compression::kSnappy: params.type = CompressionType::kSnappy; break;
  }
  params.level = options.level;
  params.window_log = options.window_log;
  return params;
}

// Encodes the records of `batch` into chunks of `group_size` records (the
// last one possibly shorter). Pure function of the records and parameters.
void EncodeBatch(const CompressionParams& params, size_t group_size, Batch* batch) {
  thread_local std::string scratch;
  batch->encoded.clear();
  batch->chunks.clear();
  batch->encoded.reserve(params.type == CompressionType::kNone ? batch->values.size() + 64 * batch->sizes.size()
                                                               : batch->values.size() / 2 + 1024);
  size_t record = 0;
  size_t value_offset = 0;
  while (record < batch->sizes.size()) {
    const size_t n = std::min(group_size, batch->sizes.size() - record);
    uint64_t bytes = 0;
    for (size_t i = record; i < record + n; ++i) bytes += batch->sizes[i];
    EncodedChunk chunk;
    chunk.data_begin = batch->encoded.size();
    absl::Status status =
        arrayrecord::EncodeSimpleChunk(params, std::string_view(batch->values).substr(value_offset, bytes),
                                       batch->sizes.data() + record, n, &scratch, &batch->encoded, &chunk.header);
    if (!status.ok()) {
      batch->status = std::move(status);
      return;
    }
    chunk.data_end = batch->encoded.size();
    batch->chunks.push_back(chunk);
    record += n;
    value_offset += bytes;
  }
}

void Publish(Batch* batch) {
  {
    std::lock_guard<std::mutex> lock(batch->mu);
    batch->done = true;
    batch->state.store(kDone);
  }
  batch->cv.notify_all();
}

}  // namespace

class ArrayRecordWriter::Impl {
 public:
  Impl(Env* env, std::string path, ArrayRecordWriterOptions options, int num_threads, ThreadPool* pool)
      : env_(env),
        path_(std::move(path)),
        tmp_path_(path_ + ".tmp"),
        options_(std::move(options)),
        params_(ToParams(options_)),
        group_size_(static_cast<size_t>(options_.group_size)),
        num_threads_(std::max(1, num_threads)),
        pool_(pool) {
    if (num_threads_ > 1 && pool_ == nullptr && params_.type != CompressionType::kNone) {
      owned_pool_ = std::make_unique<ThreadPool>(num_threads_);
      pool_ = owned_pool_.get();
    }
    // Without compression, encoding is a copy: handing it to other threads
    // costs more than it saves.
    if (num_threads_ == 1 || params_.type == CompressionType::kNone) pool_ = nullptr;
    max_in_flight_ = static_cast<size_t>(2 * num_threads_);
    max_in_flight_bytes_ = kInFlightBytesPerThread * static_cast<size_t>(num_threads_);
    current_ = NewBatch();
  }

  ~Impl() { Abandon(); }

  absl::Status Open() {
    if (options_.group_size < 1) {
      return Fail(absl::InvalidArgumentError(fmt::format("group_size must be >= 1, got {}", options_.group_size)));
    }
    absl::StatusOr<std::unique_ptr<WritableFile>> file = env_->NewWritableFile(tmp_path_);
    if (!file.ok()) return Fail(file.status());
    file_ = *std::move(file);
    chunk_writer_ = std::make_unique<ChunkWriter>(file_.get());
    ChunkHeader signature;
    signature.data_hash = arrayrecord::RiegeliHash({});
    signature.chunk_type = static_cast<uint8_t>(arrayrecord::ChunkType::kFileSignature);
    return Check(chunk_writer_->WriteChunk(signature, {}));
  }

  absl::Status Write(std::string_view record) {
    if (!status_.ok()) return status_;
    if (closed_) return absl::FailedPreconditionError(fmt::format("{}: Write() after Close()", path_));
    Batch& batch = *current_;
    batch.values.append(record);
    batch.sizes.push_back(record.size());
    ++num_records_;
    if (batch.sizes.size() % group_size_ == 0 &&
        (batch.values.size() >= kBatchBytes || batch.sizes.size() >= kBatchRecords)) {
      return SubmitCurrent();
    }
    return absl::OkStatus();
  }

  absl::Status Close() {
    if (closed_) return status_;
    closed_ = true;
    if (!status_.ok()) return status_;
    if (!current_->sizes.empty()) RETURN_IF_ERROR(SubmitCurrent());
    while (!in_flight_.empty()) RETURN_IF_ERROR(WriteOldest());

    // Footer chunk: RiegeliFooterMetadata, then one ArrayRecordFooter per chunk.
    arrayrecord::FooterMetadata metadata;
    metadata.has_array_record_metadata = true;
    metadata.version = arrayrecord::kArrayRecordVersion;
    metadata.num_chunks = footer_sizes_.size();
    metadata.num_records = num_records_;
    metadata.writer_options = options_.ToString();
    std::string footer_values;
    arrayrecord::SerializeFooterMetadata(metadata, &footer_values);
    std::vector<uint64_t> footer_sizes;
    footer_sizes.reserve(footer_sizes_.size() + 1);
    footer_sizes.push_back(footer_values.size());
    footer_sizes.insert(footer_sizes.end(), footer_sizes_.begin(), footer_sizes_.end());
    footer_values.append(footer_entries_);
    std::string().swap(footer_entries_);
    std::vector<uint8_t>().swap(footer_sizes_);
    const uint64_t footer_offset = chunk_writer_->pos();
    RETURN_IF_ERROR(WriteRecordsChunk(params_, footer_values, footer_sizes));
    RETURN_IF_ERROR(Check(chunk_writer_->PadToBlockBoundary()));

    // Postscript chunk: three copies of RiegeliPostscript, uncompressed.
    arrayrecord::Postscript postscript{footer_offset, arrayrecord::kArrayRecordMagic};
    std::string postscript_values;
    for (int i = 0; i < 3; ++i) arrayrecord::SerializePostscript(postscript, &postscript_values);
    const uint64_t one = postscript_values.size() / 3;
    RETURN_IF_ERROR(WriteRecordsChunk(CompressionParams{}, postscript_values, {one, one, one}));
    RETURN_IF_ERROR(Check(chunk_writer_->PadToBlockBoundary()));

    RETURN_IF_ERROR(Check(file_->Close()));
    file_.reset();
    RETURN_IF_ERROR(Check(env_->RenameFile(tmp_path_, path_)));
    renamed_ = true;
    return absl::OkStatus();
  }

  uint64_t num_records() const { return num_records_; }
  uint64_t bytes_written() const { return chunk_writer_ == nullptr ? 0 : chunk_writer_->pos(); }
  const std::string& path() const { return path_; }

 private:
  std::shared_ptr<Batch> NewBatch() {
    if (!free_batches_.empty()) {
      std::shared_ptr<Batch> batch = std::move(free_batches_.back());
      free_batches_.pop_back();
      batch->Clear();
      return batch;
    }
    auto batch = std::make_shared<Batch>();
    batch->values.reserve(kBatchBytes + kBatchBytes / 4);
    return batch;
  }

  void Recycle(std::shared_ptr<Batch> batch) {
    // Keep a few buffers for reuse; release huge ones.
    if (free_batches_.size() < max_in_flight_ + 1 && batch->values.capacity() <= 4 * kBatchBytes) {
      free_batches_.push_back(std::move(batch));
    }
  }

  absl::Status SubmitCurrent() {
    std::shared_ptr<Batch> batch = std::move(current_);
    current_ = NewBatch();
    in_flight_bytes_ += batch->values.size();
    if (pool_ == nullptr) {
      EncodeBatch(params_, group_size_, batch.get());
      batch->state.store(kDone);
      batch->done = true;
      in_flight_.push_back(std::move(batch));
      return WriteOldest();
    }
    batch->state.store(kQueued);
    pool_->Schedule([batch, params = params_, group_size = group_size_]() {
      int expected = kQueued;
      if (!batch->state.compare_exchange_strong(expected, kRunning)) return;  // stolen or cancelled
      EncodeBatch(params, group_size, batch.get());
      Publish(batch.get());
    });
    in_flight_.push_back(std::move(batch));
    // Write whatever is ready in order; block only when too much is pending
    // (more batches than threads can keep busy, or more bytes than the
    // budget, though the newest batch alone may exceed it).
    while (!in_flight_.empty() && (in_flight_.size() > max_in_flight_ || IsDone(*in_flight_.front()) ||
                                   (in_flight_bytes_ > max_in_flight_bytes_ && in_flight_.size() > 1))) {
      RETURN_IF_ERROR(WriteOldest());
    }
    return absl::OkStatus();
  }

  static bool IsDone(Batch& batch) { return batch.state.load() == kDone; }

  // Waits for (or encodes) the oldest batch, then writes its chunks.
  absl::Status WriteOldest() {
    std::shared_ptr<Batch> batch = std::move(in_flight_.front());
    in_flight_.pop_front();
    in_flight_bytes_ -= batch->values.size();
    AwaitEncoded(batch.get());
    if (!batch->status.ok()) return Fail(batch->status);
    for (const EncodedChunk& chunk : batch->chunks) {
      const uint64_t offset = chunk_writer_->pos();
      RETURN_IF_ERROR(Check(chunk_writer_->WriteChunk(
          chunk.header, std::string_view(batch->encoded).substr(chunk.data_begin, chunk.data_end - chunk.data_begin))));
      if (options_.pad_to_block_boundary) RETURN_IF_ERROR(Check(chunk_writer_->PadToBlockBoundary()));
      AddFooterEntry(offset, chunk.header.decoded_data_size, chunk.header.num_records);
    }
    Recycle(std::move(batch));
    return absl::OkStatus();
  }

  void AwaitEncoded(Batch* batch) {
    int expected = kQueued;
    if (batch->state.compare_exchange_strong(expected, kRunning)) {
      EncodeBatch(params_, group_size_, batch);
      Publish(batch);
      return;
    }
    std::unique_lock<std::mutex> lock(batch->mu);
    batch->cv.wait(lock, [batch] { return batch->done; });
  }

  void AddFooterEntry(uint64_t offset, uint64_t decoded_data_size, uint64_t num_records) {
    const size_t before = footer_entries_.size();
    arrayrecord::SerializeFooterEntry(arrayrecord::FooterEntry{offset, decoded_data_size, num_records},
                                      &footer_entries_);
    footer_sizes_.push_back(static_cast<uint8_t>(footer_entries_.size() - before));
  }

  absl::Status WriteRecordsChunk(const CompressionParams& params, std::string_view values,
                                 const std::vector<uint64_t>& sizes) {
    std::string scratch;
    std::string data;
    ChunkHeader header;
    absl::Status status =
        arrayrecord::EncodeSimpleChunk(params, values, sizes.data(), sizes.size(), &scratch, &data, &header);
    if (!status.ok()) return Fail(status);
    return Check(chunk_writer_->WriteChunk(header, data));
  }

  absl::Status Check(absl::Status status) {
    if (status.ok()) return status;
    return Fail(status);
  }

  // Records the first error, stops all work and removes the temporary file.
  absl::Status Fail(const absl::Status& status) {
    if (status_.ok()) status_ = Annotate(status, fmt::format("ArrayRecord writer '{}'", path_));
    Abandon();
    return status_;
  }

  // Cancels or waits for pending batches; removes the temporary file unless
  // it was renamed into place.
  void Abandon() {
    for (const std::shared_ptr<Batch>& batch : in_flight_) {
      int expected = kQueued;
      if (batch->state.compare_exchange_strong(expected, kDone)) continue;  // cancelled before it started
      std::unique_lock<std::mutex> lock(batch->mu);
      batch->cv.wait(lock, [&batch] { return batch->done; });
    }
    in_flight_.clear();
    in_flight_bytes_ = 0;
    if (file_ != nullptr) {
      (void)file_->Close();
      file_.reset();
    }
    if (!renamed_ && !removed_ && chunk_writer_ != nullptr) {
      (void)env_->RemoveFile(tmp_path_);
      removed_ = true;
    }
  }

  Env* env_;
  std::string path_;
  std::string tmp_path_;
  ArrayRecordWriterOptions options_;
  CompressionParams params_;
  size_t group_size_;
  int num_threads_;
  ThreadPool* pool_;
  std::unique_ptr<ThreadPool> owned_pool_;
  size_t max_in_flight_ = 2;
  size_t max_in_flight_bytes_ = 0;
  size_t in_flight_bytes_ = 0;  // record bytes of the batches in in_flight_

  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<ChunkWriter> chunk_writer_;
  absl::Status status_;
  bool closed_ = false;
  bool renamed_ = false;
  bool removed_ = false;
  uint64_t num_records_ = 0;

  std::shared_ptr<Batch> current_;
  std::deque<std::shared_ptr<Batch>> in_flight_;
  std::vector<std::shared_ptr<Batch>> free_batches_;

  // Serialized ArrayRecordFooter messages, one per chunk written, and their sizes.
  std::string footer_entries_;
  std::vector<uint8_t> footer_sizes_;
};

absl::StatusOr<std::unique_ptr<ArrayRecordWriter>> ArrayRecordWriter::Open(Env* env, std::string path,
                                                                           ArrayRecordWriterOptions options,
                                                                           int num_threads, ThreadPool* pool) {
  if (num_threads < 1) {
    return absl::InvalidArgumentError(
        fmt::format("ArrayRecord writer '{}': num_threads must be >= 1, got {}", path, num_threads));
  }
  auto impl = std::make_unique<Impl>(env, std::move(path), std::move(options), num_threads, pool);
  RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<ArrayRecordWriter>(new ArrayRecordWriter(std::move(impl)));
}

ArrayRecordWriter::ArrayRecordWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ArrayRecordWriter::~ArrayRecordWriter() = default;
absl::Status ArrayRecordWriter::Write(std::string_view record) { return impl_->Write(record); }
absl::Status ArrayRecordWriter::Close() { return impl_->Close(); }
uint64_t ArrayRecordWriter::num_records() const { return impl_->num_records(); }
uint64_t ArrayRecordWriter::bytes_written() const { return impl_->bytes_written(); }
const std::string& ArrayRecordWriter::path() const { return impl_->path(); }

}  // namespace proberows
