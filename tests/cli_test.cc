// The `proberows` binary end to end: help and usage errors, generate -> build
// -> inspect / cat / verify, exit codes, and the live progress line (only on
// a terminal, never under CI or with --no-progress). Small data, so the suite
// runs in a few seconds.
// GCC 12 reports false -Wmaybe-uninitialized positives inside <regex> when
// built with sanitizers (-O2 -fsanitize=address,undefined).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gtest/gtest.h"
#include "source/duckdb_handle.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Three probes with 3, 1 and 2 measurements (timestamps deliberately out of
// order in the input), a static VARCHAR, a DOUBLE with a NULL and a LIST.
constexpr char kTinySql[] = R"sql(
COPY (SELECT prb_id, "timestamp", CAST(rtt AS DOUBLE) AS rtt, country,
             CAST(rtts AS DOUBLE[]) AS rtts FROM (VALUES
  (1, TIMESTAMP '2024-01-01 00:00:02', 10.5, 'nl', [1.0, 2.0]),
  (1, TIMESTAMP '2024-01-01 00:00:01', NULL, 'nl', []),
  (1, TIMESTAMP '2024-01-01 00:00:03', 12.25, 'nl', [3.0]),
  (2, TIMESTAMP '2024-01-01 00:00:05', 7.0, 'de', [4.0, 5.0, 6.0]),
  (3, TIMESTAMP '2024-01-01 00:00:09', 1.5, 'fr', [7.0]),
  (3, TIMESTAMP '2024-01-01 00:00:08', 2.5, 'fr', [])
) AS t(prb_id, "timestamp", rtt, country, rtts))
TO '{}' (FORMAT PARQUET))sql";

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // A small generated dataset, built with fixed shard counts.
    generate_ = RunProberows(Sub("generate -o {}/gen -n 3000 -p 60 --seed 11", dir_->path()));
    ASSERT_EQ(generate_.exit_code, 0) << generate_.err;
    build_ =
        RunProberows(Sub("build -i '{0}/gen/*.parquet' -o {0}/out --static-columns prb_lat,prb_lon,prb_asn,prb_country "
                         "--train-shards 2 --test-shards 1 -j 2 -m 512MB",
                         dir_->path()));
    ASSERT_EQ(build_.exit_code, 0) << build_.err;

    // The hand-made tiny dataset.
    absl::StatusOr<std::unique_ptr<DuckDb>> db = DuckDb::Open(DuckDbOptions{});
    ASSERT_TRUE(db.ok()) << db.status();
    std::string sql = kTinySql;
    sql.replace(sql.find("{}"), 2, dir_->path() + "/tiny.parquet");
    ASSERT_TRUE((*db)->Execute(sql).ok());
    const CommandResult tiny = RunProberows(Sub(
        "build -i {0}/tiny.parquet -o {0}/tiny --static-columns country --test-fraction 0.34 --seed 1", dir_->path()));
    ASSERT_EQ(tiny.exit_code, 0) << tiny.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  // Minimal "{}"/"{0}" formatting so the test reads like the command lines.
  static std::string Sub(std::string pattern, const std::string& a) {
    for (const char* ph : {"{0}", "{}"}) {
      for (size_t p = pattern.find(ph); p != std::string::npos; p = pattern.find(ph, p + a.size())) {
        pattern.replace(p, std::string(ph).size(), a);
      }
    }
    return pattern;
  }
  static std::string Dir() { return dir_->path(); }

  static TempDir* dir_;
  static CommandResult generate_;
  static CommandResult build_;
};
TempDir* CliTest::dir_ = nullptr;
CommandResult CliTest::generate_;
CommandResult CliTest::build_;

