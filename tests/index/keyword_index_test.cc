#include "index/keyword_index.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/entry.h"
#include "index/filters.h"
#include "index/snapshot.h"
#include "index/text_normalizer.h"
#include "index/tokenizer.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAreArray;
using ::zhiku::testing::TempDir;

Entry MakeEntry(std::string id, std::string question, std::vector<std::string> variants, std::string answer,
                std::string category, std::vector<std::string> tags, std::string locale,
                std::string channel) {
  Entry e;
  e.id = std::move(id);
  e.question = std::move(question);
  e.variants = std::move(variants);
  e.answer = std::move(answer);
  e.category = std::move(category);
  e.tags = std::move(tags);
  e.locale = std::move(locale);
  e.channel = std::move(channel);
  return e;
}

// Filters from (field, values) pairs, through the API-boundary parser.
Filters MakeFilters(std::initializer_list<std::pair<absl::string_view, std::vector<std::string>>> fields) {
  Filters filters;
  for (const auto& [field, values] : fields) {
    const absl::Status status = AddFilter(field, values, &filters);
    EXPECT_TRUE(status.ok()) << status;
  }
  return filters;
}

// A small after-sales knowledge base: one returns entry and distractors that
// share characters and words with it (退 in 退款, 货 in 发货, 怎么/如何
// everywhere).
std::vector<Entry> SampleEntries() {
  return {
      MakeEntry("returns", "如何申请退货？", {"买的东西不想要了能退吗"},
                "在“我的订单”中选择商品，点击“申请售后”并填写原因，审核通过后寄回即可。", "after_sales",
                {"returns", "orders"}, "zh-CN", "app"),
      MakeEntry("refund", "退款多久到账？", {"钱什么时候能退回来"}, "退款审核通过后1-3个工作日原路退回。",
                "after_sales", {"refund", "payments"}, "zh-CN", "web"),
      MakeEntry("shipping", "下单后多久发货？", {"什么时候发货", "物流怎么查"},
                "付款后48小时内发货，可在订单详情查看物流。", "logistics", {"shipping", "orders"}, "zh-CN",
                "app"),
      MakeEntry("invoice", "怎麼開發票？", {"如何申請電子發票"}, "在訂單詳情頁點擊「申請發票」。", "billing",
                {"invoice"}, "zh-TW", "web"),
      MakeEntry("coupon", "优惠券怎么用？", {"如何使用优惠券下单"}, "结算时在优惠券一栏选择可用的券。",
                "marketing", {"coupon", "payments"}, "zh-CN", "app"),
      MakeEntry("password", "忘记密码怎么办？", {"如何重置登录密码"}, "在登录页点击“忘记密码”，按提示重置。",
                "account", {"account"}, "zh-CN", "all"),
      MakeEntry("en-returns", "How do I return an item?", {"Can I send back a product I bought?"},
                "Open Orders, choose the item and select Return. Pack it and drop it off within 30 days.",
                "after_sales", {"returns"}, "en", "web"),
      MakeEntry("en-refund", "When will I get my refund?", {"How long do refunds take?"},
                "Refunds reach your card 3 to 5 business days after we receive the parcel.", "after_sales",
                {"refund"}, "en", "app"),
      MakeEntry("en-shipping", "How long does shipping take?", {"When will my order arrive?"},
                "Standard delivery takes 2 to 4 days.", "logistics", {"shipping"}, "en", "all"),
  };
}

class KeywordIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZHIKU_ASSERT_OK_AND_ASSIGN(normalizer_, TextNormalizer::Create());
    ZHIKU_ASSERT_OK_AND_ASSIGN(index_, KeywordIndex::Open(dir_.Sub("kw")));
  }

  void PutAll(KeywordIndex& index, const std::vector<Entry>& entries) {
    for (const Entry& e : entries) ZHIKU_ASSERT_OK(index.Put(*MakeIndexedEntry(e, *normalizer_)));
  }

  KeywordQuery Query(absl::string_view text, int limit = 10, int offset = 0) const {
    KeywordQuery q;
    q.tokens = Tokenize(normalizer_->Normalize(text));
    q.limit = limit;
    q.offset = offset;
    return q;
  }

  // Entry ids of the hits, best first.
  static std::vector<std::string> Ids(const KeywordResult& result) {
    std::vector<std::string> ids;
    for (const KeywordHit& hit : result.hits) ids.push_back(hit.entry_id);
    return ids;
  }

  TempDir dir_;
  std::unique_ptr<TextNormalizer> normalizer_;
  std::unique_ptr<KeywordIndex> index_;
};

