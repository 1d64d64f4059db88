#include "example/segment.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "example/example_test_util.h"
#include "example/utf8.h"

namespace proberows {
namespace {

using testing::FromHex;
using testing::Hex;

std::string Int64Seg(int64_t v) {
  std::string s;
  AppendInt64Segment(&s, v);
  return s;
}

TEST(ExampleSegmentTest, Int64SegmentsAreVarintsOfTheTwosComplement) {
  EXPECT_EQ(Hex(Int64Seg(0)), "00");
  EXPECT_EQ(Hex(Int64Seg(1)), "01");
  EXPECT_EQ(Hex(Int64Seg(127)), "7f");
  EXPECT_EQ(Hex(Int64Seg(128)), "80 01");
  EXPECT_EQ(Hex(Int64Seg(300)), "ac 02");
  EXPECT_EQ(Hex(Int64Seg(-1)), "ff ff ff ff ff ff ff ff ff 01");
  EXPECT_EQ(Hex(Int64Seg(std::numeric_limits<int64_t>::min())), "80 80 80 80 80 80 80 80 80 01");
  EXPECT_EQ(Hex(Int64Seg(std::numeric_limits<int64_t>::max())), "ff ff ff ff ff ff ff ff 7f");
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1} << 40, std::numeric_limits<int64_t>::min()}) {
    EXPECT_EQ(Int64SegmentLength(v), Int64Seg(v).size());
    char buf[16];
    EXPECT_EQ(std::string(buf, EncodeInt64Segment(buf, v)), Int64Seg(v));
  }
}

TEST(ExampleSegmentTest, FloatSegmentsAreLittleEndianFloat32) {
  std::string s;
  AppendFloatSegment(&s, 1.0f);
  AppendFloatSegment(&s, -0.0f);
  AppendFloatSegment(&s, std::numeric_limits<float>::infinity());
  EXPECT_EQ(Hex(s), "00 00 80 3f 00 00 00 80 00 00 80 7f");
  char buf[4];
  EXPECT_EQ(EncodeFloatSegment(buf, 2.0f), buf + 4);
  EXPECT_EQ(Hex(std::string_view(buf, 4)), "00 00 00 40");
}

TEST(ExampleSegmentTest, BytesSegmentsAreOneBytesListValue) {
  std::string s;
  AppendBytesSegment(&s, "ab");
  AppendBytesSegment(&s, "");
  EXPECT_EQ(Hex(s), "0a 02 61 62 0a 00");
  const std::string big(200, 'x');
  std::string b;
  AppendBytesSegment(&b, big);
  EXPECT_EQ(Hex(b.substr(0, 3)), "0a c8 01");
  EXPECT_EQ(b.size(), BytesSegmentLength(big.size()));
  std::string raw(BytesSegmentLength(big.size()), '\0');
  EXPECT_EQ(EncodeBytesSegment(raw.data(), big), raw.data() + raw.size());
  EXPECT_EQ(raw, b);
}

TEST(ExampleSegmentTest, ListSegmentsAreCountThenElements) {
  std::string s;
  AppendInt64ListSegment(&s, std::vector<int64_t>{1, -1});
  EXPECT_EQ(Hex(s), "02 01 ff ff ff ff ff ff ff ff ff 01");
  s.clear();
  AppendFloatListSegment(&s, std::vector<float>{1.0f});
  EXPECT_EQ(Hex(s), "01 00 00 80 3f");
  s.clear();
  AppendBytesListSegment(&s, std::vector<std::string>{"a", ""});
  EXPECT_EQ(Hex(s), "02 0a 01 61 0a 00");
  s.clear();
  AppendBytesListSegment(&s, std::vector<std::string_view>{});
  EXPECT_EQ(Hex(s), "00");
}

TEST(ExampleSegmentTest, PayloadBuilderWritesLengthPrefixedSegments) {
  std::string payload = "zz";  // appends
  PayloadBuilder b(&payload);
  b.AddInt64(300);
  b.AddFloat(1.0f);
  b.AddBytes("ab");
  b.BeginList();
  b.AddInt64Element(1);
  b.AddInt64Element(2);
  b.EndList();
  b.BeginList();
  b.EndList();
  b.BeginList();
  b.AddBytesElement("q");
  b.EndList();
  b.AddSegment(FromHex("0a 00"));
  EXPECT_EQ(Hex(payload),
            "7a 7a "           // pre-existing
            "02 ac 02 "        // 300
            "04 00 00 80 3f "  // 1.0f
            "04 0a 02 61 62 "  // "ab"
            "03 02 01 02 "     // [1, 2]
            "01 00 "           // []
            "04 01 0a 01 71 "  // ["q"]
            "02 0a 00");       // raw segment
}

