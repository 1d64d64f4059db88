#include "pipeline/metadata_reader.h"

#include <fmt/format.h>

#include "pipeline/output_transaction.h"
#include "util/json_check.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

using Json = nlohmann::ordered_json;
using K = JsonKind;

absl::StatusOr<Json> ReadJsonFile(Env* env, const std::string& path) {
  if (!env->FileExists(path)) return absl::NotFoundError(fmt::format("'{}' is missing", path));
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, path));
  return ParseJsonFile(text, path);
}

// `field` of `parent` (at `path`), if present, is one of `allowed`.
void CheckOneOf(JsonFieldCheck* c, const Json& parent, const std::string& path, const char* field,
                std::initializer_list<const char*> allowed) {
  if (!c->ok() || !parent.contains(field) || !parent[field].is_string()) return;
  const std::string v = parent[field].get<std::string>();
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return;
    list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
  }
  c->Fail(fmt::format("field '{}' is \"{}\", expected one of {}", JsonFieldCheck::Path(path, field), v, list));
}

// A histogram as dataset_stats.h's RowJson writes it: [{low, high, count}].
void CheckHistogram(JsonFieldCheck* c, const Json& parent, const std::string& path) {
  if (!c->Field(parent, path, "histogram", K::kArray, /*required=*/false)) return;
  const std::string at = JsonFieldCheck::Path(path, "histogram");
  const Json& buckets = parent["histogram"];
  for (size_t i = 0; i < buckets.size(); ++i) {
    const std::string b = JsonFieldCheck::Element(at, i);
    if (c->Value(buckets[i], b, K::kObject)) c->Field(buckets[i], b, "count", K::kCount);
  }
}

void CheckSplit(JsonFieldCheck* c, const Json& s, const std::string& path) {
  for (const char* f : {"rows", "measurements", "file_bytes"}) c->Field(s, path, f, K::kCount);
  const std::string rb = JsonFieldCheck::Path(path, "row_bytes");
  if (c->Field(s, path, "row_bytes", K::kObject)) {
    for (const char* f : {"min", "max", "total"}) c->Field(s["row_bytes"], rb, f, K::kCount);
    c->Field(s["row_bytes"], rb, "mean", K::kNumber);
    CheckHistogram(c, s["row_bytes"], rb);
  }
  const std::string mr = JsonFieldCheck::Path(path, "measurements_per_row");
  if (c->Field(s, path, "measurements_per_row", K::kObject)) {
    for (const char* f : {"min", "max"}) c->Field(s["measurements_per_row"], mr, f, K::kCount);
    c->Field(s["measurements_per_row"], mr, "mean", K::kNumber);
    CheckHistogram(c, s["measurements_per_row"], mr);
  }
  if (c->Field(s, path, "order_span", K::kObject, /*required=*/false)) {
    const std::string os = JsonFieldCheck::Path(path, "order_span");
    c->Field(s["order_span"], os, "feature", K::kString, /*required=*/false);
    CheckHistogram(c, s["order_span"], os);
  }
  const std::string sh = JsonFieldCheck::Path(path, "shards");
  if (!c->Field(s, path, "shards", K::kArray)) return;
  for (size_t i = 0; i < s["shards"].size(); ++i) {
    const Json& shard = s["shards"][i];
    const std::string at = JsonFieldCheck::Element(sh, i);
    if (!c->Value(shard, at, K::kObject)) return;
    if (c->Field(shard, at, "file", K::kString)) {
      // A file of this folder: never a path that leads out of it.
      const std::string file = shard["file"].get<std::string>();
      if (file.empty() || file == "." || file == ".." || file.find('/') != std::string::npos)
        c->Fail(fmt::format("field '{}.file' is \"{}\", expected a file name in the folder", at, file));
    }
    for (const char* f : {"rows", "measurements", "row_bytes", "file_bytes"}) c->Field(shard, at, f, K::kCount);
    c->Field(shard, at, "xxh3_64", K::kString);
  }
}

