// OutputTransaction's lock file: held while a transaction is open (a second
// one on the same output is refused), and gone once it ends, committed or
// not, so finished builds leave nothing beside the output folder.
#include "pipeline/output_transaction.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "util/status_macros.h"

namespace proberows {
namespace {

namespace fs = std::filesystem;

std::set<std::string> Names(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

TEST(OutputTransactionTest, CommitLeavesOnlyTheOutput) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  {
    absl::StatusOr<std::unique_ptr<OutputTransaction>> t = OutputTransaction::Begin(Env::Default(), out, false);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_TRUE(fs::exists(dir.path() + "/.out.proberows.lock"));
    WriteFileOrDie((*t)->staging_dir() + "/" + kMetadataFileName, "{}");
    ASSERT_TRUE((*t)->Commit().ok());
  }
  EXPECT_EQ(Names(dir.path()), (std::set<std::string>{"out"}));
}

TEST(OutputTransactionTest, AbandonedTransactionLeavesNothing) {
  TempDir dir;
  {
    absl::StatusOr<std::unique_ptr<OutputTransaction>> t =
        OutputTransaction::Begin(Env::Default(), dir.path() + "/out", false);
    ASSERT_TRUE(t.ok()) << t.status();
  }
  EXPECT_EQ(Names(dir.path()), std::set<std::string>{});
}

TEST(OutputTransactionTest, SecondTransactionIsRefusedWhileTheFirstIsOpen) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  const std::string lock = dir.path() + "/.out.proberows.lock";
  absl::StatusOr<std::unique_ptr<OutputTransaction>> first = OutputTransaction::Begin(Env::Default(), out, false);
  ASSERT_TRUE(first.ok()) << first.status();
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<std::unique_ptr<OutputTransaction>> second = OutputTransaction::Begin(Env::Default(), out, false);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(StatusMessage(second.status()),
              "another proberows build is writing to '" + out + "' (lock file '" + lock + "' is held)");
  }
  // The refused attempts did not remove the holder's lock file.
  EXPECT_TRUE(fs::exists(lock));
  first->reset();
  EXPECT_FALSE(fs::exists(lock));

  // A process that opened the lock file before the holder removed it locks a
  // file no longer in the folder: that lock must not keep the next run out,
  // and the next run's lock must keep a third one out.
  absl::StatusOr<std::unique_ptr<OutputTransaction>> a = OutputTransaction::Begin(Env::Default(), out, false);
  ASSERT_TRUE(a.ok()) << a.status();
  const int stale = ::open(lock.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(stale, 0);
  a->reset();
  ASSERT_EQ(::flock(stale, LOCK_EX | LOCK_NB), 0);  // the unlinked file
  absl::StatusOr<std::unique_ptr<OutputTransaction>> b = OutputTransaction::Begin(Env::Default(), out, false);
  ASSERT_TRUE(b.ok()) << b.status();
  absl::StatusOr<std::unique_ptr<OutputTransaction>> c = OutputTransaction::Begin(Env::Default(), out, false);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  ::close(stale);
  b->reset();
  EXPECT_EQ(Names(dir.path()), std::set<std::string>{});
}

TEST(OutputTransactionTest, FailedBeginLeavesNothing) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  fs::create_directories(out);
  WriteFileOrDie(out + "/unrelated.txt", "x");
  absl::StatusOr<std::unique_ptr<OutputTransaction>> t = OutputTransaction::Begin(Env::Default(), out, true);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(Names(dir.path()), (std::set<std::string>{"out"}));
}

}  // namespace
}  // namespace proberows
