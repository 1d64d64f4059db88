// Faults through the library API: a FaultInjectionEnv fails writes (ENOSPC)
// during spill, shard output, metadata and commit. Every failure must give a
// clear error naming the file, leave no temp or staging files, and leave a
// previous complete output byte-identical.
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "pipeline/output_transaction.h"
#include "proberows/generate.h"
#include "proberows/pipeline.h"
#include "tests/reliability_util.h"
#include "tests/test_util.h"
#include "util/fault_injection_env.h"
#include "util/status_macros.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;

class FaultTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    input_ = new TempDir();
    GenerateOptions g;
    g.output_dir = input_->path();
    g.measurements = 20000;
    g.probes = 600;
    g.files = 2;
    g.seed = 11;
    absl::StatusOr<GenerateResult> r = GenerateDataset(g);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  static void TearDownTestSuite() {
    delete input_;
    input_ = nullptr;
  }

  void SetUp() override {
    outs_ = root_.path() + "/outs";
    tmp_ = root_.path() + "/tmp";
    fs::create_directories(outs_);
    fs::create_directories(tmp_);
  }

  BuildOptions Options(Strategy strategy = Strategy::kStreaming) const {
    BuildOptions o;
    o.inputs = {input_->path() + "/*.parquet"};
    o.output_dir = outs_ + "/out";
    o.static_columns = {"prb_lat", "prb_lon", "prb_asn", "prb_country"};
    o.train_shards = 3;
    o.test_shards = 2;
    o.workers = 2;
    o.strategy = strategy;
    o.temp_dir = tmp_;
    o.progress = false;
    o.overwrite = true;
    o.array_record_options = "group_size:16,zstd:1";
    return o;
  }

  // Builds cleanly (the "previous complete output") and returns its bytes.
  std::map<std::string, std::string> BuildPrevious(const BuildOptions& o) {
    absl::StatusOr<BuildSummary> s = Build(o);
    EXPECT_TRUE(s.ok()) << s.status();
    return ReadTreeBytes(o.output_dir);
  }

  // Checks the invariants after a failed build: `status` is an error whose
  // message contains `needle`, the previous output is unchanged, and nothing
  // new is left in the output's parent or in the temp folder.
  void ExpectCleanFailure(const absl::Status& status, const std::string& needle,
                          const std::map<std::string, std::string>& previous, const std::set<std::string>& before) {
    ASSERT_FALSE(status.ok());
    EXPECT_NE(StatusMessage(status).find(needle), std::string::npos) << StatusMessage(status);
    EXPECT_EQ(ReadTreeBytes(outs_ + "/out"), previous);
    EXPECT_EQ(NewEntries(before, ListTree(root_.path())), "");
    EXPECT_TRUE(ListTree(tmp_).empty()) << NewEntries({}, ListTree(tmp_));
  }

  static TempDir* input_;
  TempDir root_;
  std::string outs_, tmp_;
};

TempDir* FaultTest::input_ = nullptr;

TEST_F(FaultTest, DiskFullDuringSpill) {
  const BuildOptions o = Options();
  const auto previous = BuildPrevious(o);
  const auto before = ListTree(root_.path());
  FaultInjectionEnv env;
  env.FailPathsContaining(".spill");
  absl::StatusOr<BuildSummary> s = Build(o, nullptr, &env);
  ExpectCleanFailure(s.status(), ".spill': No space left on device (injected)", previous, before);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_GT(env.injected_failures(), 0u);
}

TEST_F(FaultTest, DiskFullDuringShardOutput) {
  for (Strategy strategy : {Strategy::kStreaming, Strategy::kInMemory, Strategy::kSequential}) {
    SCOPED_TRACE(StrategyName(strategy));
    const BuildOptions o = Options(strategy);
    const auto previous = BuildPrevious(o);
    const auto before = ListTree(root_.path());
    FaultInjectionEnv env;
    env.FailPathsContaining("probes-train.array_record-00001");
    absl::StatusOr<BuildSummary> s = Build(o, nullptr, &env);
    ExpectCleanFailure(s.status(), "probes-train.array_record-00001-of-00003", previous, before);
    EXPECT_NE(StatusMessage(s.status()).find("No space left on device"), std::string::npos);
  }
}

