#include "index/suggester.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/entry.h"
#include "index/filters.h"
#include "index/snapshot.h"
#include "index/text_normalizer.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Entry MakeEntry(std::string id, std::string question, std::vector<std::string> variants, std::string category,
                std::string locale, std::string channel) {
  Entry e;
  e.id = std::move(id);
  e.question = std::move(question);
  e.variants = std::move(variants);
  e.answer = "…";
  e.category = std::move(category);
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

class SuggesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZHIKU_ASSERT_OK_AND_ASSIGN(normalizer_, TextNormalizer::Create());
    Load({
        MakeEntry("returns", "如何申请退货？", {"退货流程是什么", "买的东西不想要了能退吗"}, "after_sales",
                  "zh-CN", "app"),
        MakeEntry("refund", "退款多久到账？", {"钱什么时候能退回来"}, "after_sales", "zh-CN", "web"),
        MakeEntry("exchange", "怎么换货", {"退换货政策"}, "after_sales", "zh-CN", "app"),
        MakeEntry("shipping", "下单后多久发货？", {"什么时候发货"}, "logistics", "zh-CN", "app"),
        MakeEntry("en-returns", "How do I return an item?", {"Can I send back a product I bought?"},
                  "after_sales", "en", "web"),
        MakeEntry("en-policy", "What is the return policy?", {}, "after_sales", "en", "web"),
        MakeEntry("en-refund", "When will I get my refund?", {"How long do refunds take?"}, "after_sales",
                  "en", "app"),
        MakeEntry("en-shipping", "How long does shipping take?", {}, "logistics", "en", "all"),
    });
  }

  void Load(const std::vector<Entry>& entries) {
    snapshot_ = Snapshot{};
    for (const Entry& e : entries) snapshot_.entries[e.id] = MakeIndexedEntry(e, *normalizer_);
  }

  std::vector<Suggestion> Suggest(absl::string_view prefix, int limit = 8, Filters filters = {}) const {
    SuggestQuery q;
    q.prefix = std::string(prefix);
    q.limit = limit;
    q.filters = std::move(filters);
    return zhiku::Suggest(snapshot_, *normalizer_, q);
  }

  std::vector<std::string> Ids(absl::string_view prefix, int limit = 8, Filters filters = {}) const {
    std::vector<std::string> ids;
    for (const Suggestion& s : Suggest(prefix, limit, std::move(filters))) ids.push_back(s.entry_id);
    return ids;
  }

  std::unique_ptr<TextNormalizer> normalizer_;
  Snapshot snapshot_;
};

TEST_F(SuggesterTest, ChineseCharacterPrefix) {
  // 退款… starts with 退 (question); 退换货政策 and 退货流程是什么 start with 退
  // (variants, shorter first). Other phrasings containing 退 do not add
  // suggestions: one per entry.
  EXPECT_THAT(Ids("退"), ElementsAre("refund", "exchange", "returns"));

  std::vector<Suggestion> s = Suggest("退货");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].entry_id, "returns");
  EXPECT_EQ(s[0].text, "退货流程是什么");
  EXPECT_EQ(s[0].phrasing, 1);
}

TEST_F(SuggesterTest, ChineseInfixMatchesRankAfterPrefixMatches) {
  std::vector<Suggestion> s = Suggest("申请退");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].entry_id, "returns");
  EXPECT_EQ(s[0].text, "如何申请退货？");  // the display text, punctuation and all
  EXPECT_EQ(s[0].phrasing, 0);

  // 货: 货 starts no phrasing; contained in three entries.
  EXPECT_THAT(Ids("换货"), ElementsAre("exchange"));
  EXPECT_THAT(Ids("发货"), ElementsAre("shipping"));
  EXPECT_THAT(Ids("多久"), ElementsAre("refund", "shipping"));  // contains; both questions, same length 6/7
}

TEST_F(SuggesterTest, EnglishWordPrefix) {
  std::vector<Suggestion> s = Suggest("refu");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].entry_id, "en-refund");
  EXPECT_EQ(s[0].text, "When will I get my refund?");  // the question beats the variant "refunds"
  EXPECT_EQ(s[0].phrasing, 0);
}

