#include "example/segment.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "example/utf8.h"

namespace proberows {
namespace {

// Appends `s` as a double-quoted string for messages: escapes quotes,
// backslashes, control bytes and (unless `s` is valid UTF-8) bytes >= 0x80;
// shortens long strings at a character boundary.
void AppendQuoted(std::string_view s, std::string* out) {
  constexpr size_t kMaxShown = 48;
  const bool utf8 = IsValidUtf8(s);
  size_t shown = s.size();
  if (shown > kMaxShown) {
    shown = kMaxShown;
    while (utf8 && shown > 0 && (static_cast<unsigned char>(s[shown]) & 0xc0) == 0x80) --shown;
  }
  out->push_back('"');
  for (size_t i = 0; i < shown; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
          out->append(fmt::format("\\x{:02x}", c));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
  if (shown < s.size()) out->append(fmt::format("... ({} bytes)", s.size()));
}

}  // namespace

void AppendInt64ListSegment(std::string* dst, std::span<const int64_t> values) {
  PutVarint64(dst, values.size());
  for (int64_t v : values) AppendInt64Segment(dst, v);
}

void AppendFloatListSegment(std::string* dst, std::span<const float> values) {
  PutVarint64(dst, values.size());
  for (float v : values) AppendFloatSegment(dst, v);
}

void AppendBytesListSegment(std::string* dst, std::span<const std::string> values) {
  PutVarint64(dst, values.size());
  for (const std::string& v : values) AppendBytesSegment(dst, v);
}

void AppendBytesListSegment(std::string* dst, std::span<const std::string_view> values) {
  PutVarint64(dst, values.size());
  for (std::string_view v : values) AppendBytesSegment(dst, v);
}

void AppendNestedListHeader(std::string* dst, uint64_t c0, std::span<const std::vector<uint64_t>> lengths) {
  PutVarint64(dst, c0);
  for (const std::vector<uint64_t>& level : lengths)
    for (uint64_t len : level) PutVarint64(dst, len);
}

namespace {

// Checks `count` elements of `type` filling p[0, n) exactly.
const char* CheckElements(FeatureType type, const unsigned char* p, size_t n, uint64_t count) {
  switch (type) {
    case FeatureType::kInt64: {
      if (count > n) return "int64 list segment is shorter than its count";
      for (uint64_t i = 0; i < count; ++i) {
        uint64_t v = 0;
        const size_t len = internal::ReadCanonicalVarint(p, n, &v);
        if (len == 0) return "int64 list segment has a malformed or missing element";
        p += len;
        n -= len;
      }
      if (n != 0) return "int64 list segment has bytes after its last element";
      break;
    }
    case FeatureType::kFloat:
      if (count > n / kFloatSegmentLength || count * kFloatSegmentLength != n) {
        return "float list segment is not 4 bytes per element";
      }
      break;
    case FeatureType::kBytes: {
      if (count > n / 2) return "bytes list segment is shorter than its count";
      for (uint64_t i = 0; i < count; ++i) {
        const size_t len = internal::ReadBytesElement(p, n);
        if (len == 0) return "bytes list segment has a malformed or missing element";
        p += len;
        n -= len;
      }
      if (n != 0) return "bytes list segment has bytes after its last element";
      break;
    }
  }
  return nullptr;
}

}  // namespace

const char* CheckListSegment(FeatureType type, int depth, std::string_view segment, SegmentInfo* info,
                             uint32_t* level_ends) {
  const auto* begin = reinterpret_cast<const unsigned char*>(segment.data());
  const unsigned char* p = begin;
  size_t n = segment.size();
  if (depth < 1 || depth > kMaxListDepth) return "list segment of an unsupported depth";
  if (n > UINT32_MAX) return "list segment is larger than 4 GiB";
  uint64_t count = 0;
  const size_t header = internal::ReadCanonicalVarint(p, n, &count);
  if (header == 0) return "list segment does not start with a canonical varint count";
  p += header;
  n -= header;
  if (level_ends != nullptr) level_ends[0] = static_cast<uint32_t>(header);
  const uint64_t first_count = count;
  // Levels 1 .. depth-1: `count` lengths each, summing to the next count.
  for (int level = 1; level < depth; ++level) {
    if (count > n) return "nested list segment is shorter than its lengths";
    uint64_t next = 0;
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t len = 0;
      const size_t used = internal::ReadCanonicalVarint(p, n, &len);
      if (used == 0) return "nested list segment has a malformed or missing length";
      if (len > n) return "nested list segment has a length larger than the segment";
      next += len;
      if (next > segment.size()) return "nested list segment's lengths add up to more elements than it holds";
      p += used;
      n -= used;
    }
    count = next;
    if (level_ends != nullptr) level_ends[level] = static_cast<uint32_t>(p - begin);
  }
  if (const char* error = CheckElements(type, p, n, count)) return error;
  info->header = header;
  info->count = first_count;
  info->values = static_cast<size_t>(p - begin);
  info->value_count = count;
  return nullptr;
}

absl::StatusOr<FeatureValues> ParseSegment(FeatureType type, int list_depth, std::string_view segment) {
  SegmentInfo info;
  if (const char* error = CheckSegment(type, list_depth, segment, &info)) {
    return absl::InvalidArgumentError(error);
  }
  std::string_view rest = segment.substr(info.values);
  info.count = info.value_count;
  switch (type) {
    case FeatureType::kInt64: {
      std::vector<int64_t> values;
      values.reserve(info.count);
      for (uint64_t i = 0; i < info.count; ++i) {
        uint64_t v = 0;
        GetVarint64(&rest, &v);  // checked above
        values.push_back(static_cast<int64_t>(v));
      }
      return FeatureValues(std::move(values));
    }
    case FeatureType::kFloat: {
      std::vector<float> values(info.count);
      for (uint64_t i = 0; i < info.count; ++i) {
        const uint32_t bits = DecodeFixed32(rest.data() + i * kFloatSegmentLength);
        std::memcpy(&values[i], &bits, sizeof(bits));
      }
      return FeatureValues(std::move(values));
    }
    case FeatureType::kBytes: {
      std::vector<std::string> values;
      values.reserve(info.count);
      for (uint64_t i = 0; i < info.count; ++i) {
        rest.remove_prefix(1);  // kBytesValueTag
        uint64_t len = 0;
        GetVarint64(&rest, &len);
        values.emplace_back(rest.substr(0, len));
        rest.remove_prefix(len);
      }
      return FeatureValues(std::move(values));
    }
  }
  return absl::InternalError("unknown FeatureType");
}

absl::StatusOr<std::vector<std::string_view>> SplitPayload(std::string_view payload, size_t num_segments) {
  std::vector<std::string_view> segments;
  segments.reserve(num_segments);
  std::string_view rest = payload;
  for (size_t i = 0; i < num_segments; ++i) {
    const size_t offset = payload.size() - rest.size();
    uint64_t len = 0;
    if (!GetVarint64(&rest, &len)) {
      return absl::InvalidArgumentError(
          fmt::format("measurement payload: malformed length of segment {} at byte {}", i, offset));
    }
    if (len > rest.size()) {
      return absl::InvalidArgumentError(fmt::format(
          "measurement payload: segment {} at byte {} is {} bytes, but only {} remain", i, offset, len, rest.size()));
    }
    segments.push_back(rest.substr(0, len));
    rest.remove_prefix(len);
  }
  if (!rest.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("measurement payload: {} bytes after the last of {} segments", rest.size(), num_segments));
  }
  return segments;
}

