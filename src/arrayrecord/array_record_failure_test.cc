// Writer failures injected through the Env: the first error is reported,
// names the file, sticks, and leaves neither the file nor its temporary.
#include <string>

#include <gtest/gtest.h>

#include "proberows/array_record_writer.h"
#include "tests/test_util.h"
#include "util/fault_injection_env.h"

namespace proberows {
namespace {

bool DirIsEmpty(const std::string& dir) {
  auto children = Env::Default()->GetChildren(dir);
  EXPECT_TRUE(children.ok());
  return children.ok() && children->empty();
}

// Writes 2000 records of 1000 bytes; returns the first error.
absl::Status WriteSome(FaultInjectionEnv* env, const std::string& path, int num_threads) {
  auto writer =
      ArrayRecordWriter::Open(env, path, *ArrayRecordWriterOptions::FromString("snappy,group_size:4"), num_threads);
  if (!writer.ok()) return writer.status();
  absl::Status first;
  for (int i = 0; i < 2000 && first.ok(); ++i) {
    first = (*writer)->Write(std::string(1000, static_cast<char>('a' + i % 26)) + std::to_string(i));
  }
  if (!first.ok()) {
    // The writer stays failed with the same error.
    EXPECT_EQ((*writer)->Write("more"), first);
    EXPECT_EQ((*writer)->Close(), first);
    return first;
  }
  return (*writer)->Close();
}

TEST(ArrayRecordFailure, FullDiskAtEveryStage) {
  // Budgets hitting the signature, the first chunks, the middle, the footer
  // and postscript, and the very last byte of the file.
  FaultInjectionEnv probe;
  TempDir probe_dir;
  ASSERT_TRUE(WriteSome(&probe, probe_dir.path() + "/x", 1).ok());
  const uint64_t total = probe.bytes_appended();
  for (int num_threads : {1, 2}) {
    for (uint64_t budget : {uint64_t{0}, uint64_t{30}, uint64_t{64}, uint64_t{5000}, total / 2, total - 70000,
                            total - 65536, total - 1}) {
      TempDir dir;
      FaultInjectionEnv env;
      env.SetWriteBudget(budget);
      const std::string path = dir.path() + "/out.array_record";
      const absl::Status status = WriteSome(&env, path, num_threads);
      EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << budget << " " << status;
      EXPECT_NE(std::string(status.message()).find(path + ".tmp"), std::string::npos) << status;
      EXPECT_TRUE(DirIsEmpty(dir.path())) << budget;
    }
  }
}

TEST(ArrayRecordFailure, ErrorMessageNamesTheFile) {
  TempDir dir;
  FaultInjectionEnv env;
  env.SetWriteBudget(100);
  const std::string path = dir.path() + "/out.array_record";
  const absl::Status status = WriteSome(&env, path, 1);
  EXPECT_EQ(std::string(status.message()),
            "ArrayRecord writer '" + path + "': write '" + path + ".tmp': No space left on device (injected)");
}

TEST(ArrayRecordFailure, CloseAndRenameFailures) {
  for (bool fail_close : {true, false}) {
    TempDir dir;
    FaultInjectionEnv env;
    env.FailCloses(fail_close);
    env.FailRenames(!fail_close);
    const std::string path = dir.path() + "/out.array_record";
    const absl::Status status = WriteSome(&env, path, 2);
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
    const std::string what = fail_close ? "close '" + path + ".tmp'" : "rename '" + path + "'";
    EXPECT_NE(std::string(status.message()).find(what + ": No space left on device (injected)"), std::string::npos)
        << status;
    EXPECT_TRUE(DirIsEmpty(dir.path()));
  }
}

}  // namespace
}  // namespace proberows
