#include "proberows/array_record_reader.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "arrayrecord/block_layout.h"
#include "arrayrecord/chunk_writer.h"
#include "arrayrecord/footer.h"
#include "arrayrecord/hash.h"
#include "arrayrecord/simple_chunk.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

std::vector<std::string> ReadAllRecords(const ArrayRecordReader& reader) {
  std::vector<std::string> records;
  const absl::Status status = reader.ReadAll([&](uint64_t index, std::string_view record) {
    EXPECT_EQ(index, records.size());
    records.emplace_back(record);
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return records;
}

TEST(ArrayRecordReader, ReadsGoogleTestVectors) {
  const std::string dir = TestdataDir() + "/arrayrecord/";
  for (int shard = 0; shard < 2; ++shard) {
    const std::string path = dir + "digits.array_record-0000" + std::to_string(shard) + "-of-00002";
    auto reader = ArrayRecordReader::Open(Env::Default(), path);
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ((*reader)->num_records(), 5u);
    EXPECT_EQ((*reader)->num_chunks(), 5u);
    EXPECT_EQ((*reader)->group_size(), 1u);
    EXPECT_EQ((*reader)->file_size(), 131072u);
    EXPECT_EQ((*reader)->writer_options(),
              "group_size:1,transpose:false,pad_to_block_boundary:false,uncompressed,max_parallelism:1");
    std::vector<std::string> expected;
    for (int i = 0; i < 5; ++i) expected.push_back(std::to_string(shard * 5 + i));
    EXPECT_EQ(ReadAllRecords(**reader), expected);
    for (uint64_t i = 0; i < 5; ++i) {
      std::string record;
      ASSERT_TRUE((*reader)->ReadRecord(i, &record).ok());
      EXPECT_EQ(record, expected[i]);
    }
    std::vector<std::string> range;
    ASSERT_TRUE((*reader)->ReadRange(1, 4, &range).ok());
    EXPECT_EQ(range, std::vector<std::string>(expected.begin() + 1, expected.begin() + 4));
    auto report = VerifyArrayRecordFile(Env::Default(), path);
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok()) << report->ToString();
    EXPECT_EQ(report->num_data_chunks, 5u);
    EXPECT_EQ(report->num_records, 5u);
  }
}

TEST(ArrayRecordReader, OutOfRangeAndMissingFile) {
  const std::string path = TestdataDir() + "/arrayrecord/digits.array_record-00000-of-00002";
  auto reader = ArrayRecordReader::Open(Env::Default(), path);
  ASSERT_TRUE(reader.ok());
  std::string record;
  const absl::Status status = (*reader)->ReadRecord(5, &record);
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(std::string(status.message()), path + ": record index 5 out of range [0, 5)");
  std::vector<std::string> records;
  EXPECT_EQ((*reader)->ReadRange(3, 6, &records).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ((*reader)->ReadRange(3, 2, &records).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ArrayRecordReader::Open(Env::Default(), "/nonexistent/x").status().code(), absl::StatusCode::kNotFound);
}

TEST(ArrayRecordReader, CallbackErrorStopsReading) {
  const std::string path = TestdataDir() + "/arrayrecord/digits.array_record-00000-of-00002";
  auto reader = ArrayRecordReader::Open(Env::Default(), path);
  ASSERT_TRUE(reader.ok());
  int calls = 0;
  const absl::Status status = (*reader)->ReadAll([&](uint64_t index, std::string_view) {
    ++calls;
    return index == 2 ? absl::CancelledError("enough") : absl::OkStatus();
  });
  EXPECT_EQ(status, absl::CancelledError("enough"));
  EXPECT_EQ(calls, 3);
  EXPECT_EQ((*reader)->ParallelReadAll(3, [](uint64_t, std::string_view) { return absl::AbortedError("x"); }),
            absl::AbortedError("x"));
}

// A file assembled by hand from the internal pieces, with chunks of 2, 1 and 3
// records (Google's writer never makes uneven groups; ours neither).
TEST(ArrayRecordReader, UnevenGroupsAreReadCorrectlyAndFlagged) {
  using namespace arrayrecord;  // NOLINT(build/namespaces)
  TempDir dir;
  const std::string path = dir.path() + "/uneven.array_record";
  const std::vector<std::vector<std::string>> groups = {{"a", "bb"}, {"ccc"}, {"d", "", "eeeee"}};
  {
    auto file = Env::Default()->NewWritableFile(path);
    ASSERT_TRUE(file.ok());
    ChunkWriter writer(file->get());
    ChunkHeader signature;
    signature.data_hash = RiegeliHash("");
    signature.chunk_type = 's';
    ASSERT_TRUE(writer.WriteChunk(signature, "").ok());
    std::string footer_values;
    std::vector<uint64_t> footer_sizes;
    FooterMetadata metadata;
    metadata.has_array_record_metadata = true;
    metadata.version = 1;
    metadata.num_chunks = 3;
    metadata.num_records = 6;
    SerializeFooterMetadata(metadata, &footer_values);
    footer_sizes.push_back(footer_values.size());
    std::string scratch;
    for (const auto& group : groups) {
      std::string values, data;
      std::vector<uint64_t> sizes;
      for (const std::string& r : group) {
        values += r;
        sizes.push_back(r.size());
      }
      ChunkHeader header;
      ASSERT_TRUE(EncodeSimpleChunk({}, values, sizes.data(), sizes.size(), &scratch, &data, &header).ok());
      const size_t before = footer_values.size();
      SerializeFooterEntry({writer.pos(), values.size(), group.size()}, &footer_values);
      footer_sizes.push_back(footer_values.size() - before);
      ASSERT_TRUE(writer.WriteChunk(header, data).ok());
    }
    const uint64_t footer_offset = writer.pos();
    std::string data;
    ChunkHeader header;
    ASSERT_TRUE(EncodeSimpleChunk({CompressionType::kSnappy, 0, std::nullopt}, footer_values, footer_sizes.data(),
                                  footer_sizes.size(), &scratch, &data, &header)
                    .ok());
    ASSERT_TRUE(writer.WriteChunk(header, data).ok());
    ASSERT_TRUE(writer.PadToBlockBoundary().ok());
    std::string postscript;
    for (int i = 0; i < 3; ++i) SerializePostscript({footer_offset, kArrayRecordMagic}, &postscript);
    const uint64_t one = postscript.size() / 3;
    const uint64_t sizes[3] = {one, one, one};
    data.clear();
    ASSERT_TRUE(EncodeSimpleChunk({}, postscript, sizes, 3, &scratch, &data, &header).ok());
    ASSERT_TRUE(writer.WriteChunk(header, data).ok());
    ASSERT_TRUE(writer.PadToBlockBoundary().ok());
    ASSERT_TRUE((*file)->Close().ok());
  }
  auto reader = ArrayRecordReader::Open(Env::Default(), path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->num_records(), 6u);
  EXPECT_EQ((*reader)->group_size(), 2u);
  const std::vector<std::string> expected = {"a", "bb", "ccc", "d", "", "eeeee"};
  EXPECT_EQ(ReadAllRecords(**reader), expected);
  for (uint64_t i = 0; i < 6; ++i) {
    std::string record;
    ASSERT_TRUE((*reader)->ReadRecord(i, &record).ok());
    EXPECT_EQ(record, expected[i]) << i;
  }
  auto report = VerifyArrayRecordFile(Env::Default(), path);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->problems.size(), 1u) << report->ToString();
  EXPECT_EQ(report->problems[0].description,
            "data chunks hold uneven numbers of records (the first holds 2): readers that locate record i in chunk "
            "i / group_size will misplace records");
}

}  // namespace
}  // namespace proberows
