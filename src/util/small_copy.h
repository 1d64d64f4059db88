// CopySmall: memcpy for the short runs (a varint, a float, an address) that
// records and rows are made of. A variable-length std::memcpy is a library
// call; these overlapping fixed-size moves are a few instructions and never
// read or write outside [src, src + n) and [dst, dst + n).
#ifndef PROBEROWS_UTIL_SMALL_COPY_H_
#define PROBEROWS_UTIL_SMALL_COPY_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace proberows {

// Copies n bytes from src to dst (non-overlapping); returns dst + n.
inline char* CopySmall(char* dst, const char* src, size_t n) {
  if (n > 16) {
    std::memcpy(dst, src, n);
  } else if (n >= 8) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n > 0) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  }
  return dst + n;
}

}  // namespace proberows

#endif  // PROBEROWS_UTIL_SMALL_COPY_H_