TEST(ExampleSegmentTest, PayloadBuilderLongListGetsMultiByteLength) {
  std::string payload;
  PayloadBuilder b(&payload);
  b.BeginList();
  for (int i = 0; i < 100; ++i) b.AddFloatElement(0.5f);
  b.EndList();
  // segment = varint(100) + 400 bytes = 401 bytes = varint 91 03.
  ASSERT_EQ(payload.size(), 2 + 1 + 400u);
  EXPECT_EQ(Hex(payload.substr(0, 3)), "91 03 64");
  absl::StatusOr<std::vector<std::string_view>> segs = SplitPayload(payload, 1);
  ASSERT_TRUE(segs.ok()) << segs.status();
  absl::StatusOr<FeatureValues> v = ParseSegment(FeatureType::kFloat, true, (*segs)[0]);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(std::get<std::vector<float>>(*v), std::vector<float>(100, 0.5f));
}

struct CheckCase {
  FeatureType type;
  int is_list;  // the list depth
  const char* hex;
  const char* error;  // nullptr: valid
};

TEST(ExampleSegmentTest, CheckSegmentIsStrict) {
  const CheckCase cases[] = {
      {FeatureType::kInt64, false, "00", nullptr},
      {FeatureType::kInt64, false, "ff ff ff ff ff ff ff ff ff 01", nullptr},
      {FeatureType::kInt64, false, "", "int64 segment is not exactly one canonical varint"},
      {FeatureType::kInt64, false, "80 00", "int64 segment is not exactly one canonical varint"},
      {FeatureType::kInt64, false, "01 01", "int64 segment is not exactly one canonical varint"},
      {FeatureType::kInt64, false, "80", "int64 segment is not exactly one canonical varint"},
      {FeatureType::kInt64, false, "ff ff ff ff ff ff ff ff ff 02",
       "int64 segment is not exactly one canonical varint"},
      {FeatureType::kFloat, false, "00 00 80 3f", nullptr},
      {FeatureType::kFloat, false, "00 00 80", "float segment is not 4 bytes"},
      {FeatureType::kBytes, false, "0a 00", nullptr},
      // Regression (found by example_decoder_fuzzer): an empty bytes segment
      // passed the check and was then read out of bounds.
      {FeatureType::kBytes, false, "", "bytes segment is not exactly 0x0a, varint length, bytes"},
      {FeatureType::kBytes, false, "0a 01 61", nullptr},
      {FeatureType::kBytes, false, "12 01 61", "bytes segment is not exactly 0x0a, varint length, bytes"},
      {FeatureType::kBytes, false, "0a 02 61", "bytes segment is not exactly 0x0a, varint length, bytes"},
      {FeatureType::kBytes, false, "0a 00 61", "bytes segment is not exactly 0x0a, varint length, bytes"},
      {FeatureType::kBytes, false, "0a 81 00", "bytes segment is not exactly 0x0a, varint length, bytes"},
      {FeatureType::kInt64, true, "00", nullptr},
      {FeatureType::kInt64, true, "02 01 02", nullptr},
      {FeatureType::kInt64, true, "", "list segment does not start with a canonical varint count"},
      {FeatureType::kInt64, true, "03 01 02", "int64 list segment is shorter than its count"},
      {FeatureType::kInt64, true, "02 01 80", "int64 list segment has a malformed or missing element"},
      {FeatureType::kInt64, true, "01 01 02", "int64 list segment has bytes after its last element"},
      {FeatureType::kFloat, true, "01 00 00 80 3f", nullptr},
      {FeatureType::kFloat, true, "02 00 00 80 3f", "float list segment is not 4 bytes per element"},
      {FeatureType::kFloat, true, "ff ff ff ff ff ff ff ff ff 01 00 00 80 3f",
       "float list segment is not 4 bytes per element"},
      {FeatureType::kBytes, true, "02 0a 00 0a 01 61", nullptr},
      {FeatureType::kBytes, true, "02 0a 00", "bytes list segment is shorter than its count"},
      {FeatureType::kBytes, true, "02 0a 00 0b 00", "bytes list segment has a malformed or missing element"},
      {FeatureType::kBytes, true, "01 0a 00 00", "bytes list segment has bytes after its last element"},
      // Nested lists (depth 2): varint(c0), c0 lengths, then the elements.
      {FeatureType::kInt64, 2, "00", nullptr},                       // []
      {FeatureType::kInt64, 2, "02 00 02 05 06", nullptr},           // [[], [5, 6]]
      {FeatureType::kFloat, 2, "01 01 00 00 80 3f", nullptr},        // [[1.0]]
      {FeatureType::kBytes, 2, "02 01 01 0a 00 0a 01 61", nullptr},  // [[""], ["a"]]
      {FeatureType::kInt64, 2, "02 01", "nested list segment is shorter than its lengths"},
      {FeatureType::kInt64, 2, "01 80", "nested list segment has a malformed or missing length"},
      {FeatureType::kInt64, 2, "01 05 01", "nested list segment has a length larger than the segment"},
      {FeatureType::kInt64, 2, "01 02 01", "int64 list segment is shorter than its count"},
      {FeatureType::kInt64, 2, "01 01 01 02", "int64 list segment has bytes after its last element"},
      {FeatureType::kFloat, 2, "01 01 00 00 80", "float list segment is not 4 bytes per element"},
      // Depth 3: [[[7], []]] = 01, then 02 (one list of two), then 01 00, then 07.
      {FeatureType::kInt64, 3, "01 02 01 00 07", nullptr},
      {FeatureType::kInt64, 3, "01 02 01 00", "int64 list segment is shorter than its count"},
      {FeatureType::kInt64, 7, "00", "list segment of an unsupported depth"},
  };
  for (const CheckCase& c : cases) {
    SegmentInfo info;
    const char* error = CheckSegment(c.type, c.is_list, FromHex(c.hex), &info);
    if (c.error == nullptr) {
      EXPECT_EQ(error, nullptr) << c.hex << ": " << error;
    } else {
      EXPECT_STREQ(error, c.error) << c.hex;
    }
  }
  SegmentInfo info;
  ASSERT_EQ(CheckSegment(FeatureType::kBytes, true, FromHex("02 0a 00 0a 01 61"), &info), nullptr);
  EXPECT_EQ(info.header, 1u);
  EXPECT_EQ(info.count, 2u);
}

