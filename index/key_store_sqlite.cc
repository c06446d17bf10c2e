// KeyStore on the api_keys table of the Zhiku database (see sqlite_db.cc).
// Every Authenticate reads the table (a primary-key lookup on a pooled
// reader, microseconds), so a key revoked by any process stops working on
// the next call without a cache to invalidate.
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "index/entry.h"
#include "index/key_store.h"
#include "index/sha256.h"
#include "index/sqlite_db.h"

namespace zhiku {
namespace {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;

constexpr size_t kIdHex = 16;
constexpr size_t kSecretHex = 32;
constexpr size_t kMaxNameBytes = 200;
constexpr absl::string_view kPrefix = "zk_";

constexpr const char* kRoleNames[] = {"bot", "agent", "editor", "admin"};

std::string RandomHex(size_t digits) {
  std::random_device device;
  std::string hex;
  while (hex.size() < digits) absl::StrAppendFormat(&hex, "%08x", device());
  hex.resize(digits);
  return hex;
}

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Compares without an early exit, so the time taken says nothing about
// where two digests differ.
bool ConstantTimeEqual(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string Digest(absl::string_view secret) {
  const std::array<uint8_t, 32> d = Sha256(secret);
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string FormatTime(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

constexpr char kSelectColumns[] =
    "SELECT id, name, role, created_by, created_at_ms, revoked_at_ms, revoked_by, secret_sha256 FROM api_keys";

struct KeyRow {
  ApiKeyInfo info;
  std::string digest;
};

KeyRow ReadRow(const Statement& row) {
  KeyRow out;
  out.info.id = row.Text(0);
  out.info.name = row.Text(1);
  out.info.role = static_cast<Role>(row.Int(2));
  out.info.created_by = row.Text(3);
  out.info.created_at_ms = row.Int(4);
  out.info.revoked_at_ms = row.Int(5);
  out.info.revoked_by = row.Text(6);
  out.digest = std::string(row.BlobView(7));
  return out;
}

absl::StatusOr<std::optional<KeyRow>> LoadKey(Connection& db, absl::string_view id) {
  static const std::string sql = absl::StrCat(kSelectColumns, " WHERE id = ?");
  ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(sql.c_str()));
  query.Bind(id);
  ZHIKU_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<KeyRow>();
  return std::optional<KeyRow>(ReadRow(query));
}

class SqliteKeyStore final : public KeyStore {
 public:
  SqliteKeyStore(const std::string& path, std::unique_ptr<Connection> writer)
      : readers_(path), writer_(std::move(writer)) {}

  absl::StatusOr<NewApiKey> Create(absl::string_view name, Role role, absl::string_view created_by,
                                   const std::function<absl::Status(const NewApiKey&)>& before_commit) override {
    const absl::string_view trimmed = absl::StripAsciiWhitespace(name);
    if (trimmed.empty()) return absl::InvalidArgumentError("the key's name is empty; say what the key is for");
    if (trimmed.size() > kMaxNameBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("the key's name is ", trimmed.size(), " bytes; the limit is ", kMaxNameBytes));
    }
    ZHIKU_RETURN_IF_ERROR(ValidateUtf8(trimmed, "the key's name"));
    if (static_cast<int>(role) < 1 || static_cast<int>(role) > 4) {
      return absl::InvalidArgumentError("unknown role; use bot, agent, editor or admin");
    }
    NewApiKey out;
    out.info.id = RandomHex(kIdHex);
    out.info.name = std::string(trimmed);
    out.info.role = role;
    out.info.created_by = std::string(created_by);
    out.info.created_at_ms = sqlite::NowMs();
    const std::string secret = RandomHex(kSecretHex);
    out.token = absl::StrCat(kPrefix, out.info.id, "_", secret);
    absl::MutexLock lock(&mu_);
    Transaction txn(*writer_);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    ZHIKU_ASSIGN_OR_RETURN(
        Statement insert,
        writer_->Prepare("INSERT INTO api_keys(id, name, role, created_by, created_at_ms, revoked_at_ms, revoked_by, "
                         "secret_sha256) VALUES(?, ?, ?, ?, ?, 0, '', ?)"));
    insert.Bind(out.info.id)
        .Bind(out.info.name)
        .Bind(int64_t{static_cast<int>(role)})
        .Bind(out.info.created_by)
        .Bind(out.info.created_at_ms)
        .BindBlob(Digest(secret));
    ZHIKU_RETURN_IF_ERROR(insert.Run());
    if (before_commit) ZHIKU_RETURN_IF_ERROR(before_commit(out));
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return out;
  }

  absl::StatusOr<ApiKeyInfo> Authenticate(absl::string_view token) override {
    std::optional<std::string> id = KeyIdOf(token);
    if (!id.has_value()) {
      return absl::UnauthenticatedError(
          "the API key is malformed; keys look like zk_<16 hex digits>_<32 hex digits>");
    }
    const absl::string_view secret = token.substr(kPrefix.size() + kIdHex + 1);
    ZHIKU_ASSIGN_OR_RETURN(std::optional<KeyRow> row,
                           readers_.WithReader([&](Connection& db) { return LoadKey(db, *id); }));
    // Unknown ids and wrong secrets get the same answer.
    if (!row.has_value() || !ConstantTimeEqual(Digest(secret), row->digest)) {
      return absl::UnauthenticatedError(absl::StrCat("API key ", *id, " is not valid; ask an admin for a key"));
    }
    if (row->info.revoked_at_ms != 0) {
      return absl::UnauthenticatedError(absl::StrCat("API key ", *id, " (", row->info.name, ") was revoked at ",
                                                     FormatTime(row->info.revoked_at_ms),
                                                     "; ask an admin for a new key"));
    }
    return std::move(row->info);
  }

  absl::StatusOr<ApiKeyInfo> Revoke(absl::string_view id, absl::string_view revoked_by) override {
    absl::MutexLock lock(&mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    ZHIKU_ASSIGN_OR_RETURN(std::optional<KeyRow> row, LoadKey(db, id));
    if (!row.has_value()) {
      return absl::NotFoundError(absl::StrCat("no API key with id ", sqlite::Quoted(id),
                                              "; `zhikuctl keys list` shows the ids"));
    }
    if (row->info.revoked_at_ms != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("API key ", id, " was already revoked at ", FormatTime(row->info.revoked_at_ms)));
    }
    if (row->info.role == Role::kAdmin) {
      ZHIKU_ASSIGN_OR_RETURN(Statement count, db.Prepare("SELECT COUNT(*) FROM api_keys WHERE role = ? AND "
                                                         "revoked_at_ms = 0"));
      count.Bind(int64_t{static_cast<int>(Role::kAdmin)});
      ZHIKU_ASSIGN_OR_RETURN(bool has, count.Step());
      if (has && count.Int(0) <= 1) {
        return absl::FailedPreconditionError(absl::StrCat(
            "API key ", id, " is the last active admin key; create another admin key before revoking it"));
      }
    }
    const int64_t now = sqlite::NowMs();
    {
      ZHIKU_ASSIGN_OR_RETURN(Statement update,
                             db.Prepare("UPDATE api_keys SET revoked_at_ms = ?, revoked_by = ? WHERE id = ?"));
      update.Bind(now).Bind(revoked_by).Bind(id);
      ZHIKU_RETURN_IF_ERROR(update.Run());
    }
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    row->info.revoked_at_ms = now;
    row->info.revoked_by = std::string(revoked_by);
    return std::move(row->info);
  }

  absl::StatusOr<std::vector<ApiKeyInfo>> List(bool include_revoked) override {
    return readers_.WithReader([&](Connection& db) -> absl::StatusOr<std::vector<ApiKeyInfo>> {
      static const std::string sql = absl::StrCat(kSelectColumns, " ORDER BY created_at_ms, id");
      ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(sql.c_str()));
      std::vector<ApiKeyInfo> out;
      while (true) {
        ZHIKU_ASSIGN_OR_RETURN(bool row, query.Step());
        if (!row) break;
        KeyRow key = ReadRow(query);
        if (include_revoked || key.info.revoked_at_ms == 0) out.push_back(std::move(key.info));
      }
      return out;
    });
  }

  absl::StatusOr<int64_t> Count() override {
    return readers_.WithReader([](Connection& db) { return sqlite::QueryInt(db, "SELECT COUNT(*) FROM api_keys"); });
  }

 private:
  sqlite::ReaderPool readers_;
  absl::Mutex mu_;
  std::unique_ptr<Connection> writer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::string_view RoleName(Role role) {
  const int i = static_cast<int>(role);
  if (i < 1 || i > 4) return "unknown";
  return kRoleNames[i - 1];
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (name == kRoleNames[i]) return static_cast<Role>(i + 1);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown role ", sqlite::Quoted(name), "; use one of ", absl::StrJoin(kRoleNames, ", ")));
}

std::optional<std::string> KeyIdOf(absl::string_view token) {
  if (token.size() != kPrefix.size() + kIdHex + 1 + kSecretHex || token.substr(0, kPrefix.size()) != kPrefix ||
      token[kPrefix.size() + kIdHex] != '_') {
    return std::nullopt;
  }
  const absl::string_view id = token.substr(kPrefix.size(), kIdHex);
  if (!IsLowerHex(id) || !IsLowerHex(token.substr(kPrefix.size() + kIdHex + 1))) return std::nullopt;
  return std::string(id);
}

absl::StatusOr<std::unique_ptr<KeyStore>> OpenSqliteKeyStore(const std::string& path) {
  ZHIKU_ASSIGN_OR_RETURN(sqlite::OpenedDatabase db, sqlite::OpenDatabase(path));
  return std::make_unique<SqliteKeyStore>(path, std::move(db.writer));
}

}  // namespace zhiku
