#include <string>

#include <gtest/gtest.h>

#include "proberows/array_record_options.h"

namespace proberows {
namespace {

std::string Canonical(std::string_view text) {
  auto options = ArrayRecordWriterOptions::FromString(text);
  EXPECT_TRUE(options.ok()) << text << ": " << options.status();
  return options.ok() ? options->ToString() : "";
}

std::string Error(std::string_view text) {
  auto options = ArrayRecordWriterOptions::FromString(text);
  EXPECT_FALSE(options.ok()) << text;
  if (options.ok()) return "";
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(options.status().message());
}

TEST(ArrayRecordOptions, Defaults) {
  const ArrayRecordWriterOptions defaults;
  EXPECT_EQ(defaults.ToString(), "group_size:1,transpose:false,pad_to_block_boundary:false,zstd:3,window_log:20");
  EXPECT_EQ(Canonical(""), defaults.ToString());
  EXPECT_EQ(Canonical("default"), defaults.ToString());
  EXPECT_EQ(Canonical("group_size:1,zstd:3,window_log:20"), defaults.ToString());
  auto parsed = *ArrayRecordWriterOptions::FromString("");
  EXPECT_EQ(parsed.group_size, 1);
  EXPECT_EQ(parsed.compression, ArrayRecordWriterOptions::Compression::kZstd);
  EXPECT_EQ(parsed.level, 3);
  EXPECT_EQ(parsed.window_log, 20);
  EXPECT_FALSE(parsed.pad_to_block_boundary);
  EXPECT_FALSE(parsed.max_parallelism.has_value());
}

TEST(ArrayRecordOptions, CanonicalStrings) {
  EXPECT_EQ(Canonical("group_size:1,uncompressed,max_parallelism:1"),
            "group_size:1,transpose:false,pad_to_block_boundary:false,uncompressed,max_parallelism:1");
  EXPECT_EQ(Canonical("zstd:3,group_size:1,max_parallelism:8"),
            "group_size:1,transpose:false,pad_to_block_boundary:false,zstd:3,window_log:20,max_parallelism:8");
  EXPECT_EQ(Canonical("group_size:64,brotli"), "group_size:64,transpose:false,pad_to_block_boundary:false,brotli:6");
  EXPECT_EQ(Canonical("brotli:9,window_log:24"),
            "group_size:1,transpose:false,pad_to_block_boundary:false,brotli:9,window_log:24");
  EXPECT_EQ(Canonical("brotli,window_log:auto"), "group_size:1,transpose:false,pad_to_block_boundary:false,brotli:6");
  EXPECT_EQ(Canonical("snappy,pad_to_block_boundary"),
            "group_size:1,transpose:false,pad_to_block_boundary:true,snappy");
  EXPECT_EQ(Canonical("zstd,pad_to_block_boundary:false"),
            "group_size:1,transpose:false,pad_to_block_boundary:false,zstd:3,window_log:20");
  EXPECT_EQ(Canonical("zstd:-5,window_log:auto"),
            "group_size:1,transpose:false,pad_to_block_boundary:false,zstd:-5,window_log:20");
  EXPECT_EQ(Canonical("window_log:25"),  // no compressor named: zstd:3 is added
            "group_size:1,transpose:false,pad_to_block_boundary:false,zstd:3,window_log:25");
  EXPECT_EQ(Canonical("transpose:false,uncompressed,max_parallelism:auto"),
            "group_size:1,transpose:false,pad_to_block_boundary:false,uncompressed,max_parallelism:auto");
  EXPECT_EQ(Canonical("group_size:1000,,zstd:22,saturation_delay_ms:5,transpose_bucket_size:1M"),
            "group_size:1000,transpose:false,pad_to_block_boundary:false,zstd:22,window_log:20");
  // A canonical string parses back to itself.
  const std::string text = "group_size:7,transpose:false,pad_to_block_boundary:true,brotli:2,window_log:30";
  EXPECT_EQ(Canonical(text), text);
}

TEST(ArrayRecordOptions, UnknownOption) {
  EXPECT_EQ(Error("group_size:2,compression:zstd"),
            "invalid ArrayRecord writer options \"group_size:2,compression:zstd\": Unknown option compression, valid "
            "options: default, group_size, max_parallelism, saturation_delay_ms, transpose, transpose_bucket_size, "
            "uncompressed, brotli, zstd, snappy, window_log, pad_to_block_boundary");
}

TEST(ArrayRecordOptions, BadValues) {
  EXPECT_EQ(Error("zstd:23"),
            "invalid ArrayRecord writer options \"zstd:23\": Option zstd: invalid value: 23, valid values: (empty), "
            "integers -131072..22");
  EXPECT_EQ(Error("brotli:12"),
            "invalid ArrayRecord writer options \"brotli:12\": Option brotli: invalid value: 12, valid values: "
            "(empty), integers 0..11");
  EXPECT_EQ(Error("group_size:0"),
            "invalid ArrayRecord writer options \"group_size:0\": Option group_size: invalid value: 0, valid values: "
            "integers 1..2147483647");
  EXPECT_EQ(Error("group_size:x"),
            "invalid ArrayRecord writer options \"group_size:x\": Option group_size: invalid value: x, valid values: "
            "integers 1..2147483647");
  EXPECT_EQ(Error("group_size"),
            "invalid ArrayRecord writer options \"group_size\": Option group_size: invalid value: (empty), valid "
            "values: integers 1..2147483647");
  EXPECT_EQ(Error("zstd,window_log:9"),
            "invalid ArrayRecord writer options \"zstd,window_log:9\": Option window_log: invalid value: 9, valid "
            "values: auto, integers 10..31");
  EXPECT_EQ(Error("brotli,window_log:31"),
            "invalid ArrayRecord writer options \"brotli,window_log:31\": Option window_log: invalid value: 31, valid "
            "values: auto, integers 10..30");
  EXPECT_EQ(Error("max_parallelism:0"),
            "invalid ArrayRecord writer options \"max_parallelism:0\": Option max_parallelism: invalid value: 0, "
            "valid values: auto, integers 1..2147483647");
  EXPECT_EQ(Error("pad_to_block_boundary:yes"),
            "invalid ArrayRecord writer options \"pad_to_block_boundary:yes\": Option pad_to_block_boundary: invalid "
            "value: yes, valid values: (empty), true, false");
  EXPECT_EQ(Error("snappy:1"),
            "invalid ArrayRecord writer options \"snappy:1\": Option snappy: invalid value: 1, valid values: (empty)");
}

TEST(ArrayRecordOptions, Conflicts) {
  EXPECT_EQ(Error("zstd,brotli"),
            "invalid ArrayRecord writer options \"zstd,brotli\": Option brotli conflicts with option zstd");
  EXPECT_EQ(Error("uncompressed,window_log:20"),
            "invalid ArrayRecord writer options \"uncompressed,window_log:20\": Option window_log conflicts with "
            "option uncompressed");
  EXPECT_EQ(Error("window_log:20,snappy"),
            "invalid ArrayRecord writer options \"window_log:20,snappy\": Option snappy conflicts with option "
            "window_log");
  EXPECT_EQ(Error("zstd:1,zstd:2"),
            "invalid ArrayRecord writer options \"zstd:1,zstd:2\": Option zstd is present more than once");
  EXPECT_EQ(Error("group_size:2,default"),
            "invalid ArrayRecord writer options \"group_size:2,default\": Option default must be first");
}

TEST(ArrayRecordOptions, TransposeRefused) {
  for (const char* text : {"transpose", "transpose:true", "group_size:4,transpose:true"}) {
    EXPECT_EQ(Error(text), std::string("invalid ArrayRecord writer options \"") + text +
                               "\": transposed chunks are not supported (use transpose:false or omit the option)");
  }
  EXPECT_EQ(Error("transpose:maybe"),
            "invalid ArrayRecord writer options \"transpose:maybe\": Option transpose: invalid value: maybe, valid "
            "values: (empty), true, false");
}

}  // namespace
}  // namespace proberows
