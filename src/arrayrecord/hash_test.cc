#include "arrayrecord/hash.h"

#include <string>

#include <gtest/gtest.h>

namespace proberows::arrayrecord {
namespace {

TEST(ArrayRecordHash, MatchesRiegeliVectors) {
  // From the format contract: the empty string, and the 16 bytes of the
  // signature's block header after its hash (previous 0, next 64).
  EXPECT_EQ(RiegeliHash(""), 0x72c3b1e9c0139fe1u);
  const std::string block_fields("\0\0\0\0\0\0\0\0\x40\0\0\0\0\0\0\0", 16);
  EXPECT_EQ(RiegeliHash(block_fields), 0x3f4a880dd170af83u);
}

TEST(ArrayRecordHash, DependsOnEveryByte) {
  std::string data(1000, 'x');
  const uint64_t base = RiegeliHash(data);
  data[999] = 'y';
  EXPECT_NE(RiegeliHash(data), base);
}

}  // namespace
}  // namespace proberows::arrayrecord
