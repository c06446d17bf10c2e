// zhiku.v1.FeedbackService and zhiku.v1.AnalyticsService: thin handlers over
// the query log (index/query_log.h).
#ifndef ZHIKU_SERVICE_ANALYTICS_SERVICE_H_
#define ZHIKU_SERVICE_ANALYTICS_SERVICE_H_

#include "index/knowledge_base.h"
#include "index/query_log.h"
#include "service/auth.h"
#include "service/validation.h"
#include "zhiku/v1/analytics.grpc.pb.h"

namespace zhiku {

// The resolved range of a request: until 0 = `now_ms`, since 0 = 7 days
// before until. InvalidArgument for negative values or since >= until.
absl::StatusOr<TimeRange> ResolveTimeRange(const v1::TimeRange& range, int64_t now_ms);

class FeedbackServiceImpl final : public v1::FeedbackService::Service {
 public:
  // `kb` and `auth` must outlive the service; `log` null = no query log
  // (every call is FailedPrecondition).
  FeedbackServiceImpl(KnowledgeBase* kb, QueryLog* log, RequestLimits limits, const Authorizer* auth)
      : kb_(kb), log_(log), limits_(limits), auth_(*auth) {}

  grpc::Status RecordFeedback(grpc::ServerContext* context, const v1::RecordFeedbackRequest* request,
                              v1::RecordFeedbackResponse* response) override;

 private:
  KnowledgeBase* const kb_;
  QueryLog* const log_;
  const RequestLimits limits_;
  const Authorizer& auth_;
};

class AnalyticsServiceImpl final : public v1::AnalyticsService::Service {
 public:
  // As FeedbackServiceImpl; `retention_days` is reported in GetSummary.
  AnalyticsServiceImpl(KnowledgeBase* kb, QueryLog* log, int retention_days, const Authorizer* auth)
      : kb_(kb), log_(log), retention_days_(retention_days), auth_(*auth) {}

  grpc::Status GetSummary(grpc::ServerContext* context, const v1::GetSummaryRequest* request,
                          v1::GetSummaryResponse* response) override;
  grpc::Status TopQueries(grpc::ServerContext* context, const v1::TopQueriesRequest* request,
                          v1::TopQueriesResponse* response) override;
  grpc::Status EntryStats(grpc::ServerContext* context, const v1::EntryStatsRequest* request,
                          v1::EntryStatsResponse* response) override;
  grpc::Status ListQueries(grpc::ServerContext* context, const v1::ListQueriesRequest* request,
                           v1::ListQueriesResponse* response) override;

 private:
  // The question of entry `id`, "" if it no longer exists.
  std::string QuestionOf(const std::string& id) const;

  KnowledgeBase* const kb_;
  QueryLog* const log_;
  const int retention_days_;
  const Authorizer& auth_;
};

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_ANALYTICS_SERVICE_H_