TEST(ExampleSegmentTest, NestedListSegmentLevels) {
  // [[5, 6], [], [7]] as a depth-2 segment.
  std::string s;
  const std::vector<std::vector<uint64_t>> lengths = {{2, 0, 1}};
  AppendNestedListHeader(&s, 3, lengths);
  for (int64_t v : {5, 6, 7}) AppendInt64Segment(&s, v);
  EXPECT_EQ(Hex(s), "03 02 00 01 05 06 07");
  SegmentInfo info;
  uint32_t ends[2] = {0, 0};
  ASSERT_EQ(CheckListSegment(FeatureType::kInt64, 2, s, &info, ends), nullptr);
  EXPECT_EQ(info.header, 1u);
  EXPECT_EQ(info.count, 3u);
  EXPECT_EQ(info.values, 4u);
  EXPECT_EQ(info.value_count, 3u);
  EXPECT_EQ(ends[0], 1u);
  EXPECT_EQ(ends[1], 4u);
  absl::StatusOr<FeatureValues> v = ParseSegment(FeatureType::kInt64, 2, s);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(std::get<std::vector<int64_t>>(*v), (std::vector<int64_t>{5, 6, 7}));
  EXPECT_EQ(RenderSegment(FeatureType::kInt64, 2, s), "[[5, 6], [], [7]]");
  // Long lists are shortened at every level, and the values of hidden lists skipped.
  std::string many;
  std::vector<std::vector<uint64_t>> ten = {std::vector<uint64_t>(10, 1)};
  AppendNestedListHeader(&many, 10, ten);
  for (int64_t i = 0; i < 10; ++i) AppendInt64Segment(&many, i);
  EXPECT_EQ(RenderSegment(FeatureType::kInt64, 2, many), "[[0], [1], [2], [3], [4], [5], [6], [7], ... (10 elements)]");
}

