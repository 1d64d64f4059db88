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

}  // namespace
}  // namespace proberows
