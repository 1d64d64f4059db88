#include "pipeline/metadata.h"

#include <map>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "group/row_cut.h"
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

Json SplitJson(const SplitStats& s, uint64_t planned_rows, bool cut) {
  Json j;
  j["rows"] = s.rows;
  if (cut) j["keys"] = s.keys;
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
    if (cut) shards.back()["keys"] = sh.keys;
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
Json TensorContent(const std::string& dtype, bool vector) {
  Json shape = Json::object();
  if (vector) shape["dimensions"] = Json::array({"-1"});
  Json content;
  content["shape"] = shape;
  content["dtype"] = dtype;
  content["encoding"] = "none";
  return content;
}

// tfds.features.Tensor as a `Feature` proto dict (what FeatureConnector.
// to_proto + MessageToDict give, the form features.json holds). Fields come
// in proto field-number order, as MessageToDict writes them.
Json TensorFeature(const std::string& dtype, bool vector) {
  Json f;
  f["pythonClassName"] = kTfdsTensor;
  f["tensor"] = TensorContent(dtype, vector);
  return f;
}

// tfds.features.Sequence(inner, length) as TFDS writes it today: the
// `sequence` member of the Feature oneof (feature.proto `Sequence sequence =
// 12`: `feature` = the inner Feature, int64 `length`, -1 for "any length",
// hence a JSON string).
Json SequenceFeature(Json inner, int64_t length) {
  Json seq;
  seq["feature"] = std::move(inner);
  seq["length"] = std::to_string(length);
  Json f;
  f["pythonClassName"] = kTfdsSequence;
  f["sequence"] = std::move(seq);
  return f;
}

// tfds.features.FeaturesDict: `features` is a proto map, written sorted by
// name.
Json DictFeature(std::map<std::string, Json> members) {
  Json features = Json::object();
  for (auto& [name, f] : members) features[name] = std::move(f);
  Json f;
  f["pythonClassName"] = kTfdsFeaturesDict;
  f["featuresDict"] = {{"features", features}};
  return f;
}

// One step of the nesting of an input column: a leaf (dtype set) or a
// STRUCT's fields, holding `lists` list levels.
struct Node {
  int lists = 0;
  std::string dtype;  // TFDS dtype of a leaf
  std::map<std::string, Node> children;
};

// The TFDS feature of a node within one measurement: its Tensor or
// FeaturesDict inside one Sequence per list level.
Json NodeFeature(const Node& n) {
  Json f;
  if (n.children.empty()) {
    f = TensorFeature(n.dtype, false);
  } else {
    std::map<std::string, Json> members;
    for (const auto& [name, child] : n.children) members[name] = NodeFeature(child);
    f = DictFeature(std::move(members));
  }
  for (int i = 0; i < n.lists; ++i) f = SequenceFeature(std::move(f), -1);
  return f;
}

bool HasLists(const Node& n) {
  if (n.lists > 0) return true;
  for (const auto& [name, child] : n.children)
    if (HasLists(child)) return true;
  return false;
}

// The TFDS features of the output: one per input column (the nesting of its
// leaves rebuilt from their paths), in TFDS's encodings:
//   key / static scalar            Tensor(shape=())
//   per-measurement scalar         Tensor(shape=(None,))
//   per-measurement nested value   Sequence(<the value's feature>)
//   static value holding lists     Sequence(<the value's feature>, length=1)
//   static STRUCT of scalars       FeaturesDict of Tensor(shape=())
// so that TFDS's serializer names and shapes the features exactly as the
// rows hold them (a leaf of rank r > 1 as flat values + r - 1 row-lengths).
Json TfdsFeatures(const SourceSchema& schema, const RowCut& cut) {
  std::map<std::string, std::pair<Node, ColumnRole>> columns;
  for (const SourceColumn& c : schema.columns) {
    if (c.spec.hidden) continue;  // a composite key: its parts are the features
    auto& [root, role] = columns[c.path[0].name];
    role = c.spec.role;
    Node* n = &root;
    n->lists = c.path[0].lists;
    for (size_t i = 1; i < c.path.size(); ++i) {
      n = &n->children[c.path[i].name];
      n->lists = c.path[i].lists;
    }
    n->dtype = !c.mask_of.empty() ? "bool" : TfdsDtype(c.spec.type);
  }
  std::map<std::string, Json> members;
  for (const auto& [name, entry] : columns) {
    const auto& [node, role] = entry;
    if (role == ColumnRole::kPerMeasurement) {
      members[name] = node.children.empty() && node.lists == 0 ? TensorFeature(node.dtype, true)
                                                               : SequenceFeature(NodeFeature(node), -1);
    } else {
      members[name] = HasLists(node) ? SequenceFeature(NodeFeature(node), 1) : NodeFeature(node);
    }
  }
  // Cut rows: their index within the key and window start, one int64 each.
  for (const std::string& name : cut.Features()) members[name] = TensorFeature("int64", false);
  return DictFeature(std::move(members));
}

}  // namespace

