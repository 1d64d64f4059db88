#include "source/bzip2_blocks.h"

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "source/bzip2_pipes.h"
#include "tests/compress_util.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

// About `bytes` of JSON lines that compress unevenly (a simple LCG).
std::string VariedLines(size_t bytes) {
  std::string s;
  uint64_t x = 12345;
  while (s.size() < bytes) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    s += "{\"prb_id\": " + std::to_string(x >> 50) + ", \"rtt\": " + std::to_string((x >> 20) % 100000) +
         ", \"src\": \"" + std::to_string((x >> 8) & 0xffff) + "\"}\n";
  }
  return s;
}

struct Decoded {
  std::string bytes;
  absl::Status status;
  size_t largest_piece = 0;
  int pieces = 0;
};

Decoded Parallel(const std::string& path, int threads) {
  Decoded d;
  d.status = DecodeBzip2FileParallel(path, threads, [&](std::string_view b) {
    d.bytes.append(b);
    d.largest_piece = std::max(d.largest_piece, b.size());
    ++d.pieces;
    return true;
  });
  return d;
}

Decoded Serial(const std::string& path) {
  Decoded d;
  d.status = DecodeBzip2File(path, [&](std::string_view b) {
    d.bytes.append(b);
    return true;
  });
  return d;
}

class Bzip2BlocksTest : public ::testing::Test {
 protected:
  // Writes `data` as x.bz2 and checks that 2 and 3 threads decode it to
  // `text` as the serial decoder does.
  void ExpectDecodes(const std::string& data, const std::string& text) {
    WriteFileOrDie(path_, data);
    const Decoded serial = Serial(path_);
    ASSERT_TRUE(serial.status.ok()) << serial.status;
    ASSERT_EQ(serial.bytes, text);
    for (const int threads : {2, 3}) {
      const Decoded d = Parallel(path_, threads);
      EXPECT_TRUE(d.status.ok()) << d.status;
      EXPECT_TRUE(d.bytes == text) << "threads " << threads << ": " << d.bytes.size() << " bytes, not " << text.size();
      EXPECT_LE(d.largest_piece, size_t{1} << 20);
    }
  }
  // Writes `data` as x.bz2 and checks that 2 threads fail with the serial
  // decoder's error, having passed on a prefix of `text`.
  void ExpectFails(const std::string& data, const std::string& text) {
    WriteFileOrDie(path_, data);
    const Decoded serial = Serial(path_);
    ASSERT_FALSE(serial.status.ok());
    const Decoded d = Parallel(path_, 2);
    EXPECT_EQ(d.status, serial.status);
    EXPECT_EQ(d.bytes, text.substr(0, d.bytes.size()));
  }

  TempDir dir_;
  const std::string path_ = dir_.path() + "/x.bz2";
};

TEST_F(Bzip2BlocksTest, ManyBlocksDecodeAsTheSerialDecoderDoes) {
  const std::string text = VariedLines(2 << 20);
  const std::string data = Bzip2(text, 1);  // blocks of 100 kB: ~20 of them
  ExpectDecodes(data, text);
  // Passed on block by block (the serial decoder passes on 1 MiB pieces).
  EXPECT_LT(Parallel(path_, 2).largest_piece, size_t{200} << 10);
  // The same through DecodeBzip2FileParallel's serial path.
  const Decoded one = Parallel(path_, 1);
  EXPECT_TRUE(one.status.ok() && one.bytes == text) << one.status;
}

TEST_F(Bzip2BlocksTest, ConcatenatedStreamsOfEveryLevelAndEmptyOnes) {
  const std::string text = VariedLines(600 << 10);
  std::string data, expected;
  for (int level = 1; level <= 9; level += 4) {
    const std::string part = text.substr(0, static_cast<size_t>(level) * 60000);
    data += Bzip2(part, level) + Bzip2("", level);
    expected += part;
  }
  ExpectDecodes(Bzip2("") + data, expected);
}

TEST_F(Bzip2BlocksTest, DataHoldingTheMagicsLiterally) {
  std::string text;
  const std::string magics = "\x31\x41\x59\x26\x53\x59\x17\x72\x45\x38\x50\x90";
  for (int i = 0; i < 40000; ++i) text += magics + "BZh9" + std::to_string(i) + "\n";
  ExpectDecodes(Bzip2(text, 1), text);
  // Two streams of the magics alone (one short block each).
  const std::string once = Bzip2(magics);
  ExpectDecodes(once + once, magics + magics);
}

