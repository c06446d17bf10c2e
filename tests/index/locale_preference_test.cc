#include "index/locale_preference.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/knowledge_base.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class LocalePreferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TextNormalizer>> n = TextNormalizer::Create("/usr/share/opencc");
    ZHIKU_ASSERT_OK(n.status());
    normalizer_ = *std::move(n);
  }
  std::unique_ptr<TextNormalizer> normalizer_;
};

TEST_F(LocalePreferenceTest, MessageFamilyFollowsItsScript) {
  EXPECT_EQ(MessageLocaleFamily("怎么退货", *normalizer_), LocaleFamily::kSimplifiedChinese);
  EXPECT_EQ(MessageLocaleFamily("請問怎麼退貨", *normalizer_), LocaleFamily::kTraditionalChinese);
  EXPECT_EQ(MessageLocaleFamily("how do I return my iPhone", *normalizer_), LocaleFamily::kEnglish);
  EXPECT_EQ(MessageLocaleFamily("iPhone 怎么退", *normalizer_), LocaleFamily::kSimplifiedChinese);
  EXPECT_EQ(MessageLocaleFamily("12345 ???", *normalizer_), LocaleFamily::kUnknown);
  // Both scripts in one message: no preference.
  EXPECT_EQ(MessageLocaleFamily("电動剃須刀退钱能退到银行卡嗎", *normalizer_), LocaleFamily::kUnknown);
}

TEST_F(LocalePreferenceTest, EntryFamilyKnowsCommonTags) {
  EXPECT_EQ(EntryLocaleFamily("zh-CN"), LocaleFamily::kSimplifiedChinese);
  EXPECT_EQ(EntryLocaleFamily("zh-Hans-SG"), LocaleFamily::kSimplifiedChinese);
  EXPECT_EQ(EntryLocaleFamily("zh-tw"), LocaleFamily::kTraditionalChinese);
  EXPECT_EQ(EntryLocaleFamily("zh-HK"), LocaleFamily::kTraditionalChinese);
  EXPECT_EQ(EntryLocaleFamily("en-US"), LocaleFamily::kEnglish);
  EXPECT_EQ(EntryLocaleFamily("fr"), LocaleFamily::kUnknown);
}

TEST_F(LocalePreferenceTest, RestrictsOnlyWhenTheKnowledgeBaseHasSeveralFamilies) {
  const std::vector<std::string> mixed = {"en", "zh-CN", "zh-TW"};
  EXPECT_THAT(PreferredLocales("點樣退貨", *normalizer_, mixed), ElementsAre("zh-TW"));
  EXPECT_THAT(PreferredLocales("怎么退货", *normalizer_, mixed), ElementsAre("zh-CN"));
  EXPECT_THAT(PreferredLocales("refund please", *normalizer_, mixed), ElementsAre("en"));
  EXPECT_THAT(PreferredLocales("???", *normalizer_, mixed), IsEmpty());
  // One family only, or none of the message's: no restriction.
  EXPECT_THAT(PreferredLocales("怎么退货", *normalizer_, {"zh-CN"}), IsEmpty());
  EXPECT_THAT(PreferredLocales("怎么退货", *normalizer_, {"en", "fr"}), IsEmpty());
}

Entry MakeEntry(std::string id, std::string question, std::vector<std::string> variants, std::string locale) {
  Entry e;
  e.id = std::move(id);
  e.question = std::move(question);
  e.variants = std::move(variants);
  e.answer = "answer of " + e.id;
  e.locale = std::move(locale);
  return e;
}

TEST(AnswerLocale, TranslationsDoNotCompeteAndAnExactPhrasingIsAnswered) {
  zhiku::testing::TempDir dir;
  KnowledgeBaseOptions options;
  options.data_dir = dir.Sub("kb");
  options.semantic.enabled = false;
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<KnowledgeBase> kb, KnowledgeBase::Open(options));
  ASSERT_TRUE(kb->CreateEntry(MakeEntry("returns", "怎么申请退货", {"怎么退货", "退货流程"}, "zh-CN")).ok());
  ASSERT_TRUE(kb->CreateEntry(MakeEntry("returns-tw", "怎麼申請退貨", {"怎麼退貨", "退貨流程"}, "zh-TW")).ok());
  ASSERT_TRUE(kb->CreateEntry(MakeEntry("returns-en", "how do I return an item", {}, "en")).ok());
  ASSERT_TRUE(kb->CreateEntry(MakeEntry("invoice", "怎么开发票", {}, "zh-CN")).ok());
  ZHIKU_ASSERT_OK(kb->WaitUntilSearchable(absl::Seconds(5)));

  AnswerRequest request;
  request.query = "怎么退货";
  ZHIKU_ASSERT_OK_AND_ASSIGN(AnswerResult simplified, kb->Answer(request));
  ASSERT_TRUE(simplified.top.has_value());
  EXPECT_EQ(simplified.top->entry->entry.id, "returns");
  EXPECT_GE(simplified.confidence, 0.99);
  EXPECT_EQ(simplified.decision, AnswerDecision::kAnswer);
  EXPECT_THAT(simplified.retrieval.note, ::testing::HasSubstr("zh-CN"));

  request.query = "怎麼退貨";
  ZHIKU_ASSERT_OK_AND_ASSIGN(AnswerResult traditional, kb->Answer(request));
  ASSERT_TRUE(traditional.top.has_value());
  EXPECT_EQ(traditional.top->entry->entry.id, "returns-tw");

  // An explicit locale filter wins over the message's script.
  request.filters.locales = {"zh-CN"};
  ZHIKU_ASSERT_OK_AND_ASSIGN(AnswerResult filtered, kb->Answer(request));
  ASSERT_TRUE(filtered.top.has_value());
  EXPECT_EQ(filtered.top->entry->entry.id, "returns");
}

}  // namespace
}  // namespace zhiku
