#include "proberows/build_options.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "util/status_macros.h"

namespace proberows {

const char* StrategyName(Strategy s) {
  switch (s) {
    case Strategy::kSequential: return "sequential";
    case Strategy::kInMemory: return "in-memory";
    case Strategy::kStreaming: return "streaming";
  }
  return "?";
}

absl::Status ParseStrategy(const std::string& text, Strategy* out) {
  if (text == "sequential")
    *out = Strategy::kSequential;
  else if (text == "in-memory" || text == "in_memory" || text == "inmemory")
    *out = Strategy::kInMemory;
  else if (text == "streaming")
    *out = Strategy::kStreaming;
  else
    return absl::InvalidArgumentError(
        fmt::format("--strategy: unknown strategy '{}' (expected sequential, in-memory or streaming)", text));
  return absl::OkStatus();
}

absl::Status ParseByteSize(const std::string& text, uint64_t* bytes) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  const std::string number = text.substr(0, i);
  std::string unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto bad = [&] {
    return absl::InvalidArgumentError(
        fmt::format("invalid size '{}' (expected e.g. 512MB, 2GiB, 1g or a number of bytes)", text));
  };
  if (number.empty() || number.find('.') != number.rfind('.')) return bad();
  double value = 0;
  try {
    value = std::stod(number);
  } catch (...) {
    return bad();
  }
  double mult = 1;
  if (unit.empty() || unit == "b")
    mult = 1;
  else if (unit == "kb")
    mult = 1e3;
  else if (unit == "mb")
    mult = 1e6;
  else if (unit == "gb")
    mult = 1e9;
  else if (unit == "tb")
    mult = 1e12;
  else if (unit == "k" || unit == "kib")
    mult = 1024.0;
  else if (unit == "m" || unit == "mib")
    mult = 1024.0 * 1024;
  else if (unit == "g" || unit == "gib")
    mult = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "tib")
    mult = 1024.0 * 1024 * 1024 * 1024;
  else
    return bad();
  const double v = value * mult;
  if (!(v < 1.8e19)) return bad();
  *bytes = static_cast<uint64_t>(std::llround(v));
  return absl::OkStatus();
}

absl::Status ParseRowWindow(const std::string& text, int64_t* seconds, bool* bare) {
  auto bad = [&] {
    return absl::InvalidArgumentError(fmt::format(
        "--row-window '{}': expected a positive whole number of seconds, minutes, hours or days (90s, 15m, 1h, 1d) "
        "or a positive integer in the order column's unit",
        text));
  };
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 15) return bad();
  const int64_t n = std::stoll(text.substr(0, i));
  const std::string unit = text.substr(i);
  int64_t mult = 1;
  *bare = unit.empty();
  if (unit.empty() || unit == "s")
    mult = 1;
  else if (unit == "m")
    mult = 60;
  else if (unit == "h")
    mult = 3600;
  else if (unit == "d")
    mult = 86400;
  else
    return bad();
  if (n <= 0) return bad();
  *seconds = n * mult;  // at most 10^15 * 86400 < 2^63
  return absl::OkStatus();
}

std::string FormatBytes(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  if (u == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {}", v, kUnits[u]);
}

std::string BuildOptions::PublishedDir() const {
  if (!tfds_layout) return output_dir;
  std::string dir = output_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/" + name + "/" + kTfdsVersion;
}

int BuildOptions::EffectiveWorkers() const {
  if (workers > 0) return workers;
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::vector<std::string> BuildOptions::KeyColumns() const {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = key_column.find(',', start);
    out.push_back(key_column.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

absl::Status BuildOptions::Validate() const {
  if (inputs.empty() && sql.empty())
    return absl::InvalidArgumentError("no input: give --input FILE_OR_GLOB... or --sql QUERY");
  if (!inputs.empty() && !sql.empty()) return absl::InvalidArgumentError("--input and --sql are mutually exclusive");
  if (output_dir.empty()) return absl::InvalidArgumentError("--output is required");
  // The name is a file-name prefix and, with --tfds-layout, a folder beside
  // the output: "." or ".." would publish outside --output.
  if (name.empty() || name == "." || name == ".." || std::any_of(name.begin(), name.end(), [](char c) {
        return c == '/' || c == '-' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
      }))
    return absl::InvalidArgumentError(fmt::format(
        "--name '{}': must be non-empty, not '.' or '..', without '/', '\\', '-' or control characters", name));
  if (key_column.empty()) return absl::InvalidArgumentError("--key must not be empty");
  if (order_column.empty()) return absl::InvalidArgumentError("--order-by must not be empty");
  if (order_column == key_column)
    return absl::InvalidArgumentError(fmt::format("--order-by '{}' is the key column", order_column));
  const std::vector<std::string> keys = KeyColumns();
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].empty())
      return absl::InvalidArgumentError(
          fmt::format("--key '{}': part {} is empty (expected COLUMN[,COLUMN...])", key_column, i + 1));
    for (size_t j = 0; j < i; ++j)
      if (keys[j] == keys[i]) return absl::InvalidArgumentError(fmt::format("key column '{}' named twice", keys[i]));
    if (keys.size() > 1 && keys[i] == order_column)
      return absl::InvalidArgumentError(fmt::format("--order-by '{}' is a key column", order_column));
  }
  const auto is_key = [&](const std::string& c) { return std::find(keys.begin(), keys.end(), c) != keys.end(); };
  if (!(test_fraction >= 0.0 && test_fraction < 1.0))
    return absl::InvalidArgumentError(fmt::format("--test-fraction {} is outside [0, 1)", test_fraction));
  if (train_shards < 0 || test_shards < 0)
    return absl::InvalidArgumentError("--train-shards/--test-shards must be positive (or 0 for automatic)");
  if (workers < 0) return absl::InvalidArgumentError(fmt::format("--workers {} must be at least 1", workers));
  if (memory_limit_bytes == 0) return absl::InvalidArgumentError("--memory-limit must be positive");
  // 64 MiB fixed reserve + 32 MiB for DuckDB + room to group (docs/design.md).
  if (memory_limit_bytes < (128ull << 20))
    return absl::InvalidArgumentError(
        fmt::format("--memory-limit {} is too small to make progress: proberows needs at least 128 MiB",
                    FormatBytes(memory_limit_bytes)));
  if (json_reader != "duckdb" && json_reader != "native")
    return absl::InvalidArgumentError(
        fmt::format("--json-reader: unknown reader '{}' (expected duckdb or native)", json_reader));
  if (json_reader == "native" && preset != "ripe-atlas-ping")
    return absl::InvalidArgumentError(
        fmt::format("--json-reader native reads --preset ripe-atlas-ping input only{}; use --json-reader duckdb",
                    preset == "ripe-atlas-traceroute" ? " (traceroute: not yet)" : ""));
  if (!row_window.empty()) {
    int64_t unused = 0;
    bool bare = false;
    RETURN_IF_ERROR(ParseRowWindow(row_window, &unused, &bare));
  }
  for (const std::string& c : static_columns) {
    if (is_key(c)) return absl::InvalidArgumentError(fmt::format("--static-columns: '{}' is the key column", c));
    if (c == order_column)
      return absl::InvalidArgumentError(fmt::format("--static-columns: '{}' is the order column", c));
  }
  for (const std::string& c : exclude_columns) {
    if (is_key(c) || c == order_column)
      return absl::InvalidArgumentError(
          fmt::format("--exclude: '{}' is the key or order column and cannot be excluded", c));
  }
  return absl::OkStatus();
}

}  // namespace proberows
