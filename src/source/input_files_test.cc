#include "source/input_files.h"

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

TEST(InputFilesTest, FormatsByExtension) {
  EXPECT_EQ(FormatOfPath("a/b.parquet").value(), InputFormat::kParquet);
  EXPECT_EQ(FormatOfPath("x.CSV").value(), InputFormat::kCsv);
  EXPECT_EQ(FormatOfPath("x.tsv.zst").value(), InputFormat::kCsv);
  EXPECT_EQ(FormatOfPath("x.jsonl.gz").value(), InputFormat::kJson);
  EXPECT_EQ(FormatOfPath("x.ndjson").value(), InputFormat::kJson);
  EXPECT_EQ(FormatOfPath("x.json").value(), InputFormat::kJson);
  // bzip2 is decoded in-process; NAME.bz2 is JSON lines (RIPE Atlas' dumps).
  EXPECT_EQ(FormatOfPath("ping-2024-05-01T0000.bz2").value(), InputFormat::kJson);
  EXPECT_EQ(FormatOfPath("x.jsonl.bz2").value(), InputFormat::kJson);
  EXPECT_EQ(FormatOfPath("x.JSON.BZ2").value(), InputFormat::kJson);
  EXPECT_EQ(FormatOfPath("x.csv.bz2").value(), InputFormat::kCsv);
  EXPECT_EQ(FormatOfPath("x.parquet.bz2").status(),
            absl::InvalidArgumentError("input 'x.parquet.bz2': bzip2-compressed Parquet cannot be read (Parquet "
                                       "compresses its own pages); decompress it first (bunzip2 -k 'x.parquet.bz2')"));
  EXPECT_EQ(FormatOfPath("x.tar.bz2").status().message().substr(0, 54),
            "input 'x.tar.bz2': unknown file type ('.tar.bz2'); pro");
  EXPECT_EQ(FormatOfPath("x.json.xz").status().message().substr(0, 40), "input 'x.json.xz': xz-compressed files c");
  EXPECT_EQ(
      FormatOfPath("noext").status(),
      absl::InvalidArgumentError("input 'noext': unknown file type (no extension); proberows reads .parquet, "
                                 ".csv, .tsv, .json, .jsonl, .ndjson, the text ones optionally compressed as .gz, "
                                 ".zst or .bz2 (NAME.bz2: JSON lines, as RIPE Atlas' daily dumps); rename the "
                                 "file or give --input-format parquet, csv or json"));
  EXPECT_EQ(ParseInputFormat("JSON").value(), InputFormat::kJson);
  EXPECT_FALSE(ParseInputFormat("xml").ok());
}

TEST(InputFilesTest, Bzip2ReadAsParquetIsRefused) {
  // Regression: --input-format parquet with a .bz2 input aborted (an OK
  // status returned as an error) instead of saying why it cannot be read.
  TempDir dir;
  const std::string dump = dir.path() + "/ping-2024-05-01T0000.bz2";
  WriteFileOrDie(dump, "");
  const InputFormat parquet = InputFormat::kParquet, json = InputFormat::kJson;
  InputFormat format;
  EXPECT_EQ(ExpandInputFiles({dump}, &parquet, &format).status(),
            absl::InvalidArgumentError("input '" + dump +
                                       "': bzip2-compressed Parquet cannot be read (Parquet compresses its own pages); "
                                       "decompress it first (bunzip2 -k '" +
                                       dump + "')"));
  EXPECT_EQ(ExpandInputFiles({dir.path()}, &json, &format).value(), std::vector<std::string>{dump});
  EXPECT_EQ(format, InputFormat::kJson);
}

TEST(InputFilesTest, StrictIntsReplaceIntegerTypesOnly) {
  EXPECT_EQ(WithStrictInts("BIGINT"), "VARCHAR");
  EXPECT_EQ(WithStrictInts("DOUBLE"), "DOUBLE");
  EXPECT_EQ(WithStrictInts("STRUCT(hop BIGINT, \"from\" VARCHAR, \"BIGINT\" UBIGINT, rtt DOUBLE)[]"),
            "STRUCT(hop VARCHAR, \"from\" VARCHAR, \"BIGINT\" VARCHAR, rtt DOUBLE)[]");
  EXPECT_EQ(WithStrictInts("STRUCT(BIGINT BIGINT)"), "STRUCT(BIGINT VARCHAR)");  // a field named BIGINT
  EXPECT_EQ(WithStrictInts("MAP(VARCHAR, INTEGER)"), "MAP(VARCHAR, VARCHAR)");
  EXPECT_EQ(WithStrictInts("DECIMAL(18,3)"), "DECIMAL(18,3)");
}

TEST(InputFilesTest, ReaderCallPinsOptionsAndAddsExtras) {
  InputReader r;
  r.format = InputFormat::kJson;
  r.options = "columns = {'a': 'DOUBLE'}";
  EXPECT_EQ(r.Call({"x.jsonl", "it's.jsonl"}, "filename = 'f'"),
            "read_json(['x.jsonl', 'it''s.jsonl'], columns = {'a': 'DOUBLE'}, filename = 'f')");
  r.format = InputFormat::kParquet;
  r.options.clear();
  EXPECT_EQ(r.Call({"p.parquet"}), "read_parquet(['p.parquet'])");
}

}  // namespace
}  // namespace proberows
