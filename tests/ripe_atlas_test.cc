// RIPE Atlas presets through the real binary, on real RIPE Atlas results
// (testdata/ripe-atlas: the shared sample, unmodified, gzipped), on
// hand-written results in the shapes of older firmware (documented result
// formats 1, 4400, 4460, 4570 and 5000), and on the shapes of RIPE's BigQuery
// ping table exported as Parquet and as JSON. docs/ripe-atlas.md lists what
// each preset writes.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "tests/cli_build_test_base.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class RipeAtlasTest : public CliBuildTestBase {
 protected:
  // The row of `key` in `cat` output.
  static Json RowOf(const std::string& cat, int64_t key) {
    size_t pos = 0;
    while (pos < cat.size()) {
      const size_t end = cat.find('\n', pos);
      Json row = Json::parse(cat.substr(pos, end - pos));
      if (row["prb_id"][0] == key) return row;
      pos = end + 1;
    }
    return Json();
  }
  // The measurement of `row` with timestamp `seconds`: feature -> value.
  static Json MeasurementAt(const Json& row, int64_t seconds) {
    Json m;
    for (size_t i = 0; i < row["timestamp"].size(); ++i) {
      if (row["timestamp"][i] != seconds * 1000000) continue;
      for (const auto& [name, values] : row.items())
        if (name != "prb_id") m[name] = values[i];
    }
    return m;
  }
  static std::string Sample(const std::string& file) { return ShellQuote(TestdataDir() + "/ripe-atlas/" + file); }
};

TEST_F(RipeAtlasTest, SharedPingSampleBuildsWithThePreset) {
  const std::string out = Build("-i " + Sample("ping.ndjson.gz") + " --preset ripe-atlas-ping", "ping");
  CommandResult v = RunProberows("verify " + ShellQuote(out) + " -i " + Sample("ping.ndjson.gz"));
  EXPECT_EQ(v.out,
            "checked 2 shard file(s): 32 rows, 1000 measurements\nrecounted the input with DuckDB: 32 keys, "
            "1000 measurements\nOK\n");
  const Json row = RowOf(Cat(out), 6807);
  // Two lost packets ({"x": "*"}) and two duplicate replies (dropped, counted
  // by `dup`): one RTT per packet sent.
  EXPECT_EQ(MeasurementAt(row, 1599525267).dump(),
            R"({"af":4,"avg":345.22336,"dst_addr":"203.119.111.139","dst_name":"203.119.111.139","dup":2,)"
            R"("from":"194.233.214.2","fw":5020,"lts":122,"max":345.22336,"min":345.22336,"msm_id":26858348,)"
            R"("proto":"ICMP","rcvd":1,"rtt":["NaN","NaN",345.22336],"sent":3,"size":64,)"
            R"("src_addr":"194.233.214.2","timestamp":1599525267000000,"ttl":41})");
  // Nothing came back: min/avg/max are -1 in the result, NaN here; no ttl.
  EXPECT_EQ(MeasurementAt(row, 1599530325).dump(),
            R"({"af":4,"avg":"NaN","dst_addr":"203.119.111.139","dst_name":"203.119.111.139","dup":2,)"
            R"("from":"194.233.214.2","fw":5020,"lts":83,"max":"NaN","min":"NaN","msm_id":26858348,)"
            R"("proto":"ICMP","rcvd":0,"rtt":["NaN","NaN","NaN"],"sent":3,"size":64,)"
            R"("src_addr":"194.233.214.2","timestamp":1599530325000000,"ttl":-1})");
}

