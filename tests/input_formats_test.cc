// Input formats through the real binary: JSON (.json, .jsonl, .ndjson), CSV
// and TSV, each plain, .gz and .zst, and Parquet, given as files or found in
// folders; .bz2 decoded in-process, and damaged; unknown extensions and mixed formats; and
// that every format gives the same rows as Parquet.
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/reliability_util.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;

class InputFormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    in_ = root_.path() + "/in";
    fs::create_directories(in_);
    // The same 12 rows (3 probes) as Parquet, JSON lines and CSV.
    const std::string rows =
        "SELECT i % 3 AS prb_id, i AS ts, i * 0.5 AS rtt, 'n' || (i % 2) AS name FROM range(12) t(i)";
    RunDuckDbOrDie("COPY (" + rows + ") TO '" + in_ + "/m.parquet' (FORMAT PARQUET)");
    RunDuckDbOrDie("COPY (" + rows + ") TO '" + in_ + "/m.jsonl' (FORMAT JSON)");
    RunDuckDbOrDie("COPY (" + rows + ") TO '" + in_ + "/m.csv' (HEADER)");
    RunDuckDbOrDie("COPY (" + rows + ") TO '" + in_ + "/m.tsv' (HEADER, DELIMITER '\t')");
    reference_ = Shards(Build(In("m.parquet"), "reference"));
  }

  std::string Build(const std::string& input_args, const std::string& name) {
    const std::string out = root_.path() + "/" + name;
    CommandResult r = RunProberows("build --no-progress --order-by ts -o " + ShellQuote(out) + " -i " + input_args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }

  std::string BuildError(const std::string& input_args) {
    CommandResult r = RunProberows("build --no-progress --order-by ts -o " + ShellQuote(root_.path() + "/failed") +
                                   " -i " + input_args);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    return r.err;
  }

  // The shard files of an output folder (metadata differs by input type).
  static std::map<std::string, std::string> Shards(const std::string& out) {
    std::map<std::string, std::string> shards;
    for (auto& [name, bytes] : ReadTreeBytes(out))
      if (name.find(".array_record-") != std::string::npos) shards[name] = bytes;
    return shards;
  }

  std::string In(const std::string& file) const { return ShellQuote(in_ + "/" + file); }

  TempDir root_;
  std::string in_;
  std::map<std::string, std::string> reference_;
};

TEST_F(InputFormatsTest, EveryFormatAndCompressionGivesTheSameRows) {
  RunCommand("cd " + ShellQuote(in_) +
             " && cp m.jsonl m.ndjson && cp m.jsonl m.json && gzip -k m.jsonl && gzip -k m.csv && zstd -q m.jsonl -o "
             "m.ndjson.zst && zstd -q m.tsv -o m.tsv.zst");
  for (const char* file :
       {"m.jsonl", "m.ndjson", "m.json", "m.jsonl.gz", "m.ndjson.zst", "m.csv", "m.csv.gz", "m.tsv", "m.tsv.zst"}) {
    EXPECT_EQ(Shards(Build(In(file), std::string("from-") + file)), reference_) << file;
  }
}

TEST_F(InputFormatsTest, FoldersOfCompressedFiles) {
  fs::create_directories(in_ + "/day");
  RunCommand("cd " + ShellQuote(in_) +
             " && split -n l/3 -d --additional-suffix=.jsonl m.jsonl day/part- && gzip day/part-00.jsonl && zstd -q "
             "--rm day/part-01.jsonl && touch day/.hidden && echo notes > day/README.txt");
  // part-00.jsonl.gz, part-01.jsonl.zst, part-02.jsonl; the README is not input.
  EXPECT_EQ(Shards(Build(In("day"), "day")), reference_);
}

