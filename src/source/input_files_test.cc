#include "source/input_files.h"

#include "gtest/gtest.h"

namespace proberows {
namespace {

TEST(InputFilesTest, FormatsByExtension) {
  EXPECT_EQ(FormatOfPath("a/b.parquet").value(), InputFormat::kParquet);
  EXPECT_EQ(FormatOfPath("x.CSV").value(), InputFormat::kCsv);
  EXPECT_EQ(FormatOfPath("x.tsv.zst").value(), InputFormat::kCsv);
  EXPECT_EQ(FormatOfPath("x.jsonl.gz").value(), InputFormat::kJson);
  EXPECT_EQ(FormatOfPath("x.ndjson").value(), InputFormat::kJson);
  EXPECT_EQ(FormatOfPath("x.json").value(), InputFormat::kJson);
  EXPECT_EQ(FormatOfPath("ping-2024.bz2").status(),
            absl::InvalidArgumentError("input 'ping-2024.bz2': bzip2-compressed files cannot be read (DuckDB reads .gz "
                                       "and .zst); decompress it first (bunzip2 -k 'ping-2024.bz2'), or recompress it "
                                       "as zstd (bzcat 'ping-2024.bz2' | zstd -o 'ping-2024.zst')"));
  EXPECT_EQ(FormatOfPath("x.json.xz").status().message().substr(0, 40), "input 'x.json.xz': xz-compressed files c");
  EXPECT_EQ(FormatOfPath("noext").status(),
            absl::InvalidArgumentError("input 'noext': unknown file type (no extension); proberows reads .parquet, "
                                       ".csv, .tsv, .json, .jsonl, .ndjson, the text ones optionally compressed as .gz "
                                       "or .zst; rename the file or give --input-format parquet, csv or json"));
  EXPECT_EQ(ParseInputFormat("JSON").value(), InputFormat::kJson);
  EXPECT_FALSE(ParseInputFormat("xml").ok());
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
