// Nested input through the real binary: how STRUCT, LIST<STRUCT>,
// LIST<LIST<x>> and MAP columns flatten into features (exact `cat` output and
// features.json), the NULL policy (the one-pass error, --fill-null,
// --null-mask, NULL lists), JSON-typed values, column names with spaces and
// slashes, and byte-identical output across strategies, workers and input
// file splits.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"
#include "tests/cli_build_test_base.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;

class NestedInputTest : public CliBuildTestBase {
 protected:
  void SetUp() override {
    in_ = root_.path() + "/in";
    fs::create_directories(in_);
  }

  std::string In(const std::string& file) const { return ShellQuote(in_ + "/" + file); }
  std::string Err(const std::string& message) const { return "proberows: error: " + message + "\n"; }

  std::string in_;
};

// Two probes; probe 1 has two measurements. s: STRUCT (constant per probe);
// r: LIST<STRUCT> with a
// NULL float field; l: LIST<LIST<BIGINT>>; m: MAP; "my col": a name with a
// space.
constexpr char kNestedSql[] = R"sql(
COPY (SELECT prb_id, ts, s, r, l, m, "my col" FROM (VALUES
  (1, 10, {'a': 1, 'b': 'x'}, [{'rtt': 1.5, 'x': 'r'}, {'rtt': NULL, 'x': 's'}], [[1, 2], [], [3]],
   MAP {'k1': 10, 'k2': 20}, 'sp'),
  (1, 11, {'a': 1, 'b': 'x'}, [], [[4]], MAP {}, 'sp2'),
  (2, 12, {'a': 3, 'b': 'z'}, [{'rtt': 2.5, 'x': 't'}], [], MAP {'k3': 30}, 'q')
) t(prb_id, ts, s, r, l, m, "my col")) TO '@OUT@' (FORMAT PARQUET))sql";

std::string Fill(const char* sql, const std::string& path) {
  std::string s = sql;
  s.replace(s.find("@OUT@"), 5, path);
  return s;
}

TEST_F(NestedInputTest, StructListOfStructListOfListsAndMapFlatten) {
  RunDuckDbOrDie(Fill(kNestedSql, in_ + "/n.parquet"));
  const std::string out = Build("-i " + In("n.parquet") + " --order-by ts");
  // Rows in hash order; ragged features regrouped into nested lists.
  EXPECT_EQ(Cat(out),
            R"({"l":[[]],"m/key":[["k3"]],"m/value":[[30]],"my col":["q"],"prb_id":[2],"r/rtt":[[2.5]],"r/x":[["t"]],)"
            R"("s/a":[3],"s/b":["z"],"ts":[12]})"
            "\n"
            R"({"l":[[[1,2],[],[3]],[[4]]],"m/key":[["k1","k2"],[]],"m/value":[[10,20],[]],"my col":["sp","sp2"],)"
            R"("prb_id":[1],"r/rtt":[[1.5,"NaN"],[]],"r/x":[["r","s"],[]],"s/a":[1,1],"s/b":["x","x"],"ts":[10,11]})"
            "\n");
  // As stored: one feature per STRUCT field, flat values and row lengths per
  // list level (TFDS's names for a nested FeaturesDict and ragged Sequence).
  EXPECT_EQ(Cat(out, "--flat --index 1"),
            R"({"l/ragged_flat_values":[1,2,3,4],"l/ragged_row_lengths_0":[3,1],"l/ragged_row_lengths_1":[2,0,1,1],)"
            R"("m/key/ragged_flat_values":["k1","k2"],"m/key/ragged_row_lengths_0":[2,0],)"
            R"("m/value/ragged_flat_values":[10,20],"m/value/ragged_row_lengths_0":[2,0],"my col":["sp","sp2"],)"
            R"("prb_id":[1],"r/rtt/ragged_flat_values":[1.5,"NaN"],"r/rtt/ragged_row_lengths_0":[2,0],)"
            R"("r/x/ragged_flat_values":["r","s"],"r/x/ragged_row_lengths_0":[2,0],"s/a":[1,1],"s/b":["x","x"],)"
            R"("ts":[10,11]})"
            "\n");
  CommandResult v = RunProberows("verify " + ShellQuote(out) + " -i " + In("n.parquet"));
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(v.out,
            "checked 2 shard file(s): 2 rows, 3 measurements\nrecounted the input with DuckDB: 2 keys, 3 "
            "measurements\nOK\n");
}

