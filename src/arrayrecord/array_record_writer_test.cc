#include "proberows/array_record_writer.h"

#include <string>

#include <gtest/gtest.h>

#include "proberows/array_record_reader.h"
#include "tests/test_util.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"

namespace proberows {
namespace {

std::string Hex(const std::string& bytes) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", static_cast<unsigned char>(bytes[i]));
    out += buf;
    out += (i % 16 == 15) ? '\n' : ' ';
  }
  return out;
}

// The first difference between two byte strings, for readable failures.
std::string FirstDifference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i == a.size() && i == b.size()) return "identical";
  const size_t from = i - i % 16;
  return "sizes " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + ", first difference at " +
         std::to_string(i) + "\nours:\n" + Hex(a.substr(from, 64)) + "\ntheirs:\n" + Hex(b.substr(from, 64));
}

std::string WriteFile(const std::string& path, const std::string& options_text, const std::vector<std::string>& records,
                      int num_threads = 1) {
  auto options = ArrayRecordWriterOptions::FromString(options_text);
  EXPECT_TRUE(options.ok()) << options.status();
  auto writer = ArrayRecordWriter::Open(Env::Default(), path, *options, num_threads);
  EXPECT_TRUE(writer.ok()) << writer.status();
  for (const std::string& record : records) EXPECT_TRUE((*writer)->Write(record).ok());
  const absl::Status status = (*writer)->Close();
  EXPECT_TRUE(status.ok()) << status;
  return ReadFileOrDie(path);
}

TEST(ArrayRecordWriter, ReproducesGoogleTestVectorsByteForByte) {
  TempDir dir;
  const std::string vectors = TestdataDir() + "/arrayrecord/";
  for (int shard = 0; shard < 2; ++shard) {
    std::vector<std::string> records;
    for (int i = 0; i < 5; ++i) records.push_back(std::to_string(shard * 5 + i));
    const std::string name = "digits.array_record-0000" + std::to_string(shard) + "-of-00002";
    const std::string ours = WriteFile(dir.path() + "/" + name, "group_size:1,uncompressed,max_parallelism:1", records);
    const std::string theirs = ReadFileOrDie(vectors + name);
    EXPECT_EQ(ours.size(), 131072u);
    EXPECT_TRUE(ours == theirs) << name << ": " << FirstDifference(ours, theirs);
  }
}

