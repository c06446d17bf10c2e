#include "service/draft_client.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "index/format.h"
#include "service/client_channel.h"
#include "service/convert.h"
#include "service/status_util.h"
#include "zhiku/v1/draft.grpc.pb.h"

namespace zhiku {

absl::StatusOr<SubmitDraftsSummary> SubmitDraftsToServer(const std::string& target, const std::string& api_key,
                                                         const std::string& knowledge_base,
                                                         const std::vector<Draft>& drafts, absl::Duration deadline) {
  SubmitDraftsSummary summary;
  if (drafts.empty()) return summary;
  std::shared_ptr<grpc::Channel> channel = OpenChannel(target, api_key);
  std::unique_ptr<v1::DraftService::Stub> stub = v1::DraftService::NewStub(channel);

  size_t next = 0;
  while (next < drafts.size()) {
    v1::SubmitDraftsRequest request;
    request.set_knowledge_base(knowledge_base);
    size_t bytes = 0;
    const size_t first = next;
    while (next < drafts.size() && static_cast<size_t>(request.drafts_size()) < kMaxDraftsPerSubmitCall) {
      v1::Draft proto;
      ToProto(drafts[next], &proto);
      const size_t size = proto.ByteSizeLong();
      if (request.drafts_size() > 0 && bytes + size > kMaxSubmitCallBytes) break;
      bytes += size;
      *request.add_drafts() = std::move(proto);
      ++next;
    }
    grpc::ClientContext context;
    if (deadline != absl::InfiniteDuration()) context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    v1::SubmitDraftsResponse response;
    const grpc::Status status = stub->SubmitDrafts(&context, request, &response);
    ++summary.calls;
    if (!status.ok()) {
      const absl::Status error = FromGrpcStatus(status);
      return absl::Status(error.code(),
                          absl::StrCat(error.message(), " (drafts ", first, "..", next - 1, " of ",
                                       WithThousands(static_cast<int64_t>(drafts.size())), "; the ",
                                       WithThousands(static_cast<int64_t>(first)),
                                       " before them are stored)"));
    }
    summary.created += response.created();
    summary.merged += response.merged();
    summary.suppressed += response.suppressed();
    for (const v1::SubmittedDraft& result : response.results()) summary.draft_ids.push_back(result.draft_id());
  }
  return summary;
}

}  // namespace zhiku
