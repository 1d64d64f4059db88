// Helpers for the reliability tests (tests/reliability_*_test.cc): small
// Parquet fixtures written with DuckDB, folder snapshots for "nothing new
// after a failure" checks, and byte-for-byte tree comparison.
#ifndef PROBEROWS_TESTS_RELIABILITY_UTIL_H_
#define PROBEROWS_TESTS_RELIABILITY_UTIL_H_

#include <map>
#include <set>
#include <string>

namespace proberows {

// Runs `sql` in a fresh in-memory DuckDB; aborts the test binary on error.
void RunDuckDbOrDie(const std::string& sql);

// Writes a small well-formed input to `path` (Parquet): `probes` probes with
// `per_probe` measurements each, columns prb_id BIGINT, timestamp TIMESTAMP,
// rtt DOUBLE, country VARCHAR (constant per probe).
void WriteGoodParquet(const std::string& path, int probes = 20, int per_probe = 5);

// Every path below `dir` (recursively), relative to `dir`, with "/" after
// folders. Missing `dir` gives an empty set.
std::set<std::string> ListTree(const std::string& dir);

// Every regular file below `dir`: relative path -> bytes.
std::map<std::string, std::string> ReadTreeBytes(const std::string& dir);

// Entries of `after` not in `before` (lock files included: a finished build
// removes its ".NAME.proberows.lock"), joined by ", "; empty if none.
std::string NewEntries(const std::set<std::string>& before, const std::set<std::string>& after);

// Quotes `s` for /bin/sh.
std::string ShellQuote(const std::string& s);

}  // namespace proberows

#endif  // PROBEROWS_TESTS_RELIABILITY_UTIL_H_
