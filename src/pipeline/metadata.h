// The metadata files of an output folder (docs/output-format.md):
//   proberows.json     everything proberows knows: schema, features, options,
//                      counts per split and per shard, row-size statistics,
//                      shard checksums. Deterministic: no times, paths or
//                      worker counts, so it is byte-identical across runs.
//   dataset_info.json  TFDS's DatasetInfo proto as JSON (splits, shard
//                      lengths, file format) and
//   features.json      TFDS's FeaturesDict: one feature per input column
//                      (Tensor shape () for key/static columns, (None,) for
//                      per-measurement ones, Sequence(Sequence(dtype)) for a
//                      LIST column), so that tfds.builder_from_directory()
//                      can load the folder. Both follow TFDS's own source;
//                      docs/output-format.md cites the files.
#ifndef PROBEROWS_PIPELINE_METADATA_H_
#define PROBEROWS_PIPELINE_METADATA_H_

#include <string>

#include "absl/status/status.h"
#include "plan/split_plan.h"
#include "proberows/array_record_options.h"
#include "proberows/build_options.h"
#include "proberows/env.h"
#include "proberows/example.h"
#include "proberows/pipeline.h"
#include "source/input_source.h"
#include "stats/dataset_stats.h"

namespace proberows {

struct MetadataInput {
  const BuildOptions& options;
  const SourceSchema& schema;
  const ExampleEncoder& encoder;
  const ArrayRecordWriterOptions& ar_options;
  const SplitPlan& plan;
  const SplitStats& test;
  const SplitStats& train;
  uint64_t measurements;
  // Row statistics (null: none are written).
  const DatasetStatistics* statistics = nullptr;
};

// Writes the three files into `dir` (each atomically, through `env`).
// Deterministic: the same input gives byte-identical files.
[[nodiscard]] absl::Status WriteMetadata(Env* env, const std::string& dir, const MetadataInput& in);

}  // namespace proberows

#endif  // PROBEROWS_PIPELINE_METADATA_H_