TEST_F(CliTest, HelpAndVersion) {
  const CommandResult help = RunProberows("--help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* line :
       {"Subcommands:", "  generate                    write a synthetic RIPE-Atlas-like ping dataset as Parquet",
        "  build                       group measurements per probe into ArrayRecord shards",
        "  inspect                     summarize an output folder",
        "  cat                         print rows of an output folder or an ArrayRecord file as JSON lines",
        "  verify                      check an output folder (and optionally recount from the "
        "input)"}) {
    EXPECT_NE(help.out.find(std::string(line) + "\n"), std::string::npos) << line;
  }
  const CommandResult version = RunProberows("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "proberows 0.1.0\n");

  const CommandResult build_help = RunProberows("build --help");
  EXPECT_EQ(build_help.exit_code, 0);
  for (const char* flag : {"--input",
                           "--sql",
                           "--output",
                           "--name TEXT=probes",
                           "--key TEXT=prb_id",
                           "--order-by TEXT=timestamp",
                           "--static-columns",
                           "--include",
                           "--exclude",
                           "--null-lists-as-empty",
                           "--test-fraction FLOAT=0.1",
                           "--seed UINT=0",
                           "--train-shards",
                           "--test-shards",
                           "--array-record-options TEXT=group_size:1,zstd:3",
                           "--strategy TEXT=streaming",
                           "--workers",
                           "--memory-limit TEXT=2GB",
                           "--temp-dir",
                           "--overwrite",
                           "--no-progress"}) {
    EXPECT_NE(build_help.out.find(flag), std::string::npos) << flag;
  }
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  struct Case {
    std::string args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"", "A subcommand is required"},
           {"frobnicate", "'frobnicate' is not a command (commands: generate, build, schema, "},
           {"build", "--output is required"},
           {"build -o " + Dir() + "/never --bogus", "proberows build: unknown flag '--bogus'\n"},
           {"cat", "path is required"},
           {"generate -o " + Dir() + "/never --memory-limit lots", "--memory-limit"},
       }) {
    const CommandResult r = RunProberows(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
  EXPECT_FALSE(fs::exists(Dir() + "/never"));
}

// Mistyped commands and flags: the closest one by edit distance, as git and
// cargo suggest (exit 2, a usage error).
TEST_F(CliTest, DidYouMean) {
  struct Case {
    std::string args;
    std::string err;
  };
  for (const Case& c : std::vector<Case>{
           {"biuld -i x -o y", "proberows: 'biuld' is not a command; did you mean 'build'?"},
           {"shcema -i x", "proberows: 'shcema' is not a command; did you mean 'schema'?"},
           {"build -i x -o " + Dir() + "/never --prest ripe-atlas-ping",
            "proberows build: unknown flag '--prest'; did you mean '--preset'?"},
           {"build -i x -o " + Dir() + "/never --fill-nul=a=1",
            "proberows build: unknown flag '--fill-nul'; did you mean '--fill-null'?"},
           {"build -i x -o " + Dir() + "/never --overwirte",
            "proberows build: unknown flag '--overwirte'; did you mean '--overwrite'?"},
           {"cat x --splt test", "proberows cat: unknown flag '--splt'; did you mean '--split'?"},
           {"build -i x -o " + Dir() + "/never --zzzzzzzzzz", "proberows build: unknown flag '--zzzzzzzzzz'"},
       }) {
    const CommandResult r = RunProberows(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_EQ(r.err, c.err + "\nRun with --help for more information.\n") << c.args;
  }
  EXPECT_FALSE(fs::exists(Dir() + "/never"));
}

// --help names every preset and the values of every enum-like flag.
TEST_F(CliTest, HelpListsPresetsAndValues) {
  for (const char* command : {"build", "schema", "plan"}) {
    const CommandResult r = RunProberows(std::string(command) + " --help");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("ripe-atlas-ping, ripe-atlas-traceroute, ripe-atlas-bigquery-ping or "
                         "ripe-atlas-bigquery-traceroute"),
              std::string::npos)
        << command << r.out;
    EXPECT_NE(r.out.find("parquet, csv or json"), std::string::npos) << command;
  }
  EXPECT_NE(RunProberows("build --help").out.find("sequential, in-memory or streaming"), std::string::npos);
  EXPECT_NE(RunProberows("cat --help").out.find("train or test"), std::string::npos);
  EXPECT_NE(RunProberows("generate --help").out.find("parquet, or ripe-atlas-ping-json"), std::string::npos);
}

TEST_F(CliTest, RuntimeErrorsExitOne) {
  const CommandResult missing = RunProberows("inspect " + Dir() + "/no-such-folder");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err.rfind("proberows: error: ", 0), 0u) << missing.err;

  const CommandResult bad_workers = RunProberows("build -i " + Dir() + "/tiny.parquet -o " + Dir() + "/w -j 0");
  EXPECT_EQ(bad_workers.exit_code, 1);
  EXPECT_EQ(bad_workers.err, "proberows: error: --workers 0 must be at least 1\n");

  // A name that would publish outside --output (--tfds-layout puts NAME/1.0.0
  // beside the output folder) is refused before any work, and nothing is written.
  for (const std::string name : {"..", ".", "a/b"}) {
    const CommandResult bad_name =
        RunProberows("build -i " + Dir() + "/tiny.parquet -o " + Dir() + "/tl/out --tfds-layout --name '" + name + "'");
    EXPECT_EQ(bad_name.exit_code, 1);
    EXPECT_EQ(bad_name.err, "proberows: error: --name '" + name +
                                "': must be non-empty, not '.' or '..', without '/', '\\', '-' or control "
                                "characters\n");
    EXPECT_FALSE(std::filesystem::exists(Dir() + "/tl")) << name;
  }

  const CommandResult past_end =
      RunProberows("cat " + Dir() + "/tiny/probes-test.array_record-00000-of-00001 --index 5");
  EXPECT_EQ(past_end.exit_code, 1);
  EXPECT_EQ(past_end.err, "proberows: error: --index 5 is past the end of '" + Dir() +
                              "/tiny/probes-test.array_record-00000-of-00001' (1 records)\n");
}

