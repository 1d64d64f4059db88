// Input files: which files `build --input` reads, in which format, and the
// DuckDB table function call that reads any subset of them exactly as the
// whole input is read.
//
// Formats are told by extension: .parquet; .csv, .tsv; .json, .jsonl,
// .ndjson; the text formats also compressed as .gz or .zst (DuckDB
// decompresses them) or .bz2 (decoded in-process into a pipe DuckDB reads:
// source/bzip2_pipes.h); NAME.bz2 without an inner extension is JSON lines
// (RIPE Atlas' daily dumps). A folder stands for the input files directly
// inside it. Anything else (.xz, .parquet.bz2, an unknown extension) is
// refused with a message that says what to do; --input-format overrides the
// extension.
#ifndef PROBEROWS_SOURCE_INPUT_FILES_H_
#define PROBEROWS_SOURCE_INPUT_FILES_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "source/duckdb_handle.h"

namespace proberows {

enum class InputFormat { kParquet, kCsv, kJson };

// "Parquet", "CSV", "JSON".
const char* InputFormatName(InputFormat f);

// Parses --input-format: "parquet", "csv" or "json" (any case).
[[nodiscard]] absl::StatusOr<InputFormat> ParseInputFormat(const std::string& text);

// The format of `path` by its extension (a trailing .gz/.zst/.bz2 is looked
// through; NAME.bz2 is JSON). InvalidArgument naming the file for
// compressions that cannot be read (.xz, ..., .parquet.bz2) and for unknown
// extensions, saying what to do.
[[nodiscard]] absl::StatusOr<InputFormat> FormatOfPath(const std::string& path);

// Expands `patterns` (files, globs or folders) into a sorted, de-duplicated
// file list, all of one format (`forced` when given, else by extension).
// Errors: a path that does not exist, a glob that matches nothing, a folder
// without input files (naming the files it holds instead, if any), files of
// an unknown or unsupported kind, mixed formats.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ExpandInputFiles(const std::vector<std::string>& patterns,
                                                                        const InputFormat* forced, InputFormat* format);

// How a format is read: the table function and the options (after the file
// list) that pin what auto-detection found on the whole input, so that every
// subset of the files is read with the same column types and dialect.
struct InputReader {
  InputFormat format = InputFormat::kParquet;
  std::string options;  // e.g. "columns = {...}" (may be empty)
  // JSON and CSV: the leaves (source/flatten.h names) DuckDB typed as
  // integers, which are read as text instead (its readers would round 1.5
  // into a BIGINT column without a word) and converted strictly: a value
  // that is not an integer is an error.
  std::set<std::string> strict_int_leaves;

  // "read_json([<files>], <options>, <extra>)".
  std::string Call(const std::vector<std::string>& files, const std::string& extra = "") const;
};

// `type` (a DuckDB type as DESCRIBE spells it, possibly nested) with every
// integer type replaced by VARCHAR (see InputReader::strict_int_leaves);
// quoted field names are kept.
std::string WithStrictInts(const std::string& type);

// Detects the reader options for `files` (REQUIRES: non-empty, all of
// `format`): for CSV the dialect DuckDB sniffs in the first file and the
// column types it infers for all of them (on its sample: the integer
// columns among them are read strictly, see strict_int_leaves); for JSON
// the column types from every object of every file (one extra pass).
// Parquet needs none (the types are in the files). Errors name the input.
[[nodiscard]] absl::StatusOr<InputReader> DetectReader(DuckDb* db, InputFormat format,
                                                       const std::vector<std::string>& files);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_INPUT_FILES_H_
