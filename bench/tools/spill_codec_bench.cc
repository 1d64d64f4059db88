// spill_codec_bench: how spill blocks compress (docs/BENCHMARKS.md, "Spill
// blocks"). Reads the blocks of spill files a map task wrote (the files in
// `map-*/ATTEMPT/` of a work folder, e.g. after `proberows plan` + `proberows
// map`), decodes them back to measurement records, and encodes those records
// again with every layout x codec x level below, on one thread, timing only
// the encode and decode calls (thread CPU time). Checks that every block
// decodes to the records it was made of. Prints one line per configuration:
//   layout codec level: stored bytes, ratio, encode MB/s and decode MB/s of
//   record bytes, CPU seconds per GiB of records each way
//
//   spill_codec_bench FILE.spill...
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "group/spill_block.h"
#include "proberows/env.h"
#include "util/varint.h"

namespace {

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out->append(buf, n);
  std::fclose(f);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace proberows;
  if (argc < 2) {
    std::fprintf(stderr, "usage: spill_codec_bench FILE.spill...\n");
    return 2;
  }
  std::vector<std::string> blocks;  // records of each block
  size_t raw = 0;
  SpillBlockDecoder decoder;
  for (int i = 1; i < argc; ++i) {
    std::string file;
    if (!ReadFile(argv[i], &file)) {
      std::fprintf(stderr, "spill_codec_bench: cannot read %s\n", argv[i]);
      return 1;
    }
    size_t pos = 0;
    while (pos + 16 <= file.size()) {
      if (DecodeFixed32(file.data() + pos) == 0x31535250) {  // "PRS1": the format before issue 15
        const uint32_t len = DecodeFixed32(file.data() + pos + 4);
        blocks.emplace_back(file.substr(pos + 16, len));
        pos += 16 + len;
        continue;
      }
      SpillBlockHeader h;
      if (pos + kSpillBlockHeaderSize > file.size() || ParseSpillBlockHeader(file.data() + pos, &h) != nullptr) {
        std::fprintf(stderr, "spill_codec_bench: %s: bad block at offset %zu\n", argv[i], pos);
        return 1;
      }
      std::string records(h.raw, '\0');
      if (const char* e = decoder.Decode(h, std::string_view(file.data() + pos + kSpillBlockHeaderSize, h.stored),
                                         records.data())) {
        std::fprintf(stderr, "spill_codec_bench: %s: block at offset %zu: %s\n", argv[i], pos, e);
        return 1;
      }
      blocks.push_back(std::move(records));
      pos += kSpillBlockHeaderSize + h.stored;
    }
  }
  for (const std::string& b : blocks) raw += b.size();
  std::printf("spill_codec_bench: %zu blocks, %.1f MiB of records\n", blocks.size(),
              static_cast<double>(raw) / (1 << 20));
  struct Config {
    const char* name;
    SpillBlockOptions options;
  };
  std::vector<Config> configs;
  for (bool columnar : {false, true}) {
    configs.push_back({"none", {SpillCodec::kNone, 0, columnar}});
    for (int level : {1, 4}) configs.push_back({"lz4", {SpillCodec::kLz4, level, columnar}});
    for (int level : {-5, -1, 1, 3}) configs.push_back({"zstd", {SpillCodec::kZstd, level, columnar}});
  }
  const double gib = static_cast<double>(raw) / (1 << 30);
  const char* only = std::getenv("SPILL_CODEC_ONLY");  // e.g. "columnar none 0"
  for (const Config& c : configs) {
    char label[64];
    std::snprintf(label, sizeof(label), "%s %s %d", c.options.columnar ? "columnar" : "records", c.name,
                  c.options.level);
    if (only != nullptr && std::strcmp(only, label) != 0) continue;
    SpillBlockEncoder encoder(c.options);
    // One output and one decode buffer, reused block after block as the
    // pipeline reuses them (fresh memory would time page faults).
    std::string encoded, back;
    double enc = 0, dec = 0;
    size_t stored = 0;
    for (size_t i = 0; i < blocks.size(); ++i) {
      double t0 = ThreadCpuSeconds();
      encoder.Encode(blocks[i], true, &encoded);
      enc += ThreadCpuSeconds() - t0;
      stored += encoded.size();
      if (back.size() < blocks[i].size()) back.resize(blocks[i].size());
      t0 = ThreadCpuSeconds();
      SpillBlockHeader h;
      if (ParseSpillBlockHeader(encoded.data(), &h) != nullptr) return 1;
      const std::string_view data(encoded.data() + kSpillBlockHeaderSize, h.stored);
      const bool ok =
          SpillBlockCheck(encoded.data(), data) == h.check && decoder.Decode(h, data, back.data()) == nullptr;
      dec += ThreadCpuSeconds() - t0;
      if (!ok || h.raw != blocks[i].size() || std::memcmp(back.data(), blocks[i].data(), h.raw) != 0) {
        std::fprintf(stderr, "spill_codec_bench: %s round trip failed\n", c.name);
        return 1;
      }
    }
    std::printf(
        "%-8s %-4s %3d: %8.1f MiB  %5.2fx  encode %6.0f MB/s (%5.2f CPU-s/GiB)  decode %6.0f MB/s (%5.2f CPU-s/GiB)\n",
        c.options.columnar ? "columnar" : "records", c.name, c.options.level, static_cast<double>(stored) / (1 << 20),
        static_cast<double>(raw) / static_cast<double>(stored), static_cast<double>(raw) / 1e6 / enc, enc / gib,
        static_cast<double>(raw) / 1e6 / dec, dec / gib);
  }
  return 0;
}
