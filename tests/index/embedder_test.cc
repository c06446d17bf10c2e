#include "index/embedder.h"

#include <atomic>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::Contains;
using ::zhiku::testing::TempDir;

// Five FAQ entries, each with six training phrasings (normalised form:
// lower case, no punctuation) and one held-out paraphrase.
struct Intent {
  std::string label;
  std::vector<std::string> phrasings;
  std::string held_out;
};

const std::vector<Intent>& Kb() {
  static const std::vector<Intent> kb{
      {"refund",
       {"怎么退货", "我想退货怎么办", "退货流程是什么", "如何申请退货",
        "how do i return an item", "商品不满意可以退货吗"},
       "退货怎么操作"},
      {"shipping",
       {"什么时候发货", "多久能发货", "快递到哪里了", "物流信息怎么查",
        "when will my order ship", "包裹几天能到"},
       "我的快递什么时候到"},
      {"password",
       {"忘记密码怎么办", "怎么重置密码", "密码找回", "登录密码忘了",
        "how to reset my password", "修改登录密码"},
       "密码忘记了怎么找回"},
      {"invoice",
       {"怎么开发票", "发票在哪里下载", "可以开增值税发票吗", "发票抬头怎么改",
        "how do i get an invoice", "申请电子发票"},
       "我要开发票"},
      {"cancel",
       {"怎么取消订单", "订单取消", "我不想要了能取消吗", "取消订单后多久退款",
        "how to cancel my order", "下错单了想取消"},
       "订单怎么取消"},
  };
  return kb;
}

std::vector<std::pair<std::string, std::string>> TrainingTexts() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Intent& intent : Kb()) {
    for (const std::string& p : intent.phrasings) {
      out.emplace_back(intent.label, TokensForEmbedding(p));
    }
  }
  return out;
}

FastTextOptions SmallOptions() {
  FastTextOptions o;
  o.dim = 32;
  o.epochs = 50;
  o.threads = 1;
  o.bucket = 20000;
  o.seed = 7;
  return o;
}

std::vector<float> EmbedOrDie(const Embedder& e, const std::string& text) {
  std::vector<float> v(e.dim());
  const absl::Status s = e.Embed(text, v.data());
  EXPECT_TRUE(s.ok()) << s;
  return v;
}

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += double(a[i]) * b[i];
  return d;
}

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  return Dot(a, b) / std::sqrt(Dot(a, a) * Dot(b, b));
}

class FastTextEmbedderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto trained = FastTextEmbedder::TrainSupervised(TrainingTexts(),
                                                     SmallOptions(), dir_.path());
    ASSERT_TRUE(trained.ok()) << trained.status();
    embedder_ = std::move(trained).value();
  }

  TempDir dir_;
  std::unique_ptr<FastTextEmbedder> embedder_;
};

TEST(TokensForEmbedding, SplitsChineseIntoUnigramsAndBigrams) {
  const std::vector<std::string> terms =
      absl::StrSplit(TokensForEmbedding("怎么退货"), ' ');
  EXPECT_THAT(terms, Contains("退货"));
  EXPECT_THAT(terms, Contains("怎"));
  EXPECT_EQ(TokensForEmbedding("怎么退货"), "怎 怎么 么 么退 退 退货 货");
}

TEST(TokensForEmbedding, KeepsEnglishWordsStemmed) {
  EXPECT_EQ(TokensForEmbedding("returning items"), "return item");
  EXPECT_EQ(TokensForEmbedding(""), "");
}

// Each held-out paraphrase is more similar to the mean embedding of its own
// label's phrasings than to that of any other label.
void ExpectHeldOutClosestToOwnLabel(const Embedder& embedder) {
  std::vector<std::vector<float>> centroids;
  for (const Intent& intent : Kb()) {
    std::vector<float> mean(embedder.dim(), 0.0f);
    for (const std::string& p : intent.phrasings) {
      const std::vector<float> v = EmbedOrDie(embedder, p);
      for (size_t i = 0; i < v.size(); ++i) mean[i] += v[i];
    }
    centroids.push_back(mean);
  }
  for (size_t own = 0; own < Kb().size(); ++own) {
    const std::vector<float> q = EmbedOrDie(embedder, Kb()[own].held_out);
    const double own_sim = Cosine(q, centroids[own]);
    for (size_t other = 0; other < Kb().size(); ++other) {
      if (other == own) continue;
      EXPECT_GT(own_sim, Cosine(q, centroids[other]))
          << Kb()[own].held_out << " vs label " << Kb()[other].label;
    }
  }
}