TEST_F(KeywordIndexTest, NewIndexIsEmpty) {
  EXPECT_EQ(index_->committed_seq(), 0);
  EXPECT_EQ(index_->store_id(), "");
  EXPECT_EQ(index_->entry_count(), 0);
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query("退货")));
  EXPECT_TRUE(result.hits.empty());
  EXPECT_EQ(result.total_estimate, 0);
}

TEST_F(KeywordIndexTest, ChineseParaphrasesFindTheReturnsEntryFirst) {
  PutAll(*index_, SampleEntries());
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  for (const char* query : {"怎么退货", "如何退貨", "退货流程", "我想退货", "退貨要怎麼申請？"}) {
    ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query(query)));
    ASSERT_FALSE(result.hits.empty()) << query;
    EXPECT_EQ(result.hits[0].entry_id, "returns") << query;
  }
}

TEST_F(KeywordIndexTest, DistractorsWinTheirOwnQueries) {
  PutAll(*index_, SampleEntries());
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  struct Case {
    const char* query;
    const char* expected;
  };
  for (const Case& c : std::vector<Case>{{"退款多久能到", "refund"},
                                         {"什么时候发货", "shipping"},
                                         {"开发票", "invoice"},  // Traditional entry, Simplified query
                                         {"優惠券怎麼使用", "coupon"},
                                         {"密码忘了", "password"},
                                         {"refund", "en-refund"}}) {
    ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query(c.query)));
    ASSERT_FALSE(result.hits.empty()) << c.query;
    EXPECT_EQ(result.hits[0].entry_id, c.expected) << c.query;
  }
}

TEST_F(KeywordIndexTest, EnglishStemmingMatchesInflectedForms) {
  PutAll(*index_, SampleEntries());
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query("Returning items")));
  ASSERT_FALSE(result.hits.empty());
  EXPECT_EQ(result.hits[0].entry_id, "en-returns");
  EXPECT_EQ(result.hits[0].phrasing, 0);
}

TEST_F(KeywordIndexTest, ReportsTheBestMatchingPhrasing) {
  PutAll(*index_, SampleEntries());
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  struct Case {
    const char* query;
    const char* entry;
    int phrasing;
  };
  for (const Case& c : std::vector<Case>{{"申请退货", "returns", 0},
                                         {"东西不想要了", "returns", 1},
                                         {"物流怎么查询", "shipping", 2},
                                         {"send back a product", "en-returns", 1}}) {
    ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query(c.query)));
    ASSERT_FALSE(result.hits.empty()) << c.query;
    EXPECT_EQ(result.hits[0].entry_id, c.entry) << c.query;
    EXPECT_EQ(result.hits[0].phrasing, c.phrasing) << c.query;
  }
}

TEST_F(KeywordIndexTest, AnswerOnlyMatchRanksBelowQuestionMatch) {
  PutAll(*index_,
         {MakeEntry("points", "积分怎么兑换礼品", {}, "在会员中心的兑换页选择礼品。", "", {}, "", ""),
          MakeEntry("levels", "会员等级说明", {}, "积分满1000升级为银卡，积分满5000升级为金卡。", "", {}, "",
                    "")});
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query("积分")));
  ASSERT_EQ(result.hits.size(), 2u);
  EXPECT_EQ(result.hits[0].entry_id, "points");
  EXPECT_EQ(result.hits[0].phrasing, 0);
  EXPECT_EQ(result.hits[1].entry_id, "levels");
  EXPECT_EQ(result.hits[1].phrasing, kAnswerPhrasing);
  EXPECT_GT(result.hits[0].score, result.hits[1].score);
}

