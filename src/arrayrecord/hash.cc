#include "arrayrecord/hash.h"

#include <highwayhash/c_bindings.h>

namespace proberows::arrayrecord {
namespace {

// ASCII "Riegeli/" and "records\n" read as little-endian 64-bit words, twice.
const uint64_t kRiegeliHashKey[4] = {0x2f696c6567656952, 0x0a7364726f636572, 0x2f696c6567656952, 0x0a7364726f636572};

}  // namespace

uint64_t RiegeliHash(std::string_view data) { return HighwayHash64(kRiegeliHashKey, data.data(), data.size()); }

}  // namespace proberows::arrayrecord
