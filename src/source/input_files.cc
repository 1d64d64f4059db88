#include "source/input_files.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "source/flatten.h"
#include "util/status_macros.h"

namespace proberows {

namespace {

constexpr char kKnownKinds[] =
    ".parquet, .csv, .tsv, .json, .jsonl, .ndjson, the text ones optionally compressed as .gz, .zst or .bz2 (NAME.bz2: "
    "JSON lines, as RIPE Atlas' daily dumps)";

// The extension of a file name ("" if none), lower case, with the dot.
std::string ExtensionOf(const std::string& path) {
  const std::string base = std::filesystem::path(path).filename().string();
  const size_t dot = base.rfind('.');
  if (dot == std::string::npos || dot == 0) return "";
  return absl::AsciiStrToLower(base.substr(dot));
}

// Compressions DuckDB cannot read, by extension, with how to decompress.
const std::map<std::string, std::string>& UnreadableCompressions() {
  static const auto* m = new std::map<std::string, std::string>{
      {".xz", "xz"}, {".lz4", "lz4"}, {".zip", "zip"}, {".7z", "7z"}, {".lzma", "lzma"}};
  return *m;
}

// A .bz2 file read as Parquet (NAME.parquet.bz2, or --input-format parquet).
absl::Status Bzip2ParquetError(const std::string& path) {
  return absl::InvalidArgumentError(
      fmt::format("input '{0}': bzip2-compressed Parquet cannot be read (Parquet compresses its own pages); "
                  "decompress it first (bunzip2 -k '{0}')",
                  path));
}

// "bunzip2 -k 'F'" style advice for a compressed file DuckDB cannot read.
std::string DecompressAdvice(const std::string& path, const std::string& ext) {
  const std::string stem = path.substr(0, path.size() - ext.size());
  if (ext == ".xz")
    return fmt::format(
        "decompress it first (unxz -k '{0}'), or recompress it as zstd (xzcat '{0}' | zstd -o '{1}.zst')", path, stem);
  return "decompress it first, or recompress it with gzip or zstd";
}

bool HasGlobChars(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

absl::StatusOr<std::vector<std::string>> Glob(const std::string& pattern) {
  glob_t g;
  const int rc = ::glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  if (rc == GLOB_ABORTED) {
    // GLOB_ERR stops at a folder it cannot read; most often the folder the
    // pattern starts from does not exist: say so.
    const std::string fixed = pattern.substr(0, pattern.find_first_of("*?["));
    const size_t slash = fixed.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : fixed.substr(0, slash);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0)
      return absl::NotFoundError(fmt::format("input '{}': folder '{}' does not exist", pattern, dir));
  }
  if (rc != 0 && rc != GLOB_NOMATCH)
    return absl::InvalidArgumentError(fmt::format("input '{}': cannot expand the pattern", pattern));
  return out;
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The files of `dir` (not recursive) that are input files, sorted. A folder
// holding a compressed file DuckDB cannot read is refused (skipping it would
// silently drop its rows); hidden files and other unknown files are not input.
absl::StatusOr<std::vector<std::string>> FolderFiles(const std::string& dir) {
  std::vector<std::string> found, others;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string path = entry.path().string();
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !IsRegularFile(path)) continue;
    const std::string ext = ExtensionOf(path);
    if (UnreadableCompressions().count(ext)) {
      return absl::InvalidArgumentError(
          fmt::format("input folder '{}' holds '{}', a {}-compressed file DuckDB cannot read; {}, or move it out of "
                      "the folder",
                      dir, name, UnreadableCompressions().at(ext), DecompressAdvice(path, ext)));
    }
    if (FormatOfPath(path).ok()) {
      found.push_back(path);
    } else {
      others.push_back(name);
    }
  }
  if (ec) return absl::InvalidArgumentError(fmt::format("input folder '{}': {}", dir, ec.message()));
  std::sort(found.begin(), found.end());
  if (found.empty()) {
    std::sort(others.begin(), others.end());
    std::string what;
    if (!others.empty()) {
      what = fmt::format("; it holds {} other file(s), e.g. '{}' (give --input-format to read them)", others.size(),
                         others.front());
    }
    return absl::NotFoundError(fmt::format("input folder '{}' holds no input files ({}){}", dir, kKnownKinds, what));
  }
  return found;
}

}  // namespace

