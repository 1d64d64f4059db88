#include "arrayrecord/chunk_reader.h"

#include <algorithm>

#include <fmt/format.h>

#include "arrayrecord/hash.h"
#include "util/status_macros.h"

namespace proberows::arrayrecord {

absl::Status ChunkReader::Error(std::string_view what, uint64_t offset) const {
  return absl::DataLossError(fmt::format("{}: {} at offset {}", file_->path(), what, offset));
}

absl::Status ChunkReader::GetBytes(uint64_t offset, uint64_t n, std::string* scratch, std::string_view* out) {
  if (offset >= window_begin_ && offset - window_begin_ <= window_.size() &&
      n <= window_.size() - (offset - window_begin_)) {
    *out = std::string_view(window_).substr(offset - window_begin_, n);
    return absl::OkStatus();
  }
  if (offset > file_size_ || n > file_size_ - offset) {
    return Error(fmt::format("unexpected end of file: {} bytes needed, the file has {}", n, file_size_), offset);
  }
  scratch->resize(n);
  std::string_view got;
  RETURN_IF_ERROR(file_->Read(offset, n, scratch->data(), &got));
  if (got.size() != n) {
    return Error(fmt::format("unexpected end of file: read {} of {} bytes (file shrank?)", got.size(), n), offset);
  }
  *out = got;
  return absl::OkStatus();
}

absl::Status ChunkReader::Prefetch(uint64_t begin, uint64_t end) {
  window_.clear();
  window_begin_ = 0;
  if (end <= begin) return absl::OkStatus();
  std::string_view got;
  RETURN_IF_ERROR(GetBytes(begin, end - begin, &window_, &got));
  window_begin_ = begin;
  return absl::OkStatus();
}

absl::Status ChunkReader::ReadBlockHeader(uint64_t pos, BlockHeader* header) {
  std::string_view bytes;
  RETURN_IF_ERROR(GetBytes(pos, kBlockHeaderSize, &header_scratch_, &bytes));
  if (!DecodeBlockHeader(bytes, header)) return Error("block header hash mismatch", pos);
  return absl::OkStatus();
}

absl::Status ChunkReader::CheckBlockHeader(std::string_view bytes, uint64_t pos, uint64_t chunk_begin,
                                           uint64_t chunk_end) const {
  BlockHeader header;
  if (!DecodeBlockHeader(bytes, &header)) return Error("block header hash mismatch", pos);
  if (header.previous_chunk != pos - chunk_begin) {
    return Error(fmt::format("block header points back {} bytes, but the chunk it interrupts begins at {}",
                             header.previous_chunk, chunk_begin),
                 pos);
  }
  if (chunk_end != 0 && header.next_chunk != chunk_end - pos) {
    return Error(fmt::format("block header points {} bytes ahead, but the chunk it interrupts ends at {}",
                             header.next_chunk, chunk_end),
                 pos);
  }
  return absl::OkStatus();
}

absl::Status ChunkReader::ReadHeader(uint64_t begin, Chunk* chunk) {
  const uint64_t header_end = AddWithOverhead(begin, kChunkHeaderSize);
  if (header_end > file_size_) {
    return Error(fmt::format("truncated file ({} bytes): chunk header cut off", file_size_), begin);
  }
  std::string_view raw;
  RETURN_IF_ERROR(GetBytes(begin, header_end - begin, &header_scratch_, &raw));
  char header_bytes[kChunkHeaderSize];
  size_t filled = 0;
  uint64_t pos = begin;
  while (filled < kChunkHeaderSize) {
    if (IsBlockBoundary(pos)) {
      RETURN_IF_ERROR(CheckBlockHeader(raw.substr(pos - begin, kBlockHeaderSize), pos, begin, 0));
      pos += kBlockHeaderSize;
    }
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunkHeaderSize - filled, RemainingInBlock(pos)));
    raw.substr(pos - begin, n).copy(header_bytes + filled, n);
    filled += n;
    pos += n;
  }
  if (!DecodeChunkHeader(std::string_view(header_bytes, kChunkHeaderSize), &chunk->header)) {
    return Error("chunk header hash mismatch", begin);
  }
  return absl::OkStatus();
}

absl::Status ChunkReader::ReadChunk(uint64_t begin, uint64_t limit, Chunk* chunk) {
  *chunk = Chunk();
  chunk->begin = begin;
  if (!IsPossibleChunkBoundary(begin)) {
    return Error("invalid chunk position (inside or right after a block header)", begin);
  }
  limit = std::min(limit, file_size_);
  if (begin > limit) return Error(fmt::format("chunk position beyond the limit {}", limit), begin);
  RETURN_IF_ERROR(ReadHeader(begin, chunk));
  const ChunkHeader& header = chunk->header;
  const uint64_t room = limit - begin;
  const std::string beyond = limit == file_size_ ? fmt::format("the end of the file ({} bytes)", file_size_)
                                                 : fmt::format("the next chunk at {}", limit);
  if (header.data_size > room || header.num_records > room) {
    return Error(fmt::format("chunk header declares {} bytes of data and {} records, more than fit before {}",
                             header.data_size, header.num_records, beyond),
                 begin);
  }
  const uint64_t data_end = AddWithOverhead(begin, header.size());
  chunk->end = ChunkEnd(begin, header.size(), header.num_records);
  chunk->header_valid = true;
  if (chunk->end > limit) {
    return Error(fmt::format("chunk ends at {}, beyond {}", chunk->end, beyond), begin);
  }

  // Physical bytes of header and data, then the data pieces between block headers.
  std::string_view raw;
  RETURN_IF_ERROR(GetBytes(begin, data_end - begin, &read_scratch_, &raw));
  std::string_view first_piece;
  bool multiple_pieces = false;
  uint64_t pos = begin;
  uint64_t logical = 0;  // bytes of header + data passed so far
  const uint64_t data_begin_logical = kChunkHeaderSize;
  while (pos < data_end) {
    if (IsBlockBoundary(pos)) {
      RETURN_IF_ERROR(CheckBlockHeader(raw.substr(pos - begin, kBlockHeaderSize), pos, begin, chunk->end));
      pos += kBlockHeaderSize;
      continue;
    }
    const uint64_t n = std::min(RemainingInBlock(pos), data_end - pos);
    // The part of [logical, logical + n) that is data.
    const uint64_t from = std::max(logical, data_begin_logical);
    if (from < logical + n) {
      const std::string_view piece = raw.substr(pos - begin + (from - logical), logical + n - from);
      if (first_piece.data() == nullptr) {
        first_piece = piece;
      } else {
        if (!multiple_pieces) data_scratch_.assign(first_piece);
        multiple_pieces = true;
        data_scratch_.append(piece);
      }
    }
    logical += n;
    pos += n;
  }
  // Block headers in the padding after the data.
  for (uint64_t boundary = data_end + RemainingInBlock(data_end); boundary < chunk->end; boundary += kBlockSize) {
    std::string_view bytes;
    RETURN_IF_ERROR(GetBytes(boundary, kBlockHeaderSize, &header_scratch_, &bytes));
    RETURN_IF_ERROR(CheckBlockHeader(bytes, boundary, begin, chunk->end));
  }
  chunk->data = multiple_pieces ? std::string_view(data_scratch_) : first_piece;
  if (!HashMatches(header.data_hash, RiegeliHash(chunk->data))) return Error("chunk data hash mismatch", begin);
  return absl::OkStatus();
}

}  // namespace proberows::arrayrecord
