#include "pipeline/metadata.h"

#include <map>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/status_macros.h"

namespace proberows {

namespace {

using Json = nlohmann::ordered_json;

const char* RoleName(ColumnRole r) {
  switch (r) {
    case ColumnRole::kKey: return "key";
    case ColumnRole::kStatic: return "static";
    case ColumnRole::kPerMeasurement: return "per_measurement";
  }
  return "?";
}

const char* FeatureTypeName(FeatureType t) {
  switch (t) {
    case FeatureType::kInt64: return "int64";
    case FeatureType::kFloat: return "float32";
    case FeatureType::kBytes: return "bytes";
  }
  return "?";
}

Json SplitJson(const SplitStats& s, uint64_t planned_rows) {
  Json j;
  j["rows"] = s.rows;
  j["measurements"] = s.measurements;
  (void)planned_rows;
  j["row_bytes"] = {{"min", s.min_row_bytes},
                    {"mean", s.rows ? static_cast<double>(s.row_bytes) / static_cast<double>(s.rows) : 0.0},
                    {"max", s.max_row_bytes},
                    {"total", s.row_bytes}};
  j["measurements_per_row"] = {
      {"min", s.min_measurements},
      {"mean", s.rows ? static_cast<double>(s.measurements) / static_cast<double>(s.rows) : 0.0},
      {"max", s.max_measurements}};
  j["file_bytes"] = s.file_bytes;
  Json shards = Json::array();
  for (const ShardStats& sh : s.shards) {
    shards.push_back({{"file", sh.file},
                      {"rows", sh.rows},
                      {"measurements", sh.measurements},
                      {"row_bytes", sh.row_bytes},
                      {"file_bytes", sh.file_bytes},
                      {"xxh3_64", sh.xxh3}});
  }
  j["shards"] = shards;
  return j;
}

// TFDS's dtype name for an element type (tensorflow_datasets feature.py:
// dtype_to_str writes numpy names, "string" for text/bytes).
const char* TfdsDtype(FeatureType t) {
  switch (t) {
    case FeatureType::kInt64: return "int64";
    case FeatureType::kFloat: return "float32";
    case FeatureType::kBytes: return "string";
  }
  return "?";
}

constexpr const char* kTfdsTensor = "tensorflow_datasets.core.features.tensor_feature.Tensor";
constexpr const char* kTfdsSequence = "tensorflow_datasets.core.features.sequence_feature.Sequence";
constexpr const char* kTfdsFeaturesDict = "tensorflow_datasets.core.features.features_dict.FeaturesDict";

// The TensorFeature proto as json_format.MessageToDict writes it: shape ()
// is an empty Shape message `{}`, an unknown dimension is -1, and int64
// dimensions are JSON strings.
Json TensorContent(FeatureType t, bool vector) {
  Json shape = Json::object();
  if (vector) shape["dimensions"] = Json::array({"-1"});
  Json content;
  content["shape"] = shape;
  content["dtype"] = TfdsDtype(t);
  content["encoding"] = "none";
  return content;
}

// tfds.features.Tensor as a `Feature` proto dict (what FeatureConnector.
// to_proto + MessageToDict give, the form features.json holds).
Json TensorFeature(FeatureType t, bool vector) {
  Json f;
  f["pythonClassName"] = kTfdsTensor;
  f["tensor"] = TensorContent(t, vector);
  return f;
}

// tfds.features.Sequence(Sequence(dtype), length=outer_length) for a LIST
// column. Only a Sequence nested twice has sequence_rank 2, which is what
// makes TFDS's example serializer/parser use the ragged
// `x/ragged_flat_values` + `x/ragged_row_lengths_0` pair we write
// (a Tensor of shape (None, None) would instead expect a bytes-encoded
// {shape, value} pair). The Sequence is written in the JsonFeature form TFDS
// writes for a Sequence whose to_json_content is a dict
// ({"feature": <to_json()>, "length": ...}); FeatureConnector.from_proto
// json.loads it and Sequence.from_json_content rebuilds the inner features.
Json RaggedFeature(FeatureType t, std::optional<int> outer_length) {
  Json tensor_legacy;  // FeatureConnector.to_json(): type / content / proto_cls
  tensor_legacy["type"] = kTfdsTensor;
  tensor_legacy["content"] = TensorContent(t, false);
  tensor_legacy["proto_cls"] = "tensorflow_datasets.TensorFeature";
  Json inner_content;
  inner_content["feature"] = tensor_legacy;
  inner_content["length"] = nullptr;
  Json inner;
  inner["type"] = kTfdsSequence;
  inner["content"] = inner_content;
  inner["proto_cls"] = "";
  Json outer_content;
  outer_content["feature"] = inner;
  outer_content["length"] = outer_length ? Json(*outer_length) : Json(nullptr);
  Json f;
  f["pythonClassName"] = kTfdsSequence;
  f["jsonFeature"] = {{"json", outer_content.dump()}};
  return f;
}

}  // namespace

absl::Status WriteMetadata(Env* env, const std::string& dir, const MetadataInput& in) {
  const std::vector<FeatureDescription> features = in.encoder.Features();

  Json meta;
  meta["format"] = "proberows/1";
  meta["name"] = in.options.name;
  meta["key"] = in.options.key_column;
  meta["order_by"] = in.options.order_column;
  Json columns = Json::array();
  for (const SourceColumn& c : in.schema.columns) {
    columns.push_back({{"name", c.name},
                       {"input_type", c.input_type},
                       {"role", RoleName(c.spec.role)},
                       {"dtype", FeatureTypeName(c.spec.type)},
                       {"list", c.spec.is_list}});
  }
  meta["columns"] = columns;
  Json feats = Json::array();
  for (const FeatureDescription& f : features) {
    feats.push_back({{"name", f.name}, {"dtype", f.dtype}, {"kind", f.kind}, {"column", f.source_column}});
  }
  meta["features"] = feats;
  meta["split"] = {{"test_fraction", in.options.test_fraction},
                   {"seed", in.options.seed},
                   {"key_hash", "XXH3_64bits_withSeed(key, seed); int keys as 8-byte little-endian"},
                   {"test_rows", in.plan.num_test},
                   {"train_rows", in.plan.num_train}};
  meta["array_record_options"] = in.ar_options.ToString();
  meta["null_lists_as_empty"] = in.options.null_lists_as_empty;
  meta["counts"] = {{"rows", in.plan.num_keys}, {"measurements", in.measurements}};
  meta["splits"] = {{"train", SplitJson(in.train, in.plan.num_train)}, {"test", SplitJson(in.test, in.plan.num_test)}};

  // TFDS: dataset_info.json (the DatasetInfo proto as MessageToJson writes
  // it: camelCase names, int64 as strings, default values left out, keys
  // sorted) and features.json (the FeaturesDict as a Feature proto dict).
  Json info;
  info["description"] =
      fmt::format("One row per '{}' holding all its measurements ordered by '{}'; written by proberows.",
                  in.options.key_column, in.options.order_column);
  info["fileFormat"] = "array_record";
  info["moduleName"] = "proberows";
  info["name"] = in.options.name;
  Json splits = Json::array();
  for (const auto& [name, st] : {std::pair<const char*, const SplitStats*>{"train", &in.train}, {"test", &in.test}}) {
    Json lengths = Json::array();
    for (const ShardStats& sh : st->shards) lengths.push_back(std::to_string(sh.rows));
    Json split;
    split["filepathTemplate"] = "{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}";
    split["name"] = name;
    split["numBytes"] = std::to_string(st->file_bytes);
    split["shardLengths"] = lengths;
    splits.push_back(split);
  }
  info["splits"] = splits;
  info["version"] = kTfdsVersion;

  // One TFDS feature per input column (a LIST column's two Example features
  // form one ragged feature). nlohmann's object keeps insertion order, so
  // sort by name for a stable file.
  std::map<std::string, Json> by_name;
  for (const SourceColumn& c : in.schema.columns) {
    const bool per_row = c.spec.role != ColumnRole::kPerMeasurement;
    if (c.spec.is_list) {
      by_name[c.name] = RaggedFeature(c.spec.type, per_row ? std::optional<int>(1) : std::nullopt);
    } else {
      by_name[c.name] = TensorFeature(c.spec.type, !per_row);
    }
  }
  Json tfds_features = Json::object();
  for (auto& [name, f] : by_name) tfds_features[name] = std::move(f);
  Json tfds;
  tfds["pythonClassName"] = kTfdsFeaturesDict;
  tfds["featuresDict"] = {{"features", tfds_features}};

  RETURN_IF_ERROR(WriteStringToFileAtomic(env, meta.dump(2) + "\n", dir + "/proberows.json"));
  RETURN_IF_ERROR(WriteStringToFileAtomic(env, info.dump(2) + "\n", dir + "/dataset_info.json"));
  RETURN_IF_ERROR(WriteStringToFileAtomic(env, tfds.dump(4) + "\n", dir + "/features.json"));
  return absl::OkStatus();
}

}  // namespace proberows
