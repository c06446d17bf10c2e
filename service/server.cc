#include "service/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "index/logging.h"
#include "index/status_macros.h"
#include "service/draft_service.h"
#include "service/knowledge_service.h"
#include "service/search_service.h"

namespace zhiku {

struct ZhikuServer::Impl {
  std::unique_ptr<KnowledgeBase> kb;
  std::unique_ptr<SearchServiceImpl> search;
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
  impl_->kb.reset();
}

absl::StatusOr<std::unique_ptr<ZhikuServer>> ZhikuServer::Start(const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  ZHIKU_ASSIGN_OR_RETURN(impl->kb, KnowledgeBase::Open(options.knowledge_base));
  impl->search = std::make_unique<SearchServiceImpl>(impl->kb.get(), options.limits);
  impl->knowledge = std::make_unique<KnowledgeServiceImpl>(impl->kb.get(), options.limits);
  impl->drafts = std::make_unique<DraftServiceImpl>(impl->kb.get(), options.limits);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int max_threads = options.max_threads;
  if (max_threads <= 0) max_threads = 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  grpc::ResourceQuota quota("zhiku");
  quota.SetMaxThreads(max_threads);
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &impl->port);
  builder.RegisterService(impl->search.get());
  builder.RegisterService(impl->knowledge.get());
  builder.RegisterService(impl->drafts.get());
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || impl->port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen,
                                               "; is the address valid and the port free?"));
  }
  impl->host = options.listen.substr(0, options.listen.rfind(':'));
  grpc::HealthCheckServiceInterface* health = impl->server->GetHealthCheckService();
  health->SetServingStatus(true);
  for (const char* service : {"zhiku.v1.SearchService", "zhiku.v1.KnowledgeService", "zhiku.v1.DraftService"}) {
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

}  // namespace zhiku
