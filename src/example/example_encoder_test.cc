#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "example/example_test_util.h"
#include "example/segment.h"
#include "proberows/example.h"
#include "util/status_macros.h"

namespace proberows {
namespace {

using testing::FromHex;
using testing::Hex;

ColumnSpec Col(std::string name, FeatureType type, ColumnRole role, int list_depth = 0) {
  return ColumnSpec{std::move(name), type, list_depth, role};
}

ExampleEncoder MakeEncoder(std::vector<ColumnSpec> schema) {
  absl::StatusOr<ExampleEncoder> enc = ExampleEncoder::Create(std::move(schema));
  EXPECT_TRUE(enc.ok()) << enc.status();
  return *std::move(enc);
}

std::string Int64Key(int64_t v) {
  std::string s;
  AppendInt64Segment(&s, v);
  return s;
}

std::string BytesKey(std::string_view v) {
  std::string s;
  AppendBytesSegment(&s, v);
  return s;
}

absl::StatusOr<std::string> Encode(const ExampleEncoder& enc, std::string_view key,
                                   const std::vector<std::string>& payloads,
                                   ExampleEncoder::Trust trust = ExampleEncoder::Trust::kChecked) {
  std::vector<std::string_view> views(payloads.begin(), payloads.end());
  std::string out;
  absl::Status status = enc.EncodeRow(key, views, &out, trust);
  if (!status.ok()) return status;
  return out;
}

// ------------------------------------------------------------ schema validation

TEST(ExampleEncoderTest, SchemaNeedsExactlyOneKey) {
  EXPECT_EQ(ExampleEncoder::Create({Col("a", FeatureType::kInt64, ColumnRole::kStatic)}).status(),
            absl::InvalidArgumentError("schema has no key column: exactly one column must have role kKey"));
  EXPECT_EQ(ExampleEncoder::Create({Col("a", FeatureType::kInt64, ColumnRole::kKey),
                                    Col("b", FeatureType::kFloat, ColumnRole::kPerMeasurement),
                                    Col("c", FeatureType::kBytes, ColumnRole::kKey)})
                .status(),
            absl::InvalidArgumentError("schema has 2 key columns ('a', 'c'): exactly one column must have role kKey"));
  EXPECT_EQ(ExampleEncoder::Create({Col("k", FeatureType::kInt64, ColumnRole::kKey, true)}).status(),
            absl::InvalidArgumentError("key column 'k' is a list: the key must be a scalar"));
}

TEST(ExampleEncoderTest, SchemaRejectsDuplicateAndNonUtf8Names) {
  EXPECT_EQ(ExampleEncoder::Create({Col("k", FeatureType::kInt64, ColumnRole::kKey),
                                    Col("x", FeatureType::kFloat, ColumnRole::kPerMeasurement),
                                    Col("x", FeatureType::kInt64, ColumnRole::kStatic)})
                .status(),
            absl::InvalidArgumentError("duplicate column name 'x' (columns 1 and 2)"));
  EXPECT_EQ(ExampleEncoder::Create({Col("k", FeatureType::kInt64, ColumnRole::kKey),
                                    Col("bad\xff", FeatureType::kFloat, ColumnRole::kPerMeasurement)})
                .status(),
            absl::InvalidArgumentError("column 'bad\\xff' (column 1) is not valid UTF-8: protobuf "
                                       "requires feature names to be UTF-8"));
}

TEST(ExampleEncoderTest, SchemaRejectsFeatureNameCollisions) {
  EXPECT_EQ(ExampleEncoder::Create({Col("k", FeatureType::kInt64, ColumnRole::kKey),
                                    Col("rtts", FeatureType::kFloat, ColumnRole::kPerMeasurement, true),
                                    Col("rtts/ragged_flat_values", FeatureType::kFloat, ColumnRole::kPerMeasurement)})
                .status(),
            absl::InvalidArgumentError("feature name collision: list column 'rtts' and column "
                                       "'rtts/ragged_flat_values' both produce feature "
                                       "'rtts/ragged_flat_values'"));
  EXPECT_EQ(ExampleEncoder::Create({Col("x/ragged_row_lengths_0", FeatureType::kInt64, ColumnRole::kKey),
                                    Col("x", FeatureType::kBytes, ColumnRole::kStatic, true)})
                .status(),
            absl::InvalidArgumentError("feature name collision: column 'x/ragged_row_lengths_0' and "
                                       "list column 'x' both produce feature 'x/ragged_row_lengths_0'"));
  // Not a collision: a list column named like a derived feature.
  EXPECT_TRUE(
      ExampleEncoder::Create({Col("k", FeatureType::kInt64, ColumnRole::kKey),
                              Col("x", FeatureType::kInt64, ColumnRole::kPerMeasurement, true),
                              Col("x/ragged_flat_values", FeatureType::kInt64, ColumnRole::kPerMeasurement, true)})
          .ok());
}

TEST(ExampleEncoderTest, FeaturesAreSortedAndDescribed) {
  ExampleEncoder enc = MakeEncoder({
      Col("prb_id", FeatureType::kInt64, ColumnRole::kKey),
      Col("rtts", FeatureType::kFloat, ColumnRole::kPerMeasurement, true),
      Col("prb_lat", FeatureType::kFloat, ColumnRole::kStatic),
      Col("dst", FeatureType::kBytes, ColumnRole::kPerMeasurement),
      Col("tags", FeatureType::kBytes, ColumnRole::kStatic, true),
  });
  const std::vector<FeatureDescription> expected = {
      {"dst", "bytes", "per_measurement", "dst"},
      {"prb_id", "int64", "per_row", "prb_id"},
      {"prb_lat", "float32", "per_row", "prb_lat"},
      {"rtts/ragged_flat_values", "float32", "ragged_values", "rtts"},
      {"rtts/ragged_row_lengths_0", "int64", "ragged_row_lengths", "rtts"},
      {"tags/ragged_flat_values", "bytes", "ragged_values", "tags"},
      {"tags/ragged_row_lengths_0", "int64", "ragged_row_lengths", "tags"},
  };
  EXPECT_EQ(enc.Features(), expected);
  EXPECT_EQ(enc.key_index(), 0u);
  EXPECT_EQ(enc.payload_columns(), (std::vector<size_t>{1, 2, 3, 4}));
}

// ------------------------------------------------------------ exact bytes

TEST(ExampleEncoderTest, ExactBytesIntKeyAndFloatColumn) {
  ExampleEncoder enc = MakeEncoder(
      {Col("id", FeatureType::kInt64, ColumnRole::kKey), Col("v", FeatureType::kFloat, ColumnRole::kPerMeasurement)});
  std::vector<std::string> payloads(2);
  PayloadBuilder(&payloads[0]).AddFloat(1.0f);
  PayloadBuilder(&payloads[1]).AddFloat(2.0f);
  absl::StatusOr<std::string> row = Encode(enc, Int64Key(5), payloads);
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(Hex(*row),
            "0a 20 "                                   // Example.features, 32 bytes
            "0a 0b 0a 02 69 64 12 05 1a 03 0a 01 05 "  // "id": int64_list [5]
            "0a 11 0a 01 76 12 0c 12 0a 0a 08 "        // "v": float_list, 8 bytes packed
            "00 00 80 3f 00 00 00 40");                //   [1.0, 2.0]
}

TEST(ExampleEncoderTest, ExactBytesBytesKeyStaticAndRaggedColumns) {
  ExampleEncoder enc = MakeEncoder({Col("x", FeatureType::kInt64, ColumnRole::kPerMeasurement, true),
                                    Col("k", FeatureType::kBytes, ColumnRole::kKey),
                                    Col("s", FeatureType::kInt64, ColumnRole::kStatic)});
  std::vector<std::string> payloads(2);
  {
    PayloadBuilder b(&payloads[0]);
    b.BeginList();
    b.AddInt64Element(1);
    b.AddInt64Element(2);
    b.EndList();
    b.AddInt64(7);
  }
  {
    PayloadBuilder b(&payloads[1]);
    b.BeginList();
    b.EndList();
    b.AddInt64(7);
  }
  absl::StatusOr<std::string> row = Encode(enc, BytesKey("p1"), payloads);
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(Hex(*row),
            "0a 5b "
            "0a 0b 0a 01 6b 12 06 0a 04 0a 02 70 31 "  // "k": bytes_list ["p1"]
            "0a 0a 0a 01 73 12 05 1a 03 0a 01 07 "     // "s": int64_list [7]
            "0a 1e 0a 14 " +
                Hex("x/ragged_flat_values") +
                " 12 06 1a 04 0a 02 01 02 "  // int64_list [1, 2]
                "0a 20 0a 16 " +
                Hex("x/ragged_row_lengths_0") + " 12 06 1a 04 0a 02 02 00");  // int64_list [2, 0]
}

TEST(ExampleEncoderTest, ExactBytesNestedListColumn) {
  // A LIST<LIST<int64>> column over two measurements: [[1], [2, 3]] and [[]].
  // TFDS's layout of a rank-3 Sequence: flat values, then one row-lengths
  // feature per level: level 0 has a length per measurement, level 1 a length
  // per inner list.
  ExampleEncoder enc = MakeEncoder(
      {Col("k", FeatureType::kInt64, ColumnRole::kKey), Col("h", FeatureType::kInt64, ColumnRole::kPerMeasurement, 2)});
  std::vector<std::string> payloads(2);
  {
    std::string seg;
    const std::vector<std::vector<uint64_t>> lengths = {{1, 2}};
    AppendNestedListHeader(&seg, 2, lengths);
    for (int64_t v : {1, 2, 3}) AppendInt64Segment(&seg, v);
    PayloadBuilder(&payloads[0]).AddSegment(seg);
  }
  {
    std::string seg;
    const std::vector<std::vector<uint64_t>> lengths = {{0}};
    AppendNestedListHeader(&seg, 1, lengths);
    PayloadBuilder(&payloads[1]).AddSegment(seg);
  }
  absl::StatusOr<std::string> row = Encode(enc, Int64Key(9), payloads);
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(Hex(*row),
            "0a 72 "
            "0a 1f 0a 14 " +
                Hex("h/ragged_flat_values") +
                " 12 07 1a 05 0a 03 01 02 03 "  // int64_list [1, 2, 3]
                "0a 20 0a 16 " +
                Hex("h/ragged_row_lengths_0") +
                " 12 06 1a 04 0a 02 02 01 "  // [2, 1]: inner lists per measurement
                "0a 21 0a 16 " +
                Hex("h/ragged_row_lengths_1") +
                " 12 07 1a 05 0a 03 01 02 00 "           // [1, 2, 0]: values per inner list
                "0a 0a 0a 01 6b 12 05 1a 03 0a 01 09");  // "k": [9]
  EXPECT_EQ(enc.Features().size(), 4u);
  EXPECT_EQ(enc.Features()[2].name, "h/ragged_row_lengths_1");
  EXPECT_EQ(enc.Features()[2].level, 1);
  EXPECT_EQ(enc.Features()[2].kind, "ragged_row_lengths");
  // cat's regrouping rebuilds the nesting.
  absl::StatusOr<DecodedExample> decoded = DecodeExample(*row);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(DecodedExampleToJson(*decoded, {.regroup_ragged = true}), R"({"h":[[[1],[2,3]],[[]]],"k":[9]})");
}

TEST(ExampleEncoderTest, EmptyPackedListsAreNoFieldAtAll) {
  ExampleEncoder enc = MakeEncoder({Col("k", FeatureType::kInt64, ColumnRole::kKey),
                                    Col("f", FeatureType::kFloat, ColumnRole::kPerMeasurement, true),
                                    Col("b", FeatureType::kBytes, ColumnRole::kStatic, true)});
  std::string payload;
  PayloadBuilder b(&payload);
  b.BeginList();
  b.EndList();
  b.BeginList();
  b.EndList();
  absl::StatusOr<std::string> row = Encode(enc, Int64Key(1), {payload, payload});
  ASSERT_TRUE(row.ok()) << row.status();
  absl::StatusOr<DecodedExample> decoded = DecodeExample(*row);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(std::get<std::vector<float>>(decoded->at("f/ragged_flat_values")).size(), 0u);
  EXPECT_EQ(std::get<std::vector<std::string>>(decoded->at("b/ragged_flat_values")).size(), 0u);
  EXPECT_EQ(std::get<std::vector<int64_t>>(decoded->at("b/ragged_row_lengths_0")), std::vector<int64_t>{0});
  EXPECT_EQ(std::get<std::vector<int64_t>>(decoded->at("f/ragged_row_lengths_0")), (std::vector<int64_t>{0, 0}));
  // The Feature of an empty float list is just its tag and a zero length.
  const std::string empty_float_feature = FromHex("0a 14") + "f/ragged_flat_values" + FromHex("12 02 12 00");
  EXPECT_NE(row->find(empty_float_feature), std::string::npos) << Hex(*row);
  const std::string empty_bytes_feature = FromHex("0a 14") + "b/ragged_flat_values" + FromHex("12 02 0a 00");
  EXPECT_NE(row->find(empty_bytes_feature), std::string::npos) << Hex(*row);
}

TEST(ExampleEncoderTest, AppendsToOutput) {
  ExampleEncoder enc = MakeEncoder({Col("id", FeatureType::kInt64, ColumnRole::kKey)});
  std::string out = "prefix";
  const std::string_view payloads[] = {""};
  ASSERT_TRUE(enc.EncodeRow(Int64Key(5), payloads, &out).ok());
  EXPECT_EQ(Hex(out), Hex("prefix") + " 0a 0d 0a 0b 0a 02 69 64 12 05 1a 03 0a 01 05");
}

TEST(ExampleEncoderTest, EncodeRowToWritesTheSameBytesIntoCallerMemory) {
  ExampleEncoder enc = MakeEncoder({Col("id", FeatureType::kInt64, ColumnRole::kKey),
                                    Col("rtt", FeatureType::kFloat, ColumnRole::kPerMeasurement),
                                    Col("prb_lat", FeatureType::kFloat, ColumnRole::kStatic)});
  std::vector<std::string> payloads(3);
  for (size_t m = 0; m < payloads.size(); ++m) {
    PayloadBuilder b(&payloads[m]);
    b.AddFloat(static_cast<float>(m) + 0.5f);
    b.AddFloat(52.1f);
  }
  const std::vector<std::string_view> views(payloads.begin(), payloads.end());
  std::string expected;
  ASSERT_TRUE(enc.EncodeRow(Int64Key(7), views, &expected).ok());
  // Room the encoder must write over completely: filled with a marker byte.
  std::string buffer(100, '\xee');
  int calls = 0;
  size_t asked = 0;
  ASSERT_TRUE(enc.EncodeRowTo(Int64Key(7), views,
                              [&](size_t n) {
                                ++calls;
                                asked = n;
                                return buffer.data() + 10;
                              })
                  .ok());
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(asked, expected.size());
  EXPECT_EQ(Hex(buffer.substr(10, asked)), Hex(expected));
  EXPECT_EQ(buffer.substr(0, 10), std::string(10, '\xee'));
  EXPECT_EQ(buffer.substr(10 + asked), std::string(90 - asked, '\xee'));

  // A row that fails its checks never asks for room.
  payloads[2].clear();
  PayloadBuilder b(&payloads[2]);
  b.AddFloat(1.0f);
  b.AddFloat(52.3f);
  const std::vector<std::string_view> bad(payloads.begin(), payloads.end());
  EXPECT_EQ(enc.EncodeRowTo(Int64Key(7), bad,
                            [&](size_t) {
                              ++calls;
                              return buffer.data();
                            }),
            absl::FailedPreconditionError("static column 'prb_lat' differs within key 7: "
                                          "measurement 0 has 52.1, measurement 2 has 52.3"));
  EXPECT_EQ(calls, 1);
}

// ------------------------------------------------------------ errors

TEST(ExampleEncoderTest, StaticMismatchNamesColumnKeyAndValues) {
  ExampleEncoder enc = MakeEncoder({Col("prb_id", FeatureType::kInt64, ColumnRole::kKey),
                                    Col("rtt", FeatureType::kFloat, ColumnRole::kPerMeasurement),
                                    Col("prb_lat", FeatureType::kFloat, ColumnRole::kStatic)});
  std::vector<std::string> payloads(8);
  for (size_t m = 0; m < payloads.size(); ++m) {
    PayloadBuilder b(&payloads[m]);
    b.AddFloat(static_cast<float>(m));
    b.AddFloat(m == 7 ? 52.3f : 52.1f);
  }
  std::string out = "keep";
  std::vector<std::string_view> views(payloads.begin(), payloads.end());
  EXPECT_EQ(enc.EncodeRow(Int64Key(1234), views, &out),
            absl::FailedPreconditionError("static column 'prb_lat' differs within key 1234: "
                                          "measurement 0 has 52.1, measurement 7 has 52.3"));
  EXPECT_EQ(out, "keep");
}

TEST(ExampleEncoderTest, StaticMismatchOfStringsListsAndNaNs) {
  ExampleEncoder enc = MakeEncoder({Col("probe", FeatureType::kBytes, ColumnRole::kKey),
                                    Col("country", FeatureType::kBytes, ColumnRole::kStatic),
                                    Col("tags", FeatureType::kInt64, ColumnRole::kStatic, true),
                                    Col("alt", FeatureType::kFloat, ColumnRole::kStatic)});
  const auto payload = [](std::string_view country, std::vector<int64_t> tags, float alt) {
    std::string p;
    PayloadBuilder b(&p);
    b.AddBytes(country);
    b.BeginList();
    for (int64_t t : tags) b.AddInt64Element(t);
    b.EndList();
    b.AddFloat(alt);
    return p;
  };
  const float nan1 = testing::BitsToFloat(0x7fc00000);
  const float nan2 = testing::BitsToFloat(0x7fc00001);
  EXPECT_EQ(Encode(enc, BytesKey("p\"1"), {payload("DE", {1}, 0), payload("NL", {1}, 0)}).status(),
            absl::FailedPreconditionError("static column 'country' differs within key \"p\\\"1\": "
                                          "measurement 0 has \"DE\", measurement 1 has \"NL\""));
  EXPECT_EQ(
      Encode(enc, BytesKey("p"), {payload("DE", {1, 2}, 0), payload("DE", {1, 2}, 0), payload("DE", {1}, 0)}).status(),
      absl::FailedPreconditionError("static column 'tags' differs within key \"p\": "
                                    "measurement 0 has [1, 2], measurement 2 has [1]"));
  EXPECT_EQ(Encode(enc, BytesKey("p"), {payload("DE", {}, nan1), payload("DE", {}, nan2)}).status(),
            absl::FailedPreconditionError("static column 'alt' differs within key \"p\": measurement 0 has nan (bytes "
                                          "0000c07f), measurement 1 has nan (bytes 0100c07f)"));
  // Identical NaNs (NULL floats) are equal.
  EXPECT_TRUE(Encode(enc, BytesKey("p"), {payload("DE", {}, nan1), payload("DE", {}, nan1)}).ok());
}

TEST(ExampleEncoderTest, NoMeasurementsIsAnError) {
  ExampleEncoder enc = MakeEncoder({Col("id", FeatureType::kInt64, ColumnRole::kKey)});
  std::string out;
  EXPECT_EQ(enc.EncodeRow(Int64Key(-3), {}, &out),
            absl::InvalidArgumentError("key -3 has no measurements: a row needs at least one"));
}

TEST(ExampleEncoderTest, CorruptPayloadsAreInternalErrors) {
  ExampleEncoder enc = MakeEncoder({Col("id", FeatureType::kInt64, ColumnRole::kKey),
                                    Col("a", FeatureType::kInt64, ColumnRole::kPerMeasurement),
                                    Col("rtts", FeatureType::kFloat, ColumnRole::kPerMeasurement, true)});
  EXPECT_EQ(Encode(enc, FromHex("80"), {""}).status(),
            absl::InternalError("malformed key segment for int64 column 'id': int64 segment is not "
                                "exactly one canonical varint"));
  ExampleEncoder bytes_key = MakeEncoder({Col("k", FeatureType::kBytes, ColumnRole::kKey)});
  EXPECT_EQ(Encode(bytes_key, "", {""}).status(),  // regression: found by the fuzzer
            absl::InternalError("malformed key segment for bytes column 'k': bytes segment is not "
                                "exactly 0x0a, varint length, bytes"));
  EXPECT_EQ(Encode(enc, Int64Key(9), {FromHex("01 05 09 01")}).status(),
            absl::InternalError("corrupt payload of measurement 0 of key 9: segment of list float32 "
                                "column 'rtts' at byte 2 is 9 bytes, but only 1 remain"));
  EXPECT_EQ(Encode(enc, Int64Key(9), {FromHex("01 05 01 00"), FromHex("01 05 02 01 00")}).status(),
            absl::InternalError("corrupt payload of measurement 1 of key 9: segment of list float32 "
                                "column 'rtts' at byte 2: float list segment is not 4 bytes per "
                                "element"));
  EXPECT_EQ(Encode(enc, Int64Key(9), {FromHex("01 05 01 00 07")}).status(),
            absl::InternalError("corrupt payload of measurement 0 of key 9: 1 bytes after the last "
                                "segment (payload is 5 bytes, 2 segments)"));
  EXPECT_EQ(Encode(enc, Int64Key(9), {FromHex("01 05 80")}).status(),
            absl::InternalError("corrupt payload of measurement 0 of key 9: malformed segment length "
                                "of list float32 column 'rtts' at byte 2 (payload is 3 bytes)"));
}

// Every truncation and many random corruptions of valid payloads give a clean
// error or a valid row, never a crash (run under ASan/UBSan too).
TEST(ExampleEncoderTest, GarbagePayloadsNeverCrash) {
  ExampleEncoder enc = MakeEncoder({Col("id", FeatureType::kBytes, ColumnRole::kKey),
                                    Col("a", FeatureType::kInt64, ColumnRole::kPerMeasurement),
                                    Col("s", FeatureType::kBytes, ColumnRole::kStatic),
                                    Col("l", FeatureType::kBytes, ColumnRole::kPerMeasurement, true),
                                    Col("f", FeatureType::kFloat, ColumnRole::kPerMeasurement, true)});
  std::string good;
  PayloadBuilder b(&good);
  b.AddInt64(-5);
  b.AddBytes("static");
  b.BeginList();
  b.AddBytesElement("x");
  b.AddBytesElement("");
  b.EndList();
  b.BeginList();
  b.AddFloatElement(1.5f);
  b.EndList();
  const std::string key = BytesKey("k");
  ASSERT_TRUE(Encode(enc, key, {good, good}).ok());
  for (size_t cut = 0; cut < good.size(); ++cut) {
    absl::StatusOr<std::string> r = Encode(enc, key, {good, good.substr(0, cut)});
    ASSERT_FALSE(r.ok()) << cut;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal) << r.status();
  }
  std::mt19937_64 rng(42);
  int ok = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < flips; ++i) bad[rng() % bad.size()] = static_cast<char>(rng());
    absl::StatusOr<std::string> r = Encode(enc, key, {bad, good});
    if (r.ok()) {
      ++ok;
      ASSERT_TRUE(DecodeExample(*r).ok());  // whatever was accepted is valid protobuf
    } else {
      EXPECT_TRUE(r.status().code() == absl::StatusCode::kInternal ||
                  r.status().code() == absl::StatusCode::kFailedPrecondition)
          << r.status();
    }
  }
  EXPECT_GT(ok, 0);
}

