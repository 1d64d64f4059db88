// zstd_floor: the compression floor of a build (docs/BENCHMARKS.md). Reads
// every record of the ArrayRecord shards in an output folder and compresses
// each record alone as one zstd frame at the given level, on one thread,
// timing only the compression calls (thread CPU time). Prints
//   zstd_floor: records=N bytes_in=B bytes_out=C cpu_s=Z level=L
// Z is what zstd alone costs to compress exactly the build's records one frame
// per record, the part of the floor F + Z / cores that no pipeline avoids.
//
//   zstd_floor [--level 3] OUTPUT_DIR
#include <time.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "proberows/array_record_reader.h"
#include "proberows/env.h"

namespace {

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  int level = 3;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--level") == 0 && i + 1 < argc) {
      level = std::atoi(argv[++i]);
    } else {
      dir = argv[i];
    }
  }
  if (dir.empty()) {
    std::fprintf(stderr, "usage: zstd_floor [--level 3] OUTPUT_DIR\n");
    return 2;
  }
  std::vector<std::string> shards;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().find(".array_record-") != std::string::npos) shards.push_back(e.path());
  std::sort(shards.begin(), shards.end());
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  std::string out;
  uint64_t records = 0, bytes_in = 0, bytes_out = 0;
  double cpu = 0;
  for (const std::string& path : shards) {
    auto reader = proberows::ArrayRecordReader::Open(proberows::Env::Default(), path);
    if (!reader.ok()) {
      std::fprintf(stderr, "zstd_floor: %s\n", std::string(reader.status().message()).c_str());
      return 1;
    }
    absl::Status st = (*reader)->ReadAll([&](uint64_t, std::string_view rec) -> absl::Status {
      out.resize(ZSTD_compressBound(rec.size()));
      const double t0 = ThreadCpuSeconds();
      const size_t n = ZSTD_compress2(cctx, out.data(), out.size(), rec.data(), rec.size());
      cpu += ThreadCpuSeconds() - t0;
      if (ZSTD_isError(n)) return absl::InternalError(ZSTD_getErrorName(n));
      ++records;
      bytes_in += rec.size();
      bytes_out += n;
      return absl::OkStatus();
    });
    if (!st.ok()) {
      std::fprintf(stderr, "zstd_floor: %s: %s\n", path.c_str(), std::string(st.message()).c_str());
      return 1;
    }
  }
  ZSTD_freeCCtx(cctx);
  std::printf("zstd_floor: records=%llu bytes_in=%llu bytes_out=%llu cpu_s=%.3f level=%d\n",
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(bytes_in),
              static_cast<unsigned long long>(bytes_out), cpu, level);
  return 0;
}
