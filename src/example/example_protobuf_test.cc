// Cross-checks ExampleEncoder against protobuf's own parser and serializer:
// for randomized schemas and rows, protobuf must parse our bytes to exactly
// the expected values, and its deterministic serialization of what it parsed
// must equal our bytes.
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "example.pb.h"
#include "example/example_test_util.h"
#include "example/segment.h"
#include "proberows/example.h"

namespace proberows {
namespace {

using testing::FloatBits;
using testing::Gen;
using testing::Hex;
using testing::ProtoToDecoded;
using testing::SameExample;
using testing::SerializeDeterministic;

// One value of a column: its innermost values and, for lists, the lengths of
// every level (levels[0] = {count of level-0 items}, levels[k] = the lengths
// of the lists of level k).
struct Value {
  std::vector<std::vector<uint64_t>> levels;
  FeatureValues flat;
};

// One random value of `spec` (one element for a scalar).
Value RandomValue(Gen& g, const ColumnSpec& spec) {
  Value value;
  size_t count = 1;
  if (spec.list_depth > 0) {
    count = g.P(0.2) ? 0 : g.U(6);
    value.levels.push_back({count});
    for (int level = 1; level < spec.list_depth; ++level) {
      std::vector<uint64_t> lengths;
      size_t next = 0;
      for (size_t i = 0; i < count; ++i) {
        lengths.push_back(g.P(0.2) ? 0 : g.U(4));
        next += lengths.back();
      }
      value.levels.push_back(std::move(lengths));
      count = next;
    }
  }
  switch (spec.type) {
    case FeatureType::kInt64: {
      std::vector<int64_t> v(count);
      for (auto& x : v) x = g.Int();
      value.flat = v;
      break;
    }
    case FeatureType::kFloat: {
      std::vector<float> v(count);
      for (auto& x : v) x = g.Float();
      value.flat = v;
      break;
    }
    case FeatureType::kBytes: {
      std::vector<std::string> v(count);
      for (auto& x : v) x = g.Bytes();
      value.flat = v;
      break;
    }
  }
  return value;
}

// Appends `value` of `spec` to a payload under construction.
void AddToPayload(const ColumnSpec& spec, const Value& value, PayloadBuilder* b) {
  if (spec.list_depth > 1) {
    std::string segment;
    AppendNestedListHeader(&segment, value.levels[0][0],
                           std::span<const std::vector<uint64_t>>(value.levels).subspan(1));
    std::visit(
        [&](const auto& vec) {
          using T = std::decay_t<decltype(vec)>;
          if constexpr (!std::is_same_v<T, std::monostate>) {
            for (const auto& x : vec) {
              if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
                AppendInt64Segment(&segment, x);
              } else if constexpr (std::is_same_v<T, std::vector<float>>) {
                AppendFloatSegment(&segment, x);
              } else {
                AppendBytesSegment(&segment, x);
              }
            }
          }
        },
        value.flat);
    b->AddSegment(segment);
    return;
  }
  const bool is_list = spec.list_depth == 1;
  if (is_list) b->BeginList();
  std::visit(
      [&](const auto& vec) {
        using T = std::decay_t<decltype(vec)>;
        if constexpr (!std::is_same_v<T, std::monostate>) {
          for (const auto& x : vec) {
            if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
              is_list ? b->AddInt64Element(x) : b->AddInt64(x);
            } else if constexpr (std::is_same_v<T, std::vector<float>>) {
              is_list ? b->AddFloatElement(x) : b->AddFloat(x);
            } else {
              is_list ? b->AddBytesElement(x) : b->AddBytes(x);
            }
          }
        }
      },
      value.flat);
  if (is_list) b->EndList();
}

// Appends the elements of `from` to `to` (same alternative).
void Extend(FeatureValues* to, const FeatureValues& from) {
  std::visit(
      [&](auto& vec) {
        using T = std::decay_t<decltype(vec)>;
        if constexpr (!std::is_same_v<T, std::monostate>) {
          const T& src = std::get<T>(from);
          vec.insert(vec.end(), src.begin(), src.end());
        }
      },
      *to);
}

FeatureValues EmptyOf(FeatureType type) {
  switch (type) {
    case FeatureType::kInt64: return std::vector<int64_t>();
    case FeatureType::kFloat: return std::vector<float>();
    case FeatureType::kBytes: return std::vector<std::string>();
  }
  return {};
}

struct Case {
  std::vector<ColumnSpec> schema;
  FeatureValues key;                     // one element
  std::vector<std::vector<Value>> rows;  // [measurement][column]; key column unused
};

