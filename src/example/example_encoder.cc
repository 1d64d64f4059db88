// ExampleEncoder: builds a serialized tf.train.Example from pre-encoded
// segments.
//
// EncodeRow runs in three passes over a row:
//  1. parse every payload once into segment (pointer, size, element count)
//     records, checking each segment against its column's type;
//  2. compute the size of every feature, map entry and the whole message;
//  3. grow the output once (without zero-filling it, through EncodeRowTo)
//     and write it front to back with memcpy.
// The segment records live in a per-thread scratch object, so a steady-state
// row allocates nothing except the output growth.
#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "example/segment.h"
#include "example/utf8.h"
#include "proberows/example.h"
#include "util/small_copy.h"
#include "util/varint.h"

namespace proberows {
namespace {

// Feature.kind oneof tags (field number << 3 | wire type 2).
constexpr char kBytesListTag = 0x0a;
constexpr char kFloatListTag = 0x12;
constexpr char kInt64ListTag = 0x1a;
// Tags of Example.features, Features.feature (map entry), the entry's value,
// and a packed XxxList.value: all length-delimited.
constexpr char kField1Tag = 0x0a;
constexpr char kField2Tag = 0x12;

// protobuf refuses to parse or serialize messages of 2 GiB or more.
constexpr size_t kMaxMessageSize = std::numeric_limits<int32_t>::max();

// One segment of one measurement. A row holds one per measurement and
// column, so it is kept to 16 bytes (a key with 354K measurements and 19
// columns: 108 MB of them, not 215): a segment fits the row's 2 GiB limit
// in 32 bits, and a list's element count is read again from its header
// where it is needed.
struct Segment {
  const char* data;
  uint32_t size;
  uint32_t header;  // bytes of varint(count) before the elements (lists only; 0 for scalars)

  // The element count: 1 for a scalar, else the list's leading varint.
  uint64_t count() const {
    if (header == 0) return 1;
    std::string_view s(data, header);
    uint64_t count = 0;
    GetVarint64(&s, &count);  // checked when the segment was split
    return count;
  }
};
static_assert(sizeof(Segment) == 16);

// Sizes of one output feature within the row being encoded.
struct FeatureSizes {
  size_t content;  // packed run (numbers) or concatenated values (bytes)
  size_t list;     // the XxxList message
  size_t feature;  // the Feature message
  size_t entry;    // the map entry message
};

// Per-thread scratch space reused across rows.
struct Scratch {
  std::vector<Segment> segments;  // [measurement * payload_columns + slot]
  std::vector<FeatureSizes> sizes;
  // Level ends (CheckListSegment) of the nested-list segments (depth > 1):
  // [measurement * nested_bounds + the slot's offset + level].
  std::vector<uint32_t> bounds;
};

Scratch& ThreadScratch() {
  static thread_local Scratch scratch;
  return scratch;
}

// Drops scratch memory retained after an unusually large row.
void TrimScratch(Scratch& scratch) {
  constexpr size_t kKeepSegments = size_t{1} << 20;
  if (scratch.segments.capacity() > kKeepSegments) {
    std::vector<Segment>().swap(scratch.segments);
  }
  if (scratch.bounds.capacity() > kKeepSegments) {
    std::vector<uint32_t>().swap(scratch.bounds);
  }
}

const char* TypeName(FeatureType type) {
  switch (type) {
    case FeatureType::kInt64: return "int64";
    case FeatureType::kFloat: return "float32";
    case FeatureType::kBytes: return "bytes";
  }
  return "?";
}

char ListTag(FeatureType type) {
  switch (type) {
    case FeatureType::kInt64: return kInt64ListTag;
    case FeatureType::kFloat: return kFloatListTag;
    case FeatureType::kBytes: return kBytesListTag;
  }
  return kBytesListTag;
}

// A column name for messages: quoted when it is valid UTF-8 (Create() checks
// that), escaped otherwise.
std::string QuoteName(std::string_view name) {
  if (IsValidUtf8(name)) return fmt::format("'{}'", name);
  std::string out = "'";
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      out.append(fmt::format("\\x{:02x}", u));
    }
  }
  out.push_back('\'');
  return out;
}

