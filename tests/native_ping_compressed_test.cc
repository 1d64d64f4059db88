// --json-reader native on compressed inputs (.bz2 as RIPE Atlas' hourly
// dumps ship, .gz, .zst; source/decode_file.h): the output bytes of the
// DuckDB preset path on the plain file, whatever the workers and strategy;
// errors that name the file and line, and damage that is an error, never a
// shorter input; a folder of many small dumps under a low open-files limit.

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli_build_test_base.h"
#include "tests/compress_util.h"

namespace proberows {
namespace {

class NativePingCompressedTest : public CliBuildTestBase {
 protected:
  void SetUp() override {
    CommandResult unzipped = RunCommand("gzip -dc " + ShellQuote(TestdataDir() + "/ripe-atlas/ping.ndjson.gz"));
    ASSERT_EQ(unzipped.exit_code, 0) << unzipped.err;
    sample_ = unzipped.out;
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = root_.path() + "/" + name;
    WriteFileOrDie(path, bytes);
    return path;
  }
  // The output folder of a build of `input` with `reader` and `flags`.
  std::string BuildWith(const std::string& reader, const std::string& input, const std::string& flags,
                        const std::string& name) {
    const std::string out = root_.path() + "/" + name;
    CommandResult r = RunProberows("build --no-progress --preset ripe-atlas-ping --json-reader " + reader + " -i " +
                                   ShellQuote(input) + " -o " + ShellQuote(out) + " " + flags);
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    return out;
  }
  std::string sample_;
};

TEST_F(NativePingCompressedTest, CompressedSampleBuildsTheBytesOfThePlainFile) {
  const std::string plain = Write("ping.ndjson", sample_);
  const auto expected = ReadTreeBytes(BuildWith("duckdb", plain, "-j 2", "duckdb-plain"));
  ASSERT_GE(expected.size(), 4u);
  // Two streams / members / frames each, split inside a line (as pbzip2 and
  // lbzip2 split their input).
  const size_t cut = sample_.size() / 3 + 7;
  ASSERT_NE(sample_[cut - 1], '\n');
  const std::string a = sample_.substr(0, cut), b = sample_.substr(cut);
  const std::string inputs[] = {Write("ping-2024-05-01T0000.bz2", Bzip2(a) + Bzip2(b)),
                                Write("ping.jsonl.gz", Gzip(a) + Gzip(b)), Write("ping.jsonl.zst", Zstd(a) + Zstd(b))};
  // Every strategy on the .bz2 dump; the workers' count on the others.
  const std::pair<const std::string*, const char*> builds[] = {{&inputs[0], "-j 2"},
                                                               {&inputs[0], "-j 1"},
                                                               {&inputs[0], "--strategy in-memory"},
                                                               {&inputs[0], "--strategy sequential"},
                                                               {&inputs[1], "-j 2"},
                                                               {&inputs[2], "-j 1 --strategy in-memory"}};
  int n = 0;
  for (const auto& [input, flags] : builds) {
    EXPECT_EQ(ReadTreeBytes(BuildWith("native", *input, flags, "native" + std::to_string(n++))), expected)
        << *input << " " << flags;
  }
}

TEST_F(NativePingCompressedTest, DumpFolderOf600FilesBuildsUnder256OpenFiles) {
  // 600 hourly dumps of one or two results each, under a limit of 256 open
  // files. The native map opens a file only while a worker reads it, and
  // DuckDB reads none of them in the plan (its statements would open two
  // pipe ends per .bz2 file, source/bzip2_pipes.h).
  const std::string dir = root_.path() + "/dumps";
  std::filesystem::create_directories(dir);
  std::vector<size_t> starts = {0};
  for (size_t at = sample_.find('\n'); at != std::string::npos; at = sample_.find('\n', at + 1))
    starts.push_back(at + 1);
  const size_t lines = starts.size() - 1;
  ASSERT_GE(lines, 600u);
  for (size_t h = 0; h < 600; ++h) {
    const size_t begin = starts[h * lines / 600], end = starts[(h + 1) * lines / 600];
    WriteFileOrDie(fmt::format("{}/ping-2024-05-{:02}T{:02}00.bz2", dir, 1 + h / 24, h % 24),
                   Bzip2(sample_.substr(begin, end - begin)));
  }
  const std::string plain = Write("all.ndjson", sample_.substr(0, starts[lines]));
  const auto expected = ReadTreeBytes(BuildWith("duckdb", plain, "-j 2", "duckdb"));
  const std::string out = root_.path() + "/native";
  CommandResult r = RunCommand("ulimit -n 256 && " + std::string(PROBEROWS_BINARY) +
                               " build --no-progress --preset ripe-atlas-ping --json-reader native -j 2 -i " +
                               ShellQuote(dir) + " -o " + ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadTreeBytes(out), expected);
}

TEST_F(NativePingCompressedTest, ErrorsNameTheFileAndLine) {
  // A bad line past the first decoded batch (1 MiB): its line number counts
  // every line before it, across streams.
  const std::string ok = R"({"fw":5020,"prb_id":7,"timestamp":1700000000,"msm_id":1,"sent":3,"rcvd":3,"result":[]})"
                         "\n";
  std::string text;
  for (int i = 0; i < 20000; ++i) text += ok;
  text += R"({"prb_id":7,"timestamp":1700000001,"msm_id":1,"sent":"3.5"})"
          "\n";
  for (const std::string name : {"bad.jsonl.zst", "bad.bz2"}) {
    const std::string half = text.substr(0, text.size() / 2);
    const std::string rest = text.substr(text.size() / 2);
    const std::string bytes = name.ends_with(".zst") ? Zstd(half) + Zstd(rest) : Bzip2(half) + Bzip2(rest);
    const std::string path = Write(name, bytes);
    // -j 2: the file decodes on a thread of its own; -j 1: on the worker's.
    const std::string workers = name.ends_with(".zst") ? " -j 2" : " -j 1";
    EXPECT_EQ(BuildError("-i " + ShellQuote(path) + " --preset ripe-atlas-ping --json-reader native" + workers),
              "proberows: error: reading input: --preset ripe-atlas-ping: field 'sent' holds 3.5, which is not an "
              "integer (prb_id 7) (file '" +
                  path + "', line 20001)\n");
  }
  // Truncated files: an error naming the file, never a shorter input.
  const std::string bz = Bzip2(sample_);
  const std::string cut_bz2 = Write("cut.bz2", bz.substr(0, bz.size() - 100));
  EXPECT_EQ(BuildError("-i " + ShellQuote(cut_bz2) + " --preset ripe-atlas-ping --json-reader native"),
            fmt::format("proberows: error: input '{}': bzip2 data ends early at byte {}, inside stream 1 (the file is "
                        "truncated; download it again)\n",
                        cut_bz2, bz.size() - 100));
  const std::string gz = Gzip(sample_);
  const std::string cut_gz = Write("cut.jsonl.gz", gz.substr(0, gz.size() - 100));
  EXPECT_EQ(BuildError("-i " + ShellQuote(cut_gz) + " --preset ripe-atlas-ping --json-reader native"),
            fmt::format("proberows: error: input '{}': gzip member 1 (from byte 0) ends early at byte {}; the file is "
                        "truncated or damaged; download or copy it again\n",
                        cut_gz, gz.size() - 100));
  const std::string zst = Zstd(sample_);
  const std::string cut_zst = Write("cut.jsonl.zst", zst.substr(0, zst.size() - 100));
  EXPECT_EQ(BuildError("-i " + ShellQuote(cut_zst) + " --preset ripe-atlas-ping --json-reader native"),
            fmt::format("proberows: error: input '{}': zstd frame 1 (from byte 0) ends early at byte {}; the file is "
                        "truncated or damaged; download or copy it again\n",
                        cut_zst, zst.size() - 100));
}

// DuckDB's JSON reader holds a .bz2 decoded into a pipe whole in memory
// (2.6 GB for a 2.6 GB hourly dump); when it runs out, the message says so
// and names the ways out. At -m 128MiB (DuckDB: 32 MiB) the sample runs out
// at once; the native reader streams it.
TEST_F(NativePingCompressedTest, OutOfMemoryOnTheDuckDbPathNamesTheNativeReader) {
  const std::string in = Write("ping-2024-05-01T0000.bz2", Bzip2(sample_));
  EXPECT_THAT(BuildError("--preset ripe-atlas-ping -m 128MiB -i " + ShellQuote(in)),
              testing::EndsWith("; raise --memory-limit (DuckDB gets a quarter of it). DuckDB holds each decoded .bz2 "
                                "input whole in memory: with --preset ripe-atlas-ping use --json-reader native (it "
                                "streams), or give such files as .zst or .gz\n"));
  BuildWith("native", in, "-m 128MiB", "native");
}

}  // namespace
}  // namespace proberows
