// Who may call what: the API-key check every handler runs first, and
// zhiku.v1.AdminService (keys).
//
// The policy is one table, method -> least role (RequiredRole), so what a
// role may do is read in one place. It is enforced at the top of every
// handler (ZHIKU_AUTHORIZE) rather than in a gRPC interceptor: C++ server
// interceptors of this gRPC cannot fail a call, and AuthMetadataProcessor
// works only on TLS ports. tests/service/auth_test.cc calls every method of
// every service through a generic stub to prove no handler skips the check.
#ifndef ZHIKU_SERVICE_AUTH_H_
#define ZHIKU_SERVICE_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/audit_log.h"
#include "index/key_store.h"
#include "service/status_util.h"
#include "zhiku/v1/admin.grpc.pb.h"

namespace zhiku {

// The authenticated caller of one RPC.
struct Caller {
  std::string key_id;  // "" when auth is off
  std::string name;
  Role role = Role::kAdmin;
  // What writes record as their author: "key <id> (<name>)", or
  // "anonymous (auth off)".
  std::string Actor() const;
};

// The least role allowed to call `method` ("zhiku.v1.SearchService/Search"),
// or nullopt for a method the policy does not know (refused).
std::optional<Role> RequiredRole(absl::string_view method);

class Authorizer {
 public:
  // `keys` == nullptr turns auth off (--insecure_no_auth): every call is
  // allowed as an anonymous admin. Otherwise `keys` must outlive this.
  explicit Authorizer(KeyStore* keys, AuditLog* audit = nullptr) : keys_(keys), audit_(audit) {}

  bool enabled() const { return keys_ != nullptr; }

  // The caller of `method`, or Unauthenticated (no key, malformed, unknown
  // or revoked: the message says which and what to do) or PermissionDenied
  // (the key's role is below the method's, both named).
  absl::StatusOr<Caller> Check(const grpc::ServerContext& context, absl::string_view method) const;

  // Appends to the audit log (if any) what `caller` did. A failure to write
  // it is logged, not returned: the action itself already happened.
  void Record(const Caller& caller, absl::string_view action, absl::string_view target,
              absl::string_view detail) const;

  AuditLog* audit() const { return audit_; }

 private:
  KeyStore* const keys_;
  AuditLog* const audit_;
};

// Returns the gRPC status from the enclosing handler unless the caller may
// call METHOD; binds the Caller to `caller`.
#define ZHIKU_AUTHORIZE(caller, authorizer, context, method)                                   \
  absl::StatusOr<::zhiku::Caller> caller##_or = (authorizer).Check(*(context), (method));      \
  if (!caller##_or.ok()) return ::zhiku::ToGrpcStatus(caller##_or.status());                  \
  [[maybe_unused]] const ::zhiku::Caller& caller = *caller##_or

class AdminServiceImpl final : public v1::AdminService::Service {
 public:
  // Both must outlive the service; `keys` null when auth is off.
  AdminServiceImpl(const Authorizer* authorizer, KeyStore* keys) : auth_(*authorizer), keys_(keys) {}

  grpc::Status CreateApiKey(grpc::ServerContext* context, const v1::CreateApiKeyRequest* request,
                            v1::CreateApiKeyResponse* response) override;
  grpc::Status ListApiKeys(grpc::ServerContext* context, const v1::ListApiKeysRequest* request,
                           v1::ListApiKeysResponse* response) override;
  grpc::Status RevokeApiKey(grpc::ServerContext* context, const v1::RevokeApiKeyRequest* request,
                            v1::ApiKey* response) override;
  grpc::Status WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest* request,
                      v1::ApiKey* response) override;
  grpc::Status ListAuditEvents(grpc::ServerContext* context, const v1::ListAuditEventsRequest* request,
                               v1::ListAuditEventsResponse* response) override;

 private:
  const Authorizer& auth_;
  KeyStore* const keys_;
};

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_AUTH_H_