std::string RenderSegment(FeatureType type, int list_depth, std::string_view segment) {
  absl::StatusOr<FeatureValues> values = ParseSegment(type, list_depth, segment);
  if (!values.ok()) return fmt::format("<malformed {}-byte segment>", segment.size());
  // The list structure: lengths of every level (checked above).
  std::vector<std::vector<uint64_t>> levels;
  if (list_depth > 0) {
    std::string_view rest = segment;
    uint64_t count = 0;
    GetVarint64(&rest, &count);
    levels.push_back({count});
    for (int level = 1; level < list_depth; ++level) {
      std::vector<uint64_t> lengths;
      uint64_t next = 0;
      for (uint64_t i = 0; i < count; ++i) {
        uint64_t len = 0;
        GetVarint64(&rest, &len);
        lengths.push_back(len);
        next += len;
      }
      levels.push_back(std::move(lengths));
      count = next;
    }
  }
  constexpr size_t kMaxElements = 8;
  std::string out;
  const auto render = [&](const auto& vec) {
    using T = std::decay_t<decltype(vec[0])>;
    const auto element = [&](size_t i) {
      if constexpr (std::is_same_v<T, std::string>) {
        AppendQuoted(vec[i], &out);
      } else {
        out.append(fmt::format("{}", vec[i]));
      }
    };
    if (list_depth == 0) {
      if (!vec.empty()) element(0);
      return;
    }
    // next[k]: the next unrendered list of level k; value: the next element.
    std::vector<size_t> next(levels.size(), 0);
    size_t value = 0;
    std::function<void(int, uint64_t)> list = [&](int level, uint64_t length) {
      out.push_back('[');
      const size_t shown = std::min<uint64_t>(length, kMaxElements);
      for (uint64_t i = 0; i < length; ++i) {
        if (i > 0 && i < shown) out.append(", ");
        if (level + 1 == list_depth) {
          if (i < shown) element(value);
          ++value;
        } else {
          const uint64_t inner = levels[level + 1][next[level + 1]++];
          if (i < shown) {
            list(level + 1, inner);
          } else {  // skip the hidden list's contents
            std::function<void(int, uint64_t)> skip = [&](int l, uint64_t len) {
              for (uint64_t j = 0; j < len; ++j) {
                if (l + 1 == list_depth)
                  ++value;
                else
                  skip(l + 1, levels[l + 1][next[l + 1]++]);
              }
            };
            skip(level + 1, inner);
          }
        }
      }
      if (shown < length) out.append(fmt::format(", ... ({} elements)", length));
      out.push_back(']');
    };
    list(0, levels[0][0]);
  };
  std::visit(
      [&](const auto& vec) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(vec)>, std::monostate>) render(vec);
      },
      *values);
  return out;
}

}  // namespace proberows
