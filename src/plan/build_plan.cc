#include "plan/build_plan.h"

#include <sys/stat.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "plan/memory_budget.h"
#include "source/decode_file.h"
#include "source/native_ping.h"
#include "source/row_converter.h"
#include "util/json_check.h"
#include "util/status_macros.h"
#include "util/varint.h"

namespace proberows {

namespace {

using Json = nlohmann::ordered_json;

int CeilLog2(uint64_t n) {
  int b = 0;
  while ((uint64_t{1} << b) < n && b < 63) ++b;
  return b;
}

Json OptionsToJson(const BuildOptions& o) {
  Json j;
  j["inputs"] = o.inputs;
  j["sql"] = o.sql;
  j["output"] = o.output_dir;
  j["name"] = o.name;
  j["overwrite"] = o.overwrite;
  j["tfds_layout"] = o.tfds_layout;
  j["key"] = o.key_column;
  j["order_by"] = o.order_column;
  j["static_columns"] = o.static_columns;
  j["include"] = o.include_columns;
  j["exclude"] = o.exclude_columns;
  j["null_lists_as_empty"] = o.null_lists_as_empty;
  j["fill_nulls"] = o.fill_nulls;  // nested input / NULL policy / formats / presets (source/input_source.h)
  j["null_mask"] = o.null_mask;
  j["input_format"] = o.input_format;
  j["preset"] = o.preset;
  j["test_fraction"] = o.test_fraction;
  j["seed"] = o.seed;
  j["train_shards"] = o.train_shards;
  j["test_shards"] = o.test_shards;
  j["array_record_options"] = o.array_record_options;
  // Only when set, so that the plans (and ids) of uncut builds are unchanged.
  if (o.max_measurements_per_row > 0) j["max_measurements_per_row"] = o.max_measurements_per_row;
  if (!o.row_window.empty()) j["row_window"] = o.row_window;
  if (o.json_reader != "duckdb") j["json_reader"] = o.json_reader;
  return j;
}

void OptionsFromJson(const Json& j, BuildOptions* o) {
  o->inputs = GetField<std::vector<std::string>>(j, "inputs");
  o->sql = GetField<std::string>(j, "sql");
  o->output_dir = GetField<std::string>(j, "output");
  o->name = GetField<std::string>(j, "name");
  o->overwrite = GetField<bool>(j, "overwrite");
  o->tfds_layout = GetField<bool>(j, "tfds_layout");
  o->key_column = GetField<std::string>(j, "key");
  o->order_column = GetField<std::string>(j, "order_by");
  o->static_columns = GetField<std::vector<std::string>>(j, "static_columns");
  o->include_columns = GetField<std::vector<std::string>>(j, "include");
  o->exclude_columns = GetField<std::vector<std::string>>(j, "exclude");
  o->null_lists_as_empty = GetField<bool>(j, "null_lists_as_empty");
  o->fill_nulls = GetField<std::vector<std::string>>(j, "fill_nulls");
  o->null_mask = GetField<bool>(j, "null_mask");
  o->input_format = GetField<std::string>(j, "input_format");
  o->preset = GetField<std::string>(j, "preset");
  o->test_fraction = GetField<double>(j, "test_fraction");
  o->seed = GetField<uint64_t>(j, "seed");
  o->train_shards = GetField<int>(j, "train_shards");
  o->test_shards = GetField<int>(j, "test_shards");
  o->array_record_options = GetField<std::string>(j, "array_record_options");
  o->max_measurements_per_row = GetFieldOr<uint64_t>(j, "max_measurements_per_row", 0);
  o->row_window = GetFieldOr<std::string>(j, "row_window", "");
  o->json_reader = GetFieldOr<std::string>(j, "json_reader", "duckdb");
}

// Everything but the id, in a fixed order: the id is a hash of this.
Json PlanBody(const BuildPlan& p) {
  Json j;
  j["format"] = BuildPlan::kFormat;
  j["options"] = OptionsToJson(p.options);
  Json inputs = Json::array();
  for (const InputFile& f : p.inputs) {
    Json e;
    e["path"] = f.path;
    e["size"] = f.size;
    e["mtime_ns"] = f.mtime_ns;
    e["footer_xxh3"] = f.footer_xxh3;
    e["rows"] = f.rows;
    e["rows_known"] = f.rows_known;
    inputs.push_back(e);
  }
  j["inputs"] = inputs;
  j["columns"] = p.columns;
  j["map_tasks"] = p.map_tasks;
  j["reduce_tasks"] = p.reduce_tasks;
  j["partition_bits"] = p.partition_bits;
  Json maps = Json::array();
  for (const auto& units : p.maps) {
    Json m = Json::array();
    for (const InputUnit& u : units) {
      if (u.whole) {
        m.push_back({{"file", u.file}});
      } else {
        m.push_back({{"file", u.file}, {"rows", {u.row_begin, u.row_end}}});
      }
    }
    maps.push_back(m);
  }
  j["maps"] = maps;
  j["estimated_rows"] = p.estimated_rows;
  j["rows_exact"] = p.rows_exact;
  j["record_bytes"] = p.record_bytes;
  if (!p.reader_options.empty()) {
    j["reader_options"] = p.reader_options;
    j["strict_int_leaves"] = p.strict_int_leaves;
  }
  return j;
}

absl::Status StatFile(const std::string& path, InputFile* f) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return absl::NotFoundError(fmt::format("input '{}' does not exist (any more)", path));
  f->size = static_cast<uint64_t>(st.st_size);
  f->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return absl::OkStatus();
}

// XXH3-64 of a Parquet file's footer (its last 8 + footer-length bytes), or
// "" if the file does not end like a Parquet file.
absl::StatusOr<std::string> ParquetFooterHash(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env->NewRandomAccessFile(path));
  const uint64_t size = file->size();
  if (size < 12) return std::string();
  char tail[8];
  std::string_view got;
  RETURN_IF_ERROR(file->Read(size - 8, 8, tail, &got));
  if (got.size() != 8 || got.substr(4) != "PAR1") return std::string();
  const uint64_t footer = DecodeFixed32(got.data());
  if (footer + 8 > size) return std::string();
  std::string buf(footer + 8, '\0');
  RETURN_IF_ERROR(file->Read(size - 8 - footer, footer + 8, buf.data(), &got));
  return fmt::format("{:016x}", XXH3_64bits(got.data(), got.size()));
}

