// The audit log: one row per write and per admin action, who did it and
// when, queryable by actor, target and time. Entry content changes are in
// the entry history too (EntryStore versions); this log also holds what
// has no history of its own: keys, imports, drafts decisions.
#ifndef ZHIKU_INDEX_AUDIT_LOG_H_
#define ZHIKU_INDEX_AUDIT_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace zhiku {

struct AuditEvent {
  int64_t id = 0;        // increasing; set by Append
  int64_t at_ms = 0;     // set by Append
  std::string actor;     // "key <id> (<name>)"
  std::string action;    // e.g. "entry.update", "key.create", "draft.approve"
  std::string target;    // what it acted on: an entry id, key id, draft id, file
  std::string detail;    // free text: version, counts, reason
};

struct AuditQuery {
  std::string actor;         // "" = any; else a substring of the actor (e.g. a key id)
  std::string target;        // "" = any; else exact
  int64_t since_ms = 0;      // inclusive; 0 = from the start
  int64_t until_ms = 0;      // exclusive; 0 = up to now
  int64_t before_id = 0;     // paging: events older than this id; 0 = newest first
  int limit = 100;           // 1..1000
};

// Thread-safe.
class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Stores `event` (id and at_ms are assigned). The store's errors.
  virtual absl::Status Append(AuditEvent event) = 0;
  // Matching events, newest first. InvalidArgument for a limit outside 1..1000.
  virtual absl::StatusOr<std::vector<AuditEvent>> Query(const AuditQuery& query) = 0;
};

// The audit_log table of the Zhiku database at `path` (created if needed).
absl::StatusOr<std::unique_ptr<AuditLog>> OpenSqliteAuditLog(const std::string& path);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_AUDIT_LOG_H_