std::string CheckMetadata(const Json& m) {
  JsonFieldCheck c;
  if (!c.Value(m, "", K::kObject)) return c.problem();
  for (const char* f : {"key", "order_by"}) c.Field(m, "", f, K::kString);
  for (const char* f : {"format", "name", "array_record_options", "preset", "input_format"})
    c.Field(m, "", f, K::kString, /*required=*/false);
  if (c.Field(m, "", "split", K::kObject)) {
    c.Field(m["split"], "split", "test_fraction", K::kNumber);
    c.Field(m["split"], "split", "seed", K::kCount);
    for (const char* f : {"test_rows", "train_rows"}) c.Field(m["split"], "split", f, K::kCount, /*required=*/false);
  }
  if (c.Field(m, "", "counts", K::kObject, /*required=*/false))
    for (const char* f : {"rows", "measurements"}) c.Field(m["counts"], "counts", f, K::kCount);
  // Cut rows (--max-measurements-per-row, --row-window): the features they add.
  if (c.Field(m, "", "cut_rows", K::kObject, /*required=*/false) &&
      c.Field(m["cut_rows"], "cut_rows", "features", K::kArray))
    for (size_t i = 0; i < m["cut_rows"]["features"].size(); ++i)
      c.Value(m["cut_rows"]["features"][i], JsonFieldCheck::Element("cut_rows.features", i), K::kString);
  if (c.Field(m, "", "columns", K::kArray)) {
    for (size_t i = 0; i < m["columns"].size(); ++i) {
      const Json& col = m["columns"][i];
      const std::string at = JsonFieldCheck::Element("columns", i);
      if (!c.Value(col, at, K::kObject)) break;
      for (const char* f : {"name", "role", "dtype"}) c.Field(col, at, f, K::kString);
      CheckOneOf(&c, col, at, "role", {"key", "static", "per_measurement"});
      CheckOneOf(&c, col, at, "dtype", {"int64", "float32", "bytes"});
      c.Field(col, at, "list", K::kBool);
      c.Field(col, at, "list_depth", K::kCount, /*required=*/false);
      if (c.Field(col, at, "path", K::kArray, /*required=*/false)) {
        const std::string pp = JsonFieldCheck::Path(at, "path");
        if (col["path"].empty()) c.Fail(fmt::format("field '{}' is empty", pp));
        for (size_t k = 0; k < col["path"].size(); ++k) {
          const std::string step = JsonFieldCheck::Element(pp, k);
          if (c.Value(col["path"][k], step, K::kObject)) {
            c.Field(col["path"][k], step, "name", K::kString);
            c.Field(col["path"][k], step, "lists", K::kCount);
          }
        }
      }
    }
  }
  if (c.Field(m, "", "features", K::kArray)) {
    for (size_t i = 0; i < m["features"].size(); ++i) {
      const Json& f = m["features"][i];
      const std::string at = JsonFieldCheck::Element("features", i);
      if (!c.Value(f, at, K::kObject)) break;
      for (const char* name : {"name", "dtype", "kind"}) c.Field(f, at, name, K::kString);
      c.Field(f, at, "column", K::kString, /*required=*/false);
      c.Field(f, at, "level", K::kCount, /*required=*/false);
    }
  }
  if (c.Field(m, "", "splits", K::kObject)) {
    for (const char* name : {"train", "test"}) {
      const std::string at = JsonFieldCheck::Path("splits", name);
      if (c.Field(m["splits"], "splits", name, K::kObject)) CheckSplit(&c, m["splits"][name], at);
    }
  }
  return c.problem();
}

