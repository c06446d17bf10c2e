// How every Zhiku client (zhikuctl, zhiku-ingest, zhiku-bench) connects:
// a channel that sends the API key on every call as
// `authorization: Bearer <key>` metadata.
#ifndef ZHIKU_SERVICE_CLIENT_CHANNEL_H_
#define ZHIKU_SERVICE_CLIENT_CHANNEL_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace zhiku {

// The environment variable a key may come from.
inline constexpr char kApiKeyEnv[] = "ZHIKU_API_KEY";

// The key a client sends: the first line of `key_file` when one is given
// (NotFound/PermissionDenied naming the file if it cannot be read,
// InvalidArgument if it is empty), else $ZHIKU_API_KEY, else "" (no key).
absl::StatusOr<std::string> ResolveApiKey(const std::string& key_file);

// TLS of a client: PEM file paths. ca_file set = speak TLS and trust the
// server certificates it signed; cert_file and key_file = present this
// client certificate (for servers started with --tls_client_ca).
struct ClientTls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// $ZHIKU_TLS_CA, $ZHIKU_TLS_CERT, $ZHIKU_TLS_KEY.
ClientTls ClientTlsFromEnvironment();

// A channel to `target` (HOST:PORT) sending `api_key` ("" = none) with
// every call, over TLS when tls.ca_file is set. A PEM file that cannot be
// read makes a channel whose calls fail with UNAVAILABLE naming it.
std::shared_ptr<grpc::Channel> OpenChannel(const std::string& target, const std::string& api_key,
                                           const grpc::ChannelArguments& args = grpc::ChannelArguments(),
                                           const ClientTls& tls = ClientTlsFromEnvironment());

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_CLIENT_CHANNEL_H_
