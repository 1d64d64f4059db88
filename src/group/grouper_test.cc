// GroupAndEncode's order: (key hash, key bytes memcmp-then-shorter, order,
// payload). The sort compares an 8-byte key prefix and the key length before
// touching the records; these tests force equal hashes so that the key
// tie-break, including its prefix edge cases, decides the output.
#include "group/grouper.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "example/segment.h"
#include "group/record.h"
#include "proberows/example.h"

namespace proberows {
namespace {

ExampleEncoder StringKeyEncoder() {
  absl::StatusOr<ExampleEncoder> enc =
      ExampleEncoder::Create({ColumnSpec{"key", FeatureType::kBytes, false, ColumnRole::kKey},
                              ColumnSpec{"t", FeatureType::kInt64, false, ColumnRole::kPerMeasurement}});
  EXPECT_TRUE(enc.ok()) << enc.status();
  return *std::move(enc);
}

// The hashes the tests give their keys (records do not store hashes): the
// number after '#' in the key, or 42 (forcing collisions).
uint64_t TestHash(std::string_view key) {
  const size_t at = key.rfind('#');
  return at == std::string_view::npos ? 42 : std::stoull(std::string(key.substr(at + 1)));
}

KeyHasher TestHasher() {
  KeyHasher h;
  h.key_is_string = true;
  h.for_tests = TestHash;
  return h;
}

// Appends one measurement record: key (sort bytes), order value, and a
// payload holding `t` as the single int64 column.
void AddRecord(std::string* buf, std::string_view key, uint64_t order, int64_t t) {
  std::string payload;
  PayloadBuilder(&payload).AddInt64(t);
  std::string rec(kRecordMaxHeaderSize + key.size() + payload.size(), '\0');
  char* p = StartRecordHeader(rec.data(), order, static_cast<uint32_t>(key.size()));
  p = std::copy(key.begin(), key.end(), p);
  p = std::copy(payload.begin(), payload.end(), p);
  FinishRecordHeader(rec.data(), p);
  rec.resize(static_cast<size_t>(p - rec.data()));
  buf->append(rec);
}

// The key of each encoded row, in output order.
std::vector<std::string> RowKeys(const EncodedRows& rows) {
  std::vector<std::string> keys;
  for (size_t i = 0; i < rows.size(); ++i) {
    absl::StatusOr<DecodedExample> ex = DecodeExample(rows.row(i));
    EXPECT_TRUE(ex.ok()) << ex.status();
    keys.push_back(std::get<std::vector<std::string>>(ex->at("key")).at(0));
  }
  return keys;
}

TEST(GrouperTest, EqualHashesOrderKeysByBytesThenLength) {
  // Every edge of the prefix comparison: keys shorter than, equal to and
  // longer than 8 bytes; a key that is a prefix of another; zero bytes that
  // padding must not confuse with "shorter"; long keys equal in 8 bytes.
  const std::vector<std::string> keys = {
      std::string(""),          std::string("a"),
      std::string("a\0", 2),    std::string("a\0\0", 3),
      std::string("a\x01", 2),  std::string("ab"),
      std::string("abcdefgh"),  std::string("abcdefgh\0", 9),
      std::string("abcdefgh0"), std::string("abcdefgh00"),
      std::string("abcdefgh1"), std::string("abcdefgi"),
      std::string("\xff", 1),   std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff", 9)};
  std::vector<std::string> expected = keys;
  std::sort(expected.begin(), expected.end());  // std::string order: memcmp, then shorter first

  // Three measurements per key, all under one hash, shuffled.
  std::vector<std::pair<std::string, int>> items;
  for (const std::string& k : keys)
    for (int t = 0; t < 3; ++t) items.emplace_back(k, t);
  std::mt19937 rng(7);
  std::shuffle(items.begin(), items.end(), rng);
  std::string buf;
  for (const auto& [k, t] : items) AddRecord(&buf, k, /*order=*/static_cast<uint64_t>(10 - t), t);

  const ExampleEncoder enc = StringKeyEncoder();
  EncodedRows rows;
  GroupScratch scratch;
  ASSERT_TRUE(GroupAndEncode(buf, enc, TestHasher(), &rows, &scratch).ok());
  EXPECT_EQ(RowKeys(rows), expected);
  ASSERT_EQ(rows.size(), keys.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows.measurements[i], 3u);
    // Within a key: by order value, which runs opposite to t.
    absl::StatusOr<DecodedExample> ex = DecodeExample(rows.row(i));
    ASSERT_TRUE(ex.ok());
    EXPECT_EQ(std::get<std::vector<int64_t>>(ex->at("t")), (std::vector<int64_t>{2, 1, 0}));
  }
}

TEST(GrouperTest, HashDecidesBeforeKey) {
  std::string buf;
  AddRecord(&buf, "a#9", 0, 1);
  AddRecord(&buf, "b#3", 0, 2);
  AddRecord(&buf, "abcdefghij#5", 0, 3);
  const ExampleEncoder enc = StringKeyEncoder();
  EncodedRows rows;
  GroupScratch scratch;
  ASSERT_TRUE(GroupAndEncode(buf, enc, TestHasher(), &rows, &scratch).ok());
  EXPECT_EQ(RowKeys(rows), (std::vector<std::string>{"b#3", "abcdefghij#5", "a#9"}));
}

TEST(GrouperTest, TruncatedRecordIsAnError) {
  std::string buf;
  AddRecord(&buf, "a", 0, 1);
  buf.resize(buf.size() - 1);
  const ExampleEncoder enc = StringKeyEncoder();
  EncodedRows rows;
  GroupScratch scratch;
  const absl::Status st = GroupAndEncode(buf, enc, TestHasher(), &rows, &scratch);
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(st.message(), "measurement record at offset 0 overruns its partition");
}

}  // namespace
}  // namespace proberows
