// The stages of a distributed build (include/proberows/stages.h): the output
// folder equals `Build()`'s byte for byte whatever the task counts; every
// task reads its share and can be rerun alone; a missing, partial, damaged
// or stale task output is refused with one line naming the task and file.
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "gtest/gtest.h"
#include "pipeline/work_folder.h"
#include "proberows/generate.h"
#include "proberows/pipeline.h"
#include "proberows/stages.h"
#include "source/duckdb_handle.h"
#include "tests/reliability_util.h"
#include "tests/test_util.h"
#include "util/status_macros.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;

// Names of everything under `dir`, relative.
std::set<std::string> ListAll(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.insert(fs::relative(e.path(), dir).string());
  return out;
}

class DistributedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    GenerateOptions g;
    g.output_dir = dir_->path() + "/three";
    g.measurements = 20000;
    g.probes = 700;
    g.files = 3;
    g.seed = 11;
    ASSERT_TRUE(GenerateDataset(g).ok());
    // One file of many row groups, so that map tasks share it by row ranges.
    DuckDbOptions o;
    o.threads = 1;
    auto db = DuckDb::Open(o);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Execute("COPY (SELECT * FROM read_parquet('" + dir_->path() +
                              "/three/*.parquet') ORDER BY timestamp, prb_id) TO '" + OneFile() +
                              "' (FORMAT parquet, ROW_GROUP_SIZE 2048)")
                    .ok());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string OneFile() { return dir_->path() + "/one.parquet"; }

  BuildOptions Options(const std::string& out, bool one_file) {
    BuildOptions o;
    o.inputs = {one_file ? OneFile() : dir_->path() + "/three"};
    o.output_dir = out;
    o.static_columns = {"prb_lat", "prb_lon", "prb_asn", "prb_country"};
    o.train_shards = 3;
    o.test_shards = 2;
    o.progress = false;
    o.workers = 2;
    return o;
  }

  // Runs every stage of a maps x reduces build in `work`.
  absl::StatusOr<BuildSummary> RunAll(const BuildOptions& o, const std::string& work, int maps, int reduces) {
    PlanStageOptions p;
    p.map_tasks = maps;
    p.reduce_tasks = reduces;
    p.reduce_memory_limit_bytes = 256ull << 20;
    RETURN_IF_ERROR(PlanStage(o, work, p).status());
    StageOptions t;
    t.workers = 2;
    t.memory_limit_bytes = 256ull << 20;
    for (int i = 0; i < maps; ++i) RETURN_IF_ERROR(MapStage(work, i, t).status());
    RETURN_IF_ERROR(SplitStage(work, t).status());
    for (int j = 0; j < reduces; ++j) RETURN_IF_ERROR(ReduceStage(work, j, t).status());
    FinalizeStageOptions f;
    f.memory_limit_bytes = t.memory_limit_bytes;
    return FinalizeStage(work, f);
  }

  static TempDir* dir_;
  TempDir tmp_;
};

TempDir* DistributedTest::dir_ = nullptr;

TEST_F(DistributedTest, OutputEqualsBuildForEveryTaskCount) {
  for (bool one_file : {true, false}) {
    for (bool auto_shards : {false, true}) {
      BuildOptions ref = Options(tmp_.path() + "/ref", one_file);
      if (auto_shards) ref.train_shards = ref.test_shards = 0;
      ref.overwrite = true;
      ASSERT_TRUE(Build(ref).ok());
      const auto expected = ReadTreeBytes(ref.output_dir);
      ASSERT_EQ(expected.size(), auto_shards ? 5u : 8u);
      for (auto [maps, reduces] : {std::pair{1, 1}, {3, 2}, {8, 5}}) {
        SCOPED_TRACE(fmt::format("{} map x {} reduce tasks, {}, {} shards", maps, reduces,
                                 one_file ? "one file" : "three files", auto_shards ? "automatic" : "3+2"));
        BuildOptions o = ref;
        o.output_dir = tmp_.path() + fmt::format("/out-{}x{}-{}{}", maps, reduces, one_file, auto_shards);
        const std::string work = tmp_.path() + fmt::format("/work-{}x{}-{}{}", maps, reduces, one_file, auto_shards);
        absl::StatusOr<BuildSummary> s = RunAll(o, work, maps, reduces);
        ASSERT_TRUE(s.ok()) << s.status();
        EXPECT_EQ(s->input_measurements, 20000u);
        EXPECT_EQ(s->keys, 700u);
        const auto got = ReadTreeBytes(o.output_dir);
        ASSERT_EQ(got.size(), expected.size());
        for (const auto& [name, bytes] : expected) {
          ASSERT_TRUE(got.count(name)) << name;
          EXPECT_TRUE(got.at(name) == bytes) << name << " differs";
        }
        // Published: only the plan and the manifests stay in the work folder.
        for (const std::string& f : ListAll(work)) EXPECT_TRUE(f.ends_with(".json")) << f;
        fs::remove_all(o.output_dir);
      }
    }
  }
}

