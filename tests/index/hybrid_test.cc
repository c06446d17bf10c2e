#include "index/hybrid.h"

#include <fstream>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/answerer.h"
#include "index/embedder.h"
#include "index/knowledge_base.h"
#include "index/vector_leg.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::ElementsAre;

std::vector<KeywordHit> Keyword(std::vector<std::pair<std::string, double>> hits) {
  std::vector<KeywordHit> out;
  for (auto& [id, score] : hits) out.push_back({id, score, 0});
  return out;
}

std::vector<VectorLegHit> Vector(std::vector<std::pair<std::string, float>> hits) {
  std::vector<VectorLegHit> out;
  for (auto& [id, score] : hits) out.push_back({id, score, 0});
  return out;
}

std::vector<std::string> Ids(const std::vector<FusedCandidate>& fused) {
  std::vector<std::string> ids;
  for (const FusedCandidate& c : fused) ids.push_back(c.entry_id);
  return ids;
}

// Table-driven: what a query vector is checked against, with and without a
// built vector leg.
TEST(CheckQueryVector, NeedsTheKnowledgeBasesOwnVectorsOfTheSameDimension) {
  Snapshot plain;
  Snapshot own;  // entries with 3-dimensional vectors, leg not built yet
  own.own_vector_entries = 2;
  own.own_vector_dim = 3;
  Snapshot built;
  {
    Entry entry;
    entry.id = "a";
    entry.question = "q";
    entry.vectors = {{1, 0, 0, 0}};
    built.entries["a"] = std::make_shared<IndexedEntry>(IndexedEntry{entry, {"q"}, ""});
    auto leg = VectorLeg::Build(VectorSource::kEntry, nullptr, 4, built);
    ASSERT_TRUE(leg.ok()) << leg.status();
    built.vectors = *std::move(leg);
  }
  struct Case {
    const char* name;
    const Snapshot* snapshot;
    std::vector<float> query;
    const char* message_part;  // nullptr: OK
  };
  const Case cases[] = {
      {"no query vector, no vectors", &plain, {}, nullptr},
      {"no vectors of its own", &plain, {1, 0, 0}, "has no vectors of its own"},
      {"leg not built, right length", &own, {0, 1, 0}, nullptr},
      {"leg not built, wrong length", &own, {0, 1}, "retrieval.query_vector has 2 values, but this knowledge base's vectors have 3 dimensions"},
      {"built leg, right length", &built, {0, 0, 0, 1}, nullptr},
      {"built leg, wrong length", &built, {0, 0, 1}, "has 3 values, but this knowledge base's vectors have 4"},
      {"all zeros", &built, {0, 0, 0, 0}, "retrieval.query_vector is all zeros"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const absl::Status status = CheckQueryVector(*c.snapshot, c.query);
    if (c.message_part == nullptr) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
      EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(c.message_part));
    }
  }
}

TEST(Snapshot, CountOwnVectorsTracksTheDimensionUntilTheLastEntryGoes) {
  Snapshot snapshot;
  Entry with;
  with.vectors = {{1, 2}};
  Entry without;
  snapshot.CountOwnVectors(with, false);
  snapshot.CountOwnVectors(without, false);
  snapshot.CountOwnVectors(with, false);
  EXPECT_EQ(snapshot.own_vector_entries, 2);
  EXPECT_EQ(snapshot.own_vector_dim, 2);
  snapshot.CountOwnVectors(with, true);
  EXPECT_EQ(snapshot.own_vector_dim, 2);
  snapshot.CountOwnVectors(with, true);
  EXPECT_EQ(snapshot.own_vector_entries, 0);
  EXPECT_EQ(snapshot.own_vector_dim, 0);
}

TEST(ReciprocalRankFusion, DocumentInBothListsOutranksDocumentInOne) {
  FusionOptions o;
  o.method = FusionMethod::kRrf;
  o.semantic_ratio = 0.5;
  auto fused = Fuse(Keyword({{"a", 9}, {"b", 5}}), Vector({{"c", 0.9f}, {"b", 0.8f}}), o);
  ASSERT_EQ(fused.size(), 3u);
  EXPECT_EQ(fused[0].entry_id, "b");
  EXPECT_EQ(fused[0].keyword_rank, 2);
  EXPECT_EQ(fused[0].vector_rank, 2);
  EXPECT_DOUBLE_EQ(fused[0].fused, 0.5 / 62 + 0.5 / 62);
}

TEST(Fusion, RatioZeroIsExactlyTheKeywordRankingAndOneTheVectorRanking) {
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::pair<std::string, double>> kw;
    std::vector<std::pair<std::string, float>> vec;
    double s = 20;
    for (int i = 0; i < 15; ++i) kw.push_back({absl::StrCat("k", rng() % 30), s -= 1 + rng() % 3});
    // Legs never repeat an entry: keep the first occurrence.
    std::sort(kw.begin(), kw.end(), [](auto& a, auto& b) { return a.second > b.second; });
    std::vector<std::pair<std::string, double>> kw_unique;
    for (auto& h : kw) {
      if (std::none_of(kw_unique.begin(), kw_unique.end(), [&](auto& u) { return u.first == h.first; }))
        kw_unique.push_back(h);
    }
    float v = 1;
    for (int i = 0; i < 30; i += 2) vec.push_back({absl::StrCat("k", i), v -= 0.05f});
    for (FusionMethod m : {FusionMethod::kRrf, FusionMethod::kWeighted}) {
      FusionOptions o;
      o.method = m;
      o.semantic_ratio = 0;
      std::vector<std::string> want;
      for (auto& h : kw_unique) want.push_back(h.first);
      EXPECT_EQ(Ids(Fuse(Keyword(kw_unique), Vector(vec), o)), want);
      o.semantic_ratio = 1;
      want.clear();
      for (auto& h : vec) want.push_back(h.first);
      EXPECT_EQ(Ids(Fuse(Keyword(kw_unique), Vector(vec), o)), want);
    }
  }
}