// Mean measurement record bytes over the first rows of the input.
class SizeSink final : public RecordSink {
 public:
  absl::Status Add(uint64_t, std::string_view record) override {
    bytes += record.size();
    ++records;
    return absl::OkStatus();
  }
  uint64_t bytes = 0;
  uint64_t records = 0;
};

// A bad value among the first rows is not the plan's business: the map task
// that reads it reports it, naming the file; the estimate then falls back to
// kDefaultRecordBytes.
constexpr double kDefaultRecordBytes = 256;

// The rows sampled: DuckDB's first chunk (below) holds at most this many,
// from the first file.
constexpr uint64_t kSampleRows = 2048;

absl::StatusOr<double> SampleRecordBytes(DuckDb* db, const SourceSchema& schema, const BuildOptions& options) {
  if (options.json_reader == "native") {
    // The rows of DuckDB's sample, as the native reader makes them: DuckDB
    // reads no input (a .bz2 is decoded only as far as those rows here, and
    // once in the map).
    if (!CheckNativePing(options, schema).ok() || schema.files.empty()) return kDefaultRecordBytes;
    SizeSink sink;
    if (!NativePingHead(schema, {schema.files[0]}, kSampleRows, options.seed, &sink).ok() || sink.records == 0)
      return kDefaultRecordBytes;
    return static_cast<double>(sink.bytes) / static_cast<double>(sink.records);
  }
  // Materialized, not streamed: see the NOTE in source/parallel_scan.cc.
  absl::StatusOr<QueryResult> r =
      db->Query(fmt::format("SELECT * FROM ({}) AS proberows_sample LIMIT {}", schema.select_sql, kSampleRows));
  if (!r.ok()) return kDefaultRecordBytes;
  absl::StatusOr<DataChunk> chunk = r->Next();
  if (!chunk.ok()) return kDefaultRecordBytes;
  RowConverter converter(schema, options.seed, options.null_lists_as_empty);
  SizeSink sink;
  if (chunk->valid() && !converter.Convert(*chunk, &sink).ok()) return kDefaultRecordBytes;
  if (sink.records == 0) return kDefaultRecordBytes;
  return static_cast<double>(sink.bytes) / static_cast<double>(sink.records);
}

