#include "source/feature_names.h"

#include <fmt/format.h>

#include "source/duckdb_handle.h"

namespace proberows {

namespace {

bool Allowed(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-' || c == '/';
}

std::string Why(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.front() == ' ' || name.back() == ' ') return "has a space at its start or end";
  for (char c : name) {
    if (c == ' ') return "holds a space";
    if (!Allowed(c)) return fmt::format("holds '{}'", std::string(1, c));
  }
  return fmt::format("starts with '{}'", std::string(1, name.front()));
}

}  // namespace

bool IsValidFeatureName(std::string_view name) {
  if (name.empty() || name.front() == '_' || name.front() == '-' || name.front() == '/') return false;
  for (char c : name)
    if (!Allowed(c)) return false;
  return true;
}

std::string ValidFeatureName(std::string_view name) {
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  std::string out;
  for (char c : name) out += Allowed(c) ? c : '_';
  if (out.empty() || out.front() == '_' || out.front() == '-' || out.front() == '/') out = "f" + out;
  return out;
}

std::vector<std::string> FeatureNameProblems(const SourceSchema& schema, const std::string& input) {
  std::vector<std::string> lines;
  for (const SourceColumn& c : schema.columns) {
    if (IsValidFeatureName(c.name)) continue;
    std::string rename;
    if (c.path.size() <= 1) {
      // SQL inside a double-quoted shell argument: its double quotes escaped.
      std::string quoted;
      for (char ch : QuoteIdentifier(c.name)) quoted += ch == '"' ? std::string("\\\"") : std::string(1, ch);
      const char* reader = schema.reader.format == InputFormat::kJson  ? "read_json"
                           : schema.reader.format == InputFormat::kCsv ? "read_csv"
                                                                       : "read_parquet";
      const std::string from = input.empty() ? "(YOUR QUERY)" : fmt::format("{}('{}')", reader, input);
      rename = fmt::format("rename it: --sql \"SELECT * RENAME ({} AS {}) FROM {}\"", quoted, ValidFeatureName(c.name),
                           from);
    } else {
      rename = "rename the field in a --sql query";
    }
    lines.push_back(
        fmt::format("feature name '{}' {}, which TFDS cannot hold (feature names: "
                    "[A-Za-z0-9.][A-Za-z0-9_.-/]*): {}, or drop it with --exclude '{}'",
                    c.name, Why(c.name), rename, c.name));
  }
  return lines;
}

}  // namespace proberows