// A compressed input cut short is refused before DuckDB reads it (it read a
// .gz cut at a flush point, or a .zst cut at a block end, as a shorter file);
// one bad file among good ones in a folder is named; nothing is written.
TEST_F(InputFormatsTest, CompressedInputsCutShortAreRefusedNamingTheFile) {
  fs::create_directories(in_ + "/cut");
  // In a subshell: RunCommand redirects the last command's output.
  RunCommand("(cd " + ShellQuote(in_) +
             " && gzip -c m.jsonl > cut/a.jsonl.gz && zstd -q -c m.jsonl > cut/b.jsonl.zst)");
  const uintmax_t gz = fs::file_size(in_ + "/cut/a.jsonl.gz"), zst = fs::file_size(in_ + "/cut/b.jsonl.zst");
  fs::resize_file(in_ + "/cut/b.jsonl.zst", zst - 2);
  EXPECT_EQ(BuildError(In("cut")),
            fmt::format("proberows: error: input '{}/cut/b.jsonl.zst': zstd frame 1 (from byte 0) ends early at byte "
                        "{}; the file is truncated or damaged; download or copy it again\n",
                        in_, zst - 2));
  fs::resize_file(in_ + "/cut/a.jsonl.gz", gz - 8);  // the trailer (CRC-32, size) gone
  EXPECT_EQ(BuildError(In("cut/a.jsonl.gz")),
            fmt::format("proberows: error: input '{}/cut/a.jsonl.gz': gzip member 1 (from byte 0) ends early at byte "
                        "{}; the file is truncated or damaged; download or copy it again\n",
                        in_, gz - 8));
  // Was: "Malformed JSON at byte 1" (DuckDB took the .GZ for plain text).
  fs::copy_file(in_ + "/cut/a.jsonl.gz", in_ + "/U.jsonl.GZ");
  EXPECT_EQ(BuildError(In("U.jsonl.GZ")),
            fmt::format("proberows: error: input '{0}/U.jsonl.GZ': compressed files are recognized by a lowercase "
                        "extension; rename it to '{0}/U.jsonl.gz'\n",
                        in_));
  EXPECT_FALSE(fs::exists(root_.path() + "/failed"));
}

TEST_F(InputFormatsTest, Bzip2IsDecodedAndDamageIsAnError) {
  // JSON lines as .jsonl.bz2, as NAME.bz2 (RIPE Atlas' dumps: no inner
  // extension) made of two streams (as lbzip2/pbzip2 write), CSV as .csv.bz2.
  fs::create_directories(in_ + "/day");
  RunCommand("cd " + ShellQuote(in_) +
             " && bzip2 -k m.jsonl && bzip2 -k m.csv && head -n 5 m.jsonl | bzip2 > day/a && tail -n +6 m.jsonl | "
             "bzip2 > day/b && cat day/a day/b > day/ping-2024-05-01T0000.bz2 && rm day/a day/b");
  EXPECT_EQ(Shards(Build(In("m.jsonl.bz2"), "from-jsonl-bz2")), reference_);
  EXPECT_EQ(Shards(Build(In("m.csv.bz2"), "from-csv-bz2")), reference_);
  EXPECT_EQ(Shards(Build(In("day"), "from-dump")), reference_);
  // A truncated file and a file that is not bzip2 fail, naming the file;
  // nothing is written.
  const std::string whole = ReadFileOrDie(in_ + "/m.jsonl.bz2");
  WriteFileOrDie(in_ + "/day/ping-2024-05-01T0000.bz2", whole.substr(0, whole.size() - 10));
  EXPECT_EQ(BuildError(In("day")), "proberows: error: reading input: input '" + in_ +
                                       "/day/ping-2024-05-01T0000.bz2': bzip2 data ends early at byte " +
                                       std::to_string(whole.size() - 10) +
                                       ", inside stream 1 (the file is truncated; download it again)\n");
  // A damaged file (one byte flipped): where libbz2 notices depends on its
  // internals; the message names the file and a byte offset.
  std::string flipped = whole;
  flipped[flipped.size() / 2] ^= 0x55;
  WriteFileOrDie(in_ + "/day/ping-2024-05-01T0000.bz2", flipped);
  const std::string damaged = BuildError(In("day"));
  EXPECT_TRUE(absl::StartsWith(damaged, "proberows: error: reading input: input '" + in_ +
                                            "/day/ping-2024-05-01T0000.bz2': bzip2 data is damaged (a check failed "
                                            "in stream 1 before byte ") &&
              absl::EndsWith(damaged, "; download it again)\n"))
      << damaged;
  WriteFileOrDie(in_ + "/day/ping-2024-05-01T0000.bz2", ReadFileOrDie(in_ + "/m.jsonl"));
  EXPECT_EQ(BuildError(In("day")), "proberows: error: reading input: input '" + in_ +
                                       "/day/ping-2024-05-01T0000.bz2': not bzip2 data (no bzip2 header; a .bz2 file "
                                       "is read as bzip2-compressed JSON lines)\n");
  EXPECT_FALSE(fs::exists(root_.path() + "/failed"));
  // Parquet compresses its own pages: .parquet.bz2 is refused.
  RunCommand("cd " + ShellQuote(in_) + " && bzip2 -k m.parquet");
  EXPECT_EQ(BuildError(In("m.parquet.bz2")),
            "proberows: error: input '" + in_ +
                "/m.parquet.bz2': bzip2-compressed Parquet cannot be read (Parquet compresses its own pages); "
                "decompress it first (bunzip2 -k '" +
                in_ + "/m.parquet.bz2')\n");
  EXPECT_EQ(BuildError(In("m.jsonl.bz2") + " --input-format parquet"),
            "proberows: error: input '" + in_ +
                "/m.jsonl.bz2': bzip2-compressed Parquet cannot be read (Parquet compresses its own pages); "
                "decompress it first (bunzip2 -k '" +
                in_ + "/m.jsonl.bz2')\n");
}