TEST_F(NestedInputTest, FeaturesJsonNestsAsTfdsDoes) {
  RunDuckDbOrDie(Fill(kNestedSql, in_ + "/n.parquet"));
  const std::string out = Build("-i " + In("n.parquet") + " --order-by ts --static-columns s");
  const auto f = nlohmann::json::parse(ReadFileOrDie(out + "/features.json"));
  const auto& features = f["featuresDict"]["features"];
  // A compact spelling of each feature: T(dtype, shape) / S(inner, length) /
  // D{name: ...}.
  std::function<std::string(const nlohmann::json&)> spell = [&](const nlohmann::json& j) -> std::string {
    const std::string cls = j["pythonClassName"];
    if (cls.ends_with(".Tensor")) {
      return "T(" + j["tensor"]["dtype"].get<std::string>() + (j["tensor"]["shape"].empty() ? ",()" : ",(-1)") + ")";
    }
    if (cls.ends_with(".Sequence")) {
      return "S(" + spell(j["sequence"]["feature"]) + "," + j["sequence"]["length"].get<std::string>() + ")";
    }
    std::string out = "D{";
    for (const auto& [name, member] : j["featuresDict"]["features"].items()) out += name + ":" + spell(member) + ";";
    return out + "}";
  };
  std::string all;
  for (const auto& [name, feature] : features.items()) all += name + " = " + spell(feature) + "\n";
  EXPECT_EQ(all,
            "l = S(S(S(T(int64,()),-1),-1),-1)\n"
            "m = S(S(D{key:T(string,());value:T(int64,());},-1),-1)\n"
            "my col = T(string,(-1))\n"
            "prb_id = T(int64,())\n"
            "r = S(S(D{rtt:T(float32,());x:T(string,());},-1),-1)\n"
            "s = D{a:T(int64,());b:T(string,());}\n"
            "ts = T(int64,(-1))\n");
  // Not static: a sequence of dicts (one value of each field per measurement).
  const std::string per = Build("-i " + In("n.parquet") + " --order-by ts", "per");
  const auto g = nlohmann::json::parse(ReadFileOrDie(per + "/features.json"));
  EXPECT_EQ(spell(g["featuresDict"]["features"]["s"]), "S(D{a:T(int64,());b:T(string,());},-1)");
}

TEST_F(NestedInputTest, NestedDataIsByteIdenticalAcrossStrategiesWorkersAndFileSplits) {
  // Traceroute results: lists of hops, each a list of replies, some with
  // nested ICMP extensions (4 list levels), from real RIPE Atlas data.
  const std::string src = TestdataDir() + "/ripe-atlas/traceroute.ndjson.gz";
  const std::string flags = " --null-lists-as-empty --fill-null result=-1";
  const std::string ref = Build("-i " + ShellQuote(src) + flags + " --strategy sequential -j 1", "ref");
  const auto expected = ReadTreeBytes(ref);
  ASSERT_EQ(expected.size(), 5u);
  for (const auto& [strategy, workers] :
       {std::pair<std::string, std::string>{"in-memory", "2"}, {"streaming", "1"}, {"streaming", "2"}}) {
    const std::string out =
        Build("-i " + ShellQuote(src) + flags + " --strategy " + strategy + " -j " + workers, strategy + workers);
    EXPECT_EQ(ReadTreeBytes(out), expected) << strategy << " -j " << workers;
  }
  // The same rows split over three .jsonl files of a folder.
  const std::string text = RunCommand("gzip -dc " + ShellQuote(src)).out;
  std::vector<std::string> parts(3);
  size_t line = 0;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = text.find('\n', pos) + 1;
    parts[line++ % 3] += text.substr(pos, end - pos);
    pos = end;
  }
  fs::create_directories(in_ + "/split");
  for (size_t i = 0; i < parts.size(); ++i)
    WriteFileOrDie(in_ + "/split/part-" + std::to_string(i) + ".jsonl", parts[i]);
  EXPECT_EQ(ReadTreeBytes(Build("-i " + In("split") + flags, "split")), expected);
}

// ------------------------------------------------------------- NULL policy

