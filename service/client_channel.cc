#include "service/client_channel.h"

#include <grpcpp/support/client_interceptor.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
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

ClientTls ClientTlsFromEnvironment() {
  ClientTls tls;
  if (const char* v = std::getenv("ZHIKU_TLS_CA"); v != nullptr) tls.ca_file = v;
  if (const char* v = std::getenv("ZHIKU_TLS_CERT"); v != nullptr) tls.cert_file = v;
  if (const char* v = std::getenv("ZHIKU_TLS_KEY"); v != nullptr) tls.key_file = v;
  return tls;
}

std::shared_ptr<grpc::Channel> OpenChannel(const std::string& target, const std::string& api_key,
                                           const grpc::ChannelArguments& args, const ClientTls& tls) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!tls.ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    auto read = [](const std::string& path) {
      std::ifstream in(path, std::ios::binary);
      return std::string((std::istreambuf_iterator<char>(in)), {});
    };
    ssl.pem_root_certs = read(tls.ca_file);
    if (!tls.cert_file.empty()) ssl.pem_cert_chain = read(tls.cert_file);
    if (!tls.key_file.empty()) ssl.pem_private_key = read(tls.key_file);
    credentials = grpc::SslCredentials(ssl);
  }
  if (api_key.empty()) return grpc::CreateCustomChannel(target, credentials, args);
  std::vector<std::unique_ptr<gx::ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<BearerInterceptorFactory>(api_key));
  return gx::CreateCustomChannelWithInterceptors(target, credentials, args, std::move(interceptors));
}

}  // namespace zhiku
