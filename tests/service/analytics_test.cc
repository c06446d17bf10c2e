// The query log, FeedbackService and AnalyticsService through a real gRPC
// channel to a ZhikuServer on 127.0.0.1, and the log's retention.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/query_log.h"
#include "service/server.h"
#include "tests/test_util.h"
#include "zhiku/v1/analytics.grpc.pb.h"
#include "zhiku/v1/search.grpc.pb.h"

namespace zhiku {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

void Deadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
}

class AnalyticsTest : public ::testing::Test {
 protected:
  ServerOptions Options() const {
    ServerOptions options;
    options.require_api_keys = false;  // API keys: auth_test.cc
    options.listen = "127.0.0.1:0";
    options.knowledge_base.data_dir = dir_.Sub("data");
    options.knowledge_base.semantic.enabled = false;
    return options;
  }

  void SetUp() override {
    ZHIKU_ASSERT_OK_AND_ASSIGN(server_, ZhikuServer::Start(Options()));
    KnowledgeBase& kb = server_->knowledge_base();
    Entry refund;
    refund.id = "refund";
    refund.question = "如何申请退款";
    refund.variants = {"怎么退款", "退款流程是什么"};
    refund.answer = "在订单页点击申请退款，三个工作日内到账。";
    ASSERT_TRUE(kb.CreateEntry(refund).ok());
    Entry invoice;
    invoice.id = "invoice";
    invoice.question = "怎么开发票";
    invoice.answer = "在订单详情页申请电子发票。";
    ASSERT_TRUE(kb.CreateEntry(invoice).ok());
    ASSERT_TRUE(kb.WaitUntilSearchable(absl::Seconds(10)).ok());
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    search_ = v1::SearchService::NewStub(channel);
    feedback_ = v1::FeedbackService::NewStub(channel);
    analytics_ = v1::AnalyticsService::NewStub(channel);
  }

