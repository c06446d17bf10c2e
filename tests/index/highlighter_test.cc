#include "index/highlighter.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/text_normalizer.h"
#include "index/tokenizer.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

HighlightTerms TermsFor(const TextNormalizer& normalizer, const std::string& query) {
  return HighlightTerms::FromQueryTokens(Tokenize(normalizer.Normalize(query)));
}

struct HighlightCase {
  std::string display;
  std::string query;
  std::string expected;
};

std::vector<HighlightCase> HighlightCases() {
  return {
      // Simplified display, Traditional query.
      {"退货政策", "如何退貨", "<em>退货</em>政策"},
      // Traditional display, Simplified query: the original characters are
      // marked.
      // 如何 and 怎么 share the term 怎么 (tokenizer synonyms), so both match.
      {"如何退貨？", "怎么退货", "<em>如何退貨</em>？"},
      // English by stem: "returning" matches "return".
      {"How do I return an item", "returning", "How do I <em>return</em> an item"},
      {"Refunds, returns & exchanges", "refund exchange",
       "<em>Refunds</em>, returns & <em>exchanges</em>"},
      // Overlapping bigrams merge into one stretch.
      {"如何申请退货退款", "退货退款", "如何申请<em>退货退款</em>"},
      // Adjacent matches of different query terms merge too.
      {"退货运费谁付", "退货 运费", "<em>退货运费</em>谁付"},
      // A shared single character is not highlighted for a two-character
      // query (noise)...
      {"退出登录", "退货", "退出登录"},
      // ...but is for a one-character query.
      {"退货政策", "退", "<em>退</em>货政策"},
      // Mixed text; the full-width question mark stays outside.
      {"iPhone15怎么退貨？", "iphone15 退货", "<em>iPhone15</em>怎么<em>退貨</em>？"},
      // Full-width display text matched by an ASCII query; bytes are kept.
      {"ＩＰＨＯＮＥ退货", "iphone", "<em>ＩＰＨＯＮＥ</em>退货"},
      // A zero-width space inside a match is part of it.
      {"退\u200b货", "退货", "<em>退\u200b货</em>"},
      // A decomposed accent belongs to the marked word.
      {"Cafe\u0301 hours", "café", "<em>Cafe\u0301</em> hours"},
      // No match, empty query, empty display.
      {"会员积分", "退货", "会员积分"},
      {"退货政策", "", "退货政策"},
      {"", "退货", ""},
  };
}

TEST(Highlighter, MarksMatchingStretches) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  for (const HighlightCase& c : HighlightCases()) {
    EXPECT_EQ(Highlight(*normalizer, c.display, TermsFor(*normalizer, c.query), {}), c.expected)
        << "display: " << c.display << " query: " << c.query;
  }
}

TEST(Highlighter, KeepsOriginalBytesBetweenTags) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  HighlightOptions options;
  options.pre_tag = "\x01";
  options.post_tag = "\x02";
  for (const HighlightCase& c : HighlightCases()) {
    const std::string highlighted =
        Highlight(*normalizer, c.display, TermsFor(*normalizer, c.query), options);
    EXPECT_EQ(absl::StrReplaceAll(highlighted, {{"\x01", ""}, {"\x02", ""}}), c.display);
  }
}

TEST(Highlighter, KeepsOriginalBytesOnArbitraryText) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  static constexpr const char* kFragments[] = {
      "退货", "退貨", "如何", "運費", "return", "Returns", " ", "。", "？", "😀", "\u200b",
      "\u0301", "\xff", "\x80", "ＡＢ", "退", "货"};
  const HighlightTerms terms = TermsFor(*normalizer, "退货 运费 returning 退");
  HighlightOptions options;
  options.pre_tag = "\x01";
  options.post_tag = "\x02";
  std::mt19937 rng(7);
  std::uniform_int_distribution<size_t> pick(0, std::size(kFragments) - 1);
  for (int i = 0; i < 1000; ++i) {
    std::string display;
    for (int n = static_cast<int>(rng() % 10); n > 0; --n) display += kFragments[pick(rng)];
    const std::string highlighted = Highlight(*normalizer, display, terms, options);
    EXPECT_EQ(absl::StrReplaceAll(highlighted, {{"\x01", ""}, {"\x02", ""}}), display);
    EXPECT_EQ(highlighted != display, HasHighlight(*normalizer, display, terms)) << display;
  }
}

