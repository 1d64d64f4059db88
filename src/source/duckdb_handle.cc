#include "source/duckdb_handle.h"

#include <algorithm>
#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

// DuckDB's JSON reader advises options proberows does not offer: its
// advice is dropped, or said in proberows' terms.
std::string WithoutDuckDbAdvice(std::string msg) {
  constexpr std::string_view kTransform =
      " Try setting 'auto_detect' to true, specifying 'format' or 'records' manually, or setting 'ignore_errors' to "
      "true.";
  if (const size_t at = msg.find(kTransform); at != std::string::npos) msg.erase(at, kTransform.size());
  constexpr std::string_view kObjectSize = ".  Try increasing \"maximum_object_size\".";
  if (const size_t at = msg.find(kObjectSize); at != std::string::npos)
    msg.replace(at, kObjectSize.size(), "; proberows cannot read a JSON object (line) this long: split or shorten it");
  return msg;
}

// DuckDB messages span several lines (a "LINE 1: ..." excerpt with a caret,
// hints in extra paragraphs); proberows prints one line per error: the first
// paragraph, its lines joined.
std::string OneLine(std::string msg) {
  const size_t para = msg.find("\n\n");
  if (para != std::string::npos) msg.resize(para);
  for (char& c : msg)
    if (c == '\n') c = ' ';
  while (!msg.empty() && msg.back() == ' ') msg.pop_back();
  return WithoutDuckDbAdvice(std::move(msg));
}

absl::Status ErrorFromResult(duckdb_result* result, std::string_view what) {
  const char* err = duckdb_result_error(result);
  std::string msg = OneLine(err ? err : "unknown DuckDB error");
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  switch (duckdb_result_error_type(result)) {
    case DUCKDB_ERROR_OUT_OF_MEMORY: code = absl::StatusCode::kResourceExhausted; break;
    case DUCKDB_ERROR_INTERRUPT: code = absl::StatusCode::kCancelled; break;
    case DUCKDB_ERROR_IO: code = absl::StatusCode::kInternal; break;
    default: break;
  }
  if (what.empty()) return absl::Status(code, msg);
  return absl::Status(code, absl::StrCat(std::string(what), ": ", msg));
}

// A failed statement's error as the user should see it: a .bz2 input that
// failed to decode is the cause (DuckDB only saw its bytes end early);
// otherwise DuckDB's message, naming the .bz2 files instead of their pipes.
absl::Status WithPipes(const Bzip2Pipes* pipes, const absl::Status& st) {
  if (pipes == nullptr || st.ok()) return st;
  if (absl::Status decode = pipes->Error(); !decode.ok()) return decode;
  return absl::Status(st.code(), pipes->Restore(StatusMessage(st)));
}

std::vector<ResultColumn> ColumnsOf(duckdb_result* result) {
  std::vector<ResultColumn> cols;
  const uint64_t n = duckdb_column_count(result);
  for (uint64_t i = 0; i < n; ++i) {
    ResultColumn c;
    c.name = duckdb_column_name(result, i);
    c.type = std::shared_ptr<struct _duckdb_logical_type>(
        duckdb_column_logical_type(result, i), [](duckdb_logical_type t) { duckdb_destroy_logical_type(&t); });
    cols.push_back(std::move(c));
  }
  return cols;
}

}  // namespace

DataChunk& DataChunk::operator=(DataChunk&& other) noexcept {
  if (this != &other) {
    if (chunk_) duckdb_destroy_data_chunk(&chunk_);
    chunk_ = other.chunk_;
    other.chunk_ = nullptr;
  }
  return *this;
}

DataChunk::~DataChunk() {
  if (chunk_) duckdb_destroy_data_chunk(&chunk_);
}

