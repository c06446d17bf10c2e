// API keys end to end: the key store, the bootstrap admin key, and the role
// matrix (every RPC of every Zhiku service x every role, no key, a revoked
// key, a malformed key, a wrong secret) through a real server on 127.0.0.1.
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"
#include "index/key_store.h"
#include "service/client_channel.h"
#include "service/server.h"
#include "tests/test_util.h"
#include "zhiku/v1/admin.grpc.pb.h"
#include "zhiku/v1/analytics.grpc.pb.h"
#include "zhiku/v1/draft.grpc.pb.h"
#include "zhiku/v1/knowledge.grpc.pb.h"
#include "zhiku/v1/search.grpc.pb.h"

namespace zhiku {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(KeyStore, CreateAuthenticateRevokeAndKeepOnlyADigest) {
  testing::TempDir dir;
  auto store = OpenSqliteKeyStore(dir.Sub("zhiku.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  KeyStore& keys = **store;
  auto admin = keys.Create("ops", Role::kAdmin, "");
  ASSERT_TRUE(admin.ok()) << admin.status();
  auto bot = keys.Create("  web chatbot ", Role::kBot, admin->info.id);
  ASSERT_TRUE(bot.ok()) << bot.status();
  EXPECT_EQ(bot->info.name, "web chatbot");
  EXPECT_EQ(KeyIdOf(bot->token), bot->info.id);

  auto who = keys.Authenticate(bot->token);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->role, Role::kBot);
  EXPECT_EQ(who->created_by, admin->info.id);

  // Same id, another secret: refused like an unknown key.
  std::string forged = bot->token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(keys.Authenticate(forged).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(keys.Authenticate("Bearer xyz").status().message(), HasSubstr("malformed"));
  EXPECT_EQ(keys.Create("", Role::kBot, "").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(keys.Create(std::string(201, 'n'), Role::kBot, "").status().code(), absl::StatusCode::kInvalidArgument);

  // The database holds no secret, only its digest.
  const std::string secret = bot->token.substr(bot->token.rfind('_') + 1);
  EXPECT_EQ(ReadFile(dir.Sub("zhiku.db")).find(secret), std::string::npos);
  EXPECT_EQ(ReadFile(dir.Sub("zhiku.db-wal")).find(secret), std::string::npos);

  auto revoked = keys.Revoke(bot->info.id, admin->info.id);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_GT(revoked->revoked_at_ms, 0);
  absl::Status after = keys.Authenticate(bot->token).status();
  EXPECT_EQ(after.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(after.message(), HasSubstr("revoked"));
  EXPECT_EQ(keys.Revoke(bot->info.id, "").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(keys.Revoke("0000000000000000", "").status().code(), absl::StatusCode::kNotFound);

  // The last admin key cannot go; once there is a second one, it can.
  absl::Status last = keys.Revoke(admin->info.id, admin->info.id).status();
  EXPECT_EQ(last.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(last.message(), HasSubstr("last active admin key"));
  auto second = keys.Create("second admin", Role::kAdmin, admin->info.id);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(keys.Revoke(admin->info.id, second->info.id).ok());

  auto active = keys.List(false);
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].id, second->info.id);
  auto all = keys.List(true);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
}

TEST(KeyStore, KeyIsNotStoredWhenBeforeCommitFails) {
  testing::TempDir dir;
  auto store = OpenSqliteKeyStore(dir.Sub("zhiku.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  auto failed = (*store)->Create("bootstrap admin", Role::kAdmin, "", [](const NewApiKey&) {
    return absl::FailedPreconditionError("cannot write admin.key");
  });
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kFailedPrecondition);
  auto count = (*store)->Count();
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0);
}

TEST(RoleNames, RoundTrip) {
  for (Role r : {Role::kBot, Role::kAgent, Role::kEditor, Role::kAdmin}) {
    auto parsed = ParseRole(RoleName(r));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, r);
  }
  EXPECT_THAT(ParseRole("root").status().message(), HasSubstr("bot, agent, editor, admin"));
}

// One call of each RPC with an empty request, through typed stubs.
using Call = std::function<grpc::Status(grpc::Channel&, grpc::ClientContext&)>;

std::map<std::string, Call> EveryRpc() {
  std::map<std::string, Call> calls;
  auto search = [](auto fn) {
    return [fn](grpc::Channel& channel, grpc::ClientContext& context) {
      auto stub = v1::SearchService::NewStub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
      return fn(*stub, context);
    };
  };
  auto knowledge = [](auto fn) {
    return [fn](grpc::Channel& channel, grpc::ClientContext& context) {
      auto stub = v1::KnowledgeService::NewStub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
      return fn(*stub, context);
    };
  };
  auto drafts = [](auto fn) {
    return [fn](grpc::Channel& channel, grpc::ClientContext& context) {
      auto stub = v1::DraftService::NewStub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
      return fn(*stub, context);
    };
  };
  auto admin = [](auto fn) {
    return [fn](grpc::Channel& channel, grpc::ClientContext& context) {
      auto stub = v1::AdminService::NewStub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
      return fn(*stub, context);
    };
  };
  auto feedback = [](auto fn) {
    return [fn](grpc::Channel& channel, grpc::ClientContext& context) {
      auto stub = v1::FeedbackService::NewStub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
      return fn(*stub, context);
    };
  };
  auto analytics = [](auto fn) {
    return [fn](grpc::Channel& channel, grpc::ClientContext& context) {
      auto stub = v1::AnalyticsService::NewStub(std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
      return fn(*stub, context);
    };
  };
#define ZHIKU_UNARY(table, service, method, request_type, response_type)                              \
  calls["zhiku.v1." #service "/" #method] = table([](auto& stub, grpc::ClientContext& context) {    \
    v1::request_type request;                                                                        \
    v1::response_type response;                                                                      \
    return stub.method(&context, request, &response);                                                \
  })
  ZHIKU_UNARY(search, SearchService, Search, SearchRequest, SearchResponse);
  ZHIKU_UNARY(search, SearchService, Suggest, SuggestRequest, SuggestResponse);
  ZHIKU_UNARY(search, SearchService, Answer, AnswerRequest, AnswerResponse);
  ZHIKU_UNARY(search, SearchService, Embed, EmbedRequest, EmbedResponse);
  ZHIKU_UNARY(knowledge, KnowledgeService, CreateEntry, CreateEntryRequest, Entry);
  ZHIKU_UNARY(knowledge, KnowledgeService, GetEntry, GetEntryRequest, Entry);
  ZHIKU_UNARY(knowledge, KnowledgeService, UpdateEntry, UpdateEntryRequest, Entry);
  ZHIKU_UNARY(knowledge, KnowledgeService, DeleteEntry, DeleteEntryRequest, DeleteEntryResponse);
  ZHIKU_UNARY(knowledge, KnowledgeService, ListEntries, ListEntriesRequest, ListEntriesResponse);
  ZHIKU_UNARY(knowledge, KnowledgeService, GetStatus, GetStatusRequest, KnowledgeBaseStatus);
  ZHIKU_UNARY(knowledge, KnowledgeService, ListEntryVersions, ListEntryVersionsRequest, ListEntryVersionsResponse);
  ZHIKU_UNARY(knowledge, KnowledgeService, GetEntryVersion, GetEntryVersionRequest, EntryVersion);
  ZHIKU_UNARY(knowledge, KnowledgeService, RollbackEntry, RollbackEntryRequest, Entry);
  ZHIKU_UNARY(drafts, DraftService, SubmitDrafts, SubmitDraftsRequest, SubmitDraftsResponse);
  ZHIKU_UNARY(drafts, DraftService, ListDrafts, ListDraftsRequest, ListDraftsResponse);
  ZHIKU_UNARY(drafts, DraftService, GetDraft, GetDraftRequest, Draft);
  ZHIKU_UNARY(drafts, DraftService, RejectDraft, RejectDraftRequest, Draft);
  ZHIKU_UNARY(drafts, DraftService, UpdateDraft, UpdateDraftRequest, Draft);
  ZHIKU_UNARY(drafts, DraftService, ApproveDraft, ApproveDraftRequest, ApproveDraftResponse);
  ZHIKU_UNARY(drafts, DraftService, MergeDraft, MergeDraftRequest, MergeDraftResponse);
  ZHIKU_UNARY(admin, AdminService, CreateApiKey, CreateApiKeyRequest, CreateApiKeyResponse);
  ZHIKU_UNARY(admin, AdminService, ListApiKeys, ListApiKeysRequest, ListApiKeysResponse);
  ZHIKU_UNARY(admin, AdminService, RevokeApiKey, RevokeApiKeyRequest, ApiKey);
  ZHIKU_UNARY(admin, AdminService, WhoAmI, WhoAmIRequest, ApiKey);
  ZHIKU_UNARY(admin, AdminService, ListAuditEvents, ListAuditEventsRequest, ListAuditEventsResponse);
  ZHIKU_UNARY(feedback, FeedbackService, RecordFeedback, RecordFeedbackRequest, RecordFeedbackResponse);
  ZHIKU_UNARY(analytics, AnalyticsService, GetSummary, GetSummaryRequest, GetSummaryResponse);
  ZHIKU_UNARY(analytics, AnalyticsService, TopQueries, TopQueriesRequest, TopQueriesResponse);
  ZHIKU_UNARY(analytics, AnalyticsService, EntryStats, EntryStatsRequest, EntryStatsResponse);
  ZHIKU_UNARY(analytics, AnalyticsService, ListQueries, ListQueriesRequest, ListQueriesResponse);
#undef ZHIKU_UNARY
  calls["zhiku.v1.KnowledgeService/ImportEntries"] = knowledge([](auto& stub, grpc::ClientContext& context) {
    v1::ImportEntriesResponse response;
    auto writer = stub.ImportEntries(&context, &response);
    writer->WritesDone();
    return writer->Finish();
  });
  calls["zhiku.v1.KnowledgeService/ImportCorpus"] = knowledge([](auto& stub, grpc::ClientContext& context) {
    v1::ImportCorpusResponse response;
    auto writer = stub.ImportCorpus(&context, &response);
    writer->WritesDone();
    return writer->Finish();
  });
  calls["zhiku.v1.KnowledgeService/ExportEntries"] = knowledge([](auto& stub, grpc::ClientContext& context) {
    auto reader = stub.ExportEntries(&context, v1::ExportEntriesRequest());
    v1::ExportEntriesResponse chunk;
    while (reader->Read(&chunk)) {
    }
    return reader->Finish();
  });
  return calls;
}

// The role matrix, written out independently of the server's table:
// bot asks; agent also reads entries; editor also writes entries and drafts;
// admin also manages keys.
Role Needed(const std::string& method) {
  static const std::map<std::string, Role> kNeeded = {
      {"zhiku.v1.SearchService/Search", Role::kBot},
      {"zhiku.v1.SearchService/Suggest", Role::kBot},
      {"zhiku.v1.SearchService/Answer", Role::kBot},
      {"zhiku.v1.AdminService/WhoAmI", Role::kBot},
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
      {"zhiku.v1.AdminService/CreateApiKey", Role::kAdmin},
      {"zhiku.v1.AdminService/ListApiKeys", Role::kAdmin},
      {"zhiku.v1.AdminService/RevokeApiKey", Role::kAdmin},
      {"zhiku.v1.AdminService/ListAuditEvents", Role::kAdmin},
      {"zhiku.v1.FeedbackService/RecordFeedback", Role::kBot},
      {"zhiku.v1.AnalyticsService/GetSummary", Role::kEditor},
      {"zhiku.v1.AnalyticsService/TopQueries", Role::kEditor},
      {"zhiku.v1.AnalyticsService/EntryStats", Role::kEditor},
      {"zhiku.v1.AnalyticsService/ListQueries", Role::kEditor},
  };
  auto it = kNeeded.find(method);
  return it == kNeeded.end() ? static_cast<Role>(99) : it->second;
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.knowledge_base.data_dir = dir_.Sub("data");
    options.knowledge_base.semantic.enabled = false;
    auto server = ZhikuServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  grpc::Status CallWith(const std::string& key, const Call& call) {
    auto channel = OpenChannel(server_->address(), key);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return call(*channel, context);
  }

  std::string AdminKey() {
    std::string key;
    std::getline(std::ifstream(server_->admin_key_path()), key);
    return key;
  }

  zhiku::testing::TempDir dir_;
  std::unique_ptr<ZhikuServer> server_;
};

TEST_F(AuthTest, BootstrapWritesAnAdminKeyReadableByTheOwnerOnly) {
  const std::string path = server_->admin_key_path();
  ASSERT_EQ(path, dir_.Sub("data") + "/admin.key");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto who = server_->keys()->Authenticate(AdminKey());
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->role, Role::kAdmin);