TEST_F(NestedInputTest, EveryNullColumnIsReportedInOneError) {
  RunDuckDbOrDie(
      "COPY (SELECT * FROM (VALUES (1, 1, NULL, 'a', [1, NULL], [[1.5], NULL]), (1, 2, 5, NULL, NULL, [[2.5]]), "
      "(2, 3, NULL, 'b', [2], [[NULL]])) t(prb_id, ts, ttl, name, hops, rtts)) TO '" +
      in_ + "/n.parquet' (FORMAT PARQUET)");
  const std::string f = in_ + "/n.parquet";
  EXPECT_EQ(BuildError("-i " + In("n.parquet") + " --order-by ts"),
            Err("NULL values the output cannot hold (only float features hold NULL, as NaN): 'ttl' (int64) is NULL "
                "in 2 of 3 rows (first: key 1 in file '" +
                f + "'); 'name' (bytes) is NULL in 1 of 3 rows (first: key 1 in file '" + f +
                "'); 'hops' (int64 list) has 1 NULL elements of 3 (first: key 1 in file '" + f +
                "'); list 'hops' is NULL in 1 of 3 rows (first: key 1 in file '" + f +
                "'); list 'rtts (level 1)' is NULL in 1 of 4 lists (first: key 1 in file '" + f +
                "'); to fix: --fill-null ttl=VALUE,name=VALUE,hops=VALUE replaces them (--null-mask adds a feature "
                "recording where values were NULL); or --null-lists-as-empty reads a NULL list as an empty list; or "
                "--exclude ttl,name,hops,hops,rtts drops the columns"));
}

TEST_F(NestedInputTest, FillNullAndPresenceMask) {
  RunDuckDbOrDie(
      "COPY (SELECT * FROM (VALUES (1, 1, NULL, 'a', [1, NULL], [1.5, NULL]), (1, 2, 5, NULL, [], [2.5])) "
      "t(prb_id, ts, ttl, name, hops, rtt)) TO '" +
      in_ + "/n.parquet' (FORMAT PARQUET)");
  const std::string out =
      Build("-i " + In("n.parquet") + " --order-by ts --fill-null ttl=-1,name=,hops=0,rtt=-2.5 --null-mask");
  EXPECT_EQ(Cat(out), R"({"hops":[[1,0],[]],"hops_present":[[1,0],[]],"name":["a",""],"name_present":[1,0],)"
                      R"("prb_id":[1],"rtt":[[1.5,-2.5],[2.5]],"rtt_present":[[1,0],[1]],"ts":[1,2],"ttl":[-1,5],)"
                      R"("ttl_present":[0,1]})"
                      "\n");
  // The mask is a TFDS bool; proberows.json records each column's policy.
  const auto f = nlohmann::json::parse(ReadFileOrDie(out + "/features.json"));
  EXPECT_EQ(f["featuresDict"]["features"]["ttl_present"]["tensor"]["dtype"], "bool");
  const auto meta = nlohmann::json::parse(ReadFileOrDie(out + "/proberows.json"));
  std::string policies;
  for (const auto& c : meta["columns"]) {
    policies += c["name"].get<std::string>() + ":" + c["nulls"].get<std::string>() +
                (c.contains("fill") ? "=" + c["fill"].get<std::string>() : "") + " ";
  }
  EXPECT_EQ(policies,
            "prb_id:error ts:error ttl:fill=-1 ttl_present:presence mask name:fill= name_present:presence mask "
            "hops:fill=0 hops_present:presence mask rtt:fill=-2.5 rtt_present:presence mask ");
  // Without --null-mask: filled, no mask features.
  EXPECT_EQ(Cat(Build("-i " + In("n.parquet") + " --order-by ts --fill-null ttl=-1,name=,hops=0", "nomask")),
            R"({"hops":[[1,0],[]],"name":["a",""],"prb_id":[1],"rtt":[[1.5,"NaN"],[2.5]],"ts":[1,2],"ttl":[-1,5]})"
            "\n");
}

