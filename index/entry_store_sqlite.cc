// EntryStore on SQLite. One writer connection behind mu_ serialises writes;
// reads use a small pool of extra connections, which WAL mode lets run
// concurrently with the writer, each statement on its own snapshot.
#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "index/entry.h"
#include "index/entry_store.h"
#include "index/filters.h"
#include "index/sha256.h"
#include "index/status_macros.h"
#include "nlohmann/json.hpp"

namespace zhiku {
namespace {

using Json = nlohmann::json;

// 1: entries, changes, meta. 2: entries.vector_dim and entries.vectors
// (bring-your-own embeddings); MigrateSchema upgrades older stores.
constexpr int64_t kSchemaVersion = 2;
constexpr int kBusyTimeoutMs = 5000;
constexpr size_t kMaxIdleReaders = 4;
constexpr int kMaxListLimit = 1000;

// Codes follow what the caller should do next, not which library failed.
absl::Status SqliteStatus(int rc, absl::string_view message) {
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::UnavailableError(message);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

std::string Quoted(absl::string_view text) { return absl::StrCat("'", absl::CHexEscape(text), "'"); }

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
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, bool create) {
    sqlite3* raw = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    DbPtr db(raw);  // sqlite3_open_v2 may return a handle even on failure
    if (rc != SQLITE_OK) {
      return SqliteStatus(rc, absl::StrCat("cannot open store ", Quoted(path), ": ",
                                           db != nullptr ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)));
    }
    sqlite3_extended_result_codes(db.get(), 1);
    sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
    return std::make_unique<Connection>(path, std::move(db));
  }

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

  bool InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }


 private:
  const std::string path_;
  DbPtr db_;
  // Declared after db_ so statements are finalized before the connection closes.
  absl::flat_hash_map<std::string, StmtPtr> statements_;
};

absl::StatusOr<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) return conn_->Error(bind_rc_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_->Error(rc);
}

absl::Status Statement::Run() {
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

std::string EncodeStrings(const std::vector<std::string>& values) {
  return Json(values).dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<std::vector<std::string>> DecodeStrings(absl::string_view text, absl::string_view id,
                                                       absl::string_view column) {
  const Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> values;
  bool ok = json.is_array();
  if (ok) {
    values.reserve(json.size());
    for (const Json& item : json) {
      if (!item.is_string()) {
        ok = false;
        break;
      }
      values.push_back(item.get<std::string>());
    }
  }
  if (!ok) {
    return absl::DataLossError(absl::StrCat("entry ", Quoted(id), ": stored ", column,
                                            " is not a JSON array of strings; restore from a backup"));
  }
  return values;
}

// Entry::vectors as stored: count * dim IEEE-754 float32 values, little
// endian, one vector after another; the dimension is its own column.
std::string EncodeVectors(const std::vector<std::vector<float>>& vectors) {
  std::string bytes;
  size_t total = 0;
  for (const std::vector<float>& v : vectors) total += v.size();
  bytes.reserve(total * 4);
  for (const std::vector<float>& v : vectors) {
    for (float x : v) {
      uint32_t bits;
      static_assert(sizeof(bits) == sizeof(x));
      std::memcpy(&bits, &x, sizeof(bits));
      for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<char>((bits >> shift) & 0xff));
    }
  }
  return bytes;
}

absl::StatusOr<std::vector<std::vector<float>>> DecodeVectors(absl::string_view bytes, int64_t dim,
                                                              absl::string_view id) {
  std::vector<std::vector<float>> vectors;
  if (dim == 0 && bytes.empty()) return vectors;
  if (dim < 1 || bytes.empty() || bytes.size() % (4 * static_cast<uint64_t>(dim)) != 0) {
    return absl::DataLossError(absl::StrCat("entry ", Quoted(id), ": stored vectors (", bytes.size(),
                                            " bytes) do not fit dimension ", dim, "; restore from a backup"));
  }
  const size_t count = bytes.size() / (4 * static_cast<size_t>(dim));
  vectors.resize(count, std::vector<float>(dim));
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (size_t i = 0; i < count; ++i) {
    for (int64_t j = 0; j < dim; ++j, p += 4) {
      const uint32_t bits = uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
      std::memcpy(&vectors[i][j], &bits, sizeof(bits));
    }
  }
  return vectors;
}

constexpr char kSelectColumns[] =
    "id, question, variants, answer, category, tags, locale, channel, created_at_ms, updated_at_ms, "
    "version, vector_dim, vectors";

// Reads a row selected with kSelectColumns.
absl::StatusOr<Entry> ReadEntry(const Statement& row) {
  Entry entry;
  entry.id = row.Text(0);
  entry.question = row.Text(1);
  ZHIKU_ASSIGN_OR_RETURN(entry.variants, DecodeStrings(row.Text(2), entry.id, "variants"));
  entry.answer = row.Text(3);
  entry.category = row.Text(4);
  ZHIKU_ASSIGN_OR_RETURN(entry.tags, DecodeStrings(row.Text(5), entry.id, "tags"));
  entry.locale = row.Text(6);
  entry.channel = row.Text(7);
  entry.created_at_ms = row.Int(8);
  entry.updated_at_ms = row.Int(9);
  entry.version = row.Int(10);
  ZHIKU_ASSIGN_OR_RETURN(entry.vectors, DecodeVectors(row.BlobView(12), row.Int(11), entry.id));
  return entry;
}

bool SameContent(const Entry& a, const Entry& b) {
  return a.question == b.question && a.variants == b.variants && a.answer == b.answer &&
         a.category == b.category && a.tags == b.tags && a.locale == b.locale && a.channel == b.channel &&
         a.vectors == b.vectors;
}

absl::StatusOr<std::optional<Entry>> LoadEntry(Connection& db, absl::string_view id) {
  static const std::string sql = absl::StrCat("SELECT ", kSelectColumns, " FROM entries WHERE id = ?");
  ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(sql.c_str()));
  query.Bind(id);
  ZHIKU_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<Entry>();
  ZHIKU_ASSIGN_OR_RETURN(Entry entry, ReadEntry(query));
  return std::optional<Entry>(std::move(entry));
}

