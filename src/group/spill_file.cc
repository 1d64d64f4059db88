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

absl::Status SpillWriter::AppendBlock(std::string_view data) {
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

absl::Status ReadSpillFilesInto(Env* env, std::span<const std::string> paths, std::string* buffer, size_t* used) {
  std::vector<std::unique_ptr<RandomAccessFile>> files;
  uint64_t total = 0;
  for (const std::string& path : paths) {
    ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
    total += file->size();
    files.push_back(std::move(file));
  }
  // Records take at most the files' size; grow once, never zero-fill twice.
  if (buffer->size() < total) buffer->resize(total);
  size_t at = 0;
  char header[kSpillBlockHeaderSize];
  for (size_t f = 0; f < files.size(); ++f) {
    RandomAccessFile* file = files[f].get();
    const std::string& path = paths[f];
    const uint64_t size = file->size();
    uint64_t offset = 0;
    while (offset < size) {
      std::string_view got;
      RETURN_IF_ERROR(file->Read(offset, sizeof(header), header, &got));
      if (got.size() != sizeof(header) || DecodeFixed32(got.data()) != kSpillBlockMagic)
        return absl::DataLossError(fmt::format("spill file '{}': bad block header at offset {}", path, offset));
      const uint32_t length = DecodeFixed32(got.data() + 4);
      const uint64_t check = DecodeFixed64(got.data() + 8);
      if (offset + sizeof(header) + length > size)
        return absl::DataLossError(fmt::format("spill file '{}': block at offset {} is truncated", path, offset));
      char* dst = buffer->data() + at;
      RETURN_IF_ERROR(file->Read(offset + sizeof(header), length, dst, &got));
      if (got.size() != length)
        return absl::DataLossError(fmt::format("spill file '{}': short read at offset {}", path, offset));
      if (got.data() != dst) std::memcpy(dst, got.data(), length);
      if (XXH3_64bits(dst, length) != check)
        return absl::DataLossError(
            fmt::format("spill file '{}': checksum mismatch in block at offset {}", path, offset));
      at += length;
      offset += sizeof(header) + length;
    }
  }
  *used = at;
  return absl::OkStatus();
}

absl::Status ReadSpillFile(Env* env, const std::string& path, std::string* out) {
  std::string buffer;
  size_t used = 0;
  RETURN_IF_ERROR(ReadSpillFilesInto(env, std::span<const std::string>(&path, 1), &buffer, &used));
  out->append(buffer.data(), used);
  return absl::OkStatus();
}

}  // namespace proberows
