// Helpers shared by tests: temporary folders, running the CLI, reading files.
#ifndef PROBEROWS_TESTS_TEST_UTIL_H_
#define PROBEROWS_TESTS_TEST_UTIL_H_

#include <string>

namespace proberows {

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it when
// the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Result of running a command.
struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `args` (a shell command line, already quoted) with stdin from
// /dev/null, capturing stdout and stderr.
CommandResult RunCommand(const std::string& command_line);

// Runs the proberows binary built beside the tests with `args` appended.
CommandResult RunProberows(const std::string& args);

std::string ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, const std::string& data);

// Path of the repository's testdata/ folder (test vectors).
std::string TestdataDir();

}  // namespace proberows

#endif  // PROBEROWS_TESTS_TEST_UTIL_H_
