#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "index/audit_log.h"
#include "index/sqlite_db.h"

namespace zhiku {
namespace {

using sqlite::Connection;
using sqlite::Statement;

class SqliteAuditLog final : public AuditLog {
 public:
  SqliteAuditLog(const std::string& path, std::unique_ptr<Connection> writer)
      : readers_(path), writer_(std::move(writer)) {}

  absl::Status Append(AuditEvent event) override {
    absl::MutexLock lock(&mu_);
    ZHIKU_ASSIGN_OR_RETURN(
        Statement insert,
        writer_->Prepare("INSERT INTO audit_log(at_ms, actor, action, target, detail) VALUES(?, ?, ?, ?, ?)"));
    insert.Bind(sqlite::NowMs()).Bind(event.actor).Bind(event.action).Bind(event.target).Bind(event.detail);
    return insert.Run();
  }

  absl::StatusOr<std::vector<AuditEvent>> Query(const AuditQuery& q) override {
    if (q.limit < 1 || q.limit > 1000) {
      return absl::InvalidArgumentError(absl::StrCat("limit is ", q.limit, "; it must be between 1 and 1000"));
    }
    return readers_.WithReader([&](Connection& db) -> absl::StatusOr<std::vector<AuditEvent>> {
      ZHIKU_ASSIGN_OR_RETURN(
          Statement query,
          db.Prepare("SELECT id, at_ms, actor, action, target, detail FROM audit_log"
                     " WHERE id < ?1 AND at_ms >= ?2 AND at_ms < ?3"
                     " AND (?4 = '' OR instr(actor, ?4) > 0) AND (?5 = '' OR target = ?5)"
                     " ORDER BY id DESC LIMIT ?6"));
      query.Bind(q.before_id > 0 ? q.before_id : std::numeric_limits<int64_t>::max())
          .Bind(q.since_ms)
          .Bind(q.until_ms > 0 ? q.until_ms : std::numeric_limits<int64_t>::max())
          .Bind(q.actor)
          .Bind(q.target)
          .Bind(int64_t{q.limit});
      std::vector<AuditEvent> out;
      while (true) {
        ZHIKU_ASSIGN_OR_RETURN(bool row, query.Step());
        if (!row) break;
        AuditEvent e;
        e.id = query.Int(0);
        e.at_ms = query.Int(1);
        e.actor = query.Text(2);
        e.action = query.Text(3);
        e.target = query.Text(4);
        e.detail = query.Text(5);
        out.push_back(std::move(e));
      }
      return out;
    });
  }

 private:
  sqlite::ReaderPool readers_;
  absl::Mutex mu_;
  std::unique_ptr<Connection> writer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> OpenSqliteAuditLog(const std::string& path) {
  ZHIKU_ASSIGN_OR_RETURN(sqlite::OpenedDatabase db, sqlite::OpenDatabase(path));
  return std::make_unique<SqliteAuditLog>(path, std::move(db.writer));
}

}  // namespace zhiku
