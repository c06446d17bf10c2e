// DraftService through a real gRPC channel to a ZhikuServer on 127.0.0.1,
// and SubmitDraftsToServer against it.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/draft.h"
#include "service/draft_client.h"
#include "service/server.h"
#include "tests/test_util.h"
#include "zhiku/v1/draft.grpc.pb.h"
#include "zhiku/v1/search.grpc.pb.h"

namespace zhiku {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Draft MakeDraft(const std::string& id, const std::string& question, const std::vector<std::string>& convs) {
  v1::Draft d;
  d.set_draft_id(id);
  d.set_question(question);
  d.set_answer("answer of " + question);
  d.set_frequency(static_cast<int64_t>(convs.size()));
  for (const std::string& c : convs) {
    d.add_conversation_ids(c);
    d.add_message_ids(c + "-m");
  }
  return d;
}

class DraftServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.require_api_keys = false;  // API keys: auth_test.cc
    options.listen = "127.0.0.1:0";
    options.knowledge_base.data_dir = dir_.Sub("data");
    options.knowledge_base.semantic.enabled = false;
    ZHIKU_ASSERT_OK_AND_ASSIGN(server_, ZhikuServer::Start(options));
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    stub_ = v1::DraftService::NewStub(channel_);
  }

  static void Deadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  }

  grpc::Status Submit(const std::vector<v1::Draft>& drafts, v1::SubmitDraftsResponse* response,
                      const std::string& kb = "") {
    v1::SubmitDraftsRequest request;
    for (const v1::Draft& d : drafts) *request.add_drafts() = d;
    request.set_knowledge_base(kb);
    grpc::ClientContext context;
    Deadline(context);
    return stub_->SubmitDrafts(&context, request, response);
  }

  std::vector<std::string> ListIds(v1::ListDraftsRequest request = {}) {
    grpc::ClientContext context;
    Deadline(context);
    v1::ListDraftsResponse response;
    grpc::Status status = stub_->ListDrafts(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> ids;
    for (const v1::Draft& d : response.drafts()) ids.push_back(d.draft_id());
    return ids;
  }

  testing::TempDir dir_;
  std::unique_ptr<ZhikuServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::DraftService::Stub> stub_;
};

TEST_F(DraftServiceTest, SubmitListRejectResubmitStaysRejectedAndIsSuppressed) {
  v1::SubmitDraftsResponse first;
  ASSERT_TRUE(Submit({MakeDraft("d-refund", "退款多久到账", {"c1", "c2", "c3"}),
                      MakeDraft("d-robot", "你是机器人吗", {"c4", "c5"})},
                     &first)
                  .ok());
  EXPECT_EQ(first.created(), 2);
  ASSERT_EQ(first.results_size(), 2);
  EXPECT_EQ(first.results(1).draft_id(), "d-robot");
  EXPECT_EQ(first.results(1).outcome(), v1::SUBMIT_OUTCOME_CREATED);
  EXPECT_THAT(ListIds(), ElementsAre("d-refund", "d-robot"));

  {
    v1::RejectDraftRequest reject;
    reject.set_draft_id("d-robot");
    reject.set_reason("chit-chat");
    grpc::ClientContext context;
    Deadline(context);
    v1::Draft rejected;
    grpc::Status status = stub_->RejectDraft(&context, reject, &rejected);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(rejected.status(), v1::DRAFT_STATUS_REJECTED);
  }
  EXPECT_THAT(ListIds(), ElementsAre("d-refund"));

  // The next run over new logs: the robot question again, in Traditional
  // Chinese under another id, and more refund conversations.
  v1::SubmitDraftsResponse second;
  ASSERT_TRUE(Submit({MakeDraft("d-robot-2", "你是機器人嗎", {"c6"}),
                      MakeDraft("d-refund", "退款多久到账", {"c3", "c7"})},
                     &second)
                  .ok());
  EXPECT_EQ(second.created(), 0);
  EXPECT_EQ(second.merged(), 1);
  EXPECT_EQ(second.suppressed(), 1);
  EXPECT_EQ(second.results(0).draft_id(), "d-robot");
  EXPECT_EQ(second.results(0).outcome(), v1::SUBMIT_OUTCOME_SUPPRESSED);
  EXPECT_EQ(second.results(0).status(), v1::DRAFT_STATUS_REJECTED);
  EXPECT_THAT(ListIds(), ElementsAre("d-refund"));

  v1::ListDraftsRequest rejected_only;
  rejected_only.add_statuses(v1::DRAFT_STATUS_REJECTED);
  EXPECT_THAT(ListIds(rejected_only), ElementsAre("d-robot"));

  v1::GetDraftRequest get;
  get.set_draft_id("d-refund");
  grpc::ClientContext context;
  Deadline(context);
  v1::Draft refund;
  ASSERT_TRUE(stub_->GetDraft(&context, get, &refund).ok());
  EXPECT_EQ(refund.frequency(), 4);  // c1, c2, c3, c7
  EXPECT_EQ(refund.runs(), 2);
  EXPECT_THAT(refund.conversation_ids(), ElementsAre("c1", "c2", "c3", "c7"));
  EXPECT_EQ(refund.status(), v1::DRAFT_STATUS_NEW);
  EXPECT_GT(refund.create_time_ms(), 0);
}

