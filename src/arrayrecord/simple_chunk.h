// Encoding and decoding of Riegeli simple chunks ('r'): the data part of a
// chunk that stores records as a buffer of varint sizes plus the concatenated
// record bytes, each buffer optionally compressed:
//
//   compression_type (1 byte) | varint64 len(sizes) | sizes | values
#ifndef PROBEROWS_ARRAYRECORD_SIMPLE_CHUNK_H_
#define PROBEROWS_ARRAYRECORD_SIMPLE_CHUNK_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "arrayrecord/chunk.h"
#include "arrayrecord/compression.h"

namespace proberows::arrayrecord {

// Encodes `num_records` records whose bytes are concatenated in `values` and
// whose sizes are `sizes[0..num_records)`, appending the chunk data to
// `*data`, and fills
// `*header` (data_size, data_hash, type 'r', num_records, decoded_data_size).
// `*scratch` is working memory kept between calls to avoid reallocation.
// REQUIRES: the sizes sum to values.size().
[[nodiscard]] absl::Status EncodeSimpleChunk(const CompressionParams& params, std::string_view values,
                                             const uint64_t* sizes, size_t num_records, std::string* scratch,
                                             std::string* data, ChunkHeader* header);

// The records of one decoded simple chunk. Records are views into memory owned
// by this object (or by the chunk data it was decoded from, see below).
class DecodedChunk {
 public:
  DecodedChunk() = default;
  DecodedChunk(DecodedChunk&&) = default;
  DecodedChunk& operator=(DecodedChunk&&) = default;

  size_t num_records() const { return limits_.size(); }
  // REQUIRES: i < num_records().
  std::string_view record(size_t i) const {
    const size_t begin = i == 0 ? 0 : limits_[i - 1];
    return values().substr(begin, limits_[i] - begin);
  }
  // All records concatenated.
  std::string_view values() const {
    switch (source_) {
      case Source::kExternal: return external_values_;
      case Source::kDataStorage: return std::string_view(data_storage_).substr(values_offset_, values_size_);
      case Source::kDecoded: break;
    }
    return values_storage_;
  }

  // Storage for the chunk data when this object must own it; see
  // DecodeSimpleChunk. Moving the object keeps records valid in that case.
  std::string& data_storage() { return data_storage_; }

 private:
  enum class Source { kExternal, kDataStorage, kDecoded };
  friend absl::Status DecodeSimpleChunk(const ChunkHeader& header, std::string_view data, DecodedChunk* out);
  std::string data_storage_;
  std::string values_storage_;
  std::string sizes_storage_;
  Source source_ = Source::kExternal;
  std::string_view external_values_;
  size_t values_offset_ = 0;
  size_t values_size_ = 0;
  std::vector<size_t> limits_;  // end offset of each record in values()
};

// Decodes the data of a simple chunk, checking it against `header`
// (num_records, decoded_data_size). For uncompressed chunks the records point
// into `data`, which must stay alive and unchanged as long as `*out` is used
// (or decode from out->data_storage() itself to tie the lifetimes). Errors are kDataLoss
// with a message that has no file or offset (the caller adds them). Memory is
// bounded by the data actually decoded.
[[nodiscard]] absl::Status DecodeSimpleChunk(const ChunkHeader& header, std::string_view data, DecodedChunk* out);

}  // namespace proberows::arrayrecord

#endif  // PROBEROWS_ARRAYRECORD_SIMPLE_CHUNK_H_