TEST_F(NestedInputTest, FillNullErrors) {
  RunDuckDbOrDie("COPY (SELECT 1 AS prb_id, 1 AS ts, 2 AS ttl, 'a' AS name) TO '" + in_ +
                 "/n.parquet' (FORMAT PARQUET)");
  EXPECT_EQ(BuildError("-i " + In("n.parquet") + " --order-by ts --fill-null ttl=abc"),
            Err("--fill-null ttl=abc: 'abc' is not an integer, and column 'ttl' is int64"));
  EXPECT_EQ(BuildError("-i " + In("n.parquet") + " --order-by ts --fill-null nope=1"),
            Err("--fill-null nope=1: no column 'nope' in the output; its columns: prb_id, ts, ttl, name"));
  EXPECT_EQ(BuildError("-i " + In("n.parquet") + " --order-by ts --fill-null ttl"),
            Err("--fill-null 'ttl': expected COLUMN=VALUE, e.g. ttl=-1 (an empty VALUE is the empty string)"));
  EXPECT_EQ(BuildError("-i " + In("n.parquet") + " --order-by ts --fill-null ts=0"),
            Err("--fill-null ts=0: 'ts' is the order column, which must not be NULL"));
  EXPECT_EQ(BuildError("-i " + In("n.parquet") + " --order-by ts --null-mask"),
            Err("--null-mask records where --fill-null replaced NULLs; give --fill-null too"));
}

TEST_F(NestedInputTest, NullListsInsideListsNeedTheFlag) {
  RunDuckDbOrDie("COPY (SELECT * FROM (VALUES (1, 1, [[1], NULL, [2, 3]]), (1, 2, NULL)) t(prb_id, ts, l)) TO '" + in_ +
                 "/n.parquet' (FORMAT PARQUET)");
  EXPECT_EQ(Cat(Build("-i " + In("n.parquet") + " --order-by ts --null-lists-as-empty")),
            R"({"l":[[[1],[],[2,3]],[]],"prb_id":[1],"ts":[1,2]})"
            "\n");
}

// ------------------------------------------------------------- JSON values

TEST_F(NestedInputTest, JsonValuesAreParsedToTheirRealType) {
  // Old RIPE Atlas firmware writes numbers as strings: DuckDB types such a
  // field JSON; its values are numbers, so it becomes a float32 (avg) or an
  // int64 (sent), never bytes.
  WriteFileOrDie(in_ + "/m.jsonl",
                 R"({"prb_id": 1, "timestamp": 100, "avg": "12.5", "sent": "3", "r": [{"rtt": 1.5}, {"x": "*"}]})"
                 "\n"
                 R"({"prb_id": 1, "timestamp": 101, "avg": 13.0, "sent": 3, "r": [{"rtt": "2.5"}]})"
                 "\n");
  const std::string out = Build("-i " + In("m.jsonl") + " --fill-null r/x=");
  EXPECT_EQ(Cat(out), R"({"avg":[12.5,13.0],"prb_id":[1],"r/rtt":[[1.5,"NaN"],[2.5]],"r/x":[["","*"],[""]],)"
                      R"("sent":[3,3],"timestamp":[100,101]})"
                      "\n");
}

TEST_F(NestedInputTest, JsonValuesOfDifferentKindsAreRefused) {
  WriteFileOrDie(in_ + "/m.jsonl", R"({"prb_id": 1, "timestamp": 100, "extra": {"a": 1}, "rtt": 1.5, "tag": "x"})"
                                   "\n"
                                   R"({"prb_id": 1, "timestamp": 101, "extra": "text", "rtt": "*", "tag": 7})"
                                   "\n");
  EXPECT_EQ(BuildError("-i " + In("m.jsonl")),
            Err("3 columns cannot be encoded: 'extra' holds JSON values of different kinds (string \"text\", object "
                "{\"a\":1}) with no common type; 'rtt' holds JSON values of different kinds (number 1.5, string \"*\") "
                "with no common type; 'tag' holds JSON values of different kinds (integer 7, string \"x\") with no "
                "common type (supported: BOOLEAN, integers that fit in int64, TIMESTAMP, DATE, FLOAT, DOUBLE, "
                "DECIMAL, VARCHAR, BLOB, UUID, ENUM, JSON holding values of one type, and LISTs, STRUCTs and MAPs of "
                "these); drop them with --exclude extra,rtt,tag"));
}

// Was: an integer list nested 24 deep took minutes (time doubled per level)
// and ignored SIGINT before this error; now it comes at once, for any depth.
TEST_F(NestedInputTest, ListsNestedTooDeepAreRefusedAtOnce) {
  std::string ints = "1", structs = R"({"a": 1})";
  for (int i = 0; i < 24; ++i) ints = "[" + ints + "]";
  for (int i = 0; i < 30; ++i) structs = "[" + structs + "]";
  WriteFileOrDie(in_ + "/deep.jsonl", R"({"prb_id": 1, "timestamp": 100, "x": )" + ints + "}\n");
  WriteFileOrDie(in_ + "/deeper.jsonl", R"({"prb_id": 1, "timestamp": 100, "s": {"y": )" + structs + "}}\n");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(BuildError("-i " + In("deep.jsonl")), Err("column 'x' nests 24 lists; at most 6 are supported"));
  EXPECT_EQ(BuildError("-i " + In("deeper.jsonl")), Err("column 's/y/a' nests 30 lists; at most 6 are supported"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));  // a hang guard, not a timing
}

