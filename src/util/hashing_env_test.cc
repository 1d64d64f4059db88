#include "util/hashing_env.h"

#include <fmt/format.h>

#include "gtest/gtest.h"
#include "pipeline/dataset_writer.h"
#include "tests/test_util.h"
#include "util/fault_injection_env.h"

namespace proberows {
namespace {

TEST(HashingEnvTest, DigestIsTheFilesXxh3AndFollowsRenames) {
  TempDir dir;
  HashingEnv env(Env::Default());
  const std::string tmp = dir.path() + "/a.tmp", final_path = dir.path() + "/a";
  {
    auto f = env.NewWritableFile(tmp);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append("hello ").ok());
    ASSERT_TRUE((*f)->Append(std::string(100000, 'x')).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }
  uint64_t digest = 0;
  ASSERT_TRUE(env.DigestOf(tmp, &digest));
  ASSERT_TRUE(env.RenameFile(tmp, final_path).ok());
  EXPECT_FALSE(env.DigestOf(tmp, &digest));
  ASSERT_TRUE(env.DigestOf(final_path, &digest));
  absl::StatusOr<std::string> read_back = FileXxh3(Env::Default(), final_path);
  ASSERT_TRUE(read_back.ok());
  EXPECT_EQ(fmt::format("{:016x}", digest), *read_back);
}

TEST(HashingEnvTest, NoDigestForAFileThatFailedToClose) {
  TempDir dir;
  FaultInjectionEnv faulty;
  faulty.FailCloses(true);
  HashingEnv env(&faulty);
  auto f = env.NewWritableFile(dir.path() + "/b");
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->Append("data").ok());
  EXPECT_FALSE((*f)->Close().ok());
  uint64_t digest = 0;
  EXPECT_FALSE(env.DigestOf(dir.path() + "/b", &digest));
}

}  // namespace
}  // namespace proberows
