// Spill blocks (docs/spill-format.md): exact round trips of every layout and
// codec, what the columnar layout drops, damage caught with the file and
// offset named, decoders that never crash on bad data, blocks kept in memory
// read like written ones, and the key collector's exact distinct counts.
#include "group/spill_block.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "example/segment.h"
#include "group/key_list.h"
#include "group/partitioner.h"
#include "group/record.h"
#include "group/spill_file.h"
#include "source/key_codec.h"
#include "tests/test_util.h"
#include "util/status_macros.h"

namespace proberows {
namespace {

// A record like the converter's: int key, an int64 order that is also the
// first payload column (a timestamp), a float, a string from a small set, a
// float list of 0-3 elements.
void AddRecord(std::string* buf, int64_t key, int64_t timestamp, float value, std::string_view name, int rtts) {
  std::string payload;
  PayloadBuilder b(&payload);
  b.AddInt64(timestamp);
  b.AddFloat(value);
  b.AddBytes(name);
  b.BeginList();
  for (int i = 0; i < rtts; ++i) b.AddFloatElement(value + static_cast<float>(i));
  b.EndList();
  char key_bytes[kIntKeySize];
  EncodeIntKey(key, key_bytes);
  std::string rec(kRecordMaxHeaderSize + kIntKeySize + payload.size(), '\0');
  char* p = StartRecordHeader(rec.data(), SortableInt64(timestamp), kIntKeySize);
  p = std::copy(key_bytes, key_bytes + kIntKeySize, p);
  p = std::copy(payload.begin(), payload.end(), p);
  FinishRecordHeader(rec.data(), p);
  buf->append(rec.data(), static_cast<size_t>(p - rec.data()));
}

std::string SampleRecords(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const char* names[] = {"ICMP", "UDP", "TCP"};
  std::string buf;
  int64_t t = 1704067200000000;
  for (size_t i = 0; i < n; ++i) {
    t += static_cast<int64_t>(rng() % 5000);
    AddRecord(&buf, static_cast<int64_t>(rng() % 1000) - 10, t, static_cast<float>(rng() % 1000) / 7.0f,
              names[rng() % 3], static_cast<int>(rng() % 4));
  }
  return buf;
}

SpillBlockHeader HeaderOf(const std::string& block) {
  SpillBlockHeader h;
  EXPECT_EQ(ParseSpillBlockHeader(block.data(), &h), nullptr);
  return h;
}

std::string DecodeBlock(const std::string& block) {
  SpillBlockHeader h = HeaderOf(block);
  const std::string_view data(block.data() + kSpillBlockHeaderSize, block.size() - kSpillBlockHeaderSize);
  EXPECT_EQ(SpillBlockCheck(block.data(), data), h.check);
  std::string out(h.raw, '\0');
  SpillBlockDecoder decoder;
  const char* error = decoder.Decode(h, data, out.data());
  EXPECT_EQ(error, nullptr) << error;
  return out;
}

TEST(SpillBlockTest, EveryLayoutAndCodecRoundTripsExactly) {
  const std::string records = SampleRecords(3000, 1);
  for (bool columnar : {false, true}) {
    for (SpillCodec codec : {SpillCodec::kNone, SpillCodec::kLz4, SpillCodec::kZstd}) {
      SpillBlockEncoder encoder(SpillBlockOptions{codec, 1, columnar});
      std::string block;
      for (int round = 0; round < 2; ++round) {  // buffers reused
        encoder.Encode(records, true, &block);
        const SpillBlockHeader h = HeaderOf(block);
        EXPECT_EQ(h.codec, codec);
        EXPECT_EQ(h.layout, columnar ? SpillLayout::kColumnar : SpillLayout::kBytes);
        EXPECT_EQ(h.raw, records.size());
        EXPECT_EQ(h.stored + kSpillBlockHeaderSize, block.size());
        EXPECT_EQ(DecodeBlock(block), records) << static_cast<int>(codec) << " " << columnar;
      }
    }
  }
}

// The columnar layout drops the float's length byte, the timestamp's copy
// and the key length; deltas of increasing orders are short.
TEST(SpillBlockTest, ColumnarLayoutDropsWhatRecordsRepeat) {
  const std::string records = SampleRecords(1000, 2);
  SpillBlockEncoder encoder(SpillBlockOptions{SpillCodec::kNone, 0, true});
  std::string block;
  encoder.Encode(records, true, &block);
  const SpillBlockHeader h = HeaderOf(block);
  ASSERT_EQ(h.layout, SpillLayout::kColumnar);
  // Per record the records hold 4 (length) + 8 (order) + 1 + 8 (key) + the
  // timestamp's ~8 + 1 bytes and two length bytes of fixed-size segments;
  // the columnar layout keeps the key, ~2 bytes of order delta and the rest.
  EXPECT_LT(h.plain, records.size() - 1000 * 20);
  EXPECT_EQ(DecodeBlock(block), records);
  // LZ4 then finds the repeated names and list lengths.
  SpillBlockEncoder lz4(SpillBlockOptions{SpillCodec::kLz4, 1, true});
  lz4.Encode(records, true, &block);
  EXPECT_LT(HeaderOf(block).stored, h.plain);
}

TEST(SpillBlockTest, BytesThatAreNotRecordsAreStoredAsTheyAre) {
  std::string bytes = SampleRecords(50, 3);
  bytes.resize(bytes.size() - 1);  // the last record is cut
  SpillBlockEncoder encoder;
  std::string block;
  encoder.Encode(bytes, true, &block);
  EXPECT_EQ(HeaderOf(block).layout, SpillLayout::kBytes);
  EXPECT_EQ(DecodeBlock(block), bytes);
  // Records with differing segment counts cannot be columns either.
  std::string mixed = SampleRecords(2, 4);
  std::string one;
  PayloadBuilder(&one).AddInt64(5);
  std::string rec(kRecordMaxHeaderSize + 1 + one.size(), '\0');
  char* p = StartRecordHeader(rec.data(), 9, 1);
  *p++ = 'k';
  p = std::copy(one.begin(), one.end(), p);
  FinishRecordHeader(rec.data(), p);
  mixed.append(rec.data(), static_cast<size_t>(p - rec.data()));
  encoder.Encode(mixed, true, &block);
  EXPECT_EQ(HeaderOf(block).layout, SpillLayout::kBytes);
  EXPECT_EQ(DecodeBlock(block), mixed);
  encoder.Encode("", true, &block);
  EXPECT_EQ(DecodeBlock(block), "");
  // A length varint written in more bytes than needed (the fuzzer's input:
  // key length 0 as 80 00) would shrink in columns: bytes too, and back whole.
  const std::string padded("\x0a\x00\x00\x00\x00\xf4\x1e\x00\x00\x00\x00\x00\x80\x00", 14);
  for (const SpillCodec codec : {SpillCodec::kNone, SpillCodec::kLz4, SpillCodec::kZstd}) {
    SpillBlockEncoder columns(SpillBlockOptions{codec, 1, true});
    columns.Encode(padded, true, &block);
    EXPECT_EQ(HeaderOf(block).layout, SpillLayout::kBytes);
    EXPECT_EQ(DecodeBlock(block), padded);
  }
}

// Damaged plain columnar data (a valid checksum over bad content, as a bug
// would write) is an error or decodes to exactly `raw` bytes: never a read
// or write out of bounds (ASan runs this too).
TEST(SpillBlockTest, DecoderNeverCrashesOnDamagedColumns) {
  const std::string records = SampleRecords(40, 5);
  SpillBlockEncoder encoder(SpillBlockOptions{SpillCodec::kNone, 0, true});
  std::string block;
  encoder.Encode(records, true, &block);
  const SpillBlockHeader h = HeaderOf(block);
  ASSERT_EQ(h.layout, SpillLayout::kColumnar);
  std::mt19937_64 rng(6);
  SpillBlockDecoder decoder;
  int errors = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    std::string data = block.substr(kSpillBlockHeaderSize);
    data[rng() % data.size()] = static_cast<char>(rng());
    if (iter % 4 == 0) data.resize(rng() % data.size());
    SpillBlockHeader bad = h;
    bad.stored = bad.plain = static_cast<uint32_t>(data.size());
    std::string out(h.raw, '\0');
    if (decoder.Decode(bad, data, out.data()) != nullptr) ++errors;
  }
  EXPECT_GT(errors, 1000);
}

// Writes blocks through SpillWriter; damages the file; the reader names the
// file and the block's offset.
TEST(SpillBlockTest, DamageIsDataLossNamingFileAndOffset) {
  TempDir dir;
  const std::string path = dir.path() + "/t0.spill";
  const std::string a = SampleRecords(30, 7), b = SampleRecords(20, 8);
  std::vector<BlockRef> blocks(2);
  {
    absl::StatusOr<std::unique_ptr<SpillWriter>> w = SpillWriter::Open(Env::Default(), path, true);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->AppendBlock(a, &blocks[0]).ok());
    ASSERT_TRUE((*w)->AppendBlock(b, &blocks[1]).ok());
    ASSERT_TRUE((*w)->Close().ok());
    EXPECT_EQ((*w)->raw_bytes(), a.size() + b.size());
  }
  std::string buffer;
  size_t used = 0;
  ASSERT_TRUE(ReadSpillBlocksInto(Env::Default(), blocks, &buffer, &used).ok());
  EXPECT_EQ(std::string(buffer.data(), used), a + b);
  const std::string pristine = ReadFileOrDie(path);
  for (size_t i = 0; i < pristine.size(); ++i) {
    std::string damaged = pristine;
    damaged[i] ^= 0x20;
    WriteFileOrDie(path, damaged);
    const absl::Status st = ReadSpillBlocksInto(Env::Default(), blocks, &buffer, &used);
    ASSERT_EQ(st.code(), absl::StatusCode::kDataLoss) << i << " " << st;
    const uint64_t offset = i < blocks[1].offset ? 0 : blocks[1].offset;
    EXPECT_NE(StatusMessage(st).find(fmt::format("spill file '{}'", path)), std::string::npos) << st;
    EXPECT_NE(StatusMessage(st).find(fmt::format("offset {}", offset)), std::string::npos) << st;
  }
  WriteFileOrDie(path, pristine.substr(0, pristine.size() - 1));
  EXPECT_EQ(ReadSpillBlocksInto(Env::Default(), blocks, &buffer, &used),
            absl::DataLossError(fmt::format("spill file '{}' is {} bytes, too short for its block at offset {}", path,
                                            pristine.size() - 1, blocks[1].offset)));
}

