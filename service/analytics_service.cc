#include "service/analytics_service.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "index/status_macros.h"
#include "service/status_util.h"

namespace zhiku {
namespace {

constexpr size_t kMaxCommentBytes = 1024;
constexpr int kDefaultLimit = 20;
constexpr int kMaxLimit = 1000;
constexpr int kDefaultQueryPage = 1000;
constexpr int kMaxQueryPage = 10000;
constexpr int64_t kDayMs = 24 * 3600 * 1000;

absl::Status NoQueryLog() {
  return absl::FailedPreconditionError(
      "this server keeps no query log (started with --query_log_retention_days=0); restart it with a "
      "retention of 1 day or more to record queries and feedback");
}

absl::StatusOr<int> ResolveLimit(int32_t limit, int fallback, int max, absl::string_view field) {
  ZHIKU_RETURN_IF_ERROR(CheckPageSize(limit, max, field));
  return limit == 0 ? fallback : limit;
}

absl::StatusOr<FeedbackKind> ParseFeedbackKind(v1::FeedbackKind kind) {
  switch (kind) {
    case v1::FEEDBACK_KIND_HELPFUL:
      return FeedbackKind::kHelpful;
    case v1::FEEDBACK_KIND_NOT_HELPFUL:
      return FeedbackKind::kNotHelpful;
    case v1::FEEDBACK_KIND_ESCALATED_TO_HUMAN:
      return FeedbackKind::kEscalated;
    case v1::FEEDBACK_KIND_ANSWER_USED:
      return FeedbackKind::kAnswerUsed;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("kind ", static_cast<int>(kind),
                       " is not a feedback kind; use HELPFUL, NOT_HELPFUL, ESCALATED_TO_HUMAN or ANSWER_USED"));
  }
}

void ToProto(const TimeRange& range, v1::TimeRange* out) {
  out->set_since_ms(range.since_ms);
  out->set_until_ms(range.until_ms);
}

}  // namespace

absl::StatusOr<TimeRange> ResolveTimeRange(const v1::TimeRange& range, int64_t now_ms) {
  if (range.since_ms() < 0 || range.until_ms() < 0) {
    return absl::InvalidArgumentError("range.since_ms and range.until_ms must not be negative (0 = default)");
  }
  TimeRange out;
  out.until_ms = range.until_ms() > 0 ? range.until_ms() : now_ms;
  out.since_ms = range.since_ms() > 0 ? range.since_ms() : std::max<int64_t>(0, out.until_ms - 7 * kDayMs);
  if (out.since_ms >= out.until_ms) {
    return absl::InvalidArgumentError(absl::StrCat("range.since_ms (", out.since_ms,
                                                   ") must be before range.until_ms (", out.until_ms, ")"));
  }
  return out;
}

grpc::Status FeedbackServiceImpl::RecordFeedback(grpc::ServerContext* context,
                                                 const v1::RecordFeedbackRequest* request,
                                                 v1::RecordFeedbackResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.FeedbackService/RecordFeedback");
  auto run = [&]() -> absl::Status {
    if (log_ == nullptr) return NoQueryLog();
    if (request->query_id().empty()) {
      return absl::InvalidArgumentError("query_id is empty; send the query_id of the Search or Answer response");
    }
    if (request->query_id().size() > limits_.max_id_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("query_id is ", request->query_id().size(),
                                                     " bytes; the limit is ", limits_.max_id_bytes));
    }
    ZHIKU_RETURN_IF_ERROR(ValidateUtf8(request->query_id(), "query_id"));
    ZHIKU_ASSIGN_OR_RETURN(FeedbackKind kind, ParseFeedbackKind(request->kind()));
    if (!request->entry_id().empty()) ZHIKU_RETURN_IF_ERROR(ValidateEntryId(request->entry_id(), limits_));
    if (request->comment().size() > kMaxCommentBytes) {
      return absl::InvalidArgumentError(absl::StrCat("comment is ", request->comment().size(),
                                                     " bytes; the limit is ", kMaxCommentBytes));
    }
    ZHIKU_RETURN_IF_ERROR(ValidateUtf8(request->comment(), "comment"));
    if (!request->entry_id().empty()) {
      absl::StatusOr<Entry> entry = kb_->GetEntry(request->entry_id());
      if (absl::IsNotFound(entry.status())) {
        return absl::NotFoundError(absl::StrCat("entry_id '", request->entry_id(),
                                                "' is not in the knowledge base; leave it empty to mean the "
                                                "query's top entry"));
      }
      ZHIKU_RETURN_IF_ERROR(entry.status());
    }
    FeedbackRecord feedback;
    feedback.query_id = request->query_id();
    feedback.kind = kind;
    feedback.entry_id = request->entry_id();
    feedback.comment = request->comment();
    feedback.actor = caller.key_id;
    ZHIKU_ASSIGN_OR_RETURN(FeedbackOutcome outcome, log_->AddFeedback(std::move(feedback)));
    response->set_query_id(request->query_id());
    response->set_entry_id(outcome.entry_id);
    response->set_duplicate(outcome.duplicate);
    return absl::OkStatus();
  };
  return ToGrpcStatus(run());
}