Case RandomCase(Gen& g) {
  Case c;
  std::set<std::string> names;
  const size_t num_columns = 1 + g.U(9);
  const size_t key_at = g.U(num_columns);
  while (c.schema.size() < num_columns) {
    ColumnSpec spec;
    spec.name = g.Name();
    if (!names.insert(spec.name).second) continue;
    spec.type = static_cast<FeatureType>(g.U(3));
    if (c.schema.size() == key_at) {
      spec.role = ColumnRole::kKey;
      if (spec.type == FeatureType::kFloat) spec.type = FeatureType::kInt64;
    } else {
      spec.role = g.P(0.25) ? ColumnRole::kStatic : ColumnRole::kPerMeasurement;
      spec.list_depth = g.P(0.3) ? (g.P(0.3) ? 2 + static_cast<int>(g.U(2)) : 1) : 0;
    }
    c.schema.push_back(spec);
  }
  c.key = RandomValue(g, c.schema[key_at]).flat;
  const size_t n = g.Measurements();
  c.rows.resize(n);
  for (size_t m = 0; m < n; ++m) {
    for (size_t i = 0; i < num_columns; ++i) {
      if (i == key_at) {
        c.rows[m].emplace_back();
      } else if (c.schema[i].role == ColumnRole::kStatic && m > 0) {
        c.rows[m].push_back(c.rows[0][i]);
      } else {
        c.rows[m].push_back(RandomValue(g, c.schema[i]));
      }
    }
  }
  return c;
}

// What the row must contain, computed from the values directly.
DecodedExample Expected(const Case& c) {
  DecodedExample out;
  const size_t n = c.rows.size();
  for (size_t i = 0; i < c.schema.size(); ++i) {
    const ColumnSpec& spec = c.schema[i];
    if (spec.role == ColumnRole::kKey) {
      out[spec.name] = c.key;
      continue;
    }
    const size_t rows = spec.role == ColumnRole::kStatic ? 1 : n;
    if (spec.list_depth == 0) {
      FeatureValues v = EmptyOf(spec.type);
      for (size_t m = 0; m < rows; ++m) Extend(&v, c.rows[m][i].flat);
      out[spec.name] = std::move(v);
    } else {
      FeatureValues flat = EmptyOf(spec.type);
      std::vector<std::vector<int64_t>> lengths(static_cast<size_t>(spec.list_depth));
      for (size_t m = 0; m < rows; ++m) {
        Extend(&flat, c.rows[m][i].flat);
        for (int level = 0; level < spec.list_depth; ++level) {
          for (uint64_t len : c.rows[m][i].levels[level]) lengths[level].push_back(static_cast<int64_t>(len));
        }
      }
      out[spec.name + "/ragged_flat_values"] = std::move(flat);
      for (int level = 0; level < spec.list_depth; ++level) {
        out[spec.name + "/ragged_row_lengths_" + std::to_string(level)] = std::move(lengths[level]);
      }
    }
  }
  return out;
}

std::string KeySegment(const Case& c) {
  std::string s;
  if (const auto* i = std::get_if<std::vector<int64_t>>(&c.key)) AppendInt64Segment(&s, i->at(0));
  if (const auto* b = std::get_if<std::vector<std::string>>(&c.key)) AppendBytesSegment(&s, b->at(0));
  return s;
}

std::vector<std::string> Payloads(const Case& c) {
  std::vector<std::string> payloads(c.rows.size());
  for (size_t m = 0; m < c.rows.size(); ++m) {
    PayloadBuilder b(&payloads[m]);
    for (size_t i = 0; i < c.schema.size(); ++i) {
      if (c.schema[i].role != ColumnRole::kKey) AddToPayload(c.schema[i], c.rows[m][i], &b);
    }
  }
  return payloads;
}