absl::Status WriteMetadata(Env* env, const std::string& dir, const MetadataInput& in) {
  const std::vector<FeatureDescription> features = in.encoder.Features();
  ASSIGN_OR_RETURN(const RowCut cut, MakeRowCut(in.options, in.schema));
  const bool cutting = cut.enabled();

  Json meta;
  meta["format"] = "proberows/1";
  meta["name"] = in.options.name;
  meta["key"] = in.options.key_column;
  if (!in.schema.key_parts.empty()) meta["key_columns"] = in.options.KeyColumns();
  meta["order_by"] = in.options.order_column;
  Json columns = Json::array();
  for (const SourceColumn& c : in.schema.columns) {
    if (c.spec.hidden) continue;
    Json col = {{"name", c.name},
                {"input_type", c.input_type},
                {"role", RoleName(c.key_part ? ColumnRole::kKey : c.spec.role)},
                {"dtype", FeatureTypeName(c.spec.type)},
                {"list", c.spec.list_depth > 0}};
    if (c.spec.list_depth > 1) col["list_depth"] = c.spec.list_depth;
    if (c.path.size() > 1 || c.path[0].name != c.name) {
      Json path = Json::array();
      for (const PathStep& step : c.path) path.push_back({{"name", step.name}, {"lists", step.lists}});
      col["path"] = path;
    }
    if (!c.mask_of.empty()) {
      col["nulls"] = "presence mask";
      col["mask_of"] = c.mask_of;
    } else if (c.filled) {
      col["nulls"] = "fill";
      col["fill"] = c.null_fill;
    } else {
      col["nulls"] = c.spec.type == FeatureType::kFloat ? "nan" : "error";
    }
    columns.push_back(col);
  }
  meta["columns"] = columns;
  Json feats = Json::array();
  for (const FeatureDescription& f : features) {
    Json feat = {{"name", f.name}, {"dtype", f.dtype}, {"kind", f.kind}, {"column", f.source_column}};
    if (f.kind == "ragged_row_lengths") feat["level"] = f.level;
    feats.push_back(feat);
  }
  meta["features"] = feats;
  meta["split"] = {{"test_fraction", in.options.test_fraction},
                   {"seed", in.options.seed},
                   {"key_hash", in.schema.key_parts.empty()
                                    ? "XXH3_64bits_withSeed(key, seed); int keys as 8-byte little-endian"
                                    : "XXH3_64bits_withSeed(tuple, seed); tuple: each key column in order, an int "
                                      "as 8-byte big-endian with the sign bit flipped, a string with 0x00 as 0x00 "
                                      "0x01 and ended by 0x00 0x00"},
                   {"test_rows", in.plan.num_test},
                   {"train_rows", in.plan.num_train}};
  if (cutting) {
    // The split is by key: every row of a key is in the key's split.
    meta["split"]["test_rows"] = in.test.rows;
    meta["split"]["train_rows"] = in.train.rows;
    meta["split"]["test_keys"] = in.plan.num_test;
    meta["split"]["train_keys"] = in.plan.num_train;
    Json c;
    c["max_measurements_per_row"] = in.options.max_measurements_per_row;
    if (cut.window > 0) {
      c["row_window"] = in.options.row_window;
      c["window_width"] = cut.window;  // in the order column's unit
    }
    c["features"] = cut.Features();
    meta["cut_rows"] = c;
  }
  meta["array_record_options"] = in.ar_options.ToString();
  meta["null_lists_as_empty"] = in.options.null_lists_as_empty;
  if (!in.schema.preset.empty()) meta["preset"] = in.schema.preset;
  if (!in.options.input_format.empty()) meta["input_format"] = in.options.input_format;
  meta["counts"] = {{"rows", in.plan.num_keys}, {"measurements", in.measurements}};
  if (cutting)
    meta["counts"] = {
        {"rows", in.test.rows + in.train.rows}, {"keys", in.plan.num_keys}, {"measurements", in.measurements}};
  meta["splits"] = {{"train", SplitJson(in.train, in.plan.num_train, cutting)},
                    {"test", SplitJson(in.test, in.plan.num_test, cutting)}};
  if (in.statistics != nullptr) {
    // Histograms beside the per-row figures, and the span of the order
    // column per row (docs/output-format.md).
    for (const bool test : {false, true}) {
      Json& s = meta["splits"][test ? "test" : "train"];
      Json rows = in.statistics->RowJson(test);
      s["measurements_per_row"]["histogram"] = rows["measurements_per_row"]["histogram"];
      s["row_bytes"]["histogram"] = rows["row_bytes"]["histogram"];
      if (rows.contains("order_span")) s["order_span"] = rows["order_span"];
    }
  }

  // TFDS: dataset_info.json (the DatasetInfo proto as MessageToJson writes
  // it: camelCase names, int64 as strings, default values left out, keys
  // sorted) and features.json (the FeaturesDict as a Feature proto dict).
  Json info;
  info["description"] =
      fmt::format("One row per '{}' holding all its measurements ordered by '{}'; written by proberows.",
                  in.options.key_column, in.options.order_column);
  if (cutting) {
    std::string how;
    if (cut.window > 0) how = fmt::format(" per window of {} of '{}'", in.options.row_window, in.options.order_column);
    if (cut.max_measurements > 0)
      how += fmt::format("{} of at most {} measurements", cut.window > 0 ? " cut into rows" : "", cut.max_measurements);
    info["description"] = fmt::format(
        "Rows of each '{}'{}, ordered by '{}', with {}; every row of a key in the key's split; written by "
        "proberows.",
        in.options.key_column, how, in.options.order_column,
        cut.window > 0 ? "row_index and window_start" : "row_index");
  }
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
    // tensorflow_metadata's DatasetFeatureStatistics (SplitInfo.statistics).
    if (in.statistics != nullptr) split["statistics"] = in.statistics->Tfds(st == &in.test);
    splits.push_back(split);
  }
  info["splits"] = splits;
  info["version"] = kTfdsVersion;

  const Json tfds = TfdsFeatures(in.schema, cut);

  RETURN_IF_ERROR(WriteStringToFileAtomic(env, meta.dump(2) + "\n", dir + "/proberows.json"));
  RETURN_IF_ERROR(WriteStringToFileAtomic(env, info.dump(2) + "\n", dir + "/dataset_info.json"));
  RETURN_IF_ERROR(WriteStringToFileAtomic(env, tfds.dump(4) + "\n", dir + "/features.json"));
  return absl::OkStatus();
}

}  // namespace proberows
