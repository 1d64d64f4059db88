#include "util/byte_buffer.h"

#include <cstring>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace proberows {
namespace {

TEST(ByteBufferTest, ExtendAppendsAndKeepsContentsAcrossGrowth) {
  ByteBuffer b;
  EXPECT_TRUE(b.empty());
  std::string expected;
  for (int i = 0; i < 300; ++i) {
    const std::string piece(static_cast<size_t>(i % 37) + 1, static_cast<char>('a' + i % 26));
    char* p = b.Extend(piece.size());
    std::memcpy(p, piece.data(), piece.size());
    expected += piece;
    ASSERT_EQ(b.size(), expected.size());
    ASSERT_GE(b.capacity(), b.size());
  }
  EXPECT_EQ(b.view(), expected);
  // Extend(0) adds nothing and points just past the contents.
  EXPECT_EQ(b.Extend(0), b.data() + expected.size());
  EXPECT_EQ(b.view(), expected);
}

TEST(ByteBufferTest, ClearKeepsCapacityAndReserveDiscardingOnlyGrows) {
  ByteBuffer b;
  b.ReserveDiscarding(1000);
  EXPECT_EQ(b.capacity(), 1000u);
  std::memcpy(b.Extend(5), "hello", 5);
  const char* block = b.data();
  // Enough room already: contents and block stay.
  b.ReserveDiscarding(800);
  EXPECT_EQ(b.view(), "hello");
  EXPECT_EQ(b.data(), block);
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.capacity(), 1000u);
  // Within the capacity, Extend does not move the block.
  b.Extend(1000);
  EXPECT_EQ(b.data(), block);
  // Growing drops the contents.
  b.ReserveDiscarding(5000);
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.capacity(), 5000u);
}

TEST(ByteBufferTest, MovedFromBufferIsEmptyAndUsable) {
  ByteBuffer a;
  std::memcpy(a.Extend(3), "abc", 3);
  ByteBuffer b(std::move(a));
  EXPECT_EQ(b.view(), "abc");
  EXPECT_EQ(a.size(), 0u);      // NOLINT(bugprone-use-after-move): the documented state
  EXPECT_EQ(a.capacity(), 0u);  // NOLINT(bugprone-use-after-move)
  std::memcpy(a.Extend(2), "de", 2);
  EXPECT_EQ(a.view(), "de");
  ByteBuffer c;
  c = std::move(b);
  EXPECT_EQ(c.view(), "abc");
  EXPECT_EQ(b.capacity(), 0u);  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace proberows