// The statistics of one split as InspectStatistics reads them.
void CheckStatistics(JsonFieldCheck* c, const Json& split, const std::string& path) {
  if (!c->Field(split, path, "statistics", K::kObject, /*required=*/false)) return;
  const Json& stats = split["statistics"];
  const std::string sp = JsonFieldCheck::Path(path, "statistics");
  if (!c->Field(stats, sp, "features", K::kArray, /*required=*/false)) return;
  const std::string fp = JsonFieldCheck::Path(sp, "features");
  for (size_t i = 0; i < stats["features"].size(); ++i) {
    const Json& f = stats["features"][i];
    const std::string at = JsonFieldCheck::Element(fp, i);
    if (!c->Value(f, at, K::kObject)) return;
    c->Field(f, at, "name", K::kString);
    const char* body_name = f.contains("numStats") ? "numStats" : "stringStats";
    if (!c->Field(f, at, body_name, K::kObject)) return;
    const Json& body = f[body_name];
    const std::string bp = JsonFieldCheck::Path(at, body_name);
    c->Field(body, bp, "commonStats", K::kObject);
    if (c->Field(body, bp, "histograms", K::kArray, /*required=*/false)) {
      const std::string hp = JsonFieldCheck::Path(bp, "histograms");
      if (body["histograms"].empty()) c->Fail(fmt::format("field '{}' is empty", hp));
      for (size_t h = 0; h < body["histograms"].size(); ++h)
        c->Value(body["histograms"][h], JsonFieldCheck::Element(hp, h), K::kObject);
    }
    if (c->Field(body, bp, "topValues", K::kArray, /*required=*/false)) {
      const std::string tp = JsonFieldCheck::Path(bp, "topValues");
      for (size_t t = 0; t < body["topValues"].size(); ++t) {
        const std::string e = JsonFieldCheck::Element(tp, t);
        if (c->Value(body["topValues"][t], e, K::kObject))
          c->Field(body["topValues"][t], e, "value", K::kString, /*required=*/false);
      }
    }
    if (c->Field(f, at, "customStats", K::kArray, /*required=*/false)) {
      const std::string cp = JsonFieldCheck::Path(at, "customStats");
      for (size_t k = 0; k < f["customStats"].size(); ++k) {
        const std::string e = JsonFieldCheck::Element(cp, k);
        if (c->Value(f["customStats"][k], e, K::kObject)) c->Field(f["customStats"][k], e, "name", K::kString);
      }
    }
  }
}

std::string CheckDatasetInfo(const Json& info) {
  JsonFieldCheck c;
  if (!c.Value(info, "", K::kObject)) return c.problem();
  for (const char* f : {"name", "fileFormat"}) c.Field(info, "", f, K::kString);
  if (!c.Field(info, "", "splits", K::kArray)) return c.problem();
  for (size_t i = 0; i < info["splits"].size(); ++i) {
    const Json& s = info["splits"][i];
    const std::string at = JsonFieldCheck::Element("splits", i);
    if (!c.Value(s, at, K::kObject)) break;
    for (const char* f : {"name", "numBytes"}) c.Field(s, at, f, K::kString);
    if (c.Field(s, at, "shardLengths", K::kArray)) {
      const std::string lp = JsonFieldCheck::Path(at, "shardLengths");
      for (size_t k = 0; k < s["shardLengths"].size(); ++k)
        c.Value(s["shardLengths"][k], JsonFieldCheck::Element(lp, k), K::kString);
    }
    CheckStatistics(&c, s, at);
  }
  return c.problem();
}

std::string CheckFeatures(const Json& f) {
  JsonFieldCheck c;
  if (!c.Value(f, "", K::kObject)) return c.problem();
  c.Field(f, "", "pythonClassName", K::kString);
  if (c.Field(f, "", "featuresDict", K::kObject)) c.Field(f["featuresDict"], "featuresDict", "features", K::kObject);
  return c.problem();
}

absl::StatusOr<Json> ReadChecked(Env* env, const std::string& path, const char* what,
                                 std::string (*check)(const Json&)) {
  ASSIGN_OR_RETURN(Json j, ReadJsonFile(env, path));
  if (const std::string problem = check(j); !problem.empty())
    return absl::DataLossError(fmt::format("'{}' is not valid {}: {}", path, what, problem));
  return j;
}

}  // namespace

absl::StatusOr<Json> ReadMetadataFile(Env* env, const std::string& dir) {
  const std::string path = dir + "/" + kMetadataFileName;
  if (!env->FileExists(dir)) return absl::NotFoundError(fmt::format("'{}' does not exist", dir));
  if (!env->FileExists(path))
    return absl::NotFoundError(fmt::format("'{}' is not a proberows output ({} missing)", dir, kMetadataFileName));
  return ReadChecked(env, path, "proberows metadata", CheckMetadata);
}

absl::StatusOr<Json> ReadDatasetInfoFile(Env* env, const std::string& dir) {
  return ReadChecked(env, dir + "/dataset_info.json", "TFDS dataset info", CheckDatasetInfo);
}

absl::StatusOr<Json> ReadFeaturesFile(Env* env, const std::string& dir) {
  return ReadChecked(env, dir + "/features.json", "TFDS features", CheckFeatures);
}

}  // namespace proberows