TEST_F(NestedInputTest, JsonIntegerColumnNeverRoundsALaterFraction) {
  // DuckDB decided JSON types from the first 32 files, where `n` holds
  // integers (its own BIGINT column would read 1.5 as 2). The types now come
  // from every file (issue 18): `n` is a number column and keeps 1.5.
  fs::create_directories(in_ + "/many");
  for (int f = 0; f < 33; ++f) {
    WriteFileOrDie(in_ + "/many/p" + std::to_string(10 + f) + ".jsonl",
                   "{\"prb_id\": " + std::to_string(f % 5) + ", \"timestamp\": " + std::to_string(f) +
                       ", \"n\": " + (f == 32 ? "1.5" : std::to_string(f)) + "}\n");
  }
  const std::string out = Build("-i " + In("many"));
  EXPECT_NE(Cat(out).find(R"("n":[2.0,7.0,12.0,17.0,22.0,27.0,1.5],"prb_id":[2],"timestamp":[2,7,12,17,22,27,32]})"),
            std::string::npos)
      << Cat(out);
}

// ------------------------------------------------------------- names

TEST_F(NestedInputTest, SlashInAColumnNameIsRefusedWithTheFix) {
  RunDuckDbOrDie("COPY (SELECT 1 AS prb_id, 1 AS ts, 2 AS \"a/b\", {'c/d': 1} AS s) TO '" + in_ +
                 "/n.parquet' (FORMAT PARQUET)");
  EXPECT_EQ(BuildError("-i " + In("n.parquet") + " --order-by ts"),
            Err("2 columns cannot be encoded: 'a/b' has '/' in its name, which TFDS reserves for nesting features "
                "(rename it in a --sql query, e.g. SELECT * RENAME (\"a/b\" AS ...) FROM ...); 's/c/d' has a field "
                "'c/d' with '/' in its name, which TFDS reserves for nesting features (rename it in a --sql query, "
                "e.g. SELECT * RENAME (\"c/d\" AS ...) FROM ...) (supported: BOOLEAN, integers that fit in int64, "
                "TIMESTAMP, DATE, FLOAT, DOUBLE, DECIMAL, VARCHAR, BLOB, UUID, ENUM, JSON holding values of one type, "
                "and LISTs, STRUCTs and MAPs of these); drop them with --exclude a/b,s/c/d"));
}

