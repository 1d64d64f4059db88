#include "arrayrecord/compression.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "util/varint.h"

namespace proberows::arrayrecord {
namespace {

std::string SomeData(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    // Compressible: short runs of a few symbols mixed with random bytes.
    const int kind = static_cast<int>(rng() % 3);
    const size_t run = 1 + rng() % 20;
    for (size_t i = 0; i < run && out.size() < n; ++i) {
      out.push_back(kind == 0 ? 'a' : kind == 1 ? static_cast<char>('0' + i % 10) : static_cast<char>(rng()));
    }
  }
  return out;
}

const CompressionParams kAll[] = {{CompressionType::kNone, 0, std::nullopt},   {CompressionType::kZstd, 3, 20},
                                  {CompressionType::kZstd, -5, std::nullopt},  {CompressionType::kZstd, 19, 27},
                                  {CompressionType::kBrotli, 6, std::nullopt}, {CompressionType::kBrotli, 1, 26},
                                  {CompressionType::kSnappy, 0, std::nullopt}};

TEST(ArrayRecordCompression, RoundTripsAllTypesAndSizes) {
  for (const CompressionParams& params : kAll) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{70000}, size_t{1} << 20}) {
      const std::string data = SomeData(n, static_cast<uint32_t>(n));
      std::string stored = "prefix";
      ASSERT_TRUE(CompressBuffer(params, data, &stored).ok());
      ASSERT_EQ(stored.substr(0, 6), "prefix");
      std::string scratch;
      std::string_view out;
      const absl::Status status =
          DecompressBuffer(static_cast<uint8_t>(params.type), std::string_view(stored).substr(6), n, &scratch, &out);
      ASSERT_TRUE(status.ok()) << CompressionTypeName(static_cast<uint8_t>(params.type)) << " " << n << ": " << status;
      EXPECT_TRUE(out == data);
      if (params.type != CompressionType::kNone) {
        std::string_view rest = std::string_view(stored).substr(6);
        uint64_t declared = 0;
        ASSERT_TRUE(GetVarint64(&rest, &declared));
        EXPECT_EQ(declared, n);
        if (n >= 70000) {
          EXPECT_LT(stored.size(), n);
        }
      }
    }
  }
}

TEST(ArrayRecordCompression, DeterministicOutput) {
  const std::string data = SomeData(200000, 7);
  for (const CompressionParams& params : kAll) {
    std::string a, b;
    ASSERT_TRUE(CompressBuffer(params, data, &a).ok());
    ASSERT_TRUE(CompressBuffer(params, SomeData(5000, 1), &b).ok());  // reuse of the thread's context
    b.clear();
    ASSERT_TRUE(CompressBuffer(params, data, &b).ok());
    EXPECT_TRUE(a == b);
  }
}

TEST(ArrayRecordCompression, RejectsWrongLengthsAndGarbage) {
  const std::string data = SomeData(5000, 3);
  for (const CompressionParams& params : kAll) {
    if (params.type == CompressionType::kNone) continue;
    const auto type = static_cast<uint8_t>(params.type);
    std::string stored;
    ASSERT_TRUE(CompressBuffer(params, data, &stored).ok());
    std::string_view body = stored;
    uint64_t declared = 0;
    ASSERT_TRUE(GetVarint64(&body, &declared));
    std::string scratch;
    std::string_view out;
    // Declared length larger than allowed.
    EXPECT_EQ(DecompressBuffer(type, stored, 4999, &scratch, &out).code(), absl::StatusCode::kDataLoss);
    // Declared length one less / one more than the data.
    for (uint64_t wrong : {declared - 1, declared + 1, uint64_t{1} << 40}) {
      std::string relabeled;
      PutVarint64(&relabeled, wrong);
      relabeled.append(body);
      const absl::Status status = DecompressBuffer(type, relabeled, uint64_t{1} << 41, &scratch, &out);
      EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << CompressionTypeName(type) << " " << wrong;
      EXPECT_LT(scratch.capacity(), size_t{64} << 20);  // never allocated the declared terabyte
    }
    // Truncated stream and flipped bytes.
    EXPECT_EQ(DecompressBuffer(type, stored.substr(0, stored.size() / 2), 1 << 20, &scratch, &out).code(),
              absl::StatusCode::kDataLoss);
    std::mt19937 rng(11);
    for (int i = 0; i < 200; ++i) {
      std::string damaged = stored;
      damaged[1 + rng() % (damaged.size() - 1)] ^= static_cast<char>(1 + rng() % 255);
      const absl::Status status = DecompressBuffer(type, damaged, 1 << 20, &scratch, &out);
      if (status.ok()) {
        EXPECT_EQ(out.size(), declared);  // snappy/brotli may decode garbage; the chunk hash catches it
      } else {
        EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
      }
    }
  }
  std::string scratch;
  std::string_view out;
  const absl::Status unknown = DecompressBuffer('x', "abc", 10, &scratch, &out);
  EXPECT_EQ(std::string(unknown.message()), "unknown compression type 0x78");
  EXPECT_EQ(std::string(DecompressBuffer(0, "abcdef", 3, &scratch, &out).message()),
            "uncompressed buffer of 6 bytes exceeds the expected 3");
}

}  // namespace
}  // namespace proberows::arrayrecord
