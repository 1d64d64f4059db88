#include "arrayrecord/simple_chunk.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "arrayrecord/hash.h"
#include "util/varint.h"

namespace proberows::arrayrecord {
namespace {

struct Encoded {
  ChunkHeader header;
  std::string data;
};

Encoded Encode(const CompressionParams& params, const std::vector<std::string>& records) {
  std::string values;
  std::vector<uint64_t> sizes;
  for (const std::string& r : records) {
    values += r;
    sizes.push_back(r.size());
  }
  Encoded out;
  out.data = "xyz";  // appended after existing bytes
  std::string scratch;
  EXPECT_TRUE(EncodeSimpleChunk(params, values, sizes.data(), sizes.size(), &scratch, &out.data, &out.header).ok());
  EXPECT_EQ(out.data.substr(0, 3), "xyz");
  out.data.erase(0, 3);
  return out;
}

TEST(ArrayRecordSimpleChunk, UncompressedLayout) {
  const Encoded e = Encode({}, {"0"});
  EXPECT_EQ(e.data, std::string("\x00\x01\x01"
                                "0",
                                4));
  EXPECT_EQ(e.header.data_size, 4u);
  EXPECT_EQ(e.header.num_records, 1u);
  EXPECT_EQ(e.header.decoded_data_size, 1u);
  EXPECT_EQ(e.header.chunk_type, 'r');
  EXPECT_EQ(e.header.data_hash, RiegeliHash(e.data));
}

TEST(ArrayRecordSimpleChunk, RoundTripEveryCompression) {
  const std::vector<std::string> records = {"", "a", std::string(300, 'b'), "", std::string(100000, 'c'), "end"};
  for (CompressionType type :
       {CompressionType::kNone, CompressionType::kZstd, CompressionType::kBrotli, CompressionType::kSnappy}) {
    const Encoded e = Encode({type, type == CompressionType::kBrotli ? 6 : 3, std::nullopt}, records);
    EXPECT_EQ(static_cast<uint8_t>(e.data[0]), static_cast<uint8_t>(type));
    DecodedChunk decoded;
    ASSERT_TRUE(DecodeSimpleChunk(e.header, e.data, &decoded).ok());
    ASSERT_EQ(decoded.num_records(), records.size());
    for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(decoded.record(i), records[i]);
    // Moving keeps the records valid (also when they live in data_storage).
    DecodedChunk owner;
    owner.data_storage() = e.data;
    ASSERT_TRUE(DecodeSimpleChunk(e.header, owner.data_storage(), &owner).ok());
    DecodedChunk moved = std::move(owner);
    for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(moved.record(i), records[i]);
  }
}

TEST(ArrayRecordSimpleChunk, InconsistentHeaderIsDataLoss) {
  const Encoded e = Encode({}, {"abc", "de"});
  struct Case {
    uint64_t num_records;
    uint64_t decoded_data_size;
    const char* message;
  };
  const Case cases[] = {
      {3, 5, "header declares 3 records but the sizes buffer holds only 2 bytes"},
      {1, 5, "1 bytes left in the sizes buffer after 1 records"},
      {2, 4, "record sizes exceed the decoded_data_size 4 declared in the header"},
      {2, 6, "record sizes sum to 5 but the header declares decoded_data_size 6"},
  };
  for (const Case& c : cases) {
    ChunkHeader header = e.header;
    header.num_records = c.num_records;
    header.decoded_data_size = c.decoded_data_size;
    DecodedChunk decoded;
    const absl::Status status = DecodeSimpleChunk(header, e.data, &decoded);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(std::string(status.message()), c.message);
  }
  DecodedChunk decoded;
  EXPECT_EQ(std::string(DecodeSimpleChunk(e.header, "", &decoded).message()), "empty data (no compression type)");
  EXPECT_EQ(std::string(DecodeSimpleChunk(e.header, std::string("\0\x09\x03", 3), &decoded).message()),
            "sizes buffer of 9 bytes exceeds the 1 bytes left in the chunk");
  // Values shorter than the sizes say.
  EXPECT_EQ(std::string(DecodeSimpleChunk(e.header, e.data.substr(0, e.data.size() - 1), &decoded).message()),
            "values buffer holds 4 bytes, header declares 5");
}

TEST(ArrayRecordSimpleChunk, HugeDeclaredCountsDoNotAllocate) {
  const Encoded e = Encode({CompressionType::kZstd, 3, 20}, {"abc"});
  ChunkHeader header = e.header;
  header.num_records = uint64_t{1} << 50;
  header.decoded_data_size = uint64_t{1} << 60;
  DecodedChunk decoded;
  EXPECT_EQ(DecodeSimpleChunk(header, e.data, &decoded).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace proberows::arrayrecord
