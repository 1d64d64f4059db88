// The DuckDB SQL behind GenerateDataset: macros, the probe table, and one
// SELECT per output file. Kept apart from the file handling so tests can run
// the queries directly and docs/dataset.md can describe them line by line.
//
// All pseudo-random values come from DuckDB's hash() of (seed, probe index,
// measurement index, tag); nothing uses random(), so the rows depend only on
// the GenerateShape.
#ifndef PROBEROWS_GEN_GENERATE_SQL_H_
#define PROBEROWS_GEN_GENERATE_SQL_H_

#include <cstdint>
#include <string>
#include <vector>

namespace proberows {

// The options that decide the data (everything else only changes how it is
// produced).
struct GenerateShape {
  uint64_t measurements = 0;
  uint64_t probes = 0;
  int files = 1;
  uint64_t seed = 0;
  // Seconds since 1970 of the first possible timestamp.
  int64_t start_epoch_seconds = 1704067200;  // 2024-01-01T00:00:00Z
  // The RIPE Atlas shape (GenerateShapeKind::kRipeAtlas): `measurement_ids`
  // ids, one result per stream (probe, id) every `interval_seconds` (which
  // divides 3600), file `f` = hour `f`. `streams` (S) is the row count of
  // gen_streams, read back after GenerateSetupSql.
  bool ripe = false;
  int measurement_ids = 0;
  int interval_seconds = 240;
  int64_t streams = 0;
};

// One output column: its name and DuckDB type as DuckDB spells it.
struct GeneratedColumn {
  const char* name;
  const char* type;
};

// The output schema, in column order.
const std::vector<GeneratedColumn>& GeneratedColumns();

// Statements (separated by ';') that create the temporary macros gen_* and
// the temporary table gen_probes(i, off, cnt): probe index i in [0, probes),
// its first measurement's global index `off`, and its measurement count
// `cnt` >= 1, with sum(cnt) == measurements exactly. The RIPE Atlas shape
// instead creates gen_streams(s, i, m): stream s in [0, S) is probe i's
// measurement id number m.
// REQUIRES: shape is valid (see ValidateGenerateOptions).
std::string GenerateSetupSql(const GenerateShape& shape);

// The SELECT producing the rows of file `file` (0-based), ordered by
// (timestamp, probe, measurement); in the RIPE Atlas shape the rows of hour
// `file`, ordered by (timestamp, probe, measurement id). Needs GenerateSetupSql to have run on the
// same connection. REQUIRES: 0 <= file < shape.files.
std::string GenerateFileSql(const GenerateShape& shape, int file);

// The rows of GenerateFileSql(shape, file) in the shape of RIPE Atlas' native
// ping results (https://atlas.ripe.net/docs/apis/result-format/), for COPY
// ... (FORMAT JSON): a nested `result` list ({"rtt": ...}, {"x": "*"} for a
// lost packet, a duplicate reply {"dup": 1, "rtt": ...} now and then),
// -1 min/avg/max and no ttl when nothing came back, timestamps in seconds,
// and a firmware mix per probe: 5080 (70%), 4790 (15%, no mver), 4480
// (9%: addr and name beside dst_addr and dst_name), 4430 (5%: addr, name,
// srcaddr, mode, numbers as strings, for half the probes RTTs too) and 1
// (1%: no result, no af, numbers as strings). A field a firmware does not
// write is null. docs/dataset.md describes it.
std::string GenerateRipePingJsonSql(const GenerateShape& shape, int file);

// Drops what GenerateSetupSql created.
std::string GenerateTeardownSql();

}  // namespace proberows

#endif  // PROBEROWS_GEN_GENERATE_SQL_H_