TEST_F(RipeAtlasTest, SharedTracerouteSampleBuildsWithThePreset) {
  const std::string out = Build("-i " + Sample("traceroute.ndjson.gz") + " --preset ripe-atlas-traceroute", "tr");
  CommandResult v = RunProberows("verify " + ShellQuote(out) + " -i " + Sample("traceroute.ndjson.gz"));
  EXPECT_EQ(v.out,
            "checked 2 shard file(s): 539 rows, 1000 measurements\nrecounted the input with DuckDB: 539 keys, "
            "1000 measurements\nOK\n");
  // The first result of the file: hop 1 lost entirely, hops 2-4 answered.
  const Json m = MeasurementAt(RowOf(Cat(out), 6019), 1574867159);
  EXPECT_EQ(m.dump(),
            R"({"af":4,"dst_addr":"170.55.163.1","dst_name":"170.55.163.1","endtime":1574867171000000,)"
            R"("from":"193.0.0.176","fw":4970,"hop":[1,2,3,4],"hop_error":["","","",""],"lts":58,"msm_id":23449934,)"
            R"("paris_id":1,"proto":"ICMP","reply_err":[["","",""],["","",""],["","",""],["","",""]],)"
            R"("reply_from":[["","",""],["193.0.3.5","193.0.3.5","193.0.3.5"],)"
            R"(["80.249.209.176","80.249.209.176","80.249.209.176"],["170.55.163.1","170.55.163.1","170.55.163.1"]],)"
            R"("reply_rtt":[["NaN","NaN","NaN"],[1.395,1.057,1.382],[1.66,1.526,1.582],[1.393,1.603,1.452]],)"
            R"("reply_size":[[-1,-1,-1],[28,28,28],[28,28,28],[48,48,48]],)"
            R"("reply_ttl":[[-1,-1,-1],[254,254,254],[253,253,253],[61,61,61]],"size":48,"src_addr":"193.0.0.176",)"
            R"("timestamp":1574867159000000})");
}

// Hand-written results in the documented shapes of older firmware: version 1
// (addr/name, no result, no af), 4400 (numbers as strings, mode, srcaddr),
// 4460 (both old and new names, a duplicate reply, a lost packet), 4570 (an
// error reply, nothing received) and 5000.
TEST_F(RipeAtlasTest, MixedFirmwarePing) {
  EXPECT_EQ(Cat(Build("-i " + Sample("mixed-firmware-ping.jsonl") + " --preset ripe-atlas-ping", "mixed")),
            R"({"af":[6,4],"avg":["NaN",4.5],"dst_addr":["2001:67c:2e8:22::c100:68b","193.0.14.129"],)"
            R"("dst_name":["atlas.ripe.net","k.root-servers.net"],"dup":[0,0],"from":["2001:db8::1","203.0.113.7"],)"
            R"("fw":[4570,5080],"lts":[12,5],"max":["NaN",4.75],"min":["NaN",4.25],"msm_id":[2001,2001],)"
            R"("prb_id":[103],"proto":["ICMP","ICMP"],"rcvd":[0,3],"rtt":[["NaN","NaN","NaN"],[4.5,4.25,4.75]],)"
            R"("sent":[3,3],"size":[48,48],"src_addr":["2001:db8::1","192.168.1.10"],)"
            R"("timestamp":[1400000000000000,1700000000000000],"ttl":[-1,57]})"
            "\n"
            R"({"af":[4,6],"avg":[20.126,"NaN"],"dst_addr":["193.0.6.139","2001:67c:2e8:22::c100:68b"],)"
            R"("dst_name":["atlas.ripe.net","atlas.ripe.net"],"dup":[0,0],"from":["62.194.83.50","2001:db8::50"],)"
            R"("fw":[1,1],"lts":[-1,-1],"max":[20.3,"NaN"],"min":[19.938,"NaN"],"msm_id":[1001,1002],)"
            R"("prb_id":[101],"proto":["ICMP","ICMP"],"rcvd":[3,0],"rtt":[[],[]],"sent":[3,3],"size":[56,56],)"
            R"("src_addr":["",""],"timestamp":[1332938930000000,1332938990000000],"ttl":[-1,-1]})"
            "\n"
            R"({"af":[4,4],"avg":[2.172,30.5],"dst_addr":["193.0.6.139","193.0.6.139"],)"
            R"("dst_name":["atlas.ripe.net","atlas.ripe.net"],"dup":[0,1],"from":["62.194.83.50","62.194.83.51"],)"
            R"("fw":[4430,4480],"lts":[-1,-1],"max":[2.3,31.0],"min":[2.1,30.0],"msm_id":[1001,1001],)"
            R"("prb_id":[102],"proto":["ICMP","ICMP"],"rcvd":[3,2],"rtt":[[2.1,2.3,2.116],[30.0,"NaN",31.0]],)"
            R"("sent":[3,3],"size":[56,48],"src_addr":["10.0.0.2","10.0.0.2"],)"
            R"("timestamp":[1367308800000000,1367309000000000],"ttl":[55,55]})"
            "\n");
}

