#include "ingest/miner.h"

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/text_normalizer.h"

namespace zhiku {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

class MinerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto normalizer = TextNormalizer::Create();
    ASSERT_TRUE(normalizer.ok()) << normalizer.status();
    normalizer_ = *std::move(normalizer);
  }

  static ChatMessage Message(const std::string& conversation, const std::string& id, ChatRole role,
                             const std::string& text, const std::string& ts = "") {
    ChatMessage m;
    m.conversation_id = conversation;
    m.message_id = id;
    m.role = role;
    m.text = text;
    m.ts = ts;
    return m;
  }

  // Conversation i asks `question`, the agent answers `answer`.
  void Ask(Miner& miner, int i, const std::string& question, const std::string& answer, const std::string& ts = "") {
    std::string c = "c" + std::to_string(i);
    miner.Add(Message(c, c + "-1", ChatRole::kCustomer, "你好", ts));
    miner.Add(Message(c, c + "-2", ChatRole::kCustomer, question, ts));
    if (!answer.empty()) miner.Add(Message(c, c + "-3", ChatRole::kAgent, answer, ts));
  }

  std::unique_ptr<TextNormalizer> normalizer_;
};

std::string Dump(const std::vector<Draft>& drafts) {
  std::string out;
  for (const Draft& d : drafts) out += DraftToJson(d) + "\n";
  return out;
}

// The draft holding message `id` as evidence.
const Draft* DraftOf(const std::vector<Draft>& drafts, const std::string& id) {
  for (const Draft& d : drafts) {
    for (const std::string& m : d.message_ids) {
      if (m == id) return &d;
    }
  }
  return nullptr;
}

const Draft* FindDraftWith(const std::vector<Draft>& drafts, const std::string& phrasing) {
  for (const Draft& d : drafts) {
    if (d.question == phrasing) return &d;
    for (const std::string& v : d.variants) {
      if (v == phrasing) return &d;
    }
  }
  return nullptr;
}

TEST_F(MinerTest, ParaphrasesInBothScriptsFormOneDraftPerQuestion) {
  Miner miner(MinerOptions{}, normalizer_.get());
  const std::vector<std::string> refund = {"退款多久能到账", "退款多久到账？", "退款幾天能到賬", "请问退款多久能到账呢",
                                           "我的退款多久到账"};
  const std::vector<std::string> invoice = {"发票怎么开", "怎么开发票", "發票要怎麼開", "请问发票怎么开具", "我想开发票怎么开"};
  int i = 0;
  for (const auto& q : refund) Ask(miner, i++, q, "退款会在1到3个工作日内原路退回到您的支付账户。");
  for (const auto& q : invoice) Ask(miner, i++, q, "您可以在订单详情页点击申请开票，电子发票会发到您的邮箱。");
  std::vector<Draft> drafts = miner.Finish();

  const Draft* r = DraftOf(drafts, "c2-2");  // 退款幾天能到賬
  const Draft* v = DraftOf(drafts, "c7-2");  // 發票要怎麼開
  ASSERT_NE(r, nullptr) << Dump(drafts);
  ASSERT_NE(v, nullptr) << Dump(drafts);
  EXPECT_NE(r, v);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(DraftOf(drafts, "c" + std::to_string(i) + "-2"), r) << refund[i];
  for (int i = 5; i < 10; ++i) EXPECT_EQ(DraftOf(drafts, "c" + std::to_string(i) + "-2"), v) << invoice[i - 5];
  EXPECT_EQ(r->frequency, 5);
  EXPECT_THAT(r->answer, HasSubstr("原路退回"));
  EXPECT_THAT(v->answer, HasSubstr("申请开票"));
  EXPECT_FALSE(r->conflicting_answers);
  EXPECT_EQ(r->conversation_ids.size(), 5u);
  // Greetings were dropped, not clustered.
  EXPECT_EQ(FindDraftWith(drafts, "你好"), nullptr);
  EXPECT_EQ(miner.stats().dropped[static_cast<int>(DropReason::kGreeting)], 10);
}

