// Segments and measurement payloads: the pre-encoded column values that
// ExampleEncoder concatenates into a tf.train.Example row.
//
// A *segment* is one column's value in one measurement, already in the exact
// bytes it takes inside the Example (docs/record-encoding.md):
//   scalar int64   varint(uint64(v))            (a negative value: 10 bytes)
//   scalar float   4 bytes, little-endian IEEE float32
//   scalar bytes   0x0a varint(len) bytes       (one BytesList value)
//   list           varint(count), then count element encodings as above
//   nested list    (depth d > 1) varint(c0), then for each level k = 1..d-1
//                  the c(k-1) lengths of that level's lists as varints
//                  (summing to ck), then c(d-1) element encodings
// A *measurement payload* is, for every non-key column in schema order,
// varint(segment_len) followed by the segment.
//
// The inline helpers below are the pipeline's hot path: they append to a
// std::string or write to a raw buffer and never fail. The parsing functions
// check a segment strictly (canonical varints, exact lengths) and never read
// outside their input.
#ifndef PROBEROWS_EXAMPLE_SEGMENT_H_
#define PROBEROWS_EXAMPLE_SEGMENT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "proberows/example.h"
#include "util/varint.h"

namespace proberows {

// Tag byte of BytesList.value (field 1, wire type 2): the first byte of every
// bytes segment and bytes list element.
inline constexpr char kBytesValueTag = 0x0a;
inline constexpr size_t kFloatSegmentLength = 4;

// ------------------------------------------------------------ lengths

inline size_t Int64SegmentLength(int64_t v) { return VarintLength(static_cast<uint64_t>(v)); }
inline size_t BytesSegmentLength(size_t n) { return 1 + VarintLength(n) + n; }

// ------------------------------------------------------------ raw buffers
// Each writes one scalar segment (equivalently: one list element) at `dst`,
// which must have room for the length above, and returns the end.

inline char* EncodeInt64Segment(char* dst, int64_t v) { return EncodeVarint64(dst, static_cast<uint64_t>(v)); }

inline char* EncodeFloatSegment(char* dst, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  EncodeFixed32(dst, bits);
  return dst + kFloatSegmentLength;
}

inline char* EncodeBytesSegment(char* dst, std::string_view v) {
  *dst++ = kBytesValueTag;
  dst = EncodeVarint64(dst, v.size());
  if (!v.empty()) std::memcpy(dst, v.data(), v.size());
  return dst + v.size();
}

// ------------------------------------------------------------ std::string
// Each appends one segment (no length header) to `*dst`.

inline void AppendInt64Segment(std::string* dst, int64_t v) { PutVarint64(dst, static_cast<uint64_t>(v)); }

inline void AppendFloatSegment(std::string* dst, float v) {
  char buf[kFloatSegmentLength];
  EncodeFloatSegment(buf, v);
  dst->append(buf, sizeof(buf));
}

inline void AppendBytesSegment(std::string* dst, std::string_view v) {
  char buf[1 + kMaxVarint64Length];
  buf[0] = kBytesValueTag;
  char* end = EncodeVarint64(buf + 1, v.size());
  dst->append(buf, end - buf);
  dst->append(v.data(), v.size());
}

// Whole list segments: varint(count) + elements.
void AppendInt64ListSegment(std::string* dst, std::span<const int64_t> values);
void AppendFloatListSegment(std::string* dst, std::span<const float> values);
void AppendBytesListSegment(std::string* dst, std::span<const std::string> values);
void AppendBytesListSegment(std::string* dst, std::span<const std::string_view> values);
// The level headers of a nested list segment (depth = lengths.size() + 1):
// varint(c0) then each level's lengths; append the elements after it.
// `lengths[k]` holds the lengths of the lists of level k + 1.
void AppendNestedListHeader(std::string* dst, uint64_t c0, std::span<const std::vector<uint64_t>> lengths);

// Builds one measurement payload by appending to a std::string: call one Add*
// (scalar) or one BeginList ... EndList per non-key column, in schema order.
// The builder does not know the schema; ExampleEncoder checks the result.
//
// Not thread-safe; `dst` must outlive the builder and must not be modified
// by anyone else between BeginList and EndList.
class PayloadBuilder {
 public:
  explicit PayloadBuilder(std::string* dst) : dst_(dst) {}

  // Scalar columns: varint(segment_len) + segment.
  void AddInt64(int64_t v) {
    char buf[1 + kMaxVarint64Length];
    char* end = EncodeVarint64(buf + 1, static_cast<uint64_t>(v));
    buf[0] = static_cast<char>(end - buf - 1);  // <= 10: a 1-byte varint
    dst_->append(buf, end - buf);
  }
  void AddFloat(float v) {
    char buf[1 + kFloatSegmentLength];
    buf[0] = static_cast<char>(kFloatSegmentLength);
    EncodeFloatSegment(buf + 1, v);
    dst_->append(buf, sizeof(buf));
  }
  void AddBytes(std::string_view v) {
    char buf[2 * kMaxVarint64Length + 1];
    char* p = EncodeVarint64(buf, BytesSegmentLength(v.size()));
    *p++ = kBytesValueTag;
    p = EncodeVarint64(p, v.size());
    dst_->append(buf, p - buf);
    dst_->append(v.data(), v.size());
  }
  // A segment built elsewhere (e.g. with Append*Segment).
  void AddSegment(std::string_view segment) {
    PutVarint64(dst_, segment.size());
    dst_->append(segment.data(), segment.size());
  }

