#include "index/text_normalizer.h"

#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::HasSubstr;

struct NormalizeCase {
  std::string input;
  std::string expected;
};

// Index forms; each row names the rule it checks.
std::vector<NormalizeCase> NormalizeCases() {
  return {
      {"", ""},
      {"hello world", "hello world"},
      // Full-width ASCII folds to ASCII (NFKC), then lower case.
      {"ＡＢＣ１２３", "abc123"},
      // The ideographic space U+3000 is a space.
      {"退货\u3000流程", "退货 流程"},
      // Case folding beyond ASCII; ß folds to ss.
      {"ÄPFEL Straße", "äpfel strasse"},
      {"ÉCOLE", "école"},
      // Traditional -> Simplified.
      {"如何退貨", "如何退货"},
      {"發票", "发票"},
      {"會員", "会员"},
      // Phrase-level t2s: 覆 alone stays 覆, but 回覆 is 回复. Regression: the
      // shortcut that skips OpenCC must still see such phrases.
      {"請回覆", "请回复"},
      // Chinese punctuation becomes one space; none at the ends.
      {"你好。，？！「」…、世界", "你好 世界"},
      {"「退货」", "退货"},
      // Mixed Chinese and English, full-width question mark.
      {"iPhone15怎么退貨？", "iphone15怎么退货"},
      // Emoji are symbols (So); the variation selector is ignorable.
      {"退货😀流程", "退货 流程"},
      {"好❤️评", "好 评"},
      // Whitespace runs collapse; tabs and newlines are whitespace.
      {"  hello \t\n  world  ", "hello world"},
      // Control characters are dropped without splitting.
      {"ab\x01" "cd", "abcd"},
      // Regression: a dropped control character must not keep the accent
      // from composing (Normalize was not idempotent on this).
      {"ß\x01\u0301", "sś"},
      // Zero-width space (format character) is dropped without splitting.
      {"退\u200b货", "退货"},
      // A combining accent composes with its base (NFKC).
      {"Cafe\u0301", "café"},
      // Half-width katakana widen (NFKC).
      {"ｶﾀｶﾅ", "カタカナ"},
      // Circled digits and ligatures decompose (NFKC).
      {"①②", "12"},
      {"ﬁle", "file"},
      // ASCII punctuation and symbols separate.
      {"don't", "don t"},
      {"$100+tax", "100 tax"},
      {"e-mail@example.com", "e mail example com"},
      // A compatibility ideograph maps to the unified one.
      {"\uF9DC", "\u9686"},
  };
}

TEST(TextNormalizer, NormalizesToIndexForm) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  for (const NormalizeCase& c : NormalizeCases()) {
    EXPECT_EQ(normalizer->Normalize(c.input), c.expected) << "input: " << c.input;
  }
}

TEST(TextNormalizer, FoldsTraditionalToSimplified) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  EXPECT_EQ(normalizer->Normalize("如何退貨"), normalizer->Normalize("如何退货"));
  EXPECT_EQ(normalizer->Normalize("會員發票"), "会员发票");
}

TEST(TextNormalizer, IsIdempotent) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  for (const NormalizeCase& c : NormalizeCases()) {
    EXPECT_EQ(normalizer->Normalize(c.expected), c.expected) << "input: " << c.input;
  }
}

TEST(TextNormalizer, DropsInvalidUtf8) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  const std::vector<NormalizeCase> cases = {
      // A stray continuation byte inside ASCII.
      {"abc\x80" "def", "abcdef"},
      // A lead byte without continuation, and a truncated sequence at the end.
      {"\xff退貨\xe9\x80", "退货"},
      // An encoded surrogate (U+D800) is not valid UTF-8.
      {"a\xed\xa0\x80" "b", "ab"},
      // An overlong encoding of '/'.
      {"x\xc0\xafy", "xy"},
      // Nothing valid at all.
      {"\xff\xfe\xfd", ""},
  };
  for (const NormalizeCase& c : cases) {
    EXPECT_EQ(normalizer->Normalize(c.input), c.expected);
  }
}

