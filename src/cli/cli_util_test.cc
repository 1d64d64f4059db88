#include "cli/cli_util.h"

#include <stdexcept>
#include <vector>

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace proberows {
namespace {

// An exception never crosses the CLI's boundary (main): one error line, exit 1.
TEST(CatchExceptions, ReturnsTheExitCodeOrPrintsOneErrorLine) {
  EXPECT_EQ(CatchExceptions([] { return 0; }), 0);
  EXPECT_EQ(CatchExceptions([] { return 130; }), 130);

  ::testing::internal::CaptureStderr();
  EXPECT_EQ(CatchExceptions([]() -> int {
              std::vector<int> v;
              v.reserve(v.max_size() + 1);  // std::length_error, as an edited split.json once gave
              return 0;
            }),
            1);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "proberows: error: internal error (please report it): vector::reserve\n");

  ::testing::internal::CaptureStderr();
  EXPECT_EQ(CatchExceptions([]() -> int { return nlohmann::json::array()["rows"].get<int>(); }), 1);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "proberows: error: internal error (please report it): [json.exception.type_error.305] cannot use "
            "operator[] with a string argument with array\n");

  ::testing::internal::CaptureStderr();
  EXPECT_EQ(CatchExceptions([]() -> int { throw 42; }), 1);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "proberows: error: internal error (please report it): an unknown C++ exception\n");
}

}  // namespace
}  // namespace proberows
