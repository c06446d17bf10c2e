#include "index/knowledge_base.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

Entry MakeEntry(std::string id, std::string question, std::vector<std::string> variants, std::string answer) {
  Entry e;
  e.id = std::move(id);
  e.question = std::move(question);
  e.variants = std::move(variants);
  e.answer = std::move(answer);
  e.category = "test";
  e.locale = "zh-CN";
  return e;
}

class KnowledgeBaseTest : public ::testing::Test {
 protected:
  std::unique_ptr<KnowledgeBase> Open() {
    KnowledgeBaseOptions options;
    options.data_dir = dir_.Sub("kb");
    auto kb = KnowledgeBase::Open(options);
    EXPECT_TRUE(kb.ok()) << kb.status();
    return kb.ok() ? *std::move(kb) : nullptr;
  }

  static void Fill(KnowledgeBase& kb) {
    ASSERT_TRUE(kb.CreateEntry(MakeEntry("returns", "怎么申请退货？", {"退货流程是什么"}, "7天无理由退货。")).ok());
    ASSERT_TRUE(kb.CreateEntry(MakeEntry("invoice", "怎么开发票？", {"发票在哪里开"}, "在订单详情申请发票。")).ok());
    ASSERT_TRUE(kb.CreateEntry(MakeEntry("coupon", "优惠券用不了", {"券不能用"}, "检查使用门槛。")).ok());
    ZHIKU_ASSERT_OK(kb.WaitUntilSearchable(absl::Seconds(5)));
  }

  static std::string TopId(const KnowledgeBase& kb, const std::string& query) {
    SearchRequest request;
    request.query = query;
    absl::StatusOr<SearchResult> result = kb.Search(request);
    if (!result.ok() || result->hits.empty()) return "";
    return result->hits[0].entry->entry.id;
  }

  zhiku::testing::TempDir dir_;
};

TEST_F(KnowledgeBaseTest, WritesBecomeSearchableAndDeletesDisappear) {
  auto kb = Open();
  ASSERT_NE(kb, nullptr);
  Fill(*kb);
  EXPECT_EQ(TopId(*kb, "如何退貨"), "returns");
  EXPECT_EQ(TopId(*kb, "开发票"), "invoice");
  ZHIKU_ASSERT_OK(kb->DeleteEntry("returns", 0));
  ZHIKU_ASSERT_OK(kb->WaitUntilSearchable(absl::Seconds(5)));
  EXPECT_NE(TopId(*kb, "如何退貨"), "returns");
  EXPECT_EQ(kb->Stats().entries, 2);
}

TEST_F(KnowledgeBaseTest, TraditionalQueryGetsTraditionalHighlights) {
  auto kb = Open();
  ASSERT_NE(kb, nullptr);
  Fill(*kb);
  SearchRequest request;
  request.query = "退貨流程";
  ZHIKU_ASSERT_OK_AND_ASSIGN(SearchResult result, kb->Search(request));
  ASSERT_FALSE(result.hits.empty());
  EXPECT_TRUE(result.traditional_query);
  EXPECT_EQ(result.hits[0].matched_field, MatchedField::kVariant);
  EXPECT_EQ(result.hits[0].matched_text, "退货流程是什么");
  EXPECT_THAT(result.hits[0].highlighted_text, ::testing::HasSubstr("<em>退貨流程</em>"));
}

TEST_F(KnowledgeBaseTest, ReopenCatchesUpAndDeletedIndexIsRebuilt) {
  {
    auto kb = Open();
    ASSERT_NE(kb, nullptr);
    Fill(*kb);
  }
  {
    auto kb = Open();
    ASSERT_NE(kb, nullptr);
    EXPECT_FALSE(kb->Stats().rebuilt_on_open);
    EXPECT_EQ(TopId(*kb, "优惠券"), "coupon");
  }
  std::filesystem::remove_all(dir_.Sub("kb/index"));
  auto kb = Open();
  ASSERT_NE(kb, nullptr);
  EXPECT_TRUE(kb->Stats().rebuilt_on_open);
  EXPECT_EQ(TopId(*kb, "优惠券"), "coupon");
  EXPECT_EQ(TopId(*kb, "退货"), "returns");
}

TEST_F(KnowledgeBaseTest, CorruptIndexIsRebuiltFromTheStore) {
  {
    auto kb = Open();
    ASSERT_NE(kb, nullptr);
    Fill(*kb);
  }
  for (const auto& file : std::filesystem::directory_iterator(dir_.Sub("kb/index/keyword"))) {
    std::ofstream(file.path(), std::ios::trunc) << "garbage";
  }
  auto kb = Open();
  ASSERT_NE(kb, nullptr);
  EXPECT_EQ(TopId(*kb, "发票"), "invoice");
}

