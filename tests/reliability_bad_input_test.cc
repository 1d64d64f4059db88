// Bad input, end to end through the real binary: every case asserts the exact
// one-line message, the exit code, and that nothing new appeared in the
// output folder's parent (not even the lock file).
#include <cctype>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "tests/reliability_util.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    in_ = root_.path() + "/in";
    outs_ = root_.path() + "/outs";
    out_ = outs_ + "/out";
    fs::create_directories(in_);
    fs::create_directories(outs_);
    good_ = in_ + "/good.parquet";
    WriteGoodParquet(good_);
  }

  // Runs `build` with `args` (output and --no-progress added) and checks the
  // exit code, the exact stderr line and that nothing new is left behind.
  void ExpectFailure(const std::string& args, int exit_code, const std::string& message) {
    const std::set<std::string> before = ListTree(root_.path());
    CommandResult r = RunProberows("build --no-progress -o " + ShellQuote(out_) + " " + args);
    EXPECT_EQ(r.exit_code, exit_code) << r.err;
    // The only run-dependent part of a message: the temp folder's pid.
    std::string err = r.err;
    const size_t tmp = err.find("proberows-tmp-");
    if (tmp != std::string::npos) {
      const size_t digits = tmp + std::string("proberows-tmp-").size();
      size_t end = digits;
      while (end < err.size() && std::isdigit(static_cast<unsigned char>(err[end]))) ++end;
      err.replace(digits, end - digits, "PID");
    }
    EXPECT_EQ(err, "proberows: error: " + message + "\n");
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(NewEntries(before, ListTree(root_.path())), "");
  }

  // A usage error: exit 2 and CLI11's format (the message, then a pointer
  // to --help); nothing is created.
  void ExpectUsageError(const std::string& args, const std::string& message) {
    const std::set<std::string> before = ListTree(root_.path());
    CommandResult r = RunProberows("build --no-progress -o " + ShellQuote(out_) + " " + args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err, message + "\nRun with --help for more information.\n");
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(NewEntries(before, ListTree(root_.path())), "");
  }

  std::string In(const std::string& file) const { return ShellQuote(file); }

  TempDir root_;
  std::string in_, outs_, out_, good_;
};

TEST_F(BadInputTest, InputPathDoesNotExist) {
  ExpectFailure("-i " + In(in_ + "/nope.parquet"), 1, "input '" + in_ + "/nope.parquet' does not exist");
}

TEST_F(BadInputTest, GlobInAFolderThatDoesNotExist) {
  ExpectFailure("-i " + In(in_ + "/nodir/*.parquet"), 1,
                "input '" + in_ + "/nodir/*.parquet': folder '" + in_ + "/nodir' does not exist");
}

TEST_F(BadInputTest, GlobMatchesNothing) {
  ExpectFailure("-i " + In(in_ + "/*.nomatch.parquet"), 1, "input '" + in_ + "/*.nomatch.parquet' matches no files");
}

TEST_F(BadInputTest, FolderWithoutInputFiles) {
  fs::create_directories(in_ + "/empty");
  ExpectFailure("-i " + In(in_ + "/empty"), 1,
                "input folder '" + in_ +
                    "/empty' holds no input files (.parquet, .csv, .tsv, .json, .jsonl, .ndjson, the text ones "
                    "optionally compressed as .gz, .zst or .bz2 (NAME.bz2: JSON lines, as RIPE Atlas' daily dumps))");
}

TEST_F(BadInputTest, FileIsNotParquet) {
  WriteFileOrDie(in_ + "/text.parquet", "this is not a parquet file, just some text\n");
  ExpectFailure("-i " + In(in_ + "/text.parquet"), 1,
                "reading input: Invalid Input Error: No magic bytes found at end of file '" + in_ + "/text.parquet'");
}

TEST_F(BadInputTest, TruncatedParquet) {
  const std::string bytes = ReadFileOrDie(good_);
  WriteFileOrDie(in_ + "/cut.parquet", bytes.substr(0, bytes.size() / 2));
  ExpectFailure("-i " + In(in_ + "/cut.parquet"), 1,
                "reading input: Invalid Input Error: No magic bytes found at end of file '" + in_ + "/cut.parquet'");
}