// duckdb.h has no type-to-string; spell the types ourselves.
std::string SqlTypeName(duckdb_logical_type t) {
  switch (duckdb_get_type_id(t)) {
    case DUCKDB_TYPE_BOOLEAN: return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT: return "TINYINT";
    case DUCKDB_TYPE_SMALLINT: return "SMALLINT";
    case DUCKDB_TYPE_INTEGER: return "INTEGER";
    case DUCKDB_TYPE_BIGINT: return "BIGINT";
    case DUCKDB_TYPE_UTINYINT: return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT: return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER: return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT: return "UBIGINT";
    case DUCKDB_TYPE_HUGEINT: return "HUGEINT";
    case DUCKDB_TYPE_UHUGEINT: return "UHUGEINT";
    case DUCKDB_TYPE_FLOAT: return "FLOAT";
    case DUCKDB_TYPE_DOUBLE: return "DOUBLE";
    case DUCKDB_TYPE_DECIMAL:
      return absl::StrCat("DECIMAL(", duckdb_decimal_width(t), ",", duckdb_decimal_scale(t), ")");
    case DUCKDB_TYPE_TIMESTAMP: return "TIMESTAMP";
    case DUCKDB_TYPE_TIMESTAMP_TZ: return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_TIMESTAMP_S: return "TIMESTAMP_S";
    case DUCKDB_TYPE_TIMESTAMP_MS: return "TIMESTAMP_MS";
    case DUCKDB_TYPE_TIMESTAMP_NS: return "TIMESTAMP_NS";
    case DUCKDB_TYPE_DATE: return "DATE";
    case DUCKDB_TYPE_TIME: return "TIME";
    case DUCKDB_TYPE_TIME_TZ: return "TIME WITH TIME ZONE";
    case DUCKDB_TYPE_INTERVAL: return "INTERVAL";
    case DUCKDB_TYPE_VARCHAR: return "VARCHAR";
    case DUCKDB_TYPE_BLOB: return "BLOB";
    case DUCKDB_TYPE_UUID: return "UUID";
    case DUCKDB_TYPE_ENUM: return "ENUM";
    case DUCKDB_TYPE_STRUCT: return "STRUCT";
    case DUCKDB_TYPE_MAP: return "MAP";
    case DUCKDB_TYPE_UNION: return "UNION";
    case DUCKDB_TYPE_BIT: return "BIT";
    case DUCKDB_TYPE_ARRAY: return "ARRAY";
    case DUCKDB_TYPE_SQLNULL: return "NULL";
    case DUCKDB_TYPE_LIST: {
      duckdb_logical_type child = duckdb_list_type_child_type(t);
      std::string out = absl::StrCat(SqlTypeName(child), "[]");
      duckdb_destroy_logical_type(&child);
      return out;
    }
    default: return absl::StrCat("type#", static_cast<int>(duckdb_get_type_id(t)));
  }
}

duckdb_type ResultColumn::type_id() const { return duckdb_get_type_id(type.get()); }

std::string ResultColumn::type_name() const {
  char* s = duckdb_logical_type_get_alias(type.get());
  if (s) {
    std::string out = s;
    duckdb_free(s);
    return out;
  }
  return SqlTypeName(type.get());
}

QueryResult::QueryResult() = default;

QueryResult::QueryResult(QueryResult&& other) noexcept
    : result_(other.result_),
      has_result_(other.has_result_),
      columns_(std::move(other.columns_)),
      pipes_(std::move(other.pipes_)) {
  other.has_result_ = false;
}

QueryResult::~QueryResult() {
  if (has_result_) duckdb_destroy_result(&result_);
}

absl::StatusOr<DataChunk> QueryResult::Next() {
  duckdb_data_chunk chunk = duckdb_fetch_chunk(result_);
  if (chunk == nullptr) {
    if (duckdb_result_error(&result_) != nullptr) return WithPipes(pipes_.get(), ErrorFromResult(&result_, ""));
    // The end: every .bz2 input read to its end must have decoded whole.
    if (pipes_) RETURN_IF_ERROR(pipes_->Error());
    return DataChunk();
  }
  return DataChunk(chunk);
}

std::string QueryResult::Restore(std::string_view text) const {
  return pipes_ ? pipes_->Restore(text) : std::string(text);
}