// Was: JSON keys `rtt` and `RTT` built `rtt` and an all-NaN `RTT_1` (values
// lost); Parquet/CSV columns `a` and `A` became `a` and `A_1`, without a word.
// A real column that only looks like such a rename (`rtt_1` beside `rtt`)
// builds as before.
TEST_F(NestedInputTest, NamesDifferingOnlyInCaseAreRefused) {
  WriteFileOrDie(in_ + "/c.jsonl", R"({"prb_id": 1, "ts": 1, "rtt": 1.5, "RTT": 2.5})"
                                   "\n");
  EXPECT_EQ(BuildError("-i " + In("c.jsonl") + " --order-by ts"),
            Err("input keys 'rtt' and 'RTT' differ only in case: DuckDB's names are case-insensitive, so it would "
                "read 'RTT' as a column 'RTT_1' holding only NULLs (its values lost); rename one of the keys in the "
                "input"));
  RunDuckDbOrDie("COPY (SELECT 1 AS prb_id, 1 AS ts, 3.5 AS a, 4.5 AS \"A\") TO '" + in_ +
                 "/c.parquet' (FORMAT PARQUET)");
  EXPECT_EQ(
      BuildError("-i " + In("c.parquet") + " --order-by ts"),
      Err("input columns 'a' and 'A' differ only in case: DuckDB's names are case-insensitive and it renames "
          "'A' to 'A_1'; name it yourself with --sql, e.g. --sql \"SELECT * EXCLUDE (\\\"A_1\\\"), \\\"A_1\\\" AS "
          "\\\"A_2nd\\\" FROM read_parquet(...)\""));
  WriteFileOrDie(in_ + "/ok.csv", "prb_id,ts,rtt,rtt_1\n1,2,3.5,4.5\n");
  const CommandResult ok =
      RunProberows("build --no-progress --order-by ts -i " + In("ok.csv") + " -o " + ShellQuote(in_ + "/ok"));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

// ------------------------------------------------------------- schema

TEST_F(NestedInputTest, SchemaShowsFeaturesAndEveryProblemInOneRun) {
  RunDuckDbOrDie(
      "COPY (SELECT * FROM (VALUES (1, 1, NULL, [1.5, NULL], {'a': 1, 'i': INTERVAL 1 DAY}, [[1], NULL]), (1, 2, 5, "
      "[], {'a': 2, 'i': INTERVAL 2 DAY}, [[2]]), (2, 3, 7, NULL, {'a': NULL, 'i': INTERVAL 3 DAY}, [])) t(prb_id, "
      "ts, ttl, rtt, s, l)) TO '" +
      in_ + "/n.parquet' (FORMAT PARQUET)");
  const std::string f = in_ + "/n.parquet";
  CommandResult r = RunProberows("schema -i " + In("n.parquet") + " --order-by ts --static-columns l");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(
      r.out,
      "input: 1 Parquet file(s); 3 rows read\n"
      "one row per 'prb_id', measurements ordered by 'ts'\n"
      "columns (6; a ragged column x is stored as x/ragged_flat_values and x/ragged_row_lengths_<level>):\n"
      "  column  dtype    layout                      input type              NULLs\n"
      "  prb_id  int64    per row (key)               INTEGER                 none\n"
      "  ts      int64    per measurement (order)     INTEGER                 none\n"
      "  ttl     int64    per measurement             INTEGER                 1 of 3 rows -> FAILS\n"
      "  rtt     float32  ragged, 1 level             DECIMAL(2,1)[]          1 of 2 elements -> NaN; NULL list in 1 "
      "of 3 rows -> FAILS\n"
      "  s/a     int64    per measurement             INTEGER                 1 of 3 rows -> FAILS\n"
      "  l       int64    static, ragged, 2 levels    INTEGER[][]             none\n"
      "problems (6), each stops the build:\n"
      "  's/i' has type INTERVAL: drop it with --exclude s/i\n"
      "  'ttl' (int64) has 1 NULL values of 3 (first: key 1 in file '" +
          f +
          "'): --fill-null ttl=VALUE replaces them (--null-mask records where), or --exclude ttl drops it\n"
          "  list 'rtt' is NULL in 1 of 3 rows (first: key 2 in file '" +
          f +
          "'): --null-lists-as-empty reads it as an empty list, or --exclude rtt drops it\n"
          "  's/a' (int64) has 1 NULL values of 3 (first: key 2 in file '" +
          f +
          "'): --fill-null s/a=VALUE replaces them (--null-mask records where), or --exclude s/a drops it\n"
          "  list 'l (level 1)' is NULL in 1 of 3 lists (first: key 1 in file '" +
          f +
          "'): --null-lists-as-empty reads it as an empty list, or --exclude l drops it\n"
          "  static column 'l' differs within 1 of 2 keys (first: key 1): drop it from --static-columns\n");
  EXPECT_EQ(r.err, "proberows: error: the build would stop: 6 problem(s) listed above\n");
  // The fixes it names make the schema clean; build --dry-run says the same
  // and writes nothing.
  const std::string fixed = " --order-by ts --exclude s/i --fill-null ttl=-1,s/a=0 --null-lists-as-empty";
  r = RunProberows("schema -i " + In("n.parquet") + fixed);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("problems: none; the build can run\n"), std::string::npos) << r.out;
  CommandResult dry =
      RunProberows("build --dry-run -i " + In("n.parquet") + fixed + " -o " + ShellQuote(root_.path() + "/dry"));
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(dry.out, r.out);
  EXPECT_FALSE(fs::exists(root_.path() + "/dry"));
  EXPECT_EQ(Cat(Build("-i " + In("n.parquet") + fixed)),
            R"({"l":[[]],"prb_id":[2],"rtt":[[]],"s/a":[0],"ts":[3],"ttl":[7]})"
            "\n"
            R"({"l":[[[1],[]],[[2]]],"prb_id":[1],"rtt":[[1.5,"NaN"],[]],"s/a":[1,2],"ts":[1,2],"ttl":[-1,5]})"
            "\n");
}

}  // namespace
}  // namespace proberows