TEST_F(BadInputTest, OneBadFileAmongGoodOnesIsNamed) {
  WriteGoodParquet(in_ + "/a.parquet");
  const std::string bytes = ReadFileOrDie(good_);
  WriteFileOrDie(in_ + "/b.parquet", bytes.substr(0, bytes.size() - 9));
  ExpectFailure("-i " + In(in_ + "/a.parquet") + " " + In(in_ + "/b.parquet"), 1,
                "reading input: Invalid Input Error: No magic bytes found at end of file '" + in_ + "/b.parquet'");
}

TEST_F(BadInputTest, EmptyTable) {
  RunDuckDbOrDie("COPY (SELECT 1::BIGINT AS prb_id, TIMESTAMP '2024-01-01' AS timestamp WHERE false) TO '" + in_ +
                 "/empty.parquet' (FORMAT parquet)");
  ExpectFailure("-i " + In(in_ + "/empty.parquet"), 1, "the input has no rows");
}

TEST_F(BadInputTest, KeyColumnMissingListsAvailableColumns) {
  ExpectFailure("-i " + In(good_) + " --key probe", 1,
                "key column 'probe' not found in input; available columns: prb_id, timestamp, rtt, country");
}

TEST_F(BadInputTest, OrderColumnMissingListsAvailableColumns) {
  ExpectFailure("-i " + In(good_) + " --order-by ts", 1,
                "order column 'ts' not found in input; available columns: prb_id, timestamp, rtt, country");
}

TEST_F(BadInputTest, NullKeyNamesTheFile) {
  WriteGoodParquet(in_ + "/a.parquet");
  RunDuckDbOrDie(
      "COPY (SELECT CASE WHEN i = 3 THEN NULL ELSE i END::BIGINT AS prb_id, TIMESTAMP '2024-01-01' AS "
      "timestamp, 1.0 AS rtt, 'x' AS country FROM range(10) t(i)) TO '" +
      in_ + "/b.parquet' (FORMAT parquet)");
  ExpectFailure("-i " + In(in_ + "/*.parquet"), 1,
                "NULL values the output cannot hold (only float features hold NULL, as NaN): key column 'prb_id' is "
                "NULL in 1 of 210 rows (first in file '" +
                    in_ +
                    "/b.parquet'); to fix: rows without 'prb_id' must be dropped, e.g. with --sql \"SELECT * FROM "
                    "... WHERE \"prb_id\" IS NOT NULL\"");
}

TEST_F(BadInputTest, NullOrderValueNamesColumnKeyAndFile) {
  RunDuckDbOrDie(
      "COPY (SELECT 1::BIGINT AS prb_id, CASE WHEN i = 2 THEN NULL ELSE TIMESTAMP '2024-01-01' END AS "
      "timestamp FROM range(5) t(i)) TO '" +
      in_ + "/n.parquet' (FORMAT parquet)");
  ExpectFailure("-i " + In(in_ + "/n.parquet"), 1,
                "NULL values the output cannot hold (only float features hold NULL, as NaN): order column "
                "'timestamp' is NULL in 1 of 5 rows (first: key 1 in file '" +
                    in_ +
                    "/n.parquet'); to fix: rows without 'timestamp' must be dropped, e.g. with --sql \"SELECT * "
                    "FROM ... WHERE \"timestamp\" IS NOT NULL\"");
}

TEST_F(BadInputTest, NullStringValueNamesColumnKeyAndFile) {
  RunDuckDbOrDie(
      "COPY (SELECT 7::BIGINT AS prb_id, TIMESTAMP '2024-01-01' AS timestamp, CASE WHEN i = 2 THEN "
      "NULL ELSE 'x' END AS country FROM range(5) t(i)) TO '" +
      in_ + "/n.parquet' (FORMAT parquet)");
  ExpectFailure(
      "-i " + In(in_ + "/n.parquet"), 1,
      "NULL values the output cannot hold (only float features hold NULL, as NaN): 'country' (bytes) is NULL in 1 of "
      "5 rows (first: key 7 in file '" +
          in_ +
          "/n.parquet'); to fix: --fill-null country=VALUE replaces them (--null-mask adds a feature recording "
          "where values were NULL); or --exclude country drops the column");
}

TEST_F(BadInputTest, ColumnTypeWeCannotEncode) {
  RunDuckDbOrDie(
      "COPY (SELECT 1::BIGINT AS prb_id, TIMESTAMP '2024-01-01' AS timestamp, {'a': 1, 'i': INTERVAL 1 "
      "DAY} AS s) TO '" +
      in_ + "/s.parquet' (FORMAT parquet)");
  ExpectFailure("-i " + In(in_ + "/s.parquet"), 1,
                "column 's/i' has type INTERVAL, which proberows cannot encode (supported: BOOLEAN, integers that fit "
                "in int64, TIMESTAMP, DATE, FLOAT, DOUBLE, DECIMAL, VARCHAR, BLOB, UUID, ENUM, JSON holding values of "
                "one type, and LISTs, STRUCTs and MAPs of these); drop it with --exclude s/i");
}