TEST_F(RipeAtlasTest, MixedFirmwareTraceroute) {
  // Firmware 4430 (mode UDP4, addr/name/srcaddr, numbers as strings, an ICMP
  // error "P"), 5080 (a duplicate reply dropped, a hop-level error) and an
  // IPv6 result with a numeric error code and a late reply (dropped).
  EXPECT_EQ(
      Cat(Build("-i " + Sample("mixed-firmware-traceroute.jsonl") + " --preset ripe-atlas-traceroute", "mixed")),
      R"({"af":[6],"dst_addr":["2001:7fd::1"],"dst_name":["k.root-servers.net"],"endtime":[1700000100000000],)"
      R"("from":["2001:db8::7"],"fw":[5080],"hop":[[1]],"hop_error":[[""]],"lts":[3],"msm_id":[5002],)"
      R"("paris_id":[3],"prb_id":[202],"proto":["UDP"],"reply_err":[[["7",""]]],)"
      R"("reply_from":[[["2001:db8::1",""]]],"reply_rtt":[[[0.9,"NaN"]]],"reply_size":[[[96,-1]]],)"
      R"("reply_ttl":[[[64,-1]]],"size":[48],"src_addr":["2001:db8::7"],"timestamp":[1700000090000000]})"
      "\n"
      R"({"af":[4,4],"dst_addr":["193.0.14.129","193.0.14.129"],)"
      R"("dst_name":["k.root-servers.net","k.root-servers.net"],"endtime":[1367309010000000,1700000005000000],)"
      R"("from":["62.194.83.50","203.0.113.7"],"fw":[4430,5080],"hop":[[1,2,3],[1,255]],)"
      R"("hop_error":[["","",""],["","no reply"]],"lts":[-1,3],"msm_id":[5001,5001],"paris_id":[1,2],)"
      R"("prb_id":[201],"proto":["UDP","ICMP"],"reply_err":[[["","",""],["","",""],["P"]],[["",""],[]]],)"
      R"("reply_from":[[["10.0.0.1","10.0.0.1",""],["","",""],["193.0.14.129"]],[["192.168.1.1","192.168.1.1"],[]]],)"
      R"("reply_rtt":[[[0.512,0.498,"NaN"],["NaN","NaN","NaN"],[12.25]],[[1.5,1.25],[]]],)"
      R"("reply_size":[[[28,28,-1],[-1,-1,-1],[28]],[[76,76],[]]],)"
      R"("reply_ttl":[[[64,64,-1],[-1,-1,-1],[58]],[[64,64],[]]],"size":[40,48],)"
      R"("src_addr":["10.0.0.2","192.168.1.10"],"timestamp":[1367309000000000,1700000000000000]})"
      "\n");
}

