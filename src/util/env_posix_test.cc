// The POSIX Env's write buffering: small appends are buffered, big ones go
// straight to the file even right after a small one (a spill block's header),
// so that no open file holds a second copy of a big block.
#include <sys/stat.h>

#include <string>

#include <gtest/gtest.h>

#include "proberows/env.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

uint64_t SizeOnDisk(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<uint64_t>(st.st_size);
}

TEST(PosixEnv, BigAppendsAfterASmallOneAreWrittenThrough) {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  auto file = Env::Default()->NewWritableFile(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE((*file)->Append(std::string(16, 'h')).ok());
  EXPECT_EQ(SizeOnDisk(path), 0u);  // small: buffered
  ASSERT_TRUE((*file)->Append(std::string(256 << 10, 'd')).ok());
  EXPECT_EQ(SizeOnDisk(path), 16u + (256u << 10));  // big: the buffered header, then the block, on disk now
  ASSERT_TRUE((*file)->Append(std::string(100, 'x')).ok());
  EXPECT_EQ(SizeOnDisk(path), 16u + (256u << 10));
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(SizeOnDisk(path), 16u + (256u << 10) + 100u);
  EXPECT_EQ(ReadFileOrDie(path), std::string(16, 'h') + std::string(256 << 10, 'd') + std::string(100, 'x'));
}

TEST(PosixEnv, SmallAppendsAreBufferedUpToOneMiB) {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  auto file = Env::Default()->NewWritableFile(path);
  ASSERT_TRUE(file.ok());
  const std::string piece(1000, 'p');
  for (int i = 0; i < 1048; ++i) ASSERT_TRUE((*file)->Append(piece).ok());  // 1,048,000 bytes < 1 MiB
  EXPECT_EQ(SizeOnDisk(path), 0u);
  ASSERT_TRUE((*file)->Append(piece).ok());  // would pass 1 MiB: the buffer goes out first
  EXPECT_EQ(SizeOnDisk(path), 1048000u);
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(SizeOnDisk(path), 1049000u);
}

}  // namespace
}  // namespace proberows
