#include "service/client_channel.h"

#include <grpcpp/support/client_interceptor.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace zhiku {
namespace {

namespace gx = grpc::experimental;

class BearerInterceptor final : public gx::Interceptor {
 public:
  explicit BearerInterceptor(const std::string* header) : header_(*header) {}
  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(gx::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace("authorization", header_);
    }
    methods->Proceed();
  }

 private:
  const std::string& header_;
};

class BearerInterceptorFactory final : public gx::ClientInterceptorFactoryInterface {
 public:
  explicit BearerInterceptorFactory(const std::string& key) : header_(absl::StrCat("Bearer ", key)) {}
  gx::Interceptor* CreateClientInterceptor(gx::ClientRpcInfo*) override { return new BearerInterceptor(&header_); }

 private:
  const std::string header_;
};

}  // namespace

absl::StatusOr<std::string> ResolveApiKey(const std::string& key_file) {
  if (!key_file.empty()) {
    std::ifstream in(key_file);
    if (!in) {
      const int err = errno;
      const std::string why = absl::StrCat("cannot read the API key file ", key_file, ": ", std::strerror(err));
      return err == EACCES ? absl::PermissionDeniedError(why) : absl::NotFoundError(why);
    }
    std::string line;
    std::getline(in, line);
    const std::string key(absl::StripAsciiWhitespace(line));
    if (key.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("the API key file ", key_file, " is empty"));
    }
    return key;
  }
  if (const char* env = std::getenv(kApiKeyEnv); env != nullptr) {
    return std::string(absl::StripAsciiWhitespace(env));
  }
  return std::string();
}

std::shared_ptr<grpc::Channel> OpenChannel(const std::string& target, const std::string& api_key,
                                           const grpc::ChannelArguments& args) {
  if (api_key.empty()) return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  std::vector<std::unique_ptr<gx::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<BearerInterceptorFactory>(api_key));
  return gx::CreateCustomChannelWithInterceptors(target, grpc::InsecureChannelCredentials(), args,
                                                 std::move(interceptors));
}

}  // namespace zhiku
