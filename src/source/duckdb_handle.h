// RAII wrappers around DuckDB's C API. This is the one place where DuckDB's
// `duckdb_state` + error message becomes an absl::Status.
//
// Thread-safety: a DuckDb (database + one connection) is used by one thread at
// a time. A StreamingQuery must not outlive the DuckDb that created it.
//
// Every statement is run through Bzip2Pipes (bzip2_pipes.h): a string
// literal naming an existing .bz2 file is read as that file decompressed.
#ifndef PROBEROWS_SOURCE_DUCKDB_HANDLE_H_
#define PROBEROWS_SOURCE_DUCKDB_HANDLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "duckdb.h"
#include "source/bzip2_pipes.h"

namespace proberows {

struct DuckDbOptions {
  // DuckDB's own memory limit in bytes (0: DuckDB's default).
  uint64_t memory_limit_bytes = 0;
  // DuckDB worker threads (0: DuckDB's default, one per core).
  int threads = 0;
  // Where DuckDB spills (empty: DuckDB's default).
  std::string temp_directory;
  // DuckDB's preserve_insertion_order setting.
  bool preserve_insertion_order = true;
};

// Owns a data chunk fetched from a result.
class DataChunk {
 public:
  DataChunk() = default;
  explicit DataChunk(duckdb_data_chunk chunk) : chunk_(chunk) {}
  DataChunk(DataChunk&& other) noexcept : chunk_(other.chunk_) { other.chunk_ = nullptr; }
  DataChunk& operator=(DataChunk&& other) noexcept;
  DataChunk(const DataChunk&) = delete;
  DataChunk& operator=(const DataChunk&) = delete;
  ~DataChunk();

  bool valid() const { return chunk_ != nullptr; }
  uint64_t size() const { return chunk_ ? duckdb_data_chunk_get_size(chunk_) : 0; }
  duckdb_vector column(uint64_t i) const { return duckdb_data_chunk_get_vector(chunk_, i); }
  duckdb_data_chunk get() const { return chunk_; }

 private:
  duckdb_data_chunk chunk_ = nullptr;
};

// The SQL spelling of a type (`BIGINT`, `DECIMAL(9,2)`, `DOUBLE[]`,
// `STRUCT`, ...), for messages and proberows.json. Ignores aliases.
std::string SqlTypeName(duckdb_logical_type t);

// A column of a result: its name and logical type (owned).
struct ResultColumn {
  std::string name;
  std::shared_ptr<struct _duckdb_logical_type> type;  // deleter: duckdb_destroy_logical_type
  duckdb_type type_id() const;
  // The SQL spelling of the type, e.g. "LIST(DOUBLE)" (for messages).
  std::string type_name() const;
};

// A result that hands out chunks one by one: either a streaming result
// (bounded memory, the query runs as chunks are fetched) or a materialized one.
class QueryResult {
 public:
  QueryResult(QueryResult&& other) noexcept;
  QueryResult& operator=(QueryResult&&) = delete;
  QueryResult(const QueryResult&) = delete;
  ~QueryResult();

  const std::vector<ResultColumn>& columns() const { return columns_; }
  // Next chunk; an invalid (empty) DataChunk at the end. Errors raised while
  // the query runs (e.g. a corrupt Parquet page, a damaged .bz2 input)
  // surface here.
  [[nodiscard]] absl::StatusOr<DataChunk> Next();
  // A text of this result (e.g. a `filename` column) with the pipes that
  // .bz2 inputs were read through named as those files (bzip2_pipes.h).
  std::string Restore(std::string_view text) const;

 private:
  friend class DuckDb;
  friend class PreparedStatement;
  QueryResult();
  duckdb_result result_;
  bool has_result_ = false;
  std::vector<ResultColumn> columns_;
  std::unique_ptr<Bzip2Pipes> pipes_;  // destroyed after result_
};

// A prepared statement with positional parameters ($1, $2, ...).
class PreparedStatement {
 public:
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;
  ~PreparedStatement();
  // `index` is 1-based.
  [[nodiscard]] absl::Status BindInt64(uint64_t index, int64_t value);
  [[nodiscard]] absl::Status BindString(uint64_t index, std::string_view value);
  // Runs the statement and returns its whole result.
  [[nodiscard]] absl::StatusOr<QueryResult> Execute();

 private:
  friend class DuckDb;
  PreparedStatement() = default;
  duckdb_prepared_statement stmt_ = nullptr;
};

class DuckDb {
 public:
  // Opens an in-memory database and one connection.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<DuckDb>> Open(const DuckDbOptions& options);
  ~DuckDb();

  // Runs `sql`, discarding any result.
  [[nodiscard]] absl::Status Execute(const std::string& sql);
  // Runs `sql` and returns its result streamed chunk by chunk.
  [[nodiscard]] absl::StatusOr<QueryResult> Stream(const std::string& sql);
  // Runs `sql` and returns the whole result in memory (small results only).
  [[nodiscard]] absl::StatusOr<QueryResult> Query(const std::string& sql);
  // Runs `sql` (a single-row, single-column query) and returns that value as
  // int64; NULL becomes `null_value`.
  [[nodiscard]] absl::StatusOr<int64_t> QueryInt64(const std::string& sql, int64_t null_value = 0);

  [[nodiscard]] absl::StatusOr<std::unique_ptr<PreparedStatement>> Prepare(const std::string& sql);

  // Cancels a running query from another thread.
  void Interrupt();

  duckdb_connection connection() { return connection_; }

 private:
  DuckDb() = default;
  // Threads a statement's .bz2 inputs decode on (Bzip2Pipes::Open).
  int bzip2_threads_ = 1;
  duckdb_database database_ = nullptr;
  duckdb_connection connection_ = nullptr;
};

// Quotes an SQL identifier: foo -> "foo", a"b -> "a""b".
std::string QuoteIdentifier(const std::string& name);
// Quotes an SQL string literal: it's -> 'it''s'.
std::string QuoteLiteral(const std::string& value);

// Reads a DuckDB string (VARCHAR/BLOB) from a vector's data.
inline std::string_view StringAt(duckdb_string_t* data, uint64_t row) {
  duckdb_string_t* s = &data[row];
  return std::string_view(duckdb_string_t_data(s), duckdb_string_t_length(*s));
}

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_DUCKDB_HANDLE_H_
