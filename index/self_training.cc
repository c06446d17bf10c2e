#include "index/self_training.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "index/embedder.h"
#include "index/entry.h"
#include "index/status_macros.h"
#include "index/tokenizer.h"

namespace zhiku {
namespace {

// A sparse distribution over entries (entry index, weight), largest first.
using Dist = std::vector<std::pair<int, double>>;

// Keeps the `keep` largest weights, renormalised to sum 1.
void Trim(Dist& d, int keep) {
  std::sort(d.begin(), d.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  });
  if (static_cast<int>(d.size()) > keep) d.resize(keep);
  double sum = 0;
  for (const auto& [e, w] : d) sum += w;
  if (sum > 0) {
    for (auto& [e, w] : d) w /= sum;
  }
}

struct Edge {
  int to = 0;
  double weight = 0;
};

}  // namespace

absl::StatusOr<std::vector<PseudoLabel>> PseudoLabelCorpus(const Snapshot& snapshot, const KeywordIndex& keyword,
                                                           const TextNormalizer& normalizer,
                                                           const std::vector<std::string>& corpus,
                                                           const KeywordIndexOptions& keyword_options,
                                                           const std::string& scratch_dir,
                                                           const SelfTrainingOptions& options,
                                                           SelfTrainingReport* report) {
  SelfTrainingReport local;
  SelfTrainingReport& rep = report != nullptr ? *report : local;
  rep = {};
  std::vector<PseudoLabel> labels;
  if (snapshot.entries.empty() || corpus.empty()) return labels;

  std::vector<std::string> entry_ids;
  absl::flat_hash_map<std::string, int> entry_index;
  absl::flat_hash_map<std::string, int> phrasing_owner;  // normalised phrasing -> entry index
  for (const auto& [id, e] : snapshot.entries) {
    const int index = static_cast<int>(entry_ids.size());
    entry_ids.push_back(id);
    entry_index.emplace(id, index);
    for (const std::string& p : e->normalized_phrasings) phrasing_owner.emplace(p, index);
  }

  // The distinct texts; clamped[i] >= 0 for a text equal to a phrasing.
  std::vector<std::string> texts;
  std::vector<int> clamped;
  {
    absl::flat_hash_map<std::string, int> seen;
    for (const std::string& raw : corpus) {
      if (static_cast<int>(texts.size()) >= options.max_texts) break;
      std::string normalized = normalizer.Normalize(raw);
      if (normalized.empty() || TokensForEmbedding(normalized).empty()) continue;
      if (!seen.emplace(normalized, 1).second) continue;
      auto it = phrasing_owner.find(normalized);
      clamped.push_back(it == phrasing_owner.end() ? -1 : it->second);
      texts.push_back(std::move(normalized));
    }
  }
  const int n = static_cast<int>(texts.size());
  rep.corpus_texts = n;
  if (n == 0) return labels;

  // Seeds.
  std::vector<Dist> seed(n);
  auto cancelled = [&options] { return options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed); };
  for (int i = 0; i < n; ++i) {
    if (cancelled()) return absl::CancelledError("self-training cancelled");
    if (clamped[i] >= 0) {
      seed[i] = {{clamped[i], 1.0}};
      ++rep.exact_matches;
      continue;
    }
    KeywordQuery query;
    query.tokens = Tokenize(texts[i]);
    query.limit = options.seed_depth;
    ZHIKU_ASSIGN_OR_RETURN(KeywordResult result, keyword.Search(query));
    double best = 0;
    for (const KeywordHit& hit : result.hits) {
      auto it = entry_index.find(hit.entry_id);
      if (it == entry_index.end() || !(hit.score > 0)) continue;
      if (best == 0) best = hit.score;
      seed[i].push_back({it->second, std::pow(hit.score / best, options.seed_power)});
    }
    Trim(seed[i], options.seed_depth);
  }

  // The k-NN graph of the corpus, by BM25 of each text against the others.
  std::vector<std::vector<Edge>> graph(n);
  {
    std::error_code ec;
    std::filesystem::remove_all(scratch_dir, ec);
    std::filesystem::create_directories(scratch_dir, ec);
    ZHIKU_ASSIGN_OR_RETURN(std::unique_ptr<KeywordIndex> index,
                           KeywordIndex::Open(scratch_dir + "/corpus", keyword_options));
    for (int i = 0; i < n; ++i) {
      if (cancelled()) return absl::CancelledError("self-training cancelled");
      Entry entry;
      entry.id = absl::StrCat("c", i);
      entry.question = texts[i];
      ZHIKU_RETURN_IF_ERROR(index->Put(*MakeIndexedEntry(std::move(entry), normalizer)));
    }
    ZHIKU_RETURN_IF_ERROR(index->Commit(1, "self-training"));
    for (int i = 0; i < n; ++i) {
      if (cancelled()) return absl::CancelledError("self-training cancelled");
      KeywordQuery query;
      query.tokens = Tokenize(texts[i]);
      query.limit = options.neighbours + 1;  // the text itself comes back too
      ZHIKU_ASSIGN_OR_RETURN(KeywordResult result, index->Search(query));
      double best = 0;
      for (const KeywordHit& hit : result.hits) {
        int j = -1;
        if (!absl::SimpleAtoi(absl::string_view(hit.entry_id).substr(1), &j) || j == i || j < 0 || j >= n) continue;
        if (!(hit.score > 0)) continue;
        if (best == 0) best = hit.score;
        graph[i].push_back({j, hit.score / best});
        if (static_cast<int>(graph[i].size()) >= options.neighbours) break;
      }
      rep.graph_edges += static_cast<int64_t>(graph[i].size());
    }
    index.reset();
    std::filesystem::remove_all(scratch_dir, ec);
  }

  // Spreading.
  std::vector<Dist> f = seed;
  absl::flat_hash_map<int, double> acc;
  for (int round = 0; round < options.iterations; ++round) {
    std::vector<Dist> next(n);
    for (int i = 0; i < n; ++i) {
      if (clamped[i] >= 0) {
        next[i] = seed[i];
        continue;
      }
      acc.clear();
      for (const auto& [e, w] : seed[i]) acc[e] += options.alpha * w;
      double total = 0;
      for (const Edge& edge : graph[i]) total += edge.weight;
      if (total > 0) {
        for (const Edge& edge : graph[i]) {
          const double share = (1 - options.alpha) * edge.weight / total;
          for (const auto& [e, w] : f[edge.to]) acc[e] += share * w;
        }
      }
      next[i].assign(acc.begin(), acc.end());
      Trim(next[i], options.kept_per_text);
    }
    f = std::move(next);
  }

  // Labels: clamped texts, then the widest margins under the per-entry cap.
  struct Candidate {
    double margin;
    int text;
    int entry;
  };
  std::vector<Candidate> candidates;
  for (int i = 0; i < n; ++i) {
    if (clamped[i] >= 0) {
      labels.push_back({entry_ids[clamped[i]], texts[i]});
      continue;
    }
    if (f[i].empty() || !(f[i][0].second > 0)) continue;
    const double second = f[i].size() > 1 ? f[i][1].second : 0;
    candidates.push_back({(f[i][0].second - second) / f[i][0].second, i, f[i][0].first});
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.margin != b.margin) return a.margin > b.margin;
    return a.text < b.text;
  });
  const size_t wanted = static_cast<size_t>(std::llround(options.final_share * (n - rep.exact_matches)));
  const int cap = std::max(options.min_cap,
                           static_cast<int>(std::ceil(options.cap_factor * static_cast<double>(wanted) /
                                                      static_cast<double>(entry_ids.size()))));
  std::vector<int> taken(entry_ids.size(), 0);
  size_t added = 0;
  for (const Candidate& c : candidates) {
    if (added >= wanted) break;
    if (taken[c.entry] >= cap) continue;
    ++taken[c.entry];
    ++added;
    labels.push_back({entry_ids[c.entry], texts[c.text]});
  }
  rep.labelled = static_cast<int>(labels.size());
  return labels;
}

}  // namespace zhiku