TEST_F(DistributedTest, MapTasksShareTheInputOnce) {
  const std::string work = tmp_.path() + "/w";
  PlanStageOptions p;
  p.map_tasks = 8;
  ASSERT_TRUE(PlanStage(Options(tmp_.path() + "/o", true), work, p).ok());
  WorkFolder wf(Env::Default(), work);
  absl::StatusOr<BuildPlan> plan = wf.LoadPlan();
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->inputs.size(), 1u);
  EXPECT_EQ(plan->inputs[0].rows, 20000u);
  // Row ranges: disjoint, in order, covering every row, none empty.
  uint64_t next = 0;
  for (const auto& units : plan->maps) {
    ASSERT_EQ(units.size(), 1u);
    ASSERT_FALSE(units[0].whole);
    EXPECT_EQ(units[0].row_begin, next);
    EXPECT_GT(units[0].row_end, units[0].row_begin);
    next = units[0].row_end;
  }
  EXPECT_EQ(next, 20000u);
  StageOptions t;
  t.memory_limit_bytes = 256ull << 20;
  uint64_t rows = 0;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(MapStage(work, i, t).ok());
    absl::StatusOr<MapResult> m = wf.LoadMap(*plan, i);
    ASSERT_TRUE(m.ok()) << m.status();
    bool known = false;
    EXPECT_EQ(m->rows, plan->MapRows(i, &known));
    EXPECT_TRUE(known);
    rows += m->rows;
  }
  EXPECT_EQ(rows, 20000u);
}

TEST_F(DistributedTest, RerunningATaskReplacesOnlyItsOwnOutput) {
  const std::string work = tmp_.path() + "/w";
  BuildOptions o = Options(tmp_.path() + "/o", false);
  PlanStageOptions p;
  p.map_tasks = 3;
  p.reduce_tasks = 2;
  ASSERT_TRUE(PlanStage(o, work, p).ok());
  StageOptions t;
  t.memory_limit_bytes = 256ull << 20;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(MapStage(work, i, t).ok());
  const std::string m0 = ReadFileOrDie(work + "/map-00000-of-00003.json");
  const std::string m1 = ReadFileOrDie(work + "/map-00001-of-00003.json");
  const std::set<std::string> attempts_before = ListAll(work + "/map-00001-of-00003");
  // A killed earlier attempt left files but no manifest.
  fs::create_directories(work + "/map-00002-of-00003/killed-1-0");
  WriteFileOrDie(work + "/map-00002-of-00003/killed-1-0/t0.spill", "half a block");
  ASSERT_TRUE(MapStage(work, 1, t).ok());
  ASSERT_TRUE(MapStage(work, 2, t).ok());
  EXPECT_EQ(ReadFileOrDie(work + "/map-00000-of-00003.json"), m0);  // not touched
  EXPECT_NE(ReadFileOrDie(work + "/map-00001-of-00003.json"), m1);  // a new attempt
  EXPECT_EQ(fs::exists(work + "/map-00002-of-00003/killed-1-0"), false);
  for (const std::string& a : attempts_before)
    if (a.find('/') == std::string::npos) {
      EXPECT_FALSE(fs::exists(work + "/map-00001-of-00003/" + a)) << a;
    }
  ASSERT_TRUE(SplitStage(work, t).ok());
  for (int j = 0; j < 2; ++j) ASSERT_TRUE(ReduceStage(work, j, t).ok());
  ASSERT_TRUE(ReduceStage(work, 1, t).ok());  // twice
  ASSERT_TRUE(FinalizeStage(work, {}).ok());
  BuildOptions ref = o;
  ref.output_dir = tmp_.path() + "/ref";
  ASSERT_TRUE(Build(ref).ok());
  EXPECT_EQ(ReadTreeBytes(o.output_dir), ReadTreeBytes(ref.output_dir));
}

