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
    // |v| / 2^k < 2^61 keeps every index and span well inside int64.
    if (v == 0) return -1000;
    return std::max(std::ilogb(v) - 60, -1000);
  } else {
    const uint64_t m = static_cast<uint64_t>(v < 0 ? ~v : v);
    const int bits = 64 - std::countl_zero(m);
    return std::max(0, bits - 61);
  }
}

template <typename T>
void Pow2Histogram<T>::SetK(int k) {
  k_ = k;
  if constexpr (kFloat) scale_ = std::ldexp(1.0, -k);
}

template <typename T>
void Pow2Histogram<T>::Relayout(int64_t want_lo, int64_t want_hi) {
  std::vector<uint64_t> fresh(static_cast<size_t>(kMaxBuckets), 0);
  const int64_t span = want_hi - want_lo + 1;
  const int64_t base = want_lo - (kMaxBuckets - span) / 2;
  if (total_ > 0)
    for (int64_t b = lo_; b <= hi_; ++b) fresh[static_cast<size_t>(b - base)] = counts_[static_cast<size_t>(b - base_)];
  counts_.swap(fresh);
  base_ = base;
}

template <typename T>
void Pow2Histogram<T>::CoarsenTo(int k) {
  if (k <= k_) return;
  const int d = k - k_;
  if (total_ == 0) {
    SetK(k);
    return;
  }
  const int64_t nlo = Shr(lo_, d), nhi = Shr(hi_, d);
  std::vector<uint64_t> fresh(static_cast<size_t>(kMaxBuckets), 0);
  const int64_t base = nlo - (kMaxBuckets - (nhi - nlo + 1)) / 2;
  for (int64_t b = lo_; b <= hi_; ++b) fresh[static_cast<size_t>(Shr(b, d) - base)] += counts_[static_cast<size_t>(b - base_)];
  counts_.swap(fresh);
  base_ = base;
  lo_ = nlo;
  hi_ = nhi;
  SetK(k);
}

template <typename T>
void Pow2Histogram<T>::AddBucket(int k, int64_t b, uint64_t count) {
  if (count == 0) return;
  if (total_ == 0) {
    SetK(k);
    lo_ = hi_ = b;
    Relayout(b, b);
    counts_[static_cast<size_t>(b - base_)] = count;
    total_ = count;
    return;
  }
  if (k > k_) CoarsenTo(k);
  b = Shr(b, k_ - k);
  while (std::max(hi_, b) - std::min(lo_, b) + 1 > kMaxBuckets) {
    CoarsenTo(k_ + 1);
    b = Shr(b, 1);
  }
  const int64_t nlo = std::min(lo_, b), nhi = std::max(hi_, b);
  if (nlo < base_ || nhi >= base_ + static_cast<int64_t>(counts_.size())) Relayout(nlo, nhi);
  lo_ = nlo;
  hi_ = nhi;
  counts_[static_cast<size_t>(b - base_)] += count;
  total_ += count;
}

template <typename T>
void Pow2Histogram<T>::AddSlow(T v, uint64_t count) {
  const int need = MinK(v);
  if (total_ == 0) {
    SetK(need);
  } else if (need > k_) {
    CoarsenTo(need);
  }
  AddBucket(k_, Bucket(v), count);
}

template <typename T>
void Pow2Histogram<T>::Merge(const Pow2Histogram& other) {
  if (other.total_ == 0) return;
  if (total_ == 0) {
    *this = other;
    return;
  }
  if (other.k_ > k_) CoarsenTo(other.k_);
  // Coarsen first to what the union's range needs, then add bucket by bucket.
  for (int64_t b = other.lo_; b <= other.hi_; ++b) {
    const uint64_t c = other.counts_[static_cast<size_t>(b - other.base_)];
    if (c > 0) AddBucket(other.k_, b, c);
  }
}

template <typename T>
std::vector<HistogramBucket> Pow2Histogram<T>::Standard(int max_buckets) const {
  std::vector<HistogramBucket> out;
  if (total_ == 0) return out;
  const int64_t span = hi_ - lo_ + 1;
  const int64_t g = (span + max_buckets - 1) / max_buckets;
  for (int64_t first = lo_; first <= hi_; first += g) {
    HistogramBucket bucket;
    bucket.low = Edge(first);
    bucket.high = Edge(first + g);
    uint64_t c = 0;
    for (int64_t b = first; b < first + g && b <= hi_; ++b) c += count(b);
    bucket.count = static_cast<double>(c);
    out.push_back(bucket);
  }
  return out;
}

template <typename T>
double Pow2Histogram<T>::Quantile(double q, double min, double max) const {
  if (q <= 0) return min;
  if (q >= 1) return max;
  const double target = q * static_cast<double>(total_);
  uint64_t cum = 0;
  for (int64_t b = lo_; b <= hi_; ++b) {
    const uint64_t c = count(b);
    if (c == 0) continue;
    if (static_cast<double>(cum + c) >= target) {
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
  if (total_ == 0) return out;
  double low = min;
  for (int j = 1; j <= n; ++j) {
    const double high = j == n ? max : Quantile(static_cast<double>(j) / n, min, max);
    out.push_back(HistogramBucket{low, high, static_cast<double>(total_) / n});
    low = high;
  }
  return out;
}

template <typename T>
std::vector<uint64_t> Pow2Histogram<T>::Counts() const {
  std::vector<uint64_t> out;
  if (total_ == 0) return out;
  for (int64_t b = lo_; b <= hi_; ++b) out.push_back(count(b));
  return out;
}

template <typename T>
bool Pow2Histogram<T>::Restore(int k, int64_t lo, const std::vector<uint64_t>& counts) {
  *this = Pow2Histogram();
  if (counts.empty()) return true;
  if (counts.size() > static_cast<size_t>(kMaxBuckets) || counts.front() == 0 || counts.back() == 0) return false;
  if (k < -1100 || k > 1100 || lo < -(int64_t{1} << 62) || lo > (int64_t{1} << 62)) return false;
  SetK(k);
  lo_ = lo;
  hi_ = lo + static_cast<int64_t>(counts.size()) - 1;
  Relayout(lo_, hi_);
  for (size_t i = 0; i < counts.size(); ++i) {
    counts_[static_cast<size_t>(lo_ + static_cast<int64_t>(i) - base_)] = counts[i];
    total_ += counts[i];
  }
  return true;
}

template class Pow2Histogram<int64_t>;
template class Pow2Histogram<double>;

}  // namespace proberows