  // List columns: BeginList, any number of Add*Element of the column's type,
  // EndList. REQUIRES: lists do not nest (nested lists: build the segment
  // with AppendNestedListSegment and add it with AddSegment).
  void BeginList() {
    list_start_ = dst_->size();
    list_count_ = 0;
  }
  void AddInt64Element(int64_t v) {
    AppendInt64Segment(dst_, v);
    ++list_count_;
  }
  void AddFloatElement(float v) {
    AppendFloatSegment(dst_, v);
    ++list_count_;
  }
  void AddBytesElement(std::string_view v) {
    AppendBytesSegment(dst_, v);
    ++list_count_;
  }
  // Inserts varint(segment_len) varint(count) before the elements.
  void EndList() {
    const size_t elements = dst_->size() - list_start_;
    char buf[2 * kMaxVarint64Length];
    char* p = EncodeVarint64(buf, VarintLength(list_count_) + elements);
    p = EncodeVarint64(p, list_count_);
    dst_->insert(list_start_, buf, p - buf);
  }

 private:
  std::string* dst_;
  size_t list_start_ = 0;
  uint64_t list_count_ = 0;
};

// ------------------------------------------------------------ parsing

// What CheckSegment learned about a valid segment.
struct SegmentInfo {
  size_t header = 0;         // bytes of varint(count) at the front of a list, else 0
  uint64_t count = 1;        // elements of a list (lists of the first level of a
                             // nested list); 1 for a scalar
  size_t values = 0;         // offset of the first element (= header for a list of depth 1)
  uint64_t value_count = 1;  // number of elements (innermost values)
};

namespace internal {

// Reads a canonical (shortest-form, at most 64-bit) varint from the front of
// p[0, n). Returns the number of bytes read, or 0 if there is none.
inline size_t ReadCanonicalVarint(const unsigned char* p, size_t n, uint64_t* value) {
  uint64_t result = 0;
  const size_t limit = n < kMaxVarint64Length ? n : kMaxVarint64Length;
  for (size_t i = 0; i < limit; ++i) {
    const uint64_t byte = p[i];
    result |= (byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      if (i > 0 && byte == 0) return 0;  // padded: not the shortest form
      if (i == 9 && byte > 1) return 0;  // more than 64 bits
      *value = result;
      return i + 1;
    }
  }
  return 0;
}

// Checks one bytes element (0x0a varint(len) bytes) at the front of p[0, n);
// returns its length, or 0 if malformed.
inline size_t ReadBytesElement(const unsigned char* p, size_t n) {
  if (n < 2 || p[0] != static_cast<unsigned char>(kBytesValueTag)) return 0;
  uint64_t len = 0;
  const size_t v = ReadCanonicalVarint(p + 1, n - 1, &len);
  if (v == 0 || len > n - 1 - v) return 0;
  return 1 + v + static_cast<size_t>(len);
}

}  // namespace internal

// CheckSegment for list columns (depth >= 1). If `level_ends` is not null it
// receives `depth` offsets: level_ends[0] = the end of varint(c0), and
// level_ends[k] (k > 0) = the end of the level-k lengths; the elements start
// at level_ends[depth - 1].
const char* CheckListSegment(FeatureType type, int depth, std::string_view segment, SegmentInfo* info,
                             uint32_t* level_ends = nullptr);

// Checks that `segment` is a well-formed segment of a column of `type` and
// `list_depth` (canonical varints, lengths adding up exactly). Returns nullptr
// and fills `*info` if it is; else a static description of the first problem.
inline const char* CheckSegment(FeatureType type, int list_depth, std::string_view segment, SegmentInfo* info) {
  if (list_depth > 0) return CheckListSegment(type, list_depth, segment, info);
  const auto* p = reinterpret_cast<const unsigned char*>(segment.data());
  const size_t n = segment.size();
  switch (type) {
    case FeatureType::kInt64: {
      uint64_t v = 0;
      if (n == 0 || internal::ReadCanonicalVarint(p, n, &v) != n) {
        return "int64 segment is not exactly one canonical varint";
      }
      break;
    }
    case FeatureType::kFloat:
      if (n != kFloatSegmentLength) return "float segment is not 4 bytes";
      break;
    case FeatureType::kBytes:
      if (n == 0 || internal::ReadBytesElement(p, n) != n) {
        return "bytes segment is not exactly 0x0a, varint length, bytes";
      }
      break;
  }
  info->header = 0;
  info->count = 1;
  info->values = 0;
  info->value_count = 1;
  return nullptr;
}

// Decodes a segment into its values (a scalar gives one value; a nested list
// its innermost values, flattened). InvalidArgument if it is malformed.
[[nodiscard]] absl::StatusOr<FeatureValues> ParseSegment(FeatureType type, int list_depth, std::string_view segment);

// Splits a measurement payload into its `num_segments` segments (without
// checking them). InvalidArgument if the lengths do not add up exactly.
[[nodiscard]] absl::StatusOr<std::vector<std::string_view>> SplitPayload(std::string_view payload, size_t num_segments);

// A short human-readable rendering of a segment for error messages: 52.1,
// -7, "text" (escaped, long strings shortened), [1, 2, 3] (long lists
// shortened), [[1], []] (nested lists). A malformed segment renders as
// <malformed N-byte segment>.
std::string RenderSegment(FeatureType type, int list_depth, std::string_view segment);

}  // namespace proberows

#endif  // PROBEROWS_EXAMPLE_SEGMENT_H_
