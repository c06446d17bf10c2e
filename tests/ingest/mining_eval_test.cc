#include "ingest/mining_eval.h"

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::HasSubstr;
using Labels = absl::flat_hash_map<std::string, std::string>;

constexpr double kTolerance = 1e-9;

Draft MakeDraft(int64_t frequency, std::vector<std::string> message_ids, std::string question = "q") {
  Draft d;
  d.question = std::move(question);
  d.frequency = frequency;
  d.message_ids = std::move(message_ids);
  return d;
}

// Labels and drafts from parallel vectors: message "m<i>" has gold label
// truth[i] and belongs to draft cluster[i], or to none when cluster[i] < 0.
// Draft c gets frequency frequency_of(c).
struct Clustering {
  Labels labels;
  std::vector<Draft> drafts;
};
Clustering FromVectors(const std::vector<std::string>& truth, const std::vector<int>& cluster) {
  Clustering c;
  int max_cluster = -1;
  for (int k : cluster) max_cluster = std::max(max_cluster, k);
  c.drafts.resize(max_cluster + 1);
  for (int k = 0; k <= max_cluster; ++k) {
    c.drafts[k].question = absl::StrCat("q", k);
    c.drafts[k].frequency = 100 - k;
  }
  for (size_t i = 0; i < truth.size(); ++i) {
    const std::string id = absl::StrCat("m", i);
    c.labels[id] = truth[i];
    if (cluster[i] >= 0) c.drafts[cluster[i]].message_ids.push_back(id);
  }
  return c;
}

