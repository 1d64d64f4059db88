// ChunkReader: reads and verifies Riegeli chunks at known positions of a
// file, removing the block headers that interrupt them.
//
// Every read is checked: the chunk header hash, the data hash, and every
// block header inside the chunk (its hash, and that it points back to this
// chunk's begin and forward to its end). Errors are kDataLoss and read
// "<path>: <what> at offset <N>". Allocation is bounded by the bytes that
// really exist between the chunk and the given limit, so corrupt size fields
// cannot request huge buffers.
//
// Thread-compatible: use one ChunkReader per thread (the file may be shared).
#ifndef PROBEROWS_ARRAYRECORD_CHUNK_READER_H_
#define PROBEROWS_ARRAYRECORD_CHUNK_READER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "arrayrecord/block_layout.h"
#include "arrayrecord/chunk.h"
#include "proberows/env.h"

namespace proberows::arrayrecord {

// A chunk as read from the file.
struct Chunk {
  uint64_t begin = 0;  // position of the chunk (block header first if a boundary)
  uint64_t end = 0;    // position of the next chunk
  bool header_valid = false;
  ChunkHeader header;
  // The data bytes without block headers. Valid until the next call on the
  // ChunkReader that produced it.
  std::string_view data;
};

class ChunkReader {
 public:
  // `file` must outlive the reader.
  explicit ChunkReader(const RandomAccessFile* file) : file_(file), file_size_(file->size()) {}

  // Reads the chunk beginning at `begin`, which must end at or before
  // `limit` (<= file size): the next chunk's position, or the file size.
  // When the chunk header was valid but something later failed (data hash,
  // a block header inside the chunk, the limit), chunk->header_valid is true
  // and chunk->header / chunk->end describe the chunk, so a scan can go on.
  [[nodiscard]] absl::Status ReadChunk(uint64_t begin, uint64_t limit, Chunk* chunk);

  // Reads the block header at boundary `pos`. Fails if it is missing or its
  // hash does not match.
  [[nodiscard]] absl::Status ReadBlockHeader(uint64_t pos, BlockHeader* header);

  // Loads [begin, end) of the file into memory so that later reads inside it
  // need no system call. Replaces the previous window.
  [[nodiscard]] absl::Status Prefetch(uint64_t begin, uint64_t end);

  // True if [begin, end) is inside the loaded window.
  bool InWindow(uint64_t begin, uint64_t end) const {
    return begin >= window_begin_ && end >= begin && end - window_begin_ <= window_.size();
  }

  uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return file_->path(); }

  // A kDataLoss status "<path>: <what> at offset <offset>".
  absl::Status Error(std::string_view what, uint64_t offset) const;

 private:
  // Returns bytes [offset, offset + n) of the file, from the window or read
  // into `*scratch`. Fails (truncated) if the file is shorter.
  absl::Status GetBytes(uint64_t offset, uint64_t n, std::string* scratch, std::string_view* out);
  // Checks the block header held in `bytes` (24 bytes) at boundary `pos`
  // inside the chunk [chunk_begin, chunk_end); chunk_end 0 = not known yet.
  absl::Status CheckBlockHeader(std::string_view bytes, uint64_t pos, uint64_t chunk_begin, uint64_t chunk_end) const;
  absl::Status ReadHeader(uint64_t begin, Chunk* chunk);

  const RandomAccessFile* file_;
  uint64_t file_size_;
  std::string window_;
  uint64_t window_begin_ = 0;
  std::string read_scratch_;
  std::string data_scratch_;
  std::string header_scratch_;
};

}  // namespace proberows::arrayrecord

#endif  // PROBEROWS_ARRAYRECORD_CHUNK_READER_H_
