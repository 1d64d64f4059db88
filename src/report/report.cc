// `proberows report`: one self-contained HTML page about an output folder.
//
// The page (src/report/report_template.html) and Chart.js are embedded into
// the library at build time (cmake/embed_files.cmake); RenderReport fills in
// the dataset's figures as one JSON block read from proberows.json and
// dataset_info.json, so the page needs no network and no other file.
#include <cstddef>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pipeline/metadata_reader.h"
#include "pipeline/output_transaction.h"
#include "proberows/dataset.h"
#include "util/json_check.h"
#include "util/status_macros.h"

namespace proberows {

extern const char kReportTemplate[];
extern const std::size_t kReportTemplateSize;
extern const char kChartJs[];
extern const std::size_t kChartJsSize;

namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kDataMark = "__PROBEROWS_REPORT_DATA__";
constexpr std::string_view kChartMark = "/*__PROBEROWS_CHART_JS__*/";

absl::StatusOr<Json> ReadJson(Env* env, const std::string& path) {
  if (!env->FileExists(path)) return absl::NotFoundError(fmt::format("'{}' is missing", path));
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(env, path));
  ASSIGN_OR_RETURN(Json j, ParseJsonFile(text, path));
  if (!j.is_object()) return absl::DataLossError(fmt::format("'{}' is not valid JSON (not an object)", path));
  return j;
}

}  // namespace

absl::StatusOr<std::string> RenderReport(Env* env, const std::string& dir) {
  ASSIGN_OR_RETURN(Json meta, ReadMetadataFile(env, dir));
  ASSIGN_OR_RETURN(Json info, ReadJson(env, dir + "/dataset_info.json"));
  Json tfds = Json::object();
  try {
    for (const Json& split : info.at("splits")) {
      const std::string name = split.at("name").get<std::string>();
      if (!split.contains("statistics"))
        return absl::FailedPreconditionError(fmt::format(
            "'{}/dataset_info.json' has no statistics for split '{}' (written by an older proberows); rebuild the "
            "dataset to get a report",
            dir, name));
      tfds[name] = split.at("statistics");
    }
    // The page counts shards; their checksums and file names stay out.
    for (const char* name : {"train", "test"}) {
      Json& s = meta.at("splits").at(name);
      Json rows = Json::array();
      for (const Json& sh : s.at("shards")) rows.push_back(sh.at("rows"));
      s["shards"] = rows;
      if (!s.at("measurements_per_row").contains("histogram"))
        return absl::FailedPreconditionError(
            fmt::format("'{}/{}' has no row histograms (written by an older proberows); rebuild the dataset to get "
                        "a report",
                        dir, kMetadataFileName));
    }
  } catch (const std::exception& e) {
    return absl::DataLossError(fmt::format("'{}' holds damaged metadata ({})", dir, e.what()));
  }
  Json data;
  data["proberows"] = std::move(meta);
  data["tfds"] = std::move(tfds);
  // JSON inside <script>: '<' only occurs inside strings, where \u003c
  // means the same and cannot close the element.
  std::string json;
  for (char c : data.dump(-1, ' ', false, Json::error_handler_t::replace)) {
    if (c == '<') {
      json += "\\u003c";
    } else {
      json.push_back(c);
    }
  }
  std::string page(kReportTemplate, kReportTemplateSize);
  const size_t data_at = page.find(kDataMark);
  const size_t chart_at = page.find(kChartMark);
  if (data_at == std::string::npos || chart_at == std::string::npos || chart_at < data_at)
    return absl::InternalError("the report template lacks its placeholders");
  std::string out;
  out.reserve(page.size() + json.size() + kChartJsSize);
  out.append(page, 0, data_at);
  out += json;
  out.append(page, data_at + kDataMark.size(), chart_at - data_at - kDataMark.size());
  out.append(kChartJs, kChartJsSize);
  out.append(page, chart_at + kChartMark.size());
  return out;
}

}  // namespace proberows
