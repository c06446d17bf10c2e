// Hybrid retrieval: the keyword (BM25) and vector legs run for one query and
// are fused into one ranking of entries, with each leg's rank and score kept
// per candidate so that a ranking can be explained.
//
// Fusion methods:
//  - reciprocal rank fusion (Cormack, Clarke and Buettcher 2009, k = 60):
//    fused = (1 - r) / (k + keyword_rank) + r / (k + vector_rank), a leg
//    that did not retrieve the entry contributing 0;
//  - normalised weighted fusion: each leg's scores divided by that leg's best
//    score in the request (negative cosines count as 0), then
//    fused = (1 - r) * keyword + r * vector.
// r = semantic_ratio. r = 0 is exactly the keyword ranking and r = 1 exactly
// the vector ranking (ties broken by the other leg, then by entry id).
#ifndef ZHIKU_INDEX_HYBRID_H_
#define ZHIKU_INDEX_HYBRID_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "index/filters.h"
#include "index/keyword_index.h"
#include "index/snapshot.h"
#include "index/tokenizer.h"
#include "index/vector_leg.h"

namespace zhiku {

enum class FusionMethod { kRrf, kWeighted };

struct FusionOptions {
  double semantic_ratio = 0.5;  // in [0, 1]
  FusionMethod method = FusionMethod::kWeighted;
  double rrf_k = 60;
};

// One entry of the fused list.
struct FusedCandidate {
  std::string entry_id;
  double fused = 0;
  int keyword_rank = 0;        // 1-based; 0 = not retrieved by the keyword leg
  double keyword_score = 0;
  int keyword_phrasing = 0;    // as KeywordHit::phrasing
  int vector_rank = 0;         // 1-based; 0 = not retrieved by the vector leg
  double vector_score = 0;     // cosine of the best phrasing
  int vector_phrasing = 0;     // as VectorLegHit::phrasing
};

// Fuses the two legs' lists (each best first, one hit per entry) into one
// list, best first, holding every entry either leg retrieved (for r = 0 only
// the keyword leg's, for r = 1 only the vector leg's).
std::vector<FusedCandidate> Fuse(const std::vector<KeywordHit>& keyword,
                                 const std::vector<VectorLegHit>& vector, const FusionOptions& options);

struct RetrievalRequest {
  std::vector<Token> tokens;       // Tokenize(Normalize(query))
  std::string normalized;          // Normalize(query)
  std::vector<float> query_vector; // bring-your-own; empty = embed `normalized`
  Filters filters;
  int depth = 10;                  // fused candidates wanted (offset + limit)
  FusionOptions fusion;
};

struct RetrievalOutcome {
  std::vector<FusedCandidate> candidates;  // best first, at most depth (+ 1 for paging)
  int64_t keyword_total_estimate = 0;
  bool vector_used = false;
  std::string note;  // why the vector leg did not run, when it did not
};

// OK if `query_vector` is empty or can be searched in `snapshot`: its
// vector leg uses the entries' own vectors, or the entries have vectors of
// their own (the leg is still being built), and its length is their
// dimension. InvalidArgument naming retrieval.query_vector otherwise (the
// knowledge base has no vectors of its own, or the lengths differ).
absl::Status CheckQueryVector(const Snapshot& snapshot, const std::vector<float>& query_vector);

// Runs the legs the ratio needs against `keyword` and `snapshot` (whose
// VectorLeg, when present, is the vector leg) and fuses them. Each leg
// retrieves at least max(depth, 30) entries so fusion sees enough of both.
// A query vector is checked with CheckQueryVector whatever the ratio; while
// the leg of the entries' own vectors is being built the keyword leg runs
// alone (with a note). Errors: CheckQueryVector's; the legs' errors.
absl::StatusOr<RetrievalOutcome> Retrieve(const KeywordIndex& keyword, const Snapshot& snapshot,
                                          const RetrievalRequest& request);

// The features the confidence model reads for the candidate at `rank`
// (0-based) of `outcome`: how strongly and how unambiguously both legs
// point at it. Names in ConfidenceFeatureNames(), same order.
std::vector<double> ConfidenceFeatures(const RetrievalOutcome& outcome, size_t rank,
                                       const RetrievalRequest& request, const Snapshot& snapshot);
std::vector<std::string> ConfidenceFeatureNames();

}  // namespace zhiku

#endif  // ZHIKU_INDEX_HYBRID_H_
