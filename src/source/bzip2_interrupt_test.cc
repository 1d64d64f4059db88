// SetBzip2Interrupt (bzip2_pipes.h): an interrupted build must not wait for
// DuckDB to read a whole .bz2 file, and must not take what was read so far
// for the file's content.
#include <bzlib.h>

#include <atomic>
#include <chrono>
#include <string>

#include "gtest/gtest.h"
#include "source/bzip2_pipes.h"
#include "source/duckdb_handle.h"
#include "tests/test_util.h"

namespace proberows {
namespace {

// JSON lines {"k": i % 7, "t": i} for i in [0, n), compressed as one stream.
std::string Bzip2Lines(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += "{\"k\": " + std::to_string(i % 7) + ", \"t\": " + std::to_string(i) + "}\n";
  std::string out(text.size() + text.size() / 100 + 1000, '\0');
  unsigned int size = static_cast<unsigned int>(out.size());
  EXPECT_EQ(BZ2_bzBuffToBuffCompress(out.data(), &size, text.data(), static_cast<unsigned int>(text.size()), 9, 0, 0),
            BZ_OK);
  out.resize(size);
  return out;
}

// Clears the process-wide interrupt flag whatever the test's outcome.
struct InterruptFlag {
  std::atomic<bool> flag{false};
  InterruptFlag() { SetBzip2Interrupt(&flag); }
  ~InterruptFlag() { SetBzip2Interrupt(nullptr); }
};

TEST(Bzip2InterruptTest, AnInterruptedStatementFailsAsCancelledWithoutReadingTheWholeFile) {
  TempDir dir;
  const std::string path = dir.path() + "/ping-2024-05-01T0000.bz2";
  WriteFileOrDie(path, Bzip2Lines(400000));  // ~10 MB of JSON: more than a pipe holds
  absl::StatusOr<std::unique_ptr<DuckDb>> db = DuckDb::Open(DuckDbOptions{0, 2, "", true});
  ASSERT_TRUE(db.ok()) << db.status();
  InterruptFlag interrupt;
  // Not interrupted: the whole file.
  EXPECT_EQ(*(*db)->QueryInt64("SELECT count(*) FROM read_json(" + QuoteLiteral(path) + ")"), 400000);
  // Interrupted (as SIGINT does) before DuckDB reads: the statement fails
  // as Cancelled, never with the count of the rows decoded so far.
  interrupt.flag.store(true);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<int64_t> n = (*db)->QueryInt64("SELECT count(*) FROM read_json(" + QuoteLiteral(path) + ")");
  EXPECT_EQ(n.status(), absl::CancelledError("interrupted; no output was written"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace proberows