// RIPE's BigQuery ping table (ripencc-atlas.measurements.ping): start_time
// TIMESTAMP, pings ARRAY<STRUCT<timeout, error, error_message, rtt,
// reply_src_addr, reply_src_addr_bytes, ttl, dup>>, *_bytes columns.
constexpr char kBigQueryPingSql[] = R"sql(
COPY (SELECT * FROM (VALUES
  (4, 6001, 10, 1001, 24, '10.0.0.2', '\x0A\x00\x00\x02'::BLOB, '193.0.14.129', '\xC1\x00\x0E\x81'::BLOB,
   '62.1.1.1', '\x3E\x01\x01\x01'::BLOB, TIMESTAMP '2024-05-01 12:00:00', 12, 48, 3, 2,
   [{'timeout': false, 'error': false, 'error_message': NULL, 'rtt': 4.5, 'reply_src_addr': NULL,
     'reply_src_addr_bytes': NULL::BLOB, 'ttl': 57, 'dup': 0},
    {'timeout': true, 'error': false, 'error_message': NULL, 'rtt': NULL, 'reply_src_addr': NULL,
     'reply_src_addr_bytes': NULL::BLOB, 'ttl': NULL, 'dup': 0},
    {'timeout': false, 'error': false, 'error_message': NULL, 'rtt': 4.25, 'reply_src_addr': NULL,
     'reply_src_addr_bytes': NULL::BLOB, 'ttl': 57, 'dup': 0},
    {'timeout': false, 'error': false, 'error_message': NULL, 'rtt': 4.3, 'reply_src_addr': NULL,
     'reply_src_addr_bytes': NULL::BLOB, 'ttl': 57, 'dup': 1}]),
  (4, 6001, 11, 1001, 24, '10.0.0.2', NULL::BLOB, '193.0.14.129', NULL::BLOB, '62.1.1.1', NULL::BLOB,
   TIMESTAMP '2024-05-01 11:00:00', 11, 48, 3, 0,
   [{'timeout': false, 'error': true, 'error_message': 'sendto failed', 'rtt': NULL, 'reply_src_addr': NULL,
     'reply_src_addr_bytes': NULL::BLOB, 'ttl': NULL, 'dup': 0}])
) t(af, prb_id, last_time_synced, msm_id, group_id, src_addr, src_addr_bytes, dst_addr, dst_addr_bytes, synth_addr,
    synth_addr_bytes, start_time, start_hour, size, packets_sent, packets_received, pings)) TO '@OUT@' (FORMAT PARQUET))sql";

constexpr char kBigQueryPingRow[] =
    R"({"af":[4,4],"avg":["NaN",4.375],"dst_addr":["193.0.14.129","193.0.14.129"],"dup":[0,1],)"
    R"("from":["62.1.1.1","62.1.1.1"],"lts":[11,10],"max":["NaN",4.5],"min":["NaN",4.25],"msm_id":[1001,1001],)"
    R"("prb_id":[6001],"rcvd":[0,2],"rtt":[["NaN"],[4.5,"NaN",4.25]],"sent":[3,3],"size":[48,48],)"
    R"("src_addr":["10.0.0.2","10.0.0.2"],"timestamp":[1714561200000000,1714564800000000],"ttl":[-1,57]})"
    "\n";

TEST_F(RipeAtlasTest, BigQueryPingTableAsParquet) {
  std::string sql = kBigQueryPingSql;
  sql.replace(sql.find("@OUT@"), 5, root_.path() + "/bq.parquet");
  RunDuckDbOrDie(sql);
  EXPECT_EQ(Cat(Build("-i " + ShellQuote(root_.path() + "/bq.parquet") + " --preset ripe-atlas-bigquery-ping", "bq")),
            kBigQueryPingRow);
}

TEST_F(RipeAtlasTest, BigQueryPingTableAsJsonExport) {
  // BigQuery's JSON export: INT64 as strings, TIMESTAMP as "... UTC", BYTES
  // as base64.
  WriteFileOrDie(
      root_.path() + "/bq.jsonl",
      R"({"af":"4","prb_id":"6001","last_time_synced":"10","msm_id":"1001","group_id":"24","src_addr":"10.0.0.2",)"
      R"("src_addr_bytes":"CgAAAg==","dst_addr":"193.0.14.129","synth_addr":"62.1.1.1",)"
      R"("start_time":"2024-05-01 12:00:00 UTC","start_hour":"12","size":"48","packets_sent":"3",)"
      R"("packets_received":"2","pings":[{"timeout":false,"error":false,"rtt":4.5,"ttl":"57","dup":"0"},)"
      R"({"timeout":true,"error":false,"dup":"0"},{"timeout":false,"error":false,"rtt":4.25,"ttl":"57","dup":"0"},)"
      R"({"timeout":false,"error":false,"rtt":4.3,"ttl":"57","dup":"1"}]})"
      "\n"
      R"({"af":"4","prb_id":"6001","last_time_synced":"11","msm_id":"1001","src_addr":"10.0.0.2",)"
      R"("dst_addr":"193.0.14.129","synth_addr":"62.1.1.1","start_time":"2024-05-01 11:00:00 UTC","size":"48",)"
      R"("packets_sent":"3","packets_received":"0","pings":[{"timeout":false,"error":true,)"
      R"("error_message":"sendto failed","dup":"0"}]})"
      "\n");
  EXPECT_EQ(Cat(Build("-i " + ShellQuote(root_.path() + "/bq.jsonl") + " --preset ripe-atlas-bigquery-ping", "bqj")),
            kBigQueryPingRow);
}