const char* InputFormatName(InputFormat f) {
  switch (f) {
    case InputFormat::kParquet: return "Parquet";
    case InputFormat::kCsv: return "CSV";
    case InputFormat::kJson: return "JSON";
  }
  return "?";
}

absl::StatusOr<InputFormat> ParseInputFormat(const std::string& text) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "parquet") return InputFormat::kParquet;
  if (t == "csv" || t == "tsv") return InputFormat::kCsv;
  if (t == "json" || t == "jsonl" || t == "ndjson") return InputFormat::kJson;
  return absl::InvalidArgumentError(
      fmt::format("--input-format: unknown format '{}' (expected parquet, csv or json)", text));
}

absl::StatusOr<InputFormat> FormatOfPath(const std::string& path) {
  std::string p = absl::AsciiStrToLower(std::filesystem::path(path).filename().string());
  const std::string ext = ExtensionOf(path);
  if (UnreadableCompressions().count(ext)) {
    return absl::InvalidArgumentError(
        fmt::format("input '{}': {}-compressed files cannot be read (DuckDB reads .gz "
                    "and .zst); {}",
                    path, UnreadableCompressions().at(ext), DecompressAdvice(path, ext)));
  }
  if (absl::EndsWith(p, ".bz2")) {
    // Decoded in-process (source/bzip2_pipes.h) for the text formats; a
    // name without an inner extension is JSON lines, as RIPE Atlas' daily
    // dumps (ping-2024-05-01T0000.bz2).
    p.resize(p.size() - 4);
    if (absl::EndsWith(p, ".parquet")) return Bzip2ParquetError(path);
    if (ExtensionOf(p).empty()) return InputFormat::kJson;
  }
  for (const char* z : {".gz", ".zst"})
    if (absl::EndsWith(p, z)) p.resize(p.size() - std::string(z).size());
  if (absl::EndsWith(p, ".parquet")) return InputFormat::kParquet;
  if (absl::EndsWith(p, ".csv") || absl::EndsWith(p, ".tsv")) return InputFormat::kCsv;
  if (absl::EndsWith(p, ".json") || absl::EndsWith(p, ".jsonl") || absl::EndsWith(p, ".ndjson"))
    return InputFormat::kJson;
  // The extension with the compressions looked through: '.tar.bz2'.
  const std::string base = absl::AsciiStrToLower(std::filesystem::path(path).filename().string());
  const std::string inner = ExtensionOf(p);
  const std::string full = inner.empty() ? ExtensionOf(path) : base.substr(p.size() - inner.size());
  const std::string shown = full.empty() ? "no extension" : "'" + full + "'";
  return absl::InvalidArgumentError(
      fmt::format("input '{}': unknown file type ({}); proberows reads {}; rename the file or give --input-format "
                  "parquet, csv or json",
                  path, shown, kKnownKinds));
}

