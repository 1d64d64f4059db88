#include "group/spill_file.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "util/status_macros.h"

namespace proberows {

absl::StatusOr<std::unique_ptr<SpillWriter>> SpillWriter::Open(Env* env, const std::string& path, bool records,
                                                               SpillBlockOptions options) {
  ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env->NewWritableFile(path));
  return std::unique_ptr<SpillWriter>(new SpillWriter(std::move(file), records, options));
}

absl::Status SpillWriter::AppendBlock(std::string_view data, BlockRef* where) {
  if (data.size() > kMaxSpillBlockBytes)
    return absl::InternalError(fmt::format("spill block of {} bytes for '{}' is too large", data.size(), path()));
  encoder_.Encode(data, records_, &block_);
  return AppendEncodedBlock(block_, data.size(), where);
}

absl::Status SpillWriter::AppendEncodedBlock(std::string_view block, size_t raw_bytes, BlockRef* where) {
  if (where != nullptr) *where = BlockRef{file_->path(), bytes_, block.size(), nullptr};
  RETURN_IF_ERROR(file_->Append(block));
  bytes_ += block.size();
  raw_bytes_ += raw_bytes;
  return absl::OkStatus();
}

absl::Status SpillWriter::Close() { return file_->Close(); }

absl::Status ReadSpillBlocksInto(Env* env, std::span<const BlockRef> blocks, std::string* buffer, size_t* used,
                                 SpillReadScratch* scratch) {
  SpillReadScratch local;
  if (scratch == nullptr) scratch = &local;
  size_t at = 0;
  std::unique_ptr<RandomAccessFile> file;
  for (const BlockRef& b : blocks) {
    std::string_view got;
    if (b.memory != nullptr) {
      got = *b.memory;
    } else {
      if (!file || file->path() != b.path) {
        file.reset();
        ASSIGN_OR_RETURN(file, env->NewRandomAccessFile(b.path));
      }
      if (b.size < kSpillBlockHeaderSize || b.offset + b.size > file->size())
        return absl::DataLossError(fmt::format("spill file '{}' is {} bytes, too short for its block at offset {}",
                                               b.path, file->size(), b.offset));
      if (scratch->stored.size() < b.size) scratch->stored.resize(b.size);
      RETURN_IF_ERROR(file->Read(b.offset, b.size, scratch->stored.data(), &got));
      if (got.size() != b.size)
        return absl::DataLossError(fmt::format("spill file '{}': short read at offset {}", b.path, b.offset));
    }
    SpillBlockHeader h;
    if (got.size() < kSpillBlockHeaderSize || ParseSpillBlockHeader(got.data(), &h) != nullptr ||
        kSpillBlockHeaderSize + h.stored != got.size())
      return absl::DataLossError(fmt::format("spill file '{}': bad block header at offset {}", b.path, b.offset));
    const std::string_view data = got.substr(kSpillBlockHeaderSize);
    if (SpillBlockCheck(got.data(), data) != h.check)
      return absl::DataLossError(
          fmt::format("spill file '{}': checksum mismatch in block at offset {}", b.path, b.offset));
    if (buffer->size() - at < h.raw) buffer->resize(std::max<size_t>(at + h.raw, buffer->size() + buffer->size() / 4));
    if (const char* error = scratch->decoder.Decode(h, data, buffer->data() + at))
      return absl::DataLossError(fmt::format("spill file '{}': block at offset {}: {}", b.path, b.offset, error));
    at += h.raw;
  }
  *used = at;
  return absl::OkStatus();
}

}  // namespace proberows