std::string AnalyticsServiceImpl::QuestionOf(const std::string& id) const {
  if (id.empty()) return "";
  absl::StatusOr<Entry> entry = kb_->GetEntry(id);
  return entry.ok() ? entry->question : "";
}

grpc::Status AnalyticsServiceImpl::GetSummary(grpc::ServerContext* context, const v1::GetSummaryRequest* request,
                                              v1::GetSummaryResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.AnalyticsService/GetSummary");
  auto run = [&]() -> absl::Status {
    if (log_ == nullptr) return NoQueryLog();
    ZHIKU_ASSIGN_OR_RETURN(TimeRange range, ResolveTimeRange(request->range(), absl::ToUnixMillis(absl::Now())));
    if (request->bucket_seconds() < 0) {
      return absl::InvalidArgumentError("bucket_seconds must not be negative (0 = an hour or a day)");
    }
    int64_t bucket = request->bucket_seconds();
    if (bucket == 0) bucket = range.until_ms - range.since_ms <= 2 * kDayMs ? 3600 : 86400;
    ZHIKU_ASSIGN_OR_RETURN(QueryLogSummary s, log_->Summary(range));
    ZHIKU_ASSIGN_OR_RETURN(std::vector<TimeBucket> timeline, log_->Timeline(range, absl::Seconds(bucket)));
    ToProto(range, response->mutable_range());
    response->set_queries(s.queries);
    response->set_searches(s.searches);
    response->set_answers(s.answers);
    response->set_answered(s.answered);
    response->set_suggested(s.suggested);
    response->set_handoffs(s.handoffs);
    response->set_handoff_rate(s.answers > 0 ? static_cast<double>(s.handoffs) / s.answers : 0);
    response->set_handoff_empty(s.handoffs_by_reason[1]);
    response->set_handoff_chitchat(s.handoffs_by_reason[2]);
    response->set_handoff_no_match(s.handoffs_by_reason[3]);
    response->set_handoff_low_confidence(s.handoffs_by_reason[4]);
    response->set_unanswered(s.unanswered);
    response->set_helpful(s.feedback[0]);
    response->set_not_helpful(s.feedback[1]);
    response->set_escalated(s.feedback[2]);
    response->set_answer_used(s.feedback[3]);
    for (const TimeBucket& b : timeline) {
      v1::TimelineBucket* out = response->add_timeline();
      out->set_start_ms(b.start_ms);
      out->set_queries(b.queries);
      out->set_answers(b.answers);
      out->set_answered(b.answered);
      out->set_suggested(b.suggested);
      out->set_handoffs(b.handoffs);
      out->set_unanswered(b.unanswered);
    }
    response->set_bucket_seconds(bucket);
    response->set_oldest_query_ms(s.oldest_ms);
    response->set_retention_days(retention_days_);
    return absl::OkStatus();
  };
  return ToGrpcStatus(run());
}

grpc::Status AnalyticsServiceImpl::TopQueries(grpc::ServerContext* context, const v1::TopQueriesRequest* request,
                                              v1::TopQueriesResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.AnalyticsService/TopQueries");
  auto run = [&]() -> absl::Status {
    if (log_ == nullptr) return NoQueryLog();
    ZHIKU_ASSIGN_OR_RETURN(TimeRange range, ResolveTimeRange(request->range(), absl::ToUnixMillis(absl::Now())));
    ZHIKU_ASSIGN_OR_RETURN(int limit, ResolveLimit(request->limit(), kDefaultLimit, kMaxLimit, "limit"));
    ZHIKU_ASSIGN_OR_RETURN(std::vector<QueryGroup> groups,
                           log_->TopQueries(range, request->unanswered_only(), limit));
    for (const QueryGroup& g : groups) {
      v1::QueryGroupStats* out = response->add_queries();
      out->set_text(g.text);
      out->set_normalized(g.norm);
      out->set_count(g.count);
      out->set_handoffs(g.handoffs);
      out->set_suggests(g.suggests);
      out->set_negative_feedback(g.negative);
      out->set_mean_confidence(g.mean_confidence);
      out->set_top_entry_id(g.top_entry_id);
      out->set_top_entry_question(QuestionOf(g.top_entry_id));
      out->set_last_ms(g.last_ms);
    }
    return absl::OkStatus();
  };
  return ToGrpcStatus(run());
}