// Segments the converter wrote skip the per-segment checks (Trust::kOwnSegments):
// whatever the checked path accepts comes out byte for byte the same, and
// damaged payloads are still errors, never a crash (this runs under ASan too).
TEST(ExampleEncoderTest, OwnSegmentsGiveTheCheckedBytesAndNeverCrash) {
  ExampleEncoder enc = MakeEncoder({Col("id", FeatureType::kBytes, ColumnRole::kKey),
                                    Col("a", FeatureType::kInt64, ColumnRole::kPerMeasurement),
                                    Col("s", FeatureType::kBytes, ColumnRole::kStatic),
                                    Col("l", FeatureType::kBytes, ColumnRole::kPerMeasurement, 1),
                                    Col("f", FeatureType::kFloat, ColumnRole::kPerMeasurement, 1),
                                    Col("n", FeatureType::kInt64, ColumnRole::kPerMeasurement, 2)});
  std::string good;
  PayloadBuilder b(&good);
  b.AddInt64(-5);
  b.AddBytes("static");
  b.BeginList();
  b.AddBytesElement("x");
  b.AddBytesElement("");
  b.EndList();
  b.BeginList();
  b.AddFloatElement(1.5f);
  b.EndList();
  b.AddSegment(std::string("\x02\x01\x00\x07", 4));  // [[7], []]
  const std::string key = BytesKey("k");
  const auto trusted = ExampleEncoder::Trust::kOwnSegments;
  ASSERT_EQ(Encode(enc, key, {good, good}, trusted), Encode(enc, key, {good, good}));
  ASSERT_TRUE(Encode(enc, key, {good, good}, trusted).ok());
  for (size_t cut = 0; cut < good.size(); ++cut)
    EXPECT_EQ(Encode(enc, key, {good, good.substr(0, cut)}, trusted).status().code(), absl::StatusCode::kInternal)
        << cut;
  std::mt19937_64 rng(7);
  int same = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bad = good;
    bad[rng() % bad.size()] = static_cast<char>(rng());
    absl::StatusOr<std::string> checked = Encode(enc, key, {bad, good});
    absl::StatusOr<std::string> own = Encode(enc, key, {bad, good}, trusted);
    if (checked.ok()) {
      ASSERT_TRUE(own.ok()) << own.status();
      ASSERT_EQ(*own, *checked);
      ++same;
    }
  }
  EXPECT_GT(same, 0);
}

