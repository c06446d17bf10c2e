#include "service/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "index/logging.h"
#include "index/status_macros.h"
#include "service/analytics_service.h"
#include "service/auth.h"
#include "service/draft_service.h"
#include "service/knowledge_service.h"
#include "service/search_service.h"

namespace zhiku {

namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read the ", what, " ", path));
  std::string pem((std::istreambuf_iterator<char>(in)), {});
  if (pem.find("-----BEGIN") == std::string::npos) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is not a PEM file (the ", what, ")"));
  }
  return pem;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(const ServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
    }
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls_cert and --tls_key");
  }
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ZHIKU_ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(options.tls_cert_file, "server certificate"));
  ZHIKU_ASSIGN_OR_RETURN(pair.private_key, ReadPem(options.tls_key_file, "server private key"));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!options.tls_client_ca_file.empty()) {
    ZHIKU_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(options.tls_client_ca_file, "client CA certificate"));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  Log(LogLevel::kInfo, "server",
      absl::StrCat("TLS on", options.tls_client_ca_file.empty() ? "" : ", client certificates required"));
  return grpc::SslServerCredentials(ssl);
}

// Writes `token` and a newline to `path`, readable by the owner only.
absl::Status WriteSecretFile(const std::string& path, const std::string& token) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::FailedPreconditionError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  const std::string line = token + "\n";
  const bool ok = fchmod(fd, 0600) == 0 && write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  fsync(fd) == 0;
  const int saved = errno;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", path, ": ", std::strerror(ok ? errno : saved)));
  }
  return absl::OkStatus();
}

// With no active admin key (a new data dir), creates one and writes it to
// DATA_DIR/admin.key; returns that path, or "" when admin keys exist.
absl::StatusOr<std::string> BootstrapAdminKey(KeyStore& keys, const std::string& dir) {
  ZHIKU_ASSIGN_OR_RETURN(std::vector<ApiKeyInfo> active, keys.List(/*include_revoked=*/false));
  for (const ApiKeyInfo& key : active) {
    if (key.role == Role::kAdmin) return std::string();
  }
  const std::string path = dir + "/admin.key";
  // Stored only once the file is written: a failed write leaves no key
  // that nobody knows, and the next start tries again.
  ZHIKU_ASSIGN_OR_RETURN(NewApiKey admin,
                         keys.Create("bootstrap admin", Role::kAdmin, "",
                                     [&](const NewApiKey& key) { return WriteSecretFile(path, key.token); }));
  Log(LogLevel::kInfo, "server",
      absl::StrCat("created admin key ", admin.info.id, " and wrote it to ", path,
                   " (mode 0600); make the other keys with `zhikuctl --api_key_file=", path, " keys create`"));
  return path;
}

}  // namespace

struct ZhikuServer::Impl {
  std::unique_ptr<KnowledgeBase> kb;
  std::unique_ptr<KeyStore> keys;
  std::unique_ptr<AuditLog> audit;
  std::unique_ptr<Authorizer> authorizer;
  std::unique_ptr<AdminServiceImpl> admin;
  std::string admin_key_path;
  std::unique_ptr<SearchServiceImpl> search;
  std::unique_ptr<QueryLog> query_log;
  std::unique_ptr<FeedbackServiceImpl> feedback;
  std::unique_ptr<AnalyticsServiceImpl> analytics;
  std::unique_ptr<KnowledgeServiceImpl> knowledge;
  std::unique_ptr<DraftServiceImpl> drafts;
  std::unique_ptr<grpc::Server> server;
  std::string host;
  int port = 0;

  absl::Mutex mu;
  bool shut_down ABSL_GUARDED_BY(mu) = false;
};

ZhikuServer::ZhikuServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ZhikuServer::~ZhikuServer() {
  Shutdown(absl::Seconds(5));
  impl_->server.reset();
  // Writes what is still queued; it uses the knowledge base's normaliser.
  impl_->query_log.reset();
  impl_->kb.reset();
}

