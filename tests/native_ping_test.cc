// --json-reader native (source/native_ping.h) against the DuckDB preset path,
// the reference, through the real binary: every output file byte for byte on
// the shared RIPE Atlas sample, the documented firmware shapes, the
// generator's JSON and hand-written edge cases; and its errors, which name
// the file and line, or are the DuckDB path's own.
#include <string>

#include "gtest/gtest.h"
#include "tests/cli_build_test_base.h"

namespace proberows {
namespace {

class NativePingTest : public CliBuildTestBase {
 protected:
  // Builds `input` (with `flags`) through both readers; expects the same
  // files with the same bytes, with a test split too.
  void ExpectSameOutput(const std::string& input, const std::string& flags, const std::string& name) {
    std::string outs[2];
    const char* readers[2] = {"duckdb", "native"};
    for (int i = 0; i < 2; ++i) {
      outs[i] = root_.path() + "/" + name + "-" + readers[i];
      CommandResult r =
          RunProberows("build --no-progress --preset ripe-atlas-ping --json-reader " + std::string(readers[i]) +
                       " -i " + ShellQuote(input) + " -o " + ShellQuote(outs[i]) + " " + flags);
      ASSERT_EQ(r.exit_code, 0) << readers[i] << ": " << r.err;
    }
    const auto expected = ReadTreeBytes(outs[0]);
    EXPECT_GE(expected.size(), 4u);
    EXPECT_EQ(ReadTreeBytes(outs[1]), expected) << input << " " << flags;
  }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = root_.path() + "/" + name;
    WriteFileOrDie(path, text);
    return path;
  }
};

TEST_F(NativePingTest, SharedSampleAndFirmwareShapesBuildTheSameBytes) {
  const std::string sample = root_.path() + "/ping.ndjson";
  CommandResult unzipped = RunCommand("gzip -dc " + ShellQuote(TestdataDir() + "/ripe-atlas/ping.ndjson.gz"));
  ASSERT_EQ(unzipped.exit_code, 0) << unzipped.err;
  WriteFileOrDie(sample, unzipped.out);
  ExpectSameOutput(sample, "-j 2", "sample");
  // Firmware 1, 4400, 4460, 4570 and 5000 (tests/ripe_atlas_test.cc).
  ExpectSameOutput(TestdataDir() + "/ripe-atlas/mixed-firmware-ping.jsonl", "--strategy in-memory", "mixed");
}

TEST_F(NativePingTest, GeneratedJsonBuildsTheSameBytes) {
  const std::string dir = root_.path() + "/gen";
  CommandResult g =
      RunProberows("generate --format ripe-atlas-ping-json -n 3000 -p 120 --files 3 -o " + ShellQuote(dir));
  ASSERT_EQ(g.exit_code, 0) << g.err;
  ExpectSameOutput(dir, "-j 2", "gen");
}

TEST_F(NativePingTest, EdgeCasesBuildTheSameBytes) {
  // Numbers as strings and booleans (read as DuckDB reads DOUBLE), rounding
  // of timestamps, null fields and elements, duplicate replies flagged every
  // way, an error object, escapes, blank lines, CRLF, no final newline.
  const std::string edge = Write(
      "edge.jsonl",
      R"({"fw":5080,"prb_id":"501","timestamp":"1700000000.5","msm_id":"1e3","af":"4","dst_addr":"1.2.3.4",)"
      R"("proto":null,"size":"48.0","sent":3,"rcvd":"3","dup":true,"ttl":"5.0e1","min":"1.5","avg":"2","max":"-0",)"
      R"("result":[null,{"rtt":"2.25","dup":"0"},{"rtt":3,"dup":true},{"x":"*"},{"error":{"code":1}},{"rtt":null},)"
      R"({"rtt":4.5,"ttl":54,"dup":false},{"x":null,"error":null,"rtt":5.5}],"type":"ping"})"
      "\n"
      R"({"fw":4400,"prb_id":502,"timestamp":1700000001,"msm_id":7,"mode":"UDP6","addr":"1.2.3.4","name":"n",)"
      R"("srcaddr":"s","rcvd":null,"min":-1,"avg":5,"max":null,"result":null})"
      "\n\n   \n"
      R"({"prb_id":502,"timestamp":1700000002.0000005,"msm_id":7,"mode":"TCP4","addr":"::1",)"
      R"("dst_name":"a\u00e9b\n\"q\"","result":[]})"
      "\r\n"
      R"({"timestamp":1700000003,"prb_id":503,"msm_id":8,"addr":"2001:db8::1","rcvd":0,"min":1,"avg":1,"max":1,)"
      R"("from":"\u00fc","af":null,"fw":null,"type":null})"
      "\n"
      R"({"prb_id":503,"timestamp":1700000004,"msm_id":8,"dst_addr":"x","addr":"2001::1","src_addr":"",)"
      R"("srcaddr":"q","af":6.0,"mode":"ICMP4","lts":-1,"sent":0,"result":[{"rtt":1e-3},{"rtt":123456789.123456789}]})"
      "\n"
      R"({"prb_id":1e3,"timestamp":1.7e9,"msm_id":9007199254740991,"size":-5})");
  ExpectSameOutput(edge, "-j 2", "edge");
}

