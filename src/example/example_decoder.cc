// DecodeExample: a strict protobuf wire parser for tf.train.Example.
//
// It follows protobuf's parsing semantics (message fields merge, the last
// map entry for a key wins, a oneof keeps the last member, unknown fields and
// fields with an unexpected wire type are skipped) and reports every
// malformation with its absolute byte offset. Each nested message is parsed
// within the bounds of its length prefix, so nothing is ever read outside the
// input.
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "example/utf8.h"
#include "proberows/example.h"
#include "util/varint.h"

namespace proberows {
namespace {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

#define RETURN_IF_ERROR_(expr) \
  do {                         \
    absl::Status _s = (expr);  \
    if (!_s.ok()) return _s;   \
  } while (0)

// protobuf's default recursion limit: nested messages plus groups.
constexpr int kMaxDepth = 100;

class Decoder {
 public:
  explicit Decoder(std::string_view input) : base_(input.data()) {}

  absl::Status ParseExample(const char* p, const char* end, DecodedExample* out) {
    while (p < end) {
      Tag tag{};
      RETURN_IF_ERROR_(ReadTag(&p, end, "Example", &tag));
      if (tag.field == 1 && tag.wire_type == kLengthDelimited) {
        const char* sub_end = nullptr;
        RETURN_IF_ERROR_(ReadLength(&p, end, "Example.features", &sub_end));
        RETURN_IF_ERROR_(ParseFeatures(p, sub_end, out));
        p = sub_end;
      } else {
        RETURN_IF_ERROR_(SkipField(&p, end, tag, "Example", 1));
      }
    }
    return absl::OkStatus();
  }

 private:
  struct Tag {
    uint32_t field;
    uint32_t wire_type;
    const char* at;  // first byte of the tag
  };

  // A label for an error message: a string, or a function building one (so
  // that the hot path formats nothing).
  template <typename What>
  static std::string Describe(const What& what) {
    if constexpr (std::is_invocable_v<What>) {
      return what();
    } else {
      return std::string(what);
    }
  }

  size_t Offset(const char* p) const { return static_cast<size_t>(p - base_); }

  absl::Status Error(const char* at, std::string_view what) const {
    return absl::DataLossError(fmt::format("malformed tf.train.Example at byte offset {}: {}", Offset(at), what));
  }

  // Reads a varint of at most 10 bytes / 64 bits. `what` names the value
  // for the error message.
  template <typename What>
  absl::Status ReadVarint(const char** p, const char* end, const What& what, uint64_t* value) const {
    const char* start = *p;
    const auto left = static_cast<size_t>(end - start);
    uint64_t result = 0;
    for (size_t i = 0; i < kMaxVarint64Length; ++i) {
      if (i >= left) {
        return Error(start,
                     fmt::format("truncated varint ({}): input ends at byte offset {}", Describe(what), Offset(end)));
      }
      const uint64_t byte = static_cast<unsigned char>(start[i]);
      if (i == 9 && byte > 1) break;
      result |= (byte & 0x7f) << (7 * i);
      if (byte < 0x80) {
        *p = start + i + 1;
        *value = result;
        return absl::OkStatus();
      }
    }
    return Error(start, fmt::format("varint overflows 64 bits ({})", Describe(what)));
  }

  // Reads a tag as protobuf does: at most 5 bytes, a 32-bit value, field
  // number >= 1, wire type 0..5.
  absl::Status ReadTag(const char** p, const char* end, const char* message, Tag* tag) const {
    const char* start = *p;
    const auto left = static_cast<size_t>(end - start);
    uint64_t result = 0;
    size_t i = 0;
    for (;; ++i) {
      if (i == 5) return Error(start, fmt::format("tag longer than 5 bytes in {}", message));
      if (i >= left) {
        return Error(start, fmt::format("truncated tag in {}: input ends at byte offset {}", message, Offset(end)));
      }
      const uint64_t byte = static_cast<unsigned char>(start[i]);
      result |= (byte & 0x7f) << (7 * i);
      if (byte < 0x80) break;
    }
    if (result > std::numeric_limits<uint32_t>::max()) {
      return Error(start, fmt::format("tag overflows 32 bits in {}", message));
    }
    tag->field = static_cast<uint32_t>(result >> 3);
    tag->wire_type = static_cast<uint32_t>(result & 7);
    tag->at = start;
    if (tag->field == 0) {
      return Error(start, fmt::format("field number 0 in {} (tag {:#x})", message, result));
    }
    if (tag->wire_type > kFixed32) {
      return Error(start, fmt::format("invalid wire type {} for field {} in {}", tag->wire_type, tag->field, message));
    }
    *p = start + i + 1;
    return absl::OkStatus();
  }

