#include "arrayrecord/file_index.h"

#include <algorithm>

#include <fmt/format.h>

#include "arrayrecord/block_layout.h"
#include "arrayrecord/footer.h"
#include "util/status_macros.h"

namespace proberows::arrayrecord {
namespace {

constexpr uint64_t kSignatureSize = kBlockHeaderSize + kChunkHeaderSize;

}  // namespace

size_t FileIndex::ChunkOfRecord(uint64_t index) const {
  if (uniform && group_size > 0) return static_cast<size_t>(index / group_size);
  const auto it = std::upper_bound(first_record.begin(), first_record.end(), index);
  return static_cast<size_t>(it - first_record.begin()) - 1;
}

absl::Status ReadSimpleChunk(ChunkReader& reader, uint64_t begin, uint64_t limit, std::string_view what, bool own_data,
                             Chunk* chunk, DecodedChunk* decoded) {
  RETURN_IF_ERROR(reader.ReadChunk(begin, limit, chunk));
  const uint8_t type = chunk->header.chunk_type;
  if (type != static_cast<uint8_t>(ChunkType::kSimple)) {
    return reader.Error(
        fmt::format(
            "{} chunk has type {}, expected simple ('r'){}", what, ChunkTypeName(type),
            type == static_cast<uint8_t>(ChunkType::kTransposed) ? "; transposed chunks are not supported" : ""),
        begin);
  }
  std::string_view data = chunk->data;
  // Only uncompressed records point into the chunk data; compressed ones are
  // decoded into `*decoded` anyway.
  if (own_data && !data.empty() && data[0] == 0) {
    decoded->data_storage().assign(data);
    data = decoded->data_storage();
  }
  const absl::Status status = DecodeSimpleChunk(chunk->header, data, decoded);
  if (!status.ok()) {
    const absl::Status located = reader.Error(fmt::format("{} chunk: {}", what, StatusMessage(status)), begin);
    return absl::Status(status.code(), located.message());
  }
  return absl::OkStatus();
}

absl::Status ReadPostscript(ChunkReader& reader, uint64_t* footer_offset) {
  const uint64_t size = reader.file_size();
  if (size < kBlockSize) {
    return reader.Error(
        fmt::format("file of {} bytes is too small for an ArrayRecord file (one 65536-byte block at least)", size),
        size);
  }
  if (size % kBlockSize != 0) {
    return reader.Error(
        fmt::format("file size {} is not a multiple of the 65536-byte block size (truncated file?)", size), size);
  }
  const uint64_t pos = size - kBlockSize;
  RETURN_IF_ERROR(reader.Prefetch(pos, size));
  Chunk chunk;
  DecodedChunk decoded;
  RETURN_IF_ERROR(ReadSimpleChunk(reader, pos, size, "postscript", /*own_data=*/false, &chunk, &decoded));
  if (decoded.num_records() != 3) {
    return reader.Error(fmt::format("postscript chunk holds {} records, expected 3", decoded.num_records()), pos);
  }
  if (decoded.record(0) != decoded.record(1) || decoded.record(0) != decoded.record(2)) {
    return reader.Error("the 3 copies of the postscript differ", pos);
  }
  Postscript postscript;
  if (!ParsePostscript(decoded.record(0), &postscript)) {
    return reader.Error("postscript record is not a valid RiegeliPostscript", pos);
  }
  if (!postscript.magic.has_value() || *postscript.magic != kArrayRecordMagic) {
    return reader.Error(
        fmt::format("postscript magic {} is not ArrayRecord's 0x{:016x} (not an ArrayRecord file?)",
                    postscript.magic.has_value() ? fmt::format("0x{:016x}", *postscript.magic) : "(missing)",
                    kArrayRecordMagic),
        pos);
  }
  if (!postscript.footer_offset.has_value()) return reader.Error("postscript has no footer_offset", pos);
  if (*postscript.footer_offset < kSignatureSize || *postscript.footer_offset >= pos) {
    return reader.Error(fmt::format("postscript footer_offset {} is outside the file's data [{}, {})",
                                    *postscript.footer_offset, kSignatureSize, pos),
                        pos);
  }
  *footer_offset = *postscript.footer_offset;
  return absl::OkStatus();
}

absl::Status ReadFooter(ChunkReader& reader, FileIndex* index) {
  const uint64_t pos = index->footer_offset;
  RETURN_IF_ERROR(reader.Prefetch(pos, index->postscript_offset));
  Chunk chunk;
  DecodedChunk decoded;
  RETURN_IF_ERROR(
      ReadSimpleChunk(reader, pos, index->postscript_offset, "footer", /*own_data=*/false, &chunk, &decoded));
  if (decoded.num_records() == 0) return reader.Error("footer chunk holds no records", pos);
  FooterMetadata metadata;
  if (!ParseFooterMetadata(decoded.record(0), &metadata) || !metadata.has_array_record_metadata) {
    return reader.Error("footer does not begin with an ArrayRecord RiegeliFooterMetadata", pos);
  }
  if (metadata.version.value_or(0) != kArrayRecordVersion) {
    return reader.Error(fmt::format("unsupported ArrayRecord version {}", metadata.version.value_or(0)), pos);
  }
  const uint64_t num_chunks = decoded.num_records() - 1;
  if (metadata.num_chunks.value_or(0) != num_chunks) {
    return reader.Error(fmt::format("footer metadata declares {} chunks but the footer indexes {}",
                                    metadata.num_chunks.value_or(0), num_chunks),
                        pos);
  }
  index->writer_options = metadata.writer_options.value_or("");
  index->chunk_offsets.clear();
  index->decoded_sizes.clear();
  index->first_record.clear();
  index->chunk_offsets.reserve(num_chunks);
  index->decoded_sizes.reserve(num_chunks);
  index->first_record.reserve(num_chunks + 1);
  index->first_record.push_back(0);
  uint64_t total = 0;
  uint64_t previous_offset = 0;
  for (uint64_t i = 0; i < num_chunks; ++i) {
    FooterEntry entry;
    if (!ParseFooterEntry(decoded.record(static_cast<size_t>(i + 1)), &entry) || !entry.chunk_offset.has_value() ||
        !entry.num_records.has_value()) {
      return reader.Error(fmt::format("footer entry {} is not a valid ArrayRecordFooter", i), pos);
    }
    const uint64_t offset = *entry.chunk_offset;
    if (offset < kSignatureSize || offset >= pos || (i > 0 && offset <= previous_offset) ||
        !IsPossibleChunkBoundary(offset)) {
      return reader.Error(fmt::format("footer entry {} has an impossible chunk_offset {}", i, offset), pos);
    }
    // A chunk is at least num_records bytes long (see ChunkEnd): this bounds the total.
    if (*entry.num_records > pos - offset) {
      return reader.Error(fmt::format("footer entry {} declares more records than its chunk can hold", i), pos);
    }
    total += *entry.num_records;
    index->chunk_offsets.push_back(offset);
    index->decoded_sizes.push_back(entry.decoded_data_size.value_or(FileIndex::kUnknownSize));
    index->first_record.push_back(total);
    previous_offset = offset;
  }
  if (metadata.num_records.has_value() && *metadata.num_records != total) {
    return reader.Error(
        fmt::format("footer metadata declares {} records but the chunks hold {}", *metadata.num_records, total), pos);
  }
  for (size_t i = 0; i < num_chunks; ++i) {
    if (index->first_record[i + 1] - index->first_record[i] > index->ChunkLimit(i) - index->chunk_offsets[i]) {
      return reader.Error(fmt::format("footer entry {} declares more records than its chunk can hold", i), pos);
    }
  }
  index->num_records = total;
  index->group_size = num_chunks > 0 ? index->first_record[1] : 0;
  index->uniform = true;
  for (size_t i = 0; i + 1 < num_chunks; ++i) {
    if (index->first_record[i + 1] - index->first_record[i] != index->group_size) index->uniform = false;
  }
  if (num_chunks > 0 && total - index->first_record[num_chunks - 1] > index->group_size) index->uniform = false;
  return absl::OkStatus();
}

absl::Status LoadFileIndex(ChunkReader& reader, FileIndex* index) {
  index->file_size = reader.file_size();
  RETURN_IF_ERROR(ReadPostscript(reader, &index->footer_offset));
  index->postscript_offset = index->file_size - kBlockSize;
  return ReadFooter(reader, index);
}

absl::Status ReadDataChunk(ChunkReader& reader, const FileIndex& index, size_t i, bool own_data,
                           DecodedChunk* decoded) {
  const uint64_t begin = index.chunk_offsets[i];
  Chunk chunk;
  RETURN_IF_ERROR(ReadSimpleChunk(reader, begin, index.ChunkLimit(i), "data", own_data, &chunk, decoded));
  const uint64_t expected = index.first_record[i + 1] - index.first_record[i];
  if (chunk.header.num_records != expected) {
    return reader.Error(
        fmt::format("data chunk holds {} records but the footer says {}", chunk.header.num_records, expected), begin);
  }
  if (index.decoded_sizes[i] != FileIndex::kUnknownSize && chunk.header.decoded_data_size != index.decoded_sizes[i]) {
    return reader.Error(fmt::format("data chunk holds {} bytes of records but the footer says {}",
                                    chunk.header.decoded_data_size, index.decoded_sizes[i]),
                        begin);
  }
  return absl::OkStatus();
}

}  // namespace proberows::arrayrecord
