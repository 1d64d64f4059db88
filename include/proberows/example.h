// tf.train.Example rows: the schema of a probe row, the row encoder, and a
// strict decoder.
//
// proberows writes one `tf.train.Example` per key (probe). The pipeline turns
// every input measurement into a *measurement payload*: for each non-key
// column, in schema order, the column's value already encoded in its final
// Example wire form (a *segment*, see docs/record-encoding.md and
// src/example/segment.h). ExampleEncoder then builds a whole row from one key
// segment and the n payloads of that key by concatenation plus length headers.
//
// DecodeExample is an independent, strict protobuf wire parser for Example
// (for `proberows cat`, verification and tests); DecodedExampleToJson renders
// its result.
#ifndef PROBEROWS_EXAMPLE_H_
#define PROBEROWS_EXAMPLE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace proberows {

// The element type of a column and of the features it becomes.
enum class FeatureType {
  kInt64,  // int64_list
  kFloat,  // float_list (float32)
  kBytes,  // bytes_list
};

// How a column is laid out in a row.
enum class ColumnRole {
  kKey,             // the grouping key: one value per row
  kStatic,          // constant within a key: one value per row (checked)
  kPerMeasurement,  // one value per measurement
};

// The most list levels a column may nest (LIST of LIST of ... of a scalar).
inline constexpr int kMaxListDepth = 6;

// One input column (after nested types are flattened: one leaf of a STRUCT
// or LIST<STRUCT> column, see docs/record-encoding.md).
struct ColumnSpec {
  std::string name;  // must be valid UTF-8 (protobuf rejects other map keys)
  FeatureType type = FeatureType::kInt64;
  // 0: a scalar; 1: a LIST (two ragged features, `x/ragged_flat_values` and
  // `x/ragged_row_lengths_0`); d > 1: d nested LISTs (d + 1 ragged features,
  // `x/ragged_row_lengths_0` .. `x/ragged_row_lengths_<d-1>`). At most
  // kMaxListDepth.
  int list_depth = 0;
  ColumnRole role = ColumnRole::kPerMeasurement;
  // A kKey column that groups the rows but is written as no feature: the
  // composite key of `--key a,b`, whose parts are kStatic columns.
  bool hidden = false;
  // A kStatic column that is one part of that composite key (parts in schema
  // order). Only for messages: a key is named by its parts' values.
  bool key_part = false;
};

// One output feature, as the pipeline's metadata describes it.
struct FeatureDescription {
  std::string name;           // feature name in the Example
  std::string dtype;          // "int64", "float32" or "bytes"
  std::string kind;           // "per_row" (key and static scalars: 1 value),
                              // "per_measurement" (n values),
                              // "ragged_values" (`x/ragged_flat_values`),
                              // "ragged_row_lengths" (`x/ragged_row_lengths_<level>`:
                              // level 0 holds one length per measurement, or
                              // a single length for a static list column;
                              // level k > 0 one length per list of level k - 1)
  std::string source_column;  // the ColumnSpec::name it comes from
  int level = 0;              // ragged_row_lengths: the level; else 0

  friend bool operator==(const FeatureDescription&, const FeatureDescription&) = default;
};

// Suffixes of the features a list column `x` becomes: the flat values and one
// row-lengths feature per list level (`/ragged_row_lengths_0`, `_1`, ...).
inline constexpr std::string_view kRaggedValuesSuffix = "/ragged_flat_values";
inline constexpr std::string_view kRaggedRowLengthsSuffix = "/ragged_row_lengths_0";
inline constexpr std::string_view kRaggedRowLengthsPrefix = "/ragged_row_lengths_";

