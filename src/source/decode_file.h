// Compressed input files (.bz2, .gz, .zst) decoded in-process and streamed
// to a callback: no decompressed copy on disk, the file opened only while it
// is decoded. The native JSON reader (source/native_ping.h) reads its
// compressed inputs through DecodeCompressedFile; .bz2 decoding is
// DecodeBzip2File (source/bzip2_pipes.h), the decoder of the DuckDB path,
// or on several threads DecodeBzip2FileParallel (source/bzip2_blocks.h).
//
// A truncated or damaged file is an error naming the file and the byte
// (DataLoss), worded as source/compressed_check.h words it: never a shorter
// input.
#ifndef PROBEROWS_SOURCE_DECODE_FILE_H_
#define PROBEROWS_SOURCE_DECODE_FILE_H_

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace proberows {

enum class Compression { kNone, kBzip2, kGzip, kZstd };

// The compression of `path` by its extension (.bz2, .gz, .zst; any case).
Compression CompressionOf(const std::string& path);

// Decodes the compressed file `path` (every concatenated bzip2 stream, gzip
// member or zstd frame, as lbzip2/pbzip2, pigz and zstd -T write them) and
// passes the bytes to `sink` in pieces of at most 1 MiB; `sink` returns
// false to stop early (then the result is Cancelled). Errors name the file:
// not data of its compression, damaged, truncated, trailing bytes, read
// errors. A .bz2 file's blocks decode on `threads` threads
// (source/bzip2_blocks.h; the same bytes and errors); .gz and .zst decode on
// the calling thread. REQUIRES: CompressionOf(path) != kNone.
[[nodiscard]] absl::Status DecodeCompressedFile(const std::string& path,
                                                const std::function<bool(std::string_view)>& sink, int threads = 1);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_DECODE_FILE_H_
