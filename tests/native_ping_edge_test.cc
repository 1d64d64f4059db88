// --json-reader native where DuckDB's JSON reader is particular: a UTF-8 byte
// order mark before the first line (skipped by both), numeric strings with a
// leading zero (DuckDB refuses "01" and "00.5": the native reader never
// builds what DuckDB refuses), and the value in the preset's integer error,
// written as DuckDB's CAST(DOUBLE AS VARCHAR) writes it; timestamps outside
// uint32 seconds and infinities, refused by both.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/cli_build_test_base.h"

namespace proberows {
namespace {

using ::testing::HasSubstr;

class NativePingEdgeTest : public CliBuildTestBase {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = root_.path() + "/" + name;
    WriteFileOrDie(path, text);
    return path;
  }
  static std::string Line(const std::string& prb_id, const std::string& min) {
    return R"({"prb_id":)" + prb_id +
           R"(,"timestamp":1700000000,"msm_id":1001,"fw":5080,"af":4,"dst_addr":"1.2.3.4",)" +
           R"("sent":3,"rcvd":1,"min":)" + min + R"(,"avg":2,"max":3,"result":[{"rtt":2}],"type":"ping"})" + "\n";
  }
};

TEST_F(NativePingEdgeTest, ByteOrderMarkIsSkippedAsDuckDbSkipsIt) {
  const std::string in = Write("bom.jsonl", "\xEF\xBB\xBF" + Line("1", "1") + Line("2", "1.5"));
  const std::string duckdb = Build("--preset ripe-atlas-ping -i " + ShellQuote(in), "duckdb");
  const std::string native = Build("--preset ripe-atlas-ping --json-reader native -i " + ShellQuote(in), "native");
  const auto expected = ReadTreeBytes(duckdb);
  EXPECT_GE(expected.size(), 3u);
  EXPECT_EQ(ReadTreeBytes(native), expected);
}

TEST_F(NativePingEdgeTest, LeadingZerosAreRefusedWithFileLineAndField) {
  // DuckDB: "Failed to cast value to numerical: "01"" for both.
  for (const char* value : {R"("01")", R"("00.5")"}) {
    const std::string in = Write("zero.jsonl", Line("1", "1") + Line("2", value));
    EXPECT_THAT(BuildError("--preset ripe-atlas-ping -i " + ShellQuote(in)), HasSubstr("Failed to cast value"));
    EXPECT_THAT(BuildError("--preset ripe-atlas-ping --json-reader native -i " + ShellQuote(in)),
                HasSubstr("file '" + in + "', line 2: field 'min' holds the string " + value +
                          " (not a plain decimal number), which --json-reader native does not read"));
  }
}

TEST_F(NativePingEdgeTest, IntegerErrorWritesTheValueAsDuckDb) {
  const std::string in = Write("big.jsonl", Line("9007199254740993", "1"));
  const std::string message =
      "--preset ripe-atlas-ping: field 'prb_id' holds 9007199254740992.0, which is not an integer (prb_id "
      "9007199254740992)";
  EXPECT_THAT(BuildError("--preset ripe-atlas-ping -i " + ShellQuote(in)), HasSubstr(message));
  EXPECT_THAT(BuildError("--preset ripe-atlas-ping --json-reader native -i " + ShellQuote(in)),
              HasSubstr(message + " (file '" + in + "', line 1)"));
}

// A timestamp in milliseconds (or before 1970) is refused by both readers,
// never built as a year ~52,000 rounded to the double's precision; an
// infinity (1e400) is refused too, never written as Infinity.
TEST_F(NativePingEdgeTest, TimestampsOutsideUint32SecondsAndInfinitiesAreRefused) {
  for (const char* t : {"1599523340123", "-5"}) {
    std::string line = Line("7", "1");
    line.replace(line.find("1700000000"), 10, t);
    const std::string in = Write("t.jsonl", line);
    const std::string message = std::string("--preset ripe-atlas-ping: field 'timestamp' holds ") + t +
                                ".0, which is not a time in seconds since 1970 (0 to 4294967295) (prb_id 7)";
    EXPECT_EQ(BuildError("--preset ripe-atlas-ping -i " + ShellQuote(in)),
              "proberows: error: reading input: Invalid Input Error: " + message + "\n");
    EXPECT_EQ(BuildError("--preset ripe-atlas-ping --json-reader native -i " + ShellQuote(in)),
              "proberows: error: reading input: " + message + " (file '" + in + "', line 1)\n");
  }
  // 4294967295 (the largest uint32) still builds.
  std::string last = Line("7", "1");
  last.replace(last.find("1700000000"), 10, "4294967295");
  Build("--preset ripe-atlas-ping -i " + ShellQuote(Write("last.jsonl", last)), "last");
  const std::string inf = Write("inf.jsonl", Line("7", "1e400"));
  EXPECT_EQ(BuildError("--preset ripe-atlas-ping -i " + ShellQuote(inf)),
            "proberows: error: reading input: Invalid Input Error: --preset ripe-atlas-ping: field 'min' holds inf, "
            "which is not a finite number (prb_id 7)\n");
  EXPECT_THAT(BuildError("--preset ripe-atlas-ping --json-reader native -i " + ShellQuote(inf)),
              HasSubstr("file '" + inf + "', line 1: malformed JSON"));
  std::string rtt = Line("7", "1");
  rtt.replace(rtt.find(R"({"rtt":2})"), 9, R"({"rtt":"1e400"})");
  EXPECT_EQ(BuildError("--preset ripe-atlas-ping -i " + ShellQuote(Write("rtt.jsonl", rtt))),
            "proberows: error: reading input: Invalid Input Error: --preset ripe-atlas-ping: field 'result.rtt' "
            "holds inf, which is not a finite number (prb_id 7)\n");
}

}  // namespace
}  // namespace proberows