TEST_F(InputFormatsTest, UnknownExtensionSaysWhatToDoAndInputFormatOverrides) {
  fs::copy_file(in_ + "/m.jsonl", in_ + "/m.txt");
  EXPECT_EQ(BuildError(In("m.txt")),
            "proberows: error: input '" + in_ +
                "/m.txt': unknown file type ('.txt'); proberows reads .parquet, .csv, .tsv, .json, .jsonl, .ndjson, "
                "the text ones optionally compressed as .gz, .zst or .bz2 (NAME.bz2: JSON lines, as RIPE Atlas' daily "
                "dumps); rename the file or give --input-format parquet, csv or json\n");
  EXPECT_EQ(Shards(Build(In("m.txt") + " --input-format json", "txt")), reference_);
  fs::copy_file(in_ + "/m.parquet", in_ + "/data");
  EXPECT_EQ(Shards(Build(In("data") + " --input-format parquet", "noext")), reference_);
  EXPECT_EQ(BuildError(In("m.txt") + " --input-format xml"),
            "proberows: error: --input-format: unknown format 'xml' (expected parquet, csv or json)\n");
}

TEST_F(InputFormatsTest, FolderWithOnlyOtherFilesNamesThem) {
  fs::create_directories(in_ + "/docs");
  WriteFileOrDie(in_ + "/docs/notes.txt", "x");
  EXPECT_EQ(BuildError(In("docs")),
            "proberows: error: input folder '" + in_ +
                "/docs' holds no input files (.parquet, .csv, .tsv, .json, .jsonl, .ndjson, the text ones optionally "
                "compressed as .gz, .zst or .bz2 (NAME.bz2: JSON lines, as RIPE Atlas' daily dumps)); it holds 1 other "
                "file(s), e.g. 'notes.txt' (give --input-format to read "
                "them)\n");
  EXPECT_EQ(BuildError(ShellQuote(in_ + "/nowhere/*.parquet")),
            "proberows: error: input '" + in_ + "/nowhere/*.parquet': folder '" + in_ + "/nowhere' does not exist\n");
}

TEST_F(InputFormatsTest, MixedFormatsAreRefused) {
  EXPECT_EQ(
      BuildError(In("m.parquet") + " " + In("m.jsonl")),
      "proberows: error: inputs mix formats: '" + in_ + "/m.jsonl' is JSON but '" + in_ + "/m.parquet' is Parquet\n");
}

