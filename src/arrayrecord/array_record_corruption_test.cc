// Damaged and truncated files: every region of the file is hit, and each
// read, open, verify and salvage must report exactly what and where.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "arrayrecord/chunk_reader.h"
#include "arrayrecord/file_index.h"
#include "proberows/array_record_reader.h"
#include "proberows/array_record_writer.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

using arrayrecord::kBlockSize;

// 8 uncompressed records of 20000 bytes: chunks 3 and 6 are cut by the block
// headers at 65536 and 131072.
class ArrayRecordCorruption : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/data.array_record";
    for (int i = 0; i < 8; ++i) records_.push_back(std::string(20000, static_cast<char>('a' + i)));
    auto writer = ArrayRecordWriter::Open(Env::Default(), path_,
                                          *ArrayRecordWriterOptions::FromString("uncompressed,group_size:1"));
    ASSERT_TRUE(writer.ok());
    for (const std::string& record : records_) ASSERT_TRUE((*writer)->Write(record).ok());
    ASSERT_TRUE((*writer)->Close().ok());
    pristine_ = ReadFileOrDie(path_);
    auto file = Env::Default()->NewRandomAccessFile(path_);
    ASSERT_TRUE(file.ok());
    arrayrecord::ChunkReader reader(file->get());
    ASSERT_TRUE(arrayrecord::LoadFileIndex(reader, &index_).ok());
    ASSERT_EQ(index_.num_chunks(), 8u);
    ASSERT_EQ(pristine_.size(), 4 * kBlockSize);
    // The layout the tests rely on.
    ASSERT_LT(index_.chunk_offsets[3], kBlockSize);
    ASSERT_GT(index_.chunk_offsets[4], kBlockSize);
    ASSERT_LT(index_.chunk_offsets[6], 2 * kBlockSize);
    ASSERT_GT(index_.footer_offset, 2 * kBlockSize);
  }

  void Damage(uint64_t offset) {
    std::string bytes = pristine_;
    bytes[offset] = static_cast<char>(bytes[offset] ^ 0x40);
    WriteFileOrDie(path_, bytes);
  }
  void Truncate(uint64_t size) { WriteFileOrDie(path_, pristine_.substr(0, size)); }

  std::string Located(const std::string& what, uint64_t offset) const {
    return path_ + ": " + what + " at offset " + std::to_string(offset);
  }

  absl::Status OpenStatus() const { return ArrayRecordReader::Open(Env::Default(), path_).status(); }

  absl::Status ReadRecordStatus(uint64_t index) const {
    auto reader = ArrayRecordReader::Open(Env::Default(), path_);
    if (!reader.ok()) return reader.status();
    std::string record;
    absl::Status status = (*reader)->ReadRecord(index, &record);
    if (status.ok()) {
      EXPECT_EQ(record, records_[index]);
    }
    return status;
  }

  absl::Status ReadAllStatus() const {
    auto reader = ArrayRecordReader::Open(Env::Default(), path_);
    if (!reader.ok()) return reader.status();
    return (*reader)->ReadAll([](uint64_t, std::string_view) { return absl::OkStatus(); });
  }

  VerifyReport Verify() const {
    auto report = VerifyArrayRecordFile(Env::Default(), path_);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : VerifyReport();
  }

  // Salvages the file; returns the indices recovered.
  std::vector<uint64_t> Salvage(RecoveryReport* report) const {
    std::vector<uint64_t> indices;
    auto result = ReadUndamagedRecords(Env::Default(), path_, [&](uint64_t index, std::string_view record) {
      indices.push_back(index);
      EXPECT_EQ(record.size(), 20000u);
      return absl::OkStatus();
    });
    EXPECT_TRUE(result.ok()) << result.status();
    if (result.ok()) *report = *result;
    return indices;
  }

  static void ExpectDataLoss(const absl::Status& status, const std::string& message) {
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    EXPECT_EQ(std::string(status.message()), message);
  }

  TempDir dir_;
  std::string path_;
  std::vector<std::string> records_;
  std::string pristine_;
  arrayrecord::FileIndex index_;
};

