// GenerateDataset: validation, the output folder, and one DuckDB COPY per
// file (the SQL itself is in generate_sql.cc).
#include "proberows/generate.h"

#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "gen/generate_sql.h"
#include "proberows/env.h"
#include "source/duckdb_handle.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

// Largest sizes accepted: far beyond what fits on a disk, small enough that
// every index and offset stays well inside BIGINT in the SQL.
constexpr uint64_t kMaxMeasurements = uint64_t{1} << 48;
constexpr int kMaxFiles = 99999;

bool IsPartFile(const std::string& name) {
  const auto ends = [&](const std::string& suffix) {
    return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return name.size() > 13 && name.compare(0, 5, "part-") == 0 && (ends(".parquet") || ends(".jsonl"));
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

  GenerateShape shape;
  shape.measurements = options.measurements;
  shape.probes = options.probes;
  shape.files = options.files;
  shape.seed = options.seed;
  RETURN_IF_ERROR(Annotate(db->Execute(GenerateSetupSql(shape)), "generate: building the probe table"));
  ASSIGN_OR_RETURN(int64_t bad,
                   db->QueryInt64(fmt::format("SELECT (count(*) <> {} OR sum(cnt) <> {} OR min(cnt) < 1)::BIGINT "
                                              "FROM gen_probes",
                                              options.probes, options.measurements)));
  if (bad != 0) return absl::InternalError("generate: the probe table does not add up (a bug in the generator)");

  const long pid = static_cast<long>(::getpid());
  for (int f = 0; f < options.files; ++f) {
    const std::string name = GenerateFileName(f, options.files, options.format);
    const std::string temp = JoinPath(options.output_dir, fmt::format(".{}.tmp-{}", name, pid));
    temp_files->push_back(temp);
    const std::string sql =
        options.format == GenerateFormat::kParquet
            ? fmt::format("COPY ({}) TO {} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)",
                          GenerateFileSql(shape, f), QuoteLiteral(temp))
            : fmt::format("COPY ({}) TO {} (FORMAT json)", GenerateRipePingJsonSql(shape, f), QuoteLiteral(temp));
    absl::StatusOr<int64_t> rows = db->QueryInt64(sql, -1);
    if (!rows.ok()) {
      return Annotate(rows.status(), fmt::format("generate: writing '{}' (file {} of {})", temp, f + 1, options.files));
    }
    // File f holds the measurements g < measurements with g mod files == f.
    const uint64_t expected =
        (options.measurements - static_cast<uint64_t>(f) + static_cast<uint64_t>(options.files) - 1) /
        static_cast<uint64_t>(options.files);
    if (*rows < 0 || static_cast<uint64_t>(*rows) != expected) {
      return absl::InternalError(
          fmt::format("generate: '{}' got {} rows, expected {} (a bug in the generator)", temp, *rows, expected));
    }
    if (options.progress) options.progress(f + 1, options.files);
  }
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
  for (int f = 0; f < options.files; ++f) {
    const std::string final_path = JoinPath(options.output_dir, GenerateFileName(f, options.files, options.format));
    RETURN_IF_ERROR(Annotate(env->RenameFile((*temp_files)[f], final_path), "generate: renaming output"));
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
