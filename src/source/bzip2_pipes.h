// Bzip2Pipes: DuckDB reads .bz2 input files (RIPE Atlas' daily dumps) that
// it cannot decompress itself, through pipes fed by libbz2 in-process, with
// no decompressed copy on disk.
//
// Every SQL statement proberows hands DuckDB names its input files as string
// literals (InputReader::Call). Before a statement runs, each literal that
// names an existing regular file ending in .bz2 is replaced by the path of a
// fresh pipe (/dev/fd/N) and a thread decodes the file into it; DuckDB's
// read_json reads the pipe like a file (it reads, and auto-detects from, a
// non-seekable file). A statement that names a file twice gets two pipes.
//
// A damaged or truncated file makes its decoder fail; the failure is kept
// and reported by Error() once the decoder stopped: a statement that read
// the file to its end must then fail with Error(), never with the rows
// decoded before the damage. bzip2 checks a block's CRC when it has decoded
// the whole block; the decoder drops the bytes of the call that failed (the
// whole block, unless it decodes to more than 1 MiB), so DuckDB sees the
// input end after the last good block. Either way only the statement's end
// decides.
//
// Thread-safety: one Bzip2Pipes belongs to one statement (one thread); its
// decoder threads are internal.
#ifndef PROBEROWS_SOURCE_BZIP2_PIPES_H_
#define PROBEROWS_SOURCE_BZIP2_PIPES_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace proberows {

class Bzip2Pipes {
 public:
  // Sets up a pipe and a decoder for every .bz2 file `sql` names (see
  // above) and stores in *rewritten the statement reading the pipes instead.
  // Returns nullptr (and *rewritten = sql) when `sql` names no .bz2 file.
  // A statement naming fewer files than `threads` decodes each file's
  // blocks on threads / files threads (DecodeBzip2FileParallel, the same
  // bytes and errors). Errors: a pipe or thread cannot be made
  // (ResourceExhausted).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Bzip2Pipes>> Open(const std::string& sql, std::string* rewritten,
                                                                        int threads = 1);

  Bzip2Pipes(const Bzip2Pipes&) = delete;
  Bzip2Pipes& operator=(const Bzip2Pipes&) = delete;
  // Stops the decoders (a reader that stopped early leaves them blocked on
  // a full pipe), closes the pipes and joins the threads. Never hangs: a
  // decoder checks for the stop at least every 100 ms (on several threads:
  // once per block, well under a second).
  ~Bzip2Pipes();

  // The first failure (in the order the files appear in the statement) of a
  // decoder that has finished; OK while every finished decoder succeeded.
  // Messages name the .bz2 file: "input 'F': ...".
  [[nodiscard]] absl::Status Error() const;

  // `text` with every pipe path of this statement replaced by the file it
  // decodes (DuckDB's messages and filename columns name the pipe).
  std::string Restore(std::string_view text) const;

  // How many pipes (one per .bz2 file named in a statement) the statements
  // of this process have read through so far: for tests of what DuckDB
  // reads. Thread-safe.
  static uint64_t PipesOpened();

  struct Feed;

 private:
  Bzip2Pipes() = default;
  // Starts the thread decoding f->path into its pipe, on `threads` threads.
  absl::Status Start(Feed* f, int threads);
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Feed>> feeds_;
};

// Once `*flag` is true (the CLI points it at the flag SIGINT/SIGTERM set),
// every decoder stops within ~100 ms and Error() of its Bzip2Pipes is
// Cancelled ("interrupted; no output was written"): a statement reading a
// .bz2 file then ends early and fails, instead of decoding the whole file
// before the build can notice the interrupt. Process-wide, as signals are;
// nullptr turns it off. `flag` must outlive every Bzip2Pipes.
void SetBzip2Interrupt(const std::atomic<bool>* flag);

// Decodes the bzip2 file `path` (every concatenated stream) and passes the
// bytes to `sink` in pieces; `sink` returns false to stop early (then the
// result is Cancelled). Errors name the file: not bzip2 data, damaged,
// truncated, trailing bytes that are not a bzip2 stream, read errors.
[[nodiscard]] absl::Status DecodeBzip2File(const std::string& path, const std::function<bool(std::string_view)>& sink);

}  // namespace proberows

#endif  // PROBEROWS_SOURCE_BZIP2_PIPES_H_
