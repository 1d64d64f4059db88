// inspect, cat and verify over a finished output folder.
#include "proberows/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "example/row_shape.h"
#include "pipeline/dataset_writer.h"
#include "pipeline/metadata_reader.h"
#include "pipeline/output_transaction.h"
#include "plan/split_plan.h"
#include "proberows/array_record_reader.h"
#include "proberows/array_record_verify.h"
#include "proberows/example.h"
#include "source/duckdb_handle.h"
#include "source/input_source.h"
#include "source/key_codec.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

using Json = nlohmann::ordered_json;

std::string Mean(uint64_t total, uint64_t n) {
  return n ? fmt::format("{:.1f}", static_cast<double>(total) / static_cast<double>(n)) : "-";
}

// Key sort bytes of a decoded row's key feature.
absl::StatusOr<std::string> KeyOf(const DecodedExample& ex, const std::string& key_name) {
  auto it = ex.find(key_name);
  if (it == ex.end()) return absl::DataLossError(fmt::format("row has no key feature '{}'", key_name));
  if (const auto* ints = std::get_if<std::vector<int64_t>>(&it->second)) {
    if (ints->size() != 1) return absl::DataLossError("key feature does not hold exactly one value");
    std::string s(kIntKeySize, '\0');
    EncodeIntKey((*ints)[0], s.data());
    return s;
  }
  if (const auto* strs = std::get_if<std::vector<std::string>>(&it->second)) {
    if (strs->size() != 1) return absl::DataLossError("key feature does not hold exactly one value");
    return (*strs)[0];
  }
  return absl::DataLossError("key feature is neither int64 nor bytes");
}

