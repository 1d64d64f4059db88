// Spill files: measurement records (and key runs) parked between the map and
// the reduce. A file is a sequence of blocks (group/spill_block.h,
// docs/spill-format.md): compressed, column by column for records,
// checksummed. A block may also be kept in memory instead of written
// (BlockRef::memory), in the same encoding.
#ifndef PROBEROWS_GROUP_SPILL_FILE_H_
#define PROBEROWS_GROUP_SPILL_FILE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "group/spill_block.h"
#include "proberows/env.h"

namespace proberows {

// Where one block lives: `size` bytes (header included) at `offset` of the
// file at `path`, or, when `memory` is set, the whole of `*memory` (then
// `path` only names it in messages and `offset` is 0). Blocks of one
// partition may live in several files.
struct BlockRef {
  std::string path;
  uint64_t offset = 0;
  uint64_t size = 0;
  std::shared_ptr<const std::string> memory;

  friend bool operator==(const BlockRef& a, const BlockRef& b) {
    return a.path == b.path && a.offset == b.offset && a.size == b.size && a.memory == b.memory;
  }
};

class SpillWriter {
 public:
  // `records`: blocks hold whole measurement records (laid out column by
  // column when `options` say so); otherwise opaque bytes.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SpillWriter>> Open(Env* env, const std::string& path,
                                                                         bool records, SpillBlockOptions options = {});
  // Appends one block holding `data` (whole records, or bytes); sets `*where`
  // (if not null) to the block's place in the file.
  [[nodiscard]] absl::Status AppendBlock(std::string_view data, BlockRef* where = nullptr);
  // Appends `block`, already encoded by EncodeBlock from `raw_bytes` bytes.
  [[nodiscard]] absl::Status AppendEncodedBlock(std::string_view block, size_t raw_bytes, BlockRef* where = nullptr);
  [[nodiscard]] absl::Status Close();
  uint64_t bytes_written() const { return bytes_; }
  // Bytes handed to AppendBlock (before encoding).
  uint64_t raw_bytes() const { return raw_bytes_; }
  const std::string& path() const { return file_->path(); }

  // Encodes `data` as one block into `*out` without writing it (a block kept
  // in memory).
  void EncodeBlock(std::string_view data, std::string* out) { encoder_.Encode(data, records_, out); }

 private:
  SpillWriter(std::unique_ptr<WritableFile> file, bool records, SpillBlockOptions options)
      : file_(std::move(file)), records_(records), encoder_(options) {}
  std::unique_ptr<WritableFile> file_;
  bool records_;
  SpillBlockEncoder encoder_;
  std::string block_;  // the encoded block, reused
  uint64_t bytes_ = 0;
  uint64_t raw_bytes_ = 0;
};

// Buffers a reader reuses from one call to the next (read and decode
// scratch). Not thread-safe: one per thread.
struct SpillReadScratch {
  std::string stored;
  SpillBlockDecoder decoder;
};

// Reads the blocks `blocks`, in order, checking each header and checksum,
// and decodes their records (or bytes) to the start of `*buffer`, growing it
// only when too small (never shrinking or zero-filling what is already
// there); sets `*used` to the number of bytes decoded. Reusing one buffer
// across partitions keeps memory faulted in. Errors name the file and the
// block offset (kDataLoss for damage, NotFound for a missing file).
// `scratch` may be null (a temporary one is used).
[[nodiscard]] absl::Status ReadSpillBlocksInto(Env* env, std::span<const BlockRef> blocks, std::string* buffer,
                                               size_t* used, SpillReadScratch* scratch = nullptr);

}  // namespace proberows

#endif  // PROBEROWS_GROUP_SPILL_FILE_H_
