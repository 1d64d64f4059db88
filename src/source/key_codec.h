// How keys are represented inside proberows, and the fixed key hash that
// orders keys for the split and the shuffle.
//
// Key sort bytes: an integer key is 8 bytes, big-endian, of the value with its
// sign bit flipped, so that memcmp order is numeric order; a string key is its
// bytes. Either way, comparing sort bytes with memcmp (shorter first on a
// common prefix) is the documented tie-break between keys of equal hash.
//
// Key hash (docs/design.md, "Split and order"): XXH3-64 with the user's seed
// over the canonical key bytes: an integer key's 8-byte little-endian two's
// complement, a string key's bytes.
#ifndef PROBEROWS_SOURCE_KEY_CODEC_H_
#define PROBEROWS_SOURCE_KEY_CODEC_H_

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace proberows {

inline constexpr size_t kIntKeySize = 8;

inline void EncodeIntKey(int64_t v, char* out) {
  const uint64_t u = static_cast<uint64_t>(v) ^ 0x8000000000000000ull;
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(u >> (56 - 8 * i));
}

inline int64_t DecodeIntKey(std::string_view bytes) {
  uint64_t u = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) u = (u << 8) | static_cast<unsigned char>(bytes[i]);
  return static_cast<int64_t>(u ^ 0x8000000000000000ull);
}

inline uint64_t HashIntKey(int64_t v, uint64_t seed) {
  unsigned char le[8];
  const uint64_t u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(u >> (8 * i));
  return XXH3_64bits_withSeed(le, 8, seed);
}

inline uint64_t HashStringKey(std::string_view s, uint64_t seed) {
  return XXH3_64bits_withSeed(s.data(), s.size(), seed);
}

// Hash from sort bytes (either kind).
inline uint64_t HashKey(bool is_string, std::string_view sort_bytes, uint64_t seed) {
  return is_string ? HashStringKey(sort_bytes, seed) : HashIntKey(DecodeIntKey(sort_bytes), seed);
}

// Orders doubles as int64 would order them: maps the bit pattern so that
// unsigned comparison of the result is numeric order (NaN excluded).
inline uint64_t SortableDouble(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  if (d == 0) bits = 0;  // -0.0 == 0.0
  return (bits & 0x8000000000000000ull) ? ~bits : bits | 0x8000000000000000ull;
}

inline uint64_t SortableInt64(int64_t v) { return static_cast<uint64_t>(v) ^ 0x8000000000000000ull; }

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_KEY_CODEC_H_