absl::StatusOr<std::vector<std::string>> ExpandInputFiles(const std::vector<std::string>& patterns,
                                                          const InputFormat* forced, InputFormat* format) {
  std::set<std::string> files;
  for (const std::string& pattern : patterns) {
    if (HasGlobChars(pattern)) {
      ASSIGN_OR_RETURN(std::vector<std::string> matches, Glob(pattern));
      if (matches.empty()) return absl::NotFoundError(fmt::format("input '{}' matches no files", pattern));
      for (std::string& m : matches)
        if (IsRegularFile(m)) files.insert(std::move(m));
      continue;
    }
    struct stat st;
    if (::stat(pattern.c_str(), &st) != 0)
      return absl::NotFoundError(fmt::format("input '{}' does not exist", pattern));
    if (S_ISDIR(st.st_mode)) {
      std::string dir = pattern;
      while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      ASSIGN_OR_RETURN(std::vector<std::string> found, FolderFiles(dir));
      files.insert(found.begin(), found.end());
      continue;
    }
    files.insert(pattern);
  }
  std::vector<std::string> out(files.begin(), files.end());
  if (out.empty()) return absl::NotFoundError("no input files");
  // Every file must be readable: a compression DuckDB knows, and (without
  // --input-format) a known extension.
  std::vector<InputFormat> formats;
  for (const std::string& f : out) {
    const std::string ext = ExtensionOf(f);
    if (UnreadableCompressions().count(ext)) return FormatOfPath(f).status();
    // DuckDB tells compression by the extension as written: a .GZ would be
    // read as plain text ("Malformed JSON at byte 1").
    for (const std::string z : {".gz", ".zst"})
      if (absl::EndsWithIgnoreCase(f, z) && !absl::EndsWith(f, z))
        return absl::InvalidArgumentError(
            fmt::format("input '{}': compressed files are recognized by a lowercase extension; rename it to '{}{}'", f,
                        f.substr(0, f.size() - z.size()), z));
    if (forced != nullptr && *forced == InputFormat::kParquet && ext == ".bz2") return Bzip2ParquetError(f);
    if (forced != nullptr) {
      formats.push_back(*forced);
      continue;
    }
    ASSIGN_OR_RETURN(InputFormat fmt, FormatOfPath(f));
    formats.push_back(fmt);
  }
  for (size_t i = 1; i < out.size(); ++i) {
    if (formats[i] != formats[0])
      return absl::InvalidArgumentError(fmt::format("inputs mix formats: '{}' is {} but '{}' is {}", out.front(),
                                                    InputFormatName(formats[0]), out[i], InputFormatName(formats[i])));
  }
  *format = formats[0];
  return out;
}