// Builds serialized tf.train.Example rows from pre-encoded segments.
//
// Output layout (byte-identical to protobuf's deterministic serialization of
// the same message): features sorted bytewise by name, each once; int64 and
// float lists packed, an empty packed list written as no field at all; the
// key column and every static column as a list of one value; every other
// scalar column as a list of n values in measurement order; a list column `x`
// as `x/ragged_flat_values` plus `x/ragged_row_lengths_0` (and, for nested
// lists of depth d, `x/ragged_row_lengths_1` .. `x/ragged_row_lengths_<d-1>`,
// the lengths of the lists of each deeper level, as TFDS writes a
// Sequence of rank d + 1).
//
// Thread-safety: an encoder is immutable after Create(); EncodeRow may be
// called concurrently from several threads (its scratch space is per thread).
class ExampleEncoder {
 public:
  // Validates `schema` and builds an encoder. InvalidArgument (naming the
  // columns) if: there is not exactly one kKey column; the key column is a
  // list; two columns share a name; a name is not valid UTF-8; or two output
  // feature names collide (a column literally named
  // "rtts/ragged_flat_values" next to a list column "rtts"). Static list
  // columns are allowed: their value is the one list of the key.
  //
  // `row_int64_features`: names of extra int64 features of one value per row
  // that are not input columns (the `row_index` and `window_start` of cut
  // rows); EncodeRow takes their values. A name colliding with a feature of
  // the schema is an InvalidArgument error naming both.
  [[nodiscard]] static absl::StatusOr<ExampleEncoder> Create(std::vector<ColumnSpec> schema,
                                                             std::vector<std::string> row_int64_features = {});

  // Appends one serialized Example to `*out` (existing contents are kept;
  // on error `*out` is left exactly as it was).
  //
  // `key_segment`: the key value as a scalar segment of the key column's type.
  // `payloads`: n >= 1 measurement payloads of this key, in final order; each
  // holds varint(segment_len) + segment for every non-key column in schema
  // order.
  //
  // Errors: FailedPrecondition if a static column's segment differs between
  // measurements (the message names the column, the key and both values);
  // InvalidArgument if `payloads` is empty; Internal if a segment or payload
  // is malformed (lengths not adding up, a segment not of its column's type:
  // a bug in the caller, never a crash); OutOfRange if the row would exceed
  // protobuf's 2 GiB message limit.
  //
  // `trust`: kChecked (the default) checks every segment against its
  // column's type, for input from anywhere. kOwnSegments is for segments
  // proberows' own converter wrote (and that came back through checksummed
  // spill blocks): lengths and bounds are still checked, so a bad payload is
  // an error and never a crash, but not each segment's encoding (canonical
  // varints, bytes-element framing, list element counts of depth-1 lists).
  enum class Trust { kChecked, kOwnSegments };
  //
  // `row_values`: the values of the `row_int64_features` given to Create(),
  // in that order (Internal error if the count differs).
  [[nodiscard]] absl::Status EncodeRow(std::string_view key_segment, std::span<const std::string_view> payloads,
                                       std::string* out, Trust trust = Trust::kChecked,
                                       std::span<const int64_t> row_values = {}) const;

  // The same, for callers that manage their own output memory (std::string
  // zero-fills the room it adds before the row is written over it). Once the
  // row is known to be valid, calls `grow(n)` exactly once with the row's
  // size n; `grow` must return a pointer to n writable bytes, which the row
  // then fills. On error `grow` is not called. The row's bytes are those
  // EncodeRow would append.
  [[nodiscard]] absl::Status EncodeRowTo(std::string_view key_segment, std::span<const std::string_view> payloads,
                                         absl::FunctionRef<char*(size_t)> grow, Trust trust = Trust::kChecked,
                                         std::span<const int64_t> row_values = {}) const;

  // The output features, sorted by name (the order they appear in a row).
  std::vector<FeatureDescription> Features() const;

  // The schema as given to Create().
  const std::vector<ColumnSpec>& schema() const { return schema_; }
  // Index in schema() of the key column.
  size_t key_index() const { return key_index_; }
  // Indices in schema() of the non-key columns: the segment order of a
  // measurement payload.
  const std::vector<size_t>& payload_columns() const { return payload_columns_; }

