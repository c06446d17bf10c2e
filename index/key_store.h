// API keys and their roles: who may call what.
//
// A key is shown once, when it is created, as
//   zk_<id>_<secret>
// with a 16-hex-digit public id (what lists, logs and revocation name) and a
// 32-hex-digit random secret (128 bits). The store keeps only the SHA-256 of
// the secret; with that much entropy a fast hash is enough, and an attacker
// reading the database learns no usable key. Authenticate compares digests
// in constant time.
#ifndef ZHIKU_INDEX_KEY_STORE_H_
#define ZHIKU_INDEX_KEY_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zhiku {

// Each role may do everything the roles before it may. The numbers are
// stored and equal those of zhiku.v1.Role.
enum class Role {
  kBot = 1,     // Answer, Search, Suggest, Feedback
  kAgent = 2,   // + read entries and status
  kEditor = 3,  // + drafts and entry writes
  kAdmin = 4,   // + keys, audit, snapshots
};

// "bot", "agent", "editor", "admin".
absl::string_view RoleName(Role role);
// The inverse; InvalidArgument listing the roles for anything else.
absl::StatusOr<Role> ParseRole(absl::string_view name);

struct ApiKeyInfo {
  std::string id;          // 16 lowercase hex digits
  std::string name;        // what the key is for, e.g. "web chatbot"
  Role role = Role::kBot;
  std::string created_by;  // id of the key that created it ("" = bootstrap)
  int64_t created_at_ms = 0;
  int64_t revoked_at_ms = 0;  // 0 = active
  std::string revoked_by;
};

struct NewApiKey {
  ApiKeyInfo info;
  std::string token;  // the whole key, shown once; only its digest is kept
};

// Thread-safe.
class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // Creates a key. InvalidArgument if `name` is empty, longer than 200
  // bytes or not valid UTF-8. `before_commit`, if set, runs inside the
  // transaction with the new key; if it fails, the key is not stored and
  // its error is returned (the bootstrap admin key is stored only once it
  // has been written to its file).
  virtual absl::StatusOr<NewApiKey> Create(
      absl::string_view name, Role role, absl::string_view created_by,
      const std::function<absl::Status(const NewApiKey&)>& before_commit = nullptr) = 0;

  // The key `token` belongs to. Unauthenticated, saying which, when the
  // token is malformed, unknown, or revoked (and when).
  virtual absl::StatusOr<ApiKeyInfo> Authenticate(absl::string_view token) = 0;

  // Revokes key `id`: it stops working at once. NotFound if there is no such
  // key; FailedPrecondition if it is already revoked or is the last active
  // admin key (the server would be locked for good).
  virtual absl::StatusOr<ApiKeyInfo> Revoke(absl::string_view id, absl::string_view revoked_by) = 0;

  // Every key, oldest first; revoked ones too when asked.
  virtual absl::StatusOr<std::vector<ApiKeyInfo>> List(bool include_revoked) = 0;

  // Keys ever created, revoked ones included (0 on a new data dir).
  virtual absl::StatusOr<int64_t> Count() = 0;
};

// The public id of a well-formed token, or nullopt.
std::optional<std::string> KeyIdOf(absl::string_view token);

// Opens the key table of the Zhiku database at `path` (creating the
// database if needed). Errors as OpenSqliteEntryStore documents them.
absl::StatusOr<std::unique_ptr<KeyStore>> OpenSqliteKeyStore(const std::string& path);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_KEY_STORE_H_