class DistributedRefusalTest : public DistributedTest {
 protected:
  void SetUp() override {
    work_ = tmp_.path() + "/w";
    PlanStageOptions p;
    p.map_tasks = 3;
    p.reduce_tasks = 2;
    ASSERT_TRUE(PlanStage(Options(tmp_.path() + "/o", false), work_, p).ok());
    t_.memory_limit_bytes = 256ull << 20;
  }
  void MapAll() {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(MapStage(work_, i, t_).ok());
  }
  // The first spill file of map task `i`.
  std::string SpillOf(int i) {
    for (const auto& e : fs::recursive_directory_iterator(work_ + fmt::format("/map-{:05d}-of-00003", i)))
      if (e.path().extension() == ".spill") return e.path().string();
    return "";
  }
  std::string work_;
  StageOptions t_;
};

TEST_F(DistributedRefusalTest, MissingMapOutput) {
  ASSERT_TRUE(MapStage(work_, 0, t_).ok());
  ASSERT_TRUE(MapStage(work_, 1, t_).ok());
  absl::StatusOr<StageSummary> s = SplitStage(work_, t_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(StatusMessage(s.status()),
            "map task 2 has no output ('" + work_ + "/map-00002-of-00003.json' is missing); run it");
}

TEST_F(DistributedRefusalTest, PartialMapOutput) {
  MapAll();
  ASSERT_TRUE(SplitStage(work_, t_).ok());
  const std::string spill = SpillOf(1);
  const uint64_t size = fs::file_size(spill);
  fs::resize_file(spill, size / 2);
  absl::StatusOr<StageSummary> s = ReduceStage(work_, 0, t_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(StatusMessage(s.status()),
            fmt::format("map task 1 ('{}/map-00001-of-00003.json'): file '{}' is {} bytes, {} when written (partial "
                        "or replaced); rerun map task 1",
                        work_, spill, size / 2, size));
}

TEST_F(DistributedRefusalTest, DamagedMapOutput) {
  MapAll();
  ASSERT_TRUE(SplitStage(work_, t_).ok());
  const std::string spill = SpillOf(2);
  std::string bytes = ReadFileOrDie(spill);
  bytes[bytes.size() / 2] ^= 0x20;
  WriteFileOrDie(spill, bytes);
  absl::Status st = ReduceStage(work_, 0, t_).status();
  if (st.ok()) st = ReduceStage(work_, 1, t_).status();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(StatusMessage(st).find("spill file '" + spill + "': checksum mismatch in block at offset"),
            std::string::npos)
      << StatusMessage(st);
  // Nothing of the failed attempt is left.
  for (const std::string& f : ListAll(work_)) EXPECT_EQ(f.find("reduce-00001-of-00002/"), std::string::npos) << f;
}

TEST_F(DistributedRefusalTest, StaleOutputsAndOtherPlans) {
  MapAll();
  // Another plan into the same folder is refused...
  BuildOptions other = Options(tmp_.path() + "/o", false);
  other.test_fraction = 0.2;
  PlanStageOptions p;
  p.map_tasks = 3;
  p.reduce_tasks = 2;
  absl::StatusOr<StageSummary> refused = PlanStage(other, work_, p);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(StatusMessage(refused.status())
                .find("work folder '" + work_ + "' holds a plan for other inputs or options (plan "),
            std::string::npos)
      << StatusMessage(refused.status());
  // ... the same plan again keeps the finished tasks...
  absl::StatusOr<StageSummary> same = PlanStage(Options(tmp_.path() + "/o", false), work_, p);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_NE(same->line.find("(unchanged: finished tasks are kept)"), std::string::npos);
  EXPECT_TRUE(fs::exists(work_ + "/map-00000-of-00003.json"));
  // ... and a manifest of another plan is stale.
  const std::string other_work = tmp_.path() + "/w2";
  ASSERT_TRUE(PlanStage(other, other_work, p).ok());
  ASSERT_TRUE(MapStage(other_work, 0, t_).ok());
  fs::copy_file(other_work + "/map-00000-of-00003.json", work_ + "/map-00000-of-00003.json",
                fs::copy_options::overwrite_existing);
  WorkFolder a(Env::Default(), work_), b(Env::Default(), other_work);
  const std::string id_a = a.LoadPlan()->id, id_b = b.LoadPlan()->id;
  absl::StatusOr<StageSummary> s = SplitStage(work_, t_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(StatusMessage(s.status()), "map task 0 ('" + work_ +
                                           "/map-00000-of-00003.json') was made for another plan (" + id_b + ", not " +
                                           id_a + "); rerun it");
  // --replace discards the old plan and its outputs.
  p.replace = true;
  ASSERT_TRUE(PlanStage(other, work_, p).ok());
  EXPECT_FALSE(fs::exists(work_ + "/map-00001-of-00003.json"));
}

TEST_F(DistributedRefusalTest, InputChangedSincePlan) {
  const std::string file = dir_->path() + "/three/part-00001-of-00003.parquet";
  const std::string bytes = ReadFileOrDie(file);
  WriteFileOrDie(file, bytes + "x");
  absl::StatusOr<StageSummary> s = MapStage(work_, 1, t_);
  WriteFileOrDie(file, bytes);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(StatusMessage(s.status()),
            fmt::format("input file '{}' changed since the plan was made (size {} -> {} bytes); make a new plan", file,
                        bytes.size(), bytes.size() + 1));
}

TEST_F(DistributedRefusalTest, TaskOutOfRangeAndDamagedShard) {
  absl::StatusOr<StageSummary> s = MapStage(work_, 3, t_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(StatusMessage(s.status()), "map task 3 does not exist: the plan has 3 map task(s), numbered 0 to 2");
  MapAll();
  ASSERT_TRUE(SplitStage(work_, t_).ok());
  ASSERT_TRUE(ReduceStage(work_, 0, t_).ok());
  absl::StatusOr<BuildSummary> early = FinalizeStage(work_, {});
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(StatusMessage(early.status()),
            "reduce task 1 has no output ('" + work_ + "/reduce-00001-of-00002.json' is missing); run it");
  ASSERT_TRUE(ReduceStage(work_, 1, t_).ok());
  std::string shard;
  for (const auto& e : fs::recursive_directory_iterator(work_ + "/reduce-00001-of-00002"))
    if (e.path().filename().string().find("train.array_record-00001") != std::string::npos) shard = e.path();
  ASSERT_FALSE(shard.empty());
  std::string bytes = ReadFileOrDie(shard);
  bytes[100] ^= 1;
  WriteFileOrDie(shard, bytes);
  absl::StatusOr<BuildSummary> f = FinalizeStage(work_, {});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(StatusMessage(f.status())
                .find("reduce task 1 ('" + work_ + "/reduce-00001-of-00002.json'): shard file '" + shard +
                      "' is damaged (XXH3 "),
            std::string::npos)
      << StatusMessage(f.status());
  EXPECT_FALSE(fs::exists(tmp_.path() + "/o"));  // nothing published
}

// The commands, through the binary, with task indices from the environment
// as Kubernetes Indexed Jobs and Slurm job arrays give them.
TEST_F(DistributedTest, CommandsThroughTheBinary) {
  const std::string work = tmp_.path() + "/w", out = tmp_.path() + "/o";
  const std::string common = " --static-columns prb_lat,prb_lon,prb_asn,prb_country --train-shards 3 --test-shards 2";
  CommandResult r = RunProberows("plan -w " + work + " -i " + dir_->path() + "/three -o " + out + common +
                                 " --map-tasks 2 --reduce-tasks 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("proberows plan ")) << r.out;
  r = RunCommand("JOB_COMPLETION_INDEX=1 " + std::string(PROBEROWS_BINARY) + " map -w " + work + " auto -m 256MB");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("proberows map 1/2: ")) << r.out;
  r = RunCommand("SLURM_ARRAY_TASK_ID=0 " + std::string(PROBEROWS_BINARY) + " map -w " + work + " auto");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunProberows("status -w " + work);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("split                    not done: the split stage has not run"), std::string::npos) << r.out;
  // Tasks are named as the commands name them.
  EXPECT_NE(r.out.find("\n  map 0/2                  done in "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  map 1/2                  done in "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  reduce 1/2               not done: "), std::string::npos) << r.out;
  r = RunProberows("reduce -w " + work + " 0/3");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "proberows: error: task '0/3': the plan has 2 reduce task(s), not 3\n");
  ASSERT_EQ(RunProberows("split -w " + work).exit_code, 0);
  ASSERT_EQ(RunProberows("reduce -w " + work + " 0/2").exit_code, 0);
  ASSERT_EQ(RunProberows("reduce -w " + work + " 1").exit_code, 0);
  r = RunProberows("finalize -w " + work);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("20000 measurements -> 700 rows"), std::string::npos) << r.out;
  r = RunProberows("status -w " + work);
  EXPECT_NE(r.out.find("6 of 6 tasks done"), std::string::npos) << r.out;
  const std::string ref = tmp_.path() + "/ref";
  ASSERT_EQ(RunProberows("build -i " + dir_->path() + "/three -o " + ref + common).exit_code, 0);
  EXPECT_EQ(ReadTreeBytes(out), ReadTreeBytes(ref));
}

}  // namespace
}  // namespace proberows
