#include "source/compressed_check.h"

#include <zlib.h>

#include <string>

#include <fmt/format.h>

#include "gtest/gtest.h"
#include "tests/compress_util.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

std::string Lines(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += fmt::format("{{\"prb_id\":{},\"timestamp\":{},\"rtt\":{}.5}}\n", i % 7, i, i);
  return s;
}

// A gzip member of `a` + `b`, with a sync flush after `a`; *flush_at is the
// compressed size at that flush point (a cut there ends on a whole block).
std::string Gzip(const std::string& a, const std::string& b, size_t* flush_at = nullptr) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, a.size() + b.size()) + 64, '\0');
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(a.data()));
  z.avail_in = static_cast<uInt>(a.size());
  EXPECT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  if (flush_at != nullptr) *flush_at = z.total_out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(b.data()));
  z.avail_in = static_cast<uInt>(b.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

class CompressedCheckTest : public ::testing::Test {
 protected:
  // The check's status for a file named `name` holding `bytes`.
  absl::Status Check(const std::string& name, const std::string& bytes) {
    path_ = dir_.path() + "/" + name;
    WriteFileOrDie(path_, bytes);
    return CheckCompressedInput(path_);
  }
  // The path Check() gives a file named `name`.
  std::string P(const std::string& name) const { return dir_.path() + "/" + name; }
  TempDir dir_;
  std::string path_;
};

TEST_F(CompressedCheckTest, WholeFilesPass) {
  const std::string z = Zstd(Lines(2000));
  EXPECT_TRUE(Check("a.jsonl.zst", z).ok());
  EXPECT_TRUE(Check("two.jsonl.ZST", z + Zstd(Lines(3))).ok());  // concatenated frames, any case
  const std::string g = Gzip(Lines(1000), Lines(1000));
  EXPECT_TRUE(Check("a.csv.gz", g).ok());
  EXPECT_TRUE(Check("two.json.gz", g + Gzip("", Lines(5))).ok());         // concatenated members
  EXPECT_TRUE(Check("padded.json.gz", g + std::string(512, '\0')).ok());  // zero padding, as gzip -t
  EXPECT_TRUE(Check("plain.jsonl", "not compressed at all").ok());        // not ours to check
}

TEST_F(CompressedCheckTest, ZstdCutShortOrDamagedNamesTheFileAndTheByte) {
  const std::string z = Zstd(Lines(2000));
  for (size_t cut : {z.size() - 1, z.size() / 2, size_t{6}}) {
    EXPECT_EQ(Check("cut.jsonl.zst", z.substr(0, cut)),
              absl::DataLossError(fmt::format("input '{}': zstd frame 1 (from byte 0) ends early at byte {}; the file "
                                              "is truncated or damaged; download or copy it again",
                                              P("cut.jsonl.zst"), cut)));
  }
  const std::string two = z + Zstd(Lines(50));
  EXPECT_EQ(
      Check("cut2.jsonl.zst", two.substr(0, two.size() - 3)),
      absl::DataLossError(fmt::format("input '{}': zstd frame 2 (from byte {}) ends early at byte {}; the file is "
                                      "truncated or damaged; download or copy it again",
                                      P("cut2.jsonl.zst"), z.size(), two.size() - 3)));
  EXPECT_EQ(Check("junk.jsonl.zst", z + "junk\n"),
            absl::DataLossError(fmt::format("input '{}': the bytes after zstd frame 1 (from byte {}) are not zstd "
                                            "data; the file is truncated or damaged; download or copy it again",
                                            P("junk.jsonl.zst"), z.size())));
  EXPECT_EQ(Check("text.jsonl.zst", Lines(3)),
            absl::DataLossError(fmt::format("input '{}': not zstd data (no zstd frame header)", P("text.jsonl.zst"))));
  EXPECT_EQ(Check("empty.jsonl.zst", ""),
            absl::DataLossError(fmt::format("input '{}': the file is empty, not zstd data", P("empty.jsonl.zst"))));
}

// The case DuckDB read silently: a gzip member cut where the compressor had
// flushed (whole lines, whole deflate blocks, no trailer) built 120 of 200 rows.
TEST_F(CompressedCheckTest, GzipCutAtAFlushPointIsAnError) {
  size_t flush_at = 0;
  const std::string g = Gzip(Lines(1000), Lines(1000), &flush_at);
  ASSERT_GT(flush_at, 10u);
  ASSERT_LT(flush_at, g.size());
  EXPECT_EQ(Check("flush.jsonl.gz", g.substr(0, flush_at)),
            absl::DataLossError(fmt::format("input '{}': gzip member 1 (from byte 0) ends early at byte {}; the file "
                                            "is truncated or damaged; download or copy it again",
                                            P("flush.jsonl.gz"), flush_at)));
  EXPECT_EQ(Check("trailer.jsonl.gz", g.substr(0, g.size() - 4)),  // the size field of the trailer missing
            absl::DataLossError(fmt::format("input '{}': gzip member 1 (from byte 0) ends early at byte {}; the file "
                                            "is truncated or damaged; download or copy it again",
                                            P("trailer.jsonl.gz"), g.size() - 4)));
  std::string flipped = g;
  flipped[g.size() - 6] ^= 0x5a;  // the CRC-32 of the trailer
  const absl::Status damaged = Check("crc.jsonl.gz", flipped);
  EXPECT_EQ(damaged.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(damaged.message().substr(0, path_.size() + 55),
            fmt::format("input '{}': gzip member 1 (from byte 0) is damaged before byte", path_)
                .substr(0, path_.size() + 55));
  EXPECT_EQ(Check("empty.json.gz", ""),
            absl::DataLossError(fmt::format("input '{}': the file is empty, not gzip data", P("empty.json.gz"))));
}

TEST_F(CompressedCheckTest, ManyFilesGiveTheFirstErrorInTheirOrder) {
  const std::string z = Zstd(Lines(100));
  std::vector<std::string> paths;
  for (int i = 0; i < 6; ++i) {
    paths.push_back(fmt::format("{}/f{}.jsonl.zst", dir_.path(), i));
    WriteFileOrDie(paths.back(), i >= 3 ? z.substr(0, z.size() - i) : z);
  }
  EXPECT_EQ(CheckCompressedInputs(paths, 4),
            absl::DataLossError(fmt::format("input '{}': zstd frame 1 (from byte 0) ends early at byte {}; the file is "
                                            "truncated or damaged; download or copy it again",
                                            paths[3], z.size() - 3)));
  paths.resize(3);
  EXPECT_TRUE(CheckCompressedInputs(paths, 4).ok());
}

}  // namespace
}  // namespace proberows