// Insert and update bind the same parameters in the same order.
constexpr char kInsertEntry[] =
    "INSERT INTO entries(id, question, variants, answer, category, tags, locale, channel, "
    "created_at_ms, updated_at_ms, version, vector_dim, vectors) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
constexpr char kUpdateEntry[] =
    "UPDATE entries SET question = ?2, variants = ?3, answer = ?4, category = ?5, tags = ?6, "
    "locale = ?7, channel = ?8, created_at_ms = ?9, updated_at_ms = ?10, version = ?11, "
    "vector_dim = ?12, vectors = ?13 WHERE id = ?1";

absl::Status WriteEntry(Connection& db, const Entry& entry, bool insert) {
  ZHIKU_ASSIGN_OR_RETURN(Statement write, db.Prepare(insert ? kInsertEntry : kUpdateEntry));
  write.Bind(entry.id)
      .Bind(entry.question)
      .Bind(EncodeStrings(entry.variants))
      .Bind(entry.answer)
      .Bind(entry.category)
      .Bind(EncodeStrings(entry.tags))
      .Bind(entry.locale)
      .Bind(entry.channel)
      .Bind(entry.created_at_ms)
      .Bind(entry.updated_at_ms)
      .Bind(entry.version)
      .Bind(static_cast<int64_t>(entry.vectors.empty() ? 0 : entry.vectors[0].size()));
  if (entry.vectors.empty()) {
    write.BindNull();
  } else {
    write.BindBlob(EncodeVectors(entry.vectors));
  }
  return write.Run();
}

// OK if `entry` has no vectors or vectors of the dimension every other
// entry's vectors have (the first entry stored with vectors sets it; all
// entries share one vector space). InvalidArgument naming both dimensions
// otherwise. One lookup in the partial index on vector_dim.
absl::Status CheckVectorDimension(Connection& db, const Entry& entry) {
  if (entry.vectors.empty()) return absl::OkStatus();
  ZHIKU_ASSIGN_OR_RETURN(
      Statement query, db.Prepare("SELECT vector_dim, id FROM entries WHERE vector_dim > 0 AND id <> ? LIMIT 1"));
  query.Bind(entry.id);
  ZHIKU_ASSIGN_OR_RETURN(bool found, query.Step());
  const int64_t dim = static_cast<int64_t>(entry.vectors[0].size());
  if (!found || query.Int(0) == dim) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "entry ", Quoted(entry.id), ": vectors have dimension ", dim, " but this knowledge base's vectors have dimension ",
      query.Int(0), " (e.g. entry ", Quoted(query.TextView(1)),
      "); embed with the same model, or delete the entries with vectors first to change models"));
}

