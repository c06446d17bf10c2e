#include "index/hybrid.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "index/status_macros.h"

namespace zhiku {

std::vector<FusedCandidate> Fuse(const std::vector<KeywordHit>& keyword,
                                 const std::vector<VectorLegHit>& vector, const FusionOptions& options) {
  const double r = std::clamp(options.semantic_ratio, 0.0, 1.0);
  std::vector<FusedCandidate> out;
  absl::flat_hash_map<std::string, size_t> at;
  if (r < 1.0) {
    for (size_t i = 0; i < keyword.size(); ++i) {
      FusedCandidate c;
      c.entry_id = keyword[i].entry_id;
      c.keyword_rank = static_cast<int>(i) + 1;
      c.keyword_score = keyword[i].score;
      c.keyword_phrasing = keyword[i].phrasing;
      at[c.entry_id] = out.size();
      out.push_back(std::move(c));
    }
  }
  for (size_t i = 0; i < vector.size(); ++i) {
    auto it = at.find(vector[i].entry_id);
    if (it == at.end()) {
      if (r <= 0.0) continue;
      FusedCandidate c;
      c.entry_id = vector[i].entry_id;
      it = at.emplace(c.entry_id, out.size()).first;
      out.push_back(std::move(c));
    }
    FusedCandidate& c = out[it->second];
    c.vector_rank = static_cast<int>(i) + 1;
    c.vector_score = vector[i].score;
    c.vector_phrasing = vector[i].phrasing;
  }
  if (options.method == FusionMethod::kRrf) {
    for (FusedCandidate& c : out) {
      c.fused = (c.keyword_rank > 0 ? (1 - r) / (options.rrf_k + c.keyword_rank) : 0) +
                (c.vector_rank > 0 ? r / (options.rrf_k + c.vector_rank) : 0);
    }
  } else {
    const double kw_max = keyword.empty() ? 0 : keyword.front().score;
    const double vec_max = vector.empty() ? 0 : std::max<double>(0, vector.front().score);
    for (FusedCandidate& c : out) {
      const double kw = kw_max > 0 && c.keyword_rank > 0 ? c.keyword_score / kw_max : 0;
      const double vec = vec_max > 0 && c.vector_rank > 0 ? std::max(0.0, c.vector_score) / vec_max : 0;
      c.fused = (1 - r) * kw + r * vec;
    }
  }
  // Ties: the leg with the larger weight decides, then the other, then the id.
  auto leg_rank = [](int rank) { return rank > 0 ? rank : 1 << 30; };
  std::stable_sort(out.begin(), out.end(), [&](const FusedCandidate& a, const FusedCandidate& b) {
    if (a.fused != b.fused) return a.fused > b.fused;
    const int ak = leg_rank(a.keyword_rank), bk = leg_rank(b.keyword_rank);
    const int av = leg_rank(a.vector_rank), bv = leg_rank(b.vector_rank);
    if (r > 0.5) {
      if (av != bv) return av < bv;
      if (ak != bk) return ak < bk;
    } else {
      if (ak != bk) return ak < bk;
      if (av != bv) return av < bv;
    }
    return a.entry_id < b.entry_id;
  });
  return out;
}

absl::Status CheckQueryVector(const Snapshot& snapshot, const std::vector<float>& query_vector) {
  if (query_vector.empty()) return absl::OkStatus();
  const VectorLeg* leg = snapshot.vectors.get();
  int dim = 0;
  if (leg != nullptr && leg->source() == VectorSource::kEntry) {
    dim = leg->dim();
  } else {
    dim = snapshot.own_vector_dim;
  }
  if (dim == 0) {
    return absl::InvalidArgumentError(
        "retrieval.query_vector was given, but this knowledge base has no vectors of its own; import "
        "entries with \"vectors\" or leave query_vector empty");
  }
  if (query_vector.size() != static_cast<size_t>(dim)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "retrieval.query_vector has ", query_vector.size(), " values, but this knowledge base's vectors have ", dim,
        " dimensions; embed the query with the model that embedded the entries"));
  }
  if (std::all_of(query_vector.begin(), query_vector.end(), [](float x) { return x == 0.0f; })) {
    return absl::InvalidArgumentError(
        "retrieval.query_vector is all zeros; it has no direction for cosine similarity");
  }
  return absl::OkStatus();
}