// Text of bytes [0, 48) whose block headers hold `magic` by chance: a block
// lists the byte values it uses as 16-bit masks, one per range of 16 values
// in use (value 16 * range + j is bit 15 - j); three ranges in use spell a
// 48-bit magic, 121 bits into every block.
std::string TextSpelling(uint64_t magic) {
  std::string values;
  for (int range = 0; range < 3; ++range)
    for (int j = 0; j < 16; ++j)
      if ((magic >> (16 * (2 - range) + 15 - j)) & 1) values.push_back(static_cast<char>(16 * range + j));
  std::string text;
  uint64_t x = 7;
  while (text.size() < 250000) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const char c = values[(x >> 33) % values.size()];
    if (text.empty() || c != text.back()) text.push_back(c);  // no runs: their lengths are bytes too
  }
  return text;
}

TEST_F(Bzip2BlocksTest, MagicsByChanceInsideBlocksAreMergedBack) {
  const std::string block_magic = TextSpelling(0x314159265359);
  ExpectDecodes(Bzip2(block_magic, 1), block_magic);
  // One piece per block, as blocks pass them on (the serial decoder, the
  // fallback, would pass on one piece).
  EXPECT_EQ(Parallel(path_, 2).pieces, 3);
  const std::string end_magic = TextSpelling(0x177245385090);
  ExpectDecodes(Bzip2(end_magic, 1) + Bzip2(block_magic, 1), end_magic + block_magic);
  EXPECT_EQ(Parallel(path_, 2).pieces, 6);
}

TEST_F(Bzip2BlocksTest, LongRunsExpandOneBlockToManyMegabytes) {
  // A 100 kB block of runs decodes to ~5 MB: with a cap of 1 MiB on the
  // decoded bytes in flight, every block but the next to pass on waits.
  std::string text(24 << 20, 'a');
  for (size_t i = 0; i < text.size(); i += 3 << 20) text[i] = 'b';
  WriteFileOrDie(path_, Bzip2(text, 1));
  for (const size_t cap : {size_t{1} << 20, size_t{32} << 20}) {
    std::string got;
    const absl::Status st = DecodeBzip2FileParallel(
        path_, 3,
        [&](std::string_view b) {
          got.append(b);
          return b.size() <= (size_t{1} << 20);
        },
        cap);
    EXPECT_TRUE(st.ok()) << st;
    EXPECT_TRUE(got == text) << got.size();
  }
}

TEST_F(Bzip2BlocksTest, DamageAndTruncationFailAsTheSerialDecoderWordsThem) {
  const std::string text = VariedLines(1 << 20);
  const std::string data = Bzip2(text, 1);
  std::string flipped = data;
  flipped[flipped.size() / 2] ^= 0x55;
  ExpectFails(flipped, text);
  ExpectFails(data.substr(0, data.size() / 2), text);
  ExpectFails(data.substr(0, data.size() - 3), text);
  ExpectFails(data + "junk\n", text);
  ExpectFails(data + data.substr(0, 20), text + text);
  ExpectFails(text, text);
  ExpectFails("", text);
  // Named exactly as DecodeBzip2File names them (bzip2_pipes_test.cc).
  WriteFileOrDie(path_, data.substr(0, data.size() / 2));
  EXPECT_EQ(
      Parallel(path_, 2).status,
      absl::DataLossError("input '" + path_ + "': bzip2 data ends early at byte " + std::to_string(data.size() / 2) +
                          ", inside stream 1 (the file is truncated; download it again)"));
  WriteFileOrDie(path_, data + "junk\n");
  EXPECT_EQ(Parallel(path_, 2).status,
            absl::DataLossError("input '" + path_ + "': the bytes after bzip2 stream 1 (from byte " +
                                std::to_string(data.size()) + ") are not bzip2 data"));
  WriteFileOrDie(path_, flipped);
  const absl::Status damaged = Parallel(path_, 2).status;
  EXPECT_TRUE(absl::StartsWith(damaged.message(), "input '" + path_ +
                                                      "': bzip2 data is damaged (a check failed in stream 1 before "
                                                      "byte "))
      << damaged;
}

TEST_F(Bzip2BlocksTest, AStoppingSinkStopsEverything) {
  WriteFileOrDie(path_, Bzip2(VariedLines(4 << 20), 1));
  int calls = 0;
  const auto start = std::chrono::steady_clock::now();
  const absl::Status st = DecodeBzip2FileParallel(path_, 2, [&](std::string_view) { return ++calls < 2; });
  EXPECT_EQ(st, absl::CancelledError("input '" + path_ + "': decoding stopped"));
  EXPECT_EQ(calls, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace proberows