absl::Status AppendChange(Connection& db, absl::string_view id, bool deleted, int64_t at_ms) {
  ZHIKU_ASSIGN_OR_RETURN(Statement insert,
                         db.Prepare("INSERT INTO changes(entry_id, deleted, at_ms) VALUES(?, ?, ?)"));
  insert.Bind(id).Bind(int64_t{deleted ? 1 : 0}).Bind(at_ms);
  return insert.Run();
}

absl::Status CheckExpectedVersion(const Entry& stored, int64_t expected_version) {
  if (expected_version > 0 && stored.version != expected_version) {
    return absl::AbortedError(absl::StrCat("entry ", Quoted(stored.id), " is at version ", stored.version,
                                           ", not ", expected_version, "; re-read it and retry"));
  }
  return absl::OkStatus();
}

absl::Status CheckExpectedVersionArg(int64_t expected_version) {
  if (expected_version >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("expected_version is ", expected_version,
                                                 "; pass the version you read, or 0 to skip the check"));
}

absl::Status NotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("no entry with id ", Quoted(id)));
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

std::string RandomHex128() {
  std::random_device device;
  std::string hex;
  for (int i = 0; i < 4; ++i) absl::StrAppendFormat(&hex, "%08x", device());
  return hex;
}

// Schema version 1; later versions are migrations (MigrateSchema).
constexpr char kCreateSchema[] = R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL);
CREATE TABLE entries(
  id TEXT PRIMARY KEY NOT NULL,
  question TEXT NOT NULL,
  variants TEXT NOT NULL,  -- JSON array of strings
  answer TEXT NOT NULL,
  category TEXT NOT NULL,
  tags TEXT NOT NULL,      -- JSON array of strings
  locale TEXT NOT NULL,
  channel TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  version INTEGER NOT NULL);
-- AUTOINCREMENT: a seq is never reused, even after old changes are pruned.
CREATE TABLE changes(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  entry_id TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  at_ms INTEGER NOT NULL);
)sql";

// Schema version 2: bring-your-own vectors. The partial index lets
// CheckVectorDimension find an entry with vectors without a scan.
constexpr char kMigrateTo2[] = R"sql(
ALTER TABLE entries ADD COLUMN vector_dim INTEGER NOT NULL DEFAULT 0;  -- 0 = no vectors
ALTER TABLE entries ADD COLUMN vectors BLOB;  -- NULL, or see EncodeVectors
CREATE INDEX entries_by_vector_dim ON entries(vector_dim) WHERE vector_dim > 0;
)sql";

// Tables added after schema version 1 that old binaries can ignore: created
// on every open if missing, so stores from before they existed keep opening
// (in both directions) and no version bump is needed. A change old binaries
// could not ignore still needs kSchemaVersion + 1 and a migration.
//
// corpus: unlabelled in-domain text for the embedder. AUTOINCREMENT: an id is
// never reused, so the high-water mark in sqlite_sequence is a version that
// only grows. text_hash is the SHA-256 of text in hex (sha256sum's output).
constexpr char kCreateAdditiveTables[] = R"sql(
CREATE TABLE IF NOT EXISTS corpus(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  text TEXT NOT NULL,
  text_hash TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  added_at_ms INTEGER NOT NULL);
)sql";

absl::StatusOr<std::optional<std::string>> ReadMeta(Connection& db, absl::string_view key) {
  ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare("SELECT value FROM meta WHERE key = ?"));
  query.Bind(key);
  ZHIKU_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<std::string>();
  return std::optional<std::string>(query.Text(0));
}

absl::Status WriteMeta(Connection& db, absl::string_view key, absl::string_view value) {
  ZHIKU_ASSIGN_OR_RETURN(Statement insert, db.Prepare("INSERT INTO meta(key, value) VALUES(?, ?)"));
  insert.Bind(key).Bind(value);
  return insert.Run();
}

