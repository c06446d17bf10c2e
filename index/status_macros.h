// Small helpers for absl::Status plumbing; Debian's abseil 20220623 ships none.
#ifndef ZHIKU_INDEX_STATUS_MACROS_H_
#define ZHIKU_INDEX_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ZHIKU_CONCAT_INNER_(a, b) a##b
#define ZHIKU_CONCAT_(a, b) ZHIKU_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` (an absl::Status) is not OK.
#define ZHIKU_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::absl::Status zhiku_status_ = (expr);         \
    if (!zhiku_status_.ok()) return zhiku_status_; \
  } while (0)

// `lhs` = value of the absl::StatusOr<T> `rexpr`, or returns its status.
#define ZHIKU_ASSIGN_OR_RETURN(lhs, rexpr) \
  ZHIKU_ASSIGN_OR_RETURN_IMPL_(ZHIKU_CONCAT_(zhiku_statusor_, __LINE__), lhs, rexpr)

#define ZHIKU_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return statusor.status();            \
  lhs = std::move(statusor).value()

#endif  // ZHIKU_INDEX_STATUS_MACROS_H_
