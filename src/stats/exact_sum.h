// ExactSum: the exact sum of any number of finite doubles (a Kulisch-style
// fixed-point superaccumulator). Every finite double is an integer multiple
// of 2^-1074 below 2^1024, so the sum is kept as one big integer in units of
// 2^-1074, in 32-bit digits held by int64 limbs (carries are deferred, so an
// Add touches three limbs and never loops). The result does not depend on the
// order of the additions or on how partial sums are merged: that is what
// makes statistics merged across workers and reduce tasks byte-identical.
//
// Not thread-safe; copyable.
#ifndef PROBEROWS_STATS_EXACT_SUM_H_
#define PROBEROWS_STATS_EXACT_SUM_H_

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace proberows {

class ExactSum {
 public:
  // 2^-1074 .. 2^1024 plus 2^64 of headroom for the count, in 32-bit digits.
  static constexpr int kLimbs = 68;

  // Adds `x`. REQUIRES: x is finite (NaN and infinities are counted by the
  // caller, never summed).
  void Add(double x) {
    if (x == 0) return;
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof(bits));
    const bool negative = (bits >> 63) != 0;
    const int biased = static_cast<int>((bits >> 52) & 0x7ff);
    uint64_t mantissa = bits & ((uint64_t{1} << 52) - 1);
    int pos;  // bit position of the mantissa's lowest bit, in units of 2^-1074
    if (biased == 0) {
      pos = 0;  // subnormal: mantissa * 2^-1074
    } else {
      mantissa |= uint64_t{1} << 52;
      pos = biased - 1;  // mantissa * 2^(biased - 1075) = mantissa * 2^-1074 * 2^(biased - 1)
    }
    const int limb = pos >> 5;
    const unsigned __int128 v = static_cast<unsigned __int128>(mantissa) << (pos & 31);
    const int64_t d0 = static_cast<int64_t>(static_cast<uint64_t>(v) & 0xffffffffu);
    const int64_t d1 = static_cast<int64_t>(static_cast<uint64_t>(v >> 32) & 0xffffffffu);
    const int64_t d2 = static_cast<int64_t>(static_cast<uint64_t>(v >> 64));
    if (negative) {
      limbs_[limb] -= d0;
      limbs_[limb + 1] -= d1;
      limbs_[limb + 2] -= d2;
    } else {
      limbs_[limb] += d0;
      limbs_[limb + 1] += d1;
      limbs_[limb + 2] += d2;
    }
    // Each limb moves by less than 2^32 per Add: carry before 2^30 Adds.
    if (++pending_ >= (uint64_t{1} << 30)) Normalize();
  }

  void Merge(const ExactSum& other) {
    ExactSum o = other;
    o.Normalize();
    Normalize();
    for (int i = 0; i < kLimbs; ++i) limbs_[i] += o.limbs_[i];
    Normalize();
  }

  // The sum rounded to a double (deterministic: computed from the canonical
  // digits). +-inf if it overflows.
  double Value() const {
    ExactSum c = *this;
    c.Normalize();
    // Canonical: digits 0..kLimbs-2 in [0, 2^32), the top limb signed. A
    // negative total is negated so that the top digits carry the magnitude.
    const bool negative = c.limbs_[kLimbs - 1] < 0;
    if (negative) c.Negate();
    int top = kLimbs - 1;
    while (top >= 0 && c.limbs_[top] == 0) --top;
    if (top < 0) return 0.0;
    long double v = 0;
    for (int i = top; i >= 0 && i >= top - 3; --i)
      v += std::ldexp(static_cast<long double>(c.limbs_[i]), 32 * i - 1074);
    return static_cast<double>(negative ? -v : v);
  }

  // The canonical digits as (index, digit) pairs of the non-zero limbs,
  // for serializing partial sums; FromDigits restores an equal sum.
  std::vector<std::pair<int, int64_t>> Digits() const {
    ExactSum c = *this;
    c.Normalize();
    std::vector<std::pair<int, int64_t>> out;
    for (int i = 0; i < kLimbs; ++i)
      if (c.limbs_[i] != 0) out.emplace_back(i, c.limbs_[i]);
    return out;
  }
  // False if an index is out of range.
  bool FromDigits(const std::vector<std::pair<int, int64_t>>& digits) {
    limbs_.fill(0);
    pending_ = 0;
    for (const auto& [i, d] : digits) {
      if (i < 0 || i >= kLimbs) return false;
      limbs_[i] = d;
    }
    Normalize();
    return true;
  }

  friend bool operator==(const ExactSum& a, const ExactSum& b) { return a.Digits() == b.Digits(); }

 private:
  // Propagates carries: digits 0..kLimbs-2 end in [0, 2^32).
  void Normalize() {
    int64_t carry = 0;
    for (int i = 0; i < kLimbs - 1; ++i) {
      const int64_t v = limbs_[i] + carry;
      carry = v >> 32;  // arithmetic: floor division
      limbs_[i] = v - (carry << 32);
    }
    limbs_[kLimbs - 1] += carry;
    pending_ = 0;
  }
  // REQUIRES: normalized.
  void Negate() {
    for (int i = 0; i < kLimbs; ++i) limbs_[i] = -limbs_[i];
    Normalize();
  }

  std::array<int64_t, kLimbs> limbs_{};
  uint64_t pending_ = 0;
};

}  // namespace proberows

#endif  // PROBEROWS_STATS_EXACT_SUM_H_