TEST_F(ArrayRecordCorruption, PristineFileIsClean) {
  const VerifyReport report = Verify();
  EXPECT_TRUE(report.ok()) << report.ToString();
  EXPECT_TRUE(report.signature_ok && report.postscript_ok && report.footer_ok);
  EXPECT_EQ(report.num_data_chunks, 8u);
  EXPECT_EQ(report.num_records, 8u);
  EXPECT_EQ(report.footer_num_records, 8u);
  RecoveryReport salvage;
  EXPECT_EQ(Salvage(&salvage), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_TRUE(salvage.used_footer);
  EXPECT_TRUE(salvage.skipped.empty());
}

TEST_F(ArrayRecordCorruption, ChunkHeader) {
  const uint64_t chunk = index_.chunk_offsets[2];
  Damage(chunk + 20);
  EXPECT_TRUE(OpenStatus().ok());
  ExpectDataLoss(ReadRecordStatus(2), Located("chunk header hash mismatch", chunk));
  EXPECT_TRUE(ReadRecordStatus(1).ok());
  EXPECT_TRUE(ReadRecordStatus(3).ok());
  ExpectDataLoss(ReadAllStatus(), Located("chunk header hash mismatch", chunk));

  const VerifyReport report = Verify();
  ASSERT_EQ(report.problems.size(), 1u) << report.ToString();
  EXPECT_EQ(report.problems[0].offset, chunk);
  EXPECT_EQ(report.problems[0].description, "data chunk 2 (records [2, 3)): chunk header hash mismatch");
  EXPECT_EQ(report.num_data_chunks, 7u);
  EXPECT_EQ(report.num_records, 7u);

  RecoveryReport salvage;
  EXPECT_EQ(Salvage(&salvage), (std::vector<uint64_t>{0, 1, 3, 4, 5, 6, 7}));
  ASSERT_EQ(salvage.skipped.size(), 1u);
  EXPECT_EQ(salvage.skipped[0].offset, chunk);
  EXPECT_EQ(salvage.skipped[0].first_record, 2u);
  EXPECT_EQ(salvage.skipped[0].end_record, 3u);
  EXPECT_EQ(salvage.records_recovered, 7u);
}

TEST_F(ArrayRecordCorruption, ChunkData) {
  const uint64_t chunk = index_.chunk_offsets[5];
  Damage(chunk + 40 + 1000);
  ExpectDataLoss(ReadRecordStatus(5), Located("chunk data hash mismatch", chunk));
  const VerifyReport report = Verify();
  ASSERT_EQ(report.problems.size(), 1u) << report.ToString();
  EXPECT_EQ(report.problems[0].offset, chunk);
  EXPECT_EQ(report.problems[0].description, "data chunk 5 (records [5, 6)): chunk data hash mismatch");
  RecoveryReport salvage;
  EXPECT_EQ(Salvage(&salvage), (std::vector<uint64_t>{0, 1, 2, 3, 4, 6, 7}));
}

TEST_F(ArrayRecordCorruption, BlockHeaderInsideAChunk) {
  Damage(kBlockSize + 5);
  ExpectDataLoss(ReadRecordStatus(3), Located("block header hash mismatch", kBlockSize));
  EXPECT_TRUE(ReadRecordStatus(4).ok());
  const VerifyReport report = Verify();
  ASSERT_FALSE(report.problems.empty());
  for (const ArrayRecordProblem& problem : report.problems) {
    EXPECT_EQ(problem.offset, kBlockSize) << report.ToString();
  }
  EXPECT_EQ(report.num_data_chunks, 7u) << report.ToString();
  RecoveryReport salvage;
  EXPECT_EQ(Salvage(&salvage), (std::vector<uint64_t>{0, 1, 2, 4, 5, 6, 7}));
}

TEST_F(ArrayRecordCorruption, TwoDamagedChunksAreBothListed) {
  std::string bytes = pristine_;
  bytes[index_.chunk_offsets[0] + 9] ^= 1;    // header of chunk 0
  bytes[index_.chunk_offsets[7] + 100] ^= 1;  // data of chunk 7
  WriteFileOrDie(path_, bytes);
  const VerifyReport report = Verify();
  std::vector<std::string> listed;
  for (const ArrayRecordProblem& problem : report.problems) {
    if (problem.description.rfind("data chunk ", 0) == 0) listed.push_back(problem.description);
  }
  EXPECT_EQ(listed, (std::vector<std::string>{"data chunk 0 (records [0, 1)): chunk header hash mismatch",
                                              "data chunk 7 (records [7, 8)): chunk data hash mismatch"}))
      << report.ToString();
  RecoveryReport salvage;
  EXPECT_EQ(Salvage(&salvage), (std::vector<uint64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(salvage.skipped.size(), 2u);
}

TEST_F(ArrayRecordCorruption, Footer) {
  const uint64_t footer = index_.footer_offset;
  Damage(footer + 45);  // footer data
  ExpectDataLoss(OpenStatus(), Located("chunk data hash mismatch", footer));
  const VerifyReport report = Verify();
  EXPECT_FALSE(report.footer_ok);
  EXPECT_TRUE(report.postscript_ok);
  ASSERT_EQ(report.problems.size(), 1u) << report.ToString();
  EXPECT_EQ(report.problems[0].offset, footer);
  EXPECT_EQ(report.num_data_chunks, 8u);
  RecoveryReport salvage;
  EXPECT_EQ(Salvage(&salvage), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_FALSE(salvage.used_footer);
}

TEST_F(ArrayRecordCorruption, Postscript) {
  const uint64_t postscript = pristine_.size() - kBlockSize;
  Damage(postscript + 3);  // its block header
  ExpectDataLoss(OpenStatus(), Located("block header hash mismatch", postscript));
  Damage(postscript + 24 + 40 + 10);  // its data
  ExpectDataLoss(OpenStatus(), Located("chunk data hash mismatch", postscript));
  Damage(postscript + 24 + 12);  // its chunk header
  ExpectDataLoss(OpenStatus(), Located("chunk header hash mismatch", postscript));
  const VerifyReport report = Verify();
  EXPECT_FALSE(report.postscript_ok);
  EXPECT_EQ(report.num_data_chunks, 8u) << report.ToString();
  ASSERT_FALSE(report.problems.empty());
  EXPECT_EQ(report.problems[0].offset, postscript);
  RecoveryReport salvage;
  EXPECT_EQ(Salvage(&salvage), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_FALSE(salvage.used_footer);
}

TEST_F(ArrayRecordCorruption, Truncated) {
  const uint64_t size = pristine_.size();
  Truncate(size - 1);
  ExpectDataLoss(
      OpenStatus(),
      Located("file size 262143 is not a multiple of the 65536-byte block size (truncated file?)", size - 1));
  Truncate(2 * kBlockSize);  // a whole number of blocks, but the postscript is gone
  ExpectDataLoss(OpenStatus(),
                 Located("block header points back " + std::to_string(kBlockSize - index_.chunk_offsets[3]) +
                             " bytes, but the chunk it interrupts begins at 65536",
                         kBlockSize));
  Truncate(100);
  ExpectDataLoss(
      OpenStatus(),
      Located("file of 100 bytes is too small for an ArrayRecord file (one 65536-byte block at least)", 100));
  Truncate(0);
  EXPECT_EQ(OpenStatus().code(), absl::StatusCode::kDataLoss);

  // Salvage keeps what lies before the cut.
  Truncate(index_.chunk_offsets[6] + 100);
  RecoveryReport salvage;
  EXPECT_EQ(Salvage(&salvage), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));
  const VerifyReport report = Verify();
  ASSERT_FALSE(report.problems.empty());
  EXPECT_EQ(report.num_data_chunks, 6u) << report.ToString();
}

TEST_F(ArrayRecordCorruption, EveryByteFlipIsDetectedOrHarmless) {
  // Flip one bit in many places: the reader never returns a wrong record.
  for (uint64_t offset = 0; offset < pristine_.size(); offset += 2999) {
    Damage(offset);
    auto reader = ArrayRecordReader::Open(Env::Default(), path_);
    if (!reader.ok()) {
      EXPECT_EQ(reader.status().code(), absl::StatusCode::kDataLoss) << offset;
      continue;
    }
    const absl::Status status = (*reader)->ReadAll([&](uint64_t index, std::string_view record) {
      EXPECT_EQ(record, records_[index]) << offset;
      return absl::OkStatus();
    });
    if (!status.ok()) {
      EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << offset;
    }
    EXPECT_TRUE(VerifyArrayRecordFile(Env::Default(), path_).ok());
  }
}

}  // namespace
}  // namespace proberows