std::string ListLabel(const ColumnSpec& c) {
  if (c.list_depth == 0) return "";
  if (c.list_depth == 1) return "list ";
  return fmt::format("{}-level list ", c.list_depth);
}

std::string ColumnLabel(const ColumnSpec& c) {
  return fmt::format("{}{} column {}", ListLabel(c), TypeName(c.type), QuoteName(c.name));
}

}  // namespace

absl::StatusOr<ExampleEncoder> ExampleEncoder::Create(std::vector<ColumnSpec> schema,
                                                      std::vector<std::string> row_int64_features) {
  using Source = OutputFeature::Source;
  ExampleEncoder enc;
  enc.schema_ = std::move(schema);
  const std::vector<ColumnSpec>& cols = enc.schema_;

  // Names: UTF-8, unique.
  std::map<std::string_view, size_t> by_name;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (!IsValidUtf8(cols[i].name)) {
      return absl::InvalidArgumentError(
          fmt::format("column {} (column {}) is not valid UTF-8: protobuf requires feature names to be "
                      "UTF-8",
                      QuoteName(cols[i].name), i));
    }
    auto [it, inserted] = by_name.emplace(cols[i].name, i);
    if (!inserted) {
      return absl::InvalidArgumentError(
          fmt::format("duplicate column name {} (columns {} and {})", QuoteName(cols[i].name), it->second, i));
    }
  }

  // Exactly one scalar key.
  std::vector<size_t> keys;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].role == ColumnRole::kKey) keys.push_back(i);
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError("schema has no key column: exactly one column must have role kKey");
  }
  if (keys.size() > 1) {
    std::string names;
    for (size_t k : keys) names += (names.empty() ? "" : ", ") + QuoteName(cols[k].name);
    return absl::InvalidArgumentError(
        fmt::format("schema has {} key columns ({}): exactly one column must have role kKey", keys.size(), names));
  }
  enc.key_index_ = keys[0];
  for (size_t i = 0; i < cols.size(); ++i) {
    if (cols[i].list_depth < 0 || cols[i].list_depth > kMaxListDepth) {
      return absl::InvalidArgumentError(fmt::format("column {} nests {} lists; at most {} are supported",
                                                    QuoteName(cols[i].name), cols[i].list_depth, kMaxListDepth));
    }
  }
  if (cols[enc.key_index_].list_depth > 0) {
    return absl::InvalidArgumentError(
        fmt::format("key column {} is a list: the key must be a scalar", QuoteName(cols[enc.key_index_].name)));
  }

  // Payload slots and output features.
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i == enc.key_index_) continue;
    const size_t slot = enc.payload_columns_.size();
    enc.payload_columns_.push_back(i);
    if (cols[i].role == ColumnRole::kStatic) enc.static_slots_.push_back(slot);
    if (cols[i].role == ColumnRole::kStatic && cols[i].key_part) enc.key_part_slots_.push_back(slot);
    if (cols[i].list_depth > 1) {
      enc.nested_slots_.push_back({slot, enc.nested_bounds_});
      enc.nested_bounds_ += static_cast<size_t>(cols[i].list_depth);
    }
  }
  const auto make = [&](std::string name, FeatureType type, Source source, size_t column, size_t slot, int level = 0) {
    OutputFeature f;
    f.entry_key.push_back(kField1Tag);
    PutVarint64(&f.entry_key, name.size());
    f.entry_key += name;
    f.name = std::move(name);
    f.type = type;
    f.source = source;
    f.is_static = cols[column].role == ColumnRole::kStatic;
    f.column = column;
    f.payload_slot = slot;
    f.level = level;
    f.depth = cols[column].list_depth;
    for (const auto& [nested_slot, offset] : enc.nested_slots_)
      if (nested_slot == slot && source != Source::kKey && source != Source::kRowValue) f.bounds_offset = offset;
    enc.features_.push_back(std::move(f));
  };
  if (!cols[enc.key_index_].hidden)
    make(cols[enc.key_index_].name, cols[enc.key_index_].type, Source::kKey, enc.key_index_, 0);
  for (size_t slot = 0; slot < enc.payload_columns_.size(); ++slot) {
    const size_t i = enc.payload_columns_[slot];
    const ColumnSpec& c = cols[i];
    if (c.list_depth > 0) {
      make(c.name + std::string(kRaggedValuesSuffix), c.type, Source::kRaggedValues, i, slot);
      for (int level = 0; level < c.list_depth; ++level) {
        make(c.name + std::string(kRaggedRowLengthsPrefix) + std::to_string(level), FeatureType::kInt64,
             Source::kRaggedRowLengths, i, slot, level);
      }
    } else {
      make(c.name, c.type, c.role == ColumnRole::kStatic ? Source::kStaticScalar : Source::kScalar, i, slot);
    }
  }
  for (size_t v = 0; v < row_int64_features.size(); ++v)
    make(row_int64_features[v], FeatureType::kInt64, Source::kRowValue, enc.key_index_, v);
  enc.row_values_ = row_int64_features.size();

  // Feature names must be unique: a column literally named "x/ragged_flat_values"
  // next to a list column "x" would write that feature twice.
  std::stable_sort(enc.features_.begin(), enc.features_.end(),
                   [](const OutputFeature& a, const OutputFeature& b) { return a.name < b.name; });
  for (size_t i = 1; i < enc.features_.size(); ++i) {
    const OutputFeature& a = enc.features_[i - 1];
    const OutputFeature& b = enc.features_[i];
    if (a.name != b.name) continue;
    if (a.source == Source::kRowValue || b.source == Source::kRowValue) {
      const OutputFeature& col = a.source == Source::kRowValue ? b : a;
      if (col.source == Source::kRowValue)
        return absl::InvalidArgumentError(fmt::format("row feature {} is given twice", QuoteName(a.name)));
      return absl::InvalidArgumentError(fmt::format(
          "feature name collision: {}column {} and the row feature {} of cut rows both produce feature {}",
          ListLabel(cols[col.column]), QuoteName(cols[col.column].name), QuoteName(a.name), QuoteName(a.name)));
    }
    const ColumnSpec& ca = cols[std::min(a.column, b.column)];
    const ColumnSpec& cb = cols[std::max(a.column, b.column)];
    return absl::InvalidArgumentError(
        fmt::format("feature name collision: {}column {} and {}column {} both produce feature {}", ListLabel(ca),
                    QuoteName(ca.name), ListLabel(cb), QuoteName(cb.name), QuoteName(a.name)));
  }
  return enc;
}

