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

// A channel to `target` (HOST:PORT) sending `api_key` ("" = none) with
// every call.
std::shared_ptr<grpc::Channel> OpenChannel(const std::string& target, const std::string& api_key,
                                           const grpc::ChannelArguments& args = grpc::ChannelArguments());

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_CLIENT_CHANNEL_H_