TEST(ExampleEncoderTest, ConcurrentEncodersShareNothing) {
  ExampleEncoder enc = MakeEncoder(
      {Col("id", FeatureType::kInt64, ColumnRole::kKey), Col("v", FeatureType::kInt64, ColumnRole::kPerMeasurement)});
  const auto run = [&](int64_t base, std::string* result) {
    for (int iter = 0; iter < 2000; ++iter) {
      std::vector<std::string> payloads(1 + iter % 17);
      for (size_t m = 0; m < payloads.size(); ++m) {
        PayloadBuilder(&payloads[m]).AddInt64(base + static_cast<int64_t>(m));
      }
      absl::StatusOr<std::string> row = Encode(enc, Int64Key(base), payloads);
      ASSERT_TRUE(row.ok());
      absl::StatusOr<DecodedExample> d = DecodeExample(*row);
      ASSERT_TRUE(d.ok());
      const auto& v = std::get<std::vector<int64_t>>(d->at("v"));
      ASSERT_EQ(v.size(), payloads.size());
      ASSERT_EQ(v.back(), base + static_cast<int64_t>(payloads.size()) - 1);
      *result = *row;
    }
  };
  std::string r1, r2;
  std::thread t1(run, 1000, &r1);
  std::thread t2(run, -1000, &r2);
  t1.join();
  t2.join();
  EXPECT_NE(r1, r2);
}

}  // namespace
}  // namespace proberows
