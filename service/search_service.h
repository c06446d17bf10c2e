// zhiku.v1.SearchService: thin handlers over KnowledgeBase.
#ifndef ZHIKU_SERVICE_SEARCH_SERVICE_H_
#define ZHIKU_SERVICE_SEARCH_SERVICE_H_

#include "index/knowledge_base.h"
#include "index/query_log.h"
#include "service/auth.h"
#include "service/validation.h"
#include "zhiku/v1/search.grpc.pb.h"

namespace zhiku {

// Cancelled if the client went away, DeadlineExceeded if its deadline has
// passed, OK otherwise. Handlers call it before expensive steps.
absl::Status CheckCallAlive(grpc::ServerContext* context);

class SearchServiceImpl final : public v1::SearchService::Service {
 public:
  // `kb`, `auth` and `log` must outlive the service. With a `log`, every
  // Search (first page) and Answer is recorded there under the query_id its
  // response carries.
  SearchServiceImpl(KnowledgeBase* kb, RequestLimits limits, const Authorizer* auth, QueryLog* log = nullptr)
      : kb_(kb), limits_(limits), auth_(*auth), log_(log) {}

  grpc::Status Search(grpc::ServerContext* context, const v1::SearchRequest* request,
                      v1::SearchResponse* response) override;
  grpc::Status Suggest(grpc::ServerContext* context, const v1::SuggestRequest* request,
                       v1::SuggestResponse* response) override;
  grpc::Status Answer(grpc::ServerContext* context, const v1::AnswerRequest* request,
                      v1::AnswerResponse* response) override;
  grpc::Status Embed(grpc::ServerContext* context, const v1::EmbedRequest* request,
                     v1::EmbedResponse* response) override;

 private:
  KnowledgeBase* const kb_;
  const RequestLimits limits_;
  const Authorizer& auth_;
  QueryLog* const log_;
};

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_SEARCH_SERVICE_H_