TEST(TextNormalizer, DetectsTraditional) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  const std::vector<std::pair<std::string, bool>> cases = {
      {"如何退貨", true},
      {"發票", true},
      // Only the phrase differs: 覆 alone is shared by both scripts.
      {"回覆", true},
      {"如何退货", false},
      {"how do I return an item", false},
      {"", false},
      // Characters common to both scripts.
      {"中文", false},
  };
  for (const auto& [text, traditional] : cases) {
    EXPECT_EQ(normalizer->IsTraditional(text), traditional) << text;
  }
}

TEST(TextNormalizer, ConvertsBetweenScripts) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  EXPECT_EQ(normalizer->ToTraditional("退货"), "退貨");
  EXPECT_EQ(normalizer->ToTraditional("会员发票"), "會員發票");
  EXPECT_EQ(normalizer->ToSimplified("退貨"), "退货");
  EXPECT_EQ(normalizer->ToSimplified("回覆"), "回复");
  // No other normalisation: case, width and punctuation stay.
  EXPECT_EQ(normalizer->ToSimplified("ＡＢ退貨？"), "ＡＢ退货？");
  EXPECT_EQ(normalizer->ToTraditional("Hello"), "Hello");
  EXPECT_EQ(normalizer->ToSimplified(""), "");
  // Invalid bytes and NUL are copied; the text around them is converted.
  EXPECT_EQ(normalizer->ToSimplified("\xff退貨\xfe"), "\xff退货\xfe");
  EXPECT_EQ(normalizer->ToSimplified(std::string("退貨\0發票", 13)),
            std::string("退货\0发票", 13));
}

std::string Describe(const std::vector<NormalizedChar>& chars) {
  std::string out;
  for (const NormalizedChar& c : chars) {
    absl::StrAppend(&out, "[", c.begin, ",", c.end, ")'", c.normalized, "' ");
  }
  return out;
}

TEST(TextNormalizer, NormalizesCharByChar) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"Ａ退貨，", "[0,3)'a' [3,6)'退' [6,9)'货' [9,12)' ' "},
      {"a b", "[0,1)'a' [1,2)' ' [2,3)'b' "},
      // Dropped characters map to "".
      {"退\u200b货", "[0,3)'退' [3,6)'' [6,9)'货' "},
      // The accent composes into its base and maps to "" itself.
      {"e\u0301!", "[0,1)'é' [1,3)'' [3,4)' ' "},
      // An invalid byte is an entry of its own.
      {"a\xff" "b", "[0,1)'a' [1,2)'' [2,3)'b' "},
      // NFKC may yield several code points, separators included.
      {"ﬁ㈱", "[0,3)'fi' [3,6)' 株 ' "},
      // Per character, 覆 stays (the phrase 回覆 -> 回复 is not applied).
      {"回覆", "[0,3)'回' [3,6)'覆' "},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(Describe(normalizer->NormalizeChars(text)), expected) << text;
  }
}

TEST(TextNormalizer, CharByCharAgreesWithNormalize) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  for (const NormalizeCase& c : NormalizeCases()) {
    if (c.input == "請回覆") continue;  // phrase conversion, see above
    std::string joined;
    for (const NormalizedChar& ch : normalizer->NormalizeChars(c.input)) {
      joined += ch.normalized;
    }
    EXPECT_EQ(normalizer->Normalize(joined), c.expected) << "input: " << c.input;
  }
}

// Text glued from fragments that stress the edge cases, reproducibly.
std::string RandomText(std::mt19937& rng) {
  static constexpr const char* kFragments[] = {
      "退货", "如何", "發票", "會員", "回覆", "ＡＢ", "Ä", "ß", "iPhone", "15", " ", "\t",
      "。", "？", "「", "😀", "\u200b", "\u0301", "\uFE0F", "\xff", "\x80", "\xe9\x80",
      "\x01", "㈱", "ﬁ", "ｶﾀ", "한국", "e", "-", "'"};
  std::uniform_int_distribution<size_t> pick(0, std::size(kFragments) - 1);
  std::uniform_int_distribution<int> length(0, 12);
  std::string text;
  for (int n = length(rng); n > 0; --n) text += kFragments[pick(rng)];
  return text;
}

