#include "source/feature_names.h"

#include <cctype>

#include <fmt/format.h>

#include "source/duckdb_handle.h"

namespace proberows {

namespace {

bool Blank(char c) { return c == ' ' || c == '\t'; }
bool Control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

std::string Why(std::string_view name) {
  if (name.empty()) return "is empty";
  if (Blank(name.front()) || Blank(name.back())) return "has a space at its start or end";
  for (char c : name)
    if (Control(c)) return fmt::format("holds the control character 0x{:02x}", static_cast<unsigned char>(c));
  return "has an empty part between '/'";
}

}  // namespace

bool IsValidFeatureName(std::string_view name) {
  if (name.empty() || Blank(name.front()) || Blank(name.back())) return false;
  if (name.front() == '/' || name.back() == '/' || name.find("//") != std::string_view::npos) return false;
  for (char c : name)
    if (Control(c)) return false;
  return true;
}

std::string ValidFeatureName(std::string_view name) {
  while (!name.empty() && Blank(name.front())) name.remove_prefix(1);
  while (!name.empty() && Blank(name.back())) name.remove_suffix(1);
  std::string out;
  for (char c : name) out += Control(c) ? '_' : c;
  while (out.find("//") != std::string::npos) out.replace(out.find("//"), 2, "/_/");
  if (!out.empty() && out.front() == '/') out = "_" + out;
  if (!out.empty() && out.back() == '/') out += "_";
  return out.empty() ? "unnamed" : out;
}

std::vector<std::string> FeatureNameProblems(const SourceSchema& schema, const std::string& input) {
  std::vector<std::string> lines;
  for (const SourceColumn& c : schema.columns) {
    if (c.spec.hidden || IsValidFeatureName(c.name)) continue;
    std::string rename;
    if (c.path.size() <= 1) {
      // SQL inside a double-quoted shell argument: identifiers quoted when
      // they need it, their double quotes escaped.
      auto ident = [](const std::string& name) {
        bool plain = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
        for (char ch : name) plain = plain && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
        if (plain) return name;
        std::string quoted;
        for (char ch : QuoteIdentifier(name)) quoted += ch == '"' ? std::string("\\\"") : std::string(1, ch);
        return quoted;
      };
      const char* reader = schema.reader.format == InputFormat::kJson  ? "read_json"
                           : schema.reader.format == InputFormat::kCsv ? "read_csv"
                                                                       : "read_parquet";
      const std::string from = input.empty() ? "(YOUR QUERY)" : fmt::format("{}('{}')", reader, input);
      rename = fmt::format("rename it: --sql \"SELECT * RENAME ({} AS {}) FROM {}\"", ident(c.name),
                           ident(ValidFeatureName(c.name)), from);
    } else {
      rename = "rename the field in a --sql query";
    }
    lines.push_back(fmt::format("feature name '{}' {}, which TFDS cannot hold: {}, or drop it with --exclude '{}'",
                                c.name, Why(c.name), rename, c.name));
  }
  return lines;
}

}  // namespace proberows
