#include "source/bzip2_pipes.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "source/duckdb_handle.h"
#include "tests/compress_util.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

// JSON lines {"k": i % 7, "t": i} for i in [begin, end).
std::string Lines(int begin, int end) {
  std::string s;
  for (int i = begin; i < end; ++i) s += "{\"k\": " + std::to_string(i % 7) + ", \"t\": " + std::to_string(i) + "}\n";
  return s;
}

std::string Decode(const std::string& path, absl::Status* status) {
  std::string out;
  *status = DecodeBzip2File(path, [&](std::string_view b) {
    out.append(b);
    return true;
  });
  return out;
}

TEST(Bzip2PipesTest, DecodesConcatenatedStreamsWhole) {
  TempDir dir;
  const std::string path = dir.path() + "/two.bz2";
  WriteFileOrDie(path, Bzip2(Lines(0, 1000)) + Bzip2(Lines(1000, 3000)));
  absl::Status st;
  EXPECT_EQ(Decode(path, &st), Lines(0, 3000));
  EXPECT_TRUE(st.ok()) << st;
}

TEST(Bzip2PipesTest, DamageIsAnErrorNamingTheFile) {
  TempDir dir;
  const std::string one = Bzip2(Lines(0, 2000));
  const std::string p = dir.path() + "/x.bz2";
  absl::Status st;
  WriteFileOrDie(p, one.substr(0, one.size() / 2));
  Decode(p, &st);
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': bzip2 data ends early at byte {}, inside stream 1 (the "
                                                "file is truncated; download it again)",
                                                p, one.size() / 2)));
  WriteFileOrDie(p, one + Bzip2("{}\n").substr(0, 20));  // a second stream cut short
  Decode(p, &st);
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': bzip2 data ends early at byte {}, inside stream 2 (the "
                                                "file is truncated; download it again)",
                                                p, one.size() + 20)));
  WriteFileOrDie(p, Lines(0, 10));
  Decode(p, &st);
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': not bzip2 data (no bzip2 header; a .bz2 file is read as "
                                                "bzip2-compressed JSON lines)",
                                                p)));
  WriteFileOrDie(p, one + "junk\n");
  Decode(p, &st);
  EXPECT_EQ(st, absl::DataLossError(fmt::format(
                    "input '{}': the bytes after bzip2 stream 1 (from byte {}) are not bzip2 data", p, one.size())));
  WriteFileOrDie(p, "");
  Decode(p, &st);
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': the file is empty, not bzip2 data", p)));
  std::string flipped = one;
  flipped[flipped.size() / 2] ^= 0x55;
  WriteFileOrDie(p, flipped);
  Decode(p, &st);
  // Where libbz2 notices the damage depends on its internals: the message
  // names the file, the stream and a byte offset inside the file.
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  const std::string head = "input '" + p + "': bzip2 data is damaged (a check failed in stream 1 before byte ";
  const std::string tail = "; download it again)";
  ASSERT_TRUE(absl::StartsWith(st.message(), head) && absl::EndsWith(st.message(), tail)) << st;
  const std::string at(st.message().substr(head.size(), st.message().size() - head.size() - tail.size()));
  uint64_t offset = 0;
  ASSERT_TRUE(absl::SimpleAtoi(at, &offset)) << st;
  EXPECT_GT(offset, flipped.size() / 2);
  EXPECT_LE(offset, flipped.size());
}

TEST(Bzip2PipesTest, DamagedBlockBytesAreNotPassedOn) {
  // A good stream, then a stream whose only block is damaged: the decoder
  // passes on exactly the good stream's bytes, then fails.
  TempDir dir;
  const std::string p = dir.path() + "/x.bz2";
  const std::string good = Bzip2(Lines(0, 1000));
  std::string bad = Bzip2(Lines(1000, 2000));
  bad[bad.size() / 2] ^= 0x55;
  WriteFileOrDie(p, good + bad);
  absl::Status st;
  EXPECT_EQ(Decode(p, &st), Lines(0, 1000));
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
}

