// Test-only helpers for the example module: hex dumps, protobuf conversions,
// bitwise comparison of decoded examples.
#ifndef PROBEROWS_EXAMPLE_EXAMPLE_TEST_UTIL_H_
#define PROBEROWS_EXAMPLE_EXAMPLE_TEST_UTIL_H_

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "example.pb.h"
#include "proberows/example.h"

namespace proberows::testing {

// "0a 02 61 62" for the bytes 0x0a 0x02 'a' 'b'.
inline std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out.push_back(' ');
    const auto c = static_cast<unsigned char>(bytes[i]);
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// Inverse of Hex; whitespace is ignored.
inline std::string FromHex(std::string_view hex) {
  std::string out;
  int pending = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      continue;
    }
    if (pending < 0) {
      pending = v;
    } else {
      out.push_back(static_cast<char>(pending * 16 + v));
      pending = -1;
    }
  }
  return out;
}

// protobuf's deterministic serialization (map entries sorted by key).
inline std::string SerializeDeterministic(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

// A tensorflow::Example as a DecodedExample (unset kind -> std::monostate).
inline DecodedExample ProtoToDecoded(const tensorflow::Example& example) {
  DecodedExample out;
  for (const auto& [name, feature] : example.features().feature()) {
    FeatureValues& v = out[name];
    switch (feature.kind_case()) {
      case tensorflow::Feature::kBytesList:
        v = std::vector<std::string>(feature.bytes_list().value().begin(), feature.bytes_list().value().end());
        break;
      case tensorflow::Feature::kFloatList:
        v = std::vector<float>(feature.float_list().value().begin(), feature.float_list().value().end());
        break;
      case tensorflow::Feature::kInt64List:
        v = std::vector<int64_t>(feature.int64_list().value().begin(), feature.int64_list().value().end());
        break;
      default: v = std::monostate();
    }
  }
  return out;
}

inline uint32_t FloatBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  return bits;
}

inline float BitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

// Equality with floats compared bit for bit (NaN == NaN of the same payload,
// 0.0 != -0.0).
inline bool SameValues(const FeatureValues& a, const FeatureValues& b) {
  if (a.index() != b.index()) return false;
  if (const auto* fa = std::get_if<std::vector<float>>(&a)) {
    const auto& fb = std::get<std::vector<float>>(b);
    if (fa->size() != fb.size()) return false;
    for (size_t i = 0; i < fa->size(); ++i) {
      if (FloatBits((*fa)[i]) != FloatBits(fb[i])) return false;
    }
    return true;
  }
  return a == b;
}

inline bool SameExample(const DecodedExample& a, const DecodedExample& b) {
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first || !SameValues(ia->second, ib->second)) return false;
  }
  return true;
}

// Random values with a bias towards edge cases.
class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  uint64_t U(uint64_t n) { return rng_() % n; }
  bool P(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  int64_t Int() {
    switch (U(8)) {
      case 0: return std::numeric_limits<int64_t>::min();
      case 1: return std::numeric_limits<int64_t>::max();
      case 2: return -static_cast<int64_t>(U(1000));
      case 3: return static_cast<int64_t>(U(300));
      case 4: return 0;
      default: return static_cast<int64_t>(rng_() >> U(64));
    }
  }

  float Float() {
    switch (U(10)) {
      case 0: return std::numeric_limits<float>::quiet_NaN();
      case 1: return -0.0f;
      case 2: return std::numeric_limits<float>::infinity();
      case 3: return -std::numeric_limits<float>::infinity();
      case 4: return std::numeric_limits<float>::denorm_min();
      case 5: return std::numeric_limits<float>::max();
      case 6: return BitsToFloat(static_cast<uint32_t>(rng_()));  // any bits, NaN payloads too
      default: return static_cast<float>(std::uniform_real_distribution<double>(-200, 200)(rng_));
    }
  }

  std::string Bytes() {
    size_t len;
    switch (U(8)) {
      case 0: len = 0; break;
      case 1: len = 120 + U(300); break;  // 2-byte length varints
      default: len = U(20);
    }
    std::string s(len, '\0');
    const bool ascii = P(0.5);
    for (char& c : s) c = static_cast<char>(ascii ? 'a' + U(26) : U(256));
    return s;
  }

  // Names mixing ASCII, '/', multi-byte UTF-8 and DEL, so the bytewise sort
  // is exercised beyond ASCII.
  std::string Name() {
    static const char* const kPieces[] = {"a",    "b",   "A",  "_", "/", "0", "\xc3\xa9", "\xe6\x97\xa5",
                                          "\x7f", "rtt", "prb"};
    std::string s;
    const size_t len = U(5);
    for (size_t i = 0; i < len; ++i) s += kPieces[U(std::size(kPieces))];
    return s;
  }

  size_t Measurements() {
    switch (U(10)) {
      case 0: return 1;
      case 1: return 1 + U(1000);
      default: return 1 + U(30);
    }
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::mt19937_64 rng_;
};

}  // namespace proberows::testing

#endif  // PROBEROWS_EXAMPLE_EXAMPLE_TEST_UTIL_H_
