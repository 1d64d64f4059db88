// Helpers for propagating absl::Status through library code.
#ifndef PROBEROWS_UTIL_STATUS_MACROS_H_
#define PROBEROWS_UTIL_STATUS_MACROS_H_

#include <cerrno>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PROBEROWS_CONCAT_INNER_(a, b) a##b
#define PROBEROWS_CONCAT_(a, b) PROBEROWS_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)    \
  do {                           \
    ::absl::Status _st = (expr); \
    if (!_st.ok()) return _st;   \
  } while (0)

// ASSIGN_OR_RETURN(auto x, Function()); returns the error if not OK.
#define ASSIGN_OR_RETURN(lhs, rexpr) ASSIGN_OR_RETURN_IMPL_(PROBEROWS_CONCAT_(_statusor_, __LINE__), lhs, rexpr)
#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                           \
  if (!statusor.ok()) return statusor.status();      \
  lhs = std::move(statusor).value()

// NOTE: Debian's abseil (20220623) is built with its own absl::string_view,
// which is NOT std::string_view: absl::StrCat rejects std::string_view and
// Status::message() returns absl::string_view. Build strings with fmt::format
// (or std::string) and read messages with StatusMessage() below.

namespace proberows {

// The message of `status` as a std::string.
inline std::string StatusMessage(const absl::Status& status) { return std::string(status.message()); }

// Returns `status` with `context + ": "` prepended to its message (riegeli's
// AnnotateStatus). An OK status is returned unchanged.
inline absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  std::string msg(context);
  msg += ": ";
  msg += std::string(status.message());
  return absl::Status(status.code(), msg);
}

// A status for a failed system call: "<context>: <strerror(err)>". ENOSPC maps
// to kResourceExhausted, ENOENT to kNotFound, EACCES/EPERM to
// kPermissionDenied, everything else to kInternal (kDataLoss is reserved for
// corrupt data).
absl::Status ErrnoToStatus(int err, std::string_view context);

}  // namespace proberows

#endif  // PROBEROWS_UTIL_STATUS_MACROS_H_
