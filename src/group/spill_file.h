// Spill files: measurement records parked on disk between the scan and the
// grouping. Format (docs/spill-format.md): a sequence of blocks, each
//
//   u32 magic   0x31535250 ("PRS1")
//   u32 length  of the data
//   u64 check   XXH3-64 of the data
//   data        whole measurement records (group/record.h)
//
// Integers little-endian. A block never splits a record.
#ifndef PROBEROWS_GROUP_SPILL_FILE_H_
#define PROBEROWS_GROUP_SPILL_FILE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proberows/env.h"

namespace proberows {

inline constexpr uint32_t kSpillBlockMagic = 0x31535250;
inline constexpr size_t kSpillBlockHeaderSize = 16;

// Where one block lives: `size` bytes (header included) at `offset` of the
// file at `path`. Blocks of one partition may live in several files.
struct BlockRef {
  std::string path;
  uint64_t offset = 0;
  uint64_t size = 0;

  friend bool operator==(const BlockRef&, const BlockRef&) = default;
};

class SpillWriter {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SpillWriter>> Open(Env* env, const std::string& path);
  // Appends one block holding `data` (whole records); sets `*where` (if not
  // null) to the block's place in the file.
  [[nodiscard]] absl::Status AppendBlock(std::string_view data, BlockRef* where = nullptr);
  [[nodiscard]] absl::Status Close();
  uint64_t bytes_written() const { return bytes_; }
  const std::string& path() const { return file_->path(); }

 private:
  explicit SpillWriter(std::unique_ptr<WritableFile> file) : file_(std::move(file)) {}
  std::unique_ptr<WritableFile> file_;
  uint64_t bytes_ = 0;
};

// Reads the blocks `blocks`, in order, checking each header and checksum,
// and writes their records at the start of `*buffer`, growing it only when
// too small (never shrinking or zero-filling what is already there); sets
// `*used` to the number of record bytes. Reusing one buffer across
// partitions keeps memory faulted in. Errors name the file and the block
// offset (kDataLoss for damage, NotFound for a missing file).
[[nodiscard]] absl::Status ReadSpillBlocksInto(Env* env, std::span<const BlockRef> blocks, std::string* buffer,
                                               size_t* used);

}  // namespace proberows

#endif  // PROBEROWS_GROUP_SPILL_FILE_H_