std::vector<FeatureDescription> ExampleEncoder::Features() const {
  using Source = OutputFeature::Source;
  std::vector<FeatureDescription> out;
  out.reserve(features_.size());
  for (const OutputFeature& f : features_) {
    FeatureDescription d;
    d.name = f.name;
    d.dtype = TypeName(f.type);
    switch (f.source) {
      case Source::kKey:
      case Source::kRowValue:
      case Source::kStaticScalar: d.kind = "per_row"; break;
      case Source::kScalar: d.kind = "per_measurement"; break;
      case Source::kRaggedValues: d.kind = "ragged_values"; break;
      case Source::kRaggedRowLengths: d.kind = "ragged_row_lengths"; break;
    }
    d.source_column = f.source == Source::kRowValue ? f.name : schema_[f.column].name;
    d.level = f.level;
    out.push_back(std::move(d));
  }
  return out;
}

absl::Status ExampleEncoder::EncodeRow(std::string_view key_segment, std::span<const std::string_view> payloads,
                                       std::string* out, Trust trust, std::span<const int64_t> row_values) const {
  return EncodeRowTo(
      key_segment, payloads,
      [out](size_t n) {
        const size_t old_size = out->size();
        out->resize(old_size + n);
        return out->data() + old_size;
      },
      trust, row_values);
}