MiningScores Evaluate(const Clustering& c, const EvalOptions& options = {}) {
  absl::StatusOr<MiningScores> scores = EvaluateMining(c.drafts, c.labels, options);
  EXPECT_TRUE(scores.ok()) << scores.status();
  return scores.ok() ? *scores : MiningScores{};
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

TEST(EvaluateMining, PerfectClusteringScoresOne) {
  const Clustering c = FromVectors({"a", "a", "b", "b", "b", "c"}, {0, 0, 1, 1, 1, 2});
  const MiningScores s = Evaluate(c);
  EXPECT_NEAR(s.nmi, 1.0, kTolerance);
  EXPECT_NEAR(s.ari, 1.0, kTolerance);
  EXPECT_DOUBLE_EQ(s.top_purity, 1.0);
  EXPECT_DOUBLE_EQ(s.top_duplicate_rate, 0.0);
  EXPECT_DOUBLE_EQ(s.top_coverage, 1.0);
  EXPECT_EQ(s.labelled_messages, 6);
  EXPECT_EQ(s.clustered_messages, 6);
  EXPECT_EQ(s.clusters, 3);
  EXPECT_EQ(s.labels, 3);
}

TEST(EvaluateMining, NoDraftsMakesEverySingleton) {
  // Reference: sklearn normalized_mutual_info_score / adjusted_rand_score of
  // [a,a,b,b,c] against [0,1,2,3,4].
  Clustering c = FromVectors({"a", "a", "b", "b", "c"}, {-1, -1, -1, -1, -1});
  const MiningScores s = Evaluate(c);
  EXPECT_NEAR(s.nmi, 0.7918756684685216, kTolerance);
  EXPECT_NEAR(s.ari, 0.0, kTolerance);
  EXPECT_EQ(s.clustered_messages, 0);
  EXPECT_EQ(s.clusters, 5);
  EXPECT_EQ(s.top_drafts_used, 0);
  EXPECT_DOUBLE_EQ(s.top_purity, 0.0);
  EXPECT_DOUBLE_EQ(s.top_coverage, 0.0);
}

TEST(EvaluateMining, SingletonsAgainstSingletonLabelsArePerfect) {
  const Clustering c = FromVectors({"a", "b", "c"}, {-1, -1, -1});
  const MiningScores s = Evaluate(c);
  EXPECT_NEAR(s.nmi, 1.0, kTolerance);
  EXPECT_NEAR(s.ari, 1.0, kTolerance);
}

TEST(EvaluateMining, OneLabelAllSingletonsScoresZero) {
  const MiningScores s = Evaluate(FromVectors({"a", "a", "a"}, {-1, -1, -1}));
  EXPECT_NEAR(s.nmi, 0.0, kTolerance);
  EXPECT_NEAR(s.ari, 0.0, kTolerance);
}

TEST(EvaluateMining, OneBigClusterHasZeroAri) {
  const MiningScores s = Evaluate(FromVectors({"a", "a", "b", "b", "c"}, {0, 0, 0, 0, 0}));
  EXPECT_NEAR(s.ari, 0.0, kTolerance);
  EXPECT_NEAR(s.nmi, 0.0, kTolerance);
  EXPECT_NEAR(s.top_purity, 0.4, kTolerance);
  EXPECT_EQ(s.top_labels_used, 3);
  EXPECT_EQ(s.top_labels_covered, 1);  // "a" (2, ties "b" by name)
}

TEST(EvaluateMining, OneLabelOneClusterIsPerfect) {
  const MiningScores s = Evaluate(FromVectors({"a", "a", "a"}, {0, 0, 0}));
  EXPECT_NEAR(s.nmi, 1.0, kTolerance);
  EXPECT_NEAR(s.ari, 1.0, kTolerance);
}

TEST(EvaluateMining, MatchesScikitLearnOnAnAsymmetricCase) {
  // Reference: sklearn 1.2.1 on
  //   truth = [refund]*4 + [shipping]*3 + [invoice]*2 + [password]
  //   pred  = [0,0,0,1, 0,1,1, 2,3,4]  (3 and 4 are singletons)
  Clustering c = FromVectors(
      {"refund", "refund", "refund", "refund", "shipping", "shipping", "shipping", "invoice", "invoice", "password"},
      {0, 0, 0, 1, 0, 1, 1, 2, -1, -1});
  c.drafts[0].message_ids.push_back("unlabelled-1");  // ignored
  const MiningScores s = Evaluate(c);
  EXPECT_NEAR(s.nmi, 0.6403689629905663, kTolerance);
  EXPECT_NEAR(s.ari, 0.26666666666666666, kTolerance);
  EXPECT_EQ(s.clustered_messages, 8);
  EXPECT_EQ(s.clusters, 5);
}

TEST(EvaluateMining, MessageInSeveralDraftsBelongsToTheMostFrequentEarliestFirst) {
  // m1..m6 labelled x x x y y z.
  //   D0 freq 2 [m1 m2 m4], D1 freq 4 [m2 m3 m5], D2 freq 4 [m4 m5 m6]
  // m2 -> D1 (4 > 2); m4 -> D2 (4 > 2); m5 -> D1 (tie, earlier).
  // So pred = [D0, D1, D1, D2, D1, D2]; sklearn reference values below.
  Labels labels = {{"m1", "x"}, {"m2", "x"}, {"m3", "x"}, {"m4", "y"}, {"m5", "y"}, {"m6", "z"}};
  std::vector<Draft> drafts = {MakeDraft(2, {"m1", "m2", "m4"}), MakeDraft(4, {"m2", "m3", "m5"}),
                               MakeDraft(4, {"m4", "m5", "m6"})};
  ZHIKU_ASSERT_OK_AND_ASSIGN(MiningScores s, EvaluateMining(drafts, labels));
  EXPECT_NEAR(s.nmi, 0.45688765264105785, kTolerance);
  EXPECT_NEAR(s.ari, -0.022727272727272728, kTolerance);
  EXPECT_EQ(s.clustered_messages, 6);
  // Ranked D1, D2, D0. D1 = {x,x,y}: majority x, 2/3. D2 = {y,z}: tie ->
  // y, 1/2. D0 = {x}: x, 1/1, a duplicate of D1.
  EXPECT_NEAR(s.top_purity, (2.0 / 3 + 0.5 + 1.0) / 3, kTolerance);
  EXPECT_NEAR(s.top_duplicate_rate, 1.0 / 3, kTolerance);
  EXPECT_EQ(s.top_labels_covered, 2);  // x and y of x, y, z
  EXPECT_NEAR(s.top_coverage, 2.0 / 3, kTolerance);
}

TEST(EvaluateMining, MatchesScikitLearnOnAPseudoRandomClustering) {
  // 1,000 messages, 7 labels, 5 drafts and singletons, from a 64-bit LCG
  // (Knuth's MMIX constants) that the reference script replays:
  //   label = (x >> 33) % 7; c = (next x >> 33) % 6; c == 5 -> singleton.
  std::vector<std::string> truth;
  std::vector<int> cluster;
  uint64_t x = 12345;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x;
  };
  for (int i = 0; i < 1000; ++i) {
    truth.push_back(absl::StrCat((next() >> 33) % 7));
    const int c = static_cast<int>((next() >> 33) % 6);
    cluster.push_back(c < 5 ? c : -1);
  }
  const MiningScores s = Evaluate(FromVectors(truth, cluster));
  EXPECT_NEAR(s.nmi, 0.1502046844712058, kTolerance);
  EXPECT_NEAR(s.ari, 0.0030741776969932986, kTolerance);
}