// RIPE's BigQuery traceroute table: `hops` holds one element per reply with
// its hop number; the preset regroups them per hop. This export lacks some
// columns (proto, synth_addr, ...): they read as missing.
TEST_F(RipeAtlasTest, BigQueryTracerouteTableAsParquet) {
  RunDuckDbOrDie(
      "COPY (SELECT * FROM (VALUES (4, 'ICMP', 6001, 3, 5001, '10.0.0.2', '193.0.14.129', TIMESTAMP '2024-05-01 "
      "12:00:00', TIMESTAMP '2024-05-01 12:00:05', 48, 2, [{'hop': 2, 'hop_addr': '62.1.1.1', 'rtt': 5.5, 'err': "
      "NULL, 'ttl': 254, 'reply_size': 28}, {'hop': 1, 'hop_addr': '10.0.0.1', 'rtt': 0.5, 'err': NULL, 'ttl': 64, "
      "'reply_size': 28}, {'hop': 2, 'hop_addr': NULL, 'rtt': NULL, 'err': NULL, 'ttl': NULL, 'reply_size': NULL}, "
      "{'hop': 3, 'hop_addr': '193.0.14.129', 'rtt': 9.25, 'err': 'P', 'ttl': 58, 'reply_size': 48}])) t(af, protoc, "
      "prb_id, last_time_synced, msm_id, src_addr, dst_addr, start_time, end_time, size, paris_id, hops)) TO '" +
      root_.path() + "/bqt.parquet' (FORMAT PARQUET)");
  EXPECT_EQ(
      Cat(Build("-i " + ShellQuote(root_.path() + "/bqt.parquet") + " --preset ripe-atlas-bigquery-traceroute", "bqt")),
      R"({"af":[4],"dst_addr":["193.0.14.129"],"endtime":[1714564805000000],"from":[""],"hop":[[1,2,3]],"lts":[3],)"
      R"("msm_id":[5001],"paris_id":[2],"prb_id":[6001],"proto":["ICMP"],"reply_err":[[[""],["",""],["P"]]],)"
      R"("reply_from":[[["10.0.0.1"],["62.1.1.1",""],["193.0.14.129"]]],"reply_rtt":[[[0.5],[5.5,"NaN"],[9.25]]],)"
      R"("reply_size":[[[28],[28,-1],[48]]],"reply_ttl":[[[64],[254,-1],[58]]],"size":[48],"src_addr":["10.0.0.2"],)"
      R"("timestamp":[1714564800000000]})"
      "\n");
}

TEST_F(RipeAtlasTest, GeneratedNativeJsonBuildsTheSameWhateverTheStrategyOrSplit) {
  // `generate --format ripe-atlas-ping-json`: mixed firmware, string numbers,
  // lost and duplicate replies, firmware 1 without `result`.
  const std::string three = root_.path() + "/gen3", one = root_.path() + "/gen1";
  for (const auto& [dir, files] : {std::pair{three, "3"}, std::pair{one, "1"}}) {
    CommandResult g = RunProberows("generate --format ripe-atlas-ping-json -n 3000 -p 120 --files " +
                                   std::string(files) + " -o " + ShellQuote(dir));
    ASSERT_EQ(g.exit_code, 0) << g.err;
  }
  const std::string ref = Build("-i " + ShellQuote(three) + " --preset ripe-atlas-ping --strategy sequential", "ref");
  CommandResult v = RunProberows("verify " + ShellQuote(ref) + " -i " + ShellQuote(three));
  EXPECT_EQ(v.out,
            "checked 2 shard file(s): 120 rows, 3000 measurements\nrecounted the input with DuckDB: 120 keys, "
            "3000 measurements\nOK\n");
  const auto expected = ReadTreeBytes(ref);
  EXPECT_EQ(ReadTreeBytes(Build("-i " + ShellQuote(three) + " --preset ripe-atlas-ping -j 2", "streaming")), expected);
  EXPECT_EQ(ReadTreeBytes(Build("-i " + ShellQuote(one) + " --preset ripe-atlas-ping --strategy in-memory", "one")),
            expected);
}

