#include "arrayrecord/chunk.h"

#include <fmt/format.h>

#include "arrayrecord/hash.h"
#include "util/varint.h"

namespace proberows::arrayrecord {

std::string ChunkTypeName(uint8_t type) {
  switch (static_cast<ChunkType>(type)) {
    case ChunkType::kFileSignature: return "file signature ('s')";
    case ChunkType::kFileMetadata: return "file metadata ('m')";
    case ChunkType::kPadding: return "padding ('p')";
    case ChunkType::kSimple: return "simple ('r')";
    case ChunkType::kTransposed: return "transposed ('t')";
  }
  return fmt::format("unknown (0x{:02x})", type);
}

void EncodeChunkHeader(const ChunkHeader& header, char* dst) {
  EncodeFixed64(dst + 8, header.data_size);
  EncodeFixed64(dst + 16, header.data_hash);
  EncodeFixed64(dst + 24, (header.num_records << 8) | header.chunk_type);
  EncodeFixed64(dst + 32, header.decoded_data_size);
  EncodeFixed64(dst, RiegeliHash(std::string_view(dst + 8, kChunkHeaderSize - 8)));
}

bool DecodeChunkHeader(std::string_view src, ChunkHeader* header) {
  if (src.size() < kChunkHeaderSize) return false;
  if (!HashMatches(DecodeFixed64(src.data()), RiegeliHash(src.substr(8, kChunkHeaderSize - 8)))) return false;
  header->data_size = DecodeFixed64(src.data() + 8);
  header->data_hash = DecodeFixed64(src.data() + 16);
  const uint64_t type_and_records = DecodeFixed64(src.data() + 24);
  header->chunk_type = static_cast<uint8_t>(type_and_records & 0xff);
  header->num_records = type_and_records >> 8;
  header->decoded_data_size = DecodeFixed64(src.data() + 32);
  return true;
}

}  // namespace proberows::arrayrecord