TEST(EvaluateMining, DuplicateIdsInADraftCountOnce) {
  Labels labels = {{"m1", "a"}, {"m2", "a"}};
  std::vector<Draft> drafts = {MakeDraft(2, {"m1", "m1", "m2"})};
  ZHIKU_ASSERT_OK_AND_ASSIGN(MiningScores s, EvaluateMining(drafts, labels));
  EXPECT_NEAR(s.nmi, 1.0, kTolerance);
  EXPECT_NEAR(s.ari, 1.0, kTolerance);
  EXPECT_EQ(s.clustered_messages, 2);
}

TEST(EvaluateMining, TopDraftsAreRankedByFrequencyThenFileOrder) {
  // Three drafts, K = 2: ranks by frequency 5, 5 (file order), 9 first.
  //   D0 freq 5 {b}, D1 freq 5 {c}, D2 freq 9 {a, a, b}.
  // Top 2 = D2 (majority a, 2/3) and D0 (b, 1/1); D1 is outside.
  Labels labels = {{"m1", "a"}, {"m2", "a"}, {"m3", "b"}, {"m4", "b"}, {"m5", "c"}};
  std::vector<Draft> drafts = {MakeDraft(5, {"m4"}), MakeDraft(5, {"m5"}), MakeDraft(9, {"m1", "m2", "m3"})};
  EvalOptions options;
  options.top_drafts = 2;
  options.top_labels = 2;
  ZHIKU_ASSERT_OK_AND_ASSIGN(MiningScores s, EvaluateMining(drafts, labels, options));
  EXPECT_EQ(s.top_drafts_used, 2);
  EXPECT_EQ(s.top_drafts_labelled, 2);
  EXPECT_NEAR(s.top_purity, (2.0 / 3 + 1.0) / 2, kTolerance);
  EXPECT_DOUBLE_EQ(s.top_duplicate_rate, 0.0);
  // Top-2 labels: a (2) and b (2); both are majorities.
  EXPECT_EQ(s.top_labels_covered, 2);
  EXPECT_DOUBLE_EQ(s.top_coverage, 1.0);
  // With K = 1 only a is covered.
  options.top_drafts = 1;
  ZHIKU_ASSERT_OK_AND_ASSIGN(s, EvaluateMining(drafts, labels, options));
  EXPECT_DOUBLE_EQ(s.top_coverage, 0.5);
}

TEST(EvaluateMining, MajorityTiesGoToTheSmallerLabelName) {
  // D0 {zeta, alpha}: majority alpha. D1 {alpha}: a duplicate of D0.
  Labels labels = {{"m1", "zeta"}, {"m2", "alpha"}, {"m3", "alpha"}};
  std::vector<Draft> drafts = {MakeDraft(3, {"m1", "m2"}), MakeDraft(1, {"m3"})};
  EvalOptions options;
  options.top_labels = 1;
  ZHIKU_ASSERT_OK_AND_ASSIGN(MiningScores s, EvaluateMining(drafts, labels, options));
  EXPECT_NEAR(s.top_duplicate_rate, 0.5, kTolerance);
  EXPECT_NEAR(s.top_purity, 0.75, kTolerance);
  EXPECT_DOUBLE_EQ(s.top_coverage, 1.0);  // alpha is the top label
}

TEST(EvaluateMining, TopLabelTiesGoToTheSmallerLabelName) {
  // b and c both have 2 messages, a has 1; the only draft's majority is c.
  // Top-1 label: b (tie with c, smaller name) -> not covered.
  Labels labels = {{"m1", "b"}, {"m2", "b"}, {"m3", "c"}, {"m4", "c"}, {"m5", "a"}};
  std::vector<Draft> drafts = {MakeDraft(1, {"m3", "m4"})};
  EvalOptions options;
  options.top_labels = 1;
  ZHIKU_ASSERT_OK_AND_ASSIGN(MiningScores s, EvaluateMining(drafts, labels, options));
  EXPECT_EQ(s.top_labels_used, 1);
  EXPECT_DOUBLE_EQ(s.top_coverage, 0.0);
  options.top_labels = 2;
  ZHIKU_ASSERT_OK_AND_ASSIGN(s, EvaluateMining(drafts, labels, options));
  EXPECT_DOUBLE_EQ(s.top_coverage, 0.5);
}