// Usage errors: exit 2, CLI11's format (the message, then a pointer to --help).
TEST_F(CliTest, MissingOrConflictingInputIsAUsageError) {
  struct Case {
    std::string args;
    std::string message;
  };
  const std::string tiny = Dir() + "/tiny.parquet";
  for (const Case& c : std::vector<Case>{
           {"build -o " + Dir() + "/never", "no input: give --input FILE_OR_GLOB... or --sql QUERY"},
           {"build -o " + Dir() + "/never -i " + tiny + " --sql 'SELECT 1'",
            "--input and --sql are mutually exclusive"},
           {"verify " + Dir() + "/tiny -i " + tiny + " --sql 'SELECT 1'", "--input and --sql are mutually exclusive"},
           {"build -o " + Dir() + "/never -i " + tiny + " --strategy fast",
            "--strategy: unknown strategy 'fast' (expected sequential, in-memory or streaming)"},
           {"build -o " + Dir() + "/never -i " + tiny + " -m lots",
            "--memory-limit: invalid size 'lots' (expected e.g. 512MB, 2GiB, 1g or a number of bytes)"},
       }) {
    const CommandResult r = RunProberows(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_EQ(r.err, c.message + "\nRun with --help for more information.\n") << c.args;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(fs::exists(Dir() + "/never"));
  EXPECT_FALSE(fs::exists(Dir() + "/.never.proberows.lock"));
}

// CLI11 reads "-1" into an unsigned flag as 2^64-1; each is refused by name.
TEST_F(CliTest, NegativeNumbersAreRefusedByName) {
  const std::string shard = Dir() + "/tiny/probes-train.array_record-00000-of-00001";
  struct Case {
    std::string args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"cat " + shard + " --index -1", "--index must not be negative (got -1)"},
           {"cat " + shard + " --limit -1", "--limit must not be negative (got -1)"},
           {"cat " + shard + " --limit=-3", "--limit must not be negative (got -3)"},
           {"generate -o " + Dir() + "/never -n -5", "--measurements must not be negative (got -5)"},
           {"generate -o " + Dir() + "/never --probes -1", "--probes must not be negative (got -1)"},
           {"generate -o " + Dir() + "/never --seed -1", "--seed must not be negative (got -1)"},
           {"build -o " + Dir() + "/never -i " + Dir() + "/tiny.parquet --seed -1",
            "--seed must not be negative (got -1)"},
       }) {
    const CommandResult r = RunProberows(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args;
    EXPECT_EQ(r.err, "proberows: error: " + c.message + "\n") << c.args;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(fs::exists(Dir() + "/never"));
}

TEST_F(CliTest, CatOnAParquetFileSaysItIsNotArrayRecord) {
  const CommandResult r = RunProberows("cat " + Dir() + "/tiny.parquet");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "proberows: error: " + Dir() +
                       "/tiny.parquet: not an ArrayRecord file (it does not begin with the Riegeli file signature; it "
                       "is a Parquet file)\n");
  // Any other file that does not begin like ArrayRecord (here: text).
  WriteFileOrDie(Dir() + "/notes.txt", std::string(70000, 'x'));
  const CommandResult text = RunProberows("cat " + Dir() + "/notes.txt");
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_EQ(text.err, "proberows: error: " + Dir() +
                          "/notes.txt: not an ArrayRecord file (it does not begin with the Riegeli file signature)\n");
}

TEST_F(CliTest, BuildsLeaveNoLockFileBehind) {
  // The fixture's builds succeeded; this one fails after taking the lock.
  const CommandResult failed = RunProberows("build -i " + Dir() + "/tiny.parquet -o " + Dir() + "/failed --key nope");
  EXPECT_EQ(failed.exit_code, 1);
  for (const auto& e : fs::directory_iterator(Dir()))
    EXPECT_FALSE(e.path().filename().string().ends_with(".proberows.lock")) << e.path();
}

// -o LINK --overwrite where LINK is a symbolic link to a dataset replaces the
// dataset it names and keeps the link (was: the link became a folder and the
// old dataset stayed); a dangling link is refused, naming it.
TEST_F(CliTest, AnOutputThatIsASymbolicLinkIsFollowed) {
  const std::string real = Dir() + "/linked-real", link = Dir() + "/linked";
  ASSERT_EQ(RunProberows("build -i " + Dir() + "/tiny.parquet -o " + real).exit_code, 0);
  fs::create_directory_symlink("linked-real", link);
  const CommandResult again = RunProberows("build -i " + Dir() + "/tiny.parquet -o " + link + " --overwrite --seed 5");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(fs::read_symlink(link), "linked-real");
  EXPECT_NE(ReadFileOrDie(real + "/proberows.json").find("\"seed\": 5"), std::string::npos);
  for (const auto& e : fs::directory_iterator(Dir()))
    EXPECT_EQ(e.path().filename().string().find(".proberows-staging-"), std::string::npos) << e.path();

  fs::create_directory_symlink("nowhere", Dir() + "/dangling");
  const CommandResult dangling = RunProberows("build -i " + Dir() + "/tiny.parquet -o " + Dir() + "/dangling");
  EXPECT_EQ(dangling.exit_code, 1);
  EXPECT_EQ(dangling.err, "proberows: error: --output '" + Dir() +
                              "/dangling' is a symbolic link to 'nowhere', which cannot be followed (No such file or "
                              "directory); give the folder itself\n");
  EXPECT_FALSE(fs::exists(Dir() + "/nowhere"));
}

TEST_F(CliTest, GenerateAndBuildSummaries) {
  EXPECT_EQ(generate_.out.rfind("generated 3000 measurements of 60 probes in 1 file(s), ", 0), 0u) << generate_.out;
  const std::vector<std::string> lines = Lines(build_.out);
  ASSERT_GE(lines.size(), 6u) << build_.out;
  EXPECT_TRUE(std::regex_match(lines[0], std::regex(R"(proberows build: 3000 measurements -> \d+ rows in .*)")))
      << lines[0];
  EXPECT_TRUE(std::regex_search(lines[1], std::regex(R"(^  train +\d+ rows +\d+ measurements .* 2 shard\(s\), )")))
      << lines[1];
  EXPECT_TRUE(std::regex_search(lines[2], std::regex(R"(^  test +\d+ rows +\d+ measurements .* 1 shard\(s\), )")))
      << lines[2];
  EXPECT_EQ(lines.back(), "  output: " + Dir() + "/out");
  // Not a terminal: no progress line at all.
  EXPECT_EQ(build_.err, "");
}

TEST_F(CliTest, InspectListsOptionsFeaturesAndShards) {
  const CommandResult r = RunProberows("inspect " + Dir() + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 33u) << r.out;
  EXPECT_EQ(lines[0], "dataset 'probes' in " + Dir() + "/out");
  EXPECT_EQ(lines[1], "  key 'prb_id', measurements ordered by 'timestamp'");
  EXPECT_EQ(lines[2],
            "  array_record options: group_size:1,transpose:false,pad_to_block_boundary:false,zstd:3,window_log:20");
  EXPECT_EQ(lines[3], "  split: test fraction 0.1, seed 0");
  EXPECT_TRUE(std::regex_match(lines[7], std::regex(R"(  total +\d+ +3000 +.*)"))) << lines[7];
  const std::vector<std::string> features(lines.begin() + 8, lines.begin() + 29);
  const std::vector<std::string> expected = {
      "  features (20):",
      "    af                         int64    per_measurement",
      "    avg                        float32  per_measurement",
      "    dst_addr                   bytes    per_measurement",
      "    max                        float32  per_measurement",
      "    min                        float32  per_measurement",
      "    msm_id                     int64    per_measurement",
      "    prb_asn                    int64    per_row",
      "    prb_country                bytes    per_row",
      "    prb_id                     int64    per_row",
      "    prb_lat                    float32  per_row",
      "    prb_lon                    float32  per_row",
      "    proto                      bytes    per_measurement",
      "    rcvd                       int64    per_measurement",
      "    rtts/ragged_flat_values    float32  ragged_values",
      "    rtts/ragged_row_lengths_0  int64    ragged_row_lengths",
      "    sent                       int64    per_measurement",
      "    size                       int64    per_measurement",
      "    src_addr                   bytes    per_measurement",
      "    timestamp                  int64    per_measurement",
      "    ttl                        int64    per_measurement",
  };
  EXPECT_EQ(features, expected);
  EXPECT_EQ(lines[29], "  shards:");
  for (int i = 0; i < 3; ++i) {
    const char* file = i == 0   ? "probes-train.array_record-00000-of-00002"
                       : i == 1 ? "probes-train.array_record-00001-of-00002"
                                : "probes-test.array_record-00000-of-00001";
    EXPECT_TRUE(
        std::regex_match(lines[30 + i], std::regex(std::string("    ") + file + R"(  (\d+) rows, .*, (\d+) records)")))
        << lines[30 + i];
  }
}

// The tiny dataset: prb_id 1..3 hash (seed 1) into test = {2}, train = {3, 1}
// (hash order). Measurements come out in timestamp order; NULL became NaN
// (printed as the string "NaN", JSON has no NaN); ragged lists regrouped.
TEST_F(CliTest, CatPrintsExactJsonLines) {
  const std::string train = Dir() + "/tiny/probes-train.array_record-00000-of-00001";
  const std::string test = Dir() + "/tiny/probes-test.array_record-00000-of-00001";
  const std::string probe1 = R"({"country":["nl"],"prb_id":[1],"rtt":["NaN",10.5,12.25],"rtts":[[],[1.0,2.0],[3.0]],)"
                             R"("timestamp":[1704067201000000,1704067202000000,1704067203000000]})";
  const std::string probe2 =
      R"({"country":["de"],"prb_id":[2],"rtt":[7.0],"rtts":[[4.0,5.0,6.0]],"timestamp":[1704067205000000]})";
  const std::string probe3 = R"({"country":["fr"],"prb_id":[3],"rtt":[2.5,1.5],"rtts":[[],[7.0]],)"
                             R"("timestamp":[1704067208000000,1704067209000000]})";

  CommandResult r = RunProberows("cat " + test);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, probe2 + "\n");

  r = RunProberows("cat " + train + " --limit 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, probe3 + "\n" + probe1 + "\n");

  r = RunProberows("cat " + train + " --index 1 --limit 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, probe1 + "\n");

  r = RunProberows("cat " + train + " --index 0 --limit 1 --flat");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"({"country":["fr"],"prb_id":[3],"rtt":[2.5,1.5],"rtts/ragged_flat_values":[7.0],)"
                   R"("rtts/ragged_row_lengths_0":[0,1],"timestamp":[1704067208000000,1704067209000000]})"
                   "\n");
}

// The split table's columns are as wide as their widest cell: wide numbers
// never run together (issue 17: `1589634105627/7313255.0/10520883`).
TEST_F(CliTest, InspectAlignsColumnsForAnyWidth) {
  const std::string out = Dir() + "/wide";
  // Rows of ~100 KB: six- and seven-digit byte counts.
  const CommandResult b = RunProberows(
      "build --sql \"SELECT i % 3 AS prb_id, i AS timestamp, repeat('x', 20000 + i * 1000) AS s FROM range(30) t(i)\" "
      "-o " +
      out + " --test-fraction 0.34");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const CommandResult r = RunProberows("inspect " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 8u);
  // Every cell of the header, train, test and total lines ends in the same
  // column as the header's cell above it, with at least two spaces between.
  const std::regex cell(R"((\S+(?: \S+)*))");
  std::vector<size_t> ends;
  for (auto it = std::sregex_iterator(lines[4].begin(), lines[4].end(), cell); it != std::sregex_iterator(); ++it)
    ends.push_back(it->position() + it->length());
  ASSERT_EQ(ends.size(), 7u) << lines[4];
  for (int l = 5; l <= 6; ++l) {
    std::vector<size_t> got;
    for (auto it = std::sregex_iterator(lines[l].begin(), lines[l].end(), cell); it != std::sregex_iterator(); ++it)
      got.push_back(it->position() + it->length());
    ASSERT_EQ(got.size(), 7u) << lines[l];
    EXPECT_EQ(got.back(), ends.back()) << r.out;
    for (size_t c = 1; c + 1 < 7; ++c) EXPECT_EQ(got[c], ends[c]) << "column " << c << "\n" << r.out;
  }
  EXPECT_TRUE(std::regex_search(lines[5], std::regex(R"(  \d{5,}/\d+\.\d/\d{5,}  )"))) << lines[5];
}

// `cat OUT` reads every shard of the output folder (train then test), or of
// one split; --index and --limit count over the shards.
TEST_F(CliTest, CatReadsAnOutputFolder) {
  std::string train, test;
  for (const std::string file : {"probes-train.array_record-00000-of-00002", "probes-train.array_record-00001-of-00002",
                                 "probes-test.array_record-00000-of-00001"}) {
    const CommandResult r = RunProberows("cat " + Dir() + "/out/" + file + " --limit 0");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    (file.find("-train.") != std::string::npos ? train : test) += r.out;
  }
  CommandResult r = RunProberows("cat " + Dir() + "/out --limit 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, train + test);
  EXPECT_EQ(Lines(r.out).size(), 60u);
  r = RunProberows("cat " + Dir() + "/out --split test --limit 0");
  EXPECT_EQ(r.out, test);
  r = RunProberows("cat " + Dir() + "/out --split train");  // --limit 10 by default
  const std::vector<std::string> train_lines = Lines(train);
  ASSERT_GE(train_lines.size(), 10u);
  EXPECT_EQ(Lines(r.out), std::vector<std::string>(train_lines.begin(), train_lines.begin() + 10));
  // A window across the two train shards.
  const std::vector<std::string> all = Lines(train + test);
  const size_t first_shard = Lines(RunProberows("cat " + Dir() +
                                                "/out/probes-train.array_record-00000-of-00002 "
                                                "--limit 0")
                                       .out)
                                 .size();
  r = RunProberows(fmt::format("cat {}/out --index {} --limit 4", Dir(), first_shard - 2));
  EXPECT_EQ(Lines(r.out), std::vector<std::string>(all.begin() + first_shard - 2, all.begin() + first_shard + 2));
  r = RunProberows("cat " + Dir() + "/out --index 61");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "proberows: error: --index 61 is past the end of '" + Dir() + "/out' (60 rows)\n");
  r = RunProberows("cat " + Dir() + "/out --split validation");
  EXPECT_EQ(r.err, "proberows: error: --split 'validation': expected train or test\n");
  r = RunProberows("cat " + Dir() + "/out/probes-test.array_record-00000-of-00001 --split test");
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(CliTest, VerifyOkRecountAndCorruption) {
  CommandResult r = RunProberows("verify " + Dir() + "/tiny");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "checked 2 shard file(s): 3 rows, 6 measurements\nOK\n");
  EXPECT_EQ(r.err, "");

  r = RunProberows("verify " + Dir() + "/tiny -i " + Dir() + "/tiny.parquet");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "checked 2 shard file(s): 3 rows, 6 measurements\n"
            "recounted the input with DuckDB: 3 keys, 6 measurements\nOK\n");

  r = RunProberows("verify " + Dir() + "/out --input '" + Dir() + "/gen/*.parquet'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(recounted the input with DuckDB: \d+ keys, 3000 measurements)")))
      << r.out;

  // Flip one byte in a copy of the tiny dataset: checksum mismatch, exit 1.
  const std::string copy = Dir() + "/tiny-corrupt";
  fs::copy(Dir() + "/tiny", copy);
  const std::string shard = copy + "/probes-train.array_record-00000-of-00001";
  std::string bytes = ReadFileOrDie(shard);
  bytes[bytes.size() / 3] ^= 0x40;
  WriteFileOrDie(shard, bytes);
  r = RunProberows("verify " + copy);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("proberows: problem: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("probes-train.array_record-00000-of-00001"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("proberows: error: verification failed with "), std::string::npos) << r.err;
}

