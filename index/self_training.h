// Self-training of the embedder on unlabelled in-domain text.
//
// A knowledge base with one phrasing per entry teaches a supervised embedder
// almost nothing: one example per label. Customers' past messages (the
// corpus, imported with `zhikuctl import-corpus`) say the same things in many
// more words, but carry no labels. PseudoLabelCorpus gives them labels by
// label spreading over a similarity graph of the corpus (Zhou et al. 2004,
// "Learning with Local and Global Consistency"):
//
//  1. every corpus text gets a seed distribution over entries from the
//     keyword leg (its BM25 ranking of the entries, top seed_depth, scores
//     relative to the best raised to seed_power); a text equal to a phrasing
//     after normalisation is clamped to that entry;
//  2. a k-nearest-neighbour graph links each text to the corpus texts most
//     like it (BM25 over a scratch index of the corpus);
//  3. distributions spread along the graph, F = alpha * seed + (1 - alpha) *
//     weighted mean of the neighbours' F, for `iterations` rounds, so a group
//     of texts that say the same thing settles on the entry most of them
//     point to, even where a member shares no word with that entry;
//  4. the texts whose best entry leads the runner-up by the widest relative
//     margin get it as label (final_share of the corpus, at most cap_factor
//     times the fair share per entry, so one broad entry cannot swallow it).
//
// The labels only train the embedder: the indexes hold the editors' phrasings
// and nothing else, so a wrong pseudo-label can move a vector, never put a
// customer's message into search results.
#ifndef ZHIKU_INDEX_SELF_TRAINING_H_
#define ZHIKU_INDEX_SELF_TRAINING_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "index/keyword_index.h"
#include "index/snapshot.h"
#include "index/text_normalizer.h"

namespace zhiku {

// A corpus text with the entry it was labelled with.
struct PseudoLabel {
  std::string entry_id;
  std::string normalized;  // TextNormalizer::Normalize of the corpus text
};

struct SelfTrainingOptions {
  int neighbours = 20;       // k of the k-NN graph
  int seed_depth = 5;        // entries in a text's seed distribution
  double seed_power = 2;     // sharpens the seed: (BM25 score / best) ^ power
  double alpha = 0.1;        // weight of the seed against the neighbours, (0, 1]
  int iterations = 20;
  int kept_per_text = 8;     // entries kept per spread distribution (sparsity)
  double final_share = 0.8;  // share of the corpus labelled
  double cap_factor = 4.0;   // per entry at most cap_factor * labelled / entries,
  int min_cap = 20;          // and at least min_cap
  // Corpus texts used (store order); bounds time and memory on huge corpora.
  int max_texts = 20000;
  // When set and true, labelling stops with Cancelled (checked per text).
  const std::atomic<bool>* cancel = nullptr;
};

struct SelfTrainingReport {
  int corpus_texts = 0;   // distinct non-empty normalised texts considered
  int exact_matches = 0;  // clamped because they equal a phrasing
  int labelled = 0;       // labels returned (exact matches included)
  int64_t graph_edges = 0;
};

// Labels `corpus` (raw texts; normalised here) against the entries of
// `snapshot`, whose phrasings `keyword` must index. The corpus graph is built
// in a keyword index under `scratch_dir` (created, then removed).
// Deterministic. Empty when the corpus or the snapshot is empty. Errors: the
// keyword indexes'.
absl::StatusOr<std::vector<PseudoLabel>> PseudoLabelCorpus(const Snapshot& snapshot, const KeywordIndex& keyword,
                                                           const TextNormalizer& normalizer,
                                                           const std::vector<std::string>& corpus,
                                                           const KeywordIndexOptions& keyword_options,
                                                           const std::string& scratch_dir,
                                                           const SelfTrainingOptions& options,
                                                           SelfTrainingReport* report = nullptr);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_SELF_TRAINING_H_
