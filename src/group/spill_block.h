// Spill blocks: the unit a spill or key file is made of, and the unit a map
// task hands to the reduce tasks (docs/spill-format.md, "Blocks"). A block
// holds bytes (key run pieces) or whole measurement records of one
// partition; records are laid out column by column ("columnar": the
// per-column lengths of fixed-width columns, the order column's copy in the
// payload and the order values' high bytes drop out) and compressed, and
// the block is checksummed:
//
//   u32 magic    0x32535250 ("PRS2")
//   u8  codec    0 none, 1 LZ4, 2 zstd
//   u8  layout   0 bytes as given, 1 columnar measurement records
//   u16 zero
//   u32 stored   bytes of data that follow the header
//   u32 plain    bytes of the layout's encoding (data after decompression)
//   u32 raw      bytes the block decodes to (the records, or the bytes)
//   u64 check    XXH3-64 of the header's first 20 bytes and the data
//   data         `stored` bytes
//
// Integers little-endian.
#ifndef PROBEROWS_GROUP_SPILL_BLOCK_H_
#define PROBEROWS_GROUP_SPILL_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace proberows {

inline constexpr uint32_t kSpillBlockMagic = 0x32535250;  // "PRS2"
inline constexpr size_t kSpillBlockHeaderSize = 28;
// The largest block (header excluded, before and after encoding).
inline constexpr size_t kMaxSpillBlockBytes = size_t{1} << 31;

enum class SpillCodec : uint8_t { kNone = 0, kLz4 = 1, kZstd = 2 };
enum class SpillLayout : uint8_t { kBytes = 0, kColumnar = 1 };

// How blocks are written. The defaults are what a build writes.
struct SpillBlockOptions {
  SpillCodec codec = SpillCodec::kLz4;
  int level = 1;         // LZ4: acceleration (1 = default); zstd: level (may be negative)
  bool columnar = true;  // lay out measurement records column by column
};

// A parsed block header.
struct SpillBlockHeader {
  SpillCodec codec = SpillCodec::kNone;
  SpillLayout layout = SpillLayout::kBytes;
  uint32_t stored = 0;
  uint32_t plain = 0;
  uint32_t raw = 0;
  uint64_t check = 0;
};

// Parses the kSpillBlockHeaderSize bytes at `p`. Returns nullptr or what is
// wrong with them (bad magic, unknown codec or layout, inconsistent sizes).
const char* ParseSpillBlockHeader(const char* p, SpillBlockHeader* header);

// The checksum a block with header bytes `header` (its first 20 bytes are
// read) and data `stored` carries.
uint64_t SpillBlockCheck(const char* header, std::string_view stored);

// Encodes blocks, reusing its buffers (and codec state) from one block to the
// next. Not thread-safe: one per writer.
class SpillBlockEncoder {
 public:
  explicit SpillBlockEncoder(SpillBlockOptions options = SpillBlockOptions());
  ~SpillBlockEncoder();
  SpillBlockEncoder(const SpillBlockEncoder&) = delete;
  SpillBlockEncoder& operator=(const SpillBlockEncoder&) = delete;

  // Encodes `data` (at most kMaxSpillBlockBytes) as one whole block, header
  // included, replacing `*out`'s contents (its capacity is kept). `records`:
  // `data` is whole measurement records (group/record.h), which may be laid
  // out column by column; anything that does not parse as such is stored as
  // bytes. Compression that does not pay is skipped (codec 0).
  void Encode(std::string_view data, bool records, std::string* out);

 private:
  struct Stream;
  bool EncodeColumnar(std::string_view records);

  SpillBlockOptions options_;
  std::vector<Stream> streams_;  // columnar scratch
  std::string plain_;            // the layout's encoding
  void* lz4_state_ = nullptr;
  void* zstd_ = nullptr;  // ZSTD_CCtx
};

// Decodes blocks, reusing its buffers. Not thread-safe.
class SpillBlockDecoder {
 public:
  SpillBlockDecoder();
  ~SpillBlockDecoder();
  SpillBlockDecoder(const SpillBlockDecoder&) = delete;
  SpillBlockDecoder& operator=(const SpillBlockDecoder&) = delete;

  // Decodes the data `stored` of a block with header `header` (checksum
  // already checked) into `dst`, which has room for header.raw bytes.
  // Returns nullptr or what is wrong with the data.
  const char* Decode(const SpillBlockHeader& header, std::string_view stored, char* dst);

 private:
  std::string plain_;
  void* zstd_ = nullptr;  // ZSTD_DCtx
};

}  // namespace proberows

#endif  // PROBEROWS_GROUP_SPILL_BLOCK_H_