TEST_F(KeywordIndexTest, AnswerWeightZeroIgnoresTheAnswer) {
  index_.reset();
  KeywordIndexOptions options;
  options.answer_weight = 0;
  ZHIKU_ASSERT_OK_AND_ASSIGN(index_, KeywordIndex::Open(dir_.Sub("kw"), options));
  PutAll(*index_, {MakeEntry("levels", "会员等级说明", {}, "积分满1000升级为银卡。", "", {}, "", "")});
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query("积分")));
  EXPECT_TRUE(result.hits.empty());
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult by_question, index_->Search(Query("会员等级")));
  ASSERT_EQ(by_question.hits.size(), 1u);
  EXPECT_EQ(by_question.hits[0].entry_id, "levels");
}

TEST_F(KeywordIndexTest, EliteSetKeepsTheRareTermsOfALongQuery) {
  index_.reset();
  KeywordIndexOptions options;
  options.max_query_terms = 6;
  ZHIKU_ASSERT_OK_AND_ASSIGN(index_, KeywordIndex::Open(dir_.Sub("kw"), options));
  std::vector<Entry> entries;
  // Many entries share the common words; one has the rare one.
  for (int i = 0; i < 30; ++i) {
    entries.push_back(MakeEntry(absl::StrCat("common-", i), absl::StrCat("请问我的订单怎么查询进度 ", i), {}, "a", "",
                                {}, "", ""));
  }
  entries.push_back(MakeEntry("invoice", "订单发票抬头怎么修改", {}, "a", "", {}, "", ""));
  PutAll(*index_, entries);
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  // Far more than 6 distinct terms; the elite set keeps 发票/抬头, not 订单/怎么.
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result,
                             index_->Search(Query("请问我的订单怎么查询进度以及发票抬头怎么修改")));
  ASSERT_FALSE(result.hits.empty());
  EXPECT_EQ(result.hits[0].entry_id, "invoice");
  // A short query is unaffected by the cap.
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult short_query, index_->Search(Query("发票")));
  ASSERT_EQ(short_query.hits.size(), 1u);
  EXPECT_EQ(short_query.hits[0].entry_id, "invoice");
}