// Rows of a text file (CSV/JSON, maybe compressed), estimated from its size:
// the first MiB of the first uncompressed file gives bytes per line;
// compressed files are taken to hold 8 times their size.
uint64_t EstimateTextRows(Env* env, const std::vector<InputFile>& files) {
  double bytes_per_line = 200;
  for (const InputFile& f : files) {
    const std::string& p = f.path;
    if (CompressionOf(p) != Compression::kNone) continue;
    absl::StatusOr<std::unique_ptr<RandomAccessFile>> file = env->NewRandomAccessFile(p);
    if (!file.ok()) break;
    std::string buf(1 << 20, '\0');
    std::string_view got;
    if (!(*file)->Read(0, buf.size(), buf.data(), &got).ok() || got.empty()) break;
    const size_t lines = static_cast<size_t>(std::count(got.begin(), got.end(), '\n'));
    if (lines > 0) bytes_per_line = static_cast<double>(got.size()) / static_cast<double>(lines);
    break;
  }
  double total = 0;
  for (const InputFile& f : files) {
    const bool compressed = CompressionOf(f.path) != Compression::kNone;
    total += static_cast<double>(f.size) * (compressed ? 8.0 : 1.0);
  }
  return static_cast<uint64_t>(total / std::max(1.0, bytes_per_line));
}

// A unit of work before assignment: a Parquet row group or a whole file.
struct Piece {
  int file;
  bool whole;
  uint64_t row_begin, row_end;
  uint64_t weight;  // bytes
};

// Cuts `pieces` (in input order) into `tasks` contiguous runs of about equal
// weight (a piece goes to the task whose share holds its middle); adjacent row groups of one file merge into one row
// range, and a file all of whose row groups land in one task becomes a whole-file unit.
std::vector<std::vector<InputUnit>> AssignPieces(const std::vector<Piece>& pieces, int tasks,
                                                 const std::vector<InputFile>& inputs) {
  std::vector<std::vector<InputUnit>> maps(static_cast<size_t>(tasks));
  uint64_t total = 0;
  for (const Piece& p : pieces) total += std::max<uint64_t>(1, p.weight);
  uint64_t before = 0;
  for (const Piece& p : pieces) {
    // The task whose share [total*i/tasks, total*(i+1)/tasks) holds the
    // piece's middle.
    const uint64_t weight = std::max<uint64_t>(1, p.weight);
    const unsigned __int128 middle = static_cast<unsigned __int128>(before) * 2 + weight;
    const int task = static_cast<int>(
        std::min<unsigned __int128>(middle * static_cast<unsigned>(tasks) / (static_cast<unsigned __int128>(total) * 2),
                                    static_cast<unsigned>(tasks - 1)));
    before += weight;
    std::vector<InputUnit>& units = maps[static_cast<size_t>(task)];
    if (!p.whole && !units.empty() && !units.back().whole && units.back().file == p.file &&
        units.back().row_end == p.row_begin) {
      units.back().row_end = p.row_end;
    } else {
      units.push_back(InputUnit{p.file, p.whole, p.row_begin, p.row_end});
    }
  }
  for (auto& units : maps) {
    for (InputUnit& u : units) {
      const InputFile& f = inputs[static_cast<size_t>(u.file)];
      if (!u.whole && f.rows_known && u.row_begin == 0 && u.row_end == f.rows) u.whole = true;
      if (u.whole) u.row_begin = u.row_end = 0;
    }
  }
  return maps;
}