TEST(ArrayRecordWriter, EmptyFile) {
  TempDir dir;
  const std::string path = dir.path() + "/empty.array_record";
  const std::string bytes = WriteFile(path, "", {});
  EXPECT_EQ(bytes.size(), 131072u);
  auto reader = ArrayRecordReader::Open(Env::Default(), path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->num_records(), 0u);
  EXPECT_EQ((*reader)->num_chunks(), 0u);
  EXPECT_EQ((*reader)->group_size(), 0u);
  EXPECT_EQ((*reader)->writer_options(),
            "group_size:1,transpose:false,pad_to_block_boundary:false,zstd:3,window_log:20");
  int calls = 0;
  ASSERT_TRUE((*reader)
                  ->ReadAll([&](uint64_t, std::string_view) {
                    ++calls;
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_TRUE((*reader)
                  ->ParallelReadAll(4,
                                    [&](uint64_t, std::string_view) {
                                      ++calls;
                                      return absl::OkStatus();
                                    })
                  .ok());
  EXPECT_EQ(calls, 0);
  std::string record;
  EXPECT_EQ((*reader)->ReadRecord(0, &record).code(), absl::StatusCode::kOutOfRange);
  std::vector<std::string> records;
  EXPECT_TRUE((*reader)->ReadRange(0, 0, &records).ok());
}

TEST(ArrayRecordWriter, CountsAndTemporaryName) {
  TempDir dir;
  const std::string path = dir.path() + "/x.array_record";
  auto writer = ArrayRecordWriter::Open(Env::Default(), path, ArrayRecordWriterOptions(), 1);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write("abc").ok());
  ASSERT_TRUE((*writer)->Write("").ok());
  EXPECT_EQ((*writer)->num_records(), 2u);
  EXPECT_TRUE(Env::Default()->FileExists(path + ".tmp"));
  EXPECT_FALSE(Env::Default()->FileExists(path));
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_FALSE(Env::Default()->FileExists(path + ".tmp"));
  EXPECT_TRUE(Env::Default()->FileExists(path));
  EXPECT_EQ((*writer)->bytes_written(), 131072u);
  EXPECT_TRUE((*writer)->Close().ok());  // idempotent
  EXPECT_EQ((*writer)->Write("late").code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ArrayRecordWriter, DestroyedWithoutCloseLeavesNothing) {
  TempDir dir;
  const std::string path = dir.path() + "/x.array_record";
  {
    auto writer = ArrayRecordWriter::Open(Env::Default(), path, ArrayRecordWriterOptions(), 2);
    ASSERT_TRUE(writer.ok());
    for (int i = 0; i < 5000; ++i) ASSERT_TRUE((*writer)->Write(std::string(1000, 'a' + i % 26)).ok());
  }
  EXPECT_FALSE(Env::Default()->FileExists(path + ".tmp"));
  EXPECT_FALSE(Env::Default()->FileExists(path));
  auto children = Env::Default()->GetChildren(dir.path());
  ASSERT_TRUE(children.ok());
  EXPECT_TRUE(children->empty());
}

TEST(ArrayRecordWriter, PadToBlockBoundaryAlignsEveryDataChunk) {
  TempDir dir;
  const std::string path = dir.path() + "/x.array_record";
  std::vector<std::string> records = {"a", std::string(70000, 'b'), "c", std::string(65536 - 40 - 24, 'd'), "e"};
  const std::string bytes = WriteFile(path, "group_size:1,uncompressed,pad_to_block_boundary", records);
  auto reader = ArrayRecordReader::Open(Env::Default(), path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->writer_options(), "group_size:1,transpose:false,pad_to_block_boundary:true,uncompressed");
  for (uint64_t i = 0; i < records.size(); ++i) {
    std::string record;
    ASSERT_TRUE((*reader)->ReadRecord(i, &record).ok());
    EXPECT_EQ(record, records[i]);
  }
  auto report = VerifyArrayRecordFile(Env::Default(), path);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->ToString();
  EXPECT_EQ(report->num_data_chunks, 5u);
  // Every chunk after the first begins at a block boundary: 5 data chunks,
  // each followed by padding, then footer + padding, postscript + padding.
  EXPECT_EQ(report->num_padding_chunks, 7u);
}

TEST(ArrayRecordWriter, SharedPoolAndOwnedPoolGiveSameBytes) {
  TempDir dir;
  std::vector<std::string> records;
  for (int i = 0; i < 3000; ++i) records.push_back(std::string(static_cast<size_t>(i % 700), static_cast<char>(i)));
  auto options = *ArrayRecordWriterOptions::FromString("group_size:3,zstd:1");
  std::string files[3];
  for (int variant = 0; variant < 3; ++variant) {
    ThreadPool pool(3);
    const std::string path = dir.path() + "/f" + std::to_string(variant);
    auto writer =
        ArrayRecordWriter::Open(Env::Default(), path, options, variant == 0 ? 1 : 3, variant == 2 ? &pool : nullptr);
    ASSERT_TRUE(writer.ok());
    for (const std::string& record : records) ASSERT_TRUE((*writer)->Write(record).ok());
    ASSERT_TRUE((*writer)->Close().ok());
    files[variant] = ReadFileOrDie(path);
  }
  EXPECT_TRUE(files[0] == files[1]);
  EXPECT_TRUE(files[0] == files[2]);
}

TEST(ArrayRecordWriter, RejectsBadArguments) {
  TempDir dir;
  auto writer = ArrayRecordWriter::Open(Env::Default(), dir.path() + "/x", ArrayRecordWriterOptions(), 0);
  EXPECT_EQ(writer.status().code(), absl::StatusCode::kInvalidArgument);
  auto missing = ArrayRecordWriter::Open(Env::Default(), dir.path() + "/no/such/dir/x", ArrayRecordWriterOptions());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace proberows