TEST_F(KeywordIndexTest, RejectsInvalidOptions) {
  KeywordIndexOptions options;
  options.b = 1.5;
  EXPECT_EQ(KeywordIndex::Open(dir_.Sub("other"), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A query that shares at least one term with every sample entry.
constexpr char kBroadQuery[] = "怎么 如何 退款 发货 发票 优惠券 密码 退货 return refund shipping";

TEST_F(KeywordIndexTest, FiltersAreAndAcrossFieldsAndOrWithinAField) {
  const std::vector<Entry> entries = SampleEntries();
  PutAll(*index_, entries);
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult all, index_->Search(Query(kBroadQuery, 100)));
  ASSERT_EQ(all.hits.size(), entries.size());

  struct Case {
    Filters filters;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {MakeFilters({{"category", {"after_sales"}}}), {"returns", "refund", "en-returns", "en-refund"}},
      {MakeFilters({{"category", {"after_sales", "billing"}}}),
       {"returns", "refund", "en-returns", "en-refund", "invoice"}},
      {MakeFilters({{"tags", {"payments"}}}), {"refund", "coupon"}},
      {MakeFilters({{"locale", {"en"}}}), {"en-returns", "en-refund", "en-shipping"}},
      {MakeFilters({{"channel", {"app"}}}), {"returns", "shipping", "coupon", "en-refund"}},
      {MakeFilters({{"category", {"after_sales"}}, {"channel", {"app"}}}), {"returns", "en-refund"}},
      {MakeFilters({{"category", {"after_sales"}}, {"tags", {"refund", "returns"}}, {"locale", {"zh-CN"}}}),
       {"returns", "refund"}},
      {MakeFilters({{"tags", {"orders"}}, {"locale", {"zh-CN", "zh-TW"}}, {"channel", {"app", "web"}}}),
       {"returns", "shipping"}},
      // Values compare exactly: no case folding, no prefix matching.
      {MakeFilters({{"category", {"After_Sales"}}}), {}},
      {MakeFilters({{"category", {"after"}}}), {}},
      {MakeFilters({{"category", {"after_sales"}}, {"locale", {"fr"}}}), {}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    KeywordQuery q = Query(kBroadQuery, 100);
    q.filters = cases[i].filters;
    ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(q));
    EXPECT_THAT(Ids(result), UnorderedElementsAreArray(cases[i].expected)) << "case " << i;
    // The index agrees with the in-memory filter used by suggest and listing.
    std::vector<std::string> by_matches;
    for (const Entry& e : entries) {
      if (Matches(cases[i].filters, e)) by_matches.push_back(e.id);
    }
    EXPECT_THAT(Ids(result), UnorderedElementsAreArray(by_matches)) << "case " << i;
  }
}

TEST_F(KeywordIndexTest, PagesContinueWithoutDuplicates) {
  const std::vector<Entry> entries = SampleEntries();
  PutAll(*index_, entries);
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult all, index_->Search(Query(kBroadQuery, 100)));
  ASSERT_EQ(all.hits.size(), entries.size());
  EXPECT_EQ(all.total_estimate, static_cast<int64_t>(entries.size()));

  std::vector<std::string> paged;
  for (int offset = 0; offset < 12; offset += 4) {
    ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult page, index_->Search(Query(kBroadQuery, 4, offset)));
    EXPECT_LE(page.hits.size(), 4u);
    // An estimate (Xapian's, adjusted for collapsing): only a lower bound holds.
    EXPECT_GE(page.total_estimate, offset + static_cast<int64_t>(page.hits.size()));
    for (size_t i = 0; i < page.hits.size(); ++i) {
      EXPECT_EQ(page.hits[i].score, all.hits[offset + i].score);
      paged.push_back(page.hits[i].entry_id);
    }
  }
  EXPECT_EQ(paged, Ids(all));
  EXPECT_EQ(std::set<std::string>(paged.begin(), paged.end()).size(), paged.size());

  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult beyond, index_->Search(Query(kBroadQuery, 4, 100)));
  EXPECT_TRUE(beyond.hits.empty());
  EXPECT_EQ(index_->Search(Query(kBroadQuery, -1)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(KeywordIndexTest, EmptyTokensMatchNothing) {
  PutAll(*index_, SampleEntries());
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  for (const char* text : {"", "   ", "？！。"}) {
    ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query(text)));
    EXPECT_TRUE(result.hits.empty()) << text;
    EXPECT_EQ(result.total_estimate, 0) << text;
  }
  KeywordQuery filtered_only;
  filtered_only.filters.categories = {"after_sales"};
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(filtered_only));
  EXPECT_TRUE(result.hits.empty());
}

TEST_F(KeywordIndexTest, UnknownTermsMatchNothing) {
  PutAll(*index_, SampleEntries());
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query("xylophone 鳄鱼")));
  EXPECT_TRUE(result.hits.empty());
}

TEST_F(KeywordIndexTest, ChangesAreInvisibleUntilCommit) {
  PutAll(*index_, SampleEntries());
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult before, index_->Search(Query("退货")));
  EXPECT_TRUE(before.hits.empty());
  EXPECT_EQ(index_->entry_count(), 0);
  ZHIKU_ASSERT_OK(index_->Commit(7, "store"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult after, index_->Search(Query("退货")));
  ASSERT_FALSE(after.hits.empty());
  EXPECT_EQ(after.hits[0].entry_id, "returns");
  EXPECT_EQ(index_->entry_count(), static_cast<int64_t>(SampleEntries().size()));
}

TEST_F(KeywordIndexTest, PutTwiceReplacesTheEntry) {
  PutAll(*index_, SampleEntries());
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  Entry changed = SampleEntries()[0];
  changed.question = "商品可以退换吗";
  changed.variants = {"七天无理由退换"};
  ZHIKU_ASSERT_OK(index_->Put(*MakeIndexedEntry(changed, *normalizer_)));
  ZHIKU_ASSERT_OK(index_->Put(*MakeIndexedEntry(changed, *normalizer_)));
  ZHIKU_ASSERT_OK(index_->Commit(2, "store"));

  // The old variant is gone.
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult old_text, index_->Search(Query("东西不想要了", 100)));
  for (const KeywordHit& hit : old_text.hits) EXPECT_NE(hit.entry_id, "returns");
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult new_text, index_->Search(Query("七天无理由退换", 100)));
  ASSERT_FALSE(new_text.hits.empty());
  EXPECT_EQ(new_text.hits[0].entry_id, "returns");
  EXPECT_EQ(new_text.hits[0].phrasing, 1);
  // entry_count counts answer documents: a second answer document would show.
  EXPECT_EQ(index_->entry_count(), static_cast<int64_t>(SampleEntries().size()));
}

