#include "source/row_converter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "example/segment.h"
#include "group/record.h"
#include "source/key_codec.h"
#include "util/small_copy.h"
#include "util/varint.h"

namespace proberows {

namespace {

// Everything Convert() needs to read one column of a chunk.
struct ColumnAccess {
  PhysicalType type;
  const void* data = nullptr;
  uint64_t* validity = nullptr;
  // Lists: the child's values and validity.
  const void* child_data = nullptr;
  uint64_t* child_validity = nullptr;
  // Nested lists (depth d > 1): the list entries and validity of levels
  // 1 .. d-1 (levels[k - 1]); child_* are then the innermost values.
  int depth = 0;
  std::vector<std::pair<const duckdb_list_entry*, uint64_t*>> levels;
};

// NULL floats become this quiet NaN (bits 0x7fc00000 as float32).
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Writes one bytes element (0x0a, varint length, bytes); returns the end.
inline char* AppendBytesElement(char* p, std::string_view s) {
  *p++ = kBytesValueTag;
  p = EncodeVarint64(p, s.size());
  return CopySmall(p, s.data(), s.size());
}

inline bool IsValid(const uint64_t* validity, uint64_t row) {
  return validity == nullptr || (validity[row / 64] >> (row % 64)) & 1;
}

}  // namespace

RowConverter::RowConverter(const SourceSchema& schema, uint64_t seed, bool null_lists_as_empty)
    : schema_(schema), seed_(seed), null_lists_as_empty_(null_lists_as_empty) {
  record_.resize(4096);
}

char* RowConverter::Grow(size_t at, size_t need) {
  record_.resize(std::max(2 * record_.size(), at + need));
  return record_.data() + at;
}

absl::Status RowConverter::Convert(duckdb_data_chunk chunk, RecordSink* sink) {
  const size_t ncols = schema_.columns.size();
  if (duckdb_data_chunk_get_column_count(chunk) != ncols)
    return absl::InternalError(
        fmt::format("a chunk has {} columns, expected {}", duckdb_data_chunk_get_column_count(chunk), ncols));
  std::vector<ColumnAccess> access(ncols);
  for (size_t c = 0; c < ncols; ++c) {
    duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
    ColumnAccess& a = access[c];
    a.type = schema_.columns[c].physical;
    a.data = duckdb_vector_get_data(v);
    a.validity = duckdb_vector_get_validity(v);
    if (a.type == PhysicalType::kListInt64 || a.type == PhysicalType::kListDouble ||
        a.type == PhysicalType::kListString) {
      duckdb_vector child = duckdb_list_vector_get_child(v);
      a.child_data = duckdb_vector_get_data(child);
      a.child_validity = duckdb_vector_get_validity(child);
    } else if (a.type == PhysicalType::kNestedInt64 || a.type == PhysicalType::kNestedDouble ||
               a.type == PhysicalType::kNestedString) {
      a.depth = schema_.columns[c].spec.list_depth;
      duckdb_vector level = duckdb_list_vector_get_child(v);
      for (int k = 1; k < a.depth; ++k) {
        a.levels.emplace_back(static_cast<const duckdb_list_entry*>(duckdb_vector_get_data(level)),
                              duckdb_vector_get_validity(level));
        level = duckdb_list_vector_get_child(level);
      }
      a.child_data = duckdb_vector_get_data(level);
      a.child_validity = duckdb_vector_get_validity(level);
    }
  }
  const uint64_t n = duckdb_data_chunk_get_size(chunk);
  const int order_index = schema_.order_index;
  const bool key_is_string = schema_.key_is_string;

  const std::vector<int>& parts = schema_.key_parts;
  char int_key[kIntKeySize];
  for (uint64_t row = 0; row < n; ++row) {
    // Key.
    const ColumnAccess& ka = access[0];
    std::string_view key;
    uint64_t hash;
    if (!parts.empty()) {
      // A composite key: built from its parts (source/key_codec.h).
      composite_key_.clear();
      for (const int c : parts) {
        const ColumnAccess& pa = access[static_cast<size_t>(c)];
        if (!IsValid(pa.validity, row))
          return absl::InvalidArgumentError(fmt::format("key column '{}' is NULL", schema_.columns[c].name));
        if (pa.type == PhysicalType::kString) {
          AppendStringKeyPart(StringAt(static_cast<duckdb_string_t*>(const_cast<void*>(pa.data)), row),
                              &composite_key_);
        } else {
          AppendIntKeyPart(static_cast<const int64_t*>(pa.data)[row], &composite_key_);
        }
      }
      key = composite_key_;
      hash = HashStringKey(key, seed_);
    } else if (!IsValid(ka.validity, row)) {
      return absl::InvalidArgumentError(fmt::format("key column '{}' is NULL", schema_.columns[0].name));
    } else if (key_is_string) {
      key = StringAt(static_cast<duckdb_string_t*>(const_cast<void*>(ka.data)), row);
      hash = HashStringKey(key, seed_);
    } else {
      const int64_t k = static_cast<const int64_t*>(ka.data)[row];
      EncodeIntKey(k, int_key);
      key = std::string_view(int_key, kIntKeySize);
      hash = HashIntKey(k, seed_);
    }
    auto key_text = [&] { return RenderSchemaKey(schema_, key); };

    // Order value.
    uint64_t order = 0;
    {
      const ColumnAccess& oa = access[order_index];
      const std::string& oname = schema_.columns[order_index].name;
      if (!IsValid(oa.validity, row))
        return absl::InvalidArgumentError(fmt::format("order column '{}' is NULL for key {}", oname, key_text()));
      if (oa.type == PhysicalType::kInt64) {
        order = SortableInt64(static_cast<const int64_t*>(oa.data)[row]);
      } else {
        const double d = static_cast<const double*>(oa.data)[row];
        if (std::isnan(d))
          return absl::InvalidArgumentError(fmt::format("order column '{}' is NaN for key {}", oname, key_text()));
        order = SortableDouble(d);
      }
    }

    // record_ is raw storage (its size is its capacity); `p` is the write position.
    char* p = Room(record_.data(), kRecordMaxHeaderSize + key.size());
    p = StartRecordHeader(p, order, static_cast<uint32_t>(key.size()));
    p = CopySmall(p, key.data(), key.size());
    for (size_t c = 1; c < ncols; ++c) {
      const ColumnAccess& a = access[c];
      const bool valid = IsValid(a.validity, row);
      switch (a.type) {
        case PhysicalType::kInt64: {
          if (!valid)
            return absl::InvalidArgumentError(fmt::format(
                "column '{}' is NULL for key {} (NULL is only allowed in float columns, where it becomes NaN)",
                schema_.columns[c].name, key_text()));
          p = Room(p, 1 + kMaxVarint64Length);
          char* end = EncodeInt64Segment(p + 1, static_cast<const int64_t*>(a.data)[row]);
          *p = static_cast<char>(end - p - 1);  // a length < 128 is one varint byte
          p = end;
          break;
        }
        case PhysicalType::kDouble: {
          p = Room(p, 1 + kFloatSegmentLength);
          *p++ = static_cast<char>(kFloatSegmentLength);
          p = EncodeFloatSegment(p, static_cast<float>(valid ? static_cast<const double*>(a.data)[row] : kNaN));
          break;
        }
        case PhysicalType::kString: {
          if (!valid)
            return absl::InvalidArgumentError(fmt::format(
                "column '{}' is NULL for key {} (NULL is only allowed in float columns, where it becomes NaN)",
                schema_.columns[c].name, key_text()));
          const std::string_view s = StringAt(static_cast<duckdb_string_t*>(const_cast<void*>(a.data)), row);
          p = Room(p, 2 * kMaxVarint64Length + 1 + s.size());
          p = EncodeVarint64(p, BytesSegmentLength(s.size()));
          p = AppendBytesElement(p, s);
          break;
        }
        case PhysicalType::kListInt64:
        case PhysicalType::kListDouble:
        case PhysicalType::kListString: {
          duckdb_list_entry entry{0, 0};
          if (valid) {
            entry = static_cast<const duckdb_list_entry*>(a.data)[row];
          } else if (!null_lists_as_empty_) {
            return absl::InvalidArgumentError(fmt::format(
                "column '{}' is NULL for key {} (pass --null-lists-as-empty to read NULL lists as empty lists)",
                schema_.columns[c].name, key_text()));
          }
          size_t seg = VarintLength(entry.length);
          if (a.type == PhysicalType::kListDouble) {
            seg += kFloatSegmentLength * entry.length;
          } else {
            for (uint64_t i = entry.offset; i < entry.offset + entry.length; ++i) {
              if (!IsValid(a.child_validity, i))
                return absl::InvalidArgumentError(
                    fmt::format("column '{}' has a NULL list element for key {} (NULL is only allowed in float lists)",
                                schema_.columns[c].name, key_text()));
              if (a.type == PhysicalType::kListInt64) {
                seg += Int64SegmentLength(static_cast<const int64_t*>(a.child_data)[i]);
              } else {
                seg += BytesSegmentLength(
                    StringAt(static_cast<duckdb_string_t*>(const_cast<void*>(a.child_data)), i).size());
              }
            }
          }
          p = Room(p, kMaxVarint64Length + seg);
          p = EncodeVarint64(p, seg);
          p = EncodeVarint64(p, entry.length);
          for (uint64_t i = entry.offset; i < entry.offset + entry.length; ++i) {
            if (a.type == PhysicalType::kListInt64) {
              p = EncodeInt64Segment(p, static_cast<const int64_t*>(a.child_data)[i]);
            } else if (a.type == PhysicalType::kListDouble) {
              p = EncodeFloatSegment(
                  p, static_cast<float>(IsValid(a.child_validity, i) ? static_cast<const double*>(a.child_data)[i]
                                                                     : kNaN));
            } else {
              p = AppendBytesElement(p, StringAt(static_cast<duckdb_string_t*>(const_cast<void*>(a.child_data)), i));
            }
          }
          break;
        }
        case PhysicalType::kNestedInt64:
        case PhysicalType::kNestedDouble:
        case PhysicalType::kNestedString: {
          absl::Status st = BuildNested(&a, valid ? &static_cast<const duckdb_list_entry*>(a.data)[row] : nullptr,
                                        schema_.columns[c].name, key_text);
          if (!st.ok()) return st;
          p = Room(p, kMaxVarint64Length + nested_.size());
          p = EncodeVarint64(p, nested_.size());
          p = CopySmall(p, nested_.data(), nested_.size());
          break;
        }
      }
    }
    const size_t record_size = static_cast<size_t>(p - record_.data());
    FinishRecordHeader(record_.data(), p);
    absl::Status st = sink->Add(hash, std::string_view(record_.data(), record_size));
    if (!st.ok()) return st;
  }
  rows_ += n;
  return absl::OkStatus();
}

absl::Status RowConverter::BuildNested(const void* access, const duckdb_list_entry* top, const std::string& column,
                                       const std::function<std::string()>& key_text) {
  const ColumnAccess& a = *static_cast<const ColumnAccess*>(access);
  nested_.clear();
  if (top == nullptr && !null_lists_as_empty_) {
    return absl::InvalidArgumentError(
        fmt::format("column '{}' is NULL for key {} (pass --null-lists-as-empty to read NULL lists as empty lists)",
                    column, key_text()));
  }
  // ranges_: the (offset, length) of every list of the current level.
  ranges_.clear();
  ranges_.push_back(top == nullptr ? duckdb_list_entry{0, 0} : *top);
  PutVarint64(&nested_, ranges_[0].length);
  for (int k = 1; k < a.depth; ++k) {
    const auto [entries, validity] = a.levels[k - 1];
    next_ranges_.clear();
    for (const duckdb_list_entry& r : ranges_) {
      for (uint64_t i = r.offset; i < r.offset + r.length; ++i) {
        duckdb_list_entry e{0, 0};
        if (IsValid(validity, i)) {
          e = entries[i];
        } else if (!null_lists_as_empty_) {
          return absl::InvalidArgumentError(
              fmt::format("column '{}' has a NULL list inside a list for key {} (pass --null-lists-as-empty to read "
                          "NULL lists as empty lists)",
                          column, key_text()));
        }
        PutVarint64(&nested_, e.length);
        next_ranges_.push_back(e);
      }
    }
    ranges_.swap(next_ranges_);
  }
  for (const duckdb_list_entry& r : ranges_) {
    for (uint64_t i = r.offset; i < r.offset + r.length; ++i) {
      const bool valid = IsValid(a.child_validity, i);
      switch (a.type) {
        case PhysicalType::kNestedInt64:
          if (!valid)
            return absl::InvalidArgumentError(
                fmt::format("column '{}' has a NULL list element for key {} (NULL is only allowed in float lists)",
                            column, key_text()));
          AppendInt64Segment(&nested_, static_cast<const int64_t*>(a.child_data)[i]);
          break;
        case PhysicalType::kNestedDouble:
          AppendFloatSegment(&nested_, static_cast<float>(valid ? static_cast<const double*>(a.child_data)[i] : kNaN));
          break;
        default:
          if (!valid)
            return absl::InvalidArgumentError(
                fmt::format("column '{}' has a NULL list element for key {} (NULL is only allowed in float lists)",
                            column, key_text()));
          AppendBytesSegment(&nested_, StringAt(static_cast<duckdb_string_t*>(const_cast<void*>(a.child_data)), i));
          break;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace proberows