std::string ColumnsText(const SourceSchema& schema) {
  std::string out;
  for (const SourceColumn& c : schema.columns) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", c.name, c.input_type);
  }
  return out;
}

}  // namespace

BuildOptions PlanOptions(const BuildOptions& options) {
  BuildOptions o = options;
  const BuildOptions defaults;
  o.strategy = defaults.strategy;
  o.workers = defaults.workers;
  o.memory_limit_bytes = defaults.memory_limit_bytes;
  o.temp_dir = defaults.temp_dir;
  o.progress = defaults.progress;
  return o;
}

uint64_t BuildPlan::MapRows(int task, bool* known) const {
  uint64_t rows = 0;
  *known = true;
  for (const InputUnit& u : maps[static_cast<size_t>(task)]) {
    const InputFile& f = inputs[static_cast<size_t>(u.file)];
    if (u.whole) {
      if (!f.rows_known) *known = false;
      rows += f.rows;
    } else {
      rows += u.row_end - u.row_begin;
    }
  }
  if (!options.sql.empty()) *known = false;
  return rows;
}

std::string BuildPlan::ToJson() const {
  Json j;
  j["id"] = id;
  const Json body = PlanBody(*this);
  for (auto it = body.begin(); it != body.end(); ++it) j[it.key()] = it.value();
  return j.dump(2) + "\n";
}

absl::StatusOr<BuildPlan> BuildPlan::FromJson(std::string_view json, const std::string& where) {
  BuildPlan p;
  if (absl::Status st = CheckJsonDepth(json); !st.ok())
    return absl::DataLossError(
        fmt::format("{}: not a plan this proberows can read ({}); make a new plan with "
                    "`proberows plan --replace`",
                    where, StatusMessage(st)));
  try {
    const Json j = Json::parse(json);
    if (GetField<std::string>(j, "format") != kFormat)
      return absl::FailedPreconditionError(
          fmt::format("{}: format '{}' is not {}", where, GetField<std::string>(j, "format"), kFormat));
    p.id = GetField<std::string>(j, "id");
    OptionsFromJson(j.at("options"), &p.options);
    for (const Json& e : j.at("inputs")) {
      InputFile f;
      f.path = GetField<std::string>(e, "path");
      f.size = GetField<uint64_t>(e, "size");
      f.mtime_ns = GetField<int64_t>(e, "mtime_ns");
      f.footer_xxh3 = GetField<std::string>(e, "footer_xxh3");
      f.rows = GetField<uint64_t>(e, "rows");
      f.rows_known = GetField<bool>(e, "rows_known");
      p.inputs.push_back(std::move(f));
    }
    p.columns = GetField<std::string>(j, "columns");
    p.map_tasks = GetField<int>(j, "map_tasks");
    p.reduce_tasks = GetField<int>(j, "reduce_tasks");
    p.partition_bits = GetField<int>(j, "partition_bits");
    for (const Json& m : j.at("maps")) {
      std::vector<InputUnit> units;
      for (const Json& u : m) {
        InputUnit unit;
        unit.file = GetField<int>(u, "file");
        if (u.contains("rows")) {
          unit.whole = false;
          unit.row_begin = u.at("rows").at(0).get<uint64_t>();
          unit.row_end = u.at("rows").at(1).get<uint64_t>();
        }
        if (unit.file < 0 || static_cast<size_t>(unit.file) >= p.inputs.size())
          return absl::DataLossError(
              fmt::format("{}: a map task reads file {} of {}", where, unit.file, p.inputs.size()));
        units.push_back(unit);
      }
      p.maps.push_back(std::move(units));
    }
    p.estimated_rows = GetField<uint64_t>(j, "estimated_rows");
    p.rows_exact = GetField<bool>(j, "rows_exact");
    p.record_bytes = GetField<double>(j, "record_bytes");
    p.reader_options = GetFieldOr<std::string>(j, "reader_options", "");
    if (j.contains("strict_int_leaves"))
      for (const Json& leaf : j.at("strict_int_leaves")) p.strict_int_leaves.push_back(leaf.get<std::string>());
  } catch (const std::exception& e) {
    return absl::DataLossError(fmt::format(
        "{}: not a plan this proberows can read ({}); damaged, or made by another version: make a new plan with "
        "`proberows plan --replace`",
        where, JsonErrorMessage(e)));
  }
  if (p.map_tasks < 1 || p.reduce_tasks < 1 || p.maps.size() != static_cast<size_t>(p.map_tasks) ||
      p.partition_bits < 0 || p.partition_bits > 16)
    return absl::DataLossError(fmt::format("{}: inconsistent task counts", where));
  const std::string body = PlanBody(p).dump();
  const std::string expected = fmt::format("{:016x}", XXH3_64bits(body.data(), body.size()));
  if (expected != p.id)
    return absl::DataLossError(
        fmt::format("{}: damaged or edited (its id {} does not match its contents)", where, p.id));
  return p;
}