TEST_F(KeywordIndexTest, RemoveDeletesEveryDocumentOfTheEntry) {
  PutAll(*index_, SampleEntries());
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  ZHIKU_ASSERT_OK(index_->Remove("returns"));
  ZHIKU_ASSERT_OK(index_->Remove("no-such-entry"));
  ZHIKU_ASSERT_OK(index_->Commit(2, "store"));
  EXPECT_EQ(index_->entry_count(), static_cast<int64_t>(SampleEntries().size()) - 1);
  for (const char* text : {"申请退货", "不想要了", "申请售后"}) {  // question, variant, answer
    ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query(text, 100)));
    for (const KeywordHit& hit : result.hits) EXPECT_NE(hit.entry_id, "returns") << text;
  }
}

TEST_F(KeywordIndexTest, ClearRemovesEverything) {
  PutAll(*index_, SampleEntries());
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));
  ZHIKU_ASSERT_OK(index_->Clear());
  PutAll(*index_, {SampleEntries()[1]});
  ZHIKU_ASSERT_OK(index_->Commit(2, "store"));
  EXPECT_EQ(index_->entry_count(), 1);
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query(kBroadQuery, 100)));
  EXPECT_THAT(Ids(result), ElementsAre("refund"));
}

TEST_F(KeywordIndexTest, CommitMetadataSurvivesReopen) {
  PutAll(*index_, SampleEntries());
  ZHIKU_ASSERT_OK(index_->Commit(42, "store-7f3a"));
  EXPECT_EQ(index_->committed_seq(), 42);
  EXPECT_EQ(index_->store_id(), "store-7f3a");
  // Uncommitted changes are discarded when the index is closed.
  ZHIKU_ASSERT_OK(index_->Remove("returns"));
  index_.reset();

  ZHIKU_ASSERT_OK_AND_ASSIGN(index_, KeywordIndex::Open(dir_.Sub("kw")));
  EXPECT_EQ(index_->committed_seq(), 42);
  EXPECT_EQ(index_->store_id(), "store-7f3a");
  EXPECT_EQ(index_->entry_count(), static_cast<int64_t>(SampleEntries().size()));
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query("怎么退货")));
  ASSERT_FALSE(result.hits.empty());
  EXPECT_EQ(result.hits[0].entry_id, "returns");
}

