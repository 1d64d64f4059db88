#include "stats/histogram.h"

#include <algorithm>
#include <bit>

namespace proberows {

namespace {

// Floor division of a bucket index by 2^d (d may exceed 63).
int64_t Shr(int64_t b, int d) {
  if (d <= 0) return b;
  if (d >= 63) return b < 0 ? -1 : 0;
  return b >> d;
}

}  // namespace

template <typename T>
int Pow2Histogram<T>::MinK(T v) {
  if constexpr (kFloat) {
    // |v| / 2^k < 2^52: every bucket index, and so every bucket edge
    // b * 2^k, is exact in a double.
    if (v == 0) return -1000;
    return std::max(std::ilogb(v) - 51, -1000);
  } else {
    const uint64_t m = static_cast<uint64_t>(v < 0 ? ~v : v);
    const int bits = 64 - std::countl_zero(m);
    return std::max(0, bits - 52);
  }
}

template <typename T>
void Pow2Histogram<T>::SetK(int k) {
  k_ = k;
  if constexpr (kFloat) scale_ = std::ldexp(1.0, -k);
}

template <typename T>
int64_t Pow2Histogram<T>::lo() const {
  size_t i = 0;
  while (i < counts_.size() && counts_[i] == 0) ++i;
  return base_ + static_cast<int64_t>(i);
}

template <typename T>
int64_t Pow2Histogram<T>::hi() const {
  size_t i = counts_.size();
  while (i > 0 && counts_[i - 1] == 0) --i;
  return base_ + static_cast<int64_t>(i) - 1;
}

template <typename T>
uint64_t Pow2Histogram<T>::total() const {
  uint64_t t = 0;
  for (uint64_t c : counts_) t += c;
  return t;
}

template <typename T>
void Pow2Histogram<T>::Relayout(int64_t want_lo, int64_t want_hi) {
  std::vector<uint64_t> fresh(static_cast<size_t>(kMaxBuckets), 0);
  const int64_t span = want_hi - want_lo + 1;
  const int64_t base = want_lo - (kMaxBuckets - span) / 2;
  for (size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i] != 0) fresh[static_cast<size_t>(base_ + static_cast<int64_t>(i) - base)] = counts_[i];
  counts_.swap(fresh);
  base_ = base;
}

template <typename T>
void Pow2Histogram<T>::CoarsenTo(int k) {
  if (k <= k_) return;
  const int d = k - k_;
  if (counts_.empty()) {
    SetK(k);
    return;
  }
  const int64_t nlo = Shr(lo(), d), nhi = Shr(hi(), d);
  std::vector<uint64_t> fresh(static_cast<size_t>(kMaxBuckets), 0);
  const int64_t base = nlo - (kMaxBuckets - (nhi - nlo + 1)) / 2;
  for (size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i] != 0) fresh[static_cast<size_t>(Shr(base_ + static_cast<int64_t>(i), d) - base)] += counts_[i];
  counts_.swap(fresh);
  base_ = base;
  SetK(k);
}

template <typename T>
void Pow2Histogram<T>::AddBucket(int k, int64_t b, uint64_t count) {
  if (count == 0) return;
  if (counts_.empty()) {
    SetK(k);
    Relayout(b, b);
    counts_[static_cast<size_t>(b - base_)] = count;
    return;
  }
  if (k > k_) CoarsenTo(k);
  b = Shr(b, k_ - k);
  int64_t lo = this->lo(), hi = this->hi();
  // k only grows when the values' span needs it: the smallest fitting k
  // for the values seen, whatever their order.
  while (std::max(hi, b) - std::min(lo, b) + 1 > kMaxBuckets) {
    CoarsenTo(k_ + 1);
    b = Shr(b, 1);
    lo = Shr(lo, 1);
    hi = Shr(hi, 1);
  }
  const int64_t nlo = std::min(lo, b), nhi = std::max(hi, b);
  if (nlo < base_ || nhi >= base_ + static_cast<int64_t>(counts_.size())) Relayout(nlo, nhi);
  counts_[static_cast<size_t>(b - base_)] += count;
}