TEST_F(NativePingTest, Errors) {
  const std::string ok = R"({"fw":5020,"prb_id":7,"timestamp":1700000000,"msm_id":1,"sent":3,"rcvd":3,"result":[]})"
                         "\n";
  const auto error = [&](const std::string& name, const std::string& line) {
    const std::string path = Write(name, ok + line + "\n");
    return BuildError("-i " + ShellQuote(path) + " --preset ripe-atlas-ping --json-reader native");
  };
  // The preset's own errors, worded as on the DuckDB path, with the line.
  const std::string frac = error("frac.jsonl", R"({"prb_id":7,"timestamp":1700000001,"msm_id":1,"sent":"3.5"})");
  EXPECT_EQ(frac,
            "proberows: error: reading input: --preset ripe-atlas-ping: field 'sent' holds 3.5, which is not an "
            "integer (prb_id 7) (file '" +
                root_.path() + "/frac.jsonl', line 2)\n");
  EXPECT_EQ(error("type.jsonl", R"({"type":"traceroute","prb_id":8,"timestamp":1700000000,"msm_id":2})"),
            "proberows: error: reading input: --preset ripe-atlas-ping reads RIPE Atlas results of type 'ping'; the "
            "input holds a result of type 'traceroute' (prb_id 8); use --preset ripe-atlas-traceroute for them (a "
            "file mixing types must be split by type first) (file '" +
                root_.path() + "/type.jsonl', line 2)\n");
  // A NULL the output cannot hold: the DuckDB path's report, word for word.
  const std::string no_msm = Write("nomsm.jsonl", ok + R"({"prb_id":9,"timestamp":1700000000})"
                                                       "\n");
  EXPECT_EQ(BuildError("-i " + ShellQuote(no_msm) + " --preset ripe-atlas-ping --json-reader native"),
            BuildError("-i " + ShellQuote(no_msm) + " --preset ripe-atlas-ping"));
  // What the native reader does not map exactly is refused, never read
  // differently: a number where DuckDB reads text, a numeric string DuckDB's
  // cast reads more loosely, malformed lines, JSON arrays.
  EXPECT_EQ(error("num.jsonl", R"({"prb_id":9,"timestamp":1700000000,"msm_id":3,"dst_addr":5})"),
            "proberows: error: reading input: file '" + root_.path() +
                "/num.jsonl', line 2: field 'dst_addr' holds a number (the DuckDB reader would read it as text), "
                "which --json-reader native does not read (use --json-reader duckdb)\n");
  EXPECT_EQ(error("space.jsonl", R"({"prb_id":9,"timestamp":1700000000,"msm_id":3,"sent":" 3"})"),
            "proberows: error: reading input: file '" + root_.path() +
                "/space.jsonl', line 2: field 'sent' holds the string \" 3\" (not a plain decimal number), which "
                "--json-reader native does not read (use --json-reader duckdb)\n");
  // Text that is no number to either reader: both name file and line, and
  // neither advises what does not help (DuckDB's own advice is dropped).
  EXPECT_EQ(error("abc.jsonl", R"({"prb_id":9,"timestamp":1700000000,"msm_id":3,"avg":"abc"})"),
            "proberows: error: reading input: file '" + root_.path() +
                "/abc.jsonl', line 2: field 'avg' holds the string \"abc\", which is not a number\n");
  EXPECT_EQ(BuildError("-i " + ShellQuote(root_.path() + "/abc.jsonl") + " --preset ripe-atlas-ping"),
            "proberows: error: reading input: Invalid Input Error: JSON transform error in file \"" + root_.path() +
                "/abc.jsonl\", in line 2: Failed to cast value to numerical: \"abc\"\n");
  EXPECT_EQ(error("cut.jsonl", R"({"prb_id":9,"timestamp":1700000000)"),
            "proberows: error: reading input: file '" + root_.path() +
                "/cut.jsonl', line 2: malformed JSON (The JSON document has an improper structure: missing or "
                "superfluous commas, braces, missing keys, etc.); --json-reader native reads one JSON object per "
                "line\n");
  EXPECT_EQ(error("dup.jsonl", R"({"prb_id":9,"prb_id":10,"timestamp":1700000000,"msm_id":3})"),
            "proberows: error: reading input: file '" + root_.path() +
                "/dup.jsonl', line 2: field 'prb_id' holds a second value (the key appears twice), which "
                "--json-reader native does not read (use --json-reader duckdb)\n");
  const std::string array = Write("array.json", "[" + ok + "]\n");
  EXPECT_EQ(BuildError("-i " + ShellQuote(array) + " --preset ripe-atlas-ping --json-reader native"),
            "proberows: error: reading input: file '" + array +
                "' holds a JSON array; --json-reader native reads JSON lines (one result per line); use "
                "--json-reader duckdb\n");
  // Inputs and options it does not read.
  EXPECT_EQ(BuildError("-i " + ShellQuote(TestdataDir() + "/ripe-atlas/mixed-firmware-traceroute.jsonl") +
                       " --preset ripe-atlas-traceroute --json-reader native"),
            "proberows: error: --json-reader native reads --preset ripe-atlas-ping input only (traceroute: not "
            "yet); use --json-reader duckdb\n");
  EXPECT_EQ(BuildError("-i " + ShellQuote(Write("ok.jsonl", ok)) +
                       " --preset ripe-atlas-ping --json-reader native --fill-null min=0"),
            "proberows: error: --json-reader native builds the columns of --preset ripe-atlas-ping as they are; "
            "column 'min' (DOUBLE, with --fill-null) is not one of them; use --json-reader duckdb\n");
  EXPECT_EQ(BuildError("-i " + ShellQuote(Write("ok2.jsonl", ok)) + " --preset ripe-atlas-ping --json-reader simd"),
            "proberows: error: --json-reader: unknown reader 'simd' (expected duckdb or native)\n");
}

}  // namespace
}  // namespace proberows
