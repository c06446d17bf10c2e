// The synthetic KB generator: deterministic, distinct, valid, and its
// Traditional characters agree with OpenCC (which the server normalises with).
#include "service/synth_kb.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/entry.h"
#include "index/text_normalizer.h"
#include "nlohmann/json.hpp"
#include "tests/test_util.h"

namespace zhiku::synth {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

SynthKbOptions Small(int64_t entries, uint64_t seed = 1) {
  SynthKbOptions options;
  options.entries = entries;
  options.seed = seed;
  options.queries = 300;
  return options;
}

TEST(SynthKb, SameSeedGivesByteIdenticalFilesAndAnotherSeedDoesNot) {
  zhiku::testing::TempDir dir;
  ZHIKU_ASSERT_OK(WriteSynthKb(Small(3000), dir.Sub("a.jsonl"), dir.Sub("qa.jsonl")));
  ZHIKU_ASSERT_OK(WriteSynthKb(Small(3000), dir.Sub("b.jsonl"), dir.Sub("qb.jsonl")));
  ZHIKU_ASSERT_OK(WriteSynthKb(Small(3000, /*seed=*/2), dir.Sub("c.jsonl"), dir.Sub("qc.jsonl")));
  const std::string a = ReadFile(dir.Sub("a.jsonl"));
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, ReadFile(dir.Sub("b.jsonl")));
  EXPECT_EQ(ReadFile(dir.Sub("qa.jsonl")), ReadFile(dir.Sub("qb.jsonl")));
  EXPECT_NE(a, ReadFile(dir.Sub("c.jsonl")));
  EXPECT_NE(ReadFile(dir.Sub("qa.jsonl")), ReadFile(dir.Sub("qc.jsonl")));
}

TEST(SynthKb, EveryLineIsAValidKbEntryWithFiveDistinctVariantsTheStoreKeeps) {
  zhiku::testing::TempDir dir;
  ZHIKU_ASSERT_OK_AND_ASSIGN(const SynthKbStats stats, WriteSynthKb(Small(5000), dir.Sub("kb.jsonl"), ""));
  EXPECT_EQ(stats.entries, 5000);
  EXPECT_EQ(stats.variants, 5 * 5000);
  absl::flat_hash_set<std::string> ids, questions;
  absl::flat_hash_map<std::string, int> locales;
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(ReadFile(dir.Sub("kb.jsonl")), '\n', absl::SkipEmpty())) {
    ++lines;
    const nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
    EXPECT_THAT(keys, ::testing::UnorderedElementsAre("id", "question", "variants", "answer", "category", "tags",
                                                      "locale"));
    ZHIKU_ASSERT_OK_AND_ASSIGN(const Entry entry, EntryFromJsonLine(line));
    ZHIKU_EXPECT_OK(ValidateEntry(entry));
    // The store drops blank or repeated variants; all five must survive.
    EXPECT_EQ(CanonicalizeEntry(entry), entry) << line;
    ASSERT_EQ(entry.variants.size(), 5u) << line;
    EXPECT_TRUE(ids.insert(entry.id).second) << "duplicate id " << entry.id;
    EXPECT_TRUE(questions.insert(entry.question).second) << "duplicate question " << entry.question;
    const size_t answer_chars = CodePoints(entry.answer);
    EXPECT_GE(answer_chars, 50u) << entry.answer;
    EXPECT_LE(answer_chars, 200u) << entry.answer;
    EXPECT_EQ(entry.tags.size(), 2u);
    ++locales[entry.locale];
  }
  EXPECT_EQ(lines, 5000);
  // Mostly Simplified Chinese, some Traditional and English (75/12/13 by design).
  EXPECT_GT(locales["zh-CN"], 3400);
  EXPECT_GT(locales["zh-TW"], 400);
  EXPECT_GT(locales["en"], 400);
  EXPECT_EQ(locales.size(), 3u);
}

TEST(SynthKb, HundredThousandEntriesHaveDistinctQuestions) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(const SynthKb kb, SynthKb::Create(Small(100000)));
  absl::flat_hash_set<std::string> questions;
  questions.reserve(100000);
  for (int64_t i = 0; i < kb.size(); ++i) {
    const Entry e = kb.EntryAt(i);
    ASSERT_TRUE(questions.insert(e.question).second) << "entry " << i << ": " << e.question;
  }
}

