#include "proberows/array_record_reader.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "arrayrecord/block_layout.h"
#include "arrayrecord/chunk.h"
#include "arrayrecord/chunk_reader.h"
#include "arrayrecord/file_index.h"
#include "arrayrecord/hash.h"
#include "arrayrecord/simple_chunk.h"
#include "util/status_macros.h"

namespace proberows {

using arrayrecord::ChunkReader;
using arrayrecord::DecodedChunk;
using arrayrecord::FileIndex;

namespace {

// Sequential reads load this many bytes of consecutive chunks per system call.
constexpr uint64_t kReadAheadBytes = uint64_t{4} << 20;

// For a file whose index could not be loaded: if its first bytes are not even
// close to the 64-byte Riegeli file signature every ArrayRecord file begins
// with (a few damaged bytes are still "close"), the user most likely gave the
// wrong file, e.g. the Parquet input: say that instead of `status`.
absl::Status ExplainOpenFailure(const RandomAccessFile& file, absl::Status status) {
  constexpr size_t kSignatureSize = arrayrecord::kBlockHeaderSize + arrayrecord::kChunkHeaderSize;
  const size_t n = static_cast<size_t>(std::min<uint64_t>(file.size(), kSignatureSize));
  if (n == 0) return status;
  char signature[kSignatureSize];
  arrayrecord::EncodeBlockHeader(arrayrecord::BlockHeader{0, kSignatureSize}, signature);
  arrayrecord::ChunkHeader header;
  header.data_hash = arrayrecord::RiegeliHash("");
  header.chunk_type = static_cast<uint8_t>(arrayrecord::ChunkType::kFileSignature);
  arrayrecord::EncodeChunkHeader(header, signature + arrayrecord::kBlockHeaderSize);
  char scratch[kSignatureSize];
  std::string_view head;
  if (!file.Read(0, n, scratch, &head).ok() || head.size() != n) return status;
  size_t differing = 0;
  for (size_t i = 0; i < n; ++i) differing += head[i] != signature[i];
  if (differing * 4 <= n) return status;
  const std::string_view what = head.substr(0, 4) == "PAR1" ? "; it is a Parquet file" : "";
  return absl::InvalidArgumentError(fmt::format(
      "{}: not an ArrayRecord file (it does not begin with the Riegeli file signature{})", file.path(), what));
}

}  // namespace

class ArrayRecordReader::Impl {
 public:
  Impl(std::string path, std::unique_ptr<RandomAccessFile> file) : path_(std::move(path)), file_(std::move(file)) {}

  absl::Status Load() {
    ChunkReader reader(file_.get());
    absl::Status status = arrayrecord::LoadFileIndex(reader, &index_);
    if (!status.ok()) return ExplainOpenFailure(*file_, std::move(status));
    return absl::OkStatus();
  }

  const FileIndex& index() const { return index_; }
  const std::string& path() const { return path_; }

  absl::Status ReadRecord(uint64_t record_index, std::string* record) const {
    if (record_index >= index_.num_records) {
      return absl::OutOfRangeError(
          fmt::format("{}: record index {} out of range [0, {})", path_, record_index, index_.num_records));
    }
    const size_t chunk = index_.ChunkOfRecord(record_index);
    const size_t in_chunk = static_cast<size_t>(record_index - index_.first_record[chunk]);
    {
      std::lock_guard<std::mutex> lock(cache_mu_);
      if (cached_ != nullptr && cached_chunk_ == chunk) {
        record->assign(cached_->record(in_chunk));
        return absl::OkStatus();
      }
    }
    ChunkReader reader(file_.get());
    RETURN_IF_ERROR(reader.Prefetch(index_.chunk_offsets[chunk], index_.ChunkLimit(chunk)));
    const bool cache = index_.first_record[chunk + 1] - index_.first_record[chunk] > 1;
    auto decoded = std::make_shared<DecodedChunk>();
    RETURN_IF_ERROR(arrayrecord::ReadDataChunk(reader, index_, chunk, /*own_data=*/cache, decoded.get()));
    record->assign(decoded->record(in_chunk));
    if (cache) {
      std::lock_guard<std::mutex> lock(cache_mu_);
      cached_ = std::move(decoded);
      cached_chunk_ = chunk;
    }
    return absl::OkStatus();
  }

  absl::Status ReadRange(uint64_t begin, uint64_t end, std::vector<std::string>* records) const {
    records->clear();
    if (begin > end || end > index_.num_records) {
      return absl::OutOfRangeError(
          fmt::format("{}: record range [{}, {}) out of range [0, {})", path_, begin, end, index_.num_records));
    }
    if (begin == end) return absl::OkStatus();
    records->reserve(static_cast<size_t>(end - begin));
    const size_t first = index_.ChunkOfRecord(begin);
    const size_t last = index_.ChunkOfRecord(end - 1);
    return ScanChunks(first, last + 1, nullptr, [&](uint64_t i, std::string_view record) {
      if (i >= begin && i < end) records->emplace_back(record);
      return absl::OkStatus();
    });
  }

