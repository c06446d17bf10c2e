#include "index/self_training.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::IsEmpty;

class SelfTrainingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TextNormalizer>> n = TextNormalizer::Create("/usr/share/opencc");
    ZHIKU_ASSERT_OK(n.status());
    normalizer_ = *std::move(n);
    Add("returns", "how do I return an item", {});
    Add("invoice", "where can I download my invoice", {});
    Add("coupon", "my coupon code is not accepted", {"voucher rejected at checkout"});
    absl::StatusOr<std::unique_ptr<KeywordIndex>> k = KeywordIndex::Open(dir_.Sub("kw"), {});
    ZHIKU_ASSERT_OK(k.status());
    keyword_ = *std::move(k);
    for (const auto& [id, e] : snapshot_.entries) ZHIKU_ASSERT_OK(keyword_->Put(*e));
    ZHIKU_ASSERT_OK(keyword_->Commit(1, "test"));
  }

  void Add(const std::string& id, const std::string& question, std::vector<std::string> variants) {
    Entry e;
    e.id = id;
    e.question = question;
    e.variants = std::move(variants);
    e.answer = "answer of " + id;
    snapshot_.entries[id] = MakeIndexedEntry(std::move(e), *normalizer_);
  }

  absl::StatusOr<std::vector<PseudoLabel>> Label(const std::vector<std::string>& corpus,
                                                 const SelfTrainingOptions& options,
                                                 SelfTrainingReport* report = nullptr) {
    return PseudoLabelCorpus(snapshot_, *keyword_, *normalizer_, corpus, {}, dir_.Sub("graph"), options, report);
  }

  static absl::flat_hash_map<std::string, std::string> ByText(const std::vector<PseudoLabel>& labels) {
    absl::flat_hash_map<std::string, std::string> m;
    for (const PseudoLabel& l : labels) m[l.normalized] = l.entry_id;
    return m;
  }

  zhiku::testing::TempDir dir_;
  std::unique_ptr<TextNormalizer> normalizer_;
  std::unique_ptr<KeywordIndex> keyword_;
  Snapshot snapshot_;
};

TEST_F(SelfTrainingTest, TextEqualToAPhrasingTakesItsEntryOutright) {
  SelfTrainingOptions options;
  SelfTrainingReport report;
  // Equal after normalisation (case, punctuation), and a variant counts too.
  absl::StatusOr<std::vector<PseudoLabel>> labels =
      Label({"How do I return an item?", "Voucher rejected at checkout"}, options, &report);
  ZHIKU_ASSERT_OK(labels.status());
  EXPECT_EQ(report.exact_matches, 2);
  auto by_text = ByText(*labels);
  EXPECT_EQ(by_text[normalizer_->Normalize("How do I return an item?")], "returns");
  EXPECT_EQ(by_text[normalizer_->Normalize("Voucher rejected at checkout")], "coupon");
}

TEST_F(SelfTrainingTest, LabelsSpreadToTextsThatShareNoWordWithTheEntry) {
  // "refund timing please" shares no term with any entry; its neighbours
  // talk about returning items, so it should land on "returns".
  const std::vector<std::string> corpus = {
      "return item refund timing", "how long does an item return refund take", "refund timing please",
      "invoice download link broken", "download invoice pdf", "pdf link broken again",
  };
  SelfTrainingOptions options;
  options.final_share = 1.0;
  SelfTrainingReport report;
  absl::StatusOr<std::vector<PseudoLabel>> labels = Label(corpus, options, &report);
  ZHIKU_ASSERT_OK(labels.status());
  EXPECT_GT(report.graph_edges, 0);
  auto by_text = ByText(*labels);
  EXPECT_EQ(by_text[normalizer_->Normalize("refund timing please")], "returns");
  EXPECT_EQ(by_text[normalizer_->Normalize("pdf link broken again")], "invoice");
  EXPECT_EQ(by_text[normalizer_->Normalize("return item refund timing")], "returns");
}

TEST_F(SelfTrainingTest, SameInputSameLabels) {
  const std::vector<std::string> corpus = {"return item refund timing", "download invoice pdf",
                                           "coupon not accepted", "voucher code rejected", "refund please"};
  SelfTrainingOptions options;
  absl::StatusOr<std::vector<PseudoLabel>> a = Label(corpus, options);
  absl::StatusOr<std::vector<PseudoLabel>> b = Label(corpus, options);
  ZHIKU_ASSERT_OK(a.status());
  ZHIKU_ASSERT_OK(b.status());
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].entry_id, (*b)[i].entry_id);
    EXPECT_EQ((*a)[i].normalized, (*b)[i].normalized);
  }
}

TEST_F(SelfTrainingTest, NoEntryTakesMoreThanItsCapAndOnlyTheShareIsLabelled) {
  std::vector<std::string> corpus;
  for (int i = 0; i < 40; ++i) corpus.push_back("return item number " + std::to_string(i));
  corpus.push_back("download my invoice now");
  SelfTrainingOptions options;
  options.final_share = 0.5;
  options.cap_factor = 1.0;
  options.min_cap = 5;
  absl::StatusOr<std::vector<PseudoLabel>> labels = Label(corpus, options);
  ZHIKU_ASSERT_OK(labels.status());
  int returns = 0;
  for (const PseudoLabel& l : *labels) returns += l.entry_id == "returns";
  // wanted = 0.5 * 41 = 21 (rounded), cap = max(5, ceil(21 / 3)) = 7.
  EXPECT_EQ(returns, 7);
  EXPECT_LE(labels->size(), 21u);
}

TEST_F(SelfTrainingTest, EmptyCorpusOrKnowledgeBaseLabelsNothing) {
  SelfTrainingOptions options;
  absl::StatusOr<std::vector<PseudoLabel>> labels = Label({}, options);
  ZHIKU_ASSERT_OK(labels.status());
  EXPECT_THAT(*labels, IsEmpty());
  labels = Label({"", "   ", "!!!"}, options);
  ZHIKU_ASSERT_OK(labels.status());
  EXPECT_THAT(*labels, IsEmpty());
  Snapshot empty;
  labels = PseudoLabelCorpus(empty, *keyword_, *normalizer_, {"return item"}, {}, dir_.Sub("g2"), options);
  ZHIKU_ASSERT_OK(labels.status());
  EXPECT_THAT(*labels, IsEmpty());
}

}  // namespace
}  // namespace zhiku
