#include "arrayrecord/simple_chunk.h"

#include <cstring>

#include <fmt/format.h>

#include "arrayrecord/hash.h"
#include "util/status_macros.h"
#include "util/varint.h"

namespace proberows::arrayrecord {

absl::Status EncodeSimpleChunk(const CompressionParams& params, std::string_view values, const uint64_t* sizes,
                               size_t num_records, std::string* scratch, std::string* data, ChunkHeader* header) {
  const size_t data_begin = data->size();
  data->push_back(static_cast<char>(params.type));
  char buf[kMaxVarint64Length];
  if (params.type == CompressionType::kNone) {
    uint64_t sizes_length = 0;
    for (size_t i = 0; i < num_records; ++i) sizes_length += VarintLength(sizes[i]);
    data->reserve(data->size() + kMaxVarint64Length + sizes_length + values.size());
    PutVarint64(data, sizes_length);
    for (size_t i = 0; i < num_records; ++i) data->append(buf, EncodeVarint64(buf, sizes[i]) - buf);
  } else {
    scratch->clear();
    for (size_t i = 0; i < num_records; ++i) scratch->append(buf, EncodeVarint64(buf, sizes[i]) - buf);
    // Compress the sizes at the end of *data, then move them behind their length.
    const size_t stored_begin = data->size();
    RETURN_IF_ERROR(CompressBuffer(params, *scratch, data));
    const size_t stored_length = data->size() - stored_begin;
    const size_t prefix_length = VarintLength(stored_length);
    data->resize(data->size() + prefix_length);
    std::memmove(data->data() + stored_begin + prefix_length, data->data() + stored_begin, stored_length);
    EncodeVarint64(data->data() + stored_begin, stored_length);
  }
  RETURN_IF_ERROR(CompressBuffer(params, values, data));
  header->data_size = data->size() - data_begin;
  header->data_hash = RiegeliHash(std::string_view(*data).substr(data_begin));
  header->chunk_type = static_cast<uint8_t>(ChunkType::kSimple);
  header->num_records = num_records;
  header->decoded_data_size = values.size();
  return absl::OkStatus();
}

absl::Status DecodeSimpleChunk(const ChunkHeader& header, std::string_view data, DecodedChunk* out) {
  out->limits_.clear();
  out->source_ = DecodedChunk::Source::kExternal;
  out->external_values_ = {};
  if (data.empty()) return absl::DataLossError("empty data (no compression type)");
  const auto type = static_cast<uint8_t>(data[0]);
  data.remove_prefix(1);
  uint64_t sizes_length = 0;
  if (!GetVarint64(&data, &sizes_length)) {
    return absl::DataLossError("truncated length of the sizes buffer");
  }
  if (sizes_length > data.size()) {
    return absl::DataLossError(
        fmt::format("sizes buffer of {} bytes exceeds the {} bytes left in the chunk", sizes_length, data.size()));
  }
  const std::string_view stored_sizes = data.substr(0, sizes_length);
  const std::string_view stored_values = data.substr(sizes_length);

  std::string_view sizes;
  RETURN_IF_ERROR(Annotate(
      DecompressBuffer(type, stored_sizes, header.num_records * kMaxVarint64Length, &out->sizes_storage_, &sizes),
      "record sizes"));
  // Every size takes at least one byte: this bounds the allocation below.
  if (header.num_records > sizes.size()) {
    return absl::DataLossError(fmt::format("header declares {} records but the sizes buffer holds only {} bytes",
                                           header.num_records, sizes.size()));
  }
  out->limits_.reserve(header.num_records);
  uint64_t limit = 0;
  for (uint64_t i = 0; i < header.num_records; ++i) {
    uint64_t size = 0;
    if (!GetVarint64(&sizes, &size)) {
      return absl::DataLossError(
          fmt::format("size of record {} of {} is truncated or malformed", i, header.num_records));
    }
    if (size > header.decoded_data_size - limit) {
      return absl::DataLossError(
          fmt::format("record sizes exceed the decoded_data_size {} declared in the header", header.decoded_data_size));
    }
    limit += size;
    out->limits_.push_back(static_cast<size_t>(limit));
  }
  if (!sizes.empty()) {
    return absl::DataLossError(
        fmt::format("{} bytes left in the sizes buffer after {} records", sizes.size(), header.num_records));
  }
  if (limit != header.decoded_data_size) {
    return absl::DataLossError(fmt::format("record sizes sum to {} but the header declares decoded_data_size {}", limit,
                                           header.decoded_data_size));
  }
  std::string_view values;
  RETURN_IF_ERROR(
      Annotate(DecompressBuffer(type, stored_values, header.decoded_data_size, &out->values_storage_, &values),
               "record values"));
  if (values.size() != header.decoded_data_size) {
    return absl::DataLossError(
        fmt::format("values buffer holds {} bytes, header declares {}", values.size(), header.decoded_data_size));
  }
  const std::string_view own = out->data_storage_;
  if (type != static_cast<uint8_t>(CompressionType::kNone)) {
    out->source_ = DecodedChunk::Source::kDecoded;
  } else if (!own.empty() && values.data() >= own.data() && values.data() + values.size() <= own.data() + own.size()) {
    out->source_ = DecodedChunk::Source::kDataStorage;
    out->values_offset_ = static_cast<size_t>(values.data() - own.data());
    out->values_size_ = values.size();
  } else {
    out->source_ = DecodedChunk::Source::kExternal;
    out->external_values_ = values;
  }
  return absl::OkStatus();
}

}  // namespace proberows::arrayrecord
