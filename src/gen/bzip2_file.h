// Bzip2File: compresses a file into a bzip2 file (one bzip2 stream of
// 900 kB blocks, what `bzip2 -9` and RIPE Atlas' dumps are), with libbz2.
// `generate` uses it for the RIPE Atlas shape's .bz2 hourly files.
#ifndef PROBEROWS_GEN_BZIP2_FILE_H_
#define PROBEROWS_GEN_BZIP2_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "proberows/env.h"

namespace proberows {

// Reads `from` and writes its bzip2 compression to `to` (created or
// replaced) through `env`. Errors name the file. On error `to` may be left
// partly written: the caller removes it. Thread-safe for distinct files.
[[nodiscard]] absl::Status Bzip2File(Env* env, const std::string& from, const std::string& to);

}  // namespace proberows

#endif  // PROBEROWS_GEN_BZIP2_FILE_H_