absl::StatusOr<std::unique_ptr<ZhikuServer>> ZhikuServer::Start(const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  ZHIKU_ASSIGN_OR_RETURN(impl->kb, KnowledgeBase::Open(options.knowledge_base));
  if (options.require_api_keys) {
    const std::string& dir = options.knowledge_base.data_dir;
    ZHIKU_ASSIGN_OR_RETURN(impl->keys, OpenSqliteKeyStore(dir + "/zhiku.db"));
    ZHIKU_ASSIGN_OR_RETURN(impl->admin_key_path, BootstrapAdminKey(*impl->keys, dir));
  } else {
    Log(LogLevel::kWarning, "server",
        "API KEYS ARE OFF (--insecure_no_auth): anyone who can reach this port can read, change and delete "
        "everything. Use this for a local demo only.");
  }
  ZHIKU_ASSIGN_OR_RETURN(impl->audit, OpenSqliteAuditLog(options.knowledge_base.data_dir + "/zhiku.db"));
  impl->authorizer = std::make_unique<Authorizer>(impl->keys.get(), impl->audit.get());
  const Authorizer* auth = impl->authorizer.get();
  if (options.query_log_retention_days < 0) {
    return absl::InvalidArgumentError("--query_log_retention_days must be 0 (no query log) or more");
  }
  if (options.query_log_retention_days > 0) {
    QueryLogOptions log_options;
    log_options.retention = absl::Hours(24) * options.query_log_retention_days;
    ZHIKU_ASSIGN_OR_RETURN(impl->query_log, OpenSqliteQueryLog(options.knowledge_base.data_dir + "/zhiku.db",
                                                               &impl->kb->normalizer(), log_options));
  }
  impl->search = std::make_unique<SearchServiceImpl>(impl->kb.get(), options.limits, auth, impl->query_log.get());
  impl->feedback =
      std::make_unique<FeedbackServiceImpl>(impl->kb.get(), impl->query_log.get(), options.limits, auth);
  impl->analytics = std::make_unique<AnalyticsServiceImpl>(impl->kb.get(), impl->query_log.get(),
                                                           options.query_log_retention_days, auth);
  impl->knowledge = std::make_unique<KnowledgeServiceImpl>(impl->kb.get(), options.limits, auth);
  impl->drafts = std::make_unique<DraftServiceImpl>(impl->kb.get(), options.limits, auth);
  impl->admin = std::make_unique<AdminServiceImpl>(auth, impl->keys.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int max_threads = options.max_threads;
  if (max_threads <= 0) max_threads = 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  grpc::ResourceQuota quota("zhiku");
  quota.SetMaxThreads(max_threads);
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  ZHIKU_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials, ServerCredentials(options));
  builder.AddListeningPort(options.listen, credentials, &impl->port);
  builder.RegisterService(impl->search.get());
  builder.RegisterService(impl->knowledge.get());
  builder.RegisterService(impl->drafts.get());
  builder.RegisterService(impl->admin.get());
  builder.RegisterService(impl->feedback.get());
  builder.RegisterService(impl->analytics.get());
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || impl->port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen,
                                               "; is the address valid and the port free?"));
  }
  impl->host = options.listen.substr(0, options.listen.rfind(':'));
  grpc::HealthCheckServiceInterface* health = impl->server->GetHealthCheckService();
  health->SetServingStatus(true);
  for (const char* service : {"zhiku.v1.SearchService", "zhiku.v1.KnowledgeService", "zhiku.v1.DraftService",
                              "zhiku.v1.AdminService", "zhiku.v1.FeedbackService", "zhiku.v1.AnalyticsService"}) {
    health->SetServingStatus(service, true);
  }
  Log(LogLevel::kInfo, "server", absl::StrCat("listening on ", impl->host, ":", impl->port));
  return std::unique_ptr<ZhikuServer>(new ZhikuServer(std::move(impl)));
}

int ZhikuServer::port() const { return impl_->port; }

std::string ZhikuServer::address() const { return absl::StrCat(impl_->host, ":", impl_->port); }

void ZhikuServer::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&impl_->mu);
    if (impl_->shut_down) return;
    impl_->shut_down = true;
  }
  Log(LogLevel::kInfo, "server", "shutting down: draining in-flight calls");
  impl_->server->GetHealthCheckService()->SetServingStatus(false);
  impl_->server->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
  Log(LogLevel::kInfo, "server", "all calls finished");
}

void ZhikuServer::Wait() { impl_->server->Wait(); }

KnowledgeBase& ZhikuServer::knowledge_base() { return *impl_->kb; }

KeyStore* ZhikuServer::keys() { return impl_->keys.get(); }

QueryLog* ZhikuServer::query_log() { return impl_->query_log.get(); }

const std::string& ZhikuServer::admin_key_path() const { return impl_->admin_key_path; }

}  // namespace zhiku