  v1::AnswerResponse Answer(const std::string& query) {
    v1::AnswerRequest request;
    request.set_query(query);
    v1::AnswerResponse response;
    grpc::ClientContext context;
    Deadline(context);
    grpc::Status s = search_->Answer(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  v1::SearchResponse Search(const std::string& query) {
    v1::SearchRequest request;
    request.set_query(query);
    v1::SearchResponse response;
    grpc::ClientContext context;
    Deadline(context);
    grpc::Status s = search_->Search(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  grpc::Status Feedback(const std::string& query_id, v1::FeedbackKind kind, v1::RecordFeedbackResponse* response,
                        const std::string& entry_id = "") {
    v1::RecordFeedbackRequest request;
    request.set_query_id(query_id);
    request.set_kind(kind);
    request.set_entry_id(entry_id);
    grpc::ClientContext context;
    Deadline(context);
    return feedback_->RecordFeedback(&context, request, response);
  }

  testing::TempDir dir_;
  std::unique_ptr<ZhikuServer> server_;
  std::unique_ptr<v1::SearchService::Stub> search_;
  std::unique_ptr<v1::FeedbackService::Stub> feedback_;
  std::unique_ptr<v1::AnalyticsService::Stub> analytics_;
};

TEST_F(AnalyticsTest, QueriesFeedbackAndAggregates) {
  v1::AnswerResponse hit = Answer("我想申请退款");
  ASSERT_EQ(hit.top().entry().id(), "refund");
  EXPECT_THAT(hit.query_id(), ::testing::MatchesRegex("q[0-9a-f]{24}"));
  v1::AnswerResponse again = Answer("我想申請退款");  // Traditional: the same group
  EXPECT_NE(again.query_id(), hit.query_id());
  v1::AnswerResponse miss = Answer("火星上的天气怎么样 手机13812345678");
  EXPECT_NE(miss.decision(), v1::DECISION_ANSWER);
  v1::AnswerResponse chat = Answer("你好");
  EXPECT_EQ(chat.handoff_reason(), v1::HANDOFF_REASON_CHITCHAT);
  v1::SearchResponse found = Search("开发票");
  ASSERT_GT(found.hits_size(), 0);
  EXPECT_FALSE(found.query_id().empty());

  v1::RecordFeedbackResponse fb;
  ASSERT_TRUE(Feedback(hit.query_id(), v1::FEEDBACK_KIND_NOT_HELPFUL, &fb).ok());
  EXPECT_EQ(fb.entry_id(), "refund");
  EXPECT_FALSE(fb.duplicate());
  ASSERT_TRUE(Feedback(hit.query_id(), v1::FEEDBACK_KIND_NOT_HELPFUL, &fb).ok());
  EXPECT_TRUE(fb.duplicate());
  ASSERT_TRUE(Feedback(again.query_id(), v1::FEEDBACK_KIND_HELPFUL, &fb).ok());
  ASSERT_TRUE(Feedback(found.query_id(), v1::FEEDBACK_KIND_ANSWER_USED, &fb, "invoice").ok());

  grpc::Status unknown = Feedback("q000000000000000000000000", v1::FEEDBACK_KIND_HELPFUL, &fb);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(unknown.error_message(), HasSubstr("retention"));
  EXPECT_EQ(Feedback(hit.query_id(), v1::FEEDBACK_KIND_UNSPECIFIED, &fb).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Feedback(hit.query_id(), v1::FEEDBACK_KIND_HELPFUL, &fb, "no-such-entry").error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Feedback("", v1::FEEDBACK_KIND_HELPFUL, &fb).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  {
    grpc::ClientContext context;
    Deadline(context);
    v1::GetSummaryResponse s;
    ASSERT_TRUE(analytics_->GetSummary(&context, v1::GetSummaryRequest(), &s).ok());
    EXPECT_EQ(s.queries(), 5);
    EXPECT_EQ(s.searches(), 1);
    EXPECT_EQ(s.answers(), 4);
    EXPECT_EQ(s.handoff_chitchat(), 1);
    EXPECT_EQ(s.handoffs(), s.handoff_chitchat() + s.handoff_no_match() + s.handoff_low_confidence());
    EXPECT_EQ(s.not_helpful(), 1);
    EXPECT_EQ(s.helpful(), 1);
    EXPECT_EQ(s.answer_used(), 1);
    EXPECT_EQ(s.bucket_seconds(), 86400);
    int64_t in_timeline = 0;
    for (const v1::TimelineBucket& b : s.timeline()) in_timeline += b.queries();
    EXPECT_EQ(in_timeline, 5);
    EXPECT_EQ(s.retention_days(), 90);
  }
  {
    grpc::ClientContext context;
    Deadline(context);
    v1::TopQueriesResponse top;
    ASSERT_TRUE(analytics_->TopQueries(&context, v1::TopQueriesRequest(), &top).ok());
    ASSERT_GE(top.queries_size(), 1);
    EXPECT_EQ(top.queries(0).count(), 2);  // both scripts in one group
    EXPECT_EQ(top.queries(0).top_entry_id(), "refund");
    EXPECT_EQ(top.queries(0).top_entry_question(), "如何申请退款");
    EXPECT_EQ(top.queries(0).negative_feedback(), 1);
  }
  {
    grpc::ClientContext context;
    Deadline(context);
    v1::TopQueriesRequest request;
    request.set_unanswered_only(true);
    v1::TopQueriesResponse top;
    ASSERT_TRUE(analytics_->TopQueries(&context, request, &top).ok());
    std::vector<std::string> texts;
    for (const auto& q : top.queries()) texts.push_back(q.text());
    // The hand-off (phone number masked) and the not-helpful answer; not
    // the greeting, not the helpful one.
    EXPECT_THAT(texts, ::testing::Contains(HasSubstr("火星")));
    EXPECT_THAT(texts, ::testing::Each(Not(HasSubstr("13812345678"))));
    EXPECT_THAT(texts, ::testing::Each(Not(HasSubstr("你好"))));
  }
  {
    grpc::ClientContext context;
    Deadline(context);
    v1::EntryStatsRequest request;
    request.set_sort(v1::ENTRY_STATS_SORT_NOT_HELPFUL_RATE);
    v1::EntryStatsResponse stats;
    ASSERT_TRUE(analytics_->EntryStats(&context, request, &stats).ok());
    ASSERT_EQ(stats.entries_size(), 1);  // invoice has no helpful/not-helpful votes
    EXPECT_EQ(stats.entries(0).entry_id(), "refund");
    EXPECT_EQ(stats.entries(0).hits(), 2);
    EXPECT_DOUBLE_EQ(stats.entries(0).not_helpful_rate(), 0.5);
  }
  {
    grpc::ClientContext context;
    Deadline(context);
    v1::ListQueriesRequest request;
    request.set_unanswered_only(true);
    request.set_page_size(1);
    v1::ListQueriesResponse page;
    ASSERT_TRUE(analytics_->ListQueries(&context, request, &page).ok());
    ASSERT_EQ(page.queries_size(), 1);
    EXPECT_FALSE(page.next_page_token().empty());
    grpc::ClientContext next_context;
    Deadline(next_context);
    request.set_page_token(page.next_page_token());
    request.set_page_size(100);
    v1::ListQueriesResponse rest;
    ASSERT_TRUE(analytics_->ListQueries(&next_context, request, &rest).ok());
    EXPECT_EQ(rest.queries_size(), 1);
    EXPECT_TRUE(rest.next_page_token().empty());
    EXPECT_NE(rest.queries(0).query_id(), page.queries(0).query_id());
  }
  {
    grpc::ClientContext context;
    Deadline(context);
    v1::GetSummaryRequest request;
    request.mutable_range()->set_since_ms(2000);
    request.mutable_range()->set_until_ms(1000);
    v1::GetSummaryResponse s;
    grpc::Status bad = analytics_->GetSummary(&context, request, &s);
    EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(bad.error_message(), HasSubstr("before"));
  }
}

TEST_F(AnalyticsTest, QueriesSurviveRestart) {
  const std::string id = Answer("怎么退款").query_id();
  server_.reset();  // flushes the queue
  ZHIKU_ASSERT_OK_AND_ASSIGN(server_, ZhikuServer::Start(Options()));
  ZHIKU_ASSERT_OK_AND_ASSIGN(QueryRecord r, server_->query_log()->Get(id));
  EXPECT_EQ(r.text, "怎么退款");
  EXPECT_EQ(r.top_entry_id, "refund");
}

TEST(QueryLog, RetentionDeletesOldQueriesAndTheirFeedback) {
  testing::TempDir dir;
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto normalizer, TextNormalizer::Create());
  QueryLogOptions options;
  options.retention = absl::Hours(24);
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto log, OpenSqliteQueryLog(dir.Sub("zhiku.db"), normalizer.get(), options));
  const int64_t now = absl::ToUnixMillis(absl::Now());
  QueryRecord old_query;
  old_query.query_id = NewQueryId();
  old_query.at_ms = now - 2 * 24 * 3600 * 1000;
  old_query.text = "old";
  log->Record(old_query);
  QueryRecord fresh = old_query;
  fresh.query_id = NewQueryId();
  fresh.at_ms = now;
  fresh.text = "new";
  log->Record(fresh);
  FeedbackRecord fb;
  fb.query_id = old_query.query_id;
  fb.kind = FeedbackKind::kHelpful;
  ASSERT_TRUE(log->AddFeedback(fb).ok());
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t pruned, log->Prune());
  EXPECT_EQ(pruned, 1);
  EXPECT_EQ(log->Get(old_query.query_id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(log->Get(fresh.query_id).ok());
  ZHIKU_ASSERT_OK_AND_ASSIGN(QueryLogSummary s, log->Summary(TimeRange{}));
  EXPECT_EQ(s.queries, 1);
  EXPECT_EQ(s.feedback[0], 0);
}

TEST(QueryLog, FullQueueDropsAndCounts) {
  testing::TempDir dir;
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto normalizer, TextNormalizer::Create());
  QueryLogOptions options;
  options.max_pending = 3;
  options.batch_size = 1000;
  options.flush_interval = absl::Seconds(60);
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto log, OpenSqliteQueryLog(dir.Sub("zhiku.db"), normalizer.get(), options));
  for (int i = 0; i < 5; ++i) {
    QueryRecord r;
    r.query_id = NewQueryId();
    r.text = "q";
    log->Record(r);
  }
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->stats().written, 3);
  EXPECT_EQ(log->stats().dropped, 2);
}

}  // namespace
}  // namespace zhiku