absl::StatusOr<BuildPlan> MakePlan(DuckDb* db, Env* env, const BuildOptions& options, const PlanSettings& settings,
                                   SourceSchema* schema_out) {
  if (settings.map_tasks < 1 || settings.reduce_tasks < 1)
    return absl::InvalidArgumentError("--map-tasks and --reduce-tasks must be at least 1");
  if (!options.sql.empty() && settings.map_tasks > 1)
    return absl::InvalidArgumentError(fmt::format(
        "an --sql input is read by one map task (--map-tasks 1, not {}); give the files with --input to split them",
        settings.map_tasks));
  BuildPlan plan;
  plan.options = PlanOptions(options);
  plan.map_tasks = settings.map_tasks;
  plan.reduce_tasks = settings.reduce_tasks;

  // The native reader checks every .gz/.zst stream to its end as it reads
  // it (source/decode_file.h): checking them here too would decode every
  // file twice.
  ASSIGN_OR_RETURN(SourceSchema schema, ResolveSource(db, options, nullptr,
                                                      options.json_reader == "native" ? CompressedInputs::kTrust
                                                                                      : CompressedInputs::kCheckEnds));
  plan.columns = ColumnsText(schema);
  if (options.sql.empty() && schema.reader.format != InputFormat::kParquet) {
    plan.reader_options = schema.reader.options;
    plan.strict_int_leaves.assign(schema.reader.strict_int_leaves.begin(), schema.reader.strict_int_leaves.end());
  }

  std::vector<Piece> pieces;
  bool all_parquet = !schema.files.empty();
  for (const std::string& path : schema.files) {
    InputFile f;
    f.path = path;
    RETURN_IF_ERROR(StatFile(path, &f));
    ASSIGN_OR_RETURN(f.footer_xxh3, ParquetFooterHash(env, path));
    if (f.footer_xxh3.empty()) all_parquet = false;
    plan.inputs.push_back(std::move(f));
  }
  if (all_parquet) {
    // Row groups of every file: the units map tasks share. (The sum is cast:
    // DuckDB sums BIGINTs into a HUGEINT, which the int64 read below would
    // take for two values, the second 0.)
    std::map<std::string, int> index;
    for (size_t i = 0; i < plan.inputs.size(); ++i) index[plan.inputs[i].path] = static_cast<int>(i);
    std::vector<std::vector<Piece>> groups(plan.inputs.size());
    std::string list;
    for (const std::string& f : schema.files) list += (list.empty() ? "" : ", ") + QuoteLiteral(f);
    ASSIGN_OR_RETURN(QueryResult r,
                     db->Query(fmt::format("SELECT file_name, row_group_id, any_value(row_group_num_rows), "
                                           "sum(total_compressed_size)::BIGINT FROM parquet_metadata([{}]) "
                                           "GROUP BY ALL ORDER BY file_name, row_group_id",
                                           list)));
    for (;;) {
      ASSIGN_OR_RETURN(DataChunk chunk, r.Next());
      if (!chunk.valid()) break;
      auto* names = static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk.column(0)));
      auto* rows = static_cast<int64_t*>(duckdb_vector_get_data(chunk.column(2)));
      auto* bytes = static_cast<int64_t*>(duckdb_vector_get_data(chunk.column(3)));
      for (uint64_t i = 0; i < chunk.size(); ++i) {
        auto it = index.find(std::string(StringAt(names, i)));
        if (it == index.end()) continue;
        std::vector<Piece>& g = groups[static_cast<size_t>(it->second)];
        const uint64_t begin = g.empty() ? 0 : g.back().row_end;
        g.push_back(Piece{it->second, false, begin, begin + static_cast<uint64_t>(rows[i]),
                          static_cast<uint64_t>(std::max<int64_t>(0, bytes[i]))});
      }
    }
    for (size_t i = 0; i < groups.size(); ++i) {
      InputFile& f = plan.inputs[i];
      f.rows_known = true;
      f.rows = groups[i].empty() ? 0 : groups[i].back().row_end;
      if (groups[i].empty()) pieces.push_back(Piece{static_cast<int>(i), true, 0, 0, 1});
      for (const Piece& p : groups[i]) pieces.push_back(p);
      plan.estimated_rows += f.rows;
    }
    plan.rows_exact = true;
  } else {
    for (size_t i = 0; i < plan.inputs.size(); ++i)
      pieces.push_back(Piece{static_cast<int>(i), true, 0, 0, plan.inputs[i].size});
    plan.estimated_rows = schema.files.empty() ? 0 : EstimateTextRows(env, plan.inputs);
  }
  if (schema.files.empty()) {
    // --sql: one map task reads the query; count its rows for the estimate.
    ASSIGN_OR_RETURN(int64_t n, db->QueryInt64("SELECT count(*) FROM " + schema.from_clause + " AS t"));
    plan.estimated_rows = static_cast<uint64_t>(n);
    plan.rows_exact = true;
    plan.maps.assign(1, {});
  } else {
    plan.maps = AssignPieces(pieces, plan.map_tasks, plan.inputs);
  }

  ASSIGN_OR_RETURN(plan.record_bytes, SampleRecordBytes(db, schema, options));

  // Partitions: small enough that a reduce worker groups one within its
  // share of the memory limit, at least two per reduce worker.
  const int workers = std::max(1, settings.reduce_workers);
  const uint64_t target = TargetPartitionBytes(settings.reduce_memory_limit, workers);
  const uint64_t estimate = static_cast<uint64_t>(plan.record_bytes * static_cast<double>(plan.estimated_rows));
  plan.partition_bits =
      std::min(10, std::max(CeilLog2(2 * static_cast<uint64_t>(workers) * static_cast<uint64_t>(plan.reduce_tasks)),
                            CeilLog2((estimate + target - 1) / target)));

  const std::string body = PlanBody(plan).dump();
  plan.id = fmt::format("{:016x}", XXH3_64bits(body.data(), body.size()));
  *schema_out = std::move(schema);
  return plan;
}

