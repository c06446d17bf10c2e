#include "service/auth.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "index/logging.h"

namespace zhiku {
namespace {

// The policy: every RPC of every Zhiku service and the least role that may
// call it. A method missing here is refused (and auth_test fails).
const absl::flat_hash_map<std::string, Role>& Policy() {
  static const auto* policy = new absl::flat_hash_map<std::string, Role>{
      {"zhiku.v1.SearchService/Search", Role::kBot},
      {"zhiku.v1.SearchService/Suggest", Role::kBot},
      {"zhiku.v1.SearchService/Answer", Role::kBot},
      {"zhiku.v1.SearchService/Embed", Role::kAgent},
      {"zhiku.v1.KnowledgeService/GetEntry", Role::kAgent},
      {"zhiku.v1.KnowledgeService/ListEntries", Role::kAgent},
      {"zhiku.v1.KnowledgeService/ExportEntries", Role::kAgent},
      {"zhiku.v1.KnowledgeService/GetStatus", Role::kAgent},
      {"zhiku.v1.KnowledgeService/ListEntryVersions", Role::kAgent},
      {"zhiku.v1.KnowledgeService/GetEntryVersion", Role::kAgent},
      {"zhiku.v1.KnowledgeService/RollbackEntry", Role::kEditor},
      {"zhiku.v1.KnowledgeService/CreateEntry", Role::kEditor},
      {"zhiku.v1.KnowledgeService/UpdateEntry", Role::kEditor},
      {"zhiku.v1.KnowledgeService/DeleteEntry", Role::kEditor},
      {"zhiku.v1.KnowledgeService/ImportEntries", Role::kEditor},
      {"zhiku.v1.KnowledgeService/ImportCorpus", Role::kEditor},
      {"zhiku.v1.DraftService/SubmitDrafts", Role::kEditor},
      {"zhiku.v1.DraftService/ListDrafts", Role::kEditor},
      {"zhiku.v1.DraftService/GetDraft", Role::kEditor},
      {"zhiku.v1.DraftService/RejectDraft", Role::kEditor},
      {"zhiku.v1.DraftService/UpdateDraft", Role::kEditor},
      {"zhiku.v1.DraftService/ApproveDraft", Role::kEditor},
      {"zhiku.v1.DraftService/MergeDraft", Role::kEditor},
      {"zhiku.v1.FeedbackService/RecordFeedback", Role::kBot},
      {"zhiku.v1.AnalyticsService/GetSummary", Role::kEditor},
      {"zhiku.v1.AnalyticsService/TopQueries", Role::kEditor},
      {"zhiku.v1.AnalyticsService/EntryStats", Role::kEditor},
      {"zhiku.v1.AnalyticsService/ListQueries", Role::kEditor},
      {"zhiku.v1.AdminService/CreateApiKey", Role::kAdmin},
      {"zhiku.v1.AdminService/ListApiKeys", Role::kAdmin},
      {"zhiku.v1.AdminService/RevokeApiKey", Role::kAdmin},
      {"zhiku.v1.AdminService/WhoAmI", Role::kBot},
      {"zhiku.v1.AdminService/ListAuditEvents", Role::kAdmin},
  };
  return *policy;
}

constexpr absl::string_view kHowToSend =
    "send metadata 'authorization: Bearer <key>' (zhikuctl: --api_key_file=FILE or ZHIKU_API_KEY)";

void ToProto(const ApiKeyInfo& key, v1::ApiKey* out) {
  out->set_id(key.id);
  out->set_name(key.name);
  out->set_role(static_cast<v1::Role>(static_cast<int>(key.role)));
  out->set_created_by(key.created_by);
  out->set_created_at_ms(key.created_at_ms);
  out->set_revoked_at_ms(key.revoked_at_ms);
  out->set_revoked_by(key.revoked_by);
}

grpc::Status AuthOff() {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      "API keys are off on this server (--insecure_no_auth); restart it without that flag");
}

}  // namespace

std::string Caller::Actor() const {
  if (key_id.empty()) return "anonymous (auth off)";
  return absl::StrCat("key ", key_id, " (", name, ")");
}

