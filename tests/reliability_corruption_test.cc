// Corruption of a finished output: a flipped byte anywhere in a shard and a
// truncation at any point must be caught by `proberows verify` (naming the
// file and, for structural damage, the offset) and by the reader (which never
// returns a wrong row); verify lists every damaged chunk; `cat --salvage`
// reads the undamaged rows.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "proberows/array_record_reader.h"
#include "proberows/array_record_verify.h"
#include "proberows/dataset.h"
#include "proberows/pipeline.h"
#include "tests/reliability_util.h"
#include "tests/test_util.h"
#include "util/status_macros.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;

constexpr char kShard[] = "probes-train.array_record-00000-of-00001";

// Offsets to damage: every byte of the first and last 256 (signature, first
// chunks, postscript), and every 127th byte in between (a 128 KiB file: ~1500
// runs, a few seconds). PROBEROWS_EXHAUSTIVE=1 tries every byte (~8 min;
// done once, see docs/RELIABILITY.md).
std::vector<size_t> Offsets(size_t size) {
  const char* env = std::getenv("PROBEROWS_EXHAUSTIVE");
  const size_t stride = env && *env == '1' ? 1 : 127;
  std::vector<size_t> out;
  for (size_t i = 0; i < size; ++i)
    if (i < 256 || i + 256 >= size || i % stride == 0) out.push_back(i);
  return out;
}

class CorruptionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new TempDir();
    WriteGoodParquet(root_->path() + "/in.parquet", /*probes=*/60, /*per_probe=*/4);
    BuildOptions o;
    o.inputs = {root_->path() + "/in.parquet"};
    o.output_dir = root_->path() + "/out";
    o.static_columns = {"country"};
    o.train_shards = 1;
    o.test_shards = 1;
    o.workers = 1;
    o.progress = false;
    o.array_record_options = "group_size:4,uncompressed";
    absl::StatusOr<BuildSummary> s = Build(o);
    ASSERT_TRUE(s.ok()) << s.status();
    pristine_ = new std::string(ReadFileOrDie(o.output_dir + "/" + kShard));
    rows_ = new std::vector<std::string>();
    absl::StatusOr<std::unique_ptr<ArrayRecordReader>> r = ArrayRecordReader::Open(Env::Default(), Shard());
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE((*r)->ReadAll([](uint64_t, std::string_view rec) {
                      rows_->emplace_back(rec);
                      return absl::OkStatus();
                    })
                    .ok());
    ASSERT_GE(rows_->size(), 40u);
  }
  static void TearDownTestSuite() {
    delete rows_;
    delete pristine_;
    delete root_;
  }
  void TearDown() override { WriteFileOrDie(Shard(), *pristine_); }

  static std::string Dir() { return root_->path() + "/out"; }
  static std::string Shard() { return Dir() + "/" + kShard; }

  // Reads the shard with the normal reader: OK and the records, or the error.
  static absl::Status ReadShard(std::vector<std::string>* rows) {
    ASSIGN_OR_RETURN(std::unique_ptr<ArrayRecordReader> r, ArrayRecordReader::Open(Env::Default(), Shard()));
    return r->ReadAll([&](uint64_t, std::string_view rec) {
      rows->emplace_back(rec);
      return absl::OkStatus();
    });
  }

  static TempDir* root_;
  static std::string* pristine_;
  static std::vector<std::string>* rows_;
};

TempDir* CorruptionTest::root_ = nullptr;
std::string* CorruptionTest::pristine_ = nullptr;
std::vector<std::string>* CorruptionTest::rows_ = nullptr;