absl::StatusOr<SourceSchema> ResolvePlannedSource(DuckDb* db, Env* env, const BuildPlan& plan) {
  // Before DuckDB reads anything: a changed file gets our message, not a
  // reader's error about its bytes.
  RETURN_IF_ERROR(CheckInputsUnchanged(env, plan, {}));
  // The reader the plan detected, when it kept one: not detected again.
  InputReader reader;
  reader.options = plan.reader_options;
  reader.strict_int_leaves.insert(plan.strict_int_leaves.begin(), plan.strict_int_leaves.end());
  const bool kept = !plan.reader_options.empty();
  ASSIGN_OR_RETURN(SourceSchema schema,
                   ResolveSource(db, plan.options, nullptr, CompressedInputs::kTrust, kept ? &reader : nullptr));
  const std::string columns = ColumnsText(schema);
  if (columns != plan.columns)
    return absl::FailedPreconditionError(fmt::format(
        "the input's columns changed since the plan was made: plan has ({}), input now has ({}); make a new plan",
        plan.columns, columns));
  if (schema.files.size() != plan.inputs.size())
    return absl::FailedPreconditionError(
        fmt::format("the input holds {} files now, {} when the plan was made; make a new plan", schema.files.size(),
                    plan.inputs.size()));
  for (size_t i = 0; i < schema.files.size(); ++i) {
    if (schema.files[i] != plan.inputs[i].path)
      return absl::FailedPreconditionError(
          fmt::format("the input files changed since the plan was made ('{}' is now '{}'); make a new plan",
                      plan.inputs[i].path, schema.files[i]));
  }
  return schema;
}

