// GenerateDataset: validation, the output folder, and one DuckDB COPY per
// file (the SQL itself is in generate_sql.cc).
#include "proberows/generate.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "gen/bzip2_file.h"
#include "gen/generate_sql.h"
#include "proberows/env.h"
#include "source/duckdb_handle.h"
#include "util/status_macros.h"
#include "util/thread_pool.h"

namespace proberows {

namespace {

// Largest sizes accepted: far beyond what fits on a disk, small enough that
// every index and offset stays well inside BIGINT in the SQL.
constexpr uint64_t kMaxMeasurements = uint64_t{1} << 48;
constexpr int kMaxFiles = 99999;

// A file `generate` writes: part-* or ping-* (the RIPE Atlas shape) with one
// of its extensions.
bool IsPartFile(const std::string& name) {
  const auto ends = [&](const std::string& suffix) {
    return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (name.size() <= 13 || (name.compare(0, 5, "part-") != 0 && name.compare(0, 5, "ping-") != 0)) return false;
  for (const char* ext : {".parquet", ".jsonl", ".jsonl.gz", ".jsonl.zst", ".jsonl.bz2", ".bz2"})
    if (ends(ext)) return true;
  return false;
}

// The extension of the output files (without the dot).
std::string Extension(const GenerateOptions& options) {
  if (options.format == GenerateFormat::kParquet) return "parquet";
  switch (options.compression) {
    case GenerateCompression::kNone: return "jsonl";
    case GenerateCompression::kGzip: return "jsonl.gz";
    case GenerateCompression::kZstd: return "jsonl.zst";
    case GenerateCompression::kBzip2: return options.shape == GenerateShapeKind::kRipeAtlas ? "bz2" : "jsonl.bz2";
  }
  return "jsonl";
}

// Hours of data the RIPE Atlas shape spans: cycles of `streams` results,
// 3600 / interval cycles per hour.
int64_t RipeHours(const GenerateOptions& options, int64_t streams) {
  const int64_t cycles = static_cast<int64_t>((options.measurements + static_cast<uint64_t>(streams) - 1) /
                                              static_cast<uint64_t>(streams));
  const int64_t per_hour = 3600 / options.interval_seconds;
  return (cycles + per_hour - 1) / per_hour;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// Removes the files in `paths`, ignoring errors (used on failure paths only,
// where the first error is what the caller reports).
void RemoveQuietly(Env* env, const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    if (env->FileExists(path)) (void)env->RemoveFile(path);
  }
}

// The work of GenerateDataset once options are valid; `temp_files` and
// `final_files` record what exists so the caller can clean up on failure.
absl::Status WriteAll(const GenerateOptions& options, Env* env, const std::string& temp_dir,
                      std::vector<std::string>* temp_files, std::vector<std::string>* final_files,
                      GenerateResult* result) {
  DuckDbOptions db_options;
  db_options.memory_limit_bytes = options.memory_limit_bytes;
  db_options.threads = options.threads;
  db_options.temp_directory = temp_dir;
  ASSIGN_OR_RETURN(std::unique_ptr<DuckDb> db, DuckDb::Open(db_options));

  const bool ripe = options.shape == GenerateShapeKind::kRipeAtlas;
  GenerateShape shape;
  shape.measurements = options.measurements;
  shape.probes = options.probes;
  shape.files = options.files;
  shape.seed = options.seed;
  shape.start_epoch_seconds = options.start_epoch_seconds;
  shape.ripe = ripe;
  shape.measurement_ids = options.measurement_ids;
  shape.interval_seconds = options.interval_seconds;
  RETURN_IF_ERROR(Annotate(db->Execute(GenerateSetupSql(shape)), "generate: building the probe table"));
  int files = options.files;
  if (ripe) {
    ASSIGN_OR_RETURN(shape.streams, db->QueryInt64("SELECT count(*) FROM gen_streams"));
    if (shape.streams < static_cast<int64_t>(options.probes))
      return absl::InternalError("generate: fewer streams than probes (a bug in the generator)");
    const int64_t hours = RipeHours(options, shape.streams);
    if (hours > kMaxFiles)
      return absl::InvalidArgumentError(
          fmt::format("--measurements {} span {} hours of {} streams every {} s, more than {} files",
                      options.measurements, hours, shape.streams, options.interval_seconds, kMaxFiles));
    files = static_cast<int>(hours);
    shape.files = files;
  } else {
    ASSIGN_OR_RETURN(int64_t bad,
                     db->QueryInt64(fmt::format("SELECT (count(*) <> {} OR sum(cnt) <> {} OR min(cnt) < 1)::BIGINT "
                                                "FROM gen_probes",
                                                options.probes, options.measurements)));
    if (bad != 0) return absl::InternalError("generate: the probe table does not add up (a bug in the generator)");
  }

  // .bz2: DuckDB writes the JSON, a worker compresses it while the next file
  // is generated.
  const bool bzip2 = options.format != GenerateFormat::kParquet && options.compression == GenerateCompression::kBzip2;
  std::mutex mu;
  absl::Status compress_status;
  std::optional<ThreadPool> compressors;
  if (bzip2)
    compressors.emplace(options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency()));
  const long pid = static_cast<long>(::getpid());
  absl::Status status;
  for (int f = 0; f < files && status.ok(); ++f) {
    const std::string name = GenerateFileName(options, f, files);
    const std::string temp = JoinPath(options.output_dir, fmt::format(".{}.tmp-{}", name, pid));
    temp_files->push_back(temp);
    std::string written = temp;  // what DuckDB writes
    if (bzip2) {
      written = JoinPath(options.output_dir, fmt::format(".{}.json-tmp-{}", name, pid));
      temp_files->push_back(written);
    }
    std::string json_options;
    if (options.compression == GenerateCompression::kGzip) json_options = ", COMPRESSION gzip";
    if (options.compression == GenerateCompression::kZstd) json_options = ", COMPRESSION zstd";
    const std::string sql =
        options.format == GenerateFormat::kParquet
            ? fmt::format("COPY ({}) TO {} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
                          GenerateFileSql(shape, f), QuoteLiteral(written))
            : fmt::format("COPY ({}) TO {} (FORMAT json{})", GenerateRipePingJsonSql(shape, f), QuoteLiteral(written),
                          json_options);
    absl::StatusOr<int64_t> rows = db->QueryInt64(sql, -1);
    if (!rows.ok()) {
      status = Annotate(rows.status(), fmt::format("generate: writing '{}' (file {} of {})", written, f + 1, files));
      break;
    }
    // Synthetic: file f holds the measurements g < measurements with g mod
    // files == f. RIPE Atlas: hour f holds cycles [f c, (f+1) c) of S
    // results each (c cycles per hour), cut at `measurements`.
    uint64_t expected = 0;
    if (ripe) {
      const uint64_t per_hour = static_cast<uint64_t>(3600 / options.interval_seconds * shape.streams);
      const uint64_t begin = static_cast<uint64_t>(f) * per_hour;
      expected = std::min(options.measurements, begin + per_hour) - begin;
    } else {
      expected = (options.measurements - static_cast<uint64_t>(f) + static_cast<uint64_t>(files) - 1) /
                 static_cast<uint64_t>(files);
    }
    if (*rows < 0 || static_cast<uint64_t>(*rows) != expected) {
      status = absl::InternalError(
          fmt::format("generate: '{}' got {} rows, expected {} (a bug in the generator)", written, *rows, expected));
      break;
    }
    if (bzip2) {
      compressors->Schedule([env, written, temp, &mu, &compress_status] {
        {
          std::lock_guard<std::mutex> lock(mu);
          if (!compress_status.ok()) return;
        }
        absl::Status st = Annotate(Bzip2File(env, written, temp), "generate: compressing");
        if (st.ok()) st = Annotate(env->RemoveFile(written), "generate: removing the uncompressed JSON");
        std::lock_guard<std::mutex> lock(mu);
        if (compress_status.ok()) compress_status = st;
      });
    }
    if (options.progress) options.progress(f + 1, files);
  }
  compressors.reset();  // waits for the compressions
  RETURN_IF_ERROR(status);
  RETURN_IF_ERROR(compress_status);
  RETURN_IF_ERROR(Annotate(db->Execute(GenerateTeardownSql()), "generate: cleaning up"));
  db.reset();

  // All files are complete: replace old output (if asked to), then rename.
  if (options.overwrite) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(options.output_dir));
    for (const std::string& name : names) {
      if (!IsPartFile(name)) continue;
      RETURN_IF_ERROR(Annotate(env->RemoveFile(JoinPath(options.output_dir, name)), "generate: removing old output"));
    }
  }
  for (int f = 0; f < files; ++f) {
    const std::string final_path = JoinPath(options.output_dir, GenerateFileName(options, f, files));
    const std::string temp =
        JoinPath(options.output_dir, fmt::format(".{}.tmp-{}", GenerateFileName(options, f, files), pid));
    RETURN_IF_ERROR(Annotate(env->RenameFile(temp, final_path), "generate: renaming output"));
    final_files->push_back(final_path);
  }
  for (const std::string& path : *final_files) {
    ASSIGN_OR_RETURN(uint64_t size, env->GetFileSize(path));
    result->bytes += size;
  }
  return absl::OkStatus();
}

}  // namespace

