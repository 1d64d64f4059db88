// A .bz2 file decoded on several threads, block by block, as lbzip2 and
// pbzip2 do: bzip2 compresses blocks (100-900 kB of input each)
// independently, so each block can be decoded on its own, by libbz2, once
// its start in the bit stream is found.
//
// The bytes, their order and every error are those of DecodeBzip2File
// (source/bzip2_pipes.h): whatever the block decoder cannot explain (damage,
// truncation, trailing bytes, no bzip2 header) is handed to DecodeBzip2File,
// which decodes the file again, passing on only the bytes the sink has not
// had yet, and words the error as it always does.
#ifndef PROBEROWS_SOURCE_BZIP2_BLOCKS_H_
#define PROBEROWS_SOURCE_BZIP2_BLOCKS_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace proberows {

// Decodes the bzip2 file `path` (every concatenated stream) with `threads`
// decoding threads and passes the bytes to `sink` in order, in pieces of at
// most 1 MiB, only ever the bytes of blocks whose CRC checked; `sink`
// returns false to stop early (then the result is Cancelled and the threads
// stop within one block). Memory: at most 2 x `threads` blocks in flight
// (<= 900 kB compressed each; one at first, twice as many after each block
// passed on, so that a reader taking only the first bytes costs about what
// it reads), their decoded bytes capped at about
// `max_decoded` plus one block (a block of long runs decodes to up to
// ~46 MB). Errors: as DecodeBzip2File's. `threads` <= 1: DecodeBzip2File
// itself. `sink` is called on the calling thread only.
[[nodiscard]] absl::Status DecodeBzip2FileParallel(const std::string& path, int threads,
                                                   const std::function<bool(std::string_view)>& sink,
                                                   size_t max_decoded = size_t{32} << 20);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_BZIP2_BLOCKS_H_
