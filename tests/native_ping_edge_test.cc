// --json-reader native where DuckDB's JSON reader is particular: a UTF-8 byte
// order mark before the first line (skipped by both), numeric strings with a
// leading zero (DuckDB refuses "01" and "00.5": the native reader never
// builds what DuckDB refuses), and the value in the preset's integer error,
// written as DuckDB's CAST(DOUBLE AS VARCHAR) writes it.
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

}  // namespace
}  // namespace proberows
