#include "ingest/server_embedder.h"

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "service/client_channel.h"
#include "zhiku/v1/search.grpc.pb.h"

namespace zhiku {

TextEmbedder ServerEmbedder(const ServerEmbedderOptions& options) {
  struct State {
    ServerEmbedderOptions options;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<v1::SearchService::Stub> stub;
    int64_t model_version = -1;
  };
  auto state = std::make_shared<State>();
  state->options = options;
  state->channel = OpenChannel(options.server, options.api_key);
  state->stub = v1::SearchService::NewStub(state->channel);
  return [state](const std::vector<std::string>& texts) -> absl::StatusOr<std::vector<std::vector<float>>> {
    v1::EmbedRequest request;
    request.set_knowledge_base(state->options.knowledge_base);
    for (const std::string& text : texts) request.add_texts(text);
    v1::EmbedResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(state->options.deadline));
    grpc::Status status = state->stub->Embed(&context, request, &response);
    if (!status.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                          absl::StrCat("embedding on ", state->options.server, ": ", status.error_message()));
    }
    if (state->model_version >= 0 && response.model_version() != state->model_version) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the server at ", state->options.server, " swapped embedding models (version ", state->model_version,
          " -> ", response.model_version(), ") during the run; run again"));
    }
    state->model_version = response.model_version();
    if (response.embeddings_size() != static_cast<int>(texts.size())) {
      return absl::InternalError(absl::StrCat("the server at ", state->options.server, " returned ",
                                              response.embeddings_size(), " embeddings for ", texts.size(), " texts"));
    }
    std::vector<std::vector<float>> out;
    out.reserve(texts.size());
    for (const v1::Embedding& e : response.embeddings()) out.emplace_back(e.values().begin(), e.values().end());
    return out;
  };
}

}  // namespace zhiku