bool IsValidUtf8(const std::string& text) {
  for (size_t pos = 0; pos < text.size();) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    const size_t len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
    if (len == 0 || pos + len > text.size()) return false;
    for (size_t i = 1; i < len; ++i) {
      if ((static_cast<unsigned char>(text[pos + i]) & 0xC0) != 0x80) return false;
    }
    pos += len;
  }
  return true;
}

TEST(TextNormalizer, KeepsInvariantsOnArbitraryText) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  std::mt19937 rng(20240611);
  for (int i = 0; i < 2000; ++i) {
    const std::string text = RandomText(rng);
    const std::string normalized = normalizer->Normalize(text);
    EXPECT_TRUE(IsValidUtf8(normalized)) << text;
    EXPECT_EQ(normalized.find("  "), std::string::npos) << text;
    if (!normalized.empty()) {
      EXPECT_NE(normalized.front(), ' ') << text;
      EXPECT_NE(normalized.back(), ' ') << text;
    }
    EXPECT_EQ(normalizer->Normalize(normalized), normalized) << text;

    // The entries tile the text in order.
    size_t end = 0;
    for (const NormalizedChar& c : normalizer->NormalizeChars(text)) {
      EXPECT_EQ(c.begin, end) << text;
      EXPECT_LT(c.begin, c.end) << text;
      end = c.end;
    }
    EXPECT_EQ(end, text.size()) << text;
  }
}

TEST(TextNormalizer, CreateFailsWithoutOpenccData) {
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<TextNormalizer>> missing = TextNormalizer::Create(dir.path());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(missing.status().message(), HasSubstr("t2s.json"));

  std::ofstream(dir.Sub("t2s.json")) << "this is not json";
  std::ofstream(dir.Sub("s2t.json")) << "this is not json";
  absl::StatusOr<std::unique_ptr<TextNormalizer>> corrupt = TextNormalizer::Create(dir.path());
  EXPECT_EQ(corrupt.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(corrupt.status().message(), HasSubstr("t2s.json"));
}

TEST(TextNormalizer, IsThreadSafe) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer,
                             TextNormalizer::Create());
  std::vector<std::string> inputs;
  for (const NormalizeCase& c : NormalizeCases()) inputs.push_back(c.input);
  // Long Traditional texts keep OpenCC busy in every thread at once.
  inputs.push_back("請問如何申請退貨？會員發票遺失了怎麼辦？運費由誰負擔？");
  inputs.push_back("這個問題已經回覆過了，請參閱帳戶設定與隱私權說明。");
  inputs.push_back(std::string(200, 'x') + "退貨" + std::string(50, '!'));

  struct Result {
    std::string normalized;
    std::string chars;
    bool traditional = false;
    std::string traditional_form;
  };
  const auto compute = [&](const std::string& input) {
    return Result{normalizer->Normalize(input), Describe(normalizer->NormalizeChars(input)),
                  normalizer->IsTraditional(input), normalizer->ToTraditional(input)};
  };
  std::vector<Result> expected;
  for (const std::string& input : inputs) expected.push_back(compute(input));

  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        for (size_t i = 0; i < inputs.size(); ++i) {
          // Threads walk the inputs in different orders.
          const size_t k = (i + static_cast<size_t>(t) * 7) % inputs.size();
          const Result got = compute(inputs[k]);
          if (got.normalized != expected[k].normalized || got.chars != expected[k].chars ||
              got.traditional != expected[k].traditional ||
              got.traditional_form != expected[k].traditional_form) {
            ++mismatches[t];
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ::testing::Each(0));
}

}  // namespace
}  // namespace zhiku
