// MakePlan: how map tasks share the input.
#include "plan/build_plan.h"

#include <filesystem>

#include <fmt/format.h>

#include "gtest/gtest.h"
#include "proberows/generate.h"
#include "source/bzip2_pipes.h"
#include "source/duckdb_handle.h"
#include "tests/compress_util.h"
#include "tests/reliability_util.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

// Four files of one row group each and about the same size: one per map
// task. (Row-group weights once came from an int64 read of DuckDB's HUGEINT
// sum, so every other piece weighed nothing and the shares were [], [0],
// [1], [2, 3].)
TEST(BuildPlanTest, EqualFilesGoOneToEachMapTask) {
  TempDir dir;
  GenerateOptions g;
  g.output_dir = dir.path() + "/in";
  g.measurements = 8000;
  g.probes = 300;
  g.files = 4;
  ASSERT_TRUE(GenerateDataset(g).ok());
  DuckDbOptions o;
  o.threads = 1;
  absl::StatusOr<std::unique_ptr<DuckDb>> db = DuckDb::Open(o);
  ASSERT_TRUE(db.ok()) << db.status();
  BuildOptions options;
  options.inputs = {g.output_dir};
  options.output_dir = dir.path() + "/out";
  PlanSettings settings;
  settings.map_tasks = 4;
  SourceSchema schema;
  absl::StatusOr<BuildPlan> plan = MakePlan(db->get(), Env::Default(), options, settings, &schema);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->maps.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(plan->maps[i].size(), 1u) << "map task " << i;
    EXPECT_EQ(plan->maps[i][0].file, i);
    EXPECT_TRUE(plan->maps[i][0].whole);
    bool known = false;
    EXPECT_EQ(plan->MapRows(i, &known), 2000u);
    EXPECT_TRUE(known);
  }
}

// A JSON plan keeps the reader it detected (from every object: a pass over
// the input) and its tasks use it instead of detecting again: a kept reader
// that types `n` otherwise than the files do shows in the columns check.
TEST(BuildPlanTest, TasksReuseTheJsonReaderThePlanDetected) {
  TempDir dir;
  WriteFileOrDie(dir.path() + "/a.jsonl",
                 "{\"prb_id\": 1, \"timestamp\": 1, \"n\": 5}\n{\"prb_id\": 2, \"timestamp\": 2, \"n\": 6}\n");
  DuckDbOptions o;
  o.threads = 1;
  absl::StatusOr<std::unique_ptr<DuckDb>> db = DuckDb::Open(o);
  ASSERT_TRUE(db.ok()) << db.status();
  BuildOptions options;
  options.inputs = {dir.path() + "/a.jsonl"};
  options.output_dir = dir.path() + "/out";
  SourceSchema schema;
  absl::StatusOr<BuildPlan> plan = MakePlan(db->get(), Env::Default(), options, PlanSettings(), &schema);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->reader_options, "columns = {'prb_id': 'VARCHAR', 'timestamp': 'VARCHAR', 'n': 'VARCHAR'}");
  EXPECT_EQ(plan->strict_int_leaves, (std::vector<std::string>{"n", "prb_id", "timestamp"}));
  absl::StatusOr<BuildPlan> read = BuildPlan::FromJson(plan->ToJson(), "plan.json");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->reader_options, plan->reader_options);
  EXPECT_EQ(read->strict_int_leaves, plan->strict_int_leaves);
  absl::StatusOr<SourceSchema> task = ResolvePlannedSource(db->get(), Env::Default(), *read);
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->reader.options, plan->reader_options);
  read->reader_options = "columns = {'prb_id': 'VARCHAR', 'timestamp': 'VARCHAR', 'n': 'DOUBLE'}";
  task = ResolvePlannedSource(db->get(), Env::Default(), *read);
  EXPECT_EQ(task.status().code(), absl::StatusCode::kFailedPrecondition) << task.status();
}

// Everything of a schema the build uses, as text.
std::string SchemaText(const SourceSchema& s) {
  std::string out;
  for (const SourceColumn& c : s.columns) {
    out += fmt::format("{} {} physical={} type={} depth={} role={} hidden={} part={} filled={} strict={} mask={}\n",
                       c.name, c.input_type, static_cast<int>(c.physical), static_cast<int>(c.spec.type),
                       c.spec.list_depth, static_cast<int>(c.spec.role), c.spec.hidden, c.spec.key_part, c.filled,
                       c.strict_int, c.mask_of);
    for (const PathStep& step : c.path) out += fmt::format("  path {} {}\n", step.name, step.lists);
    out += fmt::format("  value {}\n  raw {}\n", c.value_sql, c.raw_sql);
  }
  out += fmt::format("order {} string key {} key {}\n", s.order_index, s.key_is_string, s.key_expr);
  out += fmt::format("select {}\nfrom {}\nreader {} {}\npreset {} | {} | {}\n", s.select_sql, s.from_clause,
                     static_cast<int>(s.reader.format), s.reader.options, s.preset, s.preset_select, s.preset_suffix);
  for (const std::string& f : s.files) out += "file " + f + "\n";
  return out;
}

BuildOptions PingOptions(const std::string& input, const std::string& reader) {
  BuildOptions options;
  options.inputs = {input};
  options.preset = "ripe-atlas-ping";
  options.json_reader = reader;
  return options;
}

