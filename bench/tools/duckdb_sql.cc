// duckdb_sql: runs SQL statements on an in-memory DuckDB with a given memory
// limit, thread count and temp directory, for the baselines of scripts/bench.sh
// (the same limits proberows gets). Prints, for the last statement, its rows
// (up to --print-rows) and one summary line:
//   duckdb_sql: rows=N elapsed_s=S
// Exits 0 on success, 3 when DuckDB runs out of memory ("Out of Memory" in its
// message), 1 on any other error (the message on stderr).
//
//   duckdb_sql [--memory-limit 1GB] [--threads 2] [--temp-dir DIR]
//              [--print-rows 20] SQL [SQL...]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "source/duckdb_handle.h"
#include "util/status_macros.h"

namespace {

// Parses "1GB", "512MiB", "100000000" into bytes (0 on error).
uint64_t ParseBytes(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || value < 0) return 0;
  std::string unit(end);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double scale = 1;
  if (unit.empty() || unit == "B")
    scale = 1;
  else if (unit == "KB")
    scale = 1e3;
  else if (unit == "MB")
    scale = 1e6;
  else if (unit == "GB")
    scale = 1e9;
  else if (unit == "KIB")
    scale = 1024.0;
  else if (unit == "MIB")
    scale = 1024.0 * 1024;
  else if (unit == "GIB")
    scale = 1024.0 * 1024 * 1024;
  else
    return 0;
  return static_cast<uint64_t>(value * scale);
}

std::string CellText(duckdb_vector vector, duckdb_type type, uint64_t row) {
  uint64_t* validity = duckdb_vector_get_validity(vector);
  if (validity != nullptr && !duckdb_validity_row_is_valid(validity, row)) return "NULL";
  void* data = duckdb_vector_get_data(vector);
  switch (type) {
    case DUCKDB_TYPE_BIGINT: return std::to_string(static_cast<int64_t*>(data)[row]);
    case DUCKDB_TYPE_INTEGER: return std::to_string(static_cast<int32_t*>(data)[row]);
    case DUCKDB_TYPE_UBIGINT: return std::to_string(static_cast<uint64_t*>(data)[row]);
    case DUCKDB_TYPE_DOUBLE: return std::to_string(static_cast<double*>(data)[row]);
    case DUCKDB_TYPE_HUGEINT: {
      duckdb_hugeint h = static_cast<duckdb_hugeint*>(data)[row];
      if (h.upper == 0) return std::to_string(h.lower);
      return std::to_string(duckdb_hugeint_to_double(h));
    }
    case DUCKDB_TYPE_VARCHAR: return std::string(proberows::StringAt(static_cast<duckdb_string_t*>(data), row));
    default: return "?";
  }
}

absl::Status Run(const proberows::DuckDbOptions& options, const std::vector<std::string>& sqls, uint64_t print_rows) {
  auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::unique_ptr<proberows::DuckDb> db, proberows::DuckDb::Open(options));
  for (size_t i = 0; i + 1 < sqls.size(); ++i) RETURN_IF_ERROR(db->Execute(sqls[i]));
  ASSIGN_OR_RETURN(proberows::QueryResult result, db->Stream(sqls.back()));
  uint64_t rows = 0;
  while (true) {
    ASSIGN_OR_RETURN(proberows::DataChunk chunk, result.Next());
    if (!chunk.valid()) break;
    for (uint64_t r = 0; r < chunk.size(); ++r, ++rows) {
      if (rows >= print_rows) continue;
      std::string line;
      for (size_t c = 0; c < result.columns().size(); ++c) {
        if (c > 0) line += '\t';
        line += CellText(chunk.column(c), result.columns()[c].type_id(), r);
      }
      std::printf("%s\n", line.c_str());
    }
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("duckdb_sql: rows=%llu elapsed_s=%.3f\n", static_cast<unsigned long long>(rows), elapsed);
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  proberows::DuckDbOptions options;
  uint64_t print_rows = 20;
  std::vector<std::string> sqls;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "duckdb_sql: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--memory-limit") {
      std::string text = value();
      options.memory_limit_bytes = ParseBytes(text);
      if (options.memory_limit_bytes == 0) {
        std::fprintf(stderr, "duckdb_sql: bad --memory-limit '%s'\n", text.c_str());
        return 2;
      }
    } else if (arg == "--threads") {
      options.threads = std::atoi(value().c_str());
    } else if (arg == "--temp-dir") {
      options.temp_directory = value();
    } else if (arg == "--print-rows") {
      print_rows = std::strtoull(value().c_str(), nullptr, 10);
    } else if (arg == "--help" || arg == "-h") {
      std::printf(
          "usage: duckdb_sql [--memory-limit 1GB] [--threads N] [--temp-dir DIR] "
          "[--print-rows N] SQL [SQL...]\n");
      return 0;
    } else {
      sqls.push_back(arg);
    }
  }
  if (sqls.empty()) {
    std::fprintf(stderr, "duckdb_sql: no SQL given\n");
    return 2;
  }
  absl::Status status = Run(options, sqls, print_rows);
  if (!status.ok()) {
    std::string message = proberows::StatusMessage(status);
    std::fprintf(stderr, "duckdb_sql: %s\n", message.c_str());
    if (message.find("Out of Memory") != std::string::npos || message.find("out of memory") != std::string::npos) {
      return 3;
    }
    return 1;
  }
  return 0;
}
