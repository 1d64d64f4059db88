#include "tests/reliability_util.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "source/duckdb_handle.h"
#include "tests/test_util.h"
#include "util/status_macros.h"

namespace proberows {

namespace fs = std::filesystem;

void RunDuckDbOrDie(const std::string& sql) {
  absl::StatusOr<std::unique_ptr<DuckDb>> db = DuckDb::Open(DuckDbOptions{});
  if (!db.ok()) {
    std::fprintf(stderr, "DuckDB open: %s\n", StatusMessage(db.status()).c_str());
    std::abort();
  }
  absl::Status st = (*db)->Execute(sql);
  if (!st.ok()) {
    std::fprintf(stderr, "DuckDB: %s\nSQL: %s\n", StatusMessage(st).c_str(), sql.c_str());
    std::abort();
  }
}

void WriteGoodParquet(const std::string& path, int probes, int per_probe) {
  RunDuckDbOrDie("COPY (SELECT (i // " + std::to_string(per_probe) +
                 ")::BIGINT AS prb_id, TIMESTAMP '2024-01-01' + to_seconds(i) AS timestamp, "
                 "((i % 97) * 0.5)::DOUBLE AS rtt, 'c' || (i // " +
                 std::to_string(per_probe) + ") % 3 AS country FROM range(" + std::to_string(probes * per_probe) +
                 ") t(i)) TO '" + path + "' (FORMAT parquet)");
}

std::set<std::string> ListTree(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::string rel = fs::relative(it->path(), dir).string();
    if (it->is_directory()) rel += "/";
    out.insert(rel);
  }
  return out;
}

std::map<std::string, std::string> ReadTreeBytes(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = ReadFileOrDie(e.path());
  return out;
}

std::string NewEntries(const std::set<std::string>& before, const std::set<std::string>& after) {
  std::string out;
  for (const std::string& p : after) {
    if (before.count(p)) continue;
    if (!out.empty()) out += ", ";
    out += p;
  }
  return out;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace proberows