TEST(SynthKb, EvalQueriesAreHeldOutParaphrasesOfExistingEntries) {
  SynthKbOptions options = Small(2000);
  options.queries = 1000;
  ZHIKU_ASSERT_OK_AND_ASSIGN(const SynthKb kb, SynthKb::Create(options));
  absl::flat_hash_map<std::string, Entry> by_id;
  for (int64_t i = 0; i < kb.size(); ++i) {
    Entry e = kb.EntryAt(i);
    by_id.emplace(e.id, std::move(e));
  }
  int out_of_scope = 0;
  for (int64_t i = 0; i < options.queries; ++i) {
    const EvalQuery q = kb.QueryAt(i);
    ASSERT_FALSE(q.query.empty());
    if (!q.expected_id) {
      ++out_of_scope;
      continue;
    }
    auto it = by_id.find(*q.expected_id);
    ASSERT_NE(it, by_id.end()) << *q.expected_id;
    EXPECT_NE(q.query, it->second.question);
    EXPECT_THAT(it->second.variants, ::testing::Not(::testing::Contains(q.query)));
  }
  // 5% by default: about 50 of 1,000.
  EXPECT_GT(out_of_scope, 20);
  EXPECT_LT(out_of_scope, 100);
}

TEST(SynthKb, OutOfRangeOptionsAreInvalidArgument) {
  SynthKbOptions options;
  options.entries = 0;
  EXPECT_EQ(SynthKb::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.entries = MaxSynthEntries() + 1;
  EXPECT_EQ(SynthKb::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.entries = 10;
  options.variants = 21;
  EXPECT_EQ(SynthKb::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.variants = 5;
  options.out_of_scope_share = 1.5;
  EXPECT_EQ(SynthKb::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_GE(MaxSynthEntries(), 500000);
}

TEST(SynthKb, UnwritablePathIsAnErrorNamingIt) {
  const absl::StatusOr<SynthKbStats> stats = WriteSynthKb(Small(10), "/nonexistent-dir/kb.jsonl", "");
  ASSERT_FALSE(stats.ok());
  EXPECT_THAT(std::string(stats.status().message()), ::testing::HasSubstr("/nonexistent-dir/kb.jsonl"));
}

// The server indexes Traditional text through OpenCC t2s: every Traditional
// form the generator writes must come back to the Simplified original, and
// every character OpenCC would convert must be in the generator's table.
TEST(SynthKbTraditional, TableRoundTripsThroughOpenCcAndCoversTheVocabulary) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto normalizer, TextNormalizer::Create());
  // Characters whose OpenCC single-character form is not the one our words
  // need (签 alone is 籤, but 签收 is 簽收); checked in the word instead.
  const absl::flat_hash_map<std::string, std::string> in_context = {{"签", "签收"}, {"钟", "分钟"}};
  for (const auto& [ch, word] : in_context) EXPECT_EQ(ToTraditional(word), normalizer->ToTraditional(word)) << word;
  std::vector<std::string> missing, disagree;
  for (const std::string& text : ChineseVocabularyForTest()) {
    const std::string traditional = ToTraditional(text);
    EXPECT_EQ(normalizer->ToSimplified(traditional), text) << traditional;
    for (size_t i = 0; i < text.size();) {
      size_t n = 1;
      while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) ++n;
      const std::string ch = text.substr(i, n);
      const std::string opencc = normalizer->ToTraditional(ch);
      if (opencc != ch && ToTraditional(ch) == ch) missing.push_back(ch);
      if (opencc != ch && ToTraditional(ch) != ch && ToTraditional(ch) != opencc && !in_context.contains(ch)) {
        disagree.push_back(ch + ToTraditional(ch) + opencc);
      }
      i += n;
    }
  }
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  EXPECT_THAT(missing, ::testing::IsEmpty())
      << "characters OpenCC converts but the table does not: " << absl::StrJoin(missing, "");
  std::sort(disagree.begin(), disagree.end());
  disagree.erase(std::unique(disagree.begin(), disagree.end()), disagree.end());
  EXPECT_THAT(disagree, ::testing::IsEmpty()) << "simplified, table, OpenCC s2tw";
}

}  // namespace
}  // namespace zhiku::synth