// Blocks of the first partitions kept in memory read back exactly like the
// same blocks written; the file holds only the others; the budget is a cap.
TEST(SpillBlockTest, PartitionsKeptInMemoryReadLikeSpilledOnes) {
  TempDir dir;
  const std::string records = SampleRecords(4000, 9);
  KeyHasher hasher;
  auto partition = [&](SpillKeep* keep, const std::string& name, std::vector<std::string>* out, uint64_t* file_bytes,
                       uint64_t* kept) {
    SpillPartitioner sp(Env::Default(), dir.path() + "/" + name, 2, 4096, nullptr, 0, 0, SpillBlockOptions(), keep);
    for (size_t pos = 0; pos < records.size();) {
      RecordView r{records.data() + pos};
      ASSERT_TRUE(sp.Add(hasher(r.key()), std::string_view(r.data, r.total_size())).ok());
      pos += r.total_size();
    }
    absl::StatusOr<std::vector<Partition>> parts = sp.Finish();
    ASSERT_TRUE(parts.ok()) << parts.status();
    for (const Partition& p : *parts) {
      std::string buffer;
      size_t used = 0;
      ASSERT_TRUE(ReadSpillBlocksInto(Env::Default(), p.blocks, &buffer, &used).ok());
      out->push_back(buffer.substr(0, used));
      for (const BlockRef& b : p.blocks) EXPECT_EQ(b.memory != nullptr, keep != nullptr && p.index < keep->partitions);
    }
    *file_bytes = sp.bytes_written();
    *kept = sp.bytes_kept();
  };
  std::vector<std::string> spilled, kept_parts;
  uint64_t spilled_bytes = 0, none = 0, file_bytes = 0, kept = 0;
  partition(nullptr, "all.spill", &spilled, &spilled_bytes, &none);
  SpillKeep keep;
  keep.partitions = 2;
  keep.max_bytes = uint64_t{1} << 30;
  partition(&keep, "some.spill", &kept_parts, &file_bytes, &kept);
  EXPECT_EQ(kept_parts, spilled);
  EXPECT_EQ(none, 0u);
  EXPECT_GT(kept, 0u);
  EXPECT_EQ(file_bytes + kept, spilled_bytes);
  EXPECT_EQ(keep.held.load(), kept);
  // A budget of one byte keeps nothing.
  SpillKeep tiny;
  tiny.partitions = 4;
  tiny.max_bytes = 1;
  std::vector<std::string> capped;
  SpillPartitioner sp(Env::Default(), dir.path() + "/capped.spill", 2, 4096, nullptr, 0, 0, SpillBlockOptions(), &tiny);
  for (size_t pos = 0; pos < records.size();) {
    RecordView r{records.data() + pos};
    ASSERT_TRUE(sp.Add(hasher(r.key()), std::string_view(r.data, r.total_size())).ok());
    pos += r.total_size();
  }
  ASSERT_TRUE(sp.Finish().ok());
  EXPECT_EQ(sp.bytes_kept(), 0u);
  EXPECT_EQ(sp.bytes_written(), spilled_bytes);
}