// RIPE's daily dumps: one .bz2 per hour and type, JSON lines without .json
// in the name, read as downloaded: the same bytes as the uncompressed file.
// The ping dump is one bzip2 stream built streaming with -j 2; the
// traceroute dump two streams (as lbzip2/pbzip2 write) built in memory.
TEST_F(RipeAtlasTest, DailyDumpBzip2FilesBuildLikeTheUncompressedSample) {
  const std::string d = root_.path();
  for (const char* kind : {"ping", "traceroute"}) {
    const std::string k = kind;
    const bool two = k == "traceroute";
    fs::create_directories(d + "/plain-" + k);
    fs::create_directories(d + "/dump-" + k);
    const std::string plain = ShellQuote(d + "/plain-" + k + "/" + k + ".ndjson");
    const std::string dump = ShellQuote(d + "/dump-" + k + "/" + k + "-2024-05-01T0000.bz2");
    // In parentheses: RunCommand redirects the last command's stdout.
    ASSERT_EQ(RunCommand("(gunzip -c " + Sample(k + ".ndjson.gz") + " > " + plain + " && " +
                         (two ? "(head -n 300 " + plain + " | bzip2 && tail -n +301 " + plain + " | bzip2)"
                              : "bzip2 -c " + plain) +
                         " > " + dump + ")")
                  .exit_code,
              0);
    const std::string bytes = ReadFileOrDie(d + "/dump-" + k + "/" + k + "-2024-05-01T0000.bz2");
    int streams = 0;  // stream header + first block header
    for (size_t at = bytes.find("BZh91AY&SY"); at != std::string::npos; at = bytes.find("BZh91AY&SY", at + 1))
      ++streams;
    EXPECT_EQ(streams, two ? 2 : 1) << k;
    const std::string preset = " --preset ripe-atlas-" + k;
    const auto expected = ReadTreeBytes(Build("-i " + ShellQuote(d + "/plain-" + k) + preset, "out-ref-" + k));
    EXPECT_EQ(expected.size(), 5u);
    const std::string how = two ? " --strategy in-memory" : " -j 2";
    EXPECT_EQ(ReadTreeBytes(Build("-i " + ShellQuote(d + "/dump-" + k) + preset + how, "out-dump-" + k)), expected)
        << k;
  }
}

// `generate --compression bzip2` (the RIPE Atlas shape names its hourly
// files like RIPE's dumps) builds the same bytes as its uncompressed JSON.
TEST_F(RipeAtlasTest, GeneratedBzip2DumpsBuildLikeTheirJson) {
  const std::string d = root_.path();
  for (const auto& [dir, compression] : {std::pair{"plain", "none"}, std::pair{"bz2", "bzip2"}}) {
    CommandResult g = RunProberows(
        "generate --format ripe-atlas-ping-json --shape ripe-atlas -n 2000 -p 20 "
        "--measurement-ids 4 --compression " +
        std::string(compression) + " -o " + ShellQuote(d + "/" + dir));
    ASSERT_EQ(g.exit_code, 0) << g.err;
  }
  int bz2_files = 0;
  for (const auto& e : fs::directory_iterator(d + "/bz2")) bz2_files += e.path().extension() == ".bz2";
  EXPECT_GT(bz2_files, 1);
  EXPECT_EQ(ReadTreeBytes(Build("-i " + ShellQuote(d + "/bz2") + " --preset ripe-atlas-ping", "from-bz2")),
            ReadTreeBytes(Build("-i " + ShellQuote(d + "/plain") + " --preset ripe-atlas-ping", "from-plain")));
}