  // Reads the length prefix of a length-delimited field and checks that the
  // payload fits in [*p, end); sets *p to the payload and *sub_end past it.
  template <typename What>
  absl::Status ReadLength(const char** p, const char* end, const What& field, const char** sub_end) const {
    const char* start = *p;
    uint64_t len = 0;
    RETURN_IF_ERROR_(ReadVarint(
        p, end, [&] { return fmt::format("length of {}", Describe(field)); }, &len));
    const auto left = static_cast<uint64_t>(end - *p);
    if (len > left) {
      return Error(start, fmt::format("length {} of {} runs past the end of its enclosing "
                                      "message (only {} bytes left, up to byte offset {})",
                                      len, Describe(field), left, Offset(end)));
    }
    *sub_end = *p + len;
    return absl::OkStatus();
  }

  // Skips the value of a field whose tag has just been read.
  absl::Status SkipField(const char** p, const char* end, const Tag& tag, const char* message, int depth) const {
    switch (tag.wire_type) {
      case kVarint: {
        uint64_t ignored = 0;
        return ReadVarint(
            p, end, [&] { return fmt::format("unknown field {} of {}", tag.field, message); }, &ignored);
      }
      case kFixed64:
      case kFixed32: {
        const size_t size = tag.wire_type == kFixed64 ? 8 : 4;
        if (static_cast<size_t>(end - *p) < size) {
          return Error(*p, fmt::format("truncated {}-byte value of unknown field {} of {}: only "
                                       "{} bytes left",
                                       size, tag.field, message, end - *p));
        }
        *p += size;
        return absl::OkStatus();
      }
      case kLengthDelimited: {
        const char* sub_end = nullptr;
        RETURN_IF_ERROR_(ReadLength(
            p, end, [&] { return fmt::format("unknown field {} of {}", tag.field, message); }, &sub_end));
        *p = sub_end;
        return absl::OkStatus();
      }
      case kStartGroup: {
        if (depth + 1 > kMaxDepth) {
          return Error(tag.at, fmt::format("nesting deeper than {} (group {} in {})", kMaxDepth, tag.field, message));
        }
        while (true) {
          if (*p >= end) {
            return Error(tag.at, fmt::format("group {} in {} has no end-group tag before byte "
                                             "offset {}",
                                             tag.field, message, Offset(end)));
          }
          Tag inner{};
          RETURN_IF_ERROR_(ReadTag(p, end, "a group", &inner));
          if (inner.wire_type == kEndGroup) {
            if (inner.field != tag.field) {
              return Error(inner.at, fmt::format("end-group tag of field {} closes group {}", inner.field, tag.field));
            }
            return absl::OkStatus();
          }
          RETURN_IF_ERROR_(SkipField(p, end, inner, "a group", depth + 1));
        }
      }
      case kEndGroup:
        return Error(tag.at, fmt::format("end-group tag of field {} outside any group in {}", tag.field, message));
      default: return Error(tag.at, "invalid wire type");  // ReadTag rejects these
    }
  }