template <typename T>
void Pow2Histogram<T>::AddSlow(T v, uint64_t count) {
  const int need = MinK(v);
  if (counts_.empty()) {
    SetK(need);
  } else if (need > k_) {
    CoarsenTo(need);
  }
  AddBucket(k_, Bucket(v), count);
}

template <typename T>
void Pow2Histogram<T>::Merge(const Pow2Histogram& other) {
  if (other.empty()) return;
  if (empty()) {
    *this = other;
    return;
  }
  if (other.k_ > k_) CoarsenTo(other.k_);
  for (size_t i = 0; i < other.counts_.size(); ++i)
    if (other.counts_[i] != 0) AddBucket(other.k_, other.base_ + static_cast<int64_t>(i), other.counts_[i]);
}

template <typename T>
std::vector<HistogramBucket> Pow2Histogram<T>::Standard(int max_buckets) const {
  std::vector<HistogramBucket> out;
  if (empty()) return out;
  const int64_t lo = this->lo(), hi = this->hi();
  const int64_t span = hi - lo + 1;
  const int64_t g = (span + max_buckets - 1) / max_buckets;
  for (int64_t first = lo; first <= hi; first += g) {
    HistogramBucket bucket;
    bucket.low = Edge(first);
    bucket.high = Edge(first + g);
    uint64_t c = 0;
    for (int64_t b = first; b < first + g && b <= hi; ++b) c += count(b);
    bucket.count = static_cast<double>(c);
    out.push_back(bucket);
  }
  return out;
}

template <typename T>
double Pow2Histogram<T>::Quantile(double q, double min, double max) const {
  if (q <= 0) return min;
  if (q >= 1) return max;
  const double target = q * static_cast<double>(total());
  uint64_t cum = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    const uint64_t c = counts_[i];
    if (c == 0) continue;
    if (static_cast<double>(cum + c) >= target) {
      const int64_t b = base_ + static_cast<int64_t>(i);
      const double frac = (target - static_cast<double>(cum)) / static_cast<double>(c);
      const double width = std::ldexp(1.0, k_);
      double v = Edge(b) + frac * width;
      if constexpr (!kFloat) v = Edge(b) + std::floor(frac * width);
      return std::clamp(v, min, max);
    }
    cum += c;
  }
  return max;
}

template <typename T>
std::vector<HistogramBucket> Pow2Histogram<T>::Quantiles(int n, double min, double max) const {
  std::vector<HistogramBucket> out;
  if (empty()) return out;
  const double total = static_cast<double>(this->total());
  double low = min;
  for (int j = 1; j <= n; ++j) {
    const double high = j == n ? max : Quantile(static_cast<double>(j) / n, min, max);
    out.push_back(HistogramBucket{low, high, total / n});
    low = high;
  }
  return out;
}

template <typename T>
std::vector<uint64_t> Pow2Histogram<T>::Counts() const {
  std::vector<uint64_t> out;
  if (empty()) return out;
  for (int64_t b = lo(), hi = this->hi(); b <= hi; ++b) out.push_back(count(b));
  return out;
}

template <typename T>
bool Pow2Histogram<T>::Restore(int k, int64_t lo, const std::vector<uint64_t>& counts) {
  *this = Pow2Histogram();
  if (counts.empty()) return true;
  if (counts.size() > static_cast<size_t>(kMaxBuckets) || counts.front() == 0 || counts.back() == 0) return false;
  if (k < -1100 || k > 1100 || lo < -(int64_t{1} << 62) || lo > (int64_t{1} << 62)) return false;
  SetK(k);
  const int64_t hi = lo + static_cast<int64_t>(counts.size()) - 1;
  Relayout(lo, hi);
  for (size_t i = 0; i < counts.size(); ++i)
    counts_[static_cast<size_t>(lo + static_cast<int64_t>(i) - base_)] = counts[i];
  return true;
}

template class Pow2Histogram<int64_t>;
template class Pow2Histogram<double>;

}  // namespace proberows