TEST_F(CorruptionTest, PristineOutputVerifies) {
  absl::StatusOr<VerifyResult> v = VerifyDataset(Env::Default(), Dir(), {});
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->ok) << v->report;
  CommandResult r = RunProberows("verify " + ShellQuote(Dir()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// Every single byte of the shard, flipped: verify always fails and names the
// file; the reader either fails (naming the file) or returns exactly the
// original rows (the flip hit bytes no reader looks at); never a wrong row.
TEST_F(CorruptionTest, EveryFlippedByteIsCaught) {
  uint64_t reader_caught = 0, reader_harmless = 0, structural = 0;
  for (size_t i : Offsets(pristine_->size())) {
    std::string bytes = *pristine_;
    bytes[i] = static_cast<char>(bytes[i] ^ 0xFF);
    WriteFileOrDie(Shard(), bytes);
    absl::StatusOr<VerifyResult> v = VerifyDataset(Env::Default(), Dir(), {});
    ASSERT_TRUE(v.ok()) << v.status();
    ASSERT_FALSE(v->ok) << "offset " << i;
    ASSERT_FALSE(v->problems.empty());
    EXPECT_EQ(v->problems[0].rfind(kShard, 0), 0u) << v->problems[0];
    for (const std::string& p : v->problems)
      if (p.find(": offset ") != std::string::npos) {
        ++structural;
        break;
      }
    std::vector<std::string> rows;
    absl::Status st = ReadShard(&rows);
    if (st.ok()) {
      ASSERT_EQ(rows, *rows_) << "offset " << i << ": the reader returned different rows without an error";
      ++reader_harmless;
    } else {
      EXPECT_NE(StatusMessage(st).find(kShard), std::string::npos) << StatusMessage(st);
      ++reader_caught;
    }
  }
  EXPECT_EQ(structural, Offsets(pristine_->size()).size());
  std::fprintf(stderr,
               "flips: %zu of %zu bytes, reader caught %llu, harmless to the reader %llu, verify saw structural "
               "damage (offset) in %llu, checksum in all\n",
               Offsets(pristine_->size()).size(), pristine_->size(), static_cast<unsigned long long>(reader_caught),
               static_cast<unsigned long long>(reader_harmless), static_cast<unsigned long long>(structural));
}

// Truncation at every length: verify and the reader fail, naming the file.
TEST_F(CorruptionTest, TruncationAtAnyPointIsCaught) {
  for (size_t n : Offsets(pristine_->size())) {
    WriteFileOrDie(Shard(), pristine_->substr(0, n));
    absl::StatusOr<VerifyResult> v = VerifyDataset(Env::Default(), Dir(), {});
    ASSERT_TRUE(v.ok()) << v.status();
    ASSERT_FALSE(v->ok) << "length " << n;
    EXPECT_EQ(v->problems[0].rfind(kShard, 0), 0u) << v->problems[0];
    bool offset_named = false;
    for (const std::string& p : v->problems) offset_named |= p.find(std::string(kShard) + ": offset ") == 0;
    EXPECT_TRUE(offset_named) << "length " << n << ": " << v->problems[0];
    std::vector<std::string> rows;
    absl::Status st = ReadShard(&rows);
    ASSERT_FALSE(st.ok()) << "length " << n;
    EXPECT_NE(StatusMessage(st).find(kShard), std::string::npos) << StatusMessage(st);
  }
}

// Two damaged chunks (a quarter and three quarters into the file): the verify
// command fails, lists both with their offsets; `cat` fails naming file and
// offset; `cat --salvage` prints every row of the intact chunks and lists the
// two damaged ones.
TEST_F(CorruptionTest, VerifyListsEveryDamagedChunkAndSalvageReadsTheRest) {
  // The shard is padded to 128 KiB; its chunks sit at the start. Find two
  // offsets, far apart, whose flip the reader notices (i.e. inside chunks).
  auto damaging = [&](size_t from) -> size_t {
    for (size_t i = from; i < pristine_->size(); i += 7) {
      std::string b = *pristine_;
      b[i] = static_cast<char>(b[i] ^ 0x10);
      WriteFileOrDie(Shard(), b);
      std::vector<std::string> rows;
      if (!ReadShard(&rows).ok()) return i;
    }
    return 0;
  };
  const size_t a = damaging(300);
  const size_t b = damaging(a + 2000);
  ASSERT_GT(a, 0u);
  ASSERT_GT(b, 0u);
  std::string bytes = *pristine_;
  bytes[a] = static_cast<char>(bytes[a] ^ 0x10);
  bytes[b] = static_cast<char>(bytes[b] ^ 0x10);
  WriteFileOrDie(Shard(), bytes);

  CommandResult v = RunProberows("verify " + ShellQuote(Dir()));
  EXPECT_EQ(v.exit_code, 1);
  size_t offset_lines = 0;
  for (size_t pos = 0;
       (pos = v.err.find("proberows: problem: " + std::string(kShard) + ": offset ", pos)) != std::string::npos; ++pos)
    ++offset_lines;
  EXPECT_GE(offset_lines, 2u) << v.err;
  EXPECT_NE(v.err.find(std::string(kShard) + ": checksum "), std::string::npos) << v.err;
  EXPECT_NE(v.err.find("proberows: error: verification failed with "), std::string::npos) << v.err;

  CommandResult cat = RunProberows("cat --limit 0 " + ShellQuote(Shard()));
  EXPECT_EQ(cat.exit_code, 1);
  EXPECT_NE(cat.err.find(Shard()), std::string::npos) << cat.err;
  EXPECT_NE(cat.err.find("offset"), std::string::npos) << cat.err;

  CommandResult salvage = RunProberows("cat --salvage --limit 0 " + ShellQuote(Shard()));
  EXPECT_EQ(salvage.exit_code, 0) << salvage.err;
  const size_t lines = static_cast<size_t>(std::count(salvage.out.begin(), salvage.out.end(), '\n'));
  EXPECT_GE(lines, rows_->size() - 8);  // two chunks of at most 4 rows lost
  EXPECT_LT(lines, rows_->size());
  EXPECT_NE(salvage.err.find("skipped 2 damaged chunk(s)"), std::string::npos) << salvage.err;
  std::vector<std::string> lost_lines;
  for (size_t pos = 0; (pos = salvage.err.find(" lost\n", pos)) != std::string::npos; ++pos) lost_lines.push_back("");
  EXPECT_EQ(lost_lines.size(), 2u) << salvage.err;
  std::fprintf(stderr, "%s", salvage.err.c_str());
}

TEST_F(CorruptionTest, SalvageOfAnIntactFileReadsEverything) {
  CommandResult salvage = RunProberows("cat --salvage --limit 0 " + ShellQuote(Shard()));
  CommandResult cat = RunProberows("cat --limit 0 " + ShellQuote(Shard()));
  EXPECT_EQ(salvage.exit_code, 0);
  EXPECT_EQ(cat.exit_code, 0);
  EXPECT_EQ(salvage.out, cat.out);
  EXPECT_EQ(salvage.err, "proberows: salvage: '" + Shard() + "': recovered " + std::to_string(rows_->size()) +
                             " record(s) from " + std::to_string((rows_->size() + 3) / 4) +
                             " intact chunk(s), skipped 0 damaged chunk(s)\n");
}

}  // namespace
}  // namespace proberows