TEST(Bzip2PipesTest, RewritesOnlyLiteralsNamingBzip2Files) {
  TempDir dir;
  const std::string p = dir.path() + "/it's.bz2";
  WriteFileOrDie(p, Bzip2(Lines(0, 5)));
  std::string run;
  // No .bz2 file named: nothing to do.
  const std::string plain = "SELECT 'nothere.bz2', \"" + p + "\" FROM t";
  absl::StatusOr<std::unique_ptr<Bzip2Pipes>> none = Bzip2Pipes::Open(plain, &run);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
  EXPECT_EQ(run, plain);
  // The same file twice: two pipes, each with all of it.
  const std::string sql = "SELECT * FROM read_json([" + QuoteLiteral(p) + ", " + QuoteLiteral(p) + "])";
  absl::StatusOr<std::unique_ptr<Bzip2Pipes>> pipes = Bzip2Pipes::Open(sql, &run);
  ASSERT_TRUE(pipes.ok() && *pipes != nullptr);
  const size_t a = run.find("'/dev/fd/");
  const size_t b = run.find("'/dev/fd/", a + 1);
  ASSERT_NE(b, std::string::npos) << run;
  const std::string pa = run.substr(a + 1, run.find('\'', a + 1) - a - 1);
  const std::string pb = run.substr(b + 1, run.find('\'', b + 1) - b - 1);
  EXPECT_EQ(run, "SELECT * FROM read_json(['" + pa + "', '" + pb + "'])");
  for (const std::string& pipe : {pa, pb}) {
    std::ifstream in(pipe);
    std::stringstream got;
    got << in.rdbuf();
    EXPECT_EQ(got.str(), Lines(0, 5));
  }
  EXPECT_TRUE((*pipes)->Error().ok());
  EXPECT_EQ((*pipes)->Restore("error in " + pa + " and " + pb + "0 and " + pb),
            "error in " + p + " and " + pb + "0 and " + p);
}

TEST(Bzip2PipesTest, StopsWhenNobodyReads) {
  // Far more than a pipe holds, never read: the destructor must not hang.
  TempDir dir;
  const std::string p = dir.path() + "/big.bz2";
  WriteFileOrDie(p, Bzip2(Lines(0, 200000)));
  const auto start = std::chrono::steady_clock::now();
  {
    std::string run;
    absl::StatusOr<std::unique_ptr<Bzip2Pipes>> pipes = Bzip2Pipes::Open(QuoteLiteral(p), &run);
    ASSERT_TRUE(pipes.ok() && *pipes != nullptr);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(Bzip2PipesTest, DuckDbReadsThePipesAndFailsOnDamage) {
  TempDir dir;
  const std::string good = dir.path() + "/ping-2024-05-01T0000.bz2";
  const std::string cut = dir.path() + "/ping-2024-05-01T0100.bz2";
  WriteFileOrDie(good, Bzip2(Lines(0, 30000)) + Bzip2(Lines(30000, 50000)));
  const std::string whole = Bzip2(Lines(0, 30000));
  WriteFileOrDie(cut, whole.substr(0, whole.size() - 100));
  absl::StatusOr<std::unique_ptr<DuckDb>> db = DuckDb::Open(DuckDbOptions{0, 2, "", true});
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->QueryInt64("SELECT sum(t) FROM read_json(" + QuoteLiteral(good) + ")"), 49999LL * 50000 / 2);
  absl::StatusOr<QueryResult> r = (*db)->Stream("SELECT count(*) FROM read_json(" + QuoteLiteral(cut) + ")");
  absl::Status st = r.status();
  while (st.ok()) {
    absl::StatusOr<DataChunk> c = r->Next();
    st = c.status();
    if (st.ok() && !c->valid()) break;
  }
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': bzip2 data ends early at byte {}, inside stream 1 (the "
                                                "file is truncated; download it again)",
                                                cut, whole.size() - 100)));
}

}  // namespace
}  // namespace proberows