  // A restart finds the admin key and makes no other.
  const std::string first = AdminKey();
  server_.reset();
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.knowledge_base.data_dir = dir_.Sub("data");
  options.knowledge_base.semantic.enabled = false;
  auto again = ZhikuServer::Start(options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->admin_key_path(), "");
  EXPECT_EQ(ReadFile(path), first + "\n");
  auto keys = (*again)->keys()->List(true);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 1u);
}

TEST_F(AuthTest, EveryRpcTimesEveryRole) {
  const std::map<std::string, Call> calls = EveryRpc();
  // The table above must cover every method the services declare, so a new
  // RPC cannot slip past this test.
  std::set<std::string> declared;
  for (const char* name : {"zhiku.v1.SearchService", "zhiku.v1.KnowledgeService", "zhiku.v1.DraftService",
                           "zhiku.v1.AdminService", "zhiku.v1.FeedbackService", "zhiku.v1.AnalyticsService"}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      declared.insert(std::string(name) + "/" + service->method(i)->name());
    }
  }
  for (const std::string& method : declared) {
    EXPECT_TRUE(calls.count(method)) << method << " is not called by this test";
    EXPECT_NE(static_cast<int>(Needed(method)), 99) << method << " has no expected role in this test";
  }

  std::map<Role, std::string> key_of;
  key_of[Role::kAdmin] = AdminKey();
  for (Role r : {Role::kBot, Role::kAgent, Role::kEditor}) {
    auto created = server_->keys()->Create(std::string(RoleName(r)) + " key", r, "");
    ASSERT_TRUE(created.ok());
    key_of[r] = created->token;
  }
  auto gone = server_->keys()->Create("revoked key", Role::kAdmin, "");
  ASSERT_TRUE(gone.ok());
  ASSERT_TRUE(server_->keys()->Revoke(gone->info.id, "").ok());
  std::string forged = key_of[Role::kEditor];
  forged.back() = forged.back() == 'a' ? 'b' : 'a';

  for (const auto& [method, call] : calls) {
    SCOPED_TRACE(method);
    grpc::Status none = CallWith("", call);
    EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED) << none.error_message();
    EXPECT_THAT(none.error_message(), HasSubstr("no API key"));
    grpc::Status revoked = CallWith(gone->token, call);
    EXPECT_EQ(revoked.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(revoked.error_message(), HasSubstr("revoked"));
    EXPECT_EQ(CallWith(forged, call).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(CallWith("not-a-key", call).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    for (const auto& [role, key] : key_of) {
      grpc::Status s = CallWith(key, call);
      if (static_cast<int>(role) < static_cast<int>(Needed(method))) {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << RoleName(role) << ": " << s.error_message();
        EXPECT_THAT(s.error_message(), HasSubstr(std::string("has role ") + std::string(RoleName(role))));
      } else {
        EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << RoleName(role) << ": " << s.error_message();
        EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << RoleName(role) << ": " << s.error_message();
      }
    }
  }
}

TEST_F(AuthTest, KeysAreManagedThroughAdminService) {
  auto admin = v1::AdminService::NewStub(OpenChannel(server_->address(), AdminKey()));
  grpc::ClientContext create_context;
  v1::CreateApiKeyRequest create;
  create.set_name("agent console");
  create.set_role(v1::ROLE_AGENT);
  v1::CreateApiKeyResponse created;
  ASSERT_TRUE(admin->CreateApiKey(&create_context, create, &created).ok());
  EXPECT_EQ(created.key().role(), v1::ROLE_AGENT);
  EXPECT_EQ(created.key().created_by(), *KeyIdOf(AdminKey()));

  auto as_agent = v1::AdminService::NewStub(OpenChannel(server_->address(), created.token()));
  grpc::ClientContext who_context;
  v1::ApiKey me;
  ASSERT_TRUE(as_agent->WhoAmI(&who_context, v1::WhoAmIRequest(), &me).ok());
  EXPECT_EQ(me.id(), created.key().id());
  EXPECT_EQ(me.name(), "agent console");

  grpc::ClientContext bad_context;
  v1::CreateApiKeyRequest no_role;
  no_role.set_name("x");
  v1::CreateApiKeyResponse unused;
  EXPECT_EQ(admin->CreateApiKey(&bad_context, no_role, &unused).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext revoke_context;
  v1::RevokeApiKeyRequest revoke;
  revoke.set_id(created.key().id());
  v1::ApiKey revoked;
  ASSERT_TRUE(admin->RevokeApiKey(&revoke_context, revoke, &revoked).ok());
  grpc::ClientContext after_context;
  grpc::Status after = as_agent->WhoAmI(&after_context, v1::WhoAmIRequest(), &me);
  EXPECT_EQ(after.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  grpc::ClientContext list_context;
  v1::ListApiKeysRequest list;
  list.set_include_revoked(true);
  v1::ListApiKeysResponse listed;
  ASSERT_TRUE(admin->ListApiKeys(&list_context, list, &listed).ok());
  EXPECT_EQ(listed.keys_size(), 2);
}

TEST_F(AuthTest, VersionsRecordTheKeyThatWroteThemAndRollbackIsAVersion) {
  auto one = server_->keys()->Create("editor one", Role::kEditor, "");
  auto two = server_->keys()->Create("editor two", Role::kEditor, "");
  ASSERT_TRUE(one.ok() && two.ok());
  auto as_one = v1::KnowledgeService::NewStub(OpenChannel(server_->address(), one->token));
  auto as_two = v1::KnowledgeService::NewStub(OpenChannel(server_->address(), two->token));

  v1::CreateEntryRequest create;
  create.mutable_entry()->set_id("fee");
  create.mutable_entry()->set_question("运费怎么算？");
  create.mutable_entry()->set_answer("满99元包邮。");
  create.set_reason("new FAQ");
  v1::Entry created;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(as_one->CreateEntry(&context, create, &created).ok());
  }
  // Both editors read version 1; the first update wins, the second is ABORTED.
  v1::UpdateEntryRequest update;
  *update.mutable_entry() = created;
  update.mutable_entry()->set_answer("满199元包邮。");
  update.set_expected_version(1);
  update.set_reason("threshold changed");
  v1::Entry updated;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(as_two->UpdateEntry(&context, update, &updated).ok());
  }
  {
    v1::UpdateEntryRequest stale = update;
    stale.mutable_entry()->set_answer("全场包邮。");
    grpc::ClientContext context;
    v1::Entry ignored;
    grpc::Status s = as_one->UpdateEntry(&context, stale, &ignored);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED) << s.error_message();
  }

  v1::ListEntryVersionsRequest list;
  list.set_id("fee");
  v1::ListEntryVersionsResponse versions;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(as_one->ListEntryVersions(&context, list, &versions).ok());
  }
  ASSERT_EQ(versions.versions_size(), 2);
  const v1::EntryVersion& latest = versions.versions(0);
  EXPECT_EQ(latest.version(), 2);
  EXPECT_EQ(latest.author(), "key " + two->info.id + " (editor two)");
  EXPECT_EQ(latest.reason(), "threshold changed");
  ASSERT_EQ(latest.changes_size(), 1);
  EXPECT_EQ(latest.changes(0).field(), "answer");
  EXPECT_EQ(latest.changes(0).before(), "满99元包邮。");
  EXPECT_EQ(latest.changes(0).after(), "满199元包邮。");
  EXPECT_EQ(versions.versions(1).author(), "key " + one->info.id + " (editor one)");

  v1::RollbackEntryRequest rollback;
  rollback.set_id("fee");
  rollback.set_version(1);
  rollback.set_expected_version(2);
  rollback.set_reason("promotion over");
  v1::Entry restored;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(as_one->RollbackEntry(&context, rollback, &restored).ok());
  }
  EXPECT_EQ(restored.version(), 3);
  EXPECT_EQ(restored.answer(), "满99元包邮。");
  v1::GetEntryVersionRequest get;
  get.set_id("fee");
  get.set_version(3);
  v1::EntryVersion three;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(as_two->GetEntryVersion(&context, get, &three).ok());
  }
  EXPECT_EQ(three.action(), v1::VERSION_ACTION_ROLLBACK);
  EXPECT_EQ(three.rolled_back_to(), 1);
  EXPECT_EQ(three.content().answer(), "满99元包邮。");
  ASSERT_EQ(three.changes_size(), 1);
  EXPECT_EQ(three.changes(0).before(), "满199元包邮。");

  // The bot may not roll back.
  auto bot = server_->keys()->Create("bot", Role::kBot, "");
  ASSERT_TRUE(bot.ok());
  auto as_bot = v1::KnowledgeService::NewStub(OpenChannel(server_->address(), bot->token));
  grpc::ClientContext context;
  v1::Entry ignored;
  EXPECT_EQ(as_bot->RollbackEntry(&context, rollback, &ignored).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuthTest, AuditLogRecordsWritesAndAdminActionsQueryableByActorTargetAndTime) {
  auto admin = v1::AdminService::NewStub(OpenChannel(server_->address(), AdminKey()));
  v1::CreateApiKeyRequest create_key;
  create_key.set_name("editor console");
  create_key.set_role(v1::ROLE_EDITOR);
  v1::CreateApiKeyResponse editor;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(admin->CreateApiKey(&context, create_key, &editor).ok());
  }
  // Times are in milliseconds: keep the key's creation out of the window.
  absl::SleepFor(absl::Milliseconds(5));
  const int64_t before_writes = absl::ToUnixMillis(absl::Now());
  absl::SleepFor(absl::Milliseconds(5));
  auto knowledge = v1::KnowledgeService::NewStub(OpenChannel(server_->address(), editor.token()));
  v1::CreateEntryRequest create;
  create.mutable_entry()->set_id("hours");
  create.mutable_entry()->set_question("客服几点上班？");
  create.mutable_entry()->set_answer("9:00-21:00");
  create.set_reason("from the contact page");
  v1::Entry entry;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(knowledge->CreateEntry(&context, create, &entry).ok());
  }
  v1::DeleteEntryRequest remove;
  remove.set_id("hours");
  remove.set_reason("moved to the help centre");
  {
    grpc::ClientContext context;
    v1::DeleteEntryResponse unused;
    ASSERT_TRUE(knowledge->DeleteEntry(&context, remove, &unused).ok());
  }
  // A refused write leaves no trace.
  {
    grpc::ClientContext context;
    v1::DeleteEntryResponse unused;
    EXPECT_FALSE(knowledge->DeleteEntry(&context, remove, &unused).ok());
  }

  auto list = [&](v1::ListAuditEventsRequest request) {
    grpc::ClientContext context;
    v1::ListAuditEventsResponse response;
    grpc::Status s = admin->ListAuditEvents(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> out;
    for (const v1::AuditEvent& e : response.events()) out.push_back(e.action() + " " + e.target() + " " + e.detail());
    return out;
  };
  v1::ListAuditEventsRequest by_editor;
  by_editor.set_actor(editor.key().id());
  EXPECT_THAT(list(by_editor), ::testing::ElementsAre("entry.delete hours moved to the help centre",
                                                      "entry.create hours v1: from the contact page"));
  v1::ListAuditEventsRequest by_admin;
  by_admin.set_actor(*KeyIdOf(AdminKey()));
  EXPECT_THAT(list(by_admin), ::testing::ElementsAre("key.create " + editor.key().id() + " editor key \"editor console\""));
  v1::ListAuditEventsRequest recent;
  recent.set_since_ms(before_writes);
  EXPECT_EQ(list(recent).size(), 2u);
  v1::ListAuditEventsRequest page;
  page.set_page_size(1);
  EXPECT_EQ(list(page).size(), 1u);

  // Editors cannot read the audit log.
  auto as_editor = v1::AdminService::NewStub(OpenChannel(server_->address(), editor.token()));
  grpc::ClientContext context;
  v1::ListAuditEventsResponse denied;
  EXPECT_EQ(as_editor->ListAuditEvents(&context, by_editor, &denied).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST(AuthOff, EveryCallIsAllowedAndKeysAreRefused) {
  testing::TempDir dir;
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.knowledge_base.data_dir = dir.Sub("data");
  options.knowledge_base.semantic.enabled = false;
  options.require_api_keys = false;
  auto server = ZhikuServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->keys(), nullptr);
  EXPECT_FALSE(std::ifstream(dir.Sub("data") + "/admin.key").good());
  auto admin = v1::AdminService::NewStub(OpenChannel((*server)->address(), ""));
  grpc::ClientContext context;
  v1::ApiKey me;
  ASSERT_TRUE(admin->WhoAmI(&context, v1::WhoAmIRequest(), &me).ok());
  EXPECT_EQ(me.role(), v1::ROLE_ADMIN);
  grpc::ClientContext create_context;
  v1::CreateApiKeyRequest create;
  create.set_name("x");
  create.set_role(v1::ROLE_BOT);
  v1::CreateApiKeyResponse created;
  EXPECT_EQ(admin->CreateApiKey(&create_context, create, &created).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// A self-signed certificate for 127.0.0.1, made with the openssl tool.
bool MakeCertificate(const std::string& dir, const std::string& name) {
  const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
                              " -addext subjectAltName=IP:127.0.0.1 -keyout " +
                              dir + "/" + name + ".key -out " + dir + "/" + name + ".pem >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

TEST(Tls, KeysTravelOverTlsAndClientCertificatesAreRequiredWhenAsked) {
  testing::TempDir dir;
  ASSERT_TRUE(MakeCertificate(dir.path(), "server")) << "openssl is missing (scripts/install-deps.sh installs it)";
  ASSERT_TRUE(MakeCertificate(dir.path(), "client"));
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.knowledge_base.data_dir = dir.Sub("data");
  options.knowledge_base.semantic.enabled = false;
  options.tls_cert_file = dir.Sub("server.pem");
  options.tls_key_file = dir.Sub("server.key");
  options.tls_client_ca_file = dir.Sub("client.pem");
  auto server = ZhikuServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  std::string admin;
  std::getline(std::ifstream((*server)->admin_key_path()), admin);
  auto who = [&](const ClientTls& tls) {
    auto stub = v1::AdminService::NewStub(OpenChannel((*server)->address(), admin, grpc::ChannelArguments(), tls));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::ApiKey me;
    return stub->WhoAmI(&context, v1::WhoAmIRequest(), &me);
  };
  ClientTls mutual{dir.Sub("server.pem"), dir.Sub("client.pem"), dir.Sub("client.key")};
  grpc::Status ok = who(mutual);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_FALSE(who(ClientTls{dir.Sub("server.pem"), "", ""}).ok());  // no client certificate
  EXPECT_FALSE(who(ClientTls{}).ok());                               // plaintext to a TLS port

  // Half a configuration is refused at start.
  ServerOptions half = options;
  half.tls_key_file.clear();
  half.knowledge_base.data_dir = dir.Sub("data2");
  EXPECT_EQ(ZhikuServer::Start(half).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ResolveApiKey, FileBeatsEnvironmentAndErrorsNameTheFile) {
  testing::TempDir dir;
  std::ofstream(dir.Sub("key")) << "  zk_abc  \nsecond line\n";
  setenv(kApiKeyEnv, "from-env", 1);
  auto from_file = ResolveApiKey(dir.Sub("key"));
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(*from_file, "zk_abc");
  auto from_env = ResolveApiKey("");
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(*from_env, "from-env");
  unsetenv(kApiKeyEnv);
  auto none = ResolveApiKey("");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");
  absl::Status missing = ResolveApiKey(dir.Sub("nope")).status();
  EXPECT_THAT(missing.message(), HasSubstr(dir.Sub("nope")));
  std::ofstream(dir.Sub("empty")) << "\n";
  EXPECT_EQ(ResolveApiKey(dir.Sub("empty")).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zhiku