  // Calls fn for the records of chunks [first, last); stops early when *stop.
  absl::Status ScanChunks(size_t first, size_t last, const std::atomic<bool>* stop, const RecordCallback& fn) const {
    ChunkReader reader(file_.get());
    DecodedChunk decoded;
    size_t window_end = first;  // chunks before this index are in the read window
    for (size_t chunk = first; chunk < last; ++chunk) {
      if (stop != nullptr && stop->load(std::memory_order_relaxed)) return absl::OkStatus();
      if (chunk >= window_end) {
        window_end = chunk + 1;
        const uint64_t window_begin = index_.chunk_offsets[chunk];
        while (window_end < last && index_.ChunkLimit(window_end) - window_begin <= kReadAheadBytes) ++window_end;
        RETURN_IF_ERROR(reader.Prefetch(window_begin, index_.ChunkLimit(window_end - 1)));
      }
      RETURN_IF_ERROR(arrayrecord::ReadDataChunk(reader, index_, chunk, /*own_data=*/false, &decoded));
      const uint64_t base = index_.first_record[chunk];
      for (size_t i = 0; i < decoded.num_records(); ++i) RETURN_IF_ERROR(fn(base + i, decoded.record(i)));
    }
    return absl::OkStatus();
  }

  absl::Status ParallelReadAll(int num_threads, const RecordCallback& fn) const {
    const size_t num_chunks = index_.num_chunks();
    const size_t parts = std::min<size_t>(static_cast<size_t>(std::max(1, num_threads)), num_chunks);
    if (parts <= 1) return ScanChunks(0, num_chunks, nullptr, fn);
    // Split the chunks into `parts` ranges of about equal bytes.
    std::vector<size_t> bounds = {0};
    const uint64_t data_begin = index_.chunk_offsets.front();
    const uint64_t total = index_.footer_offset - data_begin;
    for (size_t p = 1; p < parts; ++p) {
      const uint64_t target = data_begin + total / parts * p;
      size_t b =
          static_cast<size_t>(std::lower_bound(index_.chunk_offsets.begin(), index_.chunk_offsets.end(), target) -
                              index_.chunk_offsets.begin());
      b = std::clamp(b, bounds.back() + 1, num_chunks - (parts - p));
      bounds.push_back(b);
    }
    bounds.push_back(num_chunks);
    std::atomic<bool> stop{false};
    std::vector<absl::Status> statuses(parts);
    auto run = [&](size_t p) {
      statuses[p] = ScanChunks(bounds[p], bounds[p + 1], &stop, fn);
      if (!statuses[p].ok()) stop.store(true);
    };
    std::vector<std::thread> threads;
    threads.reserve(parts - 1);
    for (size_t p = 1; p < parts; ++p) threads.emplace_back(run, p);
    run(0);
    for (std::thread& t : threads) t.join();
    for (const absl::Status& status : statuses) RETURN_IF_ERROR(status);
    return absl::OkStatus();
  }

 private:
  std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  FileIndex index_;

  mutable std::mutex cache_mu_;
  mutable std::shared_ptr<const DecodedChunk> cached_;  // guarded by cache_mu_
  mutable size_t cached_chunk_ = 0;                     // guarded by cache_mu_
};

absl::StatusOr<std::unique_ptr<ArrayRecordReader>> ArrayRecordReader::Open(Env* env, std::string path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  auto impl = std::make_unique<Impl>(std::move(path), std::move(file));
  RETURN_IF_ERROR(impl->Load());
  return std::unique_ptr<ArrayRecordReader>(new ArrayRecordReader(std::move(impl)));
}

ArrayRecordReader::ArrayRecordReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ArrayRecordReader::~ArrayRecordReader() = default;

uint64_t ArrayRecordReader::num_records() const { return impl_->index().num_records; }
uint64_t ArrayRecordReader::num_chunks() const { return impl_->index().num_chunks(); }
uint64_t ArrayRecordReader::group_size() const { return impl_->index().group_size; }
const std::string& ArrayRecordReader::writer_options() const { return impl_->index().writer_options; }
const std::string& ArrayRecordReader::path() const { return impl_->path(); }
uint64_t ArrayRecordReader::file_size() const { return impl_->index().file_size; }

absl::Status ArrayRecordReader::ReadRecord(uint64_t index, std::string* record) const {
  return impl_->ReadRecord(index, record);
}

absl::Status ArrayRecordReader::ReadRange(uint64_t begin, uint64_t end, std::vector<std::string>* records) const {
  return impl_->ReadRange(begin, end, records);
}

absl::Status ArrayRecordReader::ReadAll(const RecordCallback& fn) const {
  return impl_->ScanChunks(0, impl_->index().num_chunks(), nullptr, fn);
}

absl::Status ArrayRecordReader::ParallelReadAll(int num_threads, const RecordCallback& fn) const {
  return impl_->ParallelReadAll(num_threads, fn);
}

}  // namespace proberows