TEST_F(FastTextEmbedderTest, HeldOutParaphraseIsClosestToItsOwnLabel) {
  ASSERT_EQ(embedder_->dim(), 32);
  ExpectHeldOutClosestToOwnLabel(*embedder_);
}

TEST(FastTextEmbedder, HierarchicalSoftmaxAlsoSeparatesLabels) {
  TempDir dir;
  FastTextOptions options = SmallOptions();
  options.loss = FastTextLoss::kHierarchicalSoftmax;
  ZHIKU_ASSERT_OK_AND_ASSIGN(
      auto embedder,
      FastTextEmbedder::TrainSupervised(TrainingTexts(), options, dir.path()));
  ExpectHeldOutClosestToOwnLabel(*embedder);
}

TEST_F(FastTextEmbedderTest, VectorsHaveUnitLength) {
  for (const Intent& intent : Kb()) {
    for (const std::string& text : intent.phrasings) {
      EXPECT_NEAR(Dot(EmbedOrDie(*embedder_, text), EmbedOrDie(*embedder_, text)),
                  1.0, 1e-5)
          << text;
    }
    // Mixed known and unknown terms are still normalised.
    const std::vector<float> v = EmbedOrDie(*embedder_, intent.held_out + " zzqx");
    EXPECT_NEAR(Dot(v, v), 1.0, 1e-5) << intent.held_out;
  }
}

TEST_F(FastTextEmbedderTest, TextWithoutKnownTermsGivesZeroVector) {
  // Regression rows: empty text; unseen words (fastText would still hash
  // their word pair into a bucket); an unseen CJK character.
  for (const std::string text : {"", "zzqx qqvy", "龘"}) {
    const std::vector<float> v = EmbedOrDie(*embedder_, text);
    EXPECT_EQ(Dot(v, v), 0.0) << "\"" << text << "\"";
  }
}

TEST_F(FastTextEmbedderTest, NullOutputIsInvalidArgument) {
  EXPECT_EQ(embedder_->Embed("退货", nullptr).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FastTextEmbedderTest, SaveThenLoadGivesIdenticalEmbeddings) {
  const std::string path = dir_.Sub("model.bin");
  ZHIKU_ASSERT_OK(embedder_->Save(path));
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<FastTextEmbedder> loaded,
                             FastTextEmbedder::Load(path));
  ASSERT_EQ(loaded->dim(), embedder_->dim());
  for (const Intent& intent : Kb()) {
    EXPECT_EQ(EmbedOrDie(*loaded, intent.held_out),
              EmbedOrDie(*embedder_, intent.held_out));
  }
}

