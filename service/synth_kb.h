// A synthetic customer-service knowledge base of any size up to 588,256
// entries, for load tests and for eval runs at a scale no real KB here has
// (tools/zhiku_synth_kb.cc is the command line).
//
// Entries are an online shop's FAQ: questions composed from templates over
// 59 intents (cancel an order, refund time, e-invoice, tracking, warranty...),
// 85 products (an intent only where it makes sense: no warranty on nuts) and
// situations (31 conditions x 4 channels). Every entry is
// one distinct (intent, product, condition, channel) combination, chosen by
// a seeded permutation, so canonical questions are distinct by construction.
// About 75% are Simplified Chinese (zh-CN), 12% Traditional (zh-TW,
// converted with a built-in character table and a few Taiwan word choices),
// 13% English. Variants are paraphrases made by one main operation each
// (synonym swap, word order, filler words, script change, typo), sometimes
// two. Answers are 50-200 characters (code points).
//
// Everything is a pure function of (options, index): the same seed gives the
// same bytes on every run and platform (own PRNG and shuffle, no std::
// distributions).
#ifndef ZHIKU_SERVICE_SYNTH_KB_H_
#define ZHIKU_SERVICE_SYNTH_KB_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/entry.h"
#include "service/eval.h"

namespace zhiku::synth {

struct SynthKbOptions {
  int64_t entries = 100000;  // 1..MaxSynthEntries()
  int variants = 5;          // per entry, 0..20
  uint64_t seed = 1;
  // Held-out eval queries: paraphrases of random entries that are neither
  // their question nor one of their variants, with expected_id set.
  int64_t queries = 2000;
  // Share of those queries that are out of scope (chit-chat, other domains;
  // expected_id null), in [0, 1].
  double out_of_scope_share = 0.05;
};

// The number of distinct (intent, product, condition, channel) combinations.
int64_t MaxSynthEntries();

class SynthKb {
 public:
  // InvalidArgument if an option is outside its range (naming it and the range).
  static absl::StatusOr<SynthKb> Create(const SynthKbOptions& options);

  int64_t size() const { return options_.entries; }
  const SynthKbOptions& options() const { return options_; }

  // Entry `index` in [0, size()): id "<category>-<index + 1, 6 digits>",
  // question, exactly `variants` distinct variants (none equal to the
  // question), answer, category, tags, locale; channel and metadata empty.
  // Thread-safe.
  Entry EntryAt(int64_t index) const;

  // Eval query `index` in [0, options().queries). Thread-safe.
  EvalQuery QueryAt(int64_t index) const;

 private:
  explicit SynthKb(const SynthKbOptions& options) : options_(options) {}
  SynthKbOptions options_;
  std::vector<uint32_t> combos_;  // combination of entry i, size entries
};

// One KB JSONL line (no newline), keys in the order
// {"id","question","variants","answer","category","tags","locale"}.
std::string SynthEntryToJsonLine(const Entry& entry);
// One eval JSONL line {"query","expected_id"} (expected_id null when unset).
std::string EvalQueryToJsonLine(const EvalQuery& query);

struct SynthKbStats {
  int64_t entries = 0;
  int64_t variants = 0;  // total over all entries
  int64_t queries = 0;
  int64_t out_of_scope = 0;
  int64_t kb_bytes = 0;
};

// Writes the KB to `kb_path` and, unless `queries_path` is empty, the eval
// queries to `queries_path`; each file is written as PATH.partial and renamed
// when complete. Errors: InvalidArgument for bad options; PermissionDenied or
// NotFound (naming the path) if a file cannot be written; Internal if two
// canonical questions coincide (a bug in the vocabularies).
absl::StatusOr<SynthKbStats> WriteSynthKb(const SynthKbOptions& options, const std::string& kb_path,
                                          const std::string& queries_path);

// Simplified -> Traditional (Taiwan) with the generator's built-in table:
// a few phrases first (联系 -> 聯繫, 重复 -> 重複 ...), then per character.
// Characters outside the table are copied unchanged. Thread-safe.
std::string ToTraditional(absl::string_view simplified);

// For tests: every piece of Chinese text the generator composes from
// (templates, vocabularies, answers, fillers, synonyms, typos).
std::vector<std::string> ChineseVocabularyForTest();

}  // namespace zhiku::synth

#endif  // ZHIKU_SERVICE_SYNTH_KB_H_