absl::StatusOr<int64_t> QueryInt(Connection& db, const char* sql) {
  ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(sql));
  ZHIKU_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return absl::InternalError(absl::StrCat("no row from: ", sql));
  return query.Int(0);
}

// Upgrades a store at schema `version` to kSchemaVersion, inside the
// caller's transaction (SQLite's DDL is transactional: a failed migration
// leaves the store as it was). New stores are created at version 1 and
// migrated, so every store takes the same path.
absl::Status MigrateSchema(Connection& db, int64_t version) {
  if (version < 2) ZHIKU_RETURN_IF_ERROR(db.Exec(kMigrateTo2));
  if (version < kSchemaVersion) {
    ZHIKU_ASSIGN_OR_RETURN(Statement update, db.Prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'"));
    update.Bind(absl::StrCat(kSchemaVersion));
    ZHIKU_RETURN_IF_ERROR(update.Run());
  }
  return absl::OkStatus();
}

// Creates the schema in an empty database or checks an existing one.
// Returns the store id.
absl::StatusOr<std::string> InitializeSchema(Connection& db, const std::string& path) {
  Transaction txn(db);
  ZHIKU_RETURN_IF_ERROR(txn.Begin());
  ZHIKU_ASSIGN_OR_RETURN(
      int64_t has_meta,
      QueryInt(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta'"));
  if (has_meta == 0) {
    ZHIKU_ASSIGN_OR_RETURN(int64_t objects, QueryInt(db, "SELECT count(*) FROM sqlite_schema"));
    if (objects > 0) {
      return absl::DataLossError(absl::StrCat(Quoted(path),
                                              " is an SQLite database but not a Zhiku store; "
                                              "point the server at its own data directory"));
    }
    const std::string store_id = RandomHex128();
    ZHIKU_RETURN_IF_ERROR(db.Exec(kCreateSchema));
    ZHIKU_RETURN_IF_ERROR(db.Exec(kCreateAdditiveTables));
    ZHIKU_RETURN_IF_ERROR(WriteMeta(db, "schema_version", "1"));
    ZHIKU_RETURN_IF_ERROR(WriteMeta(db, "store_id", store_id));
    ZHIKU_RETURN_IF_ERROR(MigrateSchema(db, 1));
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return store_id;
  }

  ZHIKU_ASSIGN_OR_RETURN(std::optional<std::string> version_text, ReadMeta(db, "schema_version"));
  int64_t version = 0;
  if (!version_text.has_value() || !absl::SimpleAtoi(*version_text, &version) || version < 1) {
    return absl::DataLossError(
        absl::StrCat("store ", Quoted(path), " has no valid schema_version; restore it from a backup"));
  }
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "store ", Quoted(path), " has schema version ", version, " but this binary supports up to ",
        kSchemaVersion, "; run a newer Zhiku"));
  }
  ZHIKU_ASSIGN_OR_RETURN(std::optional<std::string> store_id, ReadMeta(db, "store_id"));
  if (!store_id.has_value() || store_id->empty()) {
    return absl::DataLossError(
        absl::StrCat("store ", Quoted(path), " has no store_id; restore it from a backup"));
  }
  ZHIKU_RETURN_IF_ERROR(MigrateSchema(db, version));
  ZHIKU_RETURN_IF_ERROR(db.Exec(kCreateAdditiveTables));
  ZHIKU_RETURN_IF_ERROR(txn.Commit());
  return *store_id;
}

absl::StatusOr<std::string> PragmaText(Connection& db, const char* sql) {
  ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(sql));
  ZHIKU_ASSIGN_OR_RETURN(bool found, query.Step());
  return found ? query.Text(0) : std::string();
}

