#include "arrayrecord/block_layout.h"

#include <string>

#include <gtest/gtest.h>

#include "arrayrecord/chunk.h"
#include "arrayrecord/hash.h"

namespace proberows::arrayrecord {
namespace {

TEST(ArrayRecordBlockLayout, PossibleChunkBoundaries) {
  EXPECT_TRUE(IsPossibleChunkBoundary(0));
  for (uint64_t r = 1; r <= 24; ++r) {
    EXPECT_FALSE(IsPossibleChunkBoundary(kBlockSize + r)) << r;
    EXPECT_EQ(RoundUpToPossibleChunkBoundary(kBlockSize + r), kBlockSize + 25) << r;
  }
  EXPECT_TRUE(IsPossibleChunkBoundary(kBlockSize + 25));
  EXPECT_TRUE(IsPossibleChunkBoundary(2 * kBlockSize - 1));
  EXPECT_EQ(RoundUpToPossibleChunkBoundary(100), 100u);
}

TEST(ArrayRecordBlockLayout, AddWithOverhead) {
  EXPECT_EQ(AddWithOverhead(0, 40), 64u);                       // the signature
  EXPECT_EQ(AddWithOverhead(64, 44), 108u);                     // "0" in the test vector
  EXPECT_EQ(AddWithOverhead(64, kBlockSize - 64), kBlockSize);  // ends exactly at a boundary
  EXPECT_EQ(AddWithOverhead(64, kBlockSize - 63), kBlockSize + 25);
  EXPECT_EQ(AddWithOverhead(kBlockSize, 40), kBlockSize + 64);
  // A chunk spanning three block headers.
  EXPECT_EQ(AddWithOverhead(100, 3 * kUsableBlockSize), 100 + 3 * kUsableBlockSize + 3 * 24);
}

TEST(ArrayRecordBlockLayout, ChunkEndCountsRecords) {
  // 1000 empty records in a 45-byte chunk: the chunk is at least 1000 bytes.
  EXPECT_EQ(ChunkEnd(64, 45, 1000), 1064u);
  EXPECT_EQ(ChunkEnd(64, 45, 1), 109u);
  // begin + num_records inside a block header rounds up past it.
  EXPECT_EQ(ChunkEnd(kBlockSize - 10, 45, 20), kBlockSize + 45 - 10 + 24);
  EXPECT_EQ(ChunkEnd(kBlockSize - 100, 41, 110), kBlockSize + 25);
}

TEST(ArrayRecordBlockLayout, SignatureBytes) {
  // The 64 bytes every Riegeli file starts with (format contract).
  const unsigned char kExpected[64] = {0x83, 0xaf, 0x70, 0xd1, 0x0d, 0x88, 0x4a, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x91, 0xba,
                                       0xc2, 0x3c, 0x92, 0x87, 0xe1, 0xa9, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                       0x00, 0xe1, 0x9f, 0x13, 0xc0, 0xe9, 0xb1, 0xc3, 0x72, 0x73, 0x00, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  char bytes[64];
  EncodeBlockHeader(BlockHeader{0, 64}, bytes);
  ChunkHeader header;
  header.data_hash = RiegeliHash("");
  header.chunk_type = static_cast<uint8_t>(ChunkType::kFileSignature);
  EncodeChunkHeader(header, bytes + 24);
  EXPECT_EQ(std::string(bytes, 64), std::string(reinterpret_cast<const char*>(kExpected), 64));

  BlockHeader block;
  ASSERT_TRUE(DecodeBlockHeader(std::string_view(bytes, 24), &block));
  EXPECT_EQ(block.previous_chunk, 0u);
  EXPECT_EQ(block.next_chunk, 64u);
  ChunkHeader decoded;
  ASSERT_TRUE(DecodeChunkHeader(std::string_view(bytes + 24, 40), &decoded));
  EXPECT_EQ(decoded.chunk_type, 's');
  bytes[30] ^= 1;
  EXPECT_FALSE(DecodeChunkHeader(std::string_view(bytes + 24, 40), &decoded));
  bytes[3] ^= 1;
  EXPECT_FALSE(DecodeBlockHeader(std::string_view(bytes, 24), &block));
}

TEST(ArrayRecordBlockLayout, ChunkHeaderFields) {
  ChunkHeader header;
  header.data_size = 0x0102030405;
  header.data_hash = 0xdeadbeefcafef00d;
  header.chunk_type = 'r';
  header.num_records = kMaxNumRecords;
  header.decoded_data_size = 77;
  char bytes[40];
  EncodeChunkHeader(header, bytes);
  ChunkHeader decoded;
  ASSERT_TRUE(DecodeChunkHeader(std::string_view(bytes, 40), &decoded));
  EXPECT_EQ(decoded.data_size, header.data_size);
  EXPECT_EQ(decoded.data_hash, header.data_hash);
  EXPECT_EQ(decoded.chunk_type, 'r');
  EXPECT_EQ(decoded.num_records, kMaxNumRecords);
  EXPECT_EQ(decoded.decoded_data_size, 77u);
  EXPECT_EQ(ChunkTypeName('r'), "simple ('r')");
  EXPECT_EQ(ChunkTypeName(5), "unknown (0x05)");
}

}  // namespace
}  // namespace proberows::arrayrecord