absl::StatusOr<RetrievalOutcome> Retrieve(const KeywordIndex& keyword, const Snapshot& snapshot,
                                          const RetrievalRequest& request) {
  RetrievalOutcome outcome;
  const double r = std::clamp(request.fusion.semantic_ratio, 0.0, 1.0);
  const int leg_depth = std::max(request.depth, 30);
  std::vector<KeywordHit> keyword_hits;
  if (r < 1.0 && !request.tokens.empty()) {
    KeywordQuery query;
    query.tokens = request.tokens;
    query.filters = request.filters;
    query.offset = 0;
    query.limit = r > 0 ? leg_depth : request.depth;
    ZHIKU_ASSIGN_OR_RETURN(KeywordResult found, keyword.Search(query));
    outcome.keyword_total_estimate = found.total_estimate;
    keyword_hits = std::move(found.hits);
    // The index can be one commit ahead of the snapshot.
    std::erase_if(keyword_hits, [&](const KeywordHit& h) { return snapshot.Find(h.entry_id) == nullptr; });
  }
  ZHIKU_RETURN_IF_ERROR(CheckQueryVector(snapshot, request.query_vector));
  std::vector<VectorLegHit> vector_hits;
  if (r > 0.0) {
    const VectorLeg* leg = snapshot.vectors.get();
    std::vector<float> query_vector = request.query_vector;
    if (!query_vector.empty()) {
      if (leg == nullptr || leg->source() != VectorSource::kEntry) {
        outcome.note = "the vector leg of this knowledge base's own vectors is being built; keyword only";
        leg = nullptr;
      }
    } else if (leg == nullptr) {
      outcome.note = snapshot.vector_note.empty() ? "vector leg not ready; keyword only" : snapshot.vector_note;
    } else if (leg->source() == VectorSource::kEntry) {
      outcome.note = "this knowledge base uses its own vectors and the request has no query_vector; keyword only";
      leg = nullptr;
    } else {
      ZHIKU_ASSIGN_OR_RETURN(query_vector, leg->EmbedQuery(request.normalized));
      if (query_vector.empty()) {
        outcome.note = "the embedding model knows no word of the query; keyword only";
        leg = nullptr;
      }
    }
    if (leg != nullptr && !query_vector.empty()) {
      auto accept = [&](const std::string& id) {
        const IndexedEntry* e = snapshot.Find(id);
        return e != nullptr && (request.filters.empty() || Matches(request.filters, e->entry));
      };
      ZHIKU_ASSIGN_OR_RETURN(vector_hits, leg->Search(query_vector, r < 1.0 ? leg_depth : request.depth, accept));
      outcome.vector_used = true;
    }
  }
  FusionOptions fusion = request.fusion;
  // Without the vector leg the keyword ranking stands alone.
  if (!outcome.vector_used) fusion.semantic_ratio = 0;
  outcome.candidates = Fuse(keyword_hits, vector_hits, fusion);
  return outcome;
}

std::vector<std::string> ConfidenceFeatureNames() {
  return {"vector_score",  "vector_margin", "keyword_log_score", "keyword_ratio", "keyword_margin",
          "fused_margin",  "legs_agree",    "term_coverage",     "log_terms",     "vector_used"};
}

std::vector<double> ConfidenceFeatures(const RetrievalOutcome& outcome, size_t rank,
                                       const RetrievalRequest& request, const Snapshot& snapshot) {
  std::vector<double> f(ConfidenceFeatureNames().size(), 0.0);
  if (rank >= outcome.candidates.size()) return f;
  const FusedCandidate& c = outcome.candidates[rank];
  double best_other_vec = 0, best_other_kw = 0, best_other_fused = 0, best_kw = c.keyword_score;
  for (size_t i = 0; i < outcome.candidates.size(); ++i) {
    const FusedCandidate& o = outcome.candidates[i];
    best_kw = std::max(best_kw, o.keyword_score);
    if (i == rank) continue;
    best_other_vec = std::max(best_other_vec, o.vector_score);
    best_other_kw = std::max(best_other_kw, o.keyword_score);
    best_other_fused = std::max(best_other_fused, o.fused);
  }
  f[0] = outcome.vector_used ? c.vector_score : 0;
  f[1] = outcome.vector_used ? c.vector_score - best_other_vec : 0;
  f[2] = std::log1p(std::max(0.0, c.keyword_score));
  f[3] = best_kw > 0 ? c.keyword_score / best_kw : 0;
  f[4] = best_kw > 0 ? (c.keyword_score - best_other_kw) / best_kw : 0;
  f[5] = c.fused > 0 ? (c.fused - best_other_fused) / c.fused : 0;
  f[6] = (c.keyword_rank == 1 && (c.vector_rank == 1 || !outcome.vector_used)) ? 1 : 0;
  // Share of the query's distinct terms found in the candidate's best phrasing.
  if (const IndexedEntry* e = snapshot.Find(c.entry_id); e != nullptr && !request.tokens.empty()) {
    int phrasing = c.keyword_rank > 0 ? c.keyword_phrasing : c.vector_phrasing;
    if (phrasing < 0 || phrasing >= static_cast<int>(e->normalized_phrasings.size())) phrasing = 0;
    absl::flat_hash_set<std::string> have;
    for (const Token& t : Tokenize(e->normalized_phrasings[phrasing])) have.insert(t.term);
    absl::flat_hash_set<std::string> want;
    for (const Token& t : request.tokens) want.insert(t.term);
    int found = 0;
    for (const std::string& t : want) found += have.contains(t) ? 1 : 0;
    f[7] = want.empty() ? 0 : static_cast<double>(found) / want.size();
    f[8] = std::log(1.0 + want.size());
  }
  f[9] = outcome.vector_used ? 1 : 0;
  return f;
}

}  // namespace zhiku
