#include "util/json_check.h"

#include <fmt/format.h>

#include "util/status_macros.h"

namespace proberows {

namespace {

using Json = nlohmann::ordered_json;

const char* Expected(JsonKind kind) {
  switch (kind) {
    case JsonKind::kObject: return "an object";
    case JsonKind::kArray: return "an array";
    case JsonKind::kString: return "a string";
    case JsonKind::kBool: return "true or false";
    case JsonKind::kNumber: return "a number";
    case JsonKind::kCount: return "an integer >= 0";
  }
  return "?";
}

bool Is(const Json& v, JsonKind kind) {
  switch (kind) {
    case JsonKind::kObject: return v.is_object();
    case JsonKind::kArray: return v.is_array();
    case JsonKind::kString: return v.is_string();
    case JsonKind::kBool: return v.is_boolean();
    case JsonKind::kNumber: return v.is_number();
    case JsonKind::kCount: return v.is_number_unsigned();
  }
  return false;
}

// What `v` is, for a message: a scalar with its value (long strings cut).
std::string Describe(const Json& v) {
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_null()) return "null";
  std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  if (v.is_string()) return "the string " + text;
  if (v.is_boolean()) return "the boolean " + text;
  return "the number " + text;
}

}  // namespace

absl::Status CheckJsonDepth(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        return absl::InvalidArgumentError(fmt::format("nested deeper than {} levels (at byte {})", max_depth, i));
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Json> ParseJsonFile(std::string_view text, const std::string& path) {
  if (absl::Status st = CheckJsonDepth(text); !st.ok())
    return absl::DataLossError(fmt::format("'{}' is not valid JSON: {}", path, StatusMessage(st)));
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    return absl::DataLossError(fmt::format("'{}' is not valid JSON: {}", path, JsonErrorMessage(e)));
  }
}

std::string JsonErrorMessage(const std::exception& e) {
  // "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
  std::string what = e.what();
  if (what.starts_with("[json.exception.")) {
    const size_t end = what.find("] ");
    if (end != std::string::npos) what = what.substr(end + 2);
  }
  return what;
}

bool JsonFieldCheck::Field(const Json& parent, const std::string& parent_path, const std::string& key, JsonKind kind,
                           bool required) {
  if (!ok()) return false;
  const std::string path = Path(parent_path, key);
  if (!parent.is_object() || !parent.contains(key)) {
    if (required) Fail(fmt::format("field '{}' is missing", path));
    return false;
  }
  return Value(parent[key], path, kind);
}

bool JsonFieldCheck::Value(const Json& value, const std::string& path, JsonKind kind) {
  if (!ok()) return false;
  if (Is(value, kind)) return true;
  const std::string what = path.empty() ? std::string("the top level") : fmt::format("field '{}'", path);
  Fail(fmt::format("{} is {}, expected {}", what, Describe(value), Expected(kind)));
  return false;
}

void JsonFieldCheck::Fail(std::string problem) {
  if (ok()) problem_ = std::move(problem);
}

std::string JsonFieldCheck::Path(const std::string& parent_path, const std::string& key) {
  return parent_path.empty() ? key : parent_path + "." + key;
}

std::string JsonFieldCheck::Element(const std::string& path, size_t index) {
  return fmt::format("{}[{}]", path, index);
}

}  // namespace proberows
