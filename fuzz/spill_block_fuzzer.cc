// libFuzzer target for spill blocks (docs/spill-format.md).
//
// Properties checked:
//  1. A block read from damaged bytes (any header, any data, a checksum that
//     matches because a bug wrote it) never crashes or touches memory outside
//     its input and its `raw`-byte output: ParseSpillBlockHeader and
//     SpillBlockDecoder::Decode return an error or decode exactly `raw` bytes.
//  2. Whatever the input, encoding it as a block (as records, which falls back
//     to bytes when they do not parse, and as bytes) and decoding gives it
//     back exactly, for every codec and layout.
//
// Build and run (clang): cmake --preset fuzz && cmake --build build/fuzz
//   --target spill_block_fuzzer && ./build/fuzz/spill_block_fuzzer -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "group/spill_block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace proberows;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // 1. The input as a block.
  if (size >= kSpillBlockHeaderSize) {
    SpillBlockHeader h;
    if (ParseSpillBlockHeader(input.data(), &h) == nullptr && h.raw <= (1u << 20) && h.plain <= (1u << 20)) {
      const std::string_view stored = input.substr(kSpillBlockHeaderSize);
      h.stored = static_cast<uint32_t>(stored.size());
      if (h.codec == SpillCodec::kNone) h.plain = h.stored;
      if (h.layout == SpillLayout::kBytes) h.raw = h.plain;
      std::string out(h.raw, '\0');
      SpillBlockDecoder decoder;
      (void)decoder.Decode(h, stored, out.data());
    }
  }
  // 2. Round trips.
  for (int codec = 0; codec < 3; ++codec) {
    for (bool columnar : {false, true}) {
      SpillBlockEncoder encoder(SpillBlockOptions{static_cast<SpillCodec>(codec), 1, columnar});
      std::string block;
      encoder.Encode(input, /*records=*/true, &block);
      SpillBlockHeader h;
      if (ParseSpillBlockHeader(block.data(), &h) != nullptr) std::abort();
      const std::string_view stored(block.data() + kSpillBlockHeaderSize, block.size() - kSpillBlockHeaderSize);
      if (SpillBlockCheck(block.data(), stored) != h.check || h.raw != size) std::abort();
      std::string back(h.raw, '\0');
      SpillBlockDecoder decoder;
      if (decoder.Decode(h, stored, back.data()) != nullptr || back != input) std::abort();
    }
  }
  return 0;
}