TEST(WeightedFusion, NormalisesEachLegByItsBestScore) {
  FusionOptions o;
  o.method = FusionMethod::kWeighted;
  o.semantic_ratio = 0.5;
  // a: keyword best (1.0) and no vector; b: keyword 0.5, vector best (1.0).
  auto fused = Fuse(Keyword({{"a", 10}, {"b", 5}}), Vector({{"b", 0.8f}, {"c", 0.4f}}), o);
  EXPECT_THAT(Ids(fused), ElementsAre("b", "a", "c"));
  EXPECT_DOUBLE_EQ(fused[0].fused, 0.5 * 0.5 + 0.5 * 1.0);
  EXPECT_DOUBLE_EQ(fused[1].fused, 0.5);
  EXPECT_DOUBLE_EQ(fused[2].fused, 0.25);
}

// The sample KB, with its entries indexed.
Snapshot SampleSnapshot(const TextNormalizer& normalizer) {
  Snapshot snap;
  std::ifstream in(testing::SourceDir() + "/data/sample_kb.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    absl::StatusOr<Entry> e = EntryFromJsonLine(line);
    if (!e.ok()) continue;
    const std::string id = e->id;
    snap.entries[id] = MakeIndexedEntry(*std::move(e), normalizer);
  }
  return snap;
}

TEST(CalibrateOnHeldOut, FitsAModelFromHeldOutVariantsAndEntries) {
  testing::TempDir dir;
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer, TextNormalizer::Create("/usr/share/opencc"));
  Snapshot snap = SampleSnapshot(*normalizer);
  ASSERT_GT(snap.entries.size(), 100u);
  auto keyword_only = [](const Snapshot&) -> absl::StatusOr<std::shared_ptr<const VectorLeg>> {
    return std::shared_ptr<const VectorLeg>();
  };
  HeldOutOptions options;
  options.positive_share = 0.5;
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::shared_ptr<const AnswerCalibration> c,
                             CalibrateOnHeldOut(snap, *normalizer, {}, {}, keyword_only, dir.Sub("scratch"), options));
  EXPECT_TRUE(c->model.has_value()) << c->note;
  EXPECT_GT(c->positives, 20);
  EXPECT_GT(c->negatives, 5);
  EXPECT_EQ(c->confidences.size(), c->correct.size());
  EXPECT_GT(c->top1_held_out, 0.3);
  EXPECT_GE(c->ece, 0);
  EXPECT_LT(c->ece, 0.2);
  // Keyword only: no ratio to choose.
  EXPECT_EQ(c->semantic_ratio, -1);
  EXPECT_TRUE(c->ratio_top1.empty());
  // The chosen ratio survives the JSON round trip.
  AnswerCalibration with_ratio = *c;
  with_ratio.semantic_ratio = 0.7;
  with_ratio.ratio_top1 = {{0.0, 0.5}, {0.7, 0.8}};
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::shared_ptr<const AnswerCalibration> back,
                             CalibrationFromJson(CalibrationToJson(with_ratio)));
  EXPECT_DOUBLE_EQ(back->semantic_ratio, 0.7);
  ASSERT_EQ(back->ratio_top1.size(), 2u);
  EXPECT_DOUBLE_EQ(back->ratio_top1[1].second, 0.8);
}

}  // namespace
}  // namespace zhiku

namespace zhiku {
namespace {

// Candidates of one query: `a` first in the keyword leg, `b` first in the vector leg.
std::vector<FusedCandidate> Split(const std::string& a, const std::string& b, double b_keyword) {
  FusedCandidate ca, cb;
  ca.entry_id = a;
  ca.keyword_rank = 1;
  ca.keyword_score = 10;
  ca.vector_rank = 2;
  ca.vector_score = 0.5;
  cb.entry_id = b;
  cb.keyword_rank = 2;
  cb.keyword_score = b_keyword;
  cb.vector_rank = 1;
  cb.vector_score = 0.9;
  return {ca, cb};
}

TEST(SelectSemanticRatio, FollowsTheLegThatIsRightMoreOften) {
  FusionOptions fusion;
  std::vector<std::pair<double, double>> tried;
  // The keyword leg is right for all three queries, by a small margin.
  const auto close = Split("x", "y", 9);
  double r = SelectSemanticRatio({close, close, close}, {"x", "x", "x"}, fusion, &tried);
  EXPECT_LT(r, 0.5);
  ASSERT_EQ(tried.size(), 11u);
  EXPECT_DOUBLE_EQ(tried.front().second, 1.0);  // ratio 0: keyword ranking
  EXPECT_DOUBLE_EQ(tried.back().second, 0.0);   // ratio 1: vector ranking
  // The vector leg is right for all three, the keyword leg far off.
  const auto far = Split("x", "y", 2);
  r = SelectSemanticRatio({far, far, far}, {"y", "y", "y"}, fusion);
  EXPECT_GT(r, 0.5);
  // Both legs agree: every ratio is as good, the middle one is kept.
  FusedCandidate both;
  both.entry_id = "x";
  both.keyword_rank = 1;
  both.keyword_score = 3;
  both.vector_rank = 1;
  both.vector_score = 0.8;
  EXPECT_DOUBLE_EQ(SelectSemanticRatio({{both}}, {"x"}, fusion), 0.5);
}

}  // namespace
}  // namespace zhiku