TEST_F(SuggesterTest, EnglishLastWordMayBePartial) {
  struct Case {
    const char* prefix;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"how do i ret", {"en-returns"}},
      {"HOW DO I RET", {"en-returns"}},           // case folded
      {"ｈｏｗ ｄｏ ｉ ｒｅｔ", {"en-returns"}},  // full-width, NFKC
      {"how  do   i, ret", {"en-returns"}},       // spaces and punctuation collapse
      {"do i ret", {"en-returns"}},               // the words may start anywhere
      {"i return", {"en-returns"}},
      {"how do i return ", {"en-returns"}},  // a complete last word
      {"how do i retur ", {}},               // completed word "retur" is not "return"
      {"how do ret", {}},                    // earlier words must be consecutive
      {"ow do i ret", {}},                   // the first word must be whole
      {"eturn", {}},                         // no matches inside words
      {"how do i return an item please", {}},
      // Both questions have "return" as a word: shorter first.
      {"return", {"en-returns", "en-policy"}},
      // "how long" starts en-shipping's question and a variant of en-refund:
      // within a class, questions come first.
      {"how long", {"en-shipping", "en-refund"}},
  };
  for (const Case& c : cases) EXPECT_EQ(Ids(c.prefix), c.expected) << c.prefix;
}

TEST_F(SuggesterTest, PrefixMatchesRankBeforeWordMatches) {
  // "how" starts en-returns' question and en-shipping's question, and a
  // variant of en-refund; it is a word of nothing else.
  EXPECT_THAT(Ids("how"), ElementsAre("en-returns", "en-shipping", "en-refund"));
  // "ho" is also a word prefix: nothing more matches.
  EXPECT_THAT(Ids("ho"), ElementsAre("en-returns", "en-shipping", "en-refund"));
}

TEST_F(SuggesterTest, TraditionalPrefixReturnsTraditionalText) {
  std::vector<Suggestion> s = Suggest("退貨");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].entry_id, "returns");
  EXPECT_EQ(s[0].text, normalizer_->ToTraditional("退货流程是什么"));
  EXPECT_NE(s[0].text.find("退貨"), std::string::npos) << s[0].text;

  s = Suggest("申請退");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].entry_id, "returns");
  EXPECT_NE(s[0].text.find("申請退貨"), std::string::npos) << s[0].text;

  // A prefix that is the same in both scripts keeps the stored text.
  s = Suggest("退");
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s[0].text, "退款多久到账？");
}

TEST_F(SuggesterTest, WithinAClassQuestionsComeBeforeVariantsThenShorterThenId) {
  Load({
      MakeEntry("b-short-variant", "其他问题", {"退货"}, "", "", ""),
      MakeEntry("c-long-question", "退货需要准备什么材料", {}, "", "", ""),
      MakeEntry("d-short-question", "退货须知", {}, "", "", ""),
      MakeEntry("a-same-length", "退货须知", {}, "", "", ""),
      MakeEntry("e-long-variant", "其他问题", {"退货之后多久退款"}, "", "", ""),
  });
  EXPECT_THAT(Ids("退货"), ElementsAre("a-same-length", "d-short-question", "c-long-question",
                                       "b-short-variant", "e-long-variant"));
}

TEST_F(SuggesterTest, LimitIsRespectedWithOneSuggestionPerEntry) {
  std::vector<Entry> entries;
  for (int i = 0; i < 15; ++i) {
    entries.push_back(MakeEntry(absl::StrCat("q", i < 10 ? "0" : "", i), absl::StrCat("常见问题 ", i),
                                {absl::StrCat("常见问题 ", i, " 的另一种说法"), "常见问题"}, "", "", ""));
  }
  Load(entries);
  EXPECT_EQ(Suggest("常见", 3).size(), 3u);
  EXPECT_EQ(Suggest("常见", 10).size(), 10u);
  EXPECT_EQ(Suggest("常见", 50).size(), 10u);
  EXPECT_THAT(Suggest("常见", 0), IsEmpty());
  std::vector<Suggestion> s = Suggest("常见", 10);
  std::set<std::string> ids;
  for (const Suggestion& x : s) ids.insert(x.entry_id);
  EXPECT_EQ(ids.size(), s.size());
  // Every entry matches with the question first; same length: id order.
  EXPECT_EQ(s[0].entry_id, "q00");
  EXPECT_EQ(s[0].phrasing, 0);
}

TEST_F(SuggesterTest, FiltersAreRespected) {
  EXPECT_THAT(Ids("退", 8, MakeFilters({{"category", {"after_sales"}}, {"channel", {"web"}}})),
              ElementsAre("refund"));
  EXPECT_THAT(Ids("退", 8, MakeFilters({{"channel", {"app"}}})), ElementsAre("exchange", "returns"));
  EXPECT_THAT(Ids("退", 8, MakeFilters({{"locale", {"en"}}})), IsEmpty());
  EXPECT_THAT(Ids("how", 8, MakeFilters({{"category", {"logistics", "billing"}}})),
              ElementsAre("en-shipping"));
}