std::string GenerateFileName(int index, int files, GenerateFormat format) {
  return fmt::format("part-{:05d}-of-{:05d}.{}", index, files,
                     format == GenerateFormat::kParquet ? "parquet" : "jsonl");
}

std::string GenerateFileName(const GenerateOptions& options, int index, int files) {
  if (options.shape != GenerateShapeKind::kRipeAtlas)
    return fmt::format("part-{:05d}-of-{:05d}.{}", index, files, Extension(options));
  const time_t t = static_cast<time_t>(options.start_epoch_seconds + int64_t{3600} * index);
  struct tm tm {};
  gmtime_r(&t, &tm);
  return fmt::format("ping-{:04d}-{:02d}-{:02d}T{:02d}00.{}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     Extension(options));
}

absl::Status ParseUtcTime(const std::string& text, const std::string& flag, int64_t* seconds) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::string rest = text;
  if (!rest.empty() && (rest.back() == 'Z' || rest.back() == 'z')) rest.pop_back();
  char sep = 'T';
  int consumed = 0;
  bool ok = false;
  if (std::sscanf(rest.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) == 3 &&
      static_cast<size_t>(consumed) == rest.size()) {
    ok = true;
  } else if (std::sscanf(rest.c_str(), "%4d-%2d-%2d%c%2d%n", &year, &month, &day, &sep, &hour, &consumed) == 5 &&
             (sep == 'T' || sep == ' ')) {
    const std::string tail = rest.substr(static_cast<size_t>(consumed));
    int used = 0;
    if (tail.empty()) {
      ok = true;
    } else if (std::sscanf(tail.c_str(), ":%2d%n", &minute, &used) == 1 && static_cast<size_t>(used) == tail.size()) {
      ok = true;
    } else if (std::sscanf(tail.c_str(), ":%2d:%2d%n", &minute, &second, &used) == 2 &&
               static_cast<size_t>(used) == tail.size()) {
      ok = true;
    }
  }
  if (!ok || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59 || year < 1970)
    return absl::InvalidArgumentError(
        fmt::format("{}: '{}' is not a UTC time like 2024-05-01 or 2024-05-01T13:00:00", flag, text));
  struct tm tm {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const time_t t = timegm(&tm);
  if (tm.tm_mday != day)  // e.g. 2024-02-30
    return absl::InvalidArgumentError(fmt::format("{}: '{}' is not a date", flag, text));
  *seconds = static_cast<int64_t>(t);
  return absl::OkStatus();
}

absl::Status ParseGenerateShape(const std::string& text, GenerateShapeKind* shape) {
  if (text == "synthetic") {
    *shape = GenerateShapeKind::kSynthetic;
  } else if (text == "ripe-atlas") {
    *shape = GenerateShapeKind::kRipeAtlas;
  } else {
    return absl::InvalidArgumentError(
        fmt::format("--shape: unknown shape '{}' (expected synthetic or ripe-atlas)", text));
  }
  return absl::OkStatus();
}

absl::Status ParseGenerateCompression(const std::string& text, GenerateCompression* compression) {
  if (text == "none") {
    *compression = GenerateCompression::kNone;
  } else if (text == "gzip" || text == "gz") {
    *compression = GenerateCompression::kGzip;
  } else if (text == "zstd" || text == "zst") {
    *compression = GenerateCompression::kZstd;
  } else if (text == "bzip2" || text == "bz2") {
    *compression = GenerateCompression::kBzip2;
  } else {
    return absl::InvalidArgumentError(
        fmt::format("--compression: unknown compression '{}' (expected none, gzip, zstd or bzip2)", text));
  }
  return absl::OkStatus();
}

absl::Status ParseGenerateFormat(const std::string& text, GenerateFormat* format) {
  if (text == "parquet") {
    *format = GenerateFormat::kParquet;
  } else if (text == "ripe-atlas-ping-json") {
    *format = GenerateFormat::kRipeAtlasPingJson;
  } else {
    return absl::InvalidArgumentError(
        fmt::format("--format: unknown format '{}' (expected parquet or ripe-atlas-ping-json)", text));
  }
  return absl::OkStatus();
}

absl::Status ValidateGenerateOptions(const GenerateOptions& options) {
  if (options.output_dir.empty()) return absl::InvalidArgumentError("the output folder (--output) is not set");
  if (options.probes < 1)
    return absl::InvalidArgumentError(fmt::format("--probes must be >= 1 (got {})", options.probes));
  if (options.measurements > kMaxMeasurements) {
    return absl::InvalidArgumentError(
        fmt::format("--measurements must be <= {} (got {})", kMaxMeasurements, options.measurements));
  }
  if (options.measurements < options.probes) {
    return absl::InvalidArgumentError(
        fmt::format("every probe has at least one measurement: --measurements ({}) must be >= --probes ({})",
                    options.measurements, options.probes));
  }
  if (options.files < 1) return absl::InvalidArgumentError(fmt::format("--files must be >= 1 (got {})", options.files));
  if (options.files > kMaxFiles) {
    return absl::InvalidArgumentError(fmt::format("--files must be <= {} (got {})", kMaxFiles, options.files));
  }
  if (static_cast<uint64_t>(options.files) > options.measurements) {
    return absl::InvalidArgumentError(
        fmt::format("every file holds at least one measurement: --files ({}) must be <= --measurements ({})",
                    options.files, options.measurements));
  }
  if (options.threads < 0) {
    return absl::InvalidArgumentError(fmt::format("--threads must be >= 0 (got {})", options.threads));
  }
  if (options.format == GenerateFormat::kParquet && options.compression != GenerateCompression::kNone)
    return absl::InvalidArgumentError(
        "--compression is for JSON (--format ripe-atlas-ping-json); Parquet files are compressed inside");
  if (options.start_epoch_seconds < 0)
    return absl::InvalidArgumentError(
        fmt::format("--start must not be before 1970 (got {})", options.start_epoch_seconds));
  if (options.shape == GenerateShapeKind::kRipeAtlas) {
    if (options.files != 1)
      return absl::InvalidArgumentError(
          fmt::format("--files {}: the ripe-atlas shape writes one file per hour of data", options.files));
    if (options.measurement_ids < 1 || options.measurement_ids > 1000)
      return absl::InvalidArgumentError(
          fmt::format("--measurement-ids must be in 1..1000 (got {})", options.measurement_ids));
    if (options.interval_seconds < 1 || 3600 % options.interval_seconds != 0)
      return absl::InvalidArgumentError(fmt::format(
          "--interval {}: must divide an hour (3600 s), e.g. 60, 240, 300 or 900", options.interval_seconds));
    if (options.start_epoch_seconds % 3600 != 0)
      return absl::InvalidArgumentError("--start: the ripe-atlas shape starts at a whole hour (its files are hours)");
  }
  return absl::OkStatus();
}

absl::StatusOr<GenerateResult> GenerateDataset(const GenerateOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(ValidateGenerateOptions(options));
  Env* env = options.env != nullptr ? options.env : Env::Default();

  RETURN_IF_ERROR(Annotate(env->CreateDirs(options.output_dir), "generate: creating the output folder"));
  ASSIGN_OR_RETURN(std::vector<std::string> names, env->GetChildren(options.output_dir));
  if (!options.overwrite) {
    std::vector<std::string> existing;
    for (const std::string& name : names) {
      if (IsPartFile(name)) existing.push_back(name);
    }
    if (!existing.empty()) {
      return absl::AlreadyExistsError(
          fmt::format("generate: output folder '{}' already holds {} part-* file(s) (e.g. '{}'); "
                      "pass --overwrite to replace them",
                      options.output_dir, existing.size(), existing.front()));
    }
  }

  std::string temp_dir = options.temp_dir;
  const bool own_temp_dir = temp_dir.empty();
  if (own_temp_dir) {
    temp_dir = JoinPath(options.output_dir, fmt::format(".generate-tmp-{}", static_cast<long>(::getpid())));
    RETURN_IF_ERROR(Annotate(env->CreateDirs(temp_dir), "generate: creating the spill folder"));
  }

  GenerateResult result;
  std::vector<std::string> temp_files;
  std::vector<std::string> final_files;
  absl::Status status = WriteAll(options, env, temp_dir, &temp_files, &final_files, &result);
  if (own_temp_dir) {
    absl::Status removed = env->RemoveAll(temp_dir);
    if (status.ok() && !removed.ok()) status = Annotate(removed, "generate: removing the spill folder");
  }
  if (!status.ok()) {
    RemoveQuietly(env, temp_files);
    RemoveQuietly(env, final_files);
    return status;
  }
  result.files = std::move(final_files);
  result.measurements = options.measurements;
  result.probes = options.probes;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace proberows
