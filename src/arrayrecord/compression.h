// Compression of the two buffers of a simple chunk (record sizes and record
// values), as Riegeli stores them: when compressed, a varint64 of the
// uncompressed length followed by a zstd frame, a brotli stream or raw snappy
// data; when uncompressed, the bytes themselves.
//
// Thread-safety: all functions may be called concurrently. zstd contexts are
// cached per thread, so repeated calls do not reallocate them.
#ifndef PROBEROWS_ARRAYRECORD_COMPRESSION_H_
#define PROBEROWS_ARRAYRECORD_COMPRESSION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace proberows::arrayrecord {

// The compression_type byte at the start of a simple chunk.
enum class CompressionType : uint8_t {
  kNone = 0,
  kBrotli = 'b',
  kZstd = 'z',
  kSnappy = 's',
};

// Name used in messages: "none", "brotli", "zstd", "snappy" or "0x.." for an
// unknown byte.
std::string CompressionTypeName(uint8_t type);

struct CompressionParams {
  CompressionType type = CompressionType::kNone;
  int level = 0;                  // zstd or brotli level (ignored otherwise)
  std::optional<int> window_log;  // zstd / brotli window; unset = library default
};

// Appends the stored form of `src` to `*dst` (see the file comment). The
// output is a pure function of `params` and `src`.
// REQUIRES: params were validated (ArrayRecordWriterOptions::FromString).
[[nodiscard]] absl::Status CompressBuffer(const CompressionParams& params, std::string_view src, std::string* dst);

// Decodes one stored buffer `src` (everything, including the length prefix).
// With kNone, `*out` points into `src`; otherwise the bytes are decoded into
// `*scratch` and `*out` points there. Fails with kDataLoss (message without
// file context) if the data is malformed, if the decoded length differs from
// the prefix, or if the prefix exceeds `max_size`. Memory use is bounded by
// the bytes actually produced, never by the declared length alone.
[[nodiscard]] absl::Status DecompressBuffer(uint8_t type, std::string_view src, uint64_t max_size, std::string* scratch,
                                            std::string_view* out);

}  // namespace proberows::arrayrecord

#endif  // PROBEROWS_ARRAYRECORD_COMPRESSION_H_