TEST_F(MinerTest, FrequencyCountsConversationsNotRepeats) {
  Miner miner(MinerOptions{}, normalizer_.get());
  // One conversation asks three times; two others once each.
  for (int k = 0; k < 3; ++k) {
    miner.Add(Message("loud", "loud-" + std::to_string(k), ChatRole::kCustomer, "how do I reset my password"));
  }
  miner.Add(Message("a", "a-1", ChatRole::kCustomer, "how can I reset my password?"));
  miner.Add(Message("b", "b-1", ChatRole::kCustomer, "reset my password please"));
  std::vector<Draft> drafts = miner.Finish();
  const Draft* d = DraftOf(drafts, "b-1");
  ASSERT_NE(d, nullptr) << Dump(drafts);
  EXPECT_EQ(DraftOf(drafts, "loud-0"), d);
  EXPECT_EQ(d->frequency, 3);
  EXPECT_EQ(d->message_ids.size(), 5u);
}

TEST_F(MinerTest, MinFrequencyDropsRareQuestions) {
  MinerOptions options;
  options.min_frequency = 3;
  Miner miner(options, normalizer_.get());
  Ask(miner, 0, "how do I close my account", "");
  Ask(miner, 1, "how can I close my account", "");
  std::vector<Draft> drafts = miner.Finish();
  EXPECT_TRUE(drafts.empty());
}

TEST_F(MinerTest, PersonalDataNeverReachesDrafts) {
  Miner miner(MinerOptions{}, normalizer_.get());
  Ask(miner, 0, "我的手机号13812345678收不到验证码", "请检查短信拦截设置，或联系400-123-4567。");
  Ask(miner, 1, "手机号13987654321收不到验证码怎么办", "请检查短信拦截设置。");
  Ask(miner, 2, "收不到验证码 邮箱 zhang.san@example.com", "请检查短信拦截设置。");
  std::vector<Draft> drafts = miner.Finish();
  ASSERT_FALSE(drafts.empty());
  std::string all;
  for (const Draft& d : drafts) all += DraftToJson(d);
  EXPECT_THAT(all, Not(HasSubstr("13812345678")));
  EXPECT_THAT(all, Not(HasSubstr("13987654321")));
  EXPECT_THAT(all, Not(HasSubstr("zhang.san")));
  EXPECT_THAT(all, HasSubstr("[手机号]"));
  EXPECT_GE(miner.stats().masked[static_cast<int>(PiiType::kPhone)], 2);
  EXPECT_GE(miner.stats().masked[static_cast<int>(PiiType::kEmail)], 1);
}

TEST_F(MinerTest, BoilerplateRepliesAreNotAnswers) {
  Miner miner(MinerOptions{}, normalizer_.get());
  // Every conversation's agent opens with the same line; only the second
  // sentence answers.
  const std::string opener = "您好，很高兴为您服务！";
  const std::vector<std::string> qs = {"运费怎么算", "运费是多少", "运费怎么收", "运费多少钱", "运费怎么计算的"};
  for (int i = 0; i < 5; ++i) Ask(miner, i, qs[i], opener + "满99元包邮，不满收6元运费。");
  for (int i = 5; i < 10; ++i) Ask(miner, i, std::string("发货地址在哪") + (i % 2 ? "呢" : ""), opener + "我们从上海仓发货。");
  for (int i = 10; i < 14; ++i) Ask(miner, i, std::string("可以开发票吗") + (i % 2 ? "？" : ""), opener + "可以开电子发票。");
  for (int i = 14; i < 18; ++i) Ask(miner, i, std::string("支持货到付款吗") + (i % 2 ? "？" : ""), opener + "暂不支持货到付款。");
  std::vector<Draft> drafts = miner.Finish();
  const Draft* d = DraftOf(drafts, "c1-2");  // 运费是多少
  ASSERT_NE(d, nullptr);
  EXPECT_THAT(d->answer, HasSubstr("包邮")) << Dump(drafts);
  EXPECT_THAT(d->answer, Not(HasSubstr("很高兴为您服务")));
}