TEST_F(SuggesterTest, BlankPrefixReturnsNothing) {
  for (const char* prefix : {"", " ", "   ", "？！", " 。", "\t"}) {
    EXPECT_THAT(Suggest(prefix), IsEmpty()) << "[" << prefix << "]";
  }
}

TEST_F(SuggesterTest, NoMatchReturnsNothing) {
  EXPECT_THAT(Suggest("鳄鱼"), IsEmpty());
  EXPECT_THAT(Suggest("xylophone"), IsEmpty());
}

TEST(SuggesterEmptySnapshot, ReturnsNothing) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer, TextNormalizer::Create());
  SuggestQuery q;
  q.prefix = "退";
  EXPECT_THAT(zhiku::Suggest(Snapshot{}, *normalizer, q), IsEmpty());
}

// Synthetic benchmark: 100k phrasings (25k entries of 4), half Chinese (6-20
// characters, Zipf-like), half English (4-10 words from 400). The normalised
// forms are set directly: they are already normalised.
// Run with --gtest_also_run_disabled_tests.
TEST(SuggesterBenchmark, DISABLED_Suggest100kPhrasings) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer, TextNormalizer::Create());
  std::mt19937 rng(20261122);
  std::uniform_real_distribution<double> u(0, 1);
  auto zipf_rank = [&](int n) { return static_cast<int>(std::pow(static_cast<double>(n), u(rng))) - 1; };
  auto chinese = [&]() {
    std::string s;
    const int n = 6 + static_cast<int>(u(rng) * 15);
    for (int i = 0; i < n; ++i) {
      const char32_t c = 0x4E00 + static_cast<char32_t>(zipf_rank(2500) * 7 % 20000);
      s += static_cast<char>(0xE0 | (c >> 12));
      s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (c & 0x3F));
    }
    return s;
  };
  auto english = [&]() {
    std::string s;
    const int n = 4 + static_cast<int>(u(rng) * 7);
    for (int i = 0; i < n; ++i) {
      const int w = zipf_rank(400);
      absl::StrAppend(&s, i ? " " : "", std::string(1, static_cast<char>('a' + w % 26)),
                      std::string(1, static_cast<char>('a' + w / 26 % 26)), "word", w);
    }
    return s;
  };
  Snapshot snapshot;
  for (int i = 0; i < 25000; ++i) {
    auto e = std::make_shared<IndexedEntry>();
    e->entry.id = absl::StrCat("e", i);
    for (int p = 0; p < 4; ++p) {
      std::string text = (i + p) % 2 ? chinese() : english();
      e->normalized_phrasings.push_back(text);
      if (p == 0) {
        e->entry.question = text;
      } else {
        e->entry.variants.push_back(text);
      }
    }
    snapshot.entries[e->entry.id] = std::move(e);
  }
  // As KnowledgeBase publishes it: with the flat phrasing table built once.
  const auto build_start = std::chrono::steady_clock::now();
  snapshot.phrasings = BuildPhrasingTable(snapshot.entries);
  std::printf("100k phrasings: phrasing table built in %.2f ms\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - build_start).count());
  const char32_t common = 0x4E00;  // rank 0: the most frequent character
  std::string common_utf8;
  common_utf8 += static_cast<char>(0xE0 | (common >> 12));
  common_utf8 += static_cast<char>(0x80 | ((common >> 6) & 0x3F));
  common_utf8 += static_cast<char>(0x80 | (common & 0x3F));
  for (const std::string& prefix :
       {common_utf8, snapshot.entries.begin()->second->normalized_phrasings[1].substr(0, 6), std::string("a"),
        std::string("aaword0 ba"), std::string("zzz")}) {
    SuggestQuery q;
    q.prefix = prefix;
    q.limit = 10;
    size_t found = 0;
    constexpr int kRuns = 30;
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < kRuns; ++r) found = Suggest(snapshot, *normalizer, q).size();
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / kRuns;
    std::printf("100k phrasings, prefix \"%s\": %.2f ms per Suggest (%zu suggestions)\n", prefix.c_str(), ms,
                found);
  }
}

}  // namespace
}  // namespace zhiku
