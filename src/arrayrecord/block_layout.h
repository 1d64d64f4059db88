// Position arithmetic of the Riegeli/records file layout: 64 KiB blocks, each
// starting with a 24-byte block header that may interrupt a chunk anywhere,
// and the rule that decides where a chunk ends. All functions are pure.
//
// Terms: a *position* is a byte offset in the file. A chunk *begins* at the
// position of its header, or at the block boundary just before it when the
// header directly follows a block header. A chunk's *size* counts the 40-byte
// chunk header and its data, but not the block headers inside it.
#ifndef PROBEROWS_ARRAYRECORD_BLOCK_LAYOUT_H_
#define PROBEROWS_ARRAYRECORD_BLOCK_LAYOUT_H_

#include <cstdint>
#include <string_view>

namespace proberows::arrayrecord {

inline constexpr uint64_t kBlockSize = uint64_t{1} << 16;
inline constexpr uint64_t kBlockHeaderSize = 24;
inline constexpr uint64_t kUsableBlockSize = kBlockSize - kBlockHeaderSize;

inline constexpr bool IsBlockBoundary(uint64_t pos) { return pos % kBlockSize == 0; }

// Bytes from `pos` to the next block boundary; 0 at a boundary.
inline constexpr uint64_t RemainingInBlock(uint64_t pos) { return (kBlockSize - pos % kBlockSize) % kBlockSize; }

// True unless `pos` lies inside a block header or right after one
// (k*65536+1 .. k*65536+24): no chunk can begin or end there.
inline constexpr bool IsPossibleChunkBoundary(uint64_t pos) { return RemainingInBlock(pos) < kUsableBlockSize; }

// The first possible chunk boundary at or after `pos`.
inline constexpr uint64_t RoundUpToPossibleChunkBoundary(uint64_t pos) {
  const uint64_t remaining = RemainingInBlock(pos);
  return remaining > kUsableBlockSize - 1 ? pos + (remaining - (kUsableBlockSize - 1)) : pos;
}

// Number of block headers met while writing `size` bytes starting at `pos`
// (a header at `pos` itself counts; one at the end position does not).
inline constexpr uint64_t NumOverheadBlocks(uint64_t pos, uint64_t size) {
  return (size + (pos + kUsableBlockSize - 1) % kBlockSize) / kUsableBlockSize;
}

// The position after writing `size` bytes starting at `pos`, block headers
// included.
inline constexpr uint64_t AddWithOverhead(uint64_t pos, uint64_t size) {
  return pos + size + NumOverheadBlocks(pos, size) * kBlockHeaderSize;
}

// Where a chunk beginning at `chunk_begin` ends: after its header and data
// (block headers included), but at least `num_records` bytes after its begin,
// rounded up to a possible chunk boundary. The writer pads to this position.
// REQUIRES: no overflow (the caller checks sizes against the file size first).
inline constexpr uint64_t ChunkEnd(uint64_t chunk_begin, uint64_t chunk_size, uint64_t num_records) {
  const uint64_t by_size = AddWithOverhead(chunk_begin, chunk_size);
  const uint64_t by_records = RoundUpToPossibleChunkBoundary(chunk_begin + num_records);
  return by_size > by_records ? by_size : by_records;
}

// A decoded 24-byte block header.
struct BlockHeader {
  uint64_t previous_chunk = 0;  // block start - begin of the interrupted chunk
  uint64_t next_chunk = 0;      // end of the interrupted chunk - block start
};

// Writes the 24 bytes of `header` (hash included) to `dst`.
void EncodeBlockHeader(const BlockHeader& header, char* dst);

// Parses 24 bytes at `src`. Returns false if the header hash does not match.
[[nodiscard]] bool DecodeBlockHeader(std::string_view src, BlockHeader* header);

}  // namespace proberows::arrayrecord

#endif  // PROBEROWS_ARRAYRECORD_BLOCK_LAYOUT_H_