TEST_F(FaultTest, DiskFullWritingMetadata) {
  const BuildOptions o = Options();
  const auto previous = BuildPrevious(o);
  const auto before = ListTree(root_.path());
  FaultInjectionEnv env;
  env.FailPathsContaining(kMetadataFileName);
  absl::StatusOr<BuildSummary> s = Build(o, nullptr, &env);
  ExpectCleanFailure(s.status(), "No space left on device (injected)", previous, before);
}

TEST_F(FaultTest, FailingRenamesLeaveNothingBehind) {
  const BuildOptions o = Options();
  const auto previous = BuildPrevious(o);
  const auto before = ListTree(root_.path());
  FaultInjectionEnv env;
  env.FailRenames(true);
  absl::StatusOr<BuildSummary> s = Build(o, nullptr, &env);
  ExpectCleanFailure(s.status(), "rename '", previous, before);
}

// Fails every append from the Nth on, for N spread over all the appends a
// clean build makes, and with byte budgets spread over its bytes.
TEST_F(FaultTest, DiskFullAtEveryStage) {
  const BuildOptions o = Options();
  const auto previous = BuildPrevious(o);
  FaultInjectionEnv counter;
  {
    BuildOptions again = o;
    absl::StatusOr<BuildSummary> s = Build(again, nullptr, &counter);
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_EQ(ReadTreeBytes(o.output_dir), previous);  // rebuilding is byte-identical
  }
  const uint64_t appends = counter.appends(), bytes = counter.bytes_appended();
  ASSERT_GT(appends, 10u);
  const auto before = ListTree(root_.path());
  constexpr int kPoints = 12;
  for (int i = 0; i < kPoints; ++i) {
    const uint64_t n = 1 + appends * static_cast<uint64_t>(i) / kPoints;
    SCOPED_TRACE("append " + std::to_string(n) + " of " + std::to_string(appends));
    FaultInjectionEnv env;
    env.FailAppendsFrom(n);
    absl::StatusOr<BuildSummary> s = Build(o, nullptr, &env);
    ExpectCleanFailure(s.status(), "No space left on device (injected)", previous, before);
  }
  for (int i = 0; i < kPoints; ++i) {
    const uint64_t budget = bytes * static_cast<uint64_t>(i) / kPoints;
    SCOPED_TRACE("budget " + std::to_string(budget) + " of " + std::to_string(bytes));
    FaultInjectionEnv env;
    env.SetWriteBudget(budget);
    absl::StatusOr<BuildSummary> s = Build(o, nullptr, &env);
    ExpectCleanFailure(s.status(), "No space left on device (injected)", previous, before);
  }
}

TEST_F(FaultTest, FirstBuildFailureLeavesNoOutputFolder) {
  BuildOptions o = Options();
  o.overwrite = false;
  const auto before = ListTree(root_.path());
  FaultInjectionEnv env;
  env.FailPathsContaining(".array_record");
  absl::StatusOr<BuildSummary> s = Build(o, nullptr, &env);
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(fs::exists(o.output_dir));
  EXPECT_EQ(NewEntries(before, ListTree(root_.path())), "");
  // And the next build, without faults, succeeds.
  absl::StatusOr<BuildSummary> ok = Build(o);
  EXPECT_TRUE(ok.ok()) << ok.status();
}

TEST_F(FaultTest, ConcurrentBuildIntoTheSameFolderIsRefused) {
  const BuildOptions o = Options();
  absl::StatusOr<std::unique_ptr<OutputTransaction>> holder =
      OutputTransaction::Begin(Env::Default(), o.output_dir, true);
  ASSERT_TRUE(holder.ok()) << holder.status();
  absl::StatusOr<BuildSummary> s = Build(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusMessage(s.status()), "another proberows build is writing to '" + o.output_dir + "' (lock file '" +
                                           outs_ + "/.out.proberows.lock' is held)");
  EXPECT_TRUE(fs::exists((*holder)->staging_dir()));  // the holder's staging folder is not touched
  holder->reset();
  absl::StatusOr<BuildSummary> ok = Build(o);
  EXPECT_TRUE(ok.ok()) << ok.status();
}

TEST_F(FaultTest, CancelledBuildLeavesNothing) {
  const BuildOptions o = Options();
  const auto previous = BuildPrevious(o);
  const auto before = ListTree(root_.path());
  BuildMonitor monitor;
  monitor.cancel = true;
  absl::StatusOr<BuildSummary> s = Build(o, &monitor);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kCancelled);
  ExpectCleanFailure(s.status(), "interrupted; no output was written", previous, before);
}

}  // namespace
}  // namespace proberows
