#include "source/decode_file.h"

#include <string>

#include <fmt/format.h>

#include "gtest/gtest.h"
#include "tests/compress_util.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

// JSON lines, `n` of them (about 40 bytes each).
std::string Lines(int begin, int end) {
  std::string s;
  for (int i = begin; i < end; ++i) s += fmt::format("{{\"prb_id\":{},\"timestamp\":{},\"rtt\":{}.5}}\n", i % 7, i, i);
  return s;
}

class DecodeFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = dir_.path() + "/" + name;
    WriteFileOrDie(path, bytes);
    return path;
  }
  // The decoded bytes of `path`; *status the result.
  static std::string Decode(const std::string& path, absl::Status* status) {
    std::string out;
    *status = DecodeCompressedFile(path, [&](std::string_view b) {
      EXPECT_LE(b.size(), size_t{1} << 20);
      out.append(b);
      return true;
    });
    return out;
  }
  TempDir dir_;
};

TEST_F(DecodeFileTest, CompressionByExtension) {
  EXPECT_EQ(CompressionOf("ping-2024-05-01T0000.bz2"), Compression::kBzip2);
  EXPECT_EQ(CompressionOf("a.jsonl.GZ"), Compression::kGzip);
  EXPECT_EQ(CompressionOf("a.jsonl.zst"), Compression::kZstd);
  EXPECT_EQ(CompressionOf("a.jsonl"), Compression::kNone);
  EXPECT_EQ(CompressionOf("a.zst.json"), Compression::kNone);
}

TEST_F(DecodeFileTest, EveryStreamMemberAndFrameIsDecoded) {
  // Several MiB: more than one read and one output chunk per member.
  const std::string a = Lines(0, 40000), b = Lines(40000, 60000);
  absl::Status st;
  EXPECT_EQ(Decode(Write("x.gz", Gzip(a) + Gzip(b) + std::string(100, '\0')), &st), a + b);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(Decode(Write("x.zst", Zstd(a) + Zstd(b) + Zstd("")), &st), a + b);
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_EQ(Decode(Write("x.bz2", Bzip2(a) + Bzip2(b)), &st), a + b);
  EXPECT_TRUE(st.ok()) << st;
}

TEST_F(DecodeFileTest, TruncatedOrDamagedFilesAreErrorsNamingFileAndByte) {
  const std::string a = Lines(0, 20000), b = Lines(20000, 40000);
  absl::Status st;
  // A gzip member cut where a deflate block ends: no zlib error, no trailer.
  size_t flush_at = 0;
  const std::string gz = Gzip(a + b, a.size(), &flush_at);
  const std::string cut_gz = Write("cut.gz", Gzip(a) + gz.substr(0, flush_at));
  EXPECT_EQ(Decode(cut_gz, &st), a + a);  // what was decoded before the end was seen
  const size_t gz1 = Gzip(a).size();
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': gzip member 2 (from byte {}) ends early at byte {}; the "
                                                "file is truncated or damaged; download or copy it again",
                                                cut_gz, gz1, gz1 + flush_at)));
  std::string bad = gz;
  bad[bad.size() - 6] ^= 0x20;  // the CRC-32
  const std::string bad_gz = Write("bad.gz", bad);
  Decode(bad_gz, &st);
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': gzip member 1 (from byte 0) is damaged before byte {} "
                                                "(incorrect data check); the file is truncated or damaged; download "
                                                "or copy it again",
                                                bad_gz, bad.size() - 4)));
  const std::string junk_gz = Write("junk.gz", Gzip(a) + std::string(3, '\0') + "x");
  Decode(junk_gz, &st);
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': the bytes after gzip member 1 (from byte {}) are not "
                                                "gzip data; the file is truncated or damaged; download or copy it "
                                                "again",
                                                junk_gz, gz1 + 3)));
  const std::string empty_gz = Write("empty.gz", "");
  Decode(empty_gz, &st);
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': the file is empty, not gzip data", empty_gz)));

  // A zstd frame cut short.
  const std::string z1 = Zstd(a), z2 = Zstd(b);
  const std::string cut_zst = Write("cut.zst", z1 + z2.substr(0, z2.size() / 2));
  Decode(cut_zst, &st);
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': zstd frame 2 (from byte {}) ends early at byte {}; the "
                                                "file is truncated or damaged; download or copy it again",
                                                cut_zst, z1.size(), z1.size() + z2.size() / 2)));
  const std::string junk_zst = Write("junk.zst", z1 + "junk");
  Decode(junk_zst, &st);
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': the bytes after zstd frame 1 (from byte {}) are not zstd "
                                                "data; the file is truncated or damaged; download or copy it again",
                                                junk_zst, z1.size())));
  const std::string plain_zst = Write("plain.zst", a);
  Decode(plain_zst, &st);
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': not zstd data (no zstd frame header)", plain_zst)));

  // A bzip2 stream cut short (DecodeBzip2File's own message).
  const std::string bz = Bzip2(a);
  const std::string cut_bz2 = Write("cut.bz2", bz.substr(0, bz.size() - 10));
  Decode(cut_bz2, &st);
  EXPECT_EQ(st, absl::DataLossError(fmt::format("input '{}': bzip2 data ends early at byte {}, inside stream 1 (the "
                                                "file is truncated; download it again)",
                                                cut_bz2, bz.size() - 10)));
}

TEST_F(DecodeFileTest, SinkStopsDecoding) {
  const std::string path = Write("x.zst", Zstd(Lines(0, 60000)));
  int calls = 0;
  const absl::Status st = DecodeCompressedFile(path, [&](std::string_view) { return ++calls < 2; });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(st, absl::CancelledError(fmt::format("input '{}': decoding stopped", path)));
}

}  // namespace
}  // namespace proberows
