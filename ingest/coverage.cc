#include "ingest/coverage.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "ingest/miner.h"
#include "service/client_channel.h"
#include "zhiku/v1/search.grpc.pb.h"

namespace zhiku {

absl::StatusOr<CoverageReport> MarkCoverage(const CoverageOptions& options, const TextNormalizer& normalizer,
                                            std::vector<Draft>& drafts) {
  auto channel = OpenChannel(options.server, options.api_key);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    return absl::UnavailableError(absl::StrCat("cannot reach the server at ", options.server,
                                               " for coverage; start it or drop --server"));
  }
  auto stub = v1::SearchService::NewStub(channel);
  CoverageReport report;
  for (Draft& draft : drafts) {
    std::vector<const std::string*> asked = {&draft.question};
    for (size_t i = 0; i < draft.variants.size() && static_cast<int>(asked.size()) < options.phrasings; ++i) {
      asked.push_back(&draft.variants[i]);
    }
    std::map<std::string, std::pair<int, double>> votes;  // entry id -> answers, confidence sum
    for (const std::string* phrasing : asked) {
      v1::AnswerRequest request;
      request.set_query(*phrasing);
      request.set_knowledge_base(options.knowledge_base);
      v1::AnswerResponse response;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(options.deadline));
      grpc::Status status = stub->Answer(&context, request, &response);
      ++report.calls;
      if (!status.ok()) {
        if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
          return absl::UnavailableError(absl::StrCat("the server at ", options.server,
                                                     " went away during coverage: ", status.error_message()));
        }
        if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
            status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
          return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                              absl::StrCat("coverage on ", options.server, ": ", status.error_message(),
                                           "; pass a key with --api_key_file or ZHIKU_API_KEY"));
        }
        continue;  // e.g. a phrasing the server rejects: it just does not vote
      }
      if (response.decision() != v1::DECISION_ANSWER) continue;
      const v1::Entry& entry = response.top().entry();
      double overlap = ContentOverlap(normalizer, *phrasing, entry.question());
      for (const std::string& variant : entry.variants()) {
        overlap = std::max(overlap, ContentOverlap(normalizer, *phrasing, variant));
      }
      if (overlap < options.min_overlap) continue;
      auto& vote = votes[response.top().entry().id()];
      ++vote.first;
      vote.second += response.confidence();
    }
    ++report.drafts_checked;
    draft.covered_by.reset();
    draft.covered_score = 0;
    for (const auto& [id, vote] : votes) {
      if (2 * vote.first > static_cast<int>(asked.size())) {
        draft.covered_by = id;
        draft.covered_score = vote.second / vote.first;
      }
    }
    if (draft.covered_by) ++report.covered;
  }
  return report;
}

}  // namespace zhiku
