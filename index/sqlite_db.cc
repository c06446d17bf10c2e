#include "index/sqlite_db.h"

#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace zhiku::sqlite {
namespace {

using Json = nlohmann::json;

// 1: entries, changes, meta. 2: entries.vector_dim and entries.vectors
// (bring-your-own embeddings); MigrateSchema upgrades older stores.
constexpr int64_t kSchemaVersion = 2;
constexpr int kBusyTimeoutMs = 5000;

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
-- drafts: mined FAQ candidates (DraftStore). Lists are JSON arrays of
-- strings; status holds DraftStatus numbers; frequency is kept equal to
-- conversation_count unless that is 0 (then submitted_frequency, the largest
-- frequency ever submitted). message_count and conversation_count are the
-- rows in the evidence tables and give each new evidence row its pos.
CREATE TABLE IF NOT EXISTS drafts(
  id TEXT PRIMARY KEY NOT NULL,
  question TEXT NOT NULL,
  variants TEXT NOT NULL,
  answer TEXT NOT NULL,
  answer_alternatives TEXT NOT NULL,
  covered_by TEXT,  -- NULL = not covered
  covered_score REAL NOT NULL,
  conflicting_answers INTEGER NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  trend REAL NOT NULL,
  status INTEGER NOT NULL,
  reject_reason TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  runs INTEGER NOT NULL,
  frequency INTEGER NOT NULL,
  submitted_frequency INTEGER NOT NULL,
  message_count INTEGER NOT NULL,
  conversation_count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS drafts_by_frequency ON drafts(frequency DESC, id);
CREATE INDEX IF NOT EXISTS drafts_by_last_seen ON drafts(last_seen DESC, id);
CREATE INDEX IF NOT EXISTS drafts_by_trend ON drafts(trend DESC, id);
-- Index forms (TextNormalizer) of every phrasing merged into a draft, shown
-- or not: what later submissions match against.
CREATE TABLE IF NOT EXISTS draft_phrasings(
  phrasing_key TEXT NOT NULL,
  draft_id TEXT NOT NULL,
  PRIMARY KEY(phrasing_key, draft_id)) WITHOUT ROWID;
-- Evidence, one row per id so that a draft can hold any number of them; pos
-- is the order they were first submitted in.
CREATE TABLE IF NOT EXISTS draft_messages(
  draft_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  pos INTEGER NOT NULL,
  PRIMARY KEY(draft_id, message_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS draft_messages_in_order ON draft_messages(draft_id, pos);
CREATE TABLE IF NOT EXISTS draft_conversations(
  draft_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  pos INTEGER NOT NULL,
  PRIMARY KEY(draft_id, conversation_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS draft_conversations_in_order ON draft_conversations(draft_id, pos);
-- entry_versions: every version of every entry (EntryStore history), kept
-- after deletion. content is EntryToJsonLine of the entry after the change
-- (for a deletion: what was deleted); action holds VersionAction numbers.
CREATE TABLE IF NOT EXISTS entry_versions(
  entry_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  action INTEGER NOT NULL,
  author TEXT NOT NULL,
  reason TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  rolled_back_to INTEGER NOT NULL,
  content TEXT NOT NULL,
  PRIMARY KEY(entry_id, version)) WITHOUT ROWID;
-- audit_log: AuditLog, one row per write or admin action.
CREATE TABLE IF NOT EXISTS audit_log(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_log_by_target ON audit_log(target, id);
-- api_keys: KeyStore. role holds Role numbers; secret_sha256 the 32-byte
-- digest of the key's secret part (the key itself is never stored).
CREATE TABLE IF NOT EXISTS api_keys(
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  role INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER NOT NULL,  -- 0 = active
  revoked_by TEXT NOT NULL,
  secret_sha256 BLOB NOT NULL);
-- query_log: QueryLog, one row per served Search or Answer (text masked,
-- norm its index form). kind, decision and handoff_reason hold the
-- QueryKind, LoggedDecision and HandoffReason numbers.
CREATE TABLE IF NOT EXISTS query_log(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  query_id TEXT NOT NULL UNIQUE,
  knowledge_base TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  text TEXT NOT NULL,
  norm TEXT NOT NULL,
  decision INTEGER NOT NULL,
  handoff_reason INTEGER NOT NULL,
  confidence REAL NOT NULL,
  top_entry_id TEXT NOT NULL,
  hits INTEGER NOT NULL,
  unanswered INTEGER NOT NULL,
  actor TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS query_log_by_time ON query_log(at_ms);
CREATE INDEX IF NOT EXISTS query_log_by_norm ON query_log(norm, at_ms);
-- query_feedback: RecordFeedback; kind holds FeedbackKind numbers. One row
-- per (query, kind, entry): a retried call adds nothing.
CREATE TABLE IF NOT EXISTS query_feedback(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  query_id TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  entry_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  comment TEXT NOT NULL,
  UNIQUE(query_id, kind, entry_id));
CREATE INDEX IF NOT EXISTS query_feedback_by_time ON query_feedback(at_ms);
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
}  // namespace

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

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool create) {
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

absl::StatusOr<int64_t> QueryInt(Connection& db, const char* sql) {
  ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(sql));
  ZHIKU_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return absl::InternalError(absl::StrCat("no row from: ", sql));
  return query.Int(0);
}

std::string EncodeStrings(const std::vector<std::string>& values) {
  return Json(values).dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<std::vector<std::string>> DecodeStrings(absl::string_view text, absl::string_view owner,
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
    return absl::DataLossError(absl::StrCat(owner, ": stored ", column,
                                            " is not a JSON array of strings; restore from a backup"));
  }
  return values;
}

absl::StatusOr<OpenedDatabase> OpenDatabase(const std::string& path) {
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
  return OpenedDatabase{std::move(writer), std::move(store_id)};
}

absl::StatusOr<std::unique_ptr<Connection>> ReaderPool::OpenReader() {
  ZHIKU_ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, Connection::Open(path_, /*create=*/false));
  // Reads must never write, even by mistake.
  ZHIKU_RETURN_IF_ERROR(reader->Exec("PRAGMA query_only = ON"));
  return reader;
}

}  // namespace zhiku::sqlite