// Verifying against the wrong input: every problem is counted, the first 100
// are printed, and the summary says so.
TEST_F(CliTest, VerifyCountsAllProblemsAndShowsTheFirstHundred) {
  absl::StatusOr<std::unique_ptr<DuckDb>> db = DuckDb::Open(DuckDbOptions{});
  ASSERT_TRUE(db.ok()) << db.status();
  const std::string wrong = Dir() + "/wrong.parquet";
  ASSERT_TRUE((*db)
                  ->Execute("COPY (SELECT 1000 + i AS prb_id, TIMESTAMP '2024-01-01' AS \"timestamp\" FROM range(150) "
                            "t(i)) TO '" +
                            wrong + "' (FORMAT PARQUET)")
                  .ok());
  const CommandResult r = RunProberows("verify " + Dir() + "/tiny -i " + wrong);
  EXPECT_EQ(r.exit_code, 1);
  // 150 input keys without a row, 3 rows without an input key.
  EXPECT_EQ(r.out,
            "checked 2 shard file(s): 3 rows, 6 measurements\n"
            "recounted the input with DuckDB: 150 keys, 150 measurements\nFAILED: 153 problem(s)\n");
  const std::vector<std::string> lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 101u) << r.err;
  for (size_t i = 0; i < 100; ++i) EXPECT_EQ(lines[i].rfind("proberows: problem: key ", 0), 0u) << lines[i];
  EXPECT_EQ(lines[100], "proberows: error: verification failed with 153 problem(s); only the first 100 are shown");
}

