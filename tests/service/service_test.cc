// The gRPC services through a real channel to a ZhikuServer on 127.0.0.1.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "service/server.h"
#include "tests/test_util.h"
#include "zhiku/v1/knowledge.grpc.pb.h"
#include "zhiku/v1/search.grpc.pb.h"

namespace zhiku {
namespace {

using ::testing::HasSubstr;

constexpr const char* kKb[] = {
    R"({"id":"returns-how-to","question":"怎么申请退货？","variants":["退货流程是什么","东西不想要了怎么退"],"answer":"在「我的订单」中选择订单，点击「申请退货」，7天内可无理由退货。","category":"returns","tags":["退货"],"locale":"zh-CN","channel":"all"})",
    R"({"id":"refund-time","question":"退款多久到账？","variants":["钱什么时候退回来","退款一直没到"],"answer":"退款审核通过后1-3个工作日原路退回。","category":"refunds","tags":["退款"],"locale":"zh-CN","channel":"all"})",
    R"({"id":"shipping-fee","question":"运费怎么算？","variants":["包邮吗","邮费多少钱"],"answer":"订单满99元包邮，不满99元收取运费8元。","category":"shipping","tags":["运费"],"locale":"zh-CN","channel":"app"})",
    R"({"id":"invoice-e","question":"怎么开电子发票？","variants":["发票在哪里开","我要开发票"],"answer":"订单完成后在订单详情点击「申请发票」。","category":"invoices","tags":["发票"],"locale":"zh-CN","channel":"web"})",
    R"({"id":"track-en","question":"How can I track my package?","variants":["where is my order","tracking number"],"answer":"Open My Orders and tap Track to see the courier's updates.","category":"shipping","tags":["tracking"],"locale":"en","channel":"all"})",
    R"({"id":"refund-en","question":"How do I get a refund?","variants":["I want my money back","refund request"],"answer":"Request a refund from the order page; it reaches your card in 1-3 business days.","category":"refunds","tags":["refund"],"locale":"en","channel":"all"})",
};

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.require_api_keys = false;  // API keys: auth_test.cc
    options.listen = "127.0.0.1:0";
    options.knowledge_base.data_dir = dir_.Sub("data");
    auto server = ZhikuServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    search_ = v1::SearchService::NewStub(channel_);
    knowledge_ = v1::KnowledgeService::NewStub(channel_);
  }