TEST_F(KnowledgeBaseTest, ReadersNeverFailWhileAWriterCommits) {
  auto kb = Open();
  ASSERT_NE(kb, nullptr);
  Fill(*kb);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, searches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        SearchRequest request;
        request.query = "怎么 退货 发票";
        absl::StatusOr<SearchResult> result = kb->Search(request);
        if (!result.ok()) {
          ++failures;
          ADD_FAILURE() << result.status();
        }
        kb->Suggest(SuggestQuery{"怎么", {}, 8});
        ++searches;
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(kb->CreateEntry(MakeEntry(absl::StrCat("bulk-", i), absl::StrCat("批量问题", i), {}, "a")).ok());
  }
  ZHIKU_ASSERT_OK(kb->WaitUntilSearchable(absl::Seconds(10)));
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(kb->Stats().entries, 203);
  EXPECT_EQ(TopId(*kb, "批量问题199"), "bulk-199");
}

std::unique_ptr<KnowledgeBase> OpenSemantic(const std::string& dir) {
  KnowledgeBaseOptions options;
  options.data_dir = dir;
  options.semantic.fasttext.epochs = 5;
  options.semantic.fasttext.dim = 16;
  options.semantic.fasttext.bucket = 10000;
  options.semantic.retrain_quiet = absl::ZeroDuration();
  options.semantic.min_retrain_interval = absl::Hours(1);  // only requested retrains
  auto kb = KnowledgeBase::Open(options);
  EXPECT_TRUE(kb.ok()) << kb.status();
  return kb.ok() ? *std::move(kb) : nullptr;
}

TEST_F(KnowledgeBaseTest, RequestedRetrainLearnsTheLatestWriteNotAStaleSnapshot) {
  auto kb = OpenSemantic(dir_.Sub("kb"));
  ASSERT_NE(kb, nullptr);
  Fill(*kb);
  ZHIKU_ASSERT_OK(kb->WaitUntilModelCurrent(absl::Seconds(60)));
  const int64_t first = kb->Stats().model_version;
  ASSERT_GT(first, 0);
  // A write and a retrain request at once: the trainer must not train on
  // the snapshot from before the write.
  ASSERT_TRUE(kb->CreateEntry(MakeEntry("shipping", "多久发货", {"什么时候发货"}, "48小时内发货。")).ok());
  kb->RequestRetrain();
  ZHIKU_ASSERT_OK(kb->WaitUntilModelCurrent(absl::Seconds(60)));
  const KnowledgeBaseStats stats = kb->Stats();
  EXPECT_GT(stats.model_version, first);
  EXPECT_EQ(stats.model_seq, stats.store_seq);
}

TEST_F(KnowledgeBaseTest, NewCorpusTextRetrainsTheModelWithPseudoLabels) {
  auto kb = OpenSemantic(dir_.Sub("kb"));
  ASSERT_NE(kb, nullptr);
  Fill(*kb);
  ZHIKU_ASSERT_OK(kb->WaitUntilModelCurrent(absl::Seconds(60)));
  EXPECT_EQ(kb->Stats().model_corpus_texts, 0);
  absl::StatusOr<CorpusAddOutcome> added =
      kb->AddCorpus({"退货流程是什么", "退货要多久退款", "发票怎么开具", "优惠券过期了"}, "test");
  ZHIKU_ASSERT_OK(added.status());
  EXPECT_EQ(added->stored, 4);
  kb->RequestRetrain();
  // Waiting for the model now means waiting for one that has seen the corpus.
  ZHIKU_ASSERT_OK(kb->WaitUntilModelCurrent(absl::Seconds(60)));
  const KnowledgeBaseStats stats = kb->Stats();
  EXPECT_GT(stats.model_corpus_texts, 0);
  EXPECT_LE(stats.model_corpus_texts, 4);
  // The corpus trains the embedder only: no corpus text becomes a result.
  SearchRequest request;
  request.query = "退货要多久退款";
  absl::StatusOr<SearchResult> result = kb->Search(request);
  ZHIKU_ASSERT_OK(result.status());
  for (const SearchHit& hit : result->hits) EXPECT_NE(hit.entry, nullptr);
  EXPECT_EQ(kb->Stats().entries, 3);
}

TEST_F(KnowledgeBaseTest, ClosingDuringTrainingDoesNotWaitForTheModel) {
  KnowledgeBaseOptions options;
  options.data_dir = dir_.Sub("kb");
  options.semantic.fasttext.epochs = 2000000;  // hours if it ran to the end
  options.semantic.fasttext.dim = 16;
  options.semantic.fasttext.bucket = 10000;
  options.semantic.retrain_quiet = absl::ZeroDuration();
  auto opened = KnowledgeBase::Open(options);
  ZHIKU_ASSERT_OK(opened.status());
  std::unique_ptr<KnowledgeBase> kb = *std::move(opened);
  Fill(*kb);
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!kb->Stats().training && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  ASSERT_TRUE(kb->Stats().training) << "training never started";
  absl::SleepFor(absl::Milliseconds(200));
  const absl::Time start = absl::Now();
  kb.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  // The store is intact: reopening finds the entries (and trains anew).
  options.semantic.enabled = false;
  auto reopened = KnowledgeBase::Open(options);
  ZHIKU_ASSERT_OK(reopened.status());
  EXPECT_EQ((*reopened)->Stats().entries, 3);
}

TEST_F(KnowledgeBaseTest, EmptyDataDirIsRejected) {
  KnowledgeBaseOptions options;
  EXPECT_EQ(KnowledgeBase::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zhiku