// The progress line needs a terminal on stderr: run the build under a
// pseudo-terminal with util-linux `script`. The sequential strategy (one
// indexed query per key, about 1 ms each) on 2,500 probes takes long enough
// (> 2 s) for the rate to show and for an interrupt to land mid-build.
class CliProgressTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const CommandResult g = RunProberows("generate -o " + dir_->path() + "/in -n 8000 -p 2500 --seed 3");
    ASSERT_EQ(g.exit_code, 0) << g.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  // Runs a sequential build into `out` under a pty; returns what the terminal
  // showed (stdout and stderr interleaved).
  static CommandResult UnderPty(const std::string& out, const std::string& extra, const std::string& env) {
    const std::string cmd = std::string(PROBEROWS_BINARY) + " build -i " + dir_->path() + "/in -o " + dir_->path() +
                            "/" + out + " --strategy sequential -j 1 " + extra;
    return RunCommand(env + " script -qfec \"" + cmd + "\" /dev/null");
  }
  static TempDir* dir_;
};
TempDir* CliProgressTest::dir_ = nullptr;

constexpr char kEraseLine[] = "\r\033[K";

TEST_F(CliProgressTest, ShownOnATerminalWithRate) {
  const CommandResult r = UnderPty("a", "", "env -u CI");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(kEraseLine), std::string::npos) << r.out;
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(\[grouping\] scanned [0-9.]+K?/8\.0K measurements, wrote [0-9.]+K? rows, \d+%)")))
      << r.out;
  EXPECT_TRUE(
      std::regex_search(r.out, std::regex(R"(measurements, wrote [0-9.]+K? rows, \d+%, [0-9.]+K?/s, ETA \d+s)")))
      << r.out;
  // The line is erased before the summary.
  EXPECT_NE(r.out.find(std::string(kEraseLine) + "proberows build: 8000 measurements -> "), std::string::npos) << r.out;
}