absl::Status CheckInputsUnchanged(Env* env, const BuildPlan& plan, std::span<const int> files) {
  std::vector<int> all;
  if (files.empty()) {
    for (size_t i = 0; i < plan.inputs.size(); ++i) all.push_back(static_cast<int>(i));
    files = all;
  }
  for (int i : files) {
    const InputFile& want = plan.inputs[static_cast<size_t>(i)];
    InputFile now;
    RETURN_IF_ERROR(StatFile(want.path, &now));
    std::string what;
    if (now.size != want.size) {
      what = fmt::format("size {} -> {} bytes", want.size, now.size);
    } else if (now.mtime_ns != want.mtime_ns) {
      what = "modification time";
    } else if (!want.footer_xxh3.empty()) {
      ASSIGN_OR_RETURN(std::string footer, ParquetFooterHash(env, want.path));
      if (footer != want.footer_xxh3) what = "Parquet footer";
    }
    if (!what.empty())
      return absl::FailedPreconditionError(
          fmt::format("input file '{}' changed since the plan was made ({}); make a new plan", want.path, what));
  }
  return absl::OkStatus();
}

std::vector<int> MapFiles(const BuildPlan& plan, int task) {
  std::vector<int> files;
  for (const InputUnit& u : plan.maps[static_cast<size_t>(task)])
    if (files.empty() || files.back() != u.file) files.push_back(u.file);
  return files;
}

std::string MapFromItem(const BuildPlan& plan, const SourceSchema& schema, int task) {
  if (!plan.options.sql.empty()) return task == 0 ? schema.from_clause : "";
  const std::vector<InputUnit>& units = plan.maps[static_cast<size_t>(task)];
  if (units.empty()) return "";
  std::vector<std::string> items;
  std::vector<std::string> whole;
  auto flush_whole = [&] {
    if (!whole.empty()) items.push_back(schema.ReaderFor(whole));
    whole.clear();
  };
  for (const InputUnit& u : units) {
    const std::string& path = plan.inputs[static_cast<size_t>(u.file)].path;
    if (u.whole) {
      whole.push_back(path);
      continue;
    }
    flush_whole();
    items.push_back(
        fmt::format("(SELECT * EXCLUDE (file_row_number) FROM {} WHERE file_row_number >= {} AND file_row_number < {})",
                    schema.ReaderFor({path}, "file_row_number = true"), u.row_begin, u.row_end));
  }
  flush_whole();
  if (items.size() == 1) return items[0];
  std::string sql = "(";
  for (size_t i = 0; i < items.size(); ++i) sql += fmt::format("{}SELECT * FROM {}", i ? " UNION ALL " : "", items[i]);
  return sql + ")";
}

}  // namespace proberows
