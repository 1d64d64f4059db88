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
//
// Composite keys (--key a,b,...): the sort bytes of the tuple are the parts'
// encodings in key order, each part as above for an integer (8 bytes), and a
// string part as its bytes with every 0x00 written as 0x00 0x01, followed by
// 0x00 0x00. memcmp order of these bytes is the tuple's order (part by part,
// a shorter string first); the key hash is XXH3-64 with the seed over them
// (HashStringKey): docs/output-format.md, "Composite keys".
#ifndef PROBEROWS_SOURCE_KEY_CODEC_H_
#define PROBEROWS_SOURCE_KEY_CODEC_H_

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// Appends one string part of a composite key (see above) to `out`.
inline void AppendStringKeyPart(std::string_view s, std::string* out) {
  for (char c : s) {
    out->push_back(c);
    if (c == '\0') out->push_back('\1');
  }
  out->append(2, '\0');
}

// Appends one integer part of a composite key to `out`.
inline void AppendIntKeyPart(int64_t v, std::string* out) {
  char b[kIntKeySize];
  EncodeIntKey(v, b);
  out->append(b, kIntKeySize);
}

// One part of a decoded composite key.
struct KeyPart {
  bool is_string = false;
  int64_t int_value = 0;
  std::string string_value;
};

// Splits composite sort bytes into parts of the given kinds; false if the
// bytes are not such an encoding.
inline bool DecodeCompositeKey(std::string_view bytes, const std::vector<bool>& part_is_string,
                               std::vector<KeyPart>* parts) {
  parts->clear();
  for (const bool is_string : part_is_string) {
    KeyPart part;
    part.is_string = is_string;
    if (!is_string) {
      if (bytes.size() < kIntKeySize) return false;
      part.int_value = DecodeIntKey(bytes.substr(0, kIntKeySize));
      bytes.remove_prefix(kIntKeySize);
    } else {
      for (;;) {
        if (bytes.empty()) return false;
        const char c = bytes[0];
        bytes.remove_prefix(1);
        if (c != '\0') {
          part.string_value.push_back(c);
          continue;
        }
        if (bytes.empty()) return false;
        const char next = bytes[0];
        bytes.remove_prefix(1);
        if (next == '\0') break;
        if (next != '\1') return false;
        part.string_value.push_back('\0');
      }
    }
    parts->push_back(std::move(part));
  }
  return bytes.empty();
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
