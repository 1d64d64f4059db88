// ShardSet: the rows of one split (a list of ArrayRecord shard files, in
// order) as one random-access sequence of records. The C++ core of
// `proberows.open()`; no Python in here.
//
// Row i of the set is record i - start(s) of the shard s holding it, where
// the shards' rows are numbered one after the other in the order given (the
// order of the split's shards in proberows.json, i.e. by file name). Errors
// are the ArrayRecordReader's, the ones `proberows cat` prints for the same
// shard and record.
//
// Thread-safety: immutable after Open(); every method may be called
// concurrently (ArrayRecordReader's reads are thread-safe).
#ifndef PROBEROWS_PYTHON_SHARD_SET_H_
#define PROBEROWS_PYTHON_SHARD_SET_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proberows/array_record_reader.h"
#include "proberows/env.h"

namespace proberows::python {

class ShardSet {
 public:
  // Opens every file (reading its index, not its records). Errors are the
  // ArrayRecordReader's: kNotFound, kDataLoss, kInvalidArgument for a file
  // that is not ArrayRecord at all.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ShardSet>> Open(Env* env, const std::vector<std::string>& files);

  uint64_t size() const { return ends_.empty() ? 0 : ends_.back(); }
  const std::vector<std::string>& files() const { return files_; }

  // "'FILE' record R": where row `index` is stored (the context `proberows
  // cat` gives a row that does not decode). REQUIRES: index < size().
  std::string Describe(uint64_t index) const;

  // Reads the stored bytes of row `index` (a serialized tf.train.Example).
  // REQUIRES: index < size().
  [[nodiscard]] absl::Status Read(uint64_t index, std::string* record) const;

  // Replaces `*records` with rows [begin, end), read sequentially
  // (consecutive chunks are prefetched). REQUIRES: begin <= end <= size().
  [[nodiscard]] absl::Status ReadRange(uint64_t begin, uint64_t end, std::vector<std::string>* records) const;

 private:
  ShardSet() = default;
  // The shard holding row `index` and the record number inside it.
  size_t ShardOf(uint64_t index, uint64_t* record) const;

  std::vector<std::string> files_;
  std::vector<std::unique_ptr<ArrayRecordReader>> readers_;
  std::vector<uint64_t> ends_;  // ends_[s]: rows in shards 0..s
};

}  // namespace proberows::python

#endif  // PROBEROWS_PYTHON_SHARD_SET_H_