absl::Status ExampleEncoder::EncodeRowTo(std::string_view key_segment, std::span<const std::string_view> payloads,
                                         absl::FunctionRef<char*(size_t)> grow, Trust trust,
                                         std::span<const int64_t> row_values) const {
  const bool trusted = trust == Trust::kOwnSegments;
  if (row_values.size() != row_values_)
    return absl::InternalError(fmt::format("{} row values for {} row features", row_values.size(), row_values_));
  using Source = OutputFeature::Source;
  const ColumnSpec& key_column = schema_[key_index_];
  SegmentInfo info;
  if (const char* error = CheckSegment(key_column.type, 0, key_segment, &info)) {
    return absl::InternalError(fmt::format("malformed key segment for {}: {}", ColumnLabel(key_column), error));
  }
  // A composite key is named by its parts, once pass 1 has split measurement
  // 0's payload into `first_segments`; before that, by its sort bytes.
  const Segment* first_segments = nullptr;
  const auto key_text = [&] {
    if (first_segments == nullptr || key_part_slots_.empty()) return RenderSegment(key_column.type, 0, key_segment);
    std::string text = "(";
    for (size_t slot : key_part_slots_) {
      if (text.size() > 1) text += ", ";
      const Segment& s = first_segments[slot];
      text += RenderSegment(schema_[payload_columns_[slot]].type, 0, std::string_view(s.data, s.size));
    }
    return text + ")";
  };
  const size_t n = payloads.size();
  if (n == 0) {
    return absl::InvalidArgumentError(fmt::format("key {} has no measurements: a row needs at least one", key_text()));
  }

  // Pass 1: split and check every payload.
  Scratch& scratch = ThreadScratch();
  const size_t num_slots = payload_columns_.size();
  scratch.segments.resize(n * num_slots);
  Segment* segments = scratch.segments.data();
  scratch.bounds.resize(n * nested_bounds_);
  uint32_t* bounds = scratch.bounds.data();
  size_t next_nested = 0;  // index into nested_slots_ while walking a payload
  for (size_t m = 0; m < n; ++m) {
    std::string_view rest = payloads[m];
    next_nested = 0;
    for (size_t slot = 0; slot < num_slots; ++slot) {
      const ColumnSpec& c = schema_[payload_columns_[slot]];
      const size_t offset = payloads[m].size() - rest.size();
      uint64_t len = 0;
      if (!GetVarint64(&rest, &len)) {
        TrimScratch(scratch);
        return absl::InternalError(
            fmt::format("corrupt payload of measurement {} of key {}: malformed segment length of {} at "
                        "byte {} (payload is {} bytes)",
                        m, key_text(), ColumnLabel(c), offset, payloads[m].size()));
      }
      if (len > rest.size()) {
        TrimScratch(scratch);
        return absl::InternalError(
            fmt::format("corrupt payload of measurement {} of key {}: segment of {} at byte {} is {} bytes, "
                        "but only {} remain",
                        m, key_text(), ColumnLabel(c), offset, len, rest.size()));
      }
      if (len > kMaxMessageSize) {
        TrimScratch(scratch);
        return absl::OutOfRangeError(fmt::format(
            "row of key {} would be over protobuf's limit of {} bytes per message: measurement {} holds {} bytes of {}",
            key_text(), kMaxMessageSize, m, len, ColumnLabel(c)));
      }
      const std::string_view seg = rest.substr(0, len);
      rest.remove_prefix(len);
      const char* error = nullptr;
      if (trusted && c.list_depth == 0) {
        info.header = 0;
        info.count = 1;
      } else if (trusted && c.list_depth == 1) {
        // The element count; the elements are what the converter wrote.
        std::string_view s = seg;
        uint64_t count = 0;
        if (!GetVarint64(&s, &count)) {
          error = "list segment has no element count";
        } else {
          info.header = seg.size() - s.size();
          info.count = count;
        }
      } else if (c.list_depth > 1) {
        error = CheckListSegment(c.type, c.list_depth, seg, &info,
                                 bounds + m * nested_bounds_ + nested_slots_[next_nested++].second);
      } else {
        error = CheckSegment(c.type, c.list_depth, seg, &info);
      }
      if (error != nullptr) {
        TrimScratch(scratch);
        return absl::InternalError(
            fmt::format("corrupt payload of measurement {} of key {}: segment of {} at byte {}: {}", m, key_text(),
                        ColumnLabel(c), offset, error));
      }
      segments[m * num_slots + slot] =
          Segment{seg.data(), static_cast<uint32_t>(seg.size()), static_cast<uint32_t>(info.header)};
    }
    if (!rest.empty()) {
      TrimScratch(scratch);
      return absl::InternalError(
          fmt::format("corrupt payload of measurement {} of key {}: {} bytes after the last segment "
                      "(payload is {} bytes, {} segments)",
                      m, key_text(), rest.size(), payloads[m].size(), num_slots));
    }
  }

  first_segments = segments;

  // Static columns: one value per key.
  for (size_t slot : static_slots_) {
    const Segment& first = segments[slot];
    for (size_t m = 1; m < n; ++m) {
      const Segment& s = segments[m * num_slots + slot];
      if (s.size == first.size && std::memcmp(s.data, first.data, s.size) == 0) continue;
      const ColumnSpec& c = schema_[payload_columns_[slot]];
      const std::string_view a(first.data, first.size), b(s.data, s.size);
      std::string ra = RenderSegment(c.type, c.list_depth, a);
      std::string rb = RenderSegment(c.type, c.list_depth, b);
      if (ra == rb) {  // e.g. two NaNs with different payloads
        const auto hex = [](std::string_view bytes) {
          std::string h;
          for (char ch : bytes) h += fmt::format("{:02x}", static_cast<unsigned char>(ch));
          return h;
        };
        ra += fmt::format(" (bytes {})", hex(a));
        rb += fmt::format(" (bytes {})", hex(b));
      }
      TrimScratch(scratch);
      return absl::FailedPreconditionError(
          fmt::format("static column {} differs within key {}: measurement 0 has {}, "
                      "measurement {} has {}",
                      QuoteName(c.name), key_text(), ra, m, rb));
    }
  }

  // Pass 2: sizes.
  scratch.sizes.resize(features_.size());
  FeatureSizes* sizes = scratch.sizes.data();
  size_t features_size = 0;
  for (size_t i = 0; i < features_.size(); ++i) {
    const OutputFeature& f = features_[i];
    const size_t rows = f.is_static ? 1 : n;
    const Segment* col =
        f.source == Source::kKey || f.source == Source::kRowValue ? nullptr : segments + f.payload_slot;
    size_t content = 0;
    switch (f.source) {
      case Source::kKey: content = key_segment.size(); break;
      case Source::kRowValue: content = VarintLength(static_cast<uint64_t>(row_values[f.payload_slot])); break;
      case Source::kStaticScalar: content = col->size; break;
      case Source::kScalar:
        for (size_t m = 0; m < n; ++m) content += col[m * num_slots].size;
        break;
      case Source::kRaggedValues:
        if (f.depth > 1) {
          for (size_t m = 0; m < rows; ++m) {
            content += col[m * num_slots].size - bounds[m * nested_bounds_ + f.bounds_offset + f.depth - 1];
          }
        } else {
          for (size_t m = 0; m < rows; ++m) {
            content += col[m * num_slots].size - col[m * num_slots].header;
          }
        }
        break;
      case Source::kRaggedRowLengths:
        if (f.level == 0) {
          for (size_t m = 0; m < rows; ++m) content += VarintLength(col[m * num_slots].count());
        } else {
          for (size_t m = 0; m < rows; ++m) {
            const uint32_t* le = bounds + m * nested_bounds_ + f.bounds_offset;
            content += le[f.level] - le[f.level - 1];
          }
        }
        break;
    }
    FeatureSizes& s = sizes[i];
    s.content = content;
    if (f.type == FeatureType::kBytes) {
      s.list = content;
    } else {
      // Packed: one field holding the run; an empty run is no field at all.
      s.list = content == 0 ? 0 : 1 + VarintLength(content) + content;
    }
    s.feature = 1 + VarintLength(s.list) + s.list;
    s.entry = f.entry_key.size() + 1 + VarintLength(s.feature) + s.feature;
    features_size += 1 + VarintLength(s.entry) + s.entry;
  }
  const size_t total = 1 + VarintLength(features_size) + features_size;
  if (total > kMaxMessageSize) {
    TrimScratch(scratch);
    return absl::OutOfRangeError(
        fmt::format("row of key {} would be {} bytes, over protobuf's limit of {} bytes per message", key_text(), total,
                    kMaxMessageSize));
  }

  // Pass 3: write.
  char* const row = grow(total);
  char* p = row;
  *p++ = kField1Tag;  // Example.features
  p = EncodeVarint64(p, features_size);
  for (size_t i = 0; i < features_.size(); ++i) {
    const OutputFeature& f = features_[i];
    const FeatureSizes& s = sizes[i];
    const size_t rows = f.is_static ? 1 : n;
    const Segment* col =
        f.source == Source::kKey || f.source == Source::kRowValue ? nullptr : segments + f.payload_slot;
    *p++ = kField1Tag;  // Features.feature map entry
    p = EncodeVarint64(p, s.entry);
    std::memcpy(p, f.entry_key.data(), f.entry_key.size());  // entry key
    p += f.entry_key.size();
    *p++ = kField2Tag;  // entry value: Feature
    p = EncodeVarint64(p, s.feature);
    *p++ = ListTag(f.type);
    p = EncodeVarint64(p, s.list);
    if (f.type != FeatureType::kBytes && s.content > 0) {
      *p++ = kField1Tag;  // packed XxxList.value
      p = EncodeVarint64(p, s.content);
    }
    switch (f.source) {
      case Source::kKey:
        std::memcpy(p, key_segment.data(), key_segment.size());
        p += key_segment.size();
        break;
      case Source::kRowValue: p = EncodeVarint64(p, static_cast<uint64_t>(row_values[f.payload_slot])); break;
      case Source::kStaticScalar:
        std::memcpy(p, col->data, col->size);
        p += col->size;
        break;
      case Source::kScalar:
        for (size_t m = 0; m < n; ++m) {
          const Segment& seg = col[m * num_slots];
          p = CopySmall(p, seg.data, seg.size);
        }
        break;
      case Source::kRaggedValues:
        for (size_t m = 0; m < rows; ++m) {
          const Segment& seg = col[m * num_slots];
          const size_t start = f.depth > 1 ? bounds[m * nested_bounds_ + f.bounds_offset + f.depth - 1] : seg.header;
          p = CopySmall(p, seg.data + start, seg.size - start);
        }
        break;
      case Source::kRaggedRowLengths:
        if (f.level == 0) {
          for (size_t m = 0; m < rows; ++m) p = EncodeVarint64(p, col[m * num_slots].count());
        } else {
          for (size_t m = 0; m < rows; ++m) {
            const uint32_t* le = bounds + m * nested_bounds_ + f.bounds_offset;
            p = CopySmall(p, col[m * num_slots].data + le[f.level - 1], le[f.level] - le[f.level - 1]);
          }
        }
        break;
    }
  }
  assert(p == row + total);
  (void)p;
  TrimScratch(scratch);
  return absl::OkStatus();
}

}  // namespace proberows
