// Mining evaluation: how well mined FAQ drafts match gold question groups.
// Backs `zhiku-ingest eval --drafts drafts.jsonl --labels labels.jsonl`.
//
// Inputs: drafts (index/draft.h) and labels, the gold intent of customer
// messages (PRODUCT.md: labels JSONL, {"message_id","label"} per line).
//
// Definitions. The evaluated population is every labelled message, i.e.
// every message_id of the labels, whether or not the miner kept it:
//   - Membership. A labelled message belongs to the draft whose message_ids
//     contain it. If several drafts list it, it belongs to the one with the
//     highest frequency, ties going to the draft earliest in the input. A
//     labelled message in no draft is a singleton: a cluster of its own.
//     Message ids in drafts that have no label are ignored, and a draft
//     listing an id twice counts it once.
//   - NMI: mutual information of the gold labelling and the clustering,
//     divided by the arithmetic mean of their two entropies (scikit-learn's
//     normalized_mutual_info_score with its default average_method, including
//     its limit cases: 1 when both sides are a single group, 0 when the
//     mutual information is 0 otherwise).
//   - ARI: the adjusted Rand index (Hubert & Arabie 1985),
//       (sum_ij C(n_ij,2) - E) / ((sum_i C(a_i,2) + sum_j C(b_j,2)) / 2 - E),
//       E = sum_i C(a_i,2) * sum_j C(b_j,2) / C(n,2),
//     for contingency counts n_ij, label sizes a_i and cluster sizes b_j,
//     computed from exact 128-bit integer pair counts; 1 when the two
//     partitions are identical (also for n < 2), as in scikit-learn.
//   - Top drafts: the `top_drafts` (K) drafts of highest frequency, ties by
//     input order. Their majority label is the label most of their members
//     (by the membership above) carry, ties going to the smaller label name
//     (byte order). Drafts without labelled members take part in no ratio.
//       purity         = mean over the top drafts with labelled members of
//                        majority count / labelled member count;
//       duplicate rate = share of those drafts whose majority label is the
//                        majority label of a higher-ranked one;
//       coverage       = share of the `top_labels` (L) most frequent gold
//                        labels (by labelled messages, ties by label name)
//                        that are the majority label of some top draft.
//     A ratio with an empty denominator is 0.
// Everything is O(n) hash-map work (n = labelled messages plus draft
// message ids): about a third of a second per million labelled messages.
#ifndef ZHIKU_INGEST_MINING_EVAL_H_
#define ZHIKU_INGEST_MINING_EVAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "index/draft.h"

namespace zhiku {

struct EvalOptions {
  // K, the number of top drafts for purity and duplicate rate. Must be >= 1.
  int top_drafts = 50;
  // L, the number of most frequent gold labels for coverage. Must be >= 1.
  int top_labels = 30;
};

struct MiningScores {
  // The options the scores were computed with.
  int top_drafts = 50;
  int top_labels = 30;

  double nmi = 0;
  double ari = 0;
  double top_purity = 0;          // "top{K}_purity" in JSON
  double top_duplicate_rate = 0;  // "top{K}_duplicate_rate"
  double top_coverage = 0;        // "top{L}_coverage"

  int64_t labelled_messages = 0;    // n: distinct message ids in the labels
  int64_t clustered_messages = 0;   // of those, members of some draft
  int64_t labels = 0;               // distinct gold labels
  int64_t clusters = 0;             // drafts with labelled members + singletons
  int64_t drafts = 0;               // drafts given
  int64_t top_drafts_used = 0;      // min(K, drafts)
  int64_t top_drafts_labelled = 0;  // of those, drafts with labelled members
  int64_t top_labels_used = 0;      // min(L, labels)
  int64_t top_labels_covered = 0;   // of those, majority label of a top draft
};

// Scores `drafts` against `labels` (message_id -> gold label) as defined in
// the file comment. Returns InvalidArgument if `labels` is empty, holds an
// empty label, or an option is out of range. Neither input is retained.
// Thread-safe (no shared state).
absl::StatusOr<MiningScores> EvaluateMining(const std::vector<Draft>& drafts,
                                            const absl::flat_hash_map<std::string, std::string>& labels,
                                            const EvalOptions& options = {});

// Reads a labels JSONL file: one {"message_id","label"} object per line,
// message_id a non-empty string (or an integer, kept as its digits), label a
// non-empty string; other keys are ignored; blank lines are skipped and CRLF
// line ends accepted. Returns NotFound if the file cannot be opened,
// InvalidArgument "<path>:<line>: <what>" for a bad line or a message_id
// labelled twice (naming the line of the first label), and DataLoss if
// reading fails midway.
absl::StatusOr<absl::flat_hash_map<std::string, std::string>> ReadLabelsFile(const std::string& path);

// Reads a drafts JSONL file (DraftFromJson per line) in file order; blank
// lines are skipped. Errors as for ReadLabelsFile.
absl::StatusOr<std::vector<Draft>> ReadDraftsFile(const std::string& path);

// One compact JSON object, no newline, keys: "nmi", "ari",
// "top{K}_purity", "top{K}_duplicate_rate", "top{L}_coverage" (K and L as in
// the scores, e.g. "top50_purity", "top30_coverage"), "top_drafts",
// "top_labels", and every count of MiningScores under its field name.
std::string MiningScoresToJson(const MiningScores& scores);

// A small aligned two-column table for people, one metric per line, ending
// with a newline.
std::string MiningScoresToTable(const MiningScores& scores);

}  // namespace zhiku

#endif  // ZHIKU_INGEST_MINING_EVAL_H_