std::optional<Role> RequiredRole(absl::string_view method) {
  auto it = Policy().find(method);
  if (it == Policy().end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<Caller> Authorizer::Check(const grpc::ServerContext& context, absl::string_view method) const {
  const std::optional<Role> needed = RequiredRole(method);
  if (!needed.has_value()) {
    return absl::PermissionDeniedError(absl::StrCat(method, " has no access rule; nobody may call it"));
  }
  if (keys_ == nullptr) return Caller();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return absl::UnauthenticatedError(absl::StrCat("no API key: ", kHowToSend));
  const absl::string_view header(it->second.data(), it->second.size());
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWithIgnoreCase(header, kBearer)) {
    return absl::UnauthenticatedError(absl::StrCat("the authorization metadata is not 'Bearer <key>'; ", kHowToSend));
  }
  absl::StatusOr<ApiKeyInfo> key = keys_->Authenticate(absl::StripAsciiWhitespace(header.substr(kBearer.size())));
  if (!key.ok()) return key.status();
  if (static_cast<int>(key->role) < static_cast<int>(*needed)) {
    return absl::PermissionDeniedError(absl::StrCat("API key ", key->id, " (", key->name, ") has role ",
                                                    RoleName(key->role), "; ", method, " needs role ",
                                                    RoleName(*needed), " or above"));
  }
  Caller caller;
  caller.key_id = key->id;
  caller.name = key->name;
  caller.role = key->role;
  return caller;
}

void Authorizer::Record(const Caller& caller, absl::string_view action, absl::string_view target,
                        absl::string_view detail) const {
  if (audit_ == nullptr) return;
  AuditEvent event;
  event.actor = caller.Actor();
  event.action = std::string(action);
  event.target = std::string(target);
  event.detail = std::string(detail);
  if (absl::Status s = audit_->Append(std::move(event)); !s.ok()) {
    Log(LogLevel::kError, "audit", absl::StrCat("cannot record ", action, " ", target, ": ", s.message()));
  }
}

grpc::Status AdminServiceImpl::ListAuditEvents(grpc::ServerContext* context, const v1::ListAuditEventsRequest* request,
                                               v1::ListAuditEventsResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.AdminService/ListAuditEvents");
  if (auth_.audit() == nullptr) return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "no audit log");
  AuditQuery query;
  query.actor = request->actor();
  query.target = request->target();
  query.since_ms = request->since_ms();
  query.until_ms = request->until_ms();
  query.before_id = request->before_id();
  query.limit = request->page_size() == 0 ? 100 : request->page_size();
  absl::StatusOr<std::vector<AuditEvent>> events = auth_.audit()->Query(query);
  if (!events.ok()) return ToGrpcStatus(events.status());
  for (const AuditEvent& e : *events) {
    v1::AuditEvent* out = response->add_events();
    out->set_id(e.id);
    out->set_time_ms(e.at_ms);
    out->set_actor(e.actor);
    out->set_action(e.action);
    out->set_target(e.target);
    out->set_detail(e.detail);
  }
  if (static_cast<int>(events->size()) == query.limit) response->set_next_before_id(events->back().id);
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::CreateApiKey(grpc::ServerContext* context, const v1::CreateApiKeyRequest* request,
                                            v1::CreateApiKeyResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.AdminService/CreateApiKey");
  if (keys_ == nullptr) return AuthOff();
  const int role = static_cast<int>(request->role());
  if (role < 1 || role > 4) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "role is missing or unknown; use bot, agent, editor or admin");
  }
  absl::StatusOr<NewApiKey> created = keys_->Create(request->name(), static_cast<Role>(role), caller.key_id);
  if (!created.ok()) return ToGrpcStatus(created.status());
  ToProto(created->info, response->mutable_key());
  response->set_token(created->token);
  auth_.Record(caller, "key.create", created->info.id,
               absl::StrCat(RoleName(created->info.role), " key \"", created->info.name, "\""));
  Log(LogLevel::kInfo, "auth",
      absl::StrCat(caller.Actor(), " created ", RoleName(created->info.role), " key ", created->info.id, " (",
                   created->info.name, ")"));
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::ListApiKeys(grpc::ServerContext* context, const v1::ListApiKeysRequest* request,
                                           v1::ListApiKeysResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.AdminService/ListApiKeys");
  if (keys_ == nullptr) return AuthOff();
  absl::StatusOr<std::vector<ApiKeyInfo>> keys = keys_->List(request->include_revoked());
  if (!keys.ok()) return ToGrpcStatus(keys.status());
  for (const ApiKeyInfo& key : *keys) ToProto(key, response->add_keys());
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::RevokeApiKey(grpc::ServerContext* context, const v1::RevokeApiKeyRequest* request,
                                            v1::ApiKey* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.AdminService/RevokeApiKey");
  if (keys_ == nullptr) return AuthOff();
  if (request->id().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "id is empty; pass the id of the key to revoke");
  }
  absl::StatusOr<ApiKeyInfo> revoked = keys_->Revoke(request->id(), caller.key_id);
  if (!revoked.ok()) return ToGrpcStatus(revoked.status());
  ToProto(*revoked, response);
  auth_.Record(caller, "key.revoke", revoked->id, absl::StrCat("\"", revoked->name, "\""));
  Log(LogLevel::kInfo, "auth", absl::StrCat(caller.Actor(), " revoked key ", revoked->id, " (", revoked->name, ")"));
  return grpc::Status::OK;
}

grpc::Status AdminServiceImpl::WhoAmI(grpc::ServerContext* context, const v1::WhoAmIRequest*, v1::ApiKey* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.AdminService/WhoAmI");
  response->set_id(caller.key_id);
  response->set_name(caller.key_id.empty() ? "anonymous (auth off)" : caller.name);
  response->set_role(static_cast<v1::Role>(static_cast<int>(caller.role)));
  return grpc::Status::OK;
}

}  // namespace zhiku