// IntKeySet and the collector count exactly (value 0 included), across
// flushes for memory.
TEST(KeyCollectorTest, IntegerKeysAreCountedExactly) {
  IntKeySet set;
  std::set<uint64_t> want;
  std::mt19937_64 rng(10);
  for (int i = 0; i < 50000; ++i) {
    const uint64_t v = i % 7 == 0 ? 0 : rng() % 20000 * 0x10001;
    EXPECT_EQ(set.Insert(v), want.insert(v).second);
  }
  EXPECT_EQ(set.size(), want.size());
  std::vector<uint64_t> got;
  set.AppendTo(&got);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, std::vector<uint64_t>(want.begin(), want.end()));

  TempDir dir;
  KeyCollector keys(Env::Default(), dir.path() + "/t0.keys", true, 1, 4096);  // flushes every ~256 keys
  std::set<std::string> sorted[2];
  char b[kIntKeySize];
  for (int i = 0; i < 20000; ++i) {
    EncodeIntKey(static_cast<int64_t>(rng() % 3000) - 1500, b);
    const size_t p = static_cast<unsigned char>(b[7]) & 1;
    ASSERT_TRUE(keys.Add(p, std::string_view(b, kIntKeySize)).ok());
    sorted[p].insert(std::string(b, kIntKeySize));
  }
  absl::StatusOr<std::vector<std::vector<BlockRef>>> runs = keys.Finish();
  ASSERT_TRUE(runs.ok()) << runs.status();
  EXPECT_GT(keys.flushes(), 10);
  for (size_t p = 0; p < 2; ++p) {
    absl::StatusOr<uint64_t> n = CountDistinctKeys(Env::Default(), (*runs)[p]);
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n, sorted[p].size());
    absl::StatusOr<std::vector<std::string>> all = ReadDistinctKeys(Env::Default(), (*runs)[p]);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(*all, std::vector<std::string>(sorted[p].begin(), sorted[p].end()));
  }
}

}  // namespace
}  // namespace proberows