TEST(ExampleSegmentTest, ParseSegmentRoundTrips) {
  std::string s;
  AppendInt64ListSegment(&s, std::vector<int64_t>{5, std::numeric_limits<int64_t>::min(), -3});
  absl::StatusOr<FeatureValues> v = ParseSegment(FeatureType::kInt64, true, s);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(std::get<std::vector<int64_t>>(*v), (std::vector<int64_t>{5, std::numeric_limits<int64_t>::min(), -3}));
  s.clear();
  AppendBytesSegment(&s, std::string("a\0b", 3));
  v = ParseSegment(FeatureType::kBytes, false, s);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(std::get<std::vector<std::string>>(*v), std::vector<std::string>{std::string("a\0b", 3)});
  v = ParseSegment(FeatureType::kFloat, false, "abc");
  EXPECT_EQ(v.status(), absl::InvalidArgumentError("float segment is not 4 bytes"));
}

TEST(ExampleSegmentTest, SplitPayloadChecksLengths) {
  EXPECT_EQ(SplitPayload(FromHex("02 ac 02 01 00"), 2).value(),
            (std::vector<std::string_view>{FromHex("ac 02"), FromHex("00")}));
  EXPECT_EQ(SplitPayload(FromHex("02 ac"), 1).status(),
            absl::InvalidArgumentError("measurement payload: segment 0 at byte 0 is 2 bytes, but only 1 remain"));
  EXPECT_EQ(SplitPayload(FromHex("01 00 00"), 1).status(),
            absl::InvalidArgumentError("measurement payload: 1 bytes after the last of 1 segments"));
  EXPECT_EQ(SplitPayload(FromHex("01 00 80"), 2).status(),
            absl::InvalidArgumentError("measurement payload: malformed length of segment 1 at byte 2"));
}

TEST(ExampleSegmentTest, RenderSegmentIsReadable) {
  std::string s;
  AppendFloatSegment(&s, 52.1f);
  EXPECT_EQ(RenderSegment(FeatureType::kFloat, false, s), "52.1");
  EXPECT_EQ(RenderSegment(FeatureType::kInt64, false, Int64Seg(-7)), "-7");
  s.clear();
  AppendBytesSegment(&s, "a\"b\\\n\x01");
  EXPECT_EQ(RenderSegment(FeatureType::kBytes, false, s), R"("a\"b\\\n\x01")");
  s.clear();
  AppendBytesSegment(&s, "M\xc3\xbcnchen");  // valid UTF-8 stays readable
  EXPECT_EQ(RenderSegment(FeatureType::kBytes, false, s), "\"M\xc3\xbcnchen\"");
  s.clear();
  AppendBytesSegment(&s, "\xff\xfe");
  EXPECT_EQ(RenderSegment(FeatureType::kBytes, false, s), R"("\xff\xfe")");
  s.clear();
  AppendBytesSegment(&s, std::string(100, 'y'));
  EXPECT_EQ(RenderSegment(FeatureType::kBytes, false, s), "\"" + std::string(48, 'y') + "\"... (100 bytes)");
  s.clear();
  AppendInt64ListSegment(&s, std::vector<int64_t>{1, 2, 3});
  EXPECT_EQ(RenderSegment(FeatureType::kInt64, true, s), "[1, 2, 3]");
  s.clear();
  AppendInt64ListSegment(&s, std::vector<int64_t>(10, 4));
  EXPECT_EQ(RenderSegment(FeatureType::kInt64, true, s), "[4, 4, 4, 4, 4, 4, 4, 4, ... (10 elements)]");
  s.clear();
  AppendFloatListSegment(&s, std::vector<float>{});
  EXPECT_EQ(RenderSegment(FeatureType::kFloat, true, s), "[]");
  EXPECT_EQ(RenderSegment(FeatureType::kFloat, false, "ab"), "<malformed 2-byte segment>");
}

TEST(ExampleSegmentTest, Utf8ValidationIsStrict) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80"));  // é 日 😀
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));                      // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xc0\x80"));                             // overlong NUL
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));                         // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));                         // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));                     // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xc3"));                                 // truncated
  EXPECT_FALSE(IsValidUtf8("a\x80"));                                // stray continuation
  EXPECT_FALSE(IsValidUtf8("\xff"));
}

}  // namespace
}  // namespace proberows