TEST_F(CliProgressTest, HiddenWithNoProgressOrUnderCi) {
  CommandResult r = UnderPty("b", "--no-progress", "env -u CI");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("\033[K"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.rfind("proberows build: 8000 measurements -> ", 0), 0u) << r.out;

  r = UnderPty("c", "", "env CI=true");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("\033[K"), std::string::npos) << r.out;
}

TEST_F(CliProgressTest, NeverWhenStderrIsNotATerminal) {
  const CommandResult r = RunCommand("env -u CI " + std::string(PROBEROWS_BINARY) + " build -i " + dir_->path() +
                                     "/in -o " + dir_->path() + "/d -j 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
  EXPECT_EQ(r.err, "");
}

TEST_F(CliProgressTest, InterruptExits130AndWritesNothing) {
  // SIGINT into a ~2 s sequential build once it has started (its staging
  // folder exists, so its handler is installed: a fixed delay raced the
  // start-up on a loaded machine). Job control keeps the background build's
  // SIGINT from being ignored.
  const std::string d = dir_->path();
  const CommandResult r =
      RunCommand("bash -c 'set -m; " + std::string(PROBEROWS_BINARY) + " build -i " + d + "/in -o " + d +
                 "/interrupted --strategy sequential -j 1 & pid=$!; for i in $(seq 600); do "
                 "compgen -G \"" +
                 d +
                 "/.interrupted.proberows-staging-*\" >/dev/null && break; sleep 0.05; done; "
                 "kill -INT $pid; wait $pid 2>/dev/null'");
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_EQ(r.err, "proberows: error: interrupted; no output was written\n");
  EXPECT_FALSE(fs::exists(dir_->path() + "/interrupted"));
  for (const auto& e : fs::directory_iterator(dir_->path())) {
    EXPECT_EQ(e.path().filename().string().find("staging"), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace proberows