TEST_F(RipeAtlasTest, PresetErrors) {
  EXPECT_EQ(BuildError("-i " + Sample("ping.ndjson.gz") + " --preset ripe-atlas-dns"),
            "proberows: error: --preset: unknown preset 'ripe-atlas-dns' (presets: ripe-atlas-ping, "
            "ripe-atlas-traceroute, ripe-atlas-bigquery-ping, ripe-atlas-bigquery-traceroute)\n");
  RunDuckDbOrDie("COPY (SELECT 1 AS prb_id, 2 AS start_time) TO '" + root_.path() + "/x.parquet' (FORMAT PARQUET)");
  EXPECT_EQ(BuildError("-i " + ShellQuote(root_.path() + "/x.parquet") + " --preset ripe-atlas-ping"),
            "proberows: error: --preset ripe-atlas-ping reads RIPE Atlas result JSON (.json, .jsonl, .ndjson, "
            "optionally .gz/.zst/.bz2, and RIPE's daily dumps NAME.bz2); for BigQuery exports use --preset "
            "ripe-atlas-bigquery-ping\n");
  EXPECT_EQ(BuildError("-i " + ShellQuote(root_.path() + "/x.parquet") + " --preset ripe-atlas-bigquery-ping"),
            "proberows: error: --preset ripe-atlas-bigquery-ping: the input has no column pings (its columns: "
            "prb_id, start_time)\n");
  // A value that is not a number is an error naming the field and the probe.
  WriteFileOrDie(root_.path() + "/bad.jsonl",
                 R"({"fw":5020,"prb_id":7,"timestamp":1700000000,"msm_id":1,"sent":"3.5","rcvd":3,"result":[]})"
                 "\n");
  EXPECT_EQ(BuildError("-i " + ShellQuote(root_.path() + "/bad.jsonl") + " --preset ripe-atlas-ping"),
            "proberows: error: reading input: Invalid Input Error: --preset ripe-atlas-ping: field 'sent' holds 3.5, "
            "which is not an "
            "integer (prb_id 7)\n");
  // A result of another type is refused, never built as NaN rtts and -1
  // counts; old firmware without `type` is read as before.
  WriteFileOrDie(
      root_.path() + "/mixed.jsonl",
      R"({"fw":4790,"prb_id":7,"timestamp":1700000000,"msm_id":1,"sent":3,"rcvd":3,"result":[]})"
      "\n"
      R"({"fw":5020,"type":"ping","prb_id":7,"timestamp":1700000001,"msm_id":1,"sent":3,"rcvd":3,"result":[]})"
      "\n"
      R"({"fw":5020,"type":"traceroute","prb_id":8,"timestamp":1700000000,"msm_id":2,"result":[]})"
      "\n");
  EXPECT_EQ(BuildError("-i " + ShellQuote(root_.path() + "/mixed.jsonl") + " --preset ripe-atlas-ping"),
            "proberows: error: reading input: Invalid Input Error: --preset ripe-atlas-ping reads RIPE Atlas results "
            "of type 'ping'; the input holds a result of type 'traceroute' (prb_id 8); use --preset "
            "ripe-atlas-traceroute for them (a file mixing types must be split by type first)\n");
  // Which probe is named first depends on the scan's threads: the rest is exact.
  const std::string other =
      "proberows: error: reading input: Invalid Input Error: --preset ripe-atlas-traceroute reads "
      "RIPE Atlas results of type 'traceroute'; the input holds a result of type 'ping' (prb_id ";
  EXPECT_EQ(BuildError("-i " + Sample("ping.ndjson.gz") + " --preset ripe-atlas-traceroute").substr(0, other.size()),
            other);
  WriteFileOrDie(root_.path() + "/dns.jsonl", R"({"fw":5020,"type":"dns","prb_id":9,"timestamp":1700000000,"msm_id":3})"
                                              "\n");
  EXPECT_EQ(BuildError("-i " + ShellQuote(root_.path() + "/dns.jsonl") + " --preset ripe-atlas-ping"),
            "proberows: error: reading input: Invalid Input Error: --preset ripe-atlas-ping reads RIPE Atlas results "
            "of type 'ping'; the input holds a result of type 'dns' (prb_id 9); no preset reads them (a file mixing "
            "types must be split by type first)\n");
}

}  // namespace
}  // namespace proberows