TEST(Highlighter, UsesConfiguredTags) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  HighlightOptions options;
  options.pre_tag = "[[";
  options.post_tag = "]]";
  EXPECT_EQ(Highlight(*normalizer, "如何退貨？", TermsFor(*normalizer, "退货"), options),
            "如何[[退貨]]？");
  options.pre_tag = "";
  options.post_tag = "";
  EXPECT_EQ(Highlight(*normalizer, "如何退貨？", TermsFor(*normalizer, "退货"), options),
            "如何退貨？");
}

TEST(Highlighter, CutsToWindowAroundFirstMatch) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  const HighlightTerms terms = TermsFor(*normalizer, "退货");
  std::string before;
  std::string after;
  for (int i = 0; i < 10; ++i) {
    before += "一二三四";
    after += "五六七八";
  }
  HighlightOptions options;
  struct WindowCase {
    std::string display;
    size_t max_chars;
    std::string expected;
  };
  const std::vector<WindowCase> cases = {
      // Centred on the match: 4 characters either side.
      {before + "退货" + after, 10, "…一二三四<em>退货</em>五六七八…"},
      // A match near the start keeps the start.
      {"请问退货" + after, 10, "请问<em>退货</em>五六七八五六…"},
      // A match near the end keeps the end.
      {before + "退货", 10, "…一二三四一二三四<em>退货</em>"},
      // Short enough: nothing is cut.
      {"请问退货", 10, "请问<em>退货</em>"},
      // No match: the start.
      {before, 6, "一二三四一二…"},
      // A match longer than the window is cut with it.
      {before + "退货退货退货" + after, 4, "…<em>退货退货</em>…"},
      // max_chars = 0 means no window.
      {before + "退货", 0, before + "<em>退货</em>"},
  };
  for (const WindowCase& c : cases) {
    options.max_chars = c.max_chars;
    EXPECT_EQ(Highlight(*normalizer, c.display, terms, options), c.expected) << c.max_chars;
  }
}

TEST(Highlighter, WindowDoesNotCutEnglishWords) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  HighlightOptions options;
  options.max_chars = 20;
  EXPECT_EQ(Highlight(*normalizer, "Please read this before you return an item to the store",
                      TermsFor(*normalizer, "returns"), options),
            "…you <em>return</em> an…");
}

TEST(Highlighter, ReportsWhetherAnythingMatches) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  EXPECT_TRUE(HasHighlight(*normalizer, "如何退貨？", TermsFor(*normalizer, "退货")));
  EXPECT_TRUE(HasHighlight(*normalizer, "How to return", TermsFor(*normalizer, "returned")));
  EXPECT_FALSE(HasHighlight(*normalizer, "退出登录", TermsFor(*normalizer, "退货")));
  EXPECT_FALSE(HasHighlight(*normalizer, "退货政策", TermsFor(*normalizer, "")));
  EXPECT_FALSE(HasHighlight(*normalizer, "", TermsFor(*normalizer, "退货")));
}

TEST(HighlightTerms, HighlightsUnigramsOnlyForSingleCharacterRuns) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  const std::vector<std::pair<std::string, bool>> cases = {
      {"退", true},
      {"退货", false},
      {"如何退货", false},
      // One run of two characters and one of a single character.
      {"退货 换", true},
      // A single CJK character next to a word is still a run of one.
      {"iphone退", true},
      {"refund", false},
      {"", false},
  };
  for (const auto& [query, unigrams] : cases) {
    EXPECT_EQ(TermsFor(*normalizer, query).highlight_cjk_unigrams, unigrams) << query;
  }
}

TEST(HighlightTerms, CollectsAllQueryTerms) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  EXPECT_THAT(TermsFor(*normalizer, "退貨 Refunds").terms,
              ::testing::UnorderedElementsAre("退", "退货", "货", "refund"));
}

}  // namespace
}  // namespace zhiku
