// Compressors for tests of compressed inputs: the bytes bzip2, gzip and zstd
// write, made in memory with their libraries.
#ifndef PROBEROWS_TESTS_COMPRESS_UTIL_H_
#define PROBEROWS_TESTS_COMPRESS_UTIL_H_

#include <cstddef>
#include <string>

namespace proberows {

// `text` as one bzip2 stream (`level` 1-9: blocks of 100-900 kB of input).
std::string Bzip2(const std::string& text, int level = 9);

// `data` as one zstd frame (level 3).
std::string Zstd(const std::string& data);

// `data` as one gzip member; with `flush_at`, a sync flush after the first
// `split` bytes, *flush_at its compressed size (a cut there ends on a whole
// deflate block).
std::string Gzip(const std::string& data, size_t split = 0, size_t* flush_at = nullptr);

}  // namespace proberows

#endif  // PROBEROWS_TESTS_COMPRESS_UTIL_H_