// The sort bytes of a composite key (source/key_codec.h) from its features.
absl::StatusOr<std::string> CompositeKeyOf(const DecodedExample& ex, const std::vector<std::string>& key_names) {
  std::string out;
  for (const std::string& name : key_names) {
    ASSIGN_OR_RETURN(std::string part, KeyOf(ex, name));
    auto it = ex.find(name);
    if (std::holds_alternative<std::vector<int64_t>>(it->second)) {
      out += part;
    } else {
      AppendStringKeyPart(part, &out);
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> InspectDataset(Env* env, const std::string& dir) {
  ASSIGN_OR_RETURN(Json meta, ReadMetadataFile(env, dir));
  std::string out;
  out += fmt::format("dataset '{}' in {}\n", meta.value("name", "?"), dir);
  out += fmt::format("  key '{}', measurements ordered by '{}'\n", meta.value("key", "?"), meta.value("order_by", "?"));
  out += fmt::format("  array_record options: {}\n", meta.value("array_record_options", "?"));
  const Json& split = meta["split"];
  out += fmt::format("  split: test fraction {}, seed {}\n", split.value("test_fraction", 0.0),
                     split.value("seed", uint64_t{0}));
  // The table's columns are as wide as their widest cell, whatever the numbers.
  std::vector<std::vector<std::string>> table = {
      {"split", "rows", "measurements", "row bytes min/mean/max", "meas./row min/mean/max", "shards", "size"}};
  uint64_t total_rows = 0, total_meas = 0, total_bytes = 0;
  for (const char* name : {"train", "test"}) {
    const Json& s = meta["splits"][name];
    const uint64_t rows = s.value("rows", uint64_t{0});
    const Json& rb = s["row_bytes"];
    const Json& mr = s["measurements_per_row"];
    table.push_back(
        {name, std::to_string(rows), std::to_string(s.value("measurements", uint64_t{0})),
         fmt::format("{}/{}/{}", rb.value("min", uint64_t{0}), Mean(rb.value("total", uint64_t{0}), rows),
                     rb.value("max", uint64_t{0})),
         fmt::format("{}/{:.1f}/{}", mr.value("min", uint64_t{0}), mr.value("mean", 0.0), mr.value("max", uint64_t{0})),
         std::to_string(s["shards"].size()), FormatBytes(s.value("file_bytes", uint64_t{0}))});
    total_rows += rows;
    total_meas += s.value("measurements", uint64_t{0});
    total_bytes += s.value("file_bytes", uint64_t{0});
  }
  table.push_back(
      {"total", std::to_string(total_rows), std::to_string(total_meas), "", "", "", FormatBytes(total_bytes)});
  std::vector<size_t> width(table[0].size(), 0);
  for (const auto& row : table)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  for (const auto& row : table) {
    std::string line = fmt::format("  {:<{}}", row[0], width[0]);
    for (size_t c = 1; c < row.size(); ++c) line += fmt::format("  {:>{}}", row[c], width[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out += fmt::format("  features ({}):\n", meta["features"].size());
  size_t name_width = 0, dtype_width = 0;
  for (const Json& f : meta["features"]) {
    name_width = std::max(name_width, f.value("name", "?").size());
    dtype_width = std::max(dtype_width, f.value("dtype", "?").size());
  }
  for (const Json& f : meta["features"]) {
    out += fmt::format("    {:<{}}  {:<{}}  {}\n", f.value("name", "?"), name_width, f.value("dtype", "?"), dtype_width,
                       f.value("kind", "?"));
  }
  out += "  shards:\n";
  for (const char* name : {"train", "test"}) {
    for (const Json& sh : meta["splits"][name]["shards"]) {
      const std::string file = sh.value("file", "");
      std::string records = "missing";
      absl::StatusOr<std::unique_ptr<ArrayRecordReader>> r = ArrayRecordReader::Open(env, dir + "/" + file);
      if (r.ok())
        records = fmt::format("{} records", (*r)->num_records());
      else
        records = fmt::format("UNREADABLE ({})", StatusMessage(r.status()));
      out += fmt::format("    {}  {} rows, {}, {}\n", file, sh.value("rows", uint64_t{0}),
                         FormatBytes(sh.value("file_bytes", uint64_t{0})), records);
    }
  }
  return out;
}

namespace {

double Num(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return 0;
  const Json& v = j[key];
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return HUGE_VAL;
    if (s == "-Infinity") return -HUGE_VAL;
    return std::strtod(s.c_str(), nullptr);
  }
  return 0;
}

std::string Short(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  const double a = std::fabs(v);
  if (a != 0 && (a >= 1e7 || a < 1e-3)) return fmt::format("{:.4g}", v);
  return fmt::format("{:.6g}", v);
}

std::string HistogramLine(const Json& buckets) {
  std::string out;
  for (const Json& b : buckets)
    out += fmt::format(" [{}, {}): {}", Short(Num(b, "low")), Short(Num(b, "high")), b.value("count", uint64_t{0}));
  return out;
}

}  // namespace

absl::StatusOr<std::string> InspectStatistics(Env* env, const std::string& dir) {
  ASSIGN_OR_RETURN(Json meta, ReadMetadataFile(env, dir));
  const std::string info_path = dir + "/dataset_info.json";
  ASSIGN_OR_RETURN(const Json info, ReadDatasetInfoFile(env, dir));
  std::string out = "  statistics (TFDS DatasetFeatureStatistics in dataset_info.json):\n";
  out += fmt::format("    {:<30} {:<5} {:>11} {:>8} {:>7} {:>12} {:>12} {:>12} {:>12} {:>9}\n", "feature", "split",
                     "values", "missing", "NaN", "min", "mean", "std", "max", "distinct");
  std::map<std::string, std::map<std::string, const Json*>> by_feature;  // name -> split -> stats
  for (const Json& split : info["splits"]) {
    if (!split.contains("statistics"))
      return absl::FailedPreconditionError(
          fmt::format("'{}' has no statistics (written by an older proberows); rebuild the dataset", info_path));
    const std::string name = split.value("name", "");
    const Json& stats = split["statistics"];
    if (!stats.contains("features")) continue;  // an empty split
    for (const Json& f : stats["features"]) by_feature[f.value("name", "")][name] = &f;
  }
  for (const Json& feature : meta["features"]) {
    const std::string name = feature.value("name", "");
    for (const char* split : {"train", "test"}) {
      const Json* f = by_feature[name][split];
      if (f == nullptr) continue;
      const bool numeric = f->contains("numStats");
      const Json& body = numeric ? (*f)["numStats"] : (*f)["stringStats"];
      const Json& common = body["commonStats"];
      const double rows = meta["splits"][split].value("rows", 0.0);
      const double values = Num(common, "totNumValues");
      const std::string missing = rows > 0 ? fmt::format("{:.1f}%", 100 * Num(common, "numMissing") / rows) : "-";
      if (numeric) {
        const bool has = body.contains("histograms") && body.contains("commonStats") && values > 0;
        const double nan = has ? Num(body["histograms"][0], "numNan") : 0;
        out += fmt::format("    {:<30} {:<5} {:>11} {:>8} {:>7} {:>12} {:>12} {:>12} {:>12} {:>9}\n", name, split,
                           static_cast<uint64_t>(values), missing,
                           values > 0 ? fmt::format("{:.1f}%", 100 * nan / values) : "-", Short(Num(body, "min")),
                           Short(Num(body, "mean")), Short(Num(body, "stdDev")), Short(Num(body, "max")), "-");
      } else {
        double min_len = 0, max_len = 0, sample = 1;
        for (const Json& c : f->value("customStats", Json::array())) {
          if (c.value("name", "") == "min_length") min_len = Num(c, "num");
          if (c.value("name", "") == "max_length") max_len = Num(c, "num");
          if (c.value("name", "") == "top_values_sample") sample = Num(c, "num");
        }
        std::string top;
        for (const Json& t : body.value("topValues", Json::array())) {
          if (top.size() > 60) break;
          top += fmt::format("{}{} ({})", top.empty() ? "" : ", ", t.value("value", ""),
                             static_cast<uint64_t>(Num(t, "frequency")));
        }
        out += fmt::format("    {:<30} {:<5} {:>11} {:>8} {:>7} {:>12} {:>12} {:>12} {:>12} {:>9}  top: {}\n", name,
                           split, static_cast<uint64_t>(values), missing, "-", Short(min_len) + " B",
                           Short(Num(body, "avgLength")) + " B", "-", Short(max_len) + " B",
                           (sample < 1 ? "~" : "") + std::to_string(static_cast<uint64_t>(Num(body, "unique"))), top);
      }
    }
  }
  out += "  per row (proberows.json):\n";
  for (const char* split : {"train", "test"}) {
    const Json& s = meta["splits"][split];
    out += fmt::format("    {} measurements per row:{}\n", split,
                       HistogramLine(s["measurements_per_row"].value("histogram", Json::array())));
    out += fmt::format("    {} row bytes:{}\n", split, HistogramLine(s["row_bytes"].value("histogram", Json::array())));
    if (s.contains("order_span"))
      out += fmt::format("    {} {} span per row: min {}, mean {}, max {};{}\n", split,
                         s["order_span"].value("feature", ""), Short(Num(s["order_span"], "min")),
                         Short(Num(s["order_span"], "mean")), Short(Num(s["order_span"], "max")),
                         HistogramLine(s["order_span"].value("histogram", Json::array())));
  }
  return out;
}

absl::Status CatFile(Env* env, const std::string& path, const CatOptions& options, std::string* out) {
  ASSIGN_OR_RETURN(std::unique_ptr<ArrayRecordReader> reader, ArrayRecordReader::Open(env, path));
  const uint64_t n = reader->num_records();
  if (options.index > n)
    return absl::OutOfRangeError(
        fmt::format("--index {} is past the end of '{}' ({} records)", options.index, path, n));
  const uint64_t end = options.limit == 0 ? n : std::min(n, options.index + options.limit);
  ExampleJsonOptions json;
  json.regroup_ragged = options.regroup_ragged;
  std::string record;
  for (uint64_t i = options.index; i < end; ++i) {
    RETURN_IF_ERROR(reader->ReadRecord(i, &record));
    absl::StatusOr<DecodedExample> ex = DecodeExample(record);
    if (!ex.ok()) return Annotate(ex.status(), fmt::format("'{}' record {}", path, i));
    *out += DecodedExampleToJson(*ex, json);
    *out += "\n";
  }
  return absl::OkStatus();
}

absl::Status CatDataset(Env* env, const std::string& dir, const std::string& split, const CatOptions& options,
                        std::string* out) {
  if (!split.empty() && split != "train" && split != "test")
    return absl::InvalidArgumentError(fmt::format("--split '{}': expected train or test", split));
  ASSIGN_OR_RETURN(Json meta, ReadMetadataFile(env, dir));
  const std::string meta_path = dir + "/" + kMetadataFileName;
  std::vector<std::string> files;
  for (const char* name : {"train", "test"}) {
    if (!split.empty() && split != name) continue;
    const Json& splits = meta["splits"];
    if (!splits.is_object() || !splits.contains(name)) continue;
    const Json& s = splits[name];
    if (!s.is_object() || !s.contains("shards") || !s["shards"].is_array())
      return absl::DataLossError(
          fmt::format("'{}' is not valid proberows metadata (splits.{}.shards)", meta_path, name));
    for (const Json& sh : s["shards"]) {
      if (!sh.is_object() || !sh.contains("file") || !sh["file"].is_string())
        return absl::DataLossError(fmt::format("'{}' is not valid proberows metadata (a shard's file)", meta_path));
      files.push_back(dir + "/" + sh["file"].get<std::string>());
    }
  }
  // --index and --limit count rows over the shards one after the other.
  uint64_t skip = options.index, left = options.limit, seen = 0;
  for (const std::string& file : files) {
    if (options.limit != 0 && left == 0) break;
    ASSIGN_OR_RETURN(std::unique_ptr<ArrayRecordReader> reader, ArrayRecordReader::Open(env, file));
    const uint64_t n = reader->num_records();
    seen += n;
    if (skip >= n) {
      skip -= n;
      continue;
    }
    CatOptions one = options;
    one.index = skip;
    one.limit = options.limit == 0 ? 0 : std::min(left, n - skip);
    skip = 0;
    RETURN_IF_ERROR(CatFile(env, file, one, out));
    if (options.limit != 0) left -= one.limit;
  }
  if (skip > 0)
    return absl::OutOfRangeError(fmt::format("--index {} is past the end of '{}' ({} rows{})", options.index, dir, seen,
                                             split.empty() ? "" : " in " + split));
  return absl::OkStatus();
}

namespace {

// The problems of dataset_info.json and features.json: unreadable, or not
// describing the shards and columns proberows.json (already checked) lists.
std::vector<std::string> CheckTfdsFiles(Env* env, const std::string& dir, const Json& meta) {
  std::vector<std::string> problems;
  absl::StatusOr<Json> info = ReadDatasetInfoFile(env, dir);
  if (!info.ok()) {
    problems.push_back(StatusMessage(info.status()));
  } else {
    const std::string path = dir + "/dataset_info.json";
    if ((*info)["fileFormat"] != "array_record")
      problems.push_back(fmt::format("{}: fileFormat is {}, not \"array_record\"", path, (*info)["fileFormat"].dump()));
    if (meta.contains("name") && (*info)["name"] != meta["name"])
      problems.push_back(
          fmt::format("{}: name is {}, proberows.json's {}", path, (*info)["name"].dump(), meta["name"].dump()));
    for (const char* name : {"train", "test"}) {
      const Json* split = nullptr;
      for (const Json& s : (*info)["splits"])
        if (s["name"] == name) split = &s;
      const Json& want = meta["splits"][name];
      if (split == nullptr) {
        problems.push_back(fmt::format("{}: no split '{}'", path, name));
        continue;
      }
      const std::string bytes = std::to_string(want["file_bytes"].get<uint64_t>());
      if ((*split)["numBytes"] != bytes)
        problems.push_back(fmt::format("{}: split '{}' numBytes is {}, proberows.json says {}", path, name,
                                       (*split)["numBytes"].dump(), bytes));
      Json lengths = Json::array();
      for (const Json& sh : want["shards"]) lengths.push_back(std::to_string(sh["rows"].get<uint64_t>()));
      if ((*split)["shardLengths"] != lengths)
        problems.push_back(fmt::format("{}: split '{}' shardLengths is {}, proberows.json's shards hold {}", path, name,
                                       (*split)["shardLengths"].dump(), lengths.dump()));
    }
  }
  absl::StatusOr<Json> features = ReadFeaturesFile(env, dir);
  if (!features.ok()) {
    problems.push_back(StatusMessage(features.status()));
  } else {
    const std::string path = dir + "/features.json";
    std::set<std::string> columns, listed;
    for (const Json& c : meta["columns"])
      columns.insert(c.contains("path") ? c["path"][0]["name"].get<std::string>() : c["name"].get<std::string>());
    // Cut rows add their own features (row_index, window_start).
    if (meta.contains("cut_rows"))
      for (const Json& f : meta["cut_rows"]["features"]) columns.insert(f.get<std::string>());
    for (const auto& [name, f] : (*features)["featuresDict"]["features"].items()) listed.insert(name);
    if ((*features)["pythonClassName"] != "tensorflow_datasets.core.features.features_dict.FeaturesDict")
      problems.push_back(
          fmt::format("{}: pythonClassName is {}, not a FeaturesDict", path, (*features)["pythonClassName"].dump()));
    if (listed != columns) {
      std::string missing, extra;
      for (const std::string& c : columns)
        if (!listed.count(c)) missing += fmt::format("{}'{}'", missing.empty() ? "" : ", ", c);
      for (const std::string& c : listed)
        if (!columns.count(c)) extra += fmt::format("{}'{}'", extra.empty() ? "" : ", ", c);
      problems.push_back(
          fmt::format("{}: features do not match proberows.json's columns (missing: {}; not columns: {})", path,
                      missing.empty() ? "none" : missing, extra.empty() ? "none" : extra));
    }
  }
  return problems;
}

}  // namespace

absl::StatusOr<VerifyResult> VerifyDataset(Env* env, const std::string& dir, const VerifyOptions& options) {
  ASSIGN_OR_RETURN(Json meta, ReadMetadataFile(env, dir));
  VerifyResult result;
  auto problem = [&](std::string p) {
    result.ok = false;
    ++result.problem_count;
    if (result.problems.size() < kMaxVerifyProblems) result.problems.push_back(std::move(p));
  };
  const std::string key_name = meta.value("key", "");
  const std::string order_name = meta.value("order_by", "");
  const uint64_t seed = meta["split"].value("seed", uint64_t{0});
  const double test_fraction = meta["split"].value("test_fraction", 0.0);
  bool key_is_string = false;
  for (const Json& c : meta["columns"])
    if (c.value("role", "") == "key") key_is_string = c.value("dtype", "") == "bytes";
  // A composite key (--key a,b): its parts, hashed as one string.
  std::vector<std::string> key_names;
  if (meta.contains("key_columns")) {
    key_names = meta["key_columns"].get<std::vector<std::string>>();
    key_is_string = true;
  }
  // The columns' shapes, which every row must have (example/row_shape.h).
  std::vector<ColumnSpec> shape;
  for (const Json& c : meta["columns"]) {
    ColumnSpec spec;
    spec.name = c.value("name", "");
    const std::string role = c.value("role", "");
    spec.role = role == "key" ? ColumnRole::kKey : role == "static" ? ColumnRole::kStatic : ColumnRole::kPerMeasurement;
    spec.list_depth = c.value("list_depth", c.value("list", false) ? 1 : 0);
    shape.push_back(spec);
  }

  std::map<std::string, uint64_t> key_counts;  // key sort bytes -> measurements
  uint64_t files = 0, rows_total = 0, meas_total = 0;
  uint64_t global_row = 0;
  uint64_t last_hash = 0;
  std::string last_key;
  uint64_t test_rows = 0;
  // Cut rows (--max-measurements-per-row, --row-window): a key's rows follow
  // each other in one shard, row_index 0, 1, ...; the split counts keys.
  const bool cut = meta.contains("cut_rows");
  int64_t last_index = -1;
  uint64_t keys_total = 0, test_keys = 0;
  for (const char* split : {"test", "train"}) {
    const Json& s = meta["splits"][split];
    uint64_t split_rows = 0, split_meas = 0, split_keys = 0, split_bytes = 0;
    for (const Json& sh : s["shards"]) {
      ++files;
      const std::string file = sh.value("file", "");
      const std::string path = dir + "/" + file;
      split_bytes += sh.value("file_bytes", uint64_t{0});
      if (!env->FileExists(path)) {
        problem(fmt::format("{}: missing", file));
        continue;
      }
      if (absl::StatusOr<uint64_t> size = env->GetFileSize(path);
          size.ok() && *size != sh.value("file_bytes", uint64_t{0}))
        problem(fmt::format("{}: {} bytes, metadata says {}", file, *size, sh.value("file_bytes", uint64_t{0})));
      absl::StatusOr<std::string> xxh = FileXxh3(env, path);
      if (!xxh.ok()) {
        problem(fmt::format("{}: {}", file, StatusMessage(xxh.status())));
        continue;
      }
      if (*xxh != sh.value("xxh3_64", ""))
        problem(fmt::format("{}: checksum {} differs from the metadata's {}", file, *xxh, sh.value("xxh3_64", "")));
      absl::StatusOr<VerifyReport> report = VerifyArrayRecordFile(env, path);
      if (!report.ok()) {
        problem(fmt::format("{}: {}", file, StatusMessage(report.status())));
        continue;
      }
      for (const auto& p : report->problems)
        problem(fmt::format("{}: {}", file, fmt::format("offset {}: {}", p.offset, p.description)));
      absl::StatusOr<std::unique_ptr<ArrayRecordReader>> reader = ArrayRecordReader::Open(env, path);
      if (!reader.ok()) {
        problem(StatusMessage(reader.status()));
        continue;
      }
      if ((*reader)->num_records() != sh.value("rows", uint64_t{0}))
        problem(fmt::format("{}: {} records, metadata says {}", file, (*reader)->num_records(),
                            sh.value("rows", uint64_t{0})));
      uint64_t shard_meas = 0;
      absl::Status st = (*reader)->ReadAll([&](uint64_t index, std::string_view record) -> absl::Status {
        absl::StatusOr<DecodedExample> ex = DecodeExample(record);
        if (!ex.ok()) return Annotate(ex.status(), fmt::format("{} record {}", file, index));
        ASSIGN_OR_RETURN(std::string key, key_names.empty() ? KeyOf(*ex, key_name) : CompositeKeyOf(*ex, key_names));
        auto it = ex->find(order_name);
        const uint64_t n = it == ex->end() ? 0 : ValueCount(it->second);
        if (n == 0) return absl::DataLossError(fmt::format("{} record {}: no measurements", file, index));
        if (absl::Status shaped = CheckRowShape(*ex, shape, n); !shaped.ok())
          return Annotate(shaped, fmt::format("{} record {}", file, index));
        shard_meas += n;
        const uint64_t h = HashKey(key_is_string, key, seed);
        const bool same_key = cut && global_row > 0 && h == last_hash && key == last_key;
        if (cut) {
          auto ri = ex->find("row_index");
          const auto* values = ri == ex->end() ? nullptr : std::get_if<std::vector<int64_t>>(&ri->second);
          if (values == nullptr || values->size() != 1)
            return absl::DataLossError(fmt::format("{} record {}: no int64 row_index", file, index));
          const int64_t want = same_key ? last_index + 1 : 0;
          if ((*values)[0] != want)
            return absl::DataLossError(fmt::format("{} record {}: key {} has row_index {}, expected {}", file, index,
                                                   RenderKey(key_is_string, key), (*values)[0], want));
          if (same_key && index == 0)
            return absl::DataLossError(fmt::format("{} record {}: the rows of key {} are in two shards", file, index,
                                                   RenderKey(key_is_string, key)));
          last_index = (*values)[0];
        }
        if (!same_key && global_row > 0 && (h < last_hash || (h == last_hash && key <= last_key)))
          return absl::DataLossError(
              fmt::format("{} record {}: key {} is out of hash order", file, index, RenderKey(key_is_string, key)));
        last_hash = h;
        last_key = key;
        ++global_row;
        if (!same_key) ++split_keys;
        if (!options.inputs.empty() || !options.sql.empty()) key_counts[key] = same_key ? key_counts[key] + n : n;
        return absl::OkStatus();
      });
      if (!st.ok()) problem(StatusMessage(st));
      if (shard_meas != sh.value("measurements", uint64_t{0}))
        problem(fmt::format("{}: {} measurements, metadata says {}", file, shard_meas,
                            sh.value("measurements", uint64_t{0})));
      split_rows += (*reader)->num_records();
      split_meas += shard_meas;
    }
    if (split_rows != s.value("rows", uint64_t{0}))
      problem(fmt::format("split {}: {} rows, metadata says {}", split, split_rows, s.value("rows", uint64_t{0})));
    if (split_meas != s.value("measurements", uint64_t{0}))
      problem(fmt::format("split {}: {} measurements, metadata says {}", split, split_meas,
                          s.value("measurements", uint64_t{0})));
    if (split_bytes != s.value("file_bytes", uint64_t{0}))
      problem(fmt::format("split {}: its shards' file_bytes add up to {}, metadata says {}", split, split_bytes,
                          s.value("file_bytes", uint64_t{0})));
    if (const char* field = std::string(split) == "test" ? "test_rows" : "train_rows";
        meta["split"].contains(field) && meta["split"][field].get<uint64_t>() != split_rows)
      problem(fmt::format("split {}: {} rows, metadata's split.{} says {}", split, split_rows, field,
                          meta["split"][field].get<uint64_t>()));
    if (std::string(split) == "test") {
      test_rows = split_rows;
      test_keys = split_keys;
    }
    rows_total += split_rows;
    meas_total += split_meas;
    keys_total += split_keys;
  }
  if (cut) {
    const uint64_t expected_test = SplitPlan::Make(keys_total, meas_total, test_fraction, 1, 1).num_test;
    if (test_keys != expected_test)
      problem(fmt::format("test split holds {} keys; round({} * {}) = {}", test_keys, test_fraction, keys_total,
                          expected_test));
  } else {
    const uint64_t expected_test = SplitPlan::Make(rows_total, meas_total, test_fraction, 1, 1).num_test;
    if (test_rows != expected_test)
      problem(fmt::format("test split holds {} rows; round({} * {}) = {}", test_rows, test_fraction, rows_total,
                          expected_test));
  }
  if (meta.contains("counts")) {
    if (meta["counts"]["rows"].get<uint64_t>() != rows_total)
      problem(fmt::format("{} rows in all, metadata's counts.rows says {}", rows_total,
                          meta["counts"]["rows"].get<uint64_t>()));
    if (meta["counts"]["measurements"].get<uint64_t>() != meas_total)
      problem(fmt::format("{} measurements in all, metadata's counts.measurements says {}", meas_total,
                          meta["counts"]["measurements"].get<uint64_t>()));
  }
  for (const std::string& p : CheckTfdsFiles(env, dir, meta)) problem(p);
  result.report = fmt::format("checked {} shard file(s): {} rows, {} measurements\n", files, rows_total, meas_total);

  if (!options.inputs.empty() || !options.sql.empty()) {
    BuildOptions bo;
    bo.inputs = options.inputs;
    bo.sql = options.sql;
    bo.key_column = key_name;
    bo.order_column = order_name;
    // Only the key is recounted: other columns need not be readable.
    bo.include_columns = key_names.empty() ? std::vector<std::string>{key_name} : key_names;
    bo.preset = meta.value("preset", "");
    bo.input_format = meta.value("input_format", "");
    ASSIGN_OR_RETURN(std::unique_ptr<DuckDb> db, DuckDb::Open(DuckDbOptions{0, options.threads, ""}));
    ASSIGN_OR_RETURN(SourceSchema schema, ResolveSource(db.get(), bo, nullptr, CompressedInputs::kCheckEnds));
    // A composite key: its parts, encoded here.
    std::string key_select = schema.key_expr;
    std::vector<bool> part_is_string;
    for (size_t i = 0; i < schema.key_parts.size(); ++i) {
      const SourceColumn& c = schema.columns[static_cast<size_t>(schema.key_parts[i])];
      key_select = i == 0 ? c.value_sql : key_select + ", " + c.value_sql;
      part_is_string.push_back(c.physical == PhysicalType::kString);
    }
    const size_t nkey = std::max<size_t>(1, part_is_string.size());
    ASSIGN_OR_RETURN(QueryResult r, db->Stream(fmt::format("SELECT {}, count(*) FROM {} AS t GROUP BY {}", key_select,
                                                           schema.from_clause, nkey == 1 ? "1" : "ALL")));
    uint64_t input_keys = 0, input_meas = 0;
    for (;;) {
      ASSIGN_OR_RETURN(DataChunk chunk, r.Next());
      if (!chunk.valid()) break;
      void* keys = duckdb_vector_get_data(chunk.column(0));
      const int64_t* counts = static_cast<const int64_t*>(duckdb_vector_get_data(chunk.column(nkey)));
      for (uint64_t i = 0; i < chunk.size(); ++i) {
        std::string key;
        if (!part_is_string.empty()) {
          for (size_t j = 0; j < part_is_string.size(); ++j) {
            void* part = duckdb_vector_get_data(chunk.column(j));
            if (part_is_string[j]) {
              AppendStringKeyPart(StringAt(static_cast<duckdb_string_t*>(part), i), &key);
            } else {
              AppendIntKeyPart(static_cast<const int64_t*>(part)[i], &key);
            }
          }
        } else if (schema.key_is_string) {
          key = std::string(StringAt(static_cast<duckdb_string_t*>(keys), i));
        } else {
          key.resize(kIntKeySize);
          EncodeIntKey(static_cast<const int64_t*>(keys)[i], key.data());
        }
        ++input_keys;
        input_meas += static_cast<uint64_t>(counts[i]);
        auto it = key_counts.find(key);
        if (it == key_counts.end()) {
          problem(fmt::format("key {} has {} measurements in the input but no row", RenderSchemaKey(schema, key),
                              counts[i]));
          continue;
        }
        if (it->second != static_cast<uint64_t>(counts[i]))
          problem(fmt::format("key {}: {} measurements in its row, {} in the input", RenderSchemaKey(schema, key),
                              it->second, counts[i]));
        key_counts.erase(it);
      }
    }
    for (const auto& [key, n] : key_counts)
      problem(
          fmt::format("key {} has a row ({} measurements) but is not in the input", RenderKey(key_is_string, key), n));
    result.report += fmt::format("recounted the input with DuckDB: {} keys, {} measurements\n", input_keys, input_meas);
  }
  result.report += result.ok ? "OK\n" : fmt::format("FAILED: {} problem(s)\n", result.problem_count);
  return result;
}

}  // namespace proberows
