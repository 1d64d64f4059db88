// Pow2Histogram: exact counts of values in equal-width buckets whose width is
// a power of two, 2^k, with bucket b holding [b * 2^k, (b + 1) * 2^k).
//
// k is the smallest width for which the values seen so far span at most
// kMaxBuckets buckets and every bucket index stays below 2^52 in magnitude
// (so that bucket edges are exact doubles). Both conditions only tighten as values are added,
// so k, the bucket range and every count depend on the multiset of values
// alone: adding values in any order, or merging partial histograms in any
// grouping, gives the same state. That is what keeps statistics
// byte-identical whatever the workers, strategy or reduce tasks.
//
// Not thread-safe; copyable.
#ifndef PROBEROWS_STATS_HISTOGRAM_H_
#define PROBEROWS_STATS_HISTOGRAM_H_

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace proberows {

// One bucket of a finished histogram: [low, high) holding `count` values.
struct HistogramBucket {
  double low = 0;
  double high = 0;
  double count = 0;
};

// `T` is int64_t or double.
template <typename T>
class Pow2Histogram {
 public:
  static constexpr int64_t kMaxBuckets = 1024;

  // Adds one value. REQUIRES (double): finite.
  void Add(T v) {
    // Any bucket of the window keeps the span within kMaxBuckets. The
    // offset is taken where it cannot overflow: a value far outside the
    // window (its bucket at this k beyond int64) goes the slow way, which
    // widens k first.
    if constexpr (kFloat) {
      // No floor: for x = v * 2^-k inside the window, x - base_ is exact (a
      // multiple of x's ulp no larger than x, base_ an integer below 2^53), so
      // its truncation is floor(x) - base_. Outside the window the rounded
      // difference keeps its side (< 0, or >= the window's size).
      const double d = v * scale_ - static_cast<double>(base_);
      if (d >= 0 && d < static_cast<double>(counts_.size())) {
        ++counts_[static_cast<size_t>(d)];
        return;
      }
    } else {
      const uint64_t i = static_cast<uint64_t>(Bucket(v)) - static_cast<uint64_t>(base_);
      if (i < counts_.size()) {
        ++counts_[i];
        return;
      }
    }
    AddSlow(v, 1);
  }
  // Adds `count` copies of `v`.
  void AddCount(T v, uint64_t count) {
    if (count > 0) AddSlow(v, count);
  }

  void Merge(const Pow2Histogram& other);

  bool empty() const { return counts_.empty(); }
  uint64_t total() const;
  int k() const { return k_; }
  // The first and last non-empty bucket. REQUIRES: !empty().
  int64_t lo() const;
  int64_t hi() const;
  // Count of bucket b. REQUIRES: lo() <= b <= hi().
  uint64_t count(int64_t b) const { return counts_[static_cast<size_t>(b - base_)]; }
  // The lower edge of bucket b: b * 2^k.
  double Edge(int64_t b) const { return std::ldexp(static_cast<double>(b), k_); }

  // At most `max_buckets` equal-width buckets (each a whole number of
  // 2^k-buckets) from lo() to hi(); empty if no values.
  std::vector<HistogramBucket> Standard(int max_buckets) const;
  // The value below which a fraction q of the values fall, interpolated
  // linearly within its bucket and clamped to [min, max]. REQUIRES: !empty().
  double Quantile(double q, double min, double max) const;
  // `n` equal-count buckets between min and max, edges from Quantile.
  std::vector<HistogramBucket> Quantiles(int n, double min, double max) const;

  // State for serializing: k, lo and the counts of lo..hi. Restore() returns
  // false if the state is inconsistent.
  std::vector<uint64_t> Counts() const;
  [[nodiscard]] bool Restore(int k, int64_t lo, const std::vector<uint64_t>& counts);

  friend bool operator==(const Pow2Histogram& a, const Pow2Histogram& b) {
    return a.empty() == b.empty() && (a.empty() || (a.k_ == b.k_ && a.lo() == b.lo() && a.Counts() == b.Counts()));
  }

 private:
  static constexpr bool kFloat = !std::is_integral_v<T>;
  int64_t Bucket(T v) const {
    if constexpr (kFloat) {
      return static_cast<int64_t>(std::floor(v * scale_));
    } else {
      return v >> k_;  // arithmetic shift: floor division
    }
  }
  // The smallest k at which v's bucket index is safely inside int64.
  static int MinK(T v);
  void AddSlow(T v, uint64_t count);
  // Adds `count` to bucket b of level k (<= k_ after the call).
  void AddBucket(int k, int64_t b, uint64_t count);
  void CoarsenTo(int k);
  void SetK(int k);
  // Lays the counts of [lo, hi] out anew so that [want_lo, want_hi] fits.
  void Relayout(int64_t want_lo, int64_t want_hi);

  int k_ = 0;
  double scale_ = 1;  // 2^-k (doubles)
  int64_t base_ = 0;  // bucket of counts_[0]: the window is [base_, base_ + kMaxBuckets)
  // kMaxBuckets counts (empty until the first value). The total is not kept
  // up to date on the fast path: an increment of it would alias the counts
  // and cost more than summing them when asked.
  std::vector<uint64_t> counts_;
};

extern template class Pow2Histogram<int64_t>;
extern template class Pow2Histogram<double>;

}  // namespace proberows

#endif  // PROBEROWS_STATS_HISTOGRAM_H_
