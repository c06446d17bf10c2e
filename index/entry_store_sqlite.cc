// EntryStore on SQLite. One writer connection behind mu_ serialises writes;
// reads use a small pool of extra connections, which WAL mode lets run
// concurrently with the writer, each statement on its own snapshot.
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
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
#include "index/sqlite_db.h"
#include "index/status_macros.h"

namespace zhiku {
namespace {

using sqlite::Connection;
using sqlite::DecodeStrings;
using sqlite::EncodeStrings;
using sqlite::NowMs;
using sqlite::QueryInt;
using sqlite::Quoted;
using sqlite::Statement;
using sqlite::Transaction;

constexpr int kMaxListLimit = 1000;

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
  ZHIKU_ASSIGN_OR_RETURN(entry.variants, DecodeStrings(row.Text(2), absl::StrCat("entry ", Quoted(entry.id)), "variants"));
  entry.answer = row.Text(3);
  entry.category = row.Text(4);
  ZHIKU_ASSIGN_OR_RETURN(entry.tags, DecodeStrings(row.Text(5), absl::StrCat("entry ", Quoted(entry.id)), "tags"));
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

// The highest version recorded for `id`, 0 if it has no history.
absl::StatusOr<int64_t> LastRecordedVersion(Connection& db, absl::string_view id) {
  ZHIKU_ASSIGN_OR_RETURN(Statement query,
                         db.Prepare("SELECT COALESCE(MAX(version), 0) FROM entry_versions WHERE entry_id = ?"));
  query.Bind(id);
  ZHIKU_ASSIGN_OR_RETURN(bool row, query.Step());
  return row ? query.Int(0) : 0;
}

absl::Status RecordVersion(Connection& db, const Entry& content, int64_t version, VersionAction action,
                           const WriteInfo& info, int64_t at_ms, int64_t rolled_back_to = 0) {
  ZHIKU_ASSIGN_OR_RETURN(Statement insert,
                         db.Prepare("INSERT INTO entry_versions(entry_id, version, action, author, reason, at_ms, "
                                    "rolled_back_to, content) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(content.id)
      .Bind(version)
      .Bind(int64_t{static_cast<int>(action)})
      .Bind(info.author)
      .Bind(info.reason)
      .Bind(at_ms)
      .Bind(rolled_back_to)
      .Bind(EntryToJsonLine(content));
  return insert.Run();
}

// Entries stored before history was kept have no row for their current
// version: record it (kBaseline) before the first change, so every change
// has something to be compared with.
absl::Status EnsureBaseline(Connection& db, const Entry& stored) {
  ZHIKU_ASSIGN_OR_RETURN(Statement query,
                         db.Prepare("SELECT 1 FROM entry_versions WHERE entry_id = ? AND version = ?"));
  query.Bind(stored.id).Bind(stored.version);
  ZHIKU_ASSIGN_OR_RETURN(bool found, query.Step());
  if (found) return absl::OkStatus();
  return RecordVersion(db, stored, stored.version, VersionAction::kBaseline, WriteInfo{"", "before history was kept"},
                       stored.updated_at_ms);
}

// The version an entry from before history was kept is at, unrecorded.
EntryVersion BaselineOf(Entry entry) {
  EntryVersion v;
  v.entry_id = entry.id;
  v.version = entry.version;
  v.action = VersionAction::kBaseline;
  v.reason = "before history was kept";
  v.at_ms = entry.updated_at_ms;
  v.content = std::move(entry);
  return v;
}

constexpr char kSelectVersion[] =
    "SELECT entry_id, version, action, author, reason, at_ms, rolled_back_to, content FROM entry_versions";

absl::StatusOr<EntryVersion> ReadVersionRow(const Statement& row) {
  EntryVersion v;
  v.entry_id = row.Text(0);
  v.version = row.Int(1);
  v.action = static_cast<VersionAction>(row.Int(2));
  v.author = row.Text(3);
  v.reason = row.Text(4);
  v.at_ms = row.Int(5);
  v.rolled_back_to = row.Int(6);
  absl::StatusOr<Entry> content = EntryFromJsonLine(row.TextView(7));
  if (!content.ok()) {
    return absl::DataLossError(absl::StrCat("version ", v.version, " of entry ", Quoted(v.entry_id),
                                            " is unreadable: ", content.status().message()));
  }
  v.content = *std::move(content);
  return v;
}

absl::StatusOr<std::optional<EntryVersion>> LoadVersion(Connection& db, absl::string_view id, int64_t version) {
  static const std::string sql = absl::StrCat(kSelectVersion, " WHERE entry_id = ? AND version = ?");
  ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(sql.c_str()));
  query.Bind(id).Bind(version);
  ZHIKU_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<EntryVersion>();
  ZHIKU_ASSIGN_OR_RETURN(EntryVersion v, ReadVersionRow(query));
  return std::optional<EntryVersion>(std::move(v));
}


class SqliteEntryStore final : public EntryStore {
 public:
  static absl::StatusOr<std::unique_ptr<EntryStore>> Open(const std::string& path) {
    ZHIKU_ASSIGN_OR_RETURN(sqlite::OpenedDatabase db, sqlite::OpenDatabase(path));
    return std::make_unique<SqliteEntryStore>(path, std::move(db.store_id), std::move(db.writer));
  }

  SqliteEntryStore(std::string path, std::string store_id, std::unique_ptr<Connection> writer)
      : readers_(path), store_id_(std::move(store_id)), writer_(std::move(writer)) {
    std::random_device device;
    rng_.seed((uint64_t{device()} << 32) | device());
  }

  absl::StatusOr<Entry> Create(Entry entry, const WriteInfo& info) override {
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
    ZHIKU_ASSIGN_OR_RETURN(const int64_t last, LastRecordedVersion(db, entry.id));
    entry.version = last + 1;
    ZHIKU_RETURN_IF_ERROR(WriteEntry(db, entry, /*insert=*/true));
    ZHIKU_RETURN_IF_ERROR(AppendChange(db, entry.id, /*deleted=*/false, entry.updated_at_ms));
    ZHIKU_RETURN_IF_ERROR(RecordVersion(db, entry, entry.version, VersionAction::kCreate, info, entry.updated_at_ms));
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

  absl::StatusOr<Entry> Update(Entry entry, int64_t expected_version, const WriteInfo& info) override {
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
    ZHIKU_RETURN_IF_ERROR(EnsureBaseline(db, *stored));
    entry.created_at_ms = stored->created_at_ms;
    entry.updated_at_ms = NowMs();
    entry.version = stored->version + 1;
    ZHIKU_RETURN_IF_ERROR(WriteEntry(db, entry, /*insert=*/false));
    ZHIKU_RETURN_IF_ERROR(AppendChange(db, entry.id, /*deleted=*/false, entry.updated_at_ms));
    ZHIKU_RETURN_IF_ERROR(RecordVersion(db, entry, entry.version, VersionAction::kUpdate, info, entry.updated_at_ms));
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return entry;
  }

  absl::Status Delete(absl::string_view id, int64_t expected_version, const WriteInfo& info) override {
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
    const int64_t now = NowMs();
    ZHIKU_RETURN_IF_ERROR(EnsureBaseline(db, *stored));
    ZHIKU_RETURN_IF_ERROR(AppendChange(db, id, /*deleted=*/true, now));
    ZHIKU_RETURN_IF_ERROR(RecordVersion(db, *stored, stored->version + 1, VersionAction::kDelete, info, now));
    return txn.Commit();
  }

  absl::StatusOr<std::vector<UpsertOutcome>> UpsertBatch(std::vector<Entry> entries, const WriteInfo& info) override {
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
      if (stored.has_value()) {
        ZHIKU_RETURN_IF_ERROR(EnsureBaseline(db, *stored));
        entry.version = stored->version + 1;
      } else {
        ZHIKU_ASSIGN_OR_RETURN(const int64_t last, LastRecordedVersion(db, entry.id));
        entry.version = last + 1;
      }
      ZHIKU_RETURN_IF_ERROR(WriteEntry(db, entry, /*insert=*/!stored.has_value()));
      ZHIKU_RETURN_IF_ERROR(AppendChange(db, entry.id, /*deleted=*/false, now));
      ZHIKU_RETURN_IF_ERROR(RecordVersion(db, entry, entry.version, VersionAction::kImport, info, now));
      outcomes[i].entry = std::move(entry);
    }
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return outcomes;
  }

  absl::StatusOr<std::vector<EntryVersion>> ListVersions(absl::string_view id, int64_t before_version,
                                                         int limit) override {
    if (id.empty()) return absl::InvalidArgumentError("entry id is empty");
    if (limit < 1 || limit > kMaxListLimit) {
      return absl::InvalidArgumentError(
          absl::StrCat("limit is ", limit, "; it must be between 1 and ", kMaxListLimit));
    }
    return WithReader([&](Connection& db) -> absl::StatusOr<std::vector<EntryVersion>> {
      static const std::string sql =
          absl::StrCat(kSelectVersion, " WHERE entry_id = ? AND version < ? ORDER BY version DESC LIMIT ?");
      ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(sql.c_str()));
      query.Bind(id).Bind(before_version > 0 ? before_version : std::numeric_limits<int64_t>::max()).Bind(
          int64_t{limit});
      std::vector<EntryVersion> out;
      while (true) {
        ZHIKU_ASSIGN_OR_RETURN(bool row, query.Step());
        if (!row) break;
        ZHIKU_ASSIGN_OR_RETURN(EntryVersion v, ReadVersionRow(query));
        out.push_back(std::move(v));
      }
      if (out.empty() && before_version <= 0) {
        // An entry from before history was kept has no rows yet.
        ZHIKU_ASSIGN_OR_RETURN(std::optional<Entry> entry, LoadEntry(db, id));
        if (!entry.has_value()) return NotFound(id);
        out.push_back(BaselineOf(*std::move(entry)));
      }
      return out;
    });
  }

  absl::StatusOr<EntryVersion> GetVersion(absl::string_view id, int64_t version) override {
    if (id.empty()) return absl::InvalidArgumentError("entry id is empty");
    return WithReader([&](Connection& db) -> absl::StatusOr<EntryVersion> {
      ZHIKU_ASSIGN_OR_RETURN(std::optional<EntryVersion> v, LoadVersion(db, id, version));
      if (v.has_value()) return *std::move(v);
      ZHIKU_ASSIGN_OR_RETURN(std::optional<Entry> entry, LoadEntry(db, id));
      if (entry.has_value() && entry->version == version) {
        return BaselineOf(*std::move(entry));
      }
      ZHIKU_ASSIGN_OR_RETURN(const int64_t last, LastRecordedVersion(db, id));
      if (last == 0 && !entry.has_value()) return NotFound(id);
      return absl::NotFoundError(absl::StrCat("entry ", Quoted(id), " has no version ", version, "; its versions are 1 to ",
                                              std::max(last, entry.has_value() ? entry->version : 0)));
    });
  }

  absl::StatusOr<Entry> Rollback(absl::string_view id, int64_t version, int64_t expected_version,
                                 const WriteInfo& info) override {
    if (id.empty()) return absl::InvalidArgumentError("entry id is empty");
    ZHIKU_RETURN_IF_ERROR(CheckExpectedVersionArg(expected_version));
    absl::MutexLock lock(&mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    ZHIKU_ASSIGN_OR_RETURN(std::optional<Entry> stored, LoadEntry(db, id));
    if (stored.has_value()) ZHIKU_RETURN_IF_ERROR(EnsureBaseline(db, *stored));
    ZHIKU_ASSIGN_OR_RETURN(std::optional<EntryVersion> target, LoadVersion(db, id, version));
    ZHIKU_ASSIGN_OR_RETURN(const int64_t last, LastRecordedVersion(db, id));
    if (!target.has_value()) {
      if (last == 0) return NotFound(id);
      return absl::NotFoundError(
          absl::StrCat("entry ", Quoted(id), " has no version ", version, "; its versions are 1 to ", last));
    }
    if (target->action == VersionAction::kDelete) {
      return absl::InvalidArgumentError(absl::StrCat("version ", version, " of entry ", Quoted(id),
                                                     " is its deletion; roll back to version ", version - 1,
                                                     " to restore what was deleted"));
    }
    const int64_t current = stored.has_value() ? stored->version : last;
    if (expected_version > 0 && current != expected_version) {
      return absl::AbortedError(absl::StrCat("entry ", Quoted(id), " is at version ", current, ", not ",
                                             expected_version, "; re-read it and retry"));
    }
    Entry entry = std::move(target->content);
    entry.id = std::string(id);
    ZHIKU_RETURN_IF_ERROR(CheckVectorDimension(db, entry));
    const int64_t now = NowMs();
    entry.created_at_ms = stored.has_value() ? stored->created_at_ms : now;
    entry.updated_at_ms = now;
    entry.version = current + 1;
    ZHIKU_RETURN_IF_ERROR(WriteEntry(db, entry, /*insert=*/!stored.has_value()));
    ZHIKU_RETURN_IF_ERROR(AppendChange(db, entry.id, /*deleted=*/false, now));
    ZHIKU_RETURN_IF_ERROR(RecordVersion(db, entry, entry.version, VersionAction::kRollback, info, now, version));
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return entry;
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
    return readers_.WithReader(std::move(fn));
  }

  // Thread-safe itself.
  sqlite::ReaderPool readers_;
  // Constant after construction.
  const std::string store_id_;

  // Serialises writes. The writer connection is only used under it.
  absl::Mutex mu_;
  std::unique_ptr<Connection> writer_ ABSL_GUARDED_BY(mu_);
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<EntryStore>> OpenSqliteEntryStore(const std::string& path) {
  return SqliteEntryStore::Open(path);
}

}  // namespace zhiku
