#include "example/segment.h"

#include <cmath>
#include <cstring>
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

const char* CheckListSegment(FeatureType type, std::string_view segment, SegmentInfo* info) {
  const auto* p = reinterpret_cast<const unsigned char*>(segment.data());
  size_t n = segment.size();
  uint64_t count = 0;
  const size_t header = internal::ReadCanonicalVarint(p, n, &count);
  if (header == 0) return "list segment does not start with a canonical varint count";
  p += header;
  n -= header;
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
  info->header = header;
  info->count = count;
  return nullptr;
}

absl::StatusOr<FeatureValues> ParseSegment(FeatureType type, bool is_list, std::string_view segment) {
  SegmentInfo info;
  if (const char* error = CheckSegment(type, is_list, segment, &info)) {
    return absl::InvalidArgumentError(error);
  }
  std::string_view rest = segment.substr(info.header);
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

std::string RenderSegment(FeatureType type, bool is_list, std::string_view segment) {
  absl::StatusOr<FeatureValues> values = ParseSegment(type, is_list, segment);
  if (!values.ok()) return fmt::format("<malformed {}-byte segment>", segment.size());
  constexpr size_t kMaxElements = 8;
  std::string out;
  const auto render = [&](const auto& vec) {
    if (is_list) out.push_back('[');
    const size_t shown = std::min(vec.size(), kMaxElements);
    for (size_t i = 0; i < shown; ++i) {
      if (i > 0) out.append(", ");
      using T = std::decay_t<decltype(vec[i])>;
      if constexpr (std::is_same_v<T, std::string>) {
        AppendQuoted(vec[i], &out);
      } else {
        out.append(fmt::format("{}", vec[i]));
      }
    }
    if (shown < vec.size()) out.append(fmt::format(", ... ({} elements)", vec.size()));
    if (is_list) out.push_back(']');
  };
  std::visit(
      [&](const auto& vec) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(vec)>, std::monostate>) render(vec);
      },
      *values);
  return out;
}

}  // namespace proberows