TEST_F(MinerTest, DisagreeingAgentsAreFlagged) {
  Miner miner(MinerOptions{}, normalizer_.get());
  const std::vector<std::string> qs = {"can I return a used item", "can i return used items?", "return a used item",
                                       "is it possible to return a used item", "can I return an item I used",
                                       "can I still return a used item"};
  // Two agents send customers to the returns page, four others say it is
  // impossible: two groups of replies with nothing in common. (The check is
  // lexical: a bare negation of the same words is not seen.)
  const std::vector<std::string> yes = {"Yes, open Orders, pick the item and press Return within 30 days.",
                                        "Yes: open Orders, pick the item, press Return (30 days)."};
  const std::vector<std::string> no = {"Sorry, hygiene rules forbid taking back worn goods.",
                                       "Hygiene rules forbid taking back worn goods, sorry.",
                                       "Unfortunately hygiene rules forbid taking worn goods back.",
                                       "Hygiene rules forbid it for worn goods."};
  for (int i = 0; i < 6; ++i) Ask(miner, i, qs[i], i < 2 ? yes[i] : no[i - 2]);
  std::vector<Draft> drafts = miner.Finish();
  const Draft* d = DraftOf(drafts, "c2-2");  // return a used item
  for (int i = 0; i < 6; ++i) EXPECT_EQ(DraftOf(drafts, "c" + std::to_string(i) + "-2"), d) << qs[i];
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->conflicting_answers) << Dump(drafts);
  EXPECT_FALSE(d->answer_alternatives.empty());
}

TEST_F(MinerTest, TimestampsGiveFirstLastSeenAndTrend) {
  Miner miner(MinerOptions{}, normalizer_.get());
  // An old question asked early, a new one asked only at the end.
  for (int i = 0; i < 4; ++i) Ask(miner, i, "where is my parcel", "", "2026-11-0" + std::to_string(i + 1) + "T10:00:00Z");
  for (int i = 4; i < 8; ++i) Ask(miner, i, "the app crashes on login", "", "2026-11-09T1" + std::to_string(i) + ":00:00Z");
  std::vector<Draft> drafts = miner.Finish();
  const Draft* old_q = DraftOf(drafts, "c0-2");
  const Draft* new_q = DraftOf(drafts, "c4-2");
  ASSERT_NE(old_q, nullptr);
  ASSERT_NE(new_q, nullptr);
  EXPECT_EQ(old_q->first_seen, "2026-11-01T10:00:00Z");
  EXPECT_EQ(old_q->last_seen, "2026-11-04T10:00:00Z");
  EXPECT_LT(old_q->trend, 1.0);
  EXPECT_GT(new_q->trend, 1.0);
}

TEST_F(MinerTest, SameInputSameDrafts) {
  auto run = [&] {
    Miner miner(MinerOptions{}, normalizer_.get());
    const std::vector<std::string> topics = {"card arrival", "card declined", "exchange rate", "top up failed",
                                             "pin blocked"};
    int i = 0;
    for (int round = 0; round < 6; ++round) {
      for (const auto& t : topics) {
        Ask(miner, i, (round % 2 ? "why is my " : "help with ") + t + (round % 3 ? "?" : " please"), "We will check " + t);
        ++i;
      }
    }
    std::string out;
    for (const Draft& d : miner.Finish()) out += DraftToJson(d) + "\n";
    return out;
  };
  std::string first = run();
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, run());
}

// Phrasings of two questions that share no content word with each other, so
// TF-IDF alone cannot tell they are paraphrases; an embedder can.
const std::vector<std::string> kLostCard = {"i lost my card", "wallet got stolen", "plastic went missing",
                                            "misplaced debit thing"};
const std::vector<std::string> kFx = {"what exchange rate applies", "currency conversion fee", "forex markup charged",
                                      "pricing abroad in euros"};

// A fake of the server's embedding model: one axis per question, nothing
// for a text it does not know.
absl::StatusOr<std::vector<std::vector<float>>> TopicEmbedder(const std::vector<std::string>& texts) {
  auto of = [](const std::string& text, const std::vector<std::string>& phrasings) {
    for (const std::string& p : phrasings) {
      if (text.find(p) != std::string::npos) return true;
    }
    return false;
  };
  std::vector<std::vector<float>> out;
  for (const std::string& t : texts) {
    if (of(t, kLostCard)) {
      out.push_back({1, 0, 0, 0});
    } else if (of(t, kFx)) {
      out.push_back({0, 1, 0, 0});
    } else {
      out.emplace_back();
    }
  }
  return out;
}