TEST(EvaluateMining, DraftsWithoutLabelledMembersTakeNoPartInRatios) {
  Labels labels = {{"m1", "a"}, {"m2", "b"}};
  std::vector<Draft> drafts = {MakeDraft(10, {"u1", "u2"}), MakeDraft(3, {"m1"})};
  ZHIKU_ASSERT_OK_AND_ASSIGN(MiningScores s, EvaluateMining(drafts, labels));
  EXPECT_EQ(s.top_drafts_used, 2);
  EXPECT_EQ(s.top_drafts_labelled, 1);
  EXPECT_DOUBLE_EQ(s.top_purity, 1.0);
  EXPECT_DOUBLE_EQ(s.top_duplicate_rate, 0.0);
}

TEST(EvaluateMining, RejectsEmptyLabelsAndBadOptions) {
  EXPECT_EQ(EvaluateMining({}, {}).status().code(), absl::StatusCode::kInvalidArgument);
  Labels labels = {{"m1", "a"}};
  EvalOptions options;
  options.top_drafts = 0;
  EXPECT_EQ(EvaluateMining({}, labels, options).status().code(), absl::StatusCode::kInvalidArgument);
  options = {};
  options.top_labels = -1;
  EXPECT_EQ(EvaluateMining({}, labels, options).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EvaluateMining({}, {{"m1", ""}}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EvaluateMining, ScalesToAMillionMessages) {
  // 1,000,000 labelled messages, 2,000 labels, 3,000 drafts; a guard on the
  // O(n) claim (this takes well under a second in a release build).
  Labels labels;
  labels.reserve(1000000);
  std::vector<Draft> drafts(3000);
  for (int d = 0; d < 3000; ++d) {
    drafts[d].question = "q";
    drafts[d].frequency = d % 97;
  }
  uint64_t x = 7;
  for (int i = 0; i < 1000000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::string id = absl::StrCat("m", i);
    const int label = static_cast<int>((x >> 33) % 2000);
    labels[id] = absl::StrCat("label-", label);
    if ((x >> 20) % 10 != 0) drafts[(label * 3 + (x >> 40) % 2) % 3000].message_ids.push_back(id);
  }
  const auto begin = std::chrono::steady_clock::now();
  ZHIKU_ASSERT_OK_AND_ASSIGN(MiningScores s, EvaluateMining(drafts, labels));
  std::cout << "EvaluateMining on 1,000,000 labelled messages: "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count() << " s\n";
  EXPECT_EQ(s.labelled_messages, 1000000);
  EXPECT_GT(s.nmi, 0.5);
  EXPECT_LT(s.nmi, 1.0);
  EXPECT_GT(s.ari, 0.0);
}

TEST(ReadLabelsFile, ReadsLinesAndSkipsBlankOnes) {
  testing::TempDir dir;
  const std::string path = dir.Sub("labels.jsonl");
  WriteFile(path,
            "{\"message_id\":\"m1\",\"label\":\"refund\"}\r\n"
            "\n"
            "   \n"
            "{\"message_id\":42,\"label\":\"退货\",\"note\":\"ignored\"}\n");
  ZHIKU_ASSERT_OK_AND_ASSIGN(Labels labels, ReadLabelsFile(path));
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels["m1"], "refund");
  EXPECT_EQ(labels["42"], "退货");
}

TEST(ReadLabelsFile, BadLinesNameFileAndLine) {
  struct Case {
    const char* content;
    const char* message;  // expected in the error
  };
  const Case kCases[] = {
      {"{\"message_id\":\"m1\",\"label\":\"a\"}\n{broken\n", ":2: invalid JSON"},
      {"[1,2]\n", ":1: the line is not"},
      {"{\"label\":\"a\"}\n", ":1: \"message_id\" is missing"},
      {"{\"message_id\":\"\",\"label\":\"a\"}\n", ":1: \"message_id\" is empty"},
      {"{\"message_id\":1.5,\"label\":\"a\"}\n", ":1: \"message_id\" must be"},
      {"{\"message_id\":\"m1\"}\n", ":1: \"label\" is missing"},
      {"{\"message_id\":\"m1\",\"label\":3}\n", ":1: \"label\" must be a string"},
      {"{\"message_id\":\"m1\",\"label\":\"\"}\n", ":1: \"label\" is empty"},
      // A message labelled twice is an error, even with the same label.
      {"{\"message_id\":\"m1\",\"label\":\"a\"}\n\n{\"message_id\":\"m1\",\"label\":\"a\"}\n",
       ":3: message_id \"m1\" is already labelled on line 1"},
  };
  testing::TempDir dir;
  int i = 0;
  for (const Case& c : kCases) {
    const std::string path = dir.Sub(absl::StrCat("labels", i++, ".jsonl"));
    WriteFile(path, c.content);
    absl::StatusOr<Labels> labels = ReadLabelsFile(path);
    ASSERT_FALSE(labels.ok()) << c.content;
    EXPECT_EQ(labels.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(labels.status().message()), HasSubstr(absl::StrCat(path, c.message)));
  }
}

TEST(ReadLabelsFile, MissingFileIsNotFound) {
  testing::TempDir dir;
  EXPECT_EQ(ReadLabelsFile(dir.Sub("absent.jsonl")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadDraftsFile(dir.Sub("absent.jsonl")).status().code(), absl::StatusCode::kNotFound);
}

TEST(ReadDraftsFile, ReadsDraftsInFileOrder) {
  testing::TempDir dir;
  const std::string path = dir.Sub("drafts.jsonl");
  Draft a = MakeDraft(3, {"m1", "m2"}, "怎么退货");
  Draft b = MakeDraft(7, {"m3"}, "how do I reset my password");
  WriteFile(path, DraftToJson(a) + "\n\n" + DraftToJson(b) + "\n");
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<Draft> drafts, ReadDraftsFile(path));
  ASSERT_EQ(drafts.size(), 2u);
  EXPECT_EQ(drafts[0].question, "怎么退货");
  EXPECT_EQ(drafts[0].message_ids, (std::vector<std::string>{"m1", "m2"}));
  EXPECT_EQ(drafts[1].frequency, 7);
}

TEST(ReadDraftsFile, BadLineNamesFileAndLine) {
  testing::TempDir dir;
  const std::string path = dir.Sub("drafts.jsonl");
  WriteFile(path, DraftToJson(MakeDraft(1, {"m1"})) + "\n{\"question\":\"\"}\n");
  absl::StatusOr<std::vector<Draft>> drafts = ReadDraftsFile(path);
  ASSERT_FALSE(drafts.ok());
  EXPECT_EQ(drafts.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(drafts.status().message()), HasSubstr(path + ":2: \"question\""));
}

TEST(MiningScoresToJson, KeysFollowTheParameters) {
  MiningScores s;
  s.nmi = 0.5;
  s.ari = 0.25;
  s.top_purity = 0.75;
  s.top_drafts = 20;
  s.top_labels = 10;
  s.labelled_messages = 12;
  const nlohmann::json j = nlohmann::json::parse(MiningScoresToJson(s));
  EXPECT_DOUBLE_EQ(j.at("nmi").get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j.at("ari").get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j.at("top20_purity").get<double>(), 0.75);
  EXPECT_TRUE(j.contains("top20_duplicate_rate"));
  EXPECT_TRUE(j.contains("top10_coverage"));
  EXPECT_EQ(j.at("labelled_messages").get<int64_t>(), 12);
  EXPECT_EQ(MiningScoresToJson(s).rfind("{\"nmi\":", 0), 0u) << "the headline scores come first";
  const nlohmann::json defaults = nlohmann::json::parse(MiningScoresToJson(MiningScores{}));
  for (const char* key : {"nmi", "ari", "top50_purity", "top50_duplicate_rate", "top30_coverage", "labelled_messages",
                          "clustered_messages", "drafts", "top_drafts_used"}) {
    EXPECT_TRUE(defaults.contains(key)) << key;
  }
}

TEST(MiningScoresToTable, NamesEveryMetric) {
  MiningScores s;
  s.nmi = 0.6612;
  const std::string table = MiningScoresToTable(s);
  EXPECT_THAT(table, HasSubstr("NMI"));
  EXPECT_THAT(table, HasSubstr("0.6612"));
  EXPECT_THAT(table, HasSubstr("top-50 purity"));
  EXPECT_THAT(table, HasSubstr("top-30 label coverage"));
  EXPECT_EQ(table.back(), '\n');
}

}  // namespace
}  // namespace zhiku