TEST_F(InputFormatsTest, CsvListTextIsReadAsAList) {
  // CSV has no list type: a column whose values are all JSON arrays is read
  // as the list they spell, not as bytes.
  WriteFileOrDie(in_ + "/l.csv",
                 "prb_id,ts,rtts,hops\n"
                 "1,1,\"[1.5, 2.5]\",\"[{\"\"hop\"\": 1}]\"\n"
                 "1,2,[],\"[{\"\"hop\"\": 2}, {\"\"hop\"\": 3}]\"\n");
  const std::string out = Build(In("l.csv"), "csvlist");
  CommandResult r = RunProberows("cat " + ShellQuote(out + "/probes-train.array_record-00000-of-00001"));
  EXPECT_EQ(r.out, R"({"hops/hop":[[1],[2,3]],"prb_id":[1],"rtts":[[1.5,2.5],[]],"ts":[1,2]})"
                   "\n");
}

// Types decided on a sample (issue 18). DuckDB's CSV sniffer types a column
// from a sample of rows; its BIGINT reader then cast "7.5" to 8 and "1.5" to
// 2 without a word (a fraction at row 30,001 of 40,000 filed that row under
// probe 8). Integer columns are now read as text and converted strictly: the
// build fails naming the file, column, value and row, and writes nothing.
TEST_F(InputFormatsTest, CsvIntegerAfterTheSniffersSampleIsNeverRounded) {
  const auto csv = [&](const std::string& name, const std::string& bad_key, const std::string& bad_sent) {
    std::string text = "prb_id,ts,rtt,sent\n";
    for (int i = 0; i < 40000; ++i)
      text += fmt::format("{},{},{}.25,{}\n", i == 30000 ? bad_key : std::to_string(1 + i % 100), 1000 + i, i % 7,
                          i == 30000 ? bad_sent : "3");
    WriteFileOrDie(in_ + "/" + name, text);
  };
  csv("key.csv", "7.5", "3");
  EXPECT_EQ(BuildError(In("key.csv")),
            "proberows: error: reading input: Invalid Input Error: column 'prb_id': value 7.5 is not an integer like "
            "the column's other values (first in file '" +
                in_ + "/key.csv', row 30001)\n");
  csv("sent.csv", "1", "1.5");
  EXPECT_EQ(BuildError(In("sent.csv")),
            "proberows: error: reading input: Invalid Input Error: column 'sent': value 1.5 is not an integer like the "
            "column's other values (key 1) (first in file '" +
                in_ + "/sent.csv', row 30001)\n");
  csv("hex.csv", "1", "0x10");  // DuckDB's cast read it as 16
  EXPECT_EQ(BuildError(In("hex.csv")),
            "proberows: error: reading input: Invalid Input Error: column 'sent': value 0x10 is not an integer like "
            "the column's other values (key 1) (first in file '" +
                in_ + "/hex.csv', row 30001)\n");
  EXPECT_FALSE(fs::exists(root_.path() + "/failed"));
  // Clean integers build as before.
  csv("clean.csv", "1", "4");
  const std::string out = Build(In("clean.csv"), "clean-csv");
  CommandResult r = RunProberows("cat --limit 0 " + ShellQuote(out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Key 1's 301st measurement is row 30,001.
  std::string sent = "\"sent\":[";
  for (int i = 0; i < 300; ++i) sent += "3,";
  EXPECT_NE(r.out.find(sent + "4,3"), std::string::npos) << r.out.substr(0, 300);
}

// JSON lines: DuckDB typed the columns from a sample (20,480 objects of the
// first 32 files). A key first seen after it was dropped, as a column or as
// a struct field; a number or an object in a string column after it was
// stored as text, while the same value earlier was refused. The types now
// come from every object: a late key is a column (NaN where absent), a late
// kind is refused naming file, column, value and row.
TEST_F(InputFormatsTest, JsonKeysAndKindsAfterDuckDbsSampleAreNeverDroppedOrChanged) {
  const auto jsonl = [&](const std::string& name, const std::string& late_fields, const std::string& late_cc) {
    std::string text;
    for (int i = 0; i < 25000; ++i)
      text += fmt::format(R"({{"prb_id": {}, "ts": {}, "cc": {}, "s": {{"a": 1{}}}{}}})"
                          "\n",
                          1 + i % 100, 1000 + i, i == 24000 ? late_cc : "\"NL\"",
                          i == 24000 && late_fields == "field" ? ", \"b\": 7.25" : "",
                          i == 24000 && late_fields == "key" ? ", \"loss\": 123.25" : "");
    WriteFileOrDie(in_ + "/" + name, text);
  };
  for (const std::string late : {"key", "field"}) {
    jsonl(late + ".jsonl", late, "\"NL\"");
    const std::string out = Build(In(late + ".jsonl"), "late-" + late);
    CommandResult r = RunProberows("cat --limit 0 " + ShellQuote(out));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string feature = late == "key" ? "\"loss\":[" : "\"s/b\":[";
    EXPECT_NE(r.out.find(feature), std::string::npos) << late;
    EXPECT_NE(r.out.find(late == "key" ? "123.25" : "7.25"), std::string::npos) << late;
  }
  jsonl("number.jsonl", "", "7");
  EXPECT_EQ(BuildError(In("number.jsonl")),
            "proberows: error: reading input: Invalid Input Error: column 'cc': JSON value 7 is not a string like the "
            "column's other values (key 1) (first in file '" +
                in_ + "/number.jsonl', row 24001)\n");
  jsonl("object.jsonl", "", R"({"x": 1})");
  EXPECT_EQ(BuildError(In("object.jsonl")),
            "proberows: error: reading input: Invalid Input Error: column 'cc': JSON value {\"x\":1} is not a string "
            "like the column's other values (key 1) (first in file '" +
                in_ + "/object.jsonl', row 24001)\n");
  EXPECT_FALSE(fs::exists(root_.path() + "/failed"));
}

// A JSON object longer than DuckDB's reader takes (32 MiB with its default
// maximum_object_size): the message names the file and says what to do in
// proberows' terms (no DuckDB option to raise).
TEST_F(InputFormatsTest, JsonLineLongerThanDuckDbReadsIsRefusedInOurWords) {
  WriteFileOrDie(in_ + "/long.jsonl", R"({"prb_id": 1, "ts": 1, "x": "a"})"
                                      "\n"
                                      R"({"prb_id": 1, "ts": 2, "x": ")" +
                                          std::string(33 << 20, 'b') + "\"}\n");
  EXPECT_EQ(BuildError(In("long.jsonl")),
            "proberows: error: reading input: Invalid Input Error: \"maximum_object_size\" of 16777216 bytes exceeded "
            "while reading file \"" +
                in_ +
                "/long.jsonl\" (>33554395 bytes); proberows cannot read a JSON object (line) this long: split or "
                "shorten it\n");
  EXPECT_FALSE(fs::exists(root_.path() + "/failed"));
}

// A JSON key with one fraction among integers is typed DOUBLE and refused:
// the message names the file, the row and the value that made it so.
TEST_F(InputFormatsTest, JsonKeyWithAFractionNamesFileRowAndValue) {
  std::string text;
  for (int i = 0; i < 25000; ++i)
    text += fmt::format(R"({{"prb_id": {}, "ts": {}}})"
                        "\n",
                        i == 24000 ? "7.5" : std::to_string(1 + i % 100), 1000 + i);
  WriteFileOrDie(in_ + "/a.jsonl", R"({"prb_id": 1, "ts": 1})"
                                   "\n");
  WriteFileOrDie(in_ + "/b.jsonl", text);
  EXPECT_EQ(BuildError(In("*.jsonl")),
            "proberows: error: key column 'prb_id' has type DOUBLE (first fraction in file '" + in_ +
                "/b.jsonl', row 24001: 7.5); a key must be an integer or a string\n");
  EXPECT_FALSE(fs::exists(root_.path() + "/failed"));
}

}  // namespace
}  // namespace proberows