// --json-reader native: the plan takes the preset's pinned columns without
// DuckDB reading the input, and the record size from the native reader's
// records. Both equal what the DuckDB path detects and samples over the files
// (the shared sample, every firmware shape, the generator's JSON, plain and
// .bz2), and so does the schema a task resolves from the plan.
TEST(BuildPlanTest, NativeReaderPlansAsDuckDbDetects) {
  TempDir dir;
  CommandResult unzipped = RunCommand("gzip -dc " + ShellQuote(TestdataDir() + "/ripe-atlas/ping.ndjson.gz"));
  ASSERT_EQ(unzipped.exit_code, 0) << unzipped.err;
  WriteFileOrDie(dir.path() + "/ping.ndjson", unzipped.out);
  WriteFileOrDie(dir.path() + "/ping-2024-05-01T0000.bz2", Bzip2(unzipped.out));
  std::vector<std::string> inputs = {dir.path() + "/ping.ndjson", dir.path() + "/ping-2024-05-01T0000.bz2",
                                     TestdataDir() + "/ripe-atlas/mixed-firmware-ping.jsonl"};
  for (const GenerateCompression compression : {GenerateCompression::kNone, GenerateCompression::kBzip2}) {
    GenerateOptions g;
    g.output_dir = dir.path() + fmt::format("/gen{}", static_cast<int>(compression));
    g.measurements = 3000;
    g.probes = 120;
    g.files = 3;
    g.format = GenerateFormat::kRipeAtlasPingJson;
    g.compression = compression;
    ASSERT_TRUE(GenerateDataset(g).ok());
    inputs.push_back(g.output_dir);
  }
  DuckDbOptions o;
  o.threads = 2;
  absl::StatusOr<std::unique_ptr<DuckDb>> db = DuckDb::Open(o);
  ASSERT_TRUE(db.ok()) << db.status();
  for (const std::string& input : inputs) {
    SourceSchema schemas[2];
    absl::StatusOr<BuildPlan> plans[2];
    const char* readers[2] = {"duckdb", "native"};
    for (int i = 0; i < 2; ++i) {
      plans[i] = MakePlan(db->get(), Env::Default(), PingOptions(input, readers[i]), PlanSettings(), &schemas[i]);
      ASSERT_TRUE(plans[i].ok()) << input << " " << readers[i] << ": " << plans[i].status();
    }
    EXPECT_EQ(SchemaText(schemas[1]), SchemaText(schemas[0])) << input;
    EXPECT_EQ(plans[1]->columns, plans[0]->columns) << input;
    EXPECT_EQ(plans[1]->reader_options, plans[0]->reader_options) << input;
    EXPECT_EQ(plans[1]->estimated_rows, plans[0]->estimated_rows) << input;
    EXPECT_EQ(plans[1]->record_bytes, plans[0]->record_bytes) << input;
    EXPECT_EQ(plans[1]->partition_bits, plans[0]->partition_bits) << input;
    absl::StatusOr<SourceSchema> task = ResolvePlannedSource(db->get(), Env::Default(), *plans[1]);
    ASSERT_TRUE(task.ok()) << input << ": " << task.status();
    EXPECT_EQ(SchemaText(*task), SchemaText(schemas[0])) << input;
  }
}

// ... and DuckDB reads none of the input: no .bz2 file is piped to it (the
// DuckDB path pipes each file to three statements), and a .bz2 file that is
// not bzip2 plans, with the default record size (the native map reports it,
// naming the file).
TEST(BuildPlanTest, NativeReaderPlanReadsNoInputThroughDuckDb) {
  TempDir dir;
  const std::string good = dir.path() + "/good";
  std::filesystem::create_directories(good);
  std::filesystem::create_directories(dir.path() + "/bad");
  WriteFileOrDie(good + "/ping-2024-05-01T0000.bz2",
                 Bzip2(R"({"fw":5020,"prb_id":7,"timestamp":1700000000,"msm_id":1,"sent":3,"rcvd":3,"result":[]})"
                       "\n"));
  const std::string bad = dir.path() + "/bad/ping-2024-05-01T0000.bz2";
  WriteFileOrDie(bad, "this is not bzip2\n");
  DuckDbOptions o;
  o.threads = 1;
  absl::StatusOr<std::unique_ptr<DuckDb>> db = DuckDb::Open(o);
  ASSERT_TRUE(db.ok()) << db.status();
  SourceSchema schema;
  uint64_t before = Bzip2Pipes::PipesOpened();
  absl::StatusOr<BuildPlan> plan =
      MakePlan(db->get(), Env::Default(), PingOptions(good, "native"), PlanSettings(), &schema);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Bzip2Pipes::PipesOpened(), before);
  absl::StatusOr<SourceSchema> task = ResolvePlannedSource(db->get(), Env::Default(), *plan);
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(Bzip2Pipes::PipesOpened(), before);
  ASSERT_TRUE(MakePlan(db->get(), Env::Default(), PingOptions(good, "duckdb"), PlanSettings(), &schema).ok());
  EXPECT_EQ(Bzip2Pipes::PipesOpened(), before + 3);

  before = Bzip2Pipes::PipesOpened();
  plan = MakePlan(db->get(), Env::Default(), PingOptions(bad, "native"), PlanSettings(), &schema);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->record_bytes, 256);
  EXPECT_EQ(schema.files, std::vector<std::string>{bad});
  EXPECT_EQ(Bzip2Pipes::PipesOpened(), before);
}

}  // namespace
}  // namespace proberows
