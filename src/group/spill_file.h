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

class SpillWriter {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SpillWriter>> Open(Env* env, const std::string& path);
  // Appends one block holding `data` (whole records).
  [[nodiscard]] absl::Status AppendBlock(std::string_view data);
  [[nodiscard]] absl::Status Close();
  uint64_t bytes_written() const { return bytes_; }
  const std::string& path() const { return file_->path(); }

 private:
  explicit SpillWriter(std::unique_ptr<WritableFile> file) : file_(std::move(file)) {}
  std::unique_ptr<WritableFile> file_;
  uint64_t bytes_ = 0;
};

// Reads every block of the spill file at `path`, checking each checksum, and
// appends the records to `*out`. A damaged file is a kDataLoss error naming
// the file and the offset.
[[nodiscard]] absl::Status ReadSpillFile(Env* env, const std::string& path, std::string* out);

// Like ReadSpillFile for the files in `paths` one after the other, but writes
// the records at the start of `*buffer`, growing it only when too small (never
// shrinking or zero-filling what is already there), and sets `*used` to the
// number of record bytes. Reusing one buffer across partitions keeps memory
// faulted in.
[[nodiscard]] absl::Status ReadSpillFilesInto(Env* env, std::span<const std::string> paths, std::string* buffer,
                                              size_t* used);

}  // namespace proberows

#endif  // PROBEROWS_GROUP_SPILL_FILE_H_
