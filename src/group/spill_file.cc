#include "group/spill_file.h"

#include <xxhash.h>

#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "util/status_macros.h"
#include "util/varint.h"

namespace proberows {

absl::StatusOr<std::unique_ptr<SpillWriter>> SpillWriter::Open(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env->NewWritableFile(path));
  return std::unique_ptr<SpillWriter>(new SpillWriter(std::move(file)));
}

absl::Status SpillWriter::AppendBlock(std::string_view data, BlockRef* where) {
  if (where != nullptr) *where = BlockRef{file_->path(), bytes_, kSpillBlockHeaderSize + data.size()};
  char header[kSpillBlockHeaderSize];
  EncodeFixed32(header, kSpillBlockMagic);
  EncodeFixed32(header + 4, static_cast<uint32_t>(data.size()));
  EncodeFixed64(header + 8, XXH3_64bits(data.data(), data.size()));
  RETURN_IF_ERROR(file_->Append(std::string_view(header, sizeof(header))));
  RETURN_IF_ERROR(file_->Append(data));
  bytes_ += sizeof(header) + data.size();
  return absl::OkStatus();
}

absl::Status SpillWriter::Close() { return file_->Close(); }

absl::Status ReadSpillBlocksInto(Env* env, std::span<const BlockRef> blocks, std::string* buffer, size_t* used) {
  uint64_t total = 0;
  for (const BlockRef& b : blocks) total += b.size;
  if (buffer->size() < total) buffer->resize(total);
  size_t at = 0;
  std::unique_ptr<RandomAccessFile> file;
  char header[kSpillBlockHeaderSize];
  for (const BlockRef& b : blocks) {
    if (!file || file->path() != b.path) {
      file.reset();
      ASSIGN_OR_RETURN(file, env->NewRandomAccessFile(b.path));
    }
    if (b.size < sizeof(header) || b.offset + b.size > file->size())
      return absl::DataLossError(fmt::format("spill file '{}' is {} bytes, too short for its block at offset {}",
                                             b.path, file->size(), b.offset));
    std::string_view got;
    RETURN_IF_ERROR(file->Read(b.offset, sizeof(header), header, &got));
    if (got.size() != sizeof(header) || DecodeFixed32(got.data()) != kSpillBlockMagic ||
        DecodeFixed32(got.data() + 4) != b.size - sizeof(header))
      return absl::DataLossError(fmt::format("spill file '{}': bad block header at offset {}", b.path, b.offset));
    const uint64_t check = DecodeFixed64(got.data() + 8);
    const size_t length = b.size - sizeof(header);
    char* dst = buffer->data() + at;
    RETURN_IF_ERROR(file->Read(b.offset + sizeof(header), length, dst, &got));
    if (got.size() != length)
      return absl::DataLossError(fmt::format("spill file '{}': short read at offset {}", b.path, b.offset));
    if (got.data() != dst) std::memcpy(dst, got.data(), length);
    if (XXH3_64bits(dst, length) != check)
      return absl::DataLossError(
          fmt::format("spill file '{}': checksum mismatch in block at offset {}", b.path, b.offset));
    at += length;
  }
  *used = at;
  return absl::OkStatus();
}

}  // namespace proberows