TEST_F(BadInputTest, UnsignedAboveInt64Max) {
  RunDuckDbOrDie(
      "COPY (SELECT 5::BIGINT AS prb_id, TIMESTAMP '2024-01-01' AS timestamp, CASE WHEN i = 1 THEN "
      "9223372036854775808 ELSE 1 END::UBIGINT AS bytes FROM range(3) t(i)) TO '" +
      in_ + "/u.parquet' (FORMAT parquet)");
  ExpectFailure("-i " + In(in_ + "/u.parquet"), 1,
                "reading input: Invalid Input Error: column 'bytes': value 9223372036854775808 does not fit in int64 "
                "(key 5) (first in "
                "file '" +
                    in_ + "/u.parquet')");
}

TEST_F(BadInputTest, StaticColumnVariesWithinAProbe) {
  RunDuckDbOrDie(
      "COPY (SELECT 9::BIGINT AS prb_id, TIMESTAMP '2024-01-01' + to_seconds(i) AS timestamp, 'c' || i "
      "AS country FROM range(3) t(i)) TO '" +
      in_ + "/v.parquet' (FORMAT parquet)");
  ExpectFailure("-i " + In(in_ + "/v.parquet") + " --static-columns country", 1,
                "static column 'country' differs within key 9: measurement 0 has \"c0\", measurement 1 has \"c1\"");
}

TEST_F(BadInputTest, InvalidArrayRecordOptions) {
  ExpectFailure(
      "-i " + In(good_) + " --array-record-options group_size:0,zstd:99", 1,
      "--array-record-options: invalid ArrayRecord writer options \"group_size:0,zstd:99\": Option group_size: "
      "invalid value: 0, valid values: integers 1..2147483647");
  ExpectFailure("-i " + In(good_) + " --array-record-options bogus", 1,
                "--array-record-options: invalid ArrayRecord writer options \"bogus\": Unknown option bogus, valid "
                "options: default, group_size, max_parallelism, saturation_delay_ms, transpose, transpose_bucket_size, "
                "uncompressed, brotli, zstd, snappy, window_log, pad_to_block_boundary");
}

TEST_F(BadInputTest, TestFractionOutsideRange) {
  ExpectFailure("-i " + In(good_) + " --test-fraction 1", 1, "--test-fraction 1 is outside [0, 1)");
  ExpectFailure("-i " + In(good_) + " --test-fraction -0.1", 1, "--test-fraction -0.1 is outside [0, 1)");
}

TEST_F(BadInputTest, ZeroOrNegativeWorkersShardsMemory) {
  ExpectFailure("-i " + In(good_) + " --workers 0", 1, "--workers 0 must be at least 1");
  ExpectFailure("-i " + In(good_) + " --workers -2", 1, "--workers -2 must be at least 1");
  ExpectFailure("-i " + In(good_) + " --train-shards 0", 1, "--train-shards 0 must be at least 1");
  ExpectFailure("-i " + In(good_) + " --test-shards -1", 1, "--test-shards -1 must be at least 1");
  ExpectFailure("-i " + In(good_) + " --memory-limit 0", 1, "--memory-limit must be positive");
  ExpectUsageError("-i " + In(good_) + " --memory-limit -5MB",
                   "--memory-limit: invalid size '-5MB' (expected e.g. 512MB, 2GiB, 1g or a number of bytes)");
  ExpectFailure("-i " + In(good_) + " --seed -1", 1, "--seed must not be negative (got -1)");
}