  v1::ImportEntriesResponse Import(const std::vector<std::string>& lines) {
    grpc::ClientContext context;
    v1::ImportEntriesResponse response;
    auto writer = knowledge_->ImportEntries(&context, &response);
    for (size_t i = 0; i < lines.size(); ++i) {
      v1::ImportEntriesRequest request;
      request.set_jsonl_line(lines[i]);
      request.set_line_number(static_cast<int64_t>(i + 1));
      EXPECT_TRUE(writer->Write(request));
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  v1::ImportCorpusResponse ImportCorpus(const std::vector<std::string>& lines) {
    grpc::ClientContext context;
    v1::ImportCorpusResponse response;
    auto writer = knowledge_->ImportCorpus(&context, &response);
    for (size_t i = 0; i < lines.size(); ++i) {
      v1::ImportCorpusRequest request;
      request.set_jsonl_line(lines[i]);
      request.set_line_number(static_cast<int64_t>(i + 1));
      request.set_retrain(i == 0);
      EXPECT_TRUE(writer->Write(request));
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::vector<std::string> CorpusTexts() {
    std::vector<std::string> texts;
    ZHIKU_EXPECT_OK(server_->knowledge_base().ForEachCorpusText([&](absl::string_view text) {
      texts.emplace_back(text);
      return absl::OkStatus();
    }));
    return texts;
  }

  void ImportSample() {
    v1::ImportEntriesResponse response = Import({std::begin(kKb), std::end(kKb)});
    ASSERT_EQ(response.created(), static_cast<int64_t>(std::size(kKb)));
    ZHIKU_ASSERT_OK(server_->knowledge_base().WaitUntilSearchable(absl::Seconds(5)));
  }

  grpc::Status Search(const v1::SearchRequest& request, v1::SearchResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return search_->Search(&context, request, response);
  }

  v1::SearchResponse SearchFor(const std::string& query) {
    v1::SearchRequest request;
    request.set_query(query);
    v1::SearchResponse response;
    grpc::Status status = Search(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  zhiku::testing::TempDir dir_;
  std::unique_ptr<ZhikuServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SearchService::Stub> search_;
  std::unique_ptr<v1::KnowledgeService::Stub> knowledge_;
};

TEST_F(ServiceTest, HealthServiceReportsServing) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&context, request, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  for (const char* service : {"zhiku.v1.SearchService", "zhiku.v1.KnowledgeService"}) {
    grpc::ClientContext per_service;
    request.set_service(service);
    ASSERT_TRUE(health->Check(&per_service, request, &response).ok()) << service;
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
}

TEST_F(ServiceTest, TraditionalQueryFindsSimplifiedEntryWithTraditionalHighlight) {
  ImportSample();
  v1::SearchResponse response = SearchFor("如何退貨");
  ASSERT_GE(response.hits_size(), 1);
  EXPECT_EQ(response.hits(0).entry().id(), "returns-how-to");
  EXPECT_TRUE(response.traditional_query());
  EXPECT_THAT(response.hits(0).highlighted_text(), HasSubstr("<em>退貨</em>"));
  EXPECT_EQ(response.hits(0).rank(), 1);
}

TEST_F(ServiceTest, ParaphrasesFindTheReturnsEntry) {
  ImportSample();
  for (const char* query : {"怎么退货", "退货流程", "不想要了 怎么退"}) {
    v1::SearchResponse response = SearchFor(query);
    ASSERT_GE(response.hits_size(), 1) << query;
    EXPECT_EQ(response.hits(0).entry().id(), "returns-how-to") << query;
  }
}

TEST_F(ServiceTest, EnglishQueryIsStemmedAndReportsMatchedVariant) {
  ImportSample();
  v1::SearchResponse response = SearchFor("tracking my packages");
  ASSERT_GE(response.hits_size(), 1);
  EXPECT_EQ(response.hits(0).entry().id(), "track-en");
  v1::SearchResponse variant = SearchFor("money back");
  ASSERT_GE(variant.hits_size(), 1);
  EXPECT_EQ(variant.hits(0).entry().id(), "refund-en");
  EXPECT_EQ(variant.hits(0).matched_field(), v1::MATCHED_FIELD_VARIANT);
  EXPECT_EQ(variant.hits(0).matched_text(), "I want my money back");
}

TEST_F(ServiceTest, FiltersRestrictResultsAndUnknownFieldIsRejected) {
  ImportSample();
  v1::SearchRequest request;
  request.set_query("退款 退货");
  v1::FieldFilter* filter = request.add_filters();
  filter->set_field("category");
  filter->add_values("refunds");
  v1::SearchResponse response;
  ASSERT_TRUE(Search(request, &response).ok());
  ASSERT_GE(response.hits_size(), 1);
  for (const v1::SearchHit& hit : response.hits()) EXPECT_EQ(hit.entry().category(), "refunds");

  filter->set_field("colour");
  grpc::Status status = Search(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("colour"));
  EXPECT_THAT(status.error_message(), HasSubstr("category"));
}

TEST_F(ServiceTest, PageTokenContinuesTheResultList) {
  ImportSample();
  v1::SearchRequest request;
  request.set_query("怎么 退 发票 运费 how");
  request.set_page_size(2);
  v1::SearchResponse first;
  ASSERT_TRUE(Search(request, &first).ok());
  ASSERT_EQ(first.hits_size(), 2);
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  v1::SearchResponse second;
  ASSERT_TRUE(Search(request, &second).ok());
  ASSERT_GE(second.hits_size(), 1);
  EXPECT_EQ(second.hits(0).rank(), 3);
  for (const auto& a : first.hits())
    for (const auto& b : second.hits()) EXPECT_NE(a.entry().id(), b.entry().id());

  request.set_query("another query");
  grpc::Status status = Search(request, &second);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServiceTest, BadQueriesGetClearErrors) {
  ImportSample();
  v1::SearchResponse response;
  // Empty and punctuation-only queries are fine and find nothing.
  for (const char* query : {"", "？？！", "   "}) {
    v1::SearchRequest request;
    request.set_query(query);
    ASSERT_TRUE(Search(request, &response).ok()) << query;
    EXPECT_EQ(response.hits_size(), 0);
  }
  v1::SearchRequest huge;
  huge.set_query(std::string(1 << 20, 'a'));
  grpc::Status status = Search(huge, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("1,048,576 bytes; the limit is 4,096"));

  v1::SearchRequest big_page;
  big_page.set_query("退货");
  big_page.set_page_size(1000);
  status = Search(big_page, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("page_size"));
}

TEST_F(ServiceTest, InvalidUtf8QueryIsRejectedAndServerStaysUp) {
  ImportSample();
  v1::SearchRequest request;
  request.set_query(std::string("\xe9\x80\x80\xff\xfe", 5));
  v1::SearchResponse response;
  grpc::Status status = Search(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("query"));
  EXPECT_THAT(status.error_message(), HasSubstr("byte offset 3"));
  // The server still answers.
  EXPECT_GE(SearchFor("退货").hits_size(), 1);
}

TEST_F(ServiceTest, MessageOverTheSizeLimitIsRejected) {
  v1::SearchRequest request;
  request.set_query(std::string(5 << 20, 'a'));
  v1::SearchResponse response;
  grpc::Status status = Search(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(ServiceTest, ExpiredDeadlineIsHonoured) {
  ImportSample();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() - std::chrono::milliseconds(1));
  v1::SearchRequest request;
  request.set_query("退货");
  v1::SearchResponse response;
  EXPECT_EQ(search_->Search(&context, request, &response).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(ServiceTest, CreatedEntryIsSearchableWithinOneSecond) {
  ImportSample();
  grpc::ClientContext context;
  v1::CreateEntryRequest request;
  request.mutable_entry()->set_question("礼品卡怎么使用？");
  request.mutable_entry()->add_variants("礼品卡余额怎么用");
  request.mutable_entry()->set_answer("在结算页选择礼品卡抵扣。");
  v1::Entry created;
  ASSERT_TRUE(knowledge_->CreateEntry(&context, request, &created).ok());
  EXPECT_FALSE(created.id().empty());
  EXPECT_EQ(created.version(), 1);
  const absl::Time start = absl::Now();
  bool found = false;
  while (!found && absl::Now() - start < absl::Seconds(1)) {
    v1::SearchResponse response = SearchFor("礼品卡");
    found = response.hits_size() > 0 && response.hits(0).entry().id() == created.id();
    if (!found) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(found) << "not searchable within 1 s";
}

TEST_F(ServiceTest, UpdateWithStaleVersionIsAbortedAndDeleteRemovesFromSearch) {
  ImportSample();
  v1::Entry entry;
  {
    grpc::ClientContext context;
    v1::GetEntryRequest request;
    request.set_id("shipping-fee");
    ASSERT_TRUE(knowledge_->GetEntry(&context, request, &entry).ok());
  }
  v1::UpdateEntryRequest update;
  *update.mutable_entry() = entry;
  update.mutable_entry()->set_answer("订单满88元包邮。");
  update.set_expected_version(entry.version());
  v1::Entry updated;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(knowledge_->UpdateEntry(&context, update, &updated).ok());
    EXPECT_EQ(updated.version(), entry.version() + 1);
  }
  {
    grpc::ClientContext context;  // a second editor with the old version
    update.mutable_entry()->set_answer("lost update");
    grpc::Status status = knowledge_->UpdateEntry(&context, update, &updated);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  }
  {
    grpc::ClientContext context;
    v1::DeleteEntryRequest request;
    request.set_id("shipping-fee");
    v1::DeleteEntryResponse response;
    ASSERT_TRUE(knowledge_->DeleteEntry(&context, request, &response).ok());
  }
  ZHIKU_ASSERT_OK(server_->knowledge_base().WaitUntilSearchable(absl::Seconds(5)));
  // A named response: range-for over .hits() of a temporary would read freed memory.
  const v1::SearchResponse after_delete = SearchFor("运费 包邮");
  for (const v1::SearchHit& hit : after_delete.hits()) EXPECT_NE(hit.entry().id(), "shipping-fee");
  grpc::ClientContext context;
  v1::GetEntryRequest get;
  get.set_id("shipping-fee");
  EXPECT_EQ(knowledge_->GetEntry(&context, get, &entry).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, ImportReportsBadLinesWithNumbersAndStoresTheRest) {
  std::vector<std::string> lines = {
      kKb[0],
      "{not json",
      "",
      R"({"id":"no-question","answer":"x"})",
      std::string(R"({"id":"bad-utf8","question":"退)") + "\xff" + R"(货"})",
      kKb[1],
      R"({"id":"returns-how-to","question":"duplicate id"})",
      R"({"id":"bad id","question":"q"})",
  };
  v1::ImportEntriesResponse response = Import(lines);
  EXPECT_EQ(response.lines_received(), 8);
  EXPECT_EQ(response.created(), 2);
  EXPECT_EQ(response.blank_lines(), 1);
  EXPECT_EQ(response.failed(), 5);
  std::vector<int64_t> error_lines;
  for (const v1::ImportError& error : response.errors()) error_lines.push_back(error.line_number());
  EXPECT_THAT(error_lines, ::testing::ElementsAre(2, 4, 5, 7, 8));
  EXPECT_THAT(response.errors(3).message(), HasSubstr("line 1"));

  // Re-import upserts: the entry is updated, not duplicated.
  v1::ImportEntriesResponse again = Import({kKb[0]});
  EXPECT_EQ(again.updated(), 1);
  EXPECT_EQ(again.created(), 0);
}

TEST_F(ServiceTest, ImportCanWaitUntilEverythingIsSearchable) {
  std::vector<std::string> lines;
  for (int i = 0; i < 300; ++i) {
    lines.push_back(absl::StrCat(R"({"id":"bulk-)", i, R"(","question":"批量导入的问题 quokka)", i, R"("})"));
  }
  grpc::ClientContext context;
  v1::ImportEntriesResponse response;
  auto writer = knowledge_->ImportEntries(&context, &response);
  for (const std::string& line : lines) {
    v1::ImportEntriesRequest request;
    request.set_jsonl_line(line);
    request.set_wait_until_searchable(true);
    ASSERT_TRUE(writer->Write(request));
  }
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(response.created(), 300);
  EXPECT_TRUE(response.searchable());
  // No waiting here: the reply promised it.
  v1::SearchResponse found = SearchFor("quokka299");
  ASSERT_GE(found.hits_size(), 1);
  EXPECT_EQ(found.hits(0).entry().id(), "bulk-299");
}

TEST_F(ServiceTest, ImportCorpusStoresMaskedCustomerMessagesAndCountsEveryLine) {
  const std::vector<std::string> lines = {
      // 1: a customer message with a phone number.
      R"({"conversation_id":"c1","message_id":"m1","role":"customer","text":"我的手机号是13812345678，怎么退货？","ts":"2026-11-02T09:32:36+08:00","channel":"wechat"})",
      // 2: the agent's reply is not corpus material.
      R"({"conversation_id":"c1","message_id":"m2","role":"agent","text":"请提供您的订单号"})",
      // 3: broken JSON.
      R"({"conversation_id":"c1","message_id":"m3","role":"customer","text":"坏了)",
      // 4: invalid UTF-8.
      std::string(R"({"conversation_id":"c1","message_id":"m4","role":"customer","text":"退)") + "\xff" + R"(货"})",
      // 5: the same text as line 1 in another conversation.
      R"({"conversation_id":"c2","message_id":"m5","role":"customer","text":"我的手机号是13812345678，怎么退货？"})",
      // 6: blank.
      "",
      // 7: a pasted wall of text over the 64 KiB limit.
      absl::StrCat(R"({"conversation_id":"c3","message_id":"m7","role":"customer","text":")",
                   std::string(70000, 'a'), R"("})"),
      // 8: English, with an e-mail address and spaces around it.
      R"({"conversation_id":"c4","message_id":"m8","role":"customer","text":"  mail me at jane.doe@example.com  "})",
      // 9: an unknown role is an error, not a guess.
      R"({"conversation_id":"c4","message_id":"m9","role":"user","text":"hi"})",
      // 10: a customer message with no text (a sticker).
      R"({"conversation_id":"c4","message_id":"m10","role":"customer","text":""})",
  };
  v1::ImportCorpusResponse response = ImportCorpus(lines);
  EXPECT_EQ(response.lines_received(), 10);
  EXPECT_EQ(response.stored(), 2);
  EXPECT_EQ(response.duplicates(), 1);
  EXPECT_EQ(response.skipped_not_customer(), 1);
  EXPECT_EQ(response.blank_lines(), 2);
  EXPECT_EQ(response.failed(), 4);
  EXPECT_EQ(response.masked_items(), 3);  // the phone twice, the e-mail once
  EXPECT_EQ(response.corpus_size(), 2);
  std::vector<int64_t> error_lines;
  for (const v1::ImportError& error : response.errors()) error_lines.push_back(error.line_number());
  EXPECT_THAT(error_lines, ::testing::ElementsAre(3, 4, 7, 9));
  EXPECT_THAT(response.errors(0).message(), HasSubstr("invalid JSON"));
  EXPECT_THAT(response.errors(1).message(), HasSubstr("UTF-8"));
  EXPECT_EQ(response.errors(2).id(), "m7");
  EXPECT_THAT(response.errors(2).message(), HasSubstr("70,000 bytes; the limit for a corpus message is 65,536"));
  EXPECT_THAT(response.errors(3).message(), HasSubstr("'user'"));

  // What the embedder will read: masked, trimmed, each text once.
  EXPECT_THAT(CorpusTexts(), ::testing::ElementsAre("我的手机号是[手机号]，怎么退货？", "mail me at [EMAIL]"));

  // The server is fine, and importing the same log again adds nothing.
  EXPECT_GE(Import({kKb[0]}).created(), 1);
  v1::ImportCorpusResponse again = ImportCorpus(lines);
  EXPECT_EQ(again.stored(), 0);
  EXPECT_EQ(again.duplicates(), 3);
  EXPECT_EQ(again.corpus_size(), 2);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t version, server_->knowledge_base().CorpusVersion());
  EXPECT_EQ(version, 2);
}

TEST_F(ServiceTest, ImportCorpusStoresLargeLogsInSeveralBatches) {
  std::vector<std::string> lines;
  for (int i = 0; i < 2500; ++i) {
    lines.push_back(absl::StrCat(R"({"role":"customer","text":"第)", i, R"(个问题：运单号SF)", 1000000000 + i, R"(到哪了"})"));
  }
  v1::ImportCorpusResponse response = ImportCorpus(lines);
  EXPECT_EQ(response.stored(), 2500);
  EXPECT_EQ(response.masked_items(), 2500);
  EXPECT_EQ(response.failed(), 0);
  EXPECT_EQ(response.corpus_size(), 2500);
  // Distinct by N, so all are stored, each with its tracking number masked.
  const std::vector<std::string> texts = CorpusTexts();
  ASSERT_EQ(texts.size(), 2500u);
  EXPECT_EQ(texts[7], "第7个问题：运单号[订单号]到哪了");
}

TEST_F(ServiceTest, ImportCorpusIntoAnUnknownKnowledgeBaseIsNotFound) {
  grpc::ClientContext context;
  v1::ImportCorpusResponse response;
  auto writer = knowledge_->ImportCorpus(&context, &response);
  v1::ImportCorpusRequest request;
  request.set_jsonl_line(R"({"role":"customer","text":"hi"})");
  request.set_knowledge_base("brand-b");
  writer->Write(request);
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t size, server_->knowledge_base().CorpusSize());
  EXPECT_EQ(size, 0);
}

TEST_F(ServiceTest, ExportStreamsEveryEntry) {
  ImportSample();
  grpc::ClientContext context;
  v1::ExportEntriesRequest request;
  auto reader = knowledge_->ExportEntries(&context, request);
  v1::ExportEntriesResponse batch;
  std::vector<std::string> ids;
  while (reader->Read(&batch))
    for (const v1::Entry& entry : batch.entries()) ids.push_back(entry.id());
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(ids.size(), std::size(kKb));
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST_F(ServiceTest, SuggestCompletesChineseAndEnglishPrefixes) {
  ImportSample();
  auto suggest = [&](const std::string& prefix) {
    grpc::ClientContext context;
    v1::SuggestRequest request;
    request.set_prefix(prefix);
    v1::SuggestResponse response;
    EXPECT_TRUE(search_->Suggest(&context, request, &response).ok());
    return response;
  };
  v1::SuggestResponse chinese = suggest("退货");
  ASSERT_GE(chinese.suggestions_size(), 1);
  EXPECT_EQ(chinese.suggestions(0).entry_id(), "returns-how-to");
  v1::SuggestResponse english = suggest("how do i get a ref");
  ASSERT_GE(english.suggestions_size(), 1);
  EXPECT_EQ(english.suggestions(0).entry_id(), "refund-en");
  grpc::ClientContext context;
  v1::SuggestRequest too_many;
  too_many.set_prefix("退");
  too_many.set_limit(50);
  v1::SuggestResponse response;
  EXPECT_EQ(search_->Suggest(&context, too_many, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::ClientContext broken_context;
  v1::SuggestRequest broken;
  broken.set_prefix("\xe9\x80");  // a character cut in half
  EXPECT_EQ(search_->Suggest(&broken_context, broken, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServiceTest, UnknownKnowledgeBaseIsNotFound) {
  v1::SearchRequest request;
  request.set_query("退货");
  request.set_knowledge_base("brand-b");
  v1::SearchResponse response;
  EXPECT_EQ(Search(request, &response).error_code(), grpc::StatusCode::NOT_FOUND);
}


TEST_F(ServiceTest, EmbedUsesTheServingModelAndChecksItsInput) {
  auto embed = [&](const std::vector<std::string>& texts, v1::EmbedResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::EmbedRequest request;
    for (const std::string& t : texts) request.add_texts(t);
    return search_->Embed(&context, request, response);
  };
  v1::EmbedResponse before;
  grpc::Status untrained = embed({"怎么申请退货"}, &before);
  EXPECT_EQ(untrained.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(untrained.error_message(), HasSubstr("--wait_model"));

  ImportSample();
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::GetStatusRequest request;
    request.set_wait_for_model_ms(50000);
    v1::KnowledgeBaseStatus status;
    grpc::Status rpc = knowledge_->GetStatus(&context, request, &status);
    ASSERT_TRUE(rpc.ok()) << rpc.error_message();
    ASSERT_GT(status.model_version(), 0) << status.vector_note();
  }
  v1::EmbedResponse response;
  // Two phrasings of the returns entry (one Traditional) and the tracking one.
  grpc::Status ok = embed({"怎么申请退货", "退貨流程是什麼", "How can I track my package?"}, &response);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_GT(response.model_version(), 0);
  ASSERT_GT(response.dim(), 0);
  ASSERT_EQ(response.embeddings_size(), 3);
  std::vector<std::vector<float>> v;
  for (const v1::Embedding& e : response.embeddings()) {
    ASSERT_EQ(e.values_size(), response.dim());
    v.emplace_back(e.values().begin(), e.values().end());
  }
  auto dot = [](const std::vector<float>& a, const std::vector<float>& b) {
    double sum = 0;
    for (size_t i = 0; i < a.size(); ++i) sum += static_cast<double>(a[i]) * b[i];
    return sum;
  };
  for (const auto& x : v) EXPECT_NEAR(dot(x, x), 1.0, 1e-4);
  EXPECT_GT(dot(v[0], v[1]), dot(v[0], v[2]));

  v1::EmbedResponse rejected;
  EXPECT_EQ(embed({}, &rejected).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(embed({std::string(5000, 'x')}, &rejected).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// ---- Bring-your-own vectors, end to end: import with vectors, search and
// answer with a query vector, restart, delete.

// Hand-made 3-dimensional vectors. The query "card arrive" is the keyword
// leg's match for card-arrival, but its vector [0, 0.1, 1] points at refund.
constexpr const char* kVectorKb[] = {
    R"({"id":"card-arrival","question":"When will my card arrive?","answer":"Cards arrive within 5 days.","vectors":[[1,0,0]]})",
    R"({"id":"card-lost","question":"I lost my card","answer":"Freeze it in the app.","vectors":[[0,1,0]]})",
    R"({"id":"refund","question":"How do I get a refund?","variants":["I want my money back"],"answer":"Request it on the order page.","vectors":[[0,0,1],[0.1,0,1]]})",
};

class OwnVectorsTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }

  void Start() {
    ServerOptions options;
    options.require_api_keys = false;  // API keys: auth_test.cc
    options.listen = "127.0.0.1:0";
    options.knowledge_base.data_dir = dir_.Sub("data");
    options.knowledge_base.semantic.retrain_quiet = absl::Milliseconds(100);
    auto server = ZhikuServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    search_ = v1::SearchService::NewStub(channel_);
    knowledge_ = v1::KnowledgeService::NewStub(channel_);
  }

  void Restart() {
    search_.reset();
    knowledge_.reset();
    channel_.reset();
    server_.reset();
    Start();
  }

  v1::ImportEntriesResponse Import(const std::vector<std::string>& lines) {
    grpc::ClientContext context;
    v1::ImportEntriesResponse response;
    auto writer = knowledge_->ImportEntries(&context, &response);
    for (size_t i = 0; i < lines.size(); ++i) {
      v1::ImportEntriesRequest request;
      request.set_jsonl_line(lines[i]);
      request.set_line_number(static_cast<int64_t>(i + 1));
      request.set_wait_until_searchable(true);
      EXPECT_TRUE(writer->Write(request));
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // Waits through the API until the vector leg reflects every write.
  void WaitForModel() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::GetStatusRequest request;
    request.set_wait_for_model_ms(50000);
    v1::KnowledgeBaseStatus status;
    grpc::Status rpc = knowledge_->GetStatus(&context, request, &status);
    ASSERT_TRUE(rpc.ok()) << rpc.error_message();
    ASSERT_GT(status.vector_base_vectors() + status.vector_delta_vectors(), 0) << status.vector_note();
  }

  static v1::RetrievalOptions Retrieval(std::vector<float> query_vector, double semantic_ratio) {
    v1::RetrievalOptions retrieval;
    retrieval.set_semantic_ratio(semantic_ratio);
    for (float x : query_vector) retrieval.add_query_vector(x);
    return retrieval;
  }

  grpc::Status Search(const std::string& query, const v1::RetrievalOptions& retrieval, v1::SearchResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::SearchRequest request;
    request.set_query(query);
    *request.mutable_retrieval() = retrieval;
    return search_->Search(&context, request, response);
  }

  grpc::Status Answer(const std::string& query, const v1::RetrievalOptions& retrieval, v1::AnswerResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::AnswerRequest request;
    request.set_query(query);
    *request.mutable_retrieval() = retrieval;
    return search_->Answer(&context, request, response);
  }

  std::vector<std::string> SearchIds(const std::string& query, const v1::RetrievalOptions& retrieval) {
    v1::SearchResponse response;
    grpc::Status status = Search(query, retrieval, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> ids;
    for (const v1::SearchHit& hit : response.hits()) ids.push_back(hit.entry().id());
    return ids;
  }

  zhiku::testing::TempDir dir_;
  std::unique_ptr<ZhikuServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SearchService::Stub> search_;
  std::unique_ptr<v1::KnowledgeService::Stub> knowledge_;
};

TEST_F(OwnVectorsTest, QueryVectorFindsTheNearestEntryAndSurvivesRestartAndDelete) {
  v1::ImportEntriesResponse imported = Import({std::begin(kVectorKb), std::end(kVectorKb)});
  ASSERT_EQ(imported.created(), 3) << (imported.errors_size() > 0 ? imported.errors(0).message() : "");
  WaitForModel();

  const std::vector<float> toward_refund = {0, 0.1f, 1};
  // Keyword only: the words win.
  EXPECT_EQ(SearchIds("card arrive", Retrieval({}, 0)).front(), "card-arrival");
  // Vector only: the query vector wins, over every entry.
  v1::SearchResponse found;
  ASSERT_TRUE(Search("card arrive", Retrieval(toward_refund, 1), &found).ok());
  ASSERT_GE(found.hits_size(), 2);
  EXPECT_EQ(found.hits(0).entry().id(), "refund");
  EXPECT_EQ(found.hits(1).entry().id(), "card-lost");
  EXPECT_TRUE(found.retrieval().vector_used()) << found.retrieval().note();
  EXPECT_EQ(found.hits(0).entry().vectors_size(), 0) << "hits leave vectors out";
  // A query vector alone (no words) is a query too.
  EXPECT_EQ(SearchIds("", Retrieval({0.9f, 0.1f, 0}, 1)).front(), "card-arrival");

  v1::AnswerResponse answer;
  grpc::Status answered = Answer("card arrive", Retrieval(toward_refund, 1), &answer);
  ASSERT_TRUE(answered.ok()) << answered.error_message();
  EXPECT_EQ(answer.top().entry().id(), "refund");
  EXPECT_TRUE(answer.retrieval().vector_used()) << answer.retrieval().note();

  // A query vector of another length is the caller's mistake.
  for (double ratio : {1.0, 0.0}) {
    v1::SearchResponse ignored;
    grpc::Status wrong = Search("card", Retrieval({1, 0}, ratio), &ignored);
    EXPECT_EQ(wrong.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << ratio;
    EXPECT_THAT(wrong.error_message(), HasSubstr("retrieval.query_vector has 2 values"));
    EXPECT_THAT(wrong.error_message(), HasSubstr("have 3 dimensions"));
  }
  v1::AnswerResponse ignored;
  EXPECT_EQ(Answer("card", Retrieval({1, 0, 0, 0}, 1), &ignored).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // An import line whose vectors have another dimension fails alone.
  v1::ImportEntriesResponse mixed = Import({
      R"({"id":"wrong-dim","question":"q","vectors":[[1,0]]})",
      R"({"id":"card-lost","question":"I lost my card","answer":"Freeze it in the app.","vectors":[[0,1,0.2]]})",
  });
  EXPECT_EQ(mixed.updated(), 1);
  ASSERT_EQ(mixed.errors_size(), 1);
  EXPECT_EQ(mixed.errors(0).line_number(), 1);
  EXPECT_THAT(mixed.errors(0).message(), HasSubstr("vectors have dimension 2 but this knowledge base's vectors have dimension 3"));

  // Export gives the vectors back.
  {
    grpc::ClientContext context;
    v1::ExportEntriesRequest request;
    auto reader = knowledge_->ExportEntries(&context, request);
    v1::ExportEntriesResponse batch;
    std::map<std::string, int> vector_counts;
    while (reader->Read(&batch)) {
      for (const v1::Entry& e : batch.entries()) vector_counts[e.id()] = e.vectors_size();
    }
    ASSERT_TRUE(reader->Finish().ok());
    EXPECT_EQ(vector_counts, (std::map<std::string, int>{{"card-arrival", 1}, {"card-lost", 1}, {"refund", 2}}));
  }

  // The vectors are in the store: a restarted server serves them.
  Restart();
  WaitForModel();
  EXPECT_EQ(SearchIds("card arrive", Retrieval(toward_refund, 1)).front(), "refund");
  {
    grpc::ClientContext context;
    v1::GetEntryRequest get;
    get.set_id("refund");
    v1::Entry entry;
    ASSERT_TRUE(knowledge_->GetEntry(&context, get, &entry).ok());
    ASSERT_EQ(entry.vectors_size(), 2);
    EXPECT_THAT(entry.vectors(1).values(), ::testing::ElementsAre(0.1f, 0.0f, 1.0f));
  }

  // A deleted entry leaves the vector leg with the next index publish.
  {
    grpc::ClientContext context;
    v1::DeleteEntryRequest request;
    request.set_id("refund");
    v1::DeleteEntryResponse response;
    ASSERT_TRUE(knowledge_->DeleteEntry(&context, request, &response).ok());
  }
  ZHIKU_ASSERT_OK(server_->knowledge_base().WaitUntilSearchable(absl::Seconds(5)));
  std::vector<std::string> after_delete = SearchIds("card arrive", Retrieval(toward_refund, 1));
  EXPECT_THAT(after_delete, ::testing::Not(::testing::Contains("refund")));
  ASSERT_FALSE(after_delete.empty());
  EXPECT_EQ(after_delete.front(), "card-lost");
}

TEST_F(OwnVectorsTest, QueryVectorForAKnowledgeBaseWithoutVectorsIsInvalidArgument) {
  Import({R"({"id":"plain","question":"How do I get a refund?"})"});
  v1::SearchResponse response;
  grpc::Status status = Search("refund", Retrieval({1, 0, 0}, 0.5), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("has no vectors of its own"));
}

TEST_F(OwnVectorsTest, CreateAndUpdateCheckVectorsWithClearErrors) {
  auto create = [&](const std::string& id, std::vector<std::vector<float>> vectors, v1::Entry* out) {
    grpc::ClientContext context;
    v1::CreateEntryRequest request;
    request.mutable_entry()->set_id(id);
    request.mutable_entry()->set_question("question " + id);
    for (const std::vector<float>& v : vectors) {
      v1::EntryVector* vector = request.mutable_entry()->add_vectors();
      for (float x : v) vector->add_values(x);
    }
    return knowledge_->CreateEntry(&context, request, out);
  };
  v1::Entry created;
  ASSERT_TRUE(create("a", {{1, 2, 3, 4}}, &created).ok());
  ASSERT_EQ(created.vectors_size(), 1);
  EXPECT_THAT(created.vectors(0).values(), ::testing::ElementsAre(1, 2, 3, 4));

  grpc::Status wrong_dim = create("b", {{1, 2, 3}}, &created);
  EXPECT_EQ(wrong_dim.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(wrong_dim.error_message(), HasSubstr("vectors have dimension 3 but this knowledge base's vectors have dimension 4"));
  grpc::Status two = create("c", {{1, 2, 3, 4}, {1, 2, 3, 4}}, &created);
  EXPECT_EQ(two.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(two.error_message(), HasSubstr("2 vectors given; give 1 (for the whole entry) or 1"));
  grpc::Status nan = create("d", {{1, std::numeric_limits<float>::quiet_NaN(), 3, 4}}, &created);
  EXPECT_EQ(nan.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(nan.error_message(), HasSubstr("vectors[0][1] is not a finite number"));

  grpc::ClientContext context;
  v1::UpdateEntryRequest update;
  update.mutable_entry()->set_id("a");
  update.mutable_entry()->set_question("question a");
  update.mutable_entry()->add_vectors()->add_values(1);
  v1::Entry updated;
  // "a" is the only entry with vectors, so its dimension may change.
  ASSERT_TRUE(knowledge_->UpdateEntry(&context, update, &updated).ok());
  EXPECT_THAT(updated.vectors(0).values(), ::testing::ElementsAre(1));
}


TEST_F(OwnVectorsTest, ExportSplitsLargeVectorsIntoMessagesOfAboutOneMebibyte) {
  std::vector<std::string> lines;
  std::string values = "0.5";
  for (int i = 1; i < 4096; ++i) values += ",0.25";
  for (int i = 0; i < 100; ++i) {
    lines.push_back(absl::StrCat(R"({"id":"big-)", i, R"(","question":"question )", i, R"(","vectors":[[)", values,
                                 "]]}"));
  }
  ASSERT_EQ(Import(lines).created(), 100);
  grpc::ClientContext context;
  v1::ExportEntriesRequest request;
  auto reader = knowledge_->ExportEntries(&context, request);
  v1::ExportEntriesResponse batch;
  int messages = 0, entries = 0;
  while (reader->Read(&batch)) {
    ++messages;
    entries += batch.entries_size();
    // 100 entries of 16 KiB each would be 1.6 MiB in one message.
    EXPECT_LE(batch.ByteSizeLong(), (1u << 20) + 20000u);
    for (const v1::Entry& e : batch.entries()) ASSERT_EQ(e.vectors(0).values_size(), 4096);
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(entries, 100);
  EXPECT_GE(messages, 2);
}

}  // namespace
}  // namespace zhiku
