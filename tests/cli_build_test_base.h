// A test fixture for tests that run `proberows build` and `cat` through the
// real binary in a temporary folder.
#ifndef PROBEROWS_TESTS_CLI_BUILD_TEST_BASE_H_
#define PROBEROWS_TESTS_CLI_BUILD_TEST_BASE_H_

#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "tests/reliability_util.h"
#include "tests/test_util.h"

namespace proberows {

class CliBuildTestBase : public ::testing::Test {
 protected:
  // Runs `build` with `args` into ROOT/`name` (all rows in train); returns
  // the output folder. Fails the test when the build fails.
  std::string Build(const std::string& args, const std::string& name = "out") {
    const std::string out = root_.path() + "/" + name;
    CommandResult r = RunProberows("build --no-progress --test-fraction 0 -o " + ShellQuote(out) + " " + args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }

  // The error output of a build that must fail with exit code 1 and leave
  // no output folder.
  std::string BuildError(const std::string& args) {
    CommandResult r = RunProberows("build --no-progress -o " + ShellQuote(root_.path() + "/failed") + " " + args);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_FALSE(std::filesystem::exists(root_.path() + "/failed"));
    return r.err;
  }

  // `cat` of the output's train shard (every row), one JSON line per row.
  std::string Cat(const std::string& out, const std::string& flags = "") {
    CommandResult r =
        RunProberows("cat --limit 0 " + flags + " " + ShellQuote(out + "/probes-train.array_record-00000-of-00001"));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  TempDir root_;
};

}  // namespace proberows

#endif  // PROBEROWS_TESTS_CLI_BUILD_TEST_BASE_H_
