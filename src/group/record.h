// The measurement record: one input row after conversion, the unit that is
// partitioned, spilled, sorted and grouped. Format (docs/spill-format.md):
//
//   u32 length         bytes after this field
//   u64 order          SortableInt64/SortableDouble of the order column
//   varint key_length
//   key                key sort bytes (source/key_codec.h)
//   payload            per non-key column: varint(segment length) + segment
//
// Integers are little-endian. The key hash is not stored: it is a function
// of the key (KeyHasher). Records sort by (key_hash, key, order, payload):
// exactly the output order of rows and of measurements within a row.
#ifndef PROBEROWS_GROUP_RECORD_H_
#define PROBEROWS_GROUP_RECORD_H_

#include <cstdint>
#include <cstring>
#include <string_view>

#include "source/key_codec.h"

namespace proberows {

// The fixed part of the header (length and order); the key length follows.
inline constexpr size_t kRecordFixedHeaderSize = 4 + 8;
// The most header bytes before the key: fixed part + a 5-byte varint32.
inline constexpr size_t kRecordMaxHeaderSize = kRecordFixedHeaderSize + 5;

// A view of one record inside a buffer. Trivially copyable. REQUIRES: the
// record is whole (callers check total_size() against their buffer first,
// and at least kRecordFixedHeaderSize + 1 bytes before calling key()).
struct RecordView {
  const char* data;  // points at the length field

  uint32_t length() const { return Load32(data); }
  size_t total_size() const { return 4 + static_cast<size_t>(length()); }
  uint64_t order() const { return Load64(data + 4); }
  std::string_view key() const {
    const char* p = data + kRecordFixedHeaderSize;
    uint32_t n = static_cast<unsigned char>(*p);
    if (n < 128) return std::string_view(p + 1, n);
    return KeyAfterLongVarint(p);
  }
  std::string_view payload() const {
    const std::string_view k = key();
    const char* begin = k.data() + k.size();
    return std::string_view(begin, static_cast<size_t>(data + total_size() - begin));
  }

  static uint32_t Load32(const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  static uint64_t Load64(const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }

 private:
  static std::string_view KeyAfterLongVarint(const char* p) {
    uint32_t n = 0;
    int shift = 0;
    while (shift < 35) {
      const uint32_t b = static_cast<unsigned char>(*p++);
      n |= (b & 0x7f) << shift;
      if (b < 128) break;
      shift += 7;
    }
    return std::string_view(p, n);
  }
};

// Writes the order and the key length of a record at `dst` (its start) and
// returns where the key goes. The length field is written by
// FinishRecordHeader once the record is complete.
inline char* StartRecordHeader(char* dst, uint64_t order, uint32_t key_length) {
  std::memcpy(dst + 4, &order, 8);
  char* p = dst + kRecordFixedHeaderSize;
  while (key_length >= 128) {
    *p++ = static_cast<char>(key_length | 0x80);
    key_length >>= 7;
  }
  *p++ = static_cast<char>(key_length);
  return p;
}

// Writes the length field of the record at `dst` that ends at `end`.
inline void FinishRecordHeader(char* dst, const char* end) {
  const uint32_t length = static_cast<uint32_t>(end - dst - 4);
  std::memcpy(dst, &length, 4);
}

// The key hash of records (not stored in them): XXH3 of the key with the
// seed (source/key_codec.h). Tests may replace it to force collisions.
struct KeyHasher {
  bool key_is_string = false;
  uint64_t seed = 0;
  uint64_t (*for_tests)(std::string_view key_sort_bytes) = nullptr;

  uint64_t operator()(std::string_view key_sort_bytes) const {
    if (for_tests != nullptr) return for_tests(key_sort_bytes);
    return HashKey(key_is_string, key_sort_bytes, seed);
  }
};

}  // namespace proberows

#endif  // PROBEROWS_GROUP_RECORD_H_
