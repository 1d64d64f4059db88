// Compressed inputs checked to their end before a build reads them.
//
// DuckDB's readers stop at the end of the bytes they get: a .zst cut at a
// block boundary, or a .gz cut at a flush point, reads as a shorter, valid
// file, and the build would silently miss the rest. Here every .zst frame
// is walked through its block headers (no decompression: cheap) and must
// end where the file ends; every .gz member is inflated and must end with
// its trailer (CRC-32 and size checked by zlib), which costs one
// decompression of the file.
#ifndef PROBEROWS_SOURCE_COMPRESSED_CHECK_H_
#define PROBEROWS_SOURCE_COMPRESSED_CHECK_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace proberows {

// OK for a file that is not .gz/.zst (by extension, any case) or is whole;
// DataLossError naming the file and the byte where it ends early or is
// damaged otherwise.
[[nodiscard]] absl::Status CheckCompressedInput(const std::string& path);

// CheckCompressedInput on every file, `threads` at a time; the first error
// in the order of `paths`.
[[nodiscard]] absl::Status CheckCompressedInputs(const std::vector<std::string>& paths, int threads);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_COMPRESSED_CHECK_H_