TEST_F(KeywordIndexTest, SecondWriterIsUnavailable) {
  absl::StatusOr<std::unique_ptr<KeywordIndex>> second = KeywordIndex::Open(dir_.Sub("kw"));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

TEST(KeywordIndexOpen, GarbageDirectoryIsDataLoss) {
  TempDir dir;
  const std::string path = dir.Sub("kw");
  std::filesystem::create_directory(path);
  std::ofstream(path + "/iamglass") << "this is not a xapian version file";
  std::ofstream(path + "/postlist.glass") << std::string(8192, 'x');
  absl::StatusOr<std::unique_ptr<KeywordIndex>> index = KeywordIndex::Open(path);
  EXPECT_EQ(index.status().code(), absl::StatusCode::kDataLoss) << index.status();
}

TEST(KeywordIndexOpen, RegularFileIsDataLoss) {
  TempDir dir;
  const std::string path = dir.Sub("kw");
  std::ofstream(path) << "garbage\n";
  absl::StatusOr<std::unique_ptr<KeywordIndex>> index = KeywordIndex::Open(path);
  EXPECT_EQ(index.status().code(), absl::StatusCode::kDataLoss) << index.status();
}

TEST(KeywordIndexOpen, UncreatableDirectoryIsFailedPrecondition) {
  TempDir dir;
  std::ofstream(dir.Sub("file")) << "x";
  absl::StatusOr<std::unique_ptr<KeywordIndex>> index = KeywordIndex::Open(dir.Sub("file/kw"));
  EXPECT_FALSE(index.ok());
  EXPECT_NE(index.status().code(), absl::StatusCode::kInternal) << index.status();
}

TEST_F(KeywordIndexTest, RejectsEntriesWithoutId) {
  Entry e = SampleEntries()[0];
  e.id.clear();
  EXPECT_EQ(index_->Put(*MakeIndexedEntry(e, *normalizer_)).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(KeywordIndexTest, SearchesConcurrentWithCommitsNeverFail) {
  const std::vector<Entry> entries = SampleEntries();
  PutAll(*index_, entries);
  ZHIKU_ASSERT_OK(index_->Commit(1, "store"));

  std::atomic<bool> done{false};
  std::atomic<int> searches{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      const KeywordQuery q = Query(t % 2 == 0 ? "怎么退货" : kBroadQuery, 5);
      while (!done.load()) {
        absl::StatusOr<KeywordResult> result = index_->Search(q);
        searches.fetch_add(1);
        // The returns entry is in every commit.
        if (!result.ok() || result->hits.empty()) {
          ADD_FAILURE() << (result.ok() ? "no hits" : result.status().ToString());
          failures.fetch_add(1);
        }
      }
    });
  }
  // The writer rewrites every entry and commits, many times.
  Entry extra = MakeEntry("extra", "", {}, "", "misc", {}, "zh-CN", "app");
  for (int round = 0; round < 60; ++round) {
    for (const Entry& e : entries) ZHIKU_ASSERT_OK(index_->Put(*MakeIndexedEntry(e, *normalizer_)));
    extra.question = absl::StrCat("临时问题 ", round, " 退货");
    ZHIKU_ASSERT_OK(index_->Put(*MakeIndexedEntry(extra, *normalizer_)));
    ZHIKU_ASSERT_OK(index_->Commit(2 + round, "store"));
  }
  done.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(searches.load(), 0);
  EXPECT_EQ(index_->entry_count(), static_cast<int64_t>(entries.size()) + 1);
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(Query("临时问题 59")));
  ASSERT_FALSE(result.hits.empty());
  EXPECT_EQ(result.hits[0].entry_id, "extra");
}

// Synthetic benchmark: 10k entries (question + 2 variants of 6-20 Chinese
// characters drawn from a Zipf-like distribution, plus a short answer).
// Run with --gtest_also_run_disabled_tests.
TEST_F(KeywordIndexTest, DISABLED_Benchmark10kEntries) {
  std::mt19937 rng(20261122);
  // 2,500 code points from the common CJK block; low ranks are frequent.
  auto random_text = [&rng](int min_len, int max_len) {
    std::uniform_int_distribution<int> len(min_len, max_len);
    std::uniform_real_distribution<double> u(0, 1);
    std::string s;
    const int n = len(rng);
    for (int i = 0; i < n; ++i) {
      const int rank = static_cast<int>(std::pow(2500.0, u(rng)));  // log-uniform ~ Zipf
      const char32_t c = 0x4E00 + static_cast<char32_t>(rank * 7 % 20000);
      s += static_cast<char>(0xE0 | (c >> 12));
      s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (c & 0x3F));
    }
    return s;
  };
  constexpr int kEntries = 10000;
  std::vector<std::string> questions;
  const auto build_start = std::chrono::steady_clock::now();
  for (int i = 0; i < kEntries; ++i) {
    Entry e = MakeEntry(absl::StrCat("e", i), random_text(6, 20), {random_text(6, 20), random_text(6, 20)},
                        random_text(20, 60), i % 2 ? "a" : "b", {}, "zh-CN", "app");
    questions.push_back(e.question);
    ZHIKU_ASSERT_OK(index_->Put(*MakeIndexedEntry(std::move(e), *normalizer_)));
  }
  ZHIKU_ASSERT_OK(index_->Commit(1, "bench"));
  const double build_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();

  std::vector<KeywordQuery> queries;
  for (int i = 0; i < 300; ++i) {
    // A query shares a 4-8 character stretch with a question plus noise.
    const std::string& q = questions[static_cast<size_t>(i * 31 % kEntries)];
    queries.push_back(Query(q.substr(0, std::min<size_t>(q.size(), 3 * (4 + i % 5))) + random_text(2, 4)));
  }
  for (int filtered = 0; filtered < 2; ++filtered) {
    std::vector<double> ms;
    for (KeywordQuery q : queries) {
      if (filtered) q.filters.categories = {"a"};
      const auto start = std::chrono::steady_clock::now();
      ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index_->Search(q));
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      EXPECT_FALSE(result.hits.empty());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("10k entries (build+commit %.1f s), %s: median %.2f ms, p90 %.2f ms, max %.2f ms\n", build_s,
                filtered ? "filtered by category" : "unfiltered", ms[ms.size() / 2], ms[ms.size() * 9 / 10],
                ms.back());
  }
}

}  // namespace
}  // namespace zhiku