TEST_F(FastTextEmbedderTest, LoadOfDamagedFileIsDataLoss) {
  const std::string path = dir_.Sub("model.bin");
  ZHIKU_ASSERT_OK(embedder_->Save(path));
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 1000u);
  const auto write = [&](const std::string& name, const std::string& content) {
    std::ofstream out(dir_.Sub(name), std::ios::binary);
    out << content;
    return dir_.Sub(name);
  };
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x5a;
  // Regression rows: garbage; a truncated model (fastText alone loops or runs
  // out of memory on it); one flipped byte; an empty file.
  for (const std::string& damaged :
       {write("garbage", std::string(5000, '\x7f') + "not a model"),
        write("truncated", bytes.substr(0, bytes.size() / 3)),
        write("flipped", flipped), write("empty", "")}) {
    EXPECT_EQ(FastTextEmbedder::Load(damaged).status().code(),
              absl::StatusCode::kDataLoss)
        << damaged;
  }
  EXPECT_EQ(FastTextEmbedder::Load(dir_.Sub("missing")).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(FastTextEmbedderTest, ConcurrentEmbedMatchesSingleThreaded) {
  std::vector<std::string> texts;
  for (const Intent& intent : Kb()) {
    texts.insert(texts.end(), intent.phrasings.begin(), intent.phrasings.end());
    texts.push_back(intent.held_out);
  }
  std::vector<std::vector<float>> expected;
  for (const std::string& t : texts) expected.push_back(EmbedOrDie(*embedder_, t));

  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> v(embedder_->dim());
      for (int round = 0; round < 50; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          if (!embedder_->Embed(texts[i], v.data()).ok() || v != expected[i]) {
            ++mismatches[t];
          }
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(FastTextEmbedder, SingleThreadedTrainingIsReproducible) {
  TempDir dir;
  ZHIKU_ASSERT_OK_AND_ASSIGN(
      auto a, FastTextEmbedder::TrainSupervised(TrainingTexts(), SmallOptions(),
                                                dir.path()));
  ZHIKU_ASSERT_OK_AND_ASSIGN(
      auto b, FastTextEmbedder::TrainSupervised(TrainingTexts(), SmallOptions(),
                                                dir.path()));
  for (const Intent& intent : Kb()) {
    EXPECT_EQ(EmbedOrDie(*a, intent.held_out), EmbedOrDie(*b, intent.held_out));
  }
}

TEST(FastTextEmbedder, RejectsInvalidInput) {
  TempDir dir;
  const auto train = [&](const std::vector<std::pair<std::string, std::string>>& texts,
                         const FastTextOptions& o) {
    return FastTextEmbedder::TrainSupervised(texts, o, dir.path()).status().code();
  };
  FastTextOptions zero_dim = SmallOptions();
  zero_dim.dim = 0;
  FastTextOptions no_bucket = SmallOptions();
  no_bucket.bucket = 0;  // word_ngrams = 2 hashes pairs into buckets
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(train(TrainingTexts(), zero_dim), kInvalid);
  EXPECT_EQ(train(TrainingTexts(), no_bucket), kInvalid);
  EXPECT_EQ(train({}, SmallOptions()), kInvalid);
  EXPECT_EQ(train({{"two words", "退 退货"}}, SmallOptions()), kInvalid);
  EXPECT_EQ(train({{"", "退 退货"}}, SmallOptions()), kInvalid);
  EXPECT_EQ(train({{"a", "退\n退货"}}, SmallOptions()), kInvalid);
  EXPECT_EQ(train({{"a", "退 __label__b"}}, SmallOptions()), kInvalid);
  // No text has a term.
  EXPECT_EQ(train({{"a", ""}, {"b", "  "}}, SmallOptions()), kInvalid);
  EXPECT_EQ(FastTextEmbedder::TrainSupervised(TrainingTexts(), SmallOptions(),
                                              dir.Sub("no_such_dir"))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace zhiku

namespace zhiku {
namespace {

TEST(FastTextEmbedderCancel, CancelledBeforeTrainingTrainsNothing) {
  zhiku::testing::TempDir dir;
  std::atomic<bool> cancel{true};
  EXPECT_EQ(FastTextEmbedder::TrainSupervised(TrainingTexts(), SmallOptions(), dir.path(), &cancel).status().code(),
            absl::StatusCode::kCancelled);
}

TEST(FastTextEmbedderCancel, CancellingDuringTrainingStopsItEarly) {
  zhiku::testing::TempDir dir;
  FastTextOptions options = SmallOptions();
  options.epochs = 2000000;  // hours of training if it were not stopped
  std::atomic<bool> cancel{false};
  std::thread stopper([&cancel] {
    absl::SleepFor(absl::Milliseconds(200));
    cancel = true;
  });
  const absl::Time start = absl::Now();
  absl::StatusOr<std::unique_ptr<FastTextEmbedder>> trained =
      FastTextEmbedder::TrainSupervised(TrainingTexts(), options, dir.path(), &cancel);
  const absl::Duration took = absl::Now() - start;
  stopper.join();
  EXPECT_EQ(trained.status().code(), absl::StatusCode::kCancelled) << trained.status();
  EXPECT_LT(took, absl::Seconds(30));
}

}  // namespace
}  // namespace zhiku