class EmbeddingMinerTest : public MinerTest {
 protected:
  std::vector<Draft> Mine(TextEmbedder embedder, MinerStats* stats, int batch = 1000) {
    MinerOptions options;
    options.embed_batch = batch;
    Miner miner(options, normalizer_.get());
    if (embedder) miner.SetEmbedder(std::move(embedder));
    int i = 0;
    for (int copy = 0; copy < 3; ++copy) {
      for (const auto& q : kLostCard) Ask(miner, i++, q, "Freeze the card in the app and order a new one.");
      for (const auto& q : kFx) Ask(miner, i++, q, "We use the network rate plus a 0.5% fee.");
    }
    std::vector<Draft> drafts = miner.Finish();
    *stats = miner.stats();
    return drafts;
  }

  // Conversations holding question `q` of kLostCard/kFx (copy 0).
  static std::string FirstMessage(size_t topic, size_t q) { return "c" + std::to_string(topic * 4 + q) + "-2"; }
};

TEST_F(EmbeddingMinerTest, EmbeddingJoinsParaphrasesThatShareNoWord) {
  MinerStats plain;
  std::vector<Draft> tfidf = Mine(nullptr, &plain);
  const Draft* a = DraftOf(tfidf, FirstMessage(0, 0));
  const Draft* b = DraftOf(tfidf, FirstMessage(0, 1));
  EXPECT_FALSE(a != nullptr && a == b) << "TF-IDF alone already joins them; the test shows nothing\n" << Dump(tfidf);
  EXPECT_EQ(plain.embedded_texts, 0);

  MinerStats stats;
  std::vector<Draft> drafts = Mine(TopicEmbedder, &stats);
  EXPECT_EQ(stats.embedded_texts, 8);
  EXPECT_EQ(stats.embedding_dim, 4);
  EXPECT_EQ(stats.embedding_note, "");
  for (size_t topic = 0; topic < 2; ++topic) {
    const Draft* head = DraftOf(drafts, FirstMessage(topic, 0));
    ASSERT_NE(head, nullptr) << Dump(drafts);
    EXPECT_EQ(head->frequency, 12) << Dump(drafts);
    for (size_t q = 1; q < 4; ++q) EXPECT_EQ(DraftOf(drafts, FirstMessage(topic, q)), head) << Dump(drafts);
  }
  EXPECT_NE(DraftOf(drafts, FirstMessage(0, 0)), DraftOf(drafts, FirstMessage(1, 0))) << Dump(drafts);
}

TEST_F(EmbeddingMinerTest, SmallBatchesGiveTheSameDrafts) {
  MinerStats one, many;
  EXPECT_EQ(Dump(Mine(TopicEmbedder, &one)), Dump(Mine(TopicEmbedder, &many, 3)));
  EXPECT_EQ(many.embedded_texts, 8);
}

TEST_F(EmbeddingMinerTest, FailingEmbedderFallsBackToTfIdfAndSaysWhy) {
  MinerStats plain;
  const std::string tfidf = Dump(Mine(nullptr, &plain));
  MinerStats stats;
  const std::string failed = Dump(Mine(
      [](const std::vector<std::string>&) -> absl::StatusOr<std::vector<std::vector<float>>> {
        return absl::UnavailableError("embedding on 127.0.0.1:1: connection refused");
      },
      &stats));
  EXPECT_EQ(failed, tfidf);
  EXPECT_EQ(stats.embedded_texts, 0);
  EXPECT_THAT(stats.embedding_note, HasSubstr("connection refused"));
  EXPECT_THAT(stats.embedding_note, HasSubstr("TF-IDF alone"));

  MinerStats mixed;
  Mine(
      [](const std::vector<std::string>& texts) -> absl::StatusOr<std::vector<std::vector<float>>> {
        std::vector<std::vector<float>> out;
        for (size_t i = 0; i < texts.size(); ++i) out.push_back(std::vector<float>(i == 0 ? 3 : 4, 0.5f));
        return out;
      },
      &mixed);
  EXPECT_THAT(mixed.embedding_note, HasSubstr("dimensions"));

  MinerStats unknown;
  EXPECT_EQ(Dump(Mine(
                [](const std::vector<std::string>& texts) -> absl::StatusOr<std::vector<std::vector<float>>> {
                  return std::vector<std::vector<float>>(texts.size());
                },
                &unknown)),
            tfidf);
  EXPECT_THAT(unknown.embedding_note, HasSubstr("knows no word"));
}

}  // namespace
}  // namespace zhiku
