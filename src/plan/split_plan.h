// SplitPlan: which rows go to test and train, and into which shard.
//
// With K distinct keys in hash order (source/key_codec.h), the first
// round(test_fraction * K) keys (nearest integer, halves up) are the test
// split and the rest are train. Within a split rows keep hash order, and a
// split of n rows is cut into S shards at round(n * i / S).
#ifndef PROBEROWS_PLAN_SPLIT_PLAN_H_
#define PROBEROWS_PLAN_SPLIT_PLAN_H_

#include <cstdint>
#include <string>

namespace proberows {

enum class Split { kTest = 0, kTrain = 1 };
inline const char* SplitName(Split s) { return s == Split::kTest ? "test" : "train"; }

// TFDS's rule for the number of shards of a split of `total_bytes` in
// `num_examples` examples (tensorflow_datasets shard_utils): a power of two
// keeping shards between 64 MiB and 1 GiB when possible, at most one shard
// per example, at least 1.
int TfdsNumberOfShards(uint64_t total_bytes, uint64_t num_examples);

// The size estimate the automatic shard count uses: it depends only on the
// counts of the input, so every strategy gets the same answer before it has
// encoded anything: 128 bytes per measurement plus 64 per row.
uint64_t EstimateSplitBytes(uint64_t split_rows, uint64_t total_rows, uint64_t total_measurements);

struct SplitPlan {
  uint64_t num_keys = 0;
  uint64_t num_test = 0;
  uint64_t num_train = 0;
  int test_shards = 1;
  int train_shards = 1;

  // REQUIRES: 0 <= test_fraction < 1. shards <= 0 means automatic.
  static SplitPlan Make(uint64_t num_keys, uint64_t num_measurements, double test_fraction, int test_shards,
                        int train_shards);

  uint64_t rows(Split s) const { return s == Split::kTest ? num_test : num_train; }
  int shards(Split s) const { return s == Split::kTest ? test_shards : train_shards; }
  // First row (within the split) of shard `i`; ShardBegin(s, shards) == rows.
  uint64_t ShardBegin(Split s, int i) const;

  // Shards numbered over both splits, in output order: the test shards are
  // 0 .. test_shards-1, the train shards follow.
  int total_shards() const { return test_shards + train_shards; }
  Split SplitOfShard(int g) const { return g < test_shards ? Split::kTest : Split::kTrain; }
  int IndexInSplit(int g) const { return g < test_shards ? g : g - test_shards; }
  // First global row (test rows first, then train) of shard `g`;
  // GlobalShardBegin(total_shards()) == num_keys.
  uint64_t GlobalShardBegin(int g) const {
    if (g >= total_shards()) return num_keys;
    return g < test_shards ? ShardBegin(Split::kTest, g) : num_test + ShardBegin(Split::kTrain, g - test_shards);
  }
};

}  // namespace proberows

#endif  // PROBEROWS_PLAN_SPLIT_PLAN_H_
