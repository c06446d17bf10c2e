// The Zhiku SQLite database shared by the stores (EntryStore, DraftStore):
// connection plumbing, the schema of every table and how a file is opened
// and migrated. Internal to index/: only the *_sqlite.cc files include it.
#ifndef ZHIKU_INDEX_SQLITE_DB_H_
#define ZHIKU_INDEX_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "index/status_macros.h"

namespace zhiku::sqlite {

// Maps an sqlite3 result code to the code that says what the caller should
// do next: corrupt -> DataLoss, busy/locked/cannot open -> Unavailable,
// disk full -> ResourceExhausted, other -> Internal.
absl::Status SqliteStatus(int rc, absl::string_view message);

// `text` in single quotes, C-escaped, for messages.
std::string Quoted(absl::string_view text);

int64_t NowMs();

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

class Connection;

// Borrows one of a Connection's cached prepared statements, binds parameters
// in order and resets the statement when it goes out of scope, so no
// statement keeps a read snapshot open by accident.
class Statement {
 public:
  Statement(const Connection* conn, sqlite3_stmt* stmt) : conn_(conn), stmt_(stmt) {}
  Statement(Statement&& other) noexcept
      : conn_(other.conn_),
        stmt_(std::exchange(other.stmt_, nullptr)),
        next_param_(other.next_param_),
        bind_rc_(other.bind_rc_) {}
  Statement& operator=(Statement&&) = delete;
  ~Statement() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }

  Statement& Bind(absl::string_view text) {
    Check(sqlite3_bind_text64(stmt_, next_param_++, text.data(), text.size(), SQLITE_TRANSIENT,
                              SQLITE_UTF8));
    return *this;
  }
  Statement& Bind(int64_t value) {
    Check(sqlite3_bind_int64(stmt_, next_param_++, value));
    return *this;
  }
  // SQLITE_STATIC would do for our callers, but TRANSIENT keeps Bind safe
  // for temporaries.
  Statement& BindBlob(absl::string_view bytes) {
    Check(sqlite3_bind_blob64(stmt_, next_param_++, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& Bind(double value) {
    Check(sqlite3_bind_double(stmt_, next_param_++, value));
    return *this;
  }
  Statement& BindNull() {
    Check(sqlite3_bind_null(stmt_, next_param_++));
    return *this;
  }

  // True when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Steps a statement that returns no rows (a write).
  absl::Status Run();

  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const { return std::string(TextView(col)); }
  // Valid until the next Step() or the statement's end.
  absl::string_view BlobView(int col) const {
    const void* blob = sqlite3_column_blob(stmt_, col);
    if (blob == nullptr) return absl::string_view();
    return absl::string_view(static_cast<const char*>(blob), sqlite3_column_bytes(stmt_, col));
  }
  // Valid until the next Step() or the statement's end.
  absl::string_view TextView(int col) const {
    const unsigned char* text = sqlite3_column_text(stmt_, col);
    if (text == nullptr) return absl::string_view();
    return absl::string_view(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt_, col));
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  const Connection* conn_;
  sqlite3_stmt* stmt_;
  int next_param_ = 1;
  int bind_rc_ = SQLITE_OK;
};

// One sqlite3 connection and its prepared statements. Not thread-safe: used
// by one thread at a time (the writer under the store's mutex, a reader while
// checked out of the pool).
class Connection {
 public:
  // Opens `path` read-write (creating it if `create`), with extended result
  // codes and the busy timeout. Unavailable/DataLoss/... per SqliteStatus.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, bool create);

  Connection(std::string path, DbPtr db) : path_(std::move(path)), db_(std::move(db)) {}

  absl::Status Error(int rc) const {
    return SqliteStatus(rc, absl::StrCat("store ", Quoted(path_), ": ", sqlite3_errmsg(db_.get())));
  }

  // Runs SQL that returns no rows of interest (schema, pragmas, BEGIN...).
  absl::Status Exec(const char* sql) {
    const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return Error(rc);
    return absl::OkStatus();
  }

  absl::StatusOr<Statement> Prepare(const char* sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      sqlite3_stmt* raw = nullptr;
      const int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
      StmtPtr stmt(raw);
      if (rc != SQLITE_OK) return Error(rc);
      it = statements_.emplace(sql, std::move(stmt)).first;
    }
    return Statement(this, it->second.get());
  }

  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes() const { return sqlite3_changes(db_.get()); }

  bool InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }


 private:
  const std::string path_;
  DbPtr db_;
  // Declared after db_ so statements are finalized before the connection closes.
  absl::flat_hash_map<std::string, StmtPtr> statements_;
};

inline absl::StatusOr<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) return conn_->Error(bind_rc_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_->Error(rc);
}

inline absl::Status Statement::Run() {
  ZHIKU_ASSIGN_OR_RETURN(bool row, Step());
  (void)row;
  return absl::OkStatus();
}

// BEGIN IMMEDIATE ... COMMIT; rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(Connection& conn) : conn_(conn) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (conn_.InTransaction()) conn_.Exec("ROLLBACK").IgnoreError();
  }

  // IMMEDIATE takes the write lock now, so another process's writer makes us
  // wait (busy_timeout) here rather than fail halfway through.
  absl::Status Begin() { return conn_.Exec("BEGIN IMMEDIATE"); }
  absl::Status Commit() { return conn_.Exec("COMMIT"); }

 private:
  Connection& conn_;
};

// A JSON array of strings, as list columns hold them.
std::string EncodeStrings(const std::vector<std::string>& values);
// The inverse; DataLoss naming `owner` (e.g. "entry 'a'") and `column` if
// the text is not a JSON array of strings.
absl::StatusOr<std::vector<std::string>> DecodeStrings(absl::string_view text, absl::string_view owner,
                                                       absl::string_view column);

// The first column of the first row of `sql`; Internal if there is no row.
absl::StatusOr<int64_t> QueryInt(Connection& db, const char* sql);

// A database opened for writing: its writer connection and store id.
struct OpenedDatabase {
  std::unique_ptr<Connection> writer;
  std::string store_id;
};

// Opens (creating if needed) the Zhiku database at `path` in WAL mode with
// synchronous=FULL and foreign keys on, creates or checks and migrates the
// schema of every table (entries, changes, corpus, drafts). Errors as
// OpenSqliteEntryStore documents them.
absl::StatusOr<OpenedDatabase> OpenDatabase(const std::string& path);

// Read-only connections to one database file, reused across calls.
// Thread-safe.
class ReaderPool {
 public:
  explicit ReaderPool(std::string path) : path_(std::move(path)) {}

  // Runs fn(Connection&) on an idle reader (opening one if none is idle)
  // and returns its result; a connection that cannot be opened is returned
  // as fn's error type.
  template <typename Fn>
  auto WithReader(Fn fn) -> decltype(fn(std::declval<Connection&>())) {
    std::unique_ptr<Connection> reader;
    {
      absl::MutexLock lock(&mu_);
      if (!idle_.empty()) {
        reader = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (reader == nullptr) {
      absl::StatusOr<std::unique_ptr<Connection>> opened = OpenReader();
      if (!opened.ok()) return opened.status();
      reader = *std::move(opened);
    }
    auto result = fn(*reader);
    absl::MutexLock lock(&mu_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(reader));
    return result;
  }

 private:
  static constexpr size_t kMaxIdle = 4;
  absl::StatusOr<std::unique_ptr<Connection>> OpenReader();

  const std::string path_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace zhiku::sqlite

#endif  // ZHIKU_INDEX_SQLITE_DB_H_
