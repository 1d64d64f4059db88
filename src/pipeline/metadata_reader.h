// Reading an output folder's metadata files (pipeline/metadata.h writes
// them) back for inspect, cat, verify and report, when they may have been
// damaged or edited: each file is parsed with a bounded depth and every
// field its readers use is checked for its kind, so that a wrong type gives
// one DataLossError naming the file and the field ("'DIR/proberows.json' is
// not valid proberows metadata: field 'splits.train.rows' is the string
// \"12\", expected an integer >= 0") instead of an uncaught nlohmann
// exception.
#ifndef PROBEROWS_PIPELINE_METADATA_READER_H_
#define PROBEROWS_PIPELINE_METADATA_READER_H_

#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "proberows/env.h"

namespace proberows {

// proberows.json of the output folder `dir`. NotFoundError when `dir` or the
// file is missing; DataLossError naming the file and the first bad field
// otherwise. On success every field below has its kind, so typed reads
// (`value()`, `get<>()`) of them cannot throw:
//   name, key, order_by, array_record_options, preset, input_format: string
//     (the last two optional)
//   split: {test_fraction: number, seed: count}
//   counts: {rows, measurements: count} (optional)
//   columns[]: {name, role, dtype: string, list: bool, list_depth: count
//     (optional), path[] (optional, not empty): {name: string, lists: count}}
//   features[]: {name, dtype, kind, column: string (column optional)}
//   splits.train / splits.test: {rows, measurements, file_bytes: count,
//     row_bytes: {min, max, total: count, mean: number, histogram (optional)},
//     measurements_per_row: {min, max: count, mean: number, histogram
//     (optional)}, order_span (optional object), shards[]: {file: a file
//     name without '/', rows, measurements, row_bytes, file_bytes: count,
//     xxh3_64: string}}
[[nodiscard]] absl::StatusOr<nlohmann::ordered_json> ReadMetadataFile(Env* env, const std::string& dir);

// dataset_info.json of `dir`: {name, fileFormat: string, splits[]: {name,
// numBytes: string, shardLengths[]: string, statistics (optional, checked as
// InspectStatistics reads it: features[]: {name: string, numStats or
// stringStats: {commonStats: object, histograms[]: object, topValues[]:
// {value: string (optional)}}, customStats[]: {name: string}})}}.
// DataLossError naming the file and field otherwise.
[[nodiscard]] absl::StatusOr<nlohmann::ordered_json> ReadDatasetInfoFile(Env* env, const std::string& dir);

// features.json of `dir`: a FeaturesDict ({pythonClassName: string,
// featuresDict: {features: object}}). DataLossError otherwise.
[[nodiscard]] absl::StatusOr<nlohmann::ordered_json> ReadFeaturesFile(Env* env, const std::string& dir);

}  // namespace proberows

#endif  // PROBEROWS_PIPELINE_METADATA_READER_H_
