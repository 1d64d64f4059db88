// Round-trip properties of ArrayRecordWriter + ArrayRecordReader: random
// records of many sizes, chunks ending on and around block boundaries,
// chunks spanning many blocks, every compression and several group sizes;
// files byte-identical for any number of threads. Seeded, and small enough
// to run in about a second.
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "arrayrecord/block_layout.h"
#include "arrayrecord/chunk.h"
#include "proberows/array_record_reader.h"
#include "proberows/array_record_writer.h"
#include "tests/test_util.h"
#include "util/varint.h"

namespace proberows {
namespace {

using arrayrecord::kBlockSize;

std::string RandomRecord(std::mt19937_64& rng, size_t size) {
  std::string out(size, '\0');
  // Half compressible text, half random bytes.
  const bool text = rng() % 2 == 0;
  uint64_t bits = 0;
  for (size_t i = 0; i < size; ++i) {
    if (i % 8 == 0) bits = rng();
    const char byte = static_cast<char>(bits >> (8 * (i % 8)));
    out[i] = text ? static_cast<char>('a' + (i * 7 + (byte & 3)) % 26) : byte;
  }
  return out;
}

// Writes `records` to `path`; returns the file's bytes if `want_bytes`.
std::string WriteRecords(const std::string& path, const std::string& options_text,
                         const std::vector<std::string>& records, int num_threads, bool want_bytes = false) {
  auto options = ArrayRecordWriterOptions::FromString(options_text);
  EXPECT_TRUE(options.ok()) << options.status();
  auto writer = ArrayRecordWriter::Open(Env::Default(), path, *options, num_threads);
  EXPECT_TRUE(writer.ok()) << writer.status();
  for (const std::string& record : records) EXPECT_TRUE((*writer)->Write(record).ok());
  const absl::Status status = (*writer)->Close();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ((*writer)->num_records(), records.size());
  auto size = Env::Default()->GetFileSize(path);
  EXPECT_TRUE(size.ok());
  EXPECT_EQ((*writer)->bytes_written(), *size);
  EXPECT_EQ(*size % kBlockSize, 0u);
  return want_bytes ? ReadFileOrDie(path) : std::string();
}

// Reads `path` every way the reader offers and compares with `records`.
void CheckReadsBack(const std::string& path, const std::vector<std::string>& records, uint64_t group_size,
                    uint64_t seed) {
  SCOPED_TRACE(path);
  auto opened = ArrayRecordReader::Open(Env::Default(), path);
  ASSERT_TRUE(opened.ok()) << opened.status();
  const ArrayRecordReader& reader = **opened;
  ASSERT_EQ(reader.num_records(), records.size());
  EXPECT_EQ(reader.num_chunks(), (records.size() + group_size - 1) / group_size);
  EXPECT_EQ(reader.group_size(), records.empty() ? 0 : std::min<uint64_t>(group_size, records.size()));

  uint64_t next = 0;
  ASSERT_TRUE(reader
                  .ReadAll([&](uint64_t index, std::string_view record) {
                    EXPECT_EQ(index, next);
                    EXPECT_TRUE(index < records.size() && record == records[index]) << index;
                    ++next;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(next, records.size());

  std::vector<std::string> parallel(records.size());
  std::vector<int> seen(records.size());
  std::mutex mu;
  ASSERT_TRUE(reader
                  .ParallelReadAll(3,
                                   [&](uint64_t index, std::string_view record) {
                                     std::lock_guard<std::mutex> lock(mu);
                                     parallel[index] = std::string(record);
                                     ++seen[index];
                                     return absl::OkStatus();
                                   })
                  .ok());
  EXPECT_TRUE(parallel == records);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(records.size()));

  if (records.empty()) return;
  std::mt19937_64 rng(seed);
  std::string record;
  for (int i = 0; i < 20; ++i) {
    const uint64_t index = rng() % records.size();
    ASSERT_TRUE(reader.ReadRecord(index, &record).ok());
    EXPECT_TRUE(record == records[index]) << index;
  }
  for (int i = 0; i < 10; ++i) {
    uint64_t begin = rng() % records.size();
    uint64_t end = begin + rng() % (records.size() - begin + 1);
    std::vector<std::string> range;
    ASSERT_TRUE(reader.ReadRange(begin, end, &range).ok());
    ASSERT_EQ(range.size(), end - begin);
    for (uint64_t j = begin; j < end; ++j) EXPECT_TRUE(range[j - begin] == records[j]) << j;
  }
  auto report = VerifyArrayRecordFile(Env::Default(), path);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->ToString();
  EXPECT_EQ(report->num_records, records.size());
}

const char* const kCompressions[] = {"uncompressed", "snappy", "zstd:3", "brotli:3"};

TEST(ArrayRecordProperty, RandomRecordsEveryCompressionAndGroupSize) {
  TempDir dir;
  std::mt19937_64 rng(20240601);
  int file = 0;
  for (const char* compression : kCompressions) {
    for (int group_size : {1, 2, 7, 1000}) {
      // 0..30 records: mostly small, some around a block, one of a few MiB.
      std::vector<std::string> records(rng() % 31);
      for (std::string& record : records) {
        const int kind = static_cast<int>(rng() % 10);
        const size_t size = kind < 6 ? rng() % 300 : kind < 9 ? 60000 + rng() % 10000 : 0;
        record = RandomRecord(rng, size);
      }
      if (file % 6 == 0 && !records.empty()) records[rng() % records.size()] = RandomRecord(rng, (3 << 20) + 17);
      const std::string options = std::string(compression) + ",group_size:" + std::to_string(group_size);
      const std::string path = dir.path() + "/f" + std::to_string(file++);
      WriteRecords(path, options, records, 1 + file % 2);
      CheckReadsBack(path, records, static_cast<uint64_t>(group_size), rng());
    }
  }
}

TEST(ArrayRecordProperty, ManyTinyRecords) {
  TempDir dir;
  std::mt19937_64 rng(7);
  std::vector<std::string> records(100000);
  for (std::string& record : records) record = RandomRecord(rng, rng() % 6);
  for (const char* options : {"zstd:1,group_size:1000", "uncompressed,group_size:1", "snappy,group_size:7"}) {
    const std::string path = dir.path() + "/" + options;
    WriteRecords(path, options, records, 2);
    auto reader = ArrayRecordReader::Open(Env::Default(), path);
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ((*reader)->num_records(), 100000u);
    uint64_t next = 0;
    ASSERT_TRUE((*reader)
                    ->ReadAll([&](uint64_t index, std::string_view record) {
                      EXPECT_TRUE(index == next++ && record == records[index]) << index;
                      return absl::OkStatus();
                    })
                    .ok());
    std::string record;
    ASSERT_TRUE((*reader)->ReadRecord(99999, &record).ok());
    EXPECT_EQ(record, records[99999]);
  }
  // One chunk with 100000 empty records: its size is set by the record count.
  std::vector<std::string> empty(100000);
  const std::string path = dir.path() + "/empty_records";
  WriteRecords(path, "uncompressed,group_size:100000", empty, 1);
  CheckReadsBack(path, empty, 100000, 1);
}

// Records whose uncompressed chunks end exactly on, just before and just
// after block boundaries, so that chunk headers and data are cut by block
// headers at every interesting point.
TEST(ArrayRecordProperty, ChunksEndingAroundBlockBoundaries) {
  TempDir dir;
  std::mt19937_64 rng(99);
  for (int64_t delta : {-41, -40, -39, -24, -1, 0, 1, 24, 25, 40}) {
    std::vector<std::string> records;
    uint64_t pos = 64;  // after the signature
    for (int block = 1; block <= 4; ++block) {
      const uint64_t target = block * kBlockSize + delta + (block == 4 ? 3 * kBlockSize : 0);
      // Find a record size whose group_size:1 uncompressed chunk starting at
      // `pos` ends at `target` (targets inside a block header cannot be hit).
      bool found = false;
      for (uint64_t size = target > pos + 200 ? target - pos - 200 : 0; size < target - pos + 200; ++size) {
        const uint64_t data_size = 1 + 1 + VarintLength(size) + size;
        const uint64_t end = arrayrecord::ChunkEnd(pos, arrayrecord::kChunkHeaderSize + data_size, 1);
        if (end == target) {
          records.push_back(RandomRecord(rng, size));
          pos = end;
          found = true;
          break;
        }
      }
      if (!found) {
        // Impossible target (inside a block header): take the closest end after it.
        ASSERT_TRUE(!arrayrecord::IsPossibleChunkBoundary(target)) << target;
        records.push_back(RandomRecord(rng, target - pos - 40));
        pos = arrayrecord::ChunkEnd(
            pos, arrayrecord::kChunkHeaderSize + 2 + VarintLength(target - pos - 40) + (target - pos - 40), 1);
      }
      records.push_back("x");  // a small chunk right at that position
      pos = arrayrecord::ChunkEnd(pos, arrayrecord::kChunkHeaderSize + 4, 1);
    }
    for (const char* options : {"uncompressed", "uncompressed,group_size:2", "zstd"}) {
      const std::string path = dir.path() + "/d" + std::to_string(delta) + options;
      WriteRecords(path, options, records, 1);
      CheckReadsBack(path, records, options == std::string("uncompressed,group_size:2") ? 2 : 1,
                     static_cast<uint64_t>(delta + 100));
    }
  }
}

TEST(ArrayRecordProperty, BytesIdenticalForAnyThreadCount) {
  TempDir dir;
  std::mt19937_64 rng(5);
  std::vector<std::string> records(1000);
  for (std::string& record : records) record = RandomRecord(rng, rng() % 2000);
  records[700] = RandomRecord(rng, 1 << 20);
  for (const char* options : {"zstd:3,group_size:1", "brotli:2,group_size:64", "snappy,group_size:7",
                              "uncompressed,group_size:50,pad_to_block_boundary"}) {
    const std::string one = WriteRecords(dir.path() + "/t1", options, records, 1, true);
    const std::string two = WriteRecords(dir.path() + "/t2", options, records, 2, true);
    const std::string eight = WriteRecords(dir.path() + "/t8", options, records, 8, true);
    EXPECT_TRUE(one == two) << options;
    EXPECT_TRUE(one == eight) << options;
  }
  CheckReadsBack(dir.path() + "/t8", records, 50, 1);
}

}  // namespace
}  // namespace proberows