TEST_F(BadInputTest, MemoryLimitTooSmallToMakeProgress) {
  ExpectFailure("-i " + In(good_) + " --memory-limit 10MB", 1,
                "--memory-limit 9.5 MiB is too small to make progress: proberows needs at least 128 MiB");
  ExpectFailure("-i " + In(good_) + " --memory-limit 127MiB", 1,
                "--memory-limit 127.0 MiB is too small to make progress: proberows needs at least 128 MiB");
  // The smallest accepted limit makes progress.
  CommandResult r = RunProberows("build --no-progress -m 128MiB -i " + In(good_) + " -o " + ShellQuote(out_));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(BadInputTest, OutputExistsWithoutOverwrite) {
  CommandResult first = RunProberows("build --no-progress -i " + In(good_) + " -o " + ShellQuote(out_));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto bytes = ReadTreeBytes(out_);
  ExpectFailure("-i " + In(good_), 1,
                "output folder '" + out_ + "' already holds a dataset; pass --overwrite to replace it");
  EXPECT_EQ(ReadTreeBytes(out_), bytes);
}

TEST_F(BadInputTest, OutputFolderHoldsSomethingElse) {
  fs::create_directories(out_);
  WriteFileOrDie(out_ + "/precious.txt", "keep me");
  ExpectFailure("-i " + In(good_) + " --overwrite", 1,
                "output folder '" + out_ +
                    "' is not empty and holds no proberows output (proberows.json missing); refusing to replace it");
  EXPECT_EQ(ReadFileOrDie(out_ + "/precious.txt"), "keep me");
}

TEST_F(BadInputTest, OutputFolderNotWritable) {
  WriteFileOrDie(outs_ + "/afile", "");
  const std::string out = outs_ + "/afile/out";
  const std::set<std::string> before = ListTree(root_.path());
  CommandResult r = RunProberows("build --no-progress -i " + In(good_) + " -o " + ShellQuote(out));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "proberows: error: --output: create directory '" + outs_ + "/afile': Not a directory\n");
  EXPECT_EQ(NewEntries(before, ListTree(root_.path())), "");
}

TEST_F(BadInputTest, TempFolderNotWritable) {
  WriteFileOrDie(outs_ + "/afile", "");
  ExpectFailure("-i " + In(good_) + " --temp-dir " + ShellQuote(outs_ + "/afile"), 1,
                "--temp-dir: create directory '" + outs_ + "/afile/proberows-tmp-PID': Not a directory");
}

TEST_F(BadInputTest, InputsWithDifferentSchemas) {
  RunDuckDbOrDie("COPY (SELECT 1::BIGINT AS prb_id, TIMESTAMP '2024-01-01' AS timestamp, 2.0 AS other) TO '" + in_ +
                 "/z.parquet' (FORMAT parquet)");
  ExpectFailure("-i " + In(good_) + " " + In(in_ + "/z.parquet"), 1,
                "input files have different schemas: '" + in_ + "/z.parquet' has no column 'country' (unlike '" + in_ +
                    "/good.parquet'); give files of one schema, or unify them with --sql");
}

TEST_F(BadInputTest, InputsWithDifferentColumnTypes) {
  RunDuckDbOrDie("COPY (SELECT 'p1' AS prb_id, TIMESTAMP '2024-01-01' AS timestamp, 1.5 AS rtt, 'c' AS country) TO '" +
                 in_ + "/z.parquet' (FORMAT parquet)");
  ExpectFailure("-i " + In(good_) + " " + In(in_ + "/z.parquet"), 1,
                "input files have different schemas: '" + in_ +
                    "/z.parquet' has column 'prb_id' as VARCHAR, not BIGINT "
                    "(unlike '" +
                    in_ + "/good.parquet'); give files of one schema, or unify them with --sql");
}

TEST_F(BadInputTest, InputsWithDifferentIntegerWidthsAndFloatEncodingsAreAccepted) {
  RunDuckDbOrDie(
      "COPY (SELECT 1000::INTEGER AS prb_id, TIMESTAMP '2024-01-01' AS timestamp, 1.5::DECIMAL(4,1) AS rtt, "
      "'c' AS country) TO '" +
      in_ + "/z.parquet' (FORMAT parquet)");
  CommandResult r =
      RunProberows("build --no-progress -i " + In(good_) + " " + In(in_ + "/z.parquet") + " -o " + ShellQuote(out_));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(BadInputTest, SqlSyntaxError) {
  ExpectFailure("--sql " + ShellQuote("SELEC prb_id FROM x"), 1,
                "--sql query: Parser Error: syntax error at or near \"FROM\"");
}

TEST_F(BadInputTest, InputAndSqlBothOrNeither) {
  ExpectUsageError("-i " + In(good_) + " --sql " + ShellQuote("SELECT 1"), "--input and --sql are mutually exclusive");
  ExpectUsageError("", "no input: give --input FILE_OR_GLOB... or --sql QUERY");
  ExpectUsageError("-i " + In(good_) + " --strategy fast",
                   "--strategy: unknown strategy 'fast' (expected sequential, in-memory or streaming)");
}

}  // namespace
}  // namespace proberows
