#include "index/chitchat.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "index/text_normalizer.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

constexpr ChitchatKind kNone = ChitchatKind::kNone;
constexpr ChitchatKind kGreeting = ChitchatKind::kGreeting;
constexpr ChitchatKind kThanks = ChitchatKind::kThanks;
constexpr ChitchatKind kHuman = ChitchatKind::kHumanRequest;
constexpr ChitchatKind kNoContent = ChitchatKind::kNoContent;

struct ChitchatCase {
  std::string normalized;  // TextNormalizer::Normalize output
  ChitchatKind expected;
};

// Rows are in normalised form, as ClassifyChitchat receives them.
std::vector<ChitchatCase> Cases() {
  return {
      // ---- Greetings.
      {"你好", kGreeting},
      {"您好", kGreeting},
      {"在吗", kGreeting},
      {"在不在", kGreeting},
      // The one-character form of 在吗.
      {"在", kGreeting},
      // Several phrases, with and without a space between them.
      {"你好 在吗", kGreeting},
      {"你好在吗", kGreeting},
      // Fillers and forms of address around a greeting.
      {"亲 在吗", kGreeting},
      {"你好呀", kGreeting},
      {"客服你好", kGreeting},
      {"hello", kGreeting},
      {"hi there", kGreeting},
      {"good morning", kGreeting},
      // Elongated English: the final letter repeats.
      {"hiii", kGreeting},
      // A form of address alone calls for attention, like 在吗.
      {"客服", kGreeting},
      // ---- Thanks, acknowledgements and goodbyes.
      {"谢谢", kThanks},
      {"多谢", kThanks},
      {"好的", kThanks},
      {"嗯嗯", kThanks},
      {"再见", kThanks},
      {"thank you", kThanks},
      {"ok thanks bye", kThanks},
      {"thanks so much", kThanks},
      // Both a digit run and "bye bye": the phrase wins over no-content.
      {"886", kThanks},
      // Mixed kinds: thanks outranks greeting.
      {"你好 谢谢", kThanks},
      // ---- Requests for a human.
      {"人工", kHuman},
      {"转人工", kHuman},
      {"人工客服", kHuman},
      {"找客服", kHuman},
      {"我要转人工", kHuman},
      {"human please", kHuman},
      {"talk to someone", kHuman},
      {"can i talk to a real person", kHuman},
      // A human request outranks the greeting before it.
      {"你好 转人工", kHuman},
      // ---- No content.
      // Only emoji or punctuation: Normalize leaves nothing.
      {"", kNoContent},
      // A bare order number.
      {"202405170012345", kNoContent},
      {"123 456", kNoContent},
      // An emoji's variation selector survives normalisation (❤️ -> U+FE0F).
      {"\xEF\xB8\x8F", kNoContent},
      {"请", kNoContent},
      // ---- Not chit-chat: something besides chit-chat must be answered.
      {"你好 我想退货", kNone},
      {"在吗 退款多久到账", kNone},
      {"thanks but my card was charged twice", kNone},
      {"how do i talk to a human about a refund", kNone},
      // "hello" is a greeting, but here it is a product name.
      {"hello kitty 手机壳有货吗", kNone},
      // Contains 人工 but asks about something else.
      {"人工智能", kNone},
      {"人工客服电话多少", kNone},
      // Word boundaries: "hi" is not the start of "high", "ok" not of "okra".
      {"high", kNone},
      {"okra", kNone},
      // A number with letters is a code to look up, not a bare number.
      {"sf1234567890", kNone},
      {"订单 12345", kNone},
      // A greeting plus a real question.
      {"你好 请问怎么开发票", kNone},
      {"how are you shipping this", kNone},
      // 在 alone is "are you there?"; 在哪 asks where something is.
      {"在哪", kNone},
  };
}

TEST(ClassifyChitchat, ClassifiesNormalizedMessages) {
  for (const ChitchatCase& c : Cases()) {
    EXPECT_EQ(ChitchatKindName(ClassifyChitchat(c.normalized)), ChitchatKindName(c.expected))
        << "message: \"" << c.normalized << "\"";
  }
}

TEST(ClassifyChitchat, LongMessagesAreNotChitchat) {
  std::string thanks;
  while (thanks.size() + 6 <= 4096) thanks += "谢谢";  // 6 bytes each
  EXPECT_EQ(ClassifyChitchat(thanks), kThanks);
  EXPECT_EQ(ClassifyChitchat(thanks + "谢谢"), kNone);  // over 4,096 bytes
}

TEST(ClassifyChitchat, InvalidUtf8IsNotChitchat) {
  EXPECT_EQ(ClassifyChitchat("\xff"), kNone);
  EXPECT_EQ(ClassifyChitchat("你好\xe4"), kNone);  // truncated code point
}

// The classifier sees what the normaliser makes of raw user text.
TEST(ClassifyChitchat, ClassifiesRawTextAfterNormalization) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(const std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  const std::vector<ChitchatCase> raw = {
      {"謝謝！", kThanks},             // Traditional, full-width punctuation
      {"在嗎？？", kGreeting},
      {"Hello!!", kGreeting},
      {"ＯＫ", kThanks},               // full-width letters
      {"Thanks :)", kThanks},          // an ASCII smiley is punctuation
      {"😀😀😀", kNoContent},
      {"👍🏻", kNoContent},             // with a skin-tone modifier
      {"❤️", kNoContent},              // with a variation selector
      {"1️⃣", kNoContent},              // keycap: digit, selector, enclosing mark
      {"。。。", kNoContent},
      {"轉人工", kHuman},
      {"Human, please.", kHuman},
      {"您好，我想退貨", kNone},
  };
  for (const ChitchatCase& c : raw) {
    const std::string normalized = normalizer->Normalize(c.normalized);
    EXPECT_EQ(ChitchatKindName(ClassifyChitchat(normalized)), ChitchatKindName(c.expected))
        << "raw: \"" << c.normalized << "\", normalized: \"" << normalized << "\"";
  }
}

TEST(ClassifyChitchat, IsThreadSafe) {
  const std::vector<ChitchatCase> cases = Cases();
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &cases, &mismatches] {
      for (int round = 0; round < 200; ++round) {
        for (const ChitchatCase& c : cases) {
          if (ClassifyChitchat(c.normalized) != c.expected) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(ChitchatKindName, NamesEveryKind) {
  EXPECT_EQ(ChitchatKindName(kNone), "none");
  EXPECT_EQ(ChitchatKindName(kGreeting), "greeting");
  EXPECT_EQ(ChitchatKindName(kThanks), "thanks");
  EXPECT_EQ(ChitchatKindName(kHuman), "human_request");
  EXPECT_EQ(ChitchatKindName(kNoContent), "no_content");
}

}  // namespace
}  // namespace zhiku
