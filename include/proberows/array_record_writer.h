// ArrayRecordWriter: writes records to an ArrayRecord file that Google's
// ArrayRecordReader (and Grain's ArrayRecordDataSource) can open, and that
// ArrayRecordReader below reads back.
//
// Records are grouped into chunks of options.group_size records, compressed
// on `num_threads` threads and written strictly in order; the bytes of the
// file depend only on the records and the options, never on the number of
// threads. Data goes to "<path>.tmp" first, renamed to `path` by a
// successful Close(). On any failure, or if the writer is destroyed without
// Close(), the temporary file is removed and `path` is left untouched.
//
// Memory: at most about 2 * num_threads batches of records are buffered or
// being compressed (a batch is one chunk, or several small chunks adding up
// to ~1 MiB of record bytes).
//
// Thread-compatible: Write/Close from one thread at a time.
#ifndef PROBEROWS_ARRAY_RECORD_WRITER_H_
#define PROBEROWS_ARRAY_RECORD_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proberows/array_record_options.h"
#include "proberows/env.h"

namespace proberows {

class ThreadPool;

class ArrayRecordWriter {
 public:
  // Creates "<path>.tmp" through `env` (which must outlive the writer) and
  // writes the file signature. `num_threads` >= 1 compression threads: with 1
  // (or with `uncompressed`) chunks are encoded inline in Write(); with more,
  // on `pool` if given
  // (shared, must outlive the writer, may be used by other code too) or else
  // on a pool of num_threads threads owned by the writer.
  static absl::StatusOr<std::unique_ptr<ArrayRecordWriter>> Open(Env* env, std::string path,
                                                                 ArrayRecordWriterOptions options, int num_threads = 1,
                                                                 ThreadPool* pool = nullptr);

  // Removes the temporary file unless Close() succeeded. Waits for pending
  // compression tasks.
  ~ArrayRecordWriter();
  ArrayRecordWriter(const ArrayRecordWriter&) = delete;
  ArrayRecordWriter& operator=(const ArrayRecordWriter&) = delete;

  // Appends a record (copied). After a failure every call returns the first
  // error. Errors name the file.
  [[nodiscard]] absl::Status Write(std::string_view record);

  // Writes the remaining chunks, the footer and the postscript, closes the
  // file and renames it to `path`. Calling Close() again returns the first
  // result.
  [[nodiscard]] absl::Status Close();

  // Records accepted by Write() so far.
  uint64_t num_records() const;
  // File bytes written so far (the final file size after Close()).
  uint64_t bytes_written() const;
  const std::string& path() const;

 private:
  class Impl;
  explicit ArrayRecordWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace proberows

#endif  // PROBEROWS_ARRAY_RECORD_WRITER_H_
