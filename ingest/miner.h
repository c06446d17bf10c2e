// Miner: the core of FAQ mining. Fed chat messages in log order, it keeps the
// customers' questions (cleaned, masked, split, filtered by
// QuestionExtractor) with the agent replies that follow them, then clusters
// paraphrases and turns each cluster asked in enough conversations into a
// Draft (index/draft.h).
//
// How questions are clustered, without being told how many clusters:
//   1. Each question is normalised with the index's TextNormalizer
//      (Traditional -> Simplified, width and case folded), so 退貨 and 退货
//      are one text; identical index forms are counted once, with weight.
//   2. A distinct text becomes a TF-IDF vector over the index's own terms
//      (English stems, CJK unigrams at half weight and bigrams; function
//      words such as how/do/I/的/吗 at a tenth), sublinear
//      term frequency, idf = log(1 + N/df), L2-normalised.
//   3. A k-nearest-neighbour graph (cosine) over the distinct texts, exact:
//      candidates come from an inverted index of the terms rarer than
//      `max_postings`, and are rescored with the full vectors; neighbours
//      below `min_similarity` are not edges, so texts that share only
//      function words never join, however small the log.
//   4. Greedy agglomeration on that graph (edges weighted by similarity)
//      under a degree-corrected Potts model: the pair of clusters whose
//      merge gains most merges, until no merge gains; merging a and b gains
//      l(a,b) - resolution * d(a) * d(b) / mean(d), with l the similarity
//      mass between them and d a cluster's total (modularity with a
//      resolution that grows with the log, so that tightness does not
//      depend on the log's size).
//   5. Refinement (`refine_passes`): each text, in id order, moves to the
//      neighbouring cluster where it gains most under the same objective;
//      greedy merging alone never undoes an early merge. Ties break on cluster
//      ids, so the
//      result depends only on the input and the options.
//
// Per cluster: frequency = distinct conversations; the representative is the
// member with the highest weighted similarity to the others (short, readable
// members win ties); variants are other distinct members, most frequent
// first, skipping near copies of ones already taken; the candidate answer is
// the agent reply closest to the centroid of the cluster's replies;
// alternatives are the replies least like it; conflicting_answers is set when
// the replies fall into two substantial groups (the second holding at least
// 2 replies and 30% of them; groups by cosine >= 0.25 to a group's most
// frequent reply) whose leading replies share almost no terms (cosine < 0.1). Agent sentences found in the
// replies of many clusters (openers, "anything else?", sign-offs: at least 3
// clusters and 1% of those with replies) are cut from replies first.
#ifndef ZHIKU_INGEST_MINER_H_
#define ZHIKU_INGEST_MINER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "index/chat_message.h"
#include "index/draft.h"
#include "index/pii_masker.h"
#include "index/text_normalizer.h"
#include "ingest/question_extractor.h"

namespace zhiku {

struct MinerOptions {
  int neighbours = 12;            // k of the k-NN graph
  double resolution = 0.01;       // higher = smaller, tighter clusters (see step 4)
  double min_similarity = 0.3;    // weaker neighbours are not graph edges
  int refine_passes = 1;          // local-moving passes after agglomeration (step 5)
  int min_frequency = 2;          // a draft needs this many conversations
  int max_variants = 20;
  int max_alternatives = 5;
  // Message and conversation ids kept per draft (frequency counts all). The
  // server stores frequency as the number of distinct conversation ids it
  // holds, so a smaller cap would shrink hot drafts there; 50,000 of each
  // keeps one draft well inside a 4 MiB SubmitDrafts call.
  int max_evidence = 50000;
  int64_t max_postings = 2000;    // terms in more texts are not candidate sources
  int threads = 2;
  // With an embedder (Miner::SetEmbedder) the similarity of two texts is
  //   embedding_weight * cosine(embeddings) + (1 - embedding_weight) * cosine(TF-IDF)
  // (TF-IDF alone when either text has no embedding), and each text's
  // nearest texts by embedding join its graph candidates, so paraphrases
  // that share no word can meet. 0 = do not embed.
  double embedding_weight = 0.8;
  // The resolution used instead of `resolution` when texts were embedded:
  // the mixed similarity is denser, so slightly finer clusters keep drafts
  // pure (measured in docs/mining.md).
  double embedding_resolution = 0.012;
  int embed_batch = 1000;         // texts per embedder call
};

// Embeds normalised texts: one vector per text, in order, all of one
// dimension and L2-normalised, or an empty vector for a text the model knows
// nothing of. Called from Finish() with at most MinerOptions::embed_batch
// texts at a time.
using TextEmbedder =
    std::function<absl::StatusOr<std::vector<std::vector<float>>>(const std::vector<std::string>& normalized)>;

struct MinerStats {
  int64_t messages = 0;            // messages seen
  int64_t customer_messages = 0;
  int64_t agent_messages = 0;
  int64_t sentences = 0;           // customer sentences looked at
  int64_t questions = 0;           // kept for clustering
  int64_t distinct_questions = 0;  // distinct index forms
  std::array<int64_t, kDropReasonCount> dropped = {};
  std::array<int64_t, kPiiTypeCount> masked = {};
  int64_t clusters = 0;             // with two or more distinct texts or conversations
  int64_t drafts = 0;
  int64_t questions_in_drafts = 0;
  // Texts clustered with an embedding, its dimension, and what happened
  // when an embedder was set but could not be used (the miner then
  // clusters by TF-IDF alone).
  int64_t embedded_texts = 0;
  int embedding_dim = 0;
  std::string embedding_note;
};

// Dice overlap of the content terms (index terms without function words)
// of two texts: 1 = the same content words, 0 = none shared. Used to confirm
// that a KB entry really covers a draft.
double ContentOverlap(const TextNormalizer& normalizer, absl::string_view a, absl::string_view b);

class Miner {
 public:
  // `normalizer` is borrowed and must outlive the miner.
  Miner(const MinerOptions& options, const TextNormalizer* normalizer);
  ~Miner();

  // Clusters with dense embeddings as well as TF-IDF (see
  // MinerOptions::embedding_weight). Set before Finish().
  void SetEmbedder(TextEmbedder embedder);

  // Feeds one message, in log order (conversations may interleave).
  void Add(const ChatMessage& message);

  // Clusters what was added and returns the drafts, most frequent first.
  // Call once.
  std::vector<Draft> Finish();

  const MinerStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiku

#endif  // ZHIKU_INGEST_MINER_H_