class SqliteEntryStore final : public EntryStore {
 public:
  static absl::StatusOr<std::unique_ptr<EntryStore>> Open(const std::string& path) {
    if (path.empty()) return absl::InvalidArgumentError("store path is empty");
    ZHIKU_ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer, Connection::Open(path, /*create=*/true));
    // The first statement reads the file header: a file that is not SQLite
    // fails here with SQLITE_NOTADB (DataLoss).
    absl::StatusOr<std::string> mode = PragmaText(*writer, "PRAGMA journal_mode = WAL");
    if (absl::IsDataLoss(mode.status())) {
      return absl::DataLossError(absl::StrCat(mode.status().message(),
                                              "; it is not a Zhiku store or it is corrupt: "
                                              "restore it from a backup or move it aside"));
    }
    if (!mode.ok()) return mode.status();
    if (*mode != "wal") {
      return absl::FailedPreconditionError(absl::StrCat(
          "store ", Quoted(path), " cannot use WAL journaling (got '", *mode,
          "'); put the data directory on a local filesystem"));
    }
    ZHIKU_RETURN_IF_ERROR(writer->Exec("PRAGMA synchronous = FULL"));
    ZHIKU_RETURN_IF_ERROR(writer->Exec("PRAGMA foreign_keys = ON"));
    ZHIKU_ASSIGN_OR_RETURN(std::string store_id, InitializeSchema(*writer, path));
    return std::make_unique<SqliteEntryStore>(path, std::move(store_id), std::move(writer));
  }

  SqliteEntryStore(std::string path, std::string store_id, std::unique_ptr<Connection> writer)
      : path_(std::move(path)), store_id_(std::move(store_id)), writer_(std::move(writer)) {
    std::random_device device;
    rng_.seed((uint64_t{device()} << 32) | device());
  }

  absl::StatusOr<Entry> Create(Entry entry) override {
    entry = CanonicalizeEntry(std::move(entry));
    ZHIKU_RETURN_IF_ERROR(ValidateEntry(entry));
    absl::MutexLock lock(&mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    if (entry.id.empty()) {
      ZHIKU_ASSIGN_OR_RETURN(entry.id, NewUnusedId(db, {}));
    } else {
      ZHIKU_ASSIGN_OR_RETURN(std::optional<Entry> existing, LoadEntry(db, entry.id));
      if (existing.has_value()) {
        return absl::AlreadyExistsError(
            absl::StrCat("entry ", Quoted(entry.id), " already exists; use Update to change it"));
      }
    }
    ZHIKU_RETURN_IF_ERROR(CheckVectorDimension(db, entry));
    entry.created_at_ms = entry.updated_at_ms = NowMs();
    entry.version = 1;
    ZHIKU_RETURN_IF_ERROR(WriteEntry(db, entry, /*insert=*/true));
    ZHIKU_RETURN_IF_ERROR(AppendChange(db, entry.id, /*deleted=*/false, entry.updated_at_ms));
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return entry;
  }

  absl::StatusOr<Entry> Get(absl::string_view id) override {
    if (id.empty()) return absl::InvalidArgumentError("entry id is empty");
    return WithReader([&](Connection& db) -> absl::StatusOr<Entry> {
      ZHIKU_ASSIGN_OR_RETURN(std::optional<Entry> entry, LoadEntry(db, id));
      if (!entry.has_value()) return NotFound(id);
      return *std::move(entry);
    });
  }

  absl::StatusOr<Entry> Update(Entry entry, int64_t expected_version) override {
    if (entry.id.empty()) return absl::InvalidArgumentError("Update needs the id of an existing entry");
    ZHIKU_RETURN_IF_ERROR(CheckExpectedVersionArg(expected_version));
    entry = CanonicalizeEntry(std::move(entry));
    ZHIKU_RETURN_IF_ERROR(ValidateEntry(entry));
    absl::MutexLock lock(&mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    ZHIKU_ASSIGN_OR_RETURN(std::optional<Entry> stored, LoadEntry(db, entry.id));
    if (!stored.has_value()) return NotFound(entry.id);
    ZHIKU_RETURN_IF_ERROR(CheckExpectedVersion(*stored, expected_version));
    ZHIKU_RETURN_IF_ERROR(CheckVectorDimension(db, entry));
    entry.created_at_ms = stored->created_at_ms;
    entry.updated_at_ms = NowMs();
    entry.version = stored->version + 1;
    ZHIKU_RETURN_IF_ERROR(WriteEntry(db, entry, /*insert=*/false));
    ZHIKU_RETURN_IF_ERROR(AppendChange(db, entry.id, /*deleted=*/false, entry.updated_at_ms));
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return entry;
  }

  absl::Status Delete(absl::string_view id, int64_t expected_version) override {
    if (id.empty()) return absl::InvalidArgumentError("entry id is empty");
    ZHIKU_RETURN_IF_ERROR(CheckExpectedVersionArg(expected_version));
    absl::MutexLock lock(&mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    ZHIKU_ASSIGN_OR_RETURN(std::optional<Entry> stored, LoadEntry(db, id));
    if (!stored.has_value()) return NotFound(id);
    ZHIKU_RETURN_IF_ERROR(CheckExpectedVersion(*stored, expected_version));
    {
      ZHIKU_ASSIGN_OR_RETURN(Statement erase, db.Prepare("DELETE FROM entries WHERE id = ?"));
      erase.Bind(id);
      ZHIKU_RETURN_IF_ERROR(erase.Run());
    }
    ZHIKU_RETURN_IF_ERROR(AppendChange(db, id, /*deleted=*/true, NowMs()));
    return txn.Commit();
  }

  absl::StatusOr<std::vector<UpsertOutcome>> UpsertBatch(std::vector<Entry> entries) override {
    std::vector<UpsertOutcome> outcomes(entries.size());
    // Later valid entries win over earlier ones with the same id.
    absl::flat_hash_map<std::string, size_t> winner;
    for (size_t i = 0; i < entries.size(); ++i) {
      entries[i] = CanonicalizeEntry(std::move(entries[i]));
      outcomes[i].status = ValidateEntry(entries[i]);
      if (outcomes[i].status.ok() && !entries[i].id.empty()) winner[entries[i].id] = i;
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!outcomes[i].status.ok() || entries[i].id.empty()) continue;
      const size_t later = winner[entries[i].id];
      if (later != i) {
        outcomes[i].status = absl::AlreadyExistsError(
            absl::StrCat("entry ", Quoted(entries[i].id),
                         ": superseded by a later entry with the same id (batch index ", later, ")"));
      }
    }
    if (entries.empty()) return outcomes;

    absl::MutexLock lock(&mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    const int64_t now = NowMs();
    for (size_t i = 0; i < entries.size(); ++i) {
      if (!outcomes[i].status.ok()) continue;
      Entry& entry = entries[i];
      std::optional<Entry> stored;
      if (entry.id.empty()) {
        ZHIKU_ASSIGN_OR_RETURN(entry.id, NewUnusedId(db, winner));
      } else {
        ZHIKU_ASSIGN_OR_RETURN(stored, LoadEntry(db, entry.id));
      }
      if (stored.has_value() && SameContent(*stored, entry)) {
        // Re-importing an unchanged entry is a no-op: no new version, no
        // change for the indexes to apply.
        outcomes[i].entry = *std::move(stored);
        continue;
      }
      // Checked against what this batch stored so far, too: the first entry
      // with vectors sets the dimension for the rest.
      if (absl::Status dim = CheckVectorDimension(db, entry); !dim.ok()) {
        if (!absl::IsInvalidArgument(dim)) return dim;
        outcomes[i].status = std::move(dim);
        continue;
      }
      outcomes[i].created = !stored.has_value();
      entry.created_at_ms = stored.has_value() ? stored->created_at_ms : now;
      entry.updated_at_ms = now;
      entry.version = stored.has_value() ? stored->version + 1 : 1;
      ZHIKU_RETURN_IF_ERROR(WriteEntry(db, entry, /*insert=*/!stored.has_value()));
      ZHIKU_RETURN_IF_ERROR(AppendChange(db, entry.id, /*deleted=*/false, now));
      outcomes[i].entry = std::move(entry);
    }
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return outcomes;
  }

  absl::StatusOr<ListEntriesResult> List(const ListEntriesRequest& request) override {
    if (request.limit < 1 || request.limit > kMaxListLimit) {
      return absl::InvalidArgumentError(absl::StrCat("limit is ", request.limit,
                                                     "; it must be between 1 and ", kMaxListLimit));
    }
    // A NULL parameter disables its filter; otherwise it is a JSON array of
    // accepted values. One fixed statement serves every filter combination.
    static const std::string sql = absl::StrCat(
        "SELECT ", kSelectColumns,
        " FROM entries WHERE id > ?1"
        " AND (?2 IS NULL OR category IN (SELECT value FROM json_each(?2)))"
        " AND (?3 IS NULL OR locale IN (SELECT value FROM json_each(?3)))"
        " AND (?4 IS NULL OR channel IN (SELECT value FROM json_each(?4)))"
        " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM json_each(entries.tags) AS tag"
        "      WHERE tag.value IN (SELECT value FROM json_each(?5))))"
        " ORDER BY id LIMIT ?6");
    return WithReader([&](Connection& db) -> absl::StatusOr<ListEntriesResult> {
      ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(sql.c_str()));
      query.Bind(request.after_id);
      for (const std::vector<std::string>* values :
           {&request.filters.categories, &request.filters.locales, &request.filters.channels,
            &request.filters.tags}) {
        if (values->empty()) {
          query.BindNull();
        } else {
          query.Bind(EncodeStrings(*values));
        }
      }
      // One row more than asked tells whether another page exists.
      query.Bind(int64_t{request.limit} + 1);
      ListEntriesResult result;
      while (true) {
        ZHIKU_ASSIGN_OR_RETURN(bool row, query.Step());
        if (!row) break;
        if (result.entries.size() == static_cast<size_t>(request.limit)) {
          result.next_after_id = result.entries.back().id;
          break;
        }
        ZHIKU_ASSIGN_OR_RETURN(Entry entry, ReadEntry(query));
        result.entries.push_back(std::move(entry));
      }
      return result;
    });
  }

  absl::Status ForEach(const std::function<absl::Status(const Entry&)>& fn) override {
    static const std::string sql = absl::StrCat("SELECT ", kSelectColumns, " FROM entries ORDER BY id");
    // One statement reads one WAL snapshot; fn runs without holding mu_, so
    // it may call back into the store.
    return WithReader([&](Connection& db) -> absl::Status {
      ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(sql.c_str()));
      while (true) {
        ZHIKU_ASSIGN_OR_RETURN(bool row, query.Step());
        if (!row) return absl::OkStatus();
        ZHIKU_ASSIGN_OR_RETURN(Entry entry, ReadEntry(query));
        ZHIKU_RETURN_IF_ERROR(fn(entry));
      }
    });
  }

  absl::StatusOr<std::vector<Change>> ChangesSince(int64_t after_seq, int limit) override {
    if (after_seq < 0) {
      return absl::InvalidArgumentError(absl::StrCat("after_seq is ", after_seq, "; it must be >= 0"));
    }
    if (limit < 1) return absl::InvalidArgumentError(absl::StrCat("limit is ", limit, "; it must be >= 1"));
    return WithReader([&](Connection& db) -> absl::StatusOr<std::vector<Change>> {
      ZHIKU_ASSIGN_OR_RETURN(
          Statement query,
          db.Prepare("SELECT seq, entry_id, deleted FROM changes WHERE seq > ? ORDER BY seq LIMIT ?"));
      query.Bind(after_seq).Bind(int64_t{limit});
      std::vector<Change> changes;
      while (true) {
        ZHIKU_ASSIGN_OR_RETURN(bool row, query.Step());
        if (!row) return changes;
        changes.push_back(Change{query.Int(0), query.Text(1), query.Int(2) != 0});
      }
    });
  }

  absl::StatusOr<int64_t> LastSeq() override {
    // sqlite_sequence keeps the high-water mark even if old changes are pruned.
    return WithReader([](Connection& db) {
      return QueryInt(db, "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)");
    });
  }

  absl::StatusOr<int64_t> Count() override {
    return WithReader([](Connection& db) { return QueryInt(db, "SELECT count(*) FROM entries"); });
  }

  std::string StoreId() const override { return store_id_; }

  absl::StatusOr<CorpusAddOutcome> AddCorpusTexts(const std::vector<std::string>& masked_texts,
                                                  absl::string_view source) override {
    if (source.empty()) return absl::InvalidArgumentError("corpus source is empty; say where the texts come from");
    ZHIKU_RETURN_IF_ERROR(ValidateUtf8(source, "corpus source"));
    std::vector<std::string> hashes;
    hashes.reserve(masked_texts.size());
    for (size_t i = 0; i < masked_texts.size(); ++i) {
      if (masked_texts[i].empty()) {
        return absl::InvalidArgumentError(absl::StrCat("corpus text ", i, " is empty; nothing was stored"));
      }
      ZHIKU_RETURN_IF_ERROR(ValidateUtf8(masked_texts[i], absl::StrCat("corpus text ", i)));
      hashes.push_back(Sha256Hex(masked_texts[i]));
    }
    CorpusAddOutcome outcome;
    if (masked_texts.empty()) return outcome;
    absl::MutexLock lock(&mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    const int64_t now = NowMs();
    for (size_t i = 0; i < masked_texts.size(); ++i) {
      // Look before inserting: an INSERT that hits the UNIQUE constraint
      // still uses up an AUTOINCREMENT id, and duplicates must not move
      // CorpusVersion (that would make the embedder retrain for nothing).
      {
        ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare("SELECT 1 FROM corpus WHERE text_hash = ?"));
        query.Bind(hashes[i]);
        ZHIKU_ASSIGN_OR_RETURN(bool known, query.Step());
        if (known) {
          ++outcome.duplicates;
          continue;
        }
      }
      ZHIKU_ASSIGN_OR_RETURN(
          Statement insert, db.Prepare("INSERT INTO corpus(text, text_hash, source, added_at_ms) VALUES(?, ?, ?, ?)"));
      insert.Bind(masked_texts[i]).Bind(hashes[i]).Bind(source).Bind(now);
      ZHIKU_RETURN_IF_ERROR(insert.Run());
      ++outcome.stored;
    }
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return outcome;
  }

  absl::Status ForEachCorpusText(const std::function<absl::Status(absl::string_view)>& fn) override {
    // As in ForEach: one statement, one WAL snapshot, fn runs without mu_.
    return WithReader([&](Connection& db) -> absl::Status {
      ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare("SELECT text FROM corpus ORDER BY id"));
      while (true) {
        ZHIKU_ASSIGN_OR_RETURN(bool row, query.Step());
        if (!row) return absl::OkStatus();
        ZHIKU_RETURN_IF_ERROR(fn(query.TextView(0)));
      }
    });
  }

  absl::StatusOr<int64_t> CorpusSize() override {
    return WithReader([](Connection& db) { return QueryInt(db, "SELECT count(*) FROM corpus"); });
  }

  absl::StatusOr<int64_t> CorpusVersion() override {
    return WithReader([](Connection& db) {
      return QueryInt(db, "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'corpus'), 0)");
    });
  }

 private:
  // A generated id not used in the store nor claimed by `batch_ids`.
  absl::StatusOr<std::string> NewUnusedId(Connection& db,
                                          const absl::flat_hash_map<std::string, size_t>& batch_ids)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (true) {
      std::string id = absl::StrFormat("e-%016x", rng_());
      if (batch_ids.contains(id)) continue;
      ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare("SELECT 1 FROM entries WHERE id = ?"));
      query.Bind(id);
      ZHIKU_ASSIGN_OR_RETURN(bool taken, query.Step());
      if (!taken) return id;
    }
  }

  template <typename Fn>
  auto WithReader(Fn fn) -> decltype(fn(std::declval<Connection&>())) {
    std::unique_ptr<Connection> reader;
    {
      absl::MutexLock lock(&readers_mu_);
      if (!idle_readers_.empty()) {
        reader = std::move(idle_readers_.back());
        idle_readers_.pop_back();
      }
    }
    if (reader == nullptr) {
      auto opened = Connection::Open(path_, /*create=*/false);
      if (!opened.ok()) return opened.status();
      reader = *std::move(opened);
      // Reads must never write, even by mistake.
      absl::Status status = reader->Exec("PRAGMA query_only = ON");
      if (!status.ok()) return status;
    }
    auto result = fn(*reader);
    absl::MutexLock lock(&readers_mu_);
    if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(reader));
    return result;
  }

  // Constant after construction.
  const std::string path_;
  const std::string store_id_;

  // Serialises writes. The writer connection is only used under it.
  absl::Mutex mu_;
  std::unique_ptr<Connection> writer_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);

  absl::Mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> idle_readers_ ABSL_GUARDED_BY(readers_mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<EntryStore>> OpenSqliteEntryStore(const std::string& path) {
  return SqliteEntryStore::Open(path);
}

}  // namespace zhiku