 private:
  // One output feature and how to fill it.
  struct OutputFeature {
    enum class Source : uint8_t {
      kKey,               // the key segment, one value
      kStaticScalar,      // measurement 0's segment, one value
      kScalar,            // every measurement's segment
      kRaggedValues,      // list elements; static: measurement 0's only
      kRaggedRowLengths,  // element counts; static: measurement 0's only
      kRowValue,          // row_values[payload_slot], one int64 value
    };
    std::string name;
    std::string entry_key;                   // 0x0a varint(name.size()) name: the map entry key field
    FeatureType type = FeatureType::kInt64;  // element type (int64 for row lengths)
    Source source = Source::kKey;
    bool is_static = false;    // ragged features of a static list column
    size_t column = 0;         // index in schema()
    size_t payload_slot = 0;   // index in payload_columns() (unused for kKey)
    int level = 0;             // kRaggedRowLengths: the list level
    int depth = 0;             // the column's list_depth
    size_t bounds_offset = 0;  // depth > 1: the column's offset in a measurement's level bounds
  };

  ExampleEncoder() = default;

  std::vector<ColumnSpec> schema_;
  size_t key_index_ = 0;
  std::vector<size_t> payload_columns_;
  std::vector<size_t> static_slots_;    // payload slots of static columns
  std::vector<size_t> key_part_slots_;  // payload slots of composite key parts, in schema order
  // Payload slots of nested-list columns (depth > 1), in slot order, with the
  // offset of their level bounds within a measurement's block of
  // nested_bounds_ entries (one per level of each such column).
  std::vector<std::pair<size_t, size_t>> nested_slots_;
  size_t nested_bounds_ = 0;
  std::vector<OutputFeature> features_;  // sorted by name
  size_t row_values_ = 0;                // row_int64_features given to Create()
};

// The values of one decoded feature. std::monostate is a Feature whose `kind`
// oneof is not set (valid protobuf, never written by ExampleEncoder).
using FeatureValues = std::variant<std::monostate, std::vector<int64_t>, std::vector<float>, std::vector<std::string>>;

// How many values a decoded feature holds (0 for an unset `kind`).
inline size_t ValueCount(const FeatureValues& v) {
  return std::visit(
      [](const auto& x) -> size_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>) {
          return 0;
        } else {
          return x.size();
        }
      },
      v);
}

// A decoded Example: feature name -> values, ordered bytewise by name.
using DecodedExample = std::map<std::string, FeatureValues>;

// Parses a serialized tf.train.Example exactly as protobuf would: fields in
// any order, packed and unpacked repeated numbers, unknown fields (including
// groups) skipped, a message field given twice merged, a duplicate feature
// name keeping the last entry, a switch of the `kind` oneof keeping the last
// list. Malformed input gives DataLoss naming the byte offset and the problem
// (truncated varint or field, length past the end of the enclosing message,
// invalid wire type or field number 0, packed floats not a multiple of 4
// bytes, unbalanced groups, a feature name that is not UTF-8, nesting deeper
// than 100). Stricter than protobuf in one respect: a 10-byte varint whose
// last byte sets bits beyond 64 is rejected instead of truncated.
[[nodiscard]] absl::StatusOr<DecodedExample> DecodeExample(std::string_view bytes);

struct ExampleJsonOptions {
  // Regroup `x/ragged_flat_values` + `x/ragged_row_lengths_0` (+ `_1`, ...
  // for nested lists) into one key "x" holding nested lists (only when the
  // lengths are consistent and no feature is already named "x"; otherwise
  // they are printed as they are).
  bool regroup_ragged = false;
  // nlohmann::json::dump indent: -1 = one line.
  int indent = -1;
};

// Renders `example` as one JSON object with keys sorted bytewise. int64 values
// are JSON integers; floats print the shortest decimal that reads back as the
// same float32 ("NaN", "Infinity", "-Infinity" as strings); bytes values as
// strings when valid UTF-8, else {"base64": "..."}; an unset feature as null.
// Never throws.
std::string DecodedExampleToJson(const DecodedExample& example, const ExampleJsonOptions& options = {});

}  // namespace proberows

#endif  // PROBEROWS_EXAMPLE_H_