grpc::Status AnalyticsServiceImpl::EntryStats(grpc::ServerContext* context, const v1::EntryStatsRequest* request,
                                              v1::EntryStatsResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.AnalyticsService/EntryStats");
  auto run = [&]() -> absl::Status {
    if (log_ == nullptr) return NoQueryLog();
    ZHIKU_ASSIGN_OR_RETURN(TimeRange range, ResolveTimeRange(request->range(), absl::ToUnixMillis(absl::Now())));
    ZHIKU_ASSIGN_OR_RETURN(int limit, ResolveLimit(request->limit(), kDefaultLimit, kMaxLimit, "limit"));
    EntrySort sort = EntrySort::kHits;
    switch (request->sort()) {
      case v1::ENTRY_STATS_SORT_UNSPECIFIED:
      case v1::ENTRY_STATS_SORT_HITS:
        break;
      case v1::ENTRY_STATS_SORT_NOT_HELPFUL_RATE:
        sort = EntrySort::kNotHelpfulRate;
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("sort ", static_cast<int>(request->sort()), " is unknown; use HITS or NOT_HELPFUL_RATE"));
    }
    if (request->min_feedback() < 0) return absl::InvalidArgumentError("min_feedback must not be negative");
    ZHIKU_ASSIGN_OR_RETURN(std::vector<EntryUsage> entries,
                           log_->Entries(range, sort, request->min_feedback(), limit));
    for (const EntryUsage& u : entries) {
      v1::EntryUsageStats* out = response->add_entries();
      out->set_entry_id(u.entry_id);
      out->set_question(QuestionOf(u.entry_id));
      out->set_hits(u.hits);
      out->set_answered(u.answered);
      out->set_helpful(u.count(FeedbackKind::kHelpful));
      out->set_not_helpful(u.count(FeedbackKind::kNotHelpful));
      out->set_escalated(u.count(FeedbackKind::kEscalated));
      out->set_answer_used(u.count(FeedbackKind::kAnswerUsed));
      out->set_not_helpful_rate(u.NotHelpfulRate());
    }
    return absl::OkStatus();
  };
  return ToGrpcStatus(run());
}

grpc::Status AnalyticsServiceImpl::ListQueries(grpc::ServerContext* context, const v1::ListQueriesRequest* request,
                                               v1::ListQueriesResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.AnalyticsService/ListQueries");
  auto run = [&]() -> absl::Status {
    if (log_ == nullptr) return NoQueryLog();
    ZHIKU_ASSIGN_OR_RETURN(TimeRange range, ResolveTimeRange(request->range(), absl::ToUnixMillis(absl::Now())));
    ZHIKU_ASSIGN_OR_RETURN(int limit,
                           ResolveLimit(request->page_size(), kDefaultQueryPage, kMaxQueryPage, "page_size"));
    int64_t after = 0;
    if (!request->page_token().empty() && (!absl::SimpleAtoi(request->page_token(), &after) || after < 0)) {
      return absl::InvalidArgumentError("page_token is not one this server returned; start again without it");
    }
    ZHIKU_ASSIGN_OR_RETURN(std::vector<QueryLog::Row> rows,
                           log_->List(range, request->unanswered_only(), after, limit + 1));
    const bool more = static_cast<int>(rows.size()) > limit;
    if (more) rows.resize(limit);
    for (const QueryLog::Row& row : rows) {
      const QueryRecord& r = row.record;
      v1::LoggedQuery* out = response->add_queries();
      out->set_query_id(r.query_id);
      out->set_time_ms(r.at_ms);
      out->set_type(r.kind == QueryKind::kAnswer ? v1::QUERY_TYPE_ANSWER : v1::QUERY_TYPE_SEARCH);
      out->set_text(r.text);
      out->set_decision(static_cast<int>(r.decision));
      out->set_handoff_reason(r.handoff_reason);
      out->set_confidence(r.confidence);
      out->set_top_entry_id(r.top_entry_id);
      out->set_hits(r.hits);
      out->set_unanswered(r.unanswered);
    }
    if (more) response->set_next_page_token(absl::StrCat(rows.back().row_id));
    return absl::OkStatus();
  };
  return ToGrpcStatus(run());
}

}  // namespace zhiku