std::string WithStrictInts(const std::string& type) {
  static const std::set<std::string> kInts = {"TINYINT",  "SMALLINT",  "INTEGER",  "BIGINT",  "HUGEINT",
                                              "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"};
  std::string out;
  size_t i = 0;
  while (i < type.size()) {
    const char c = type[i];
    if (c == '"') {  // a quoted field name: copied as is ("" escapes a quote)
      size_t j = i + 1;
      while (j < type.size()) {
        if (type[j] == '"' && j + 1 < type.size() && type[j + 1] == '"') {
          j += 2;
        } else if (type[j] == '"') {
          break;
        } else {
          ++j;
        }
      }
      out.append(type, i, j + 1 - i);
      i = j + 1;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < type.size() && (std::isalnum(static_cast<unsigned char>(type[j])) || type[j] == '_')) ++j;
      const std::string word = type.substr(i, j - i);
      // A word followed by a space and a type is a field name, not a type.
      const bool is_field = j < type.size() && type[j] == ' ';
      out += !is_field && kInts.count(word) ? "VARCHAR" : word;
      i = j;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

std::string InputReader::Call(const std::vector<std::string>& files, const std::string& extra) const {
  std::vector<std::string> quoted;
  quoted.reserve(files.size());
  for (const std::string& f : files) quoted.push_back(QuoteLiteral(f));
  std::string call;
  switch (format) {
    case InputFormat::kParquet: call = "read_parquet("; break;
    case InputFormat::kCsv: call = "read_csv("; break;
    case InputFormat::kJson: call = "read_json("; break;
  }
  call += "[" + absl::StrJoin(quoted, ", ") + "]";
  if (!options.empty()) call += ", " + options;
  if (!extra.empty()) call += ", " + extra;
  return call + ")";
}

absl::StatusOr<InputReader> DetectReader(DuckDb* db, InputFormat format, const std::vector<std::string>& files) {
  InputReader reader;
  reader.format = format;
  if (format == InputFormat::kParquet) return reader;
  static const std::set<std::string> kInts = {"TINYINT",  "SMALLINT",  "INTEGER",  "BIGINT",  "HUGEINT",
                                              "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"};
  // The column types DuckDB infers. JSON: from every object of every file
  // (sample_size = -1; its default sample of 20,480 objects in the first 32
  // files dropped a key first seen later, and read a later number in a
  // string column as text). CSV: from the sniffer's sample; its integer
  // columns are read as text and converted strictly instead (DuckDB's
  // string-to-integer cast rounds "7.5" to 8 and reads "0x10" as 16), which
  // costs no second pass over the data.
  InputReader plain;
  plain.format = format;
  if (format == InputFormat::kJson) plain.options = "sample_size = -1, maximum_sample_files = -1";
  absl::StatusOr<QueryResult> described =
      db->Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + plain.Call(files) + ")");
  if (!described.ok()) return Annotate(described.status(), "reading input");
  std::vector<std::string> columns, detected;
  for (;;) {
    // A .bz2 input that fails to decode (truncated, damaged) fails here,
    // when DESCRIBE has read it to its end.
    absl::StatusOr<DataChunk> next = described->Next();
    if (!next.ok()) return Annotate(next.status(), "reading input");
    DataChunk chunk = *std::move(next);
    if (!chunk.valid()) break;
    auto* names = static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk.column(0)));
    auto* types = static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk.column(1)));
    for (uint64_t i = 0; i < chunk.size(); ++i) {
      const std::string name(StringAt(names, i));
      const std::string type(StringAt(types, i));
      if (format == InputFormat::kCsv && kInts.count(type)) reader.strict_int_leaves.insert(name);
      detected.push_back(fmt::format("{}: {}", QuoteLiteral(name), QuoteLiteral(type)));
      columns.push_back(fmt::format("{}: {}", QuoteLiteral(name), QuoteLiteral(WithStrictInts(type))));
    }
  }
  const std::string pinned = "columns = {" + absl::StrJoin(columns, ", ") + "}";
  if (format == InputFormat::kJson) {
    reader.options = pinned;
    // The leaves typed as integers, from the detected types (pinned: no
    // second detection pass).
    InputReader typed_reader;
    typed_reader.format = format;
    typed_reader.options = "columns = {" + absl::StrJoin(detected, ", ") + "}";
    absl::StatusOr<QueryResult> typed = db->Query("SELECT * FROM " + typed_reader.Call(files) + " LIMIT 0");
    if (!typed.ok()) return Annotate(typed.status(), "reading input");
    for (const ResultColumn& c : typed->columns()) {
      for (const Leaf& leaf : FlattenColumn(c.name, c.type.get(), "v"))
        if (kInts.count(leaf.type_name)) reader.strict_int_leaves.insert(leaf.name);
    }
    return reader;
  }
  // CSV: the dialect the sniffer finds in the first file.
  absl::StatusOr<QueryResult> sniffed = db->Query(
      "SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, CAST(SkipRows AS BIGINT), HasHeader, DateFormat, "
      "TimestampFormat FROM sniff_csv(" +
      QuoteLiteral(files.front()) + ")");
  if (!sniffed.ok()) return Annotate(sniffed.status(), "reading input");
  absl::StatusOr<DataChunk> sniffed_row = sniffed->Next();
  if (!sniffed_row.ok()) return Annotate(sniffed_row.status(), "reading input");
  DataChunk chunk = *std::move(sniffed_row);
  if (!chunk.valid() || chunk.size() != 1) return absl::InternalError("sniff_csv returned no row");
  auto text = [&](int col) -> std::string {
    uint64_t* validity = duckdb_vector_get_validity(chunk.column(col));
    if (validity != nullptr && !duckdb_validity_row_is_valid(validity, 0)) return "";
    std::string v(StringAt(static_cast<duckdb_string_t*>(duckdb_vector_get_data(chunk.column(col))), 0));
    return v == "(empty)" ? "" : v;  // sniff_csv's spelling of "none"
  };
  const auto skip = static_cast<const int64_t*>(duckdb_vector_get_data(chunk.column(5)))[0];
  const bool header = static_cast<const bool*>(duckdb_vector_get_data(chunk.column(6)))[0];
  std::string options = fmt::format(
      "auto_detect = false, delim = {}, quote = {}, escape = {}, new_line = {}, comment = {}, skip = {}, header = {}",
      QuoteLiteral(text(0)), QuoteLiteral(text(1)), QuoteLiteral(text(2)), QuoteLiteral(text(3)), QuoteLiteral(text(4)),
      skip, header ? "true" : "false");
  if (!text(7).empty()) options += ", dateformat = " + QuoteLiteral(text(7));
  if (!text(8).empty()) options += ", timestampformat = " + QuoteLiteral(text(8));
  reader.options = options + ", " + pinned;
  return reader;
}

}  // namespace proberows
