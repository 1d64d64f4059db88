// Crashes and signals, end to end through the real binary: SIGKILL at several
// points (scan, spill, encode/write, just before commit), then a rerun of the
// same command must produce byte-identical output to a clean run and leave no
// leftovers; SIGINT/SIGTERM stop cleanly with exit 130 and a message; a second
// concurrent build into the same folder is refused by the lock.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "proberows/generate.h"
#include "tests/reliability_util.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A running `proberows` process (stdout/stderr to files).
class Child {
 public:
  Child(const std::string& args, const std::string& log_prefix) : out_(log_prefix + ".out"), err_(log_prefix + ".err") {
    const std::string cmd = "exec " + std::string(PROBEROWS_BINARY) + " " + args + " </dev/null >" + ShellQuote(out_) +
                            " 2>" + ShellQuote(err_);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && !done_) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
  }
  void Signal(int sig) { ::kill(pid_, sig); }
  // Exit code, or 128 + signal.
  int Wait() {
    if (done_) return code_;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    done_ = true;
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return code_;
  }
  bool Exited() {
    if (done_) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      done_ = true;
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return done_;
  }
  std::string err() const { return ReadFileOrDie(err_); }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
  bool done_ = false;
  int code_ = -1;
};

// Polls `cond` every millisecond until it holds, the child exits, or 60 s.
bool WaitFor(Child& child, const std::function<bool()>& cond) {
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    if (cond()) return true;
    if (child.Exited()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

bool AnyFileMatching(const std::string& dir, const std::string& needle) {
  for (const std::string& p : ListTree(dir))
    if (p.find(needle) != std::string::npos) return true;
  return false;
}

class KillTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    input_ = new TempDir();
    GenerateOptions g;
    g.output_dir = input_->path();
    g.measurements = 300000;
    g.probes = 3000;
    g.files = 3;
    g.seed = 5;
    absl::StatusOr<GenerateResult> r = GenerateDataset(g);
    ASSERT_TRUE(r.ok()) << r.status();
    reference_ = new TempDir();
    CommandResult c = RunProberows(Args(reference_->path() + "/out", reference_->path() + "/tmp"));
    ASSERT_EQ(c.exit_code, 0) << c.err;
    expected_ = new std::map<std::string, std::string>(ReadTreeBytes(reference_->path() + "/out"));
  }
  static void TearDownTestSuite() {
    delete expected_;
    delete reference_;
    delete input_;
  }
  static std::string Args(const std::string& out, const std::string& tmp) {
    fs::create_directories(tmp);
    return "build --no-progress --overwrite -i " + ShellQuote(input_->path() + "/*.parquet") + " -o " +
           ShellQuote(out) + " --temp-dir " + ShellQuote(tmp) +
           " --static-columns prb_lat,prb_lon,prb_asn,prb_country --train-shards 3 --test-shards 2 -j 2"
           " --array-record-options group_size:8,zstd:3";
  }

  void SetUp() override {
    out_ = root_.path() + "/outs/out";
    tmp_ = root_.path() + "/tmp";
    fs::create_directories(root_.path() + "/outs");
  }

  // Starts a build, waits for `when`, SIGKILLs it, then reruns the same
  // command and checks the output and the absence of leftovers.
  void KillAndRerun(const std::string& what, const std::function<bool()>& when) {
    SCOPED_TRACE(what);
    {
      Child child(Args(out_, tmp_), root_.path() + "/killed");
      const bool hit = WaitFor(child, when);
      child.Signal(SIGKILL);
      const int code = child.Wait();
      if (!hit)
        std::fprintf(stderr, "note: %s: the build finished (exit %d) before the kill point\n", what.c_str(), code);
    }
    CommandResult rerun = RunProberows(Args(out_, tmp_));
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    EXPECT_EQ(ReadTreeBytes(out_), *expected_);
    // Only the output folder remains beside it (the rerun also removed the
    // killed run's lock file); the temp folder is empty.
    std::set<std::string> beside;
    for (const auto& e : fs::directory_iterator(root_.path() + "/outs")) beside.insert(e.path().filename().string());
    EXPECT_EQ(beside, (std::set<std::string>{"out"}));
    EXPECT_TRUE(ListTree(tmp_).empty()) << NewEntries({}, ListTree(tmp_));
  }

  static TempDir* input_;
  static TempDir* reference_;
  static std::map<std::string, std::string>* expected_;
  TempDir root_;
  std::string out_, tmp_;
};

TempDir* KillTest::input_ = nullptr;
TempDir* KillTest::reference_ = nullptr;
std::map<std::string, std::string>* KillTest::expected_ = nullptr;

TEST_F(KillTest, KillDuringScanThenRerun) {
  KillAndRerun("scan", [&] { return AnyFileMatching(root_.path() + "/outs", "proberows-staging"); });
}

TEST_F(KillTest, KillDuringSpillThenRerun) {
  KillAndRerun("spill", [&] { return AnyFileMatching(tmp_, ".spill"); });
}

TEST_F(KillTest, KillDuringEncodeAndWriteThenRerun) {
  KillAndRerun("write", [&] { return AnyFileMatching(root_.path() + "/outs", ".array_record"); });
}

TEST_F(KillTest, KillAfterAPreviousOutputKeepsItUntilReplaced) {
  CommandResult first = RunProberows(Args(out_, tmp_));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  for (int delay_ms : {5, 40, 150, 400}) {
    KillAndRerun("after " + std::to_string(delay_ms) + " ms", [&, start = Clock::now()] {
      // The previous output stays complete while the new one is built.
      EXPECT_TRUE(fs::exists(out_ + "/proberows.json"));
      return Clock::now() - start > std::chrono::milliseconds(delay_ms);
    });
  }
}

TEST_F(KillTest, SigtermAndSigintStopCleanly) {
  for (int sig : {SIGTERM, SIGINT}) {
    SCOPED_TRACE(sig);
    const auto before = ListTree(root_.path() + "/outs");
    Child child(Args(out_, tmp_), root_.path() + "/signalled");
    ASSERT_TRUE(WaitFor(child, [&] { return AnyFileMatching(tmp_, ".spill"); }));
    child.Signal(sig);
    EXPECT_EQ(child.Wait(), 130);
    EXPECT_EQ(child.err(), "proberows: error: interrupted; no output was written\n");
    EXPECT_EQ(NewEntries(before, ListTree(root_.path() + "/outs")), "");
    EXPECT_TRUE(ListTree(tmp_).empty()) << NewEntries({}, ListTree(tmp_));
  }
}

TEST_F(KillTest, SecondConcurrentBuildIsRefused) {
  Child child(Args(out_, tmp_), root_.path() + "/first");
  ASSERT_TRUE(WaitFor(child, [&] { return AnyFileMatching(root_.path() + "/outs", "proberows-staging"); }));
  CommandResult second = RunProberows(Args(out_, root_.path() + "/tmp2"));
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_EQ(second.err, "proberows: error: another proberows build is writing to '" + out_ + "' (lock file '" +
                            root_.path() + "/outs/.out.proberows.lock' is held)\n");
  EXPECT_EQ(child.Wait(), 0) << child.err();
  EXPECT_EQ(ReadTreeBytes(out_), *expected_);
  EXPECT_FALSE(fs::exists(root_.path() + "/outs/.out.proberows.lock"));
}

}  // namespace
}  // namespace proberows