TEST_F(DraftServiceTest, ListReturnsOnlyASampleOfTheEvidenceAndPages) {
  std::vector<std::string> convs;
  for (int i = 0; i < 50; ++i) convs.push_back(absl::StrCat("c", i));
  v1::SubmitDraftsResponse response;
  ASSERT_TRUE(Submit({MakeDraft("d-1", "发票怎么开", convs), MakeDraft("d-2", "运费多少", {"c1"}),
                      MakeDraft("d-3", "怎么换货", {"c1", "c2"})},
                     &response)
                  .ok());
  v1::ListDraftsRequest request;
  request.set_page_size(2);
  grpc::ClientContext context;
  Deadline(context);
  v1::ListDraftsResponse page;
  ASSERT_TRUE(stub_->ListDrafts(&context, request, &page).ok());
  ASSERT_EQ(page.drafts_size(), 2);
  EXPECT_EQ(page.drafts(0).draft_id(), "d-1");
  EXPECT_EQ(page.drafts(0).message_count(), 50);
  EXPECT_EQ(page.drafts(0).message_ids_size(), 10);
  ASSERT_FALSE(page.next_page_token().empty());
  request.set_page_token(page.next_page_token());
  EXPECT_THAT(ListIds(request), ElementsAre("d-2"));
  // A token of one sort does not continue another.
  request.set_sort(v1::DRAFT_SORT_TREND);
  grpc::ClientContext other;
  Deadline(other);
  grpc::Status status = stub_->ListDrafts(&other, request, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

struct InvalidCase {
  std::string name;
  std::vector<v1::Draft> drafts;
  std::string message;  // expected in the error
};

TEST_F(DraftServiceTest, InvalidSubmissionsAreInvalidArgumentNamingFieldIndexAndLimit) {
  v1::Draft long_question = MakeDraft("d-1", std::string(1025, 'q'), {"c1"});
  v1::Draft many_ids = MakeDraft("d-1", "q", {"c1"});
  for (int i = 0; i < 100001; ++i) many_ids.add_message_ids(absl::StrCat(i));
  v1::Draft bad_trend = MakeDraft("d-1", "q", {"c1"});
  bad_trend.set_trend(std::numeric_limits<double>::infinity());
  const InvalidCase kCases[] = {
      {"empty batch", {}, "drafts is empty"},
      {"empty question", {MakeDraft("d-1", "ok", {"c1"}), MakeDraft("d-2", "", {"c2"})}, "drafts[1].question is empty"},
      {"long question", {long_question}, "drafts[0].question is 1,025 bytes; the limit is 1,024"},
      {"evidence", {many_ids}, "drafts[0].message_ids has 100,002 ids; the limit is 100,000 per draft"},
      {"trend", {bad_trend}, "drafts[0].trend is not a finite number"},
  };
  for (const InvalidCase& c : kCases) {
    v1::SubmitDraftsResponse response;
    grpc::Status status = Submit(c.drafts, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_THAT(status.error_message(), HasSubstr(c.message)) << c.name;
  }
  EXPECT_TRUE(ListIds().empty());  // nothing of the bad batches was stored
}

TEST_F(DraftServiceTest, MoreThanTenThousandDraftsIsInvalidArgument) {
  std::vector<v1::Draft> drafts(10001);
  for (size_t i = 0; i < drafts.size(); ++i) drafts[i].set_question(absl::StrCat("q", i));
  v1::SubmitDraftsResponse response;
  grpc::Status status = Submit(drafts, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("10,001 drafts; the limit is 10,000 per call"));
}

TEST_F(DraftServiceTest, UnknownDraftAndKnowledgeBaseAreNotFound) {
  v1::GetDraftRequest get;
  get.set_draft_id("d-missing");
  grpc::ClientContext context;
  Deadline(context);
  v1::Draft draft;
  EXPECT_EQ(stub_->GetDraft(&context, get, &draft).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::RejectDraftRequest reject;
  reject.set_draft_id("d-missing");
  grpc::ClientContext reject_context;
  Deadline(reject_context);
  EXPECT_EQ(stub_->RejectDraft(&reject_context, reject, &draft).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::SubmitDraftsResponse response;
  grpc::Status status = Submit({MakeDraft("d-1", "q", {"c1"})}, &response, "brand-b");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("brand-b"));
}

TEST_F(DraftServiceTest, ClientSubmitsInBatchesAndReportsEveryId) {
  std::vector<Draft> drafts;
  for (int i = 0; i < 2500; ++i) {
    Draft d;
    d.draft_id = absl::StrCat("d-", i);
    d.question = absl::StrCat("question number ", i);
    d.conversation_ids = {absl::StrCat("c", i)};
    drafts.push_back(d);
  }
  ZHIKU_ASSERT_OK_AND_ASSIGN(SubmitDraftsSummary summary,
                             SubmitDraftsToServer(server_->address(), "", "", drafts, absl::Seconds(30)));
  EXPECT_EQ(summary.calls, 3);
  EXPECT_EQ(summary.created, 2500);
  ASSERT_EQ(summary.draft_ids.size(), 2500u);
  EXPECT_EQ(summary.draft_ids[2499], "d-2499");
  // Again: everything merges, nothing is counted twice.
  ZHIKU_ASSERT_OK_AND_ASSIGN(summary, SubmitDraftsToServer(server_->address(), "", "", drafts, absl::Seconds(30)));
  EXPECT_EQ(summary.merged, 2500);
  ZHIKU_ASSERT_OK_AND_ASSIGN(StoredDraft stored, server_->knowledge_base().drafts().Get("d-7"));
  EXPECT_EQ(stored.draft.frequency, 1);

  absl::StatusOr<SubmitDraftsSummary> unknown_kb =
      SubmitDraftsToServer(server_->address(), "", "brand-b", drafts, absl::Seconds(30));
  EXPECT_TRUE(absl::IsNotFound(unknown_kb.status())) << unknown_kb.status();
  EXPECT_THAT(unknown_kb.status().message(), HasSubstr("the 0 before them are stored"));
}

}  // namespace
}  // namespace zhiku

namespace zhiku {
namespace {

class DraftReviewTest : public DraftServiceTest {
 protected:
  v1::SearchResponse SearchFor(const std::string& query) {
    auto search = v1::SearchService::NewStub(channel_);
    v1::SearchRequest request;
    request.set_query(query);
    v1::SearchResponse response;
    grpc::ClientContext context;
    Deadline(context);
    EXPECT_TRUE(search->Search(&context, request, &response).ok());
    return response;
  }
};

TEST_F(DraftReviewTest, ApproveMergeRejectAndReminingKeepsTheDecisions) {
  KnowledgeBase& kb = server_->knowledge_base();
  Entry refund;
  refund.id = "refund-time";
  refund.question = "退款多久到账？";
  refund.answer = "审核通过后1-3个工作日原路退回。";
  ZHIKU_ASSERT_OK(kb.CreateEntry(refund));
  ZHIKU_ASSERT_OK(kb.WaitUntilSearchable(absl::Seconds(5)));

  v1::Draft invoice = MakeDraft("d-invoice", "发票怎么开", {"c1", "c2"});
  invoice.add_variants("怎么开电子发票");
  v1::Draft refund_again = MakeDraft("d-refund", "退款多久到账", {"c3", "c4"});
  refund_again.add_variants("钱几天能退回来");
  v1::Draft chat = MakeDraft("d-chat", "你们几点下班", {"c5", "c6"});
  v1::SubmitDraftsResponse submitted;
  ASSERT_TRUE(Submit({invoice, refund_again, chat}, &submitted).ok());

  // An editor edits one draft: it moves to IN_REVIEW.
  {
    v1::UpdateDraftRequest update;
    update.set_draft_id("d-invoice");
    update.set_answer("订单完成后在订单详情点击「申请发票」。");
    v1::Draft edited;
    grpc::ClientContext context;
    Deadline(context);
    ASSERT_TRUE(stub_->UpdateDraft(&context, update, &edited).ok());
    EXPECT_EQ(edited.status(), v1::DRAFT_STATUS_IN_REVIEW);
    EXPECT_EQ(edited.answer(), "订单完成后在订单详情点击「申请发票」。");
  }

  // Approve: a new entry, searchable within a second, linked both ways.
  v1::ApproveDraftRequest approve;
  approve.set_draft_id("d-invoice");
  approve.mutable_entry()->set_id("invoice-how");
  approve.mutable_entry()->set_category("invoices");
  approve.set_reason("week 48 hot question");
  v1::ApproveDraftResponse approved;
  {
    grpc::ClientContext context;
    Deadline(context);
    grpc::Status s = stub_->ApproveDraft(&context, approve, &approved);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(approved.draft().status(), v1::DRAFT_STATUS_APPROVED);
  EXPECT_EQ(approved.draft().covered_by(), "invoice-how");
  EXPECT_EQ(approved.entry().question(), "发票怎么开");
  EXPECT_EQ(approved.entry().category(), "invoices");
  EXPECT_EQ(approved.entry().answer(), "订单完成后在订单详情点击「申请发票」。");
  ZHIKU_ASSERT_OK(kb.WaitUntilSearchable(absl::Seconds(1)));
  v1::SearchResponse found = SearchFor("怎么开电子发票");
  ASSERT_GT(found.hits_size(), 0);
  EXPECT_EQ(found.hits(0).entry().id(), "invoice-how");
  auto versions = kb.ListEntryVersions("invoice-how", 0, 10);
  ASSERT_TRUE(versions.ok());
  EXPECT_THAT(versions->front().reason, HasSubstr("approved draft d-invoice"));

  // The refund draft asks what refund-time answers: approval is refused
  // with the entry named, unless forced; merging adds its phrasings.
  v1::ApproveDraftRequest duplicate;
  duplicate.set_draft_id("d-refund");
  {
    grpc::ClientContext context;
    Deadline(context);
    v1::ApproveDraftResponse unused;
    grpc::Status s = stub_->ApproveDraft(&context, duplicate, &unused);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(s.error_message(), HasSubstr("refund-time (same question, different answer)"));
  }
  v1::MergeDraftRequest merge;
  merge.set_draft_id("d-refund");
  merge.set_entry_id("refund-time");
  v1::MergeDraftResponse merged;
  {
    grpc::ClientContext context;
    Deadline(context);
    ASSERT_TRUE(stub_->MergeDraft(&context, merge, &merged).ok());
  }
  EXPECT_EQ(merged.variants_added(), 1);  // 退款多久到账 is the question in index form
  EXPECT_EQ(merged.draft().status(), v1::DRAFT_STATUS_MERGED);
  EXPECT_THAT(std::vector<std::string>(merged.entry().variants().begin(), merged.entry().variants().end()),
              ElementsAre("钱几天能退回来"));
  EXPECT_EQ(merged.entry().version(), 2);

  // Reject the chit-chat; it cannot be approved afterwards.
  {
    v1::RejectDraftRequest reject;
    reject.set_draft_id("d-chat");
    reject.set_reason("opening hours are on the contact page");
    v1::Draft rejected;
    grpc::ClientContext context;
    Deadline(context);
    ASSERT_TRUE(stub_->RejectDraft(&context, reject, &rejected).ok());
    v1::ApproveDraftRequest late;
    late.set_draft_id("d-chat");
    late.mutable_entry()->set_answer("9点到18点");
    v1::ApproveDraftResponse unused;
    grpc::ClientContext context2;
    Deadline(context2);
    EXPECT_EQ(stub_->ApproveDraft(&context2, late, &unused).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }

  // Next week's mining finds all three again: nothing comes back as new.
  v1::Draft invoice2 = MakeDraft("", "发票怎么开", {"c7"});
  v1::Draft refund2 = MakeDraft("", "退款多久到账", {"c8"});
  v1::Draft chat2 = MakeDraft("", "你们几点下班", {"c9"});
  ASSERT_TRUE(Submit({invoice2, refund2, chat2}, &submitted).ok());
  EXPECT_EQ(submitted.created(), 0);
  EXPECT_TRUE(ListIds().empty());
  auto after = kb.drafts().Get("d-invoice");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, DraftStatus::kApproved);
  EXPECT_EQ(after->draft.covered_by.value_or(""), "invoice-how");
  EXPECT_EQ(after->draft.frequency, 3);

  // Approving again is refused and names the entry.
  grpc::ClientContext context;
  Deadline(context);
  v1::ApproveDraftResponse unused;
  grpc::Status again = stub_->ApproveDraft(&context, approve, &unused);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(again.error_message(), HasSubstr("invoice-how"));
}

}  // namespace
}  // namespace zhiku