namespace zhiku {
namespace {

// An entry whose phrasings keep returning to the query's words outranks one
// whose single best phrasing scores the same: max over phrasings alone ties
// them, and the order then used to depend on document ids.
TEST(KeywordIndexAggregation, EntryDocumentBreaksTiesBetweenEqualBestPhrasings) {
  zhiku::testing::TempDir dir;
  auto normalizer = TextNormalizer::Create();
  ASSERT_TRUE(normalizer.ok()) << normalizer.status();
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto index, KeywordIndex::Open(dir.Sub("kw")));
  auto put = [&](std::string id, std::string question, std::vector<std::string> variants) {
    Entry e;
    e.id = std::move(id);
    e.question = std::move(question);
    e.variants = std::move(variants);
    e.answer = "答";
    ASSERT_TRUE(index->Put(*MakeIndexedEntry(e, **normalizer)).ok());
  };
  // "a-once" sorts first by id, so a tie would put it first.
  put("a-once", "我要退货", {"运费多少钱", "发票怎么开"});
  put("b-often", "退货要钱吗", {"退货在哪里申请", "退货流程是什么"});
  ZHIKU_ASSERT_OK(index->Commit(1, "store"));
  KeywordQuery query;
  query.tokens = Tokenize((*normalizer)->Normalize("退货"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index->Search(query));
  ASSERT_EQ(result.hits.size(), 2u);
  EXPECT_EQ(result.hits[0].entry_id, "b-often");
  EXPECT_EQ(result.total_estimate, 2);
}

}  // namespace
}  // namespace zhiku

namespace zhiku {
namespace {

// Entries with many matching phrasings fill the first candidate batch with
// few entries; a deep page must still be complete.
TEST(KeywordIndexAggregation, DeepPageFetchesMoreCandidatesWhenEntriesHaveManyPhrasings) {
  zhiku::testing::TempDir dir;
  auto normalizer = TextNormalizer::Create();
  ASSERT_TRUE(normalizer.ok()) << normalizer.status();
  KeywordIndexOptions options;
  options.min_candidates = 10;
  options.candidates_per_hit = 1;
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto index, KeywordIndex::Open(dir.Sub("kw"), options));
  for (int e = 0; e < 30; ++e) {
    Entry entry;
    entry.id = absl::StrCat("e", e);
    entry.question = absl::StrCat("退货问题", e);
    for (int v = 0; v < 20; ++v) entry.variants.push_back(absl::StrCat("退货的说法", e, "-", v));
    entry.answer = "答";
    ZHIKU_ASSERT_OK(index->Put(*MakeIndexedEntry(entry, **normalizer)));
  }
  ZHIKU_ASSERT_OK(index->Commit(1, "store"));
  KeywordQuery query;
  query.tokens = Tokenize((*normalizer)->Normalize("退货"));
  query.offset = 20;
  query.limit = 10;
  ZHIKU_ASSERT_OK_AND_ASSIGN(KeywordResult result, index->Search(query));
  EXPECT_EQ(result.hits.size(), 10u);
}

}  // namespace
}  // namespace zhiku