// Encodes `c`, checks it against protobuf and against DecodeExample.
void CheckCase(const Case& c, int iteration) {
  SCOPED_TRACE(::testing::Message() << "iteration " << iteration << ", " << c.schema.size() << " columns, "
                                    << c.rows.size() << " measurements");
  absl::StatusOr<ExampleEncoder> enc = ExampleEncoder::Create(c.schema);
  ASSERT_TRUE(enc.ok()) << enc.status();
  const std::vector<std::string> payloads = Payloads(c);
  const std::vector<std::string_view> views(payloads.begin(), payloads.end());
  std::string ours;
  ASSERT_TRUE(enc->EncodeRow(KeySegment(c), views, &ours).ok());
  const DecodedExample expected = Expected(c);

  tensorflow::Example parsed;
  ASSERT_TRUE(parsed.ParseFromString(ours));
  ASSERT_TRUE(SameExample(ProtoToDecoded(parsed), expected))
      << "protobuf: " << DecodedExampleToJson(ProtoToDecoded(parsed))
      << "\nexpected: " << DecodedExampleToJson(expected);
  // Every feature has its kind set, of the right type.
  for (const FeatureDescription& d : enc->Features()) {
    const tensorflow::Feature& f = parsed.features().feature().at(d.name);
    const auto kind = d.dtype == "int64"     ? tensorflow::Feature::kInt64List
                      : d.dtype == "float32" ? tensorflow::Feature::kFloatList
                                             : tensorflow::Feature::kBytesList;
    ASSERT_EQ(f.kind_case(), kind) << d.name;
  }
  ASSERT_EQ(parsed.features().feature_size(), static_cast<int>(enc->Features().size()));

  const std::string theirs = SerializeDeterministic(parsed);
  ASSERT_EQ(theirs.size(), ours.size());
  ASSERT_TRUE(theirs == ours) << "ours:   " << Hex(ours.substr(0, 400)) << "\ntheirs: " << Hex(theirs.substr(0, 400));

  absl::StatusOr<DecodedExample> decoded = DecodeExample(ours);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_TRUE(SameExample(*decoded, expected));
}

TEST(ExampleProtobufTest, RandomRowsMatchProtobufExactly) {
  Gen g(20240611);
  for (int iteration = 0; iteration < 400; ++iteration) {
    Case c = RandomCase(g);
    // Regenerate schemas whose names collide (e.g. "a/ragged_flat_values"
    // next to a list column "a"); that is covered by the encoder tests.
    if (!ExampleEncoder::Create(c.schema).ok()) continue;
    CheckCase(c, iteration);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(ExampleProtobufTest, HugeStringsAndLongRows) {
  Gen g(7);
  Case c;
  c.schema = {ColumnSpec{"k", FeatureType::kBytes, false, ColumnRole::kKey},
              ColumnSpec{"blob", FeatureType::kBytes, false, ColumnRole::kPerMeasurement},
              ColumnSpec{"l", FeatureType::kBytes, true, ColumnRole::kStatic},
              ColumnSpec{"i", FeatureType::kInt64, false, ColumnRole::kPerMeasurement}};
  c.key = std::vector<std::string>{std::string(70000, 'k')};  // 3-byte length
  const std::string huge(3 << 20, 'h');                       // 4-byte length varints
  c.rows.resize(3);
  for (size_t m = 0; m < 3; ++m) {
    c.rows[m] = {Value{}, Value{{}, std::vector<std::string>{m == 1 ? huge : std::string(m * 50, 'x')}},
                 Value{{{2}}, std::vector<std::string>{huge.substr(0, 20000), ""}},
                 Value{{}, std::vector<int64_t>{g.Int()}}};
  }
  CheckCase(c, 0);

  // Many measurements: lengths of several varint bytes at every level.
  Case wide;
  wide.schema = {ColumnSpec{"k", FeatureType::kInt64, false, ColumnRole::kKey},
                 ColumnSpec{"f", FeatureType::kFloat, true, ColumnRole::kPerMeasurement},
                 ColumnSpec{"s", FeatureType::kBytes, false, ColumnRole::kPerMeasurement}};
  wide.key = std::vector<int64_t>{std::numeric_limits<int64_t>::min()};
  wide.rows.resize(5000);
  for (auto& row : wide.rows) {
    row = {Value{}, RandomValue(g, wide.schema[1]), RandomValue(g, wide.schema[2])};
  }
  CheckCase(wide, 1);
}

// The claim the encoder relies on: protobuf writes a set but empty packed
// list as a bare Feature (no value field), and an empty Features map entry
// value still has its tag.
TEST(ExampleProtobufTest, ProtobufWritesEmptyPackedListsAsNoField) {
  tensorflow::Feature f;
  f.mutable_int64_list();
  EXPECT_EQ(Hex(f.SerializeAsString()), "1a 00");
  f.mutable_float_list();
  EXPECT_EQ(Hex(f.SerializeAsString()), "12 00");
  f.mutable_bytes_list();
  EXPECT_EQ(Hex(f.SerializeAsString()), "0a 00");
  f.mutable_bytes_list()->add_value("");
  EXPECT_EQ(Hex(f.SerializeAsString()), "0a 02 0a 00");
}

}  // namespace
}  // namespace proberows