  absl::Status ParseFeatures(const char* p, const char* end, DecodedExample* out) {
    while (p < end) {
      Tag tag{};
      RETURN_IF_ERROR_(ReadTag(&p, end, "Features", &tag));
      if (tag.field == 1 && tag.wire_type == kLengthDelimited) {
        const char* sub_end = nullptr;
        RETURN_IF_ERROR_(ReadLength(&p, end, "a Features.feature map entry", &sub_end));
        std::string key;
        FeatureValues value;
        RETURN_IF_ERROR_(ParseEntry(p, sub_end, &key, &value));
        (*out)[std::move(key)] = std::move(value);  // the last entry for a key wins
        p = sub_end;
      } else {
        RETURN_IF_ERROR_(SkipField(&p, end, tag, "Features", 2));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseEntry(const char* p, const char* end, std::string* key, FeatureValues* value) {
    while (p < end) {
      Tag tag{};
      RETURN_IF_ERROR_(ReadTag(&p, end, "a feature map entry", &tag));
      if (tag.field == 1 && tag.wire_type == kLengthDelimited) {
        const char* sub_end = nullptr;
        RETURN_IF_ERROR_(ReadLength(&p, end, "the feature name", &sub_end));
        key->assign(p, sub_end);
        if (!IsValidUtf8(*key)) {
          return Error(tag.at, "feature name is not valid UTF-8");
        }
        p = sub_end;
      } else if (tag.field == 2 && tag.wire_type == kLengthDelimited) {
        const char* sub_end = nullptr;
        RETURN_IF_ERROR_(ReadLength(&p, end, "a Feature", &sub_end));
        RETURN_IF_ERROR_(ParseFeature(p, sub_end, value));
        p = sub_end;
      } else {
        RETURN_IF_ERROR_(SkipField(&p, end, tag, "a feature map entry", 3));
      }
    }
    return absl::OkStatus();
  }

  // Merges a Feature into *value: the same list kind appends, another kind
  // replaces (a oneof keeps its last member).
  absl::Status ParseFeature(const char* p, const char* end, FeatureValues* value) {
    while (p < end) {
      Tag tag{};
      RETURN_IF_ERROR_(ReadTag(&p, end, "Feature", &tag));
      if (tag.wire_type == kLengthDelimited && tag.field >= 1 && tag.field <= 3) {
        const char* sub_end = nullptr;
        switch (tag.field) {
          case 1:
            RETURN_IF_ERROR_(ReadLength(&p, end, "Feature.bytes_list", &sub_end));
            if (!std::holds_alternative<std::vector<std::string>>(*value)) {
              value->emplace<std::vector<std::string>>();
            }
            RETURN_IF_ERROR_(ParseBytesList(p, sub_end, &std::get<std::vector<std::string>>(*value)));
            break;
          case 2:
            RETURN_IF_ERROR_(ReadLength(&p, end, "Feature.float_list", &sub_end));
            if (!std::holds_alternative<std::vector<float>>(*value)) {
              value->emplace<std::vector<float>>();
            }
            RETURN_IF_ERROR_(ParseFloatList(p, sub_end, &std::get<std::vector<float>>(*value)));
            break;
          default:
            RETURN_IF_ERROR_(ReadLength(&p, end, "Feature.int64_list", &sub_end));
            if (!std::holds_alternative<std::vector<int64_t>>(*value)) {
              value->emplace<std::vector<int64_t>>();
            }
            RETURN_IF_ERROR_(ParseInt64List(p, sub_end, &std::get<std::vector<int64_t>>(*value)));
            break;
        }
        p = sub_end;
      } else {
        RETURN_IF_ERROR_(SkipField(&p, end, tag, "Feature", 4));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseBytesList(const char* p, const char* end, std::vector<std::string>* values) {
    while (p < end) {
      Tag tag{};
      RETURN_IF_ERROR_(ReadTag(&p, end, "BytesList", &tag));
      if (tag.field == 1 && tag.wire_type == kLengthDelimited) {
        const char* sub_end = nullptr;
        RETURN_IF_ERROR_(ReadLength(&p, end, "a BytesList value", &sub_end));
        values->emplace_back(p, sub_end);
        p = sub_end;
      } else {
        RETURN_IF_ERROR_(SkipField(&p, end, tag, "BytesList", 5));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseFloatList(const char* p, const char* end, std::vector<float>* values) {
    const auto append = [values](const char* q, size_t count) {
      const size_t old = values->size();
      values->resize(old + count);
      for (size_t i = 0; i < count; ++i) {
        const uint32_t bits = DecodeFixed32(q + 4 * i);
        std::memcpy(&(*values)[old + i], &bits, sizeof(bits));
      }
    };
    while (p < end) {
      Tag tag{};
      RETURN_IF_ERROR_(ReadTag(&p, end, "FloatList", &tag));
      if (tag.field == 1 && tag.wire_type == kLengthDelimited) {  // packed
        const char* sub_end = nullptr;
        RETURN_IF_ERROR_(ReadLength(&p, end, "packed FloatList values", &sub_end));
        const auto size = static_cast<size_t>(sub_end - p);
        if (size % 4 != 0) {
          return Error(tag.at, fmt::format("packed FloatList values are {} bytes, not a multiple "
                                           "of 4",
                                           size));
        }
        append(p, size / 4);
        p = sub_end;
      } else if (tag.field == 1 && tag.wire_type == kFixed32) {  // unpacked
        if (end - p < 4) {
          return Error(p, fmt::format("truncated FloatList value: only {} bytes left", end - p));
        }
        append(p, 1);
        p += 4;
      } else {
        RETURN_IF_ERROR_(SkipField(&p, end, tag, "FloatList", 5));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ParseInt64List(const char* p, const char* end, std::vector<int64_t>* values) {
    while (p < end) {
      Tag tag{};
      RETURN_IF_ERROR_(ReadTag(&p, end, "Int64List", &tag));
      if (tag.field == 1 && tag.wire_type == kLengthDelimited) {  // packed
        const char* sub_end = nullptr;
        RETURN_IF_ERROR_(ReadLength(&p, end, "packed Int64List values", &sub_end));
        while (p < sub_end) {
          uint64_t v = 0;
          RETURN_IF_ERROR_(ReadVarint(&p, sub_end, "packed Int64List value", &v));
          values->push_back(static_cast<int64_t>(v));
        }
      } else if (tag.field == 1 && tag.wire_type == kVarint) {  // unpacked
        uint64_t v = 0;
        RETURN_IF_ERROR_(ReadVarint(&p, end, "Int64List value", &v));
        values->push_back(static_cast<int64_t>(v));
      } else {
        RETURN_IF_ERROR_(SkipField(&p, end, tag, "Int64List", 5));
      }
    }
    return absl::OkStatus();
  }

#undef RETURN_IF_ERROR_

  const char* base_;
};

}  // namespace

absl::StatusOr<DecodedExample> DecodeExample(std::string_view bytes) {
  DecodedExample out;
  Decoder decoder(bytes);
  absl::Status status = decoder.ParseExample(bytes.data(), bytes.data() + bytes.size(), &out);
  if (!status.ok()) return status;
  return out;
}

}  // namespace proberows
