// ArrayRecordReader: random-access and sequential reading of ArrayRecord
// files, written by ArrayRecordWriter or by Google's array_record.
//
// Open() reads the last 64 KiB block (the postscript: block header, chunk
// header and data hashes, three identical RiegeliPostscript copies, magic)
// and then the footer chunk (the index of data chunks). Records are read on
// demand; every block header, chunk header and chunk data read is verified
// against its hash and against the footer. A corrupt or truncated file gives
// kDataLoss, with a message naming the file, the byte offset and what failed,
// e.g. "data/x.array_record: chunk header hash mismatch at offset 64" -- never
// a crash or garbage records. Memory is bounded by the file size.
//
// Thread-safety: all const methods may be called concurrently.
#ifndef PROBEROWS_ARRAY_RECORD_READER_H_
#define PROBEROWS_ARRAY_RECORD_READER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proberows/env.h"

namespace proberows {

class ArrayRecordReader {
 public:
  // Called with each record and its index. The view is valid only during the
  // call. A non-OK return stops the read and is returned unchanged.
  using RecordCallback = std::function<absl::Status(uint64_t index, std::string_view record)>;

  // Opens `path` through `env` (which must outlive the reader) and reads its
  // index. kDataLoss if the postscript or footer are damaged; kInvalidArgument
  // ("PATH: not an ArrayRecord file (...)") if the file does not begin like
  // one at all (e.g. a Parquet file); kNotFound etc. from the Env.
  static absl::StatusOr<std::unique_ptr<ArrayRecordReader>> Open(Env* env, std::string path);

  ~ArrayRecordReader();
  ArrayRecordReader(const ArrayRecordReader&) = delete;
  ArrayRecordReader& operator=(const ArrayRecordReader&) = delete;

  uint64_t num_records() const;
  // Number of data chunks.
  uint64_t num_chunks() const;
  // Records per chunk, taken from the first chunk as Google's reader does
  // (0 for a file without records).
  uint64_t group_size() const;
  // The writer_options string stored in the footer ("" if absent).
  const std::string& writer_options() const;
  const std::string& path() const;
  uint64_t file_size() const;

  // Reads record `index` into `*record`. kOutOfRange if index >= num_records().
  [[nodiscard]] absl::Status ReadRecord(uint64_t index, std::string* record) const;

  // Replaces `*records` with records [begin, end). kOutOfRange unless
  // begin <= end <= num_records().
  [[nodiscard]] absl::Status ReadRange(uint64_t begin, uint64_t end, std::vector<std::string>* records) const;

  // Calls fn for every record, in index order, on the calling thread.
  [[nodiscard]] absl::Status ReadAll(const RecordCallback& fn) const;

  // Calls fn for every record using `num_threads` threads (>= 1; the calling
  // thread is one of them). fn IS CALLED CONCURRENTLY from several threads,
  // each handling a contiguous range of records in index order; it must be
  // thread-safe. Returns the first error (from the file or from fn) after
  // all threads stopped.
  [[nodiscard]] absl::Status ParallelReadAll(int num_threads, const RecordCallback& fn) const;

 private:
  class Impl;
  explicit ArrayRecordReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace proberows

// VerifyArrayRecordFile and ReadUndamagedRecords live in array_record_verify.h.
#include "proberows/array_record_verify.h"  // IWYU pragma: export

#endif  // PROBEROWS_ARRAY_RECORD_READER_H_
