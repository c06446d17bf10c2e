#include "index/tokenizer.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zhiku {
namespace {

// "term/kind@position[begin,end)", kind u (unigram), b (bigram) or w (word).
std::string Describe(const Token& token) {
  const char* kind = token.kind == TokenKind::kCjkUnigram  ? "u"
                     : token.kind == TokenKind::kCjkBigram ? "b"
                                                           : "w";
  return absl::StrCat(token.term, "/", kind, "@", token.position, "[", token.begin, ",",
                      token.end, ")");
}

std::vector<std::string> Describe(const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  for (const Token& token : tokens) out.push_back(Describe(token));
  return out;
}

struct TokenizeCase {
  std::string input;
  std::vector<std::string> expected;
};

TEST(Tokenizer, TokenizesNormalizedText) {
  const std::string long_word(65, 'a');
  const std::string longest_word(64, 'a');
  const std::vector<TokenizeCase> cases = {
      {"", {}},
      {"   ", {}},
      // One CJK character: a unigram only.
      {"退", {"退/u@0[0,3)"}},
      // Unigrams and bigrams with positions and byte ranges.
      {"退货", {"退/u@0[0,3)", "退货/b@0[0,6)", "货/u@1[3,6)"}},
      {"退货款",
       {"退/u@0[0,3)", "退货/b@0[0,6)", "货/u@1[3,6)", "货款/b@1[3,9)", "款/u@2[6,9)"}},
      // No bigram across a space.
      {"退货 流程",
       {"退/u@0[0,3)", "退货/b@0[0,6)", "货/u@1[3,6)", "流/u@2[7,10)", "流程/b@2[7,13)",
        "程/u@3[10,13)"}},
      // Words are split at CJK boundaries; a word mixing letters and digits is
      // kept whole and not stemmed.
      {"iphone15怎么退货",
       {"iphone15/w@0[0,8)", "怎/u@1[8,11)", "怎么/b@1[8,14)", "么/u@2[11,14)",
        "么退/b@2[11,17)", "退/u@3[14,17)", "退货/b@3[14,20)", "货/u@4[17,20)"}},
      {"退货ok", {"退/u@0[0,3)", "退货/b@0[0,6)", "货/u@1[3,6)", "ok/w@2[6,8)"}},
      // English words are stemmed (Porter2).
      {"refunds returning", {"refund/w@0[0,7)", "return/w@1[8,17)"}},
      {"how do i return an item",
       {"how/w@0[0,3)", "do/w@1[4,6)", "i/w@2[7,8)", "return/w@3[9,15)", "an/w@4[16,18)",
        "item/w@5[19,23)"}},
      // Digits alone stay as they are.
      {"order 12345", {"order/w@0[0,5)", "12345/w@1[6,11)"}},
      {"running2", {"running2/w@0[0,8)"}},
      // Letters outside a-z are not stemmed.
      {"cafés", {"cafés/w@0[0,6)"}},
      // Characters that are neither letters nor digits split words.
      {"e-mail", {"e/w@0[0,1)", "mail/w@1[2,6)"}},
      // A 64-byte word is kept; a 65-byte one is skipped but takes a position.
      {longest_word, {longest_word + "/w@0[0,64)"}},
      {long_word + " items", {"item/w@1[66,71)"}},
      // Kana and Hangul are CJK characters too.
      {"カタ", {"カ/u@0[0,3)", "カタ/b@0[0,6)", "タ/u@1[3,6)"}},
      {"한국", {"한/u@0[0,3)", "한국/b@0[0,6)", "국/u@1[3,6)"}},
      // An invalid byte separates like a space.
      {"退\xff货", {"退/u@0[0,3)", "货/u@1[4,7)"}},
      {"ab\x80" "cd", {"ab/w@0[0,2)", "cd/w@1[3,5)"}},
  };
  for (const TokenizeCase& c : cases) {
    EXPECT_THAT(Describe(Tokenize(c.input)), ::testing::ElementsAreArray(c.expected))
        << "input: " << c.input;
  }
}

TEST(Tokenizer, StemsEnglishWords) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"refunds", "refund"},
      {"returning", "return"},
      {"returned", "return"},
      {"items", "item"},
      {"running", "run"},
      {"shipping", "ship"},
      {"", ""},
  };
  for (const auto& [word, stem] : cases) {
    EXPECT_EQ(StemWord(word), stem) << word;
  }
}

TEST(Tokenizer, ClassifiesCjkCodePoints) {
  const std::vector<std::pair<char32_t, bool>> cases = {
      {U'退', true},
      {U'貨', true},
      {U'々', true},
      {U'あ', true},
      {U'ア', true},
      {U'ー', true},
      {U'한', true},
      {U'\U00020000', true},  // Extension B
      {U'\uF9DC', true},      // compatibility ideograph
      {U'a', false},
      {U'1', false},
      {U'é', false},
      {U'。', false},
      {U'・', false},  // katakana middle dot is punctuation
      {U'\u3000', false},
      {U'😀', false},
  };
  for (const auto& [c, cjk] : cases) {
    EXPECT_EQ(IsCjkCodePoint(c), cjk) << static_cast<uint32_t>(c);
  }
}

TEST(Tokenizer, IsThreadSafe) {
  const std::vector<std::string> inputs = {"refunds returning items", "iphone15怎么退货",
                                           "shipping 运费 returned", "how do i return an item"};
  std::vector<std::vector<std::string>> expected;
  for (const std::string& input : inputs) expected.push_back(Describe(Tokenize(input)));

  constexpr int kThreads = 4;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 500; ++round) {
        for (size_t i = 0; i < inputs.size(); ++i) {
          if (Describe(Tokenize(inputs[i])) != expected[i]) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ::testing::Each(0));
}

}  // namespace
}  // namespace zhiku