absl::StatusOr<std::unique_ptr<DuckDb>> DuckDb::Open(const DuckDbOptions& options) {
  std::unique_ptr<DuckDb> db(new DuckDb());
  db->bzip2_threads_ =
      options.threads > 0 ? options.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  duckdb_config config;
  if (duckdb_create_config(&config) != DuckDBSuccess) return absl::InternalError("duckdb: cannot create config");
  auto set = [&](const char* key, const std::string& value) -> absl::Status {
    if (duckdb_set_config(config, key, value.c_str()) != DuckDBSuccess)
      return absl::InvalidArgumentError(absl::StrCat("duckdb: invalid setting ", key, "=", value));
    return absl::OkStatus();
  };
  absl::Status st = absl::OkStatus();
  if (options.memory_limit_bytes > 0) st.Update(set("memory_limit", absl::StrCat(options.memory_limit_bytes, "B")));
  if (options.threads > 0) st.Update(set("threads", absl::StrCat(options.threads)));
  if (!options.temp_directory.empty()) st.Update(set("temp_directory", options.temp_directory));
  st.Update(set("preserve_insertion_order", options.preserve_insertion_order ? "true" : "false"));
  st.Update(set("autoinstall_known_extensions", "false"));
  st.Update(set("autoload_known_extensions", "false"));
  if (!st.ok()) {
    duckdb_destroy_config(&config);
    return st;
  }
  char* err = nullptr;
  duckdb_state state = duckdb_open_ext(nullptr, &db->database_, config, &err);
  duckdb_destroy_config(&config);
  if (state != DuckDBSuccess) {
    std::string msg = err ? err : "unknown error";
    if (err) duckdb_free(err);
    return absl::InternalError(absl::StrCat("duckdb: cannot open database: ", msg));
  }
  if (duckdb_connect(db->database_, &db->connection_) != DuckDBSuccess)
    return absl::InternalError("duckdb: cannot connect");
  return db;
}

DuckDb::~DuckDb() {
  if (connection_) duckdb_disconnect(&connection_);
  if (database_) duckdb_close(&database_);
}

absl::Status DuckDb::Execute(const std::string& sql) {
  std::string run;
  ASSIGN_OR_RETURN(std::unique_ptr<Bzip2Pipes> pipes, Bzip2Pipes::Open(sql, &run, bzip2_threads_));
  duckdb_result result;
  if (duckdb_query(connection_, run.c_str(), &result) != DuckDBSuccess) {
    absl::Status st = WithPipes(pipes.get(), ErrorFromResult(&result, ""));
    duckdb_destroy_result(&result);
    return st;
  }
  duckdb_destroy_result(&result);
  return pipes ? pipes->Error() : absl::OkStatus();
}

absl::StatusOr<QueryResult> DuckDb::Query(const std::string& sql) {
  std::string run;
  ASSIGN_OR_RETURN(std::unique_ptr<Bzip2Pipes> pipes, Bzip2Pipes::Open(sql, &run, bzip2_threads_));
  QueryResult out;
  if (duckdb_query(connection_, run.c_str(), &out.result_) != DuckDBSuccess) {
    absl::Status st = WithPipes(pipes.get(), ErrorFromResult(&out.result_, ""));
    duckdb_destroy_result(&out.result_);
    return st;
  }
  out.has_result_ = true;
  out.pipes_ = std::move(pipes);
  out.columns_ = ColumnsOf(&out.result_);
  return out;
}

