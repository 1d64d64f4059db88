// MakePlan: how map tasks share the input.
#include "plan/build_plan.h"

#include "gtest/gtest.h"
#include "proberows/generate.h"
#include "source/duckdb_handle.h"
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

}  // namespace
}  // namespace proberows
