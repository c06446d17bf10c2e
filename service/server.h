// ZhikuServer: the knowledge base served over gRPC on one address, with the
// standard health service and server reflection. No gRPC headers here: this
// header is included by tools and tests that should compile fast.
#ifndef ZHIKU_SERVICE_SERVER_H_
#define ZHIKU_SERVICE_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "index/key_store.h"
#include "index/knowledge_base.h"
#include "index/query_log.h"
#include "service/validation.h"

namespace zhiku {

struct ServerOptions {
  // HOST:PORT; port 0 picks a free port (see ZhikuServer::port()).
  std::string listen = "127.0.0.1:50051";
  KnowledgeBaseOptions knowledge_base;
  RequestLimits limits;
  // Largest request message accepted, in bytes.
  int max_receive_message_bytes = 4 << 20;
  // Upper bound of threads serving calls (gRPC sync server); 0 = 4 x cores.
  int max_threads = 0;
  // Every call needs an API key (see service/auth.h). On the first start
  // without an active admin key the server creates one and writes it to
  // DATA_DIR/admin.key (mode 0600). false = anyone may call anything
  // (zhiku-server --insecure_no_auth, for a local demo only).
  bool require_api_keys = true;
  // Every Search and Answer is kept (masked) in the query log for this many
  // days, with the feedback on it, for AnalyticsService; 0 = no query log
  // (responses carry no query_id, feedback and analytics are refused).
  int query_log_retention_days = 90;
  // TLS: PEM file paths. With a certificate and key the port speaks TLS
  // only; with client_ca too, clients must present a certificate signed by
  // it (mutual TLS). Empty = plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
};

class ZhikuServer {
 public:
  // Opens the knowledge base and starts serving. Errors: the knowledge base's
  // (see KnowledgeBase::Open), Unavailable if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<ZhikuServer>> Start(const ServerOptions& options);

  // Shuts down (if not yet) and closes the knowledge base.
  ~ZhikuServer();

  // The port actually bound.
  int port() const;
  std::string address() const;

  // Stops accepting calls, lets in-flight calls finish for up to `grace`,
  // then cancels the rest. The health status turns NOT_SERVING first.
  // Thread-safe; later calls do nothing.
  void Shutdown(absl::Duration grace);

  // Blocks until Shutdown has completed.
  void Wait();

  KnowledgeBase& knowledge_base();
  // The API keys (null when require_api_keys is false).
  KeyStore* keys();
  // The query log (null with query_log_retention_days 0).
  QueryLog* query_log();
  // Where the bootstrap admin key was written, "" if none was created.
  const std::string& admin_key_path() const;

 private:
  struct Impl;
  explicit ZhikuServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_SERVER_H_