absl::StatusOr<QueryResult> DuckDb::Stream(const std::string& sql) {
  std::string run;
  ASSIGN_OR_RETURN(std::unique_ptr<Bzip2Pipes> pipes, Bzip2Pipes::Open(sql, &run, bzip2_threads_));
  duckdb_prepared_statement stmt;
  if (duckdb_prepare(connection_, run.c_str(), &stmt) != DuckDBSuccess) {
    std::string msg = OneLine(duckdb_prepare_error(stmt) ? duckdb_prepare_error(stmt) : "prepare failed");
    duckdb_destroy_prepare(&stmt);
    return WithPipes(pipes.get(), absl::InvalidArgumentError(msg));
  }
  duckdb_pending_result pending;
  if (duckdb_pending_prepared_streaming(stmt, &pending) != DuckDBSuccess) {
    std::string msg = OneLine(duckdb_pending_error(pending) ? duckdb_pending_error(pending) : "query failed");
    duckdb_destroy_pending(&pending);
    duckdb_destroy_prepare(&stmt);
    return WithPipes(pipes.get(), absl::InvalidArgumentError(msg));
  }
  QueryResult out;
  duckdb_state state = duckdb_execute_pending(pending, &out.result_);
  duckdb_destroy_pending(&pending);
  duckdb_destroy_prepare(&stmt);
  if (state != DuckDBSuccess) {
    absl::Status st = WithPipes(pipes.get(), ErrorFromResult(&out.result_, ""));
    duckdb_destroy_result(&out.result_);
    return st;
  }
  out.has_result_ = true;
  out.pipes_ = std::move(pipes);
  out.columns_ = ColumnsOf(&out.result_);
  return out;
}

absl::StatusOr<int64_t> DuckDb::QueryInt64(const std::string& sql, int64_t null_value) {
  std::string run;
  ASSIGN_OR_RETURN(std::unique_ptr<Bzip2Pipes> pipes, Bzip2Pipes::Open(sql, &run, bzip2_threads_));
  duckdb_result result;
  if (duckdb_query(connection_, run.c_str(), &result) != DuckDBSuccess) {
    absl::Status st = WithPipes(pipes.get(), ErrorFromResult(&result, ""));
    duckdb_destroy_result(&result);
    return st;
  }
  if (pipes) {
    if (absl::Status st = pipes->Error(); !st.ok()) {
      duckdb_destroy_result(&result);
      return st;
    }
  }
  int64_t v = null_value;
  if (duckdb_row_count(&result) > 0 && duckdb_column_count(&result) > 0 && !duckdb_value_is_null(&result, 0, 0))
    v = duckdb_value_int64(&result, 0, 0);
  duckdb_destroy_result(&result);
  return v;
}

absl::StatusOr<std::unique_ptr<PreparedStatement>> DuckDb::Prepare(const std::string& sql) {
  std::unique_ptr<PreparedStatement> p(new PreparedStatement());
  if (duckdb_prepare(connection_, sql.c_str(), &p->stmt_) != DuckDBSuccess) {
    const char* err = duckdb_prepare_error(p->stmt_);
    return absl::InvalidArgumentError(OneLine(err ? err : "prepare failed"));
  }
  return p;
}

PreparedStatement::~PreparedStatement() {
  if (stmt_) duckdb_destroy_prepare(&stmt_);
}

absl::Status PreparedStatement::BindInt64(uint64_t index, int64_t value) {
  if (duckdb_bind_int64(stmt_, index, value) != DuckDBSuccess)
    return absl::InvalidArgumentError(absl::StrCat("cannot bind parameter ", index));
  return absl::OkStatus();
}

absl::Status PreparedStatement::BindString(uint64_t index, std::string_view value) {
  if (duckdb_bind_varchar_length(stmt_, index, value.data(), value.size()) != DuckDBSuccess)
    return absl::InvalidArgumentError(absl::StrCat("cannot bind parameter ", index));
  return absl::OkStatus();
}

absl::StatusOr<QueryResult> PreparedStatement::Execute() {
  QueryResult out;
  if (duckdb_execute_prepared(stmt_, &out.result_) != DuckDBSuccess) {
    absl::Status st = ErrorFromResult(&out.result_, "");
    duckdb_destroy_result(&out.result_);
    return st;
  }
  out.has_result_ = true;
  out.columns_ = ColumnsOf(&out.result_);
  return out;
}

void DuckDb::Interrupt() { duckdb_interrupt(connection_); }

std::string QuoteIdentifier(const std::string& name) {
  return absl::StrCat("\"", absl::StrReplaceAll(name, {{"\"", "\"\""}}), "\"");
}

std::string QuoteLiteral(const std::string& value) {
  return absl::StrCat("'", absl::StrReplaceAll(value, {{"'", "''"}}), "'");
}

}  // namespace proberows
