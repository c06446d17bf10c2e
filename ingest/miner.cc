#include "ingest/miner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <queue>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "index/sha256.h"
#include "index/tokenizer.h"
#include "index/vector_index.h"

namespace zhiku {
namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();
// Agent messages shorter than this (in bytes) are acknowledgements
// ("稍等", "ok"), not answers.
constexpr size_t kMinReplyBytes = 9;
// Agent messages joined into one reply, and its length cap.
constexpr int kMaxReplyMessages = 3;
constexpr size_t kMaxReplyBytes = 2000;

using SparseVector = std::vector<std::pair<uint32_t, float>>;  // sorted by term

float Dot(const SparseVector& a, const SparseVector& b) {
  float sum = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].first < b[j].first) {
      ++i;
    } else if (a[i].first > b[j].first) {
      ++j;
    } else {
      sum += a[i++].second * b[j++].second;
    }
  }
  return sum;
}

// Seconds since the epoch of a log timestamp: epoch seconds or
// milliseconds, or ISO 8601 with or without a zone. kNoTime if unreadable.
int64_t ParseTimestamp(absl::string_view ts) {
  if (ts.empty()) return kNoTime;
  int64_t n = 0;
  if (absl::SimpleAtoi(ts, &n)) return n > 100'000'000'000 ? n / 1000 : n;
  static constexpr const char* kFormats[] = {"%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M:%E*SZ",
                                             "%Y-%m-%dT%H:%M:%E*S", "%Y-%m-%d %H:%M:%E*S", "%Y-%m-%d"};
  for (const char* format : kFormats) {
    absl::Time t;
    std::string error;
    if (absl::ParseTime(format, ts, &t, &error)) return absl::ToUnixSeconds(t);
  }
  return kNoTime;
}

std::string FormatTimestamp(int64_t seconds) {
  if (seconds == kNoTime) return "";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
}

// A reply cut after sentence ends (。！？!?~ and "." before a space), each
// piece keeping its terminator.
std::vector<std::string> SplitReply(absl::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (size_t i = 0; i < text.size(); ++i) {
    current += text[i];
    bool end = text[i] == '!' || text[i] == '?' || text[i] == '~' || (text[i] == '.' && i + 1 < text.size() && text[i + 1] == ' ');
    // 。！？～ are three bytes each in UTF-8.
    if (i >= 2) {
      absl::string_view last = text.substr(i - 2, 3);
      end = end || last == "。" || last == "！" || last == "？" || last == "～";
    }
    if (end) {
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (!absl::StripAsciiWhitespace(current).empty()) out.push_back(std::move(current));
  return out;
}

size_t CodePoints(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Interns strings to dense ids.
class Interner {
 public:
  uint32_t Id(absl::string_view s) {
    auto [it, added] = ids_.try_emplace(s, static_cast<uint32_t>(names_.size()));
    if (added) names_.emplace_back(s);
    return it->second;
  }
  size_t size() const { return names_.size(); }
  const std::string& name(uint32_t id) const { return names_[id]; }

 private:
  absl::flat_hash_map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
};

// Function words weigh a tenth: in a small log idf cannot tell that "how do
// I" says nothing about what is asked. English as stemmed by the index;
// Chinese particles and pronouns as unigrams.
bool IsFunctionWord(absl::string_view term) {
  static const absl::flat_hash_set<std::string>* const kWords = new absl::flat_hash_set<std::string>{
      "i", "me", "my", "you", "your", "we", "our", "it", "it'", "is", "am", "are", "was", "were", "be", "been",
      "do", "doe", "did", "can", "could", "would", "should", "will", "have", "has", "had", "the", "a", "an",
      "to", "of", "for", "in", "on", "at", "with", "and", "or", "how", "what", "why", "when", "where", "which",
      "there", "this", "that", "so", "if", "not", "no", "pleas", "hi", "hello", "thank",
      "的", "了", "吗", "呢", "啊", "吧", "呀", "我", "你", "您", "他", "她", "们", "这", "那", "是", "在", "有",
      "请", "问", "么", "嗎", "個", "个", "就", "也", "都", "还", "和", "要", "下", "能", "可", "以"};
  return kWords->contains(term);
}

// TF-IDF vectors over index terms, with document frequencies counted first.
class Vectorizer {
 public:
  // Term ids and counts of one normalised text.
  std::vector<std::pair<uint32_t, float>> Terms(absl::string_view normalized) {
    absl::flat_hash_map<uint32_t, float> tf;
    for (const Token& token : Tokenize(normalized)) {
      float weight = token.kind == TokenKind::kCjkUnigram ? 0.5f : 1.0f;
      if (token.kind != TokenKind::kCjkBigram && IsFunctionWord(token.term)) weight *= 0.1f;
      tf[terms_.Id(token.term)] += weight;
    }
    std::vector<std::pair<uint32_t, float>> out(tf.begin(), tf.end());
    std::sort(out.begin(), out.end());
    return out;
  }
  void CountDocument(const std::vector<std::pair<uint32_t, float>>& terms) {
    if (df_.size() < terms_.size()) df_.resize(terms_.size(), 0);
    for (const auto& [term, weight] : terms) ++df_[term];
    ++documents_;
  }
  SparseVector Weigh(const std::vector<std::pair<uint32_t, float>>& terms) const {
    SparseVector v;
    double norm = 0;
    for (const auto& [term, tf] : terms) {
      double df = term < df_.size() ? df_[term] : 0;
      // log(1 + N/df) stays positive for terms every text shares, which
      // matter in small logs ("reset my password" x 3).
      double idf = std::log(1.0 + double(documents_) / std::max(1.0, df));
      float w = static_cast<float>((tf < 1 ? tf : 1 + std::log(tf)) * idf);
      if (w <= 0) continue;
      v.emplace_back(term, w);
      norm += double{w} * w;
    }
    if (norm > 0) {
      float scale = static_cast<float>(1 / std::sqrt(norm));
      for (auto& [term, w] : v) w *= scale;
    }
    return v;
  }
  int64_t df(uint32_t term) const { return term < df_.size() ? df_[term] : 0; }
  size_t term_count() const { return terms_.size(); }

 private:
  Interner terms_;
  std::vector<int64_t> df_;
  int64_t documents_ = 0;
};

struct Question {
  uint32_t text;          // distinct index form
  uint32_t conversation;  // interned conversation id
  uint32_t reply = kNone;
  int64_t ts = kNoTime;
  std::string message_id;
};

struct DistinctText {
  std::string display;     // the first masked form seen
  std::string normalized;  // the index form
  int64_t count = 0;
};

struct Conversation {
  uint32_t id;
  std::vector<uint32_t> pending;  // questions waiting for an agent reply
  std::string reply;
  int reply_messages = 0;
};

struct Edge {
  uint32_t to;
  float similarity;
};

// Dense embeddings of the distinct texts, row d of `values` for text d when
// has[d]; dim 0 = none.
struct DenseVectors {
  int dim = 0;
  std::vector<float> values;
  std::vector<bool> has;
  const float* row(uint32_t d) const { return values.data() + size_t{d} * dim; }
};

float DenseDot(const float* a, const float* b, int dim) {
  float sum = 0;
  for (int i = 0; i < dim; ++i) sum += a[i] * b[i];
  return sum;
}

}  // namespace

struct Miner::Impl {
  MinerOptions options;
  const TextNormalizer* normalizer;
  PiiMasker masker;
  QuestionExtractor extractor;
  MinerStats stats;
  TextEmbedder embedder;

  std::vector<Question> questions;
  std::vector<DistinctText> texts;
  absl::flat_hash_map<std::string, uint32_t> text_ids;
  Interner conversation_ids;
  Interner replies;
  absl::flat_hash_map<std::string, Conversation> open;

  void FlushReply(Conversation& c) {
    if (!c.pending.empty() && !c.reply.empty()) {
      uint32_t reply = replies.Id(c.reply);
      for (uint32_t q : c.pending) questions[q].reply = reply;
    }
    if (!c.reply.empty() || c.reply_messages > 0) c.pending.clear();
    c.reply.clear();
    c.reply_messages = 0;
  }

  void Add(const ChatMessage& m);
  std::vector<Draft> Finish();
  DenseVectors Embed();
  std::vector<std::vector<Edge>> NeighbourGraph(const std::vector<SparseVector>& vectors, const Vectorizer& vz,
                                                const DenseVectors& dense);
  std::vector<uint32_t> Agglomerate(const std::vector<std::vector<Edge>>& graph, double resolution);
};

void Miner::Impl::Add(const ChatMessage& m) {
  ++stats.messages;
  const std::string& conversation_key = m.conversation_id.empty() ? m.message_id : m.conversation_id;
  auto [it, added] = open.try_emplace(conversation_key);
  Conversation& c = it->second;
  if (added) c.id = conversation_ids.Id(conversation_key);

  if (m.role == ChatRole::kAgent) {
    ++stats.agent_messages;
    if (c.pending.empty() || c.reply_messages >= kMaxReplyMessages) return;
    MaskResult masked = masker.Mask(CleanChatText(m.text));
    for (PiiType type : kAllPiiTypes) stats.masked[static_cast<int>(type)] += masked.count(type);
    if (masked.text.size() < kMinReplyBytes) return;
    if (c.reply.size() < kMaxReplyBytes) {
      if (!c.reply.empty()) c.reply += ' ';
      c.reply += masked.text;
    }
    ++c.reply_messages;
    return;
  }
  if (m.role != ChatRole::kCustomer) return;
  ++stats.customer_messages;
  FlushReply(c);

  MaskResult masked = masker.Mask(CleanChatText(m.text));
  for (PiiType type : kAllPiiTypes) stats.masked[static_cast<int>(type)] += masked.count(type);
  Extraction extraction = extractor.Extract(masked.text);
  stats.sentences += static_cast<int64_t>(extraction.questions.size() + extraction.dropped.size());
  for (DropReason reason : extraction.dropped) ++stats.dropped[static_cast<int>(reason)];
  int64_t ts = ParseTimestamp(m.ts);
  for (std::string& q : extraction.questions) {
    std::string normalized = normalizer->Normalize(q);
    if (absl::StripAsciiWhitespace(normalized).empty()) continue;
    auto [tit, tadded] = text_ids.try_emplace(normalized, static_cast<uint32_t>(texts.size()));
    if (tadded) texts.push_back({std::move(q), normalized, 0});
    ++texts[tit->second].count;
    c.pending.push_back(static_cast<uint32_t>(questions.size()));
    questions.push_back({tit->second, c.id, kNone, ts, m.message_id});
    ++stats.questions;
  }
}

DenseVectors Miner::Impl::Embed() {
  DenseVectors dense;
  if (!embedder || options.embedding_weight <= 0 || texts.empty()) return dense;
  const size_t n = texts.size();
  const size_t batch = static_cast<size_t>(std::max(1, options.embed_batch));
  dense.has.assign(n, false);
  std::vector<std::string> chunk;
  for (size_t begin = 0; begin < n; begin += batch) {
    chunk.clear();
    for (size_t d = begin; d < std::min(n, begin + batch); ++d) chunk.push_back(texts[d].normalized);
    absl::StatusOr<std::vector<std::vector<float>>> got = embedder(chunk);
    std::string problem;
    if (!got.ok()) {
      problem = std::string(got.status().message());
    } else if (got->size() != chunk.size()) {
      problem = absl::StrCat("the embedder returned ", got->size(), " vectors for ", chunk.size(), " texts");
    }
    for (size_t i = 0; problem.empty() && i < chunk.size(); ++i) {
      const std::vector<float>& v = (*got)[i];
      if (v.empty()) continue;
      if (dense.dim == 0) {
        dense.dim = static_cast<int>(v.size());
        dense.values.assign(n * v.size(), 0.0f);
      }
      if (static_cast<int>(v.size()) != dense.dim) {
        problem = absl::StrCat("the embedder returned vectors of ", dense.dim, " and ", v.size(), " dimensions");
        break;
      }
      std::copy(v.begin(), v.end(), dense.values.begin() + (begin + i) * dense.dim);
      dense.has[begin + i] = true;
    }
    if (!problem.empty()) {
      stats.embedding_note = absl::StrCat(problem, "; clustered by TF-IDF alone");
      return DenseVectors();
    }
  }
  stats.embedded_texts = std::count(dense.has.begin(), dense.has.end(), true);
  stats.embedding_dim = dense.dim;
  if (stats.embedded_texts == 0) {
    stats.embedding_note = "the embedding model knows no word of these texts; clustered by TF-IDF alone";
    return DenseVectors();
  }
  return dense;
}

std::vector<std::vector<Edge>> Miner::Impl::NeighbourGraph(const std::vector<SparseVector>& vectors,
                                                           const Vectorizer& vz, const DenseVectors& dense) {
  const size_t n = vectors.size();
  // Inverted index of the terms rare enough to generate candidates.
  std::vector<std::vector<std::pair<uint32_t, float>>> postings(vz.term_count());
  for (uint32_t d = 0; d < n; ++d) {
    for (const auto& [term, w] : vectors[d]) {
      if (vz.df(term) <= options.max_postings) postings[term].emplace_back(d, w);
    }
  }
  const int k = std::max(1, options.neighbours);
  // The embedded texts in a FAISS index (exact while small, an inverted file
  // above 20,000: exact search of every text against every other would be
  // quadratic); each text's 4k nearest by embedding become candidates too.
  std::unique_ptr<VectorIndex> dense_index;
  const float w_dense = static_cast<float>(std::clamp(options.embedding_weight, 0.0, 1.0));
  if (dense.dim > 0) {
    std::vector<float> rows;
    std::vector<int64_t> labels;
    for (uint32_t d = 0; d < n; ++d) {
      if (!dense.has[d]) continue;
      rows.insert(rows.end(), dense.row(d), dense.row(d) + dense.dim);
      labels.push_back(d);
    }
    VectorIndexBuildOptions build;
    build.exact_max = 20000;
    absl::StatusOr<std::unique_ptr<VectorIndex>> built =
        VectorIndex::Build(rows.data(), labels.data(), labels.size(), dense.dim, build);
    if (built.ok()) {
      dense_index = *std::move(built);
    } else {
      stats.embedding_note = absl::StrCat("vector index: ", built.status().message(), "; clustered by TF-IDF alone");
    }
  }
  auto similarity = [&](uint32_t a, uint32_t b) {
    float sparse = Dot(vectors[a], vectors[b]);
    if (dense_index == nullptr || !dense.has[a] || !dense.has[b]) return sparse;
    return w_dense * DenseDot(dense.row(a), dense.row(b), dense.dim) + (1 - w_dense) * sparse;
  };
  std::vector<std::vector<Edge>> knn(n);
  auto work = [&](size_t begin, size_t step) {
    std::vector<float> acc(n, 0);
    std::vector<uint32_t> touched;
    std::vector<std::pair<float, uint32_t>> candidates;
    for (size_t d = begin; d < n; d += step) {
      touched.clear();
      for (const auto& [term, w] : vectors[d]) {
        if (vz.df(term) > options.max_postings) continue;
        for (const auto& [other, ow] : postings[term]) {
          if (other == d) continue;
          if (acc[other] == 0) touched.push_back(other);
          acc[other] += w * ow;
        }
      }
      candidates.clear();
      for (uint32_t o : touched) {
        candidates.emplace_back(acc[o], o);
        acc[o] = 0;
      }
      // Rescore the best partial scores with the full vectors.
      size_t keep = std::min(candidates.size(), static_cast<size_t>(8 * k));
      auto by_score = [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; };
      std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(), by_score);
      candidates.resize(keep);
      if (dense_index != nullptr && dense.has[d]) {
        absl::StatusOr<std::vector<VectorHit>> near = dense_index->Search(dense.row(d), 4 * k + 1);
        if (near.ok()) {
          for (const VectorHit& hit : *near) {
            uint32_t o = static_cast<uint32_t>(hit.label);
            if (o == d) continue;
            if (std::none_of(candidates.begin(), candidates.end(), [o](const auto& c) { return c.second == o; })) {
              candidates.emplace_back(0.0f, o);
            }
          }
        }
      }
      for (auto& [score, o] : candidates) score = similarity(static_cast<uint32_t>(d), o);
      std::sort(candidates.begin(), candidates.end(), by_score);
      for (size_t i = 0; i < candidates.size() && static_cast<int>(i) < k; ++i) {
        if (candidates[i].first < options.min_similarity) break;
        knn[d].push_back({candidates[i].second, candidates[i].first});
      }
    }
  };
  int threads = std::max(1, options.threads);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t, threads);
  work(0, threads);
  for (auto& t : pool) t.join();

  // Symmetric: an edge in either list is an edge of the graph.
  std::vector<std::vector<Edge>> graph(n);
  for (uint32_t d = 0; d < n; ++d) {
    for (const Edge& e : knn[d]) {
      graph[d].push_back(e);
      graph[e.to].push_back({d, e.similarity});
    }
  }
  for (auto& edges : graph) {
    std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.to < b.to; });
    edges.erase(std::unique(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.to == b.to; }),
                edges.end());
  }
  return graph;
}

std::vector<uint32_t> Miner::Impl::Agglomerate(const std::vector<std::vector<Edge>>& graph, double resolution) {
  const uint32_t n = static_cast<uint32_t>(graph.size());
  // An edge's similarity mass: its similarity weighted by the geometric mean
  // of the two texts' counts, so a question asked 50 times pulls harder.
  auto mass_of = [&](uint32_t d, const Edge& e) {
    return std::sqrt(double(texts[d].count) * double(texts[e.to].count)) * e.similarity;
  };
  // Per cluster: the similarity mass to each neighbouring cluster.
  std::vector<absl::flat_hash_map<uint32_t, double>> links(n);
  std::vector<uint32_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  for (uint32_t d = 0; d < n; ++d) {
    for (const Edge& e : graph[d]) links[d][e.to] += mass_of(d, e);
  }
  struct Candidate {
    double score;
    uint32_t a, b;
    bool operator<(const Candidate& o) const {
      if (score != o.score) return score < o.score;
      if (a != o.a) return a > o.a;
      return b > o.b;
    }
  };
  // Degree-corrected Potts model: merging a and b gains
  //   l(a,b) - r * d(a) * d(b) / mean(d)
  // where l is the similarity mass between them, d a cluster's total
  // similarity mass and mean(d) that of an average text. It is modularity
  // with a resolution that grows with the number of texts, so the same r
  // gives clusters of the same tightness in a log of 100 or 1,000,000
  // questions. Pairs merge, best gain first, while the gain is positive.
  std::vector<double> affinity(n, 0);
  double total = 0;
  // Summed in edge order, not hash-map order: the same input must give the
  // same floating-point sums in every process.
  for (uint32_t d = 0; d < n; ++d) {
    for (const Edge& e : graph[d]) affinity[d] += links[d].at(e.to);
    total += affinity[d];
  }
  // Each text's own mass, kept for the refinement below.
  const std::vector<double> node_affinity = affinity;
  const double mean_affinity = total / std::max<uint32_t>(1, n);
  auto score_of = [&](uint32_t a, uint32_t b) {
    return links[a].at(b) - resolution * affinity[a] * affinity[b] / std::max(1e-9, mean_affinity);
  };
  std::priority_queue<Candidate> heap;
  auto push = [&](uint32_t a, uint32_t b) {
    double score = score_of(a, b);
    if (score <= 0) return;
    if (a > b) std::swap(a, b);
    heap.push({score, a, b});
  };
  for (uint32_t d = 0; d < n; ++d) {
    for (const auto& [o, mass] : links[d]) {
      if (d < o) push(d, o);
    }
  }
  // An entry is stale when a cluster in it was merged away or the link's
  // score changed since (a fresh entry was pushed then).
  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    if (parent[c.a] != c.a || parent[c.b] != c.b) continue;
    auto it = links[c.a].find(c.b);
    if (it == links[c.a].end() || score_of(c.a, c.b) != c.score) continue;
    // Merge the cluster with fewer links into the other.
    uint32_t keep = c.a, gone = c.b;
    if (links[keep].size() < links[gone].size()) std::swap(keep, gone);
    parent[gone] = keep;
    affinity[keep] += affinity[gone];
    links[keep].erase(gone);
    for (const auto& [o, mass] : links[gone]) {
      if (o == keep) continue;
      double& mine = links[keep][o];
      mine += mass;
      auto& theirs = links[o];
      theirs.erase(gone);
      theirs[keep] = mine;
    }
    links[gone].clear();
    links[gone].rehash(0);
    for (const auto& [o, mass] : links[keep]) push(keep, o);
  }
  std::vector<uint32_t> root(n);
  for (uint32_t d = 0; d < n; ++d) {
    uint32_t r = d;
    while (parent[r] != r) r = parent[r];
    root[d] = r;
  }

  // Refinement: greedy merging never undoes a merge, so a text that joined
  // a cluster early may fit another better once both have grown. Texts move,
  // in id order, to the neighbouring cluster where they gain most under the
  // same objective, for a few passes or until none moves.
  std::vector<double> cluster_affinity(n, 0);
  for (uint32_t d = 0; d < n; ++d) cluster_affinity[root[d]] += node_affinity[d];
  for (int pass = 0; pass < options.refine_passes; ++pass) {
    int64_t moved = 0;
    for (uint32_t d = 0; d < n; ++d) {
      if (graph[d].empty()) continue;
      std::vector<std::pair<uint32_t, double>> mass;  // cluster -> link mass from d
      for (const Edge& e : graph[d]) {
        double w = mass_of(d, e);
        uint32_t c = root[e.to];
        auto it = std::find_if(mass.begin(), mass.end(), [c](const auto& m) { return m.first == c; });
        if (it == mass.end()) {
          mass.emplace_back(c, w);
        } else {
          it->second += w;
        }
      }
      const uint32_t own = root[d];
      auto gain = [&](uint32_t c, double link) {
        double others = cluster_affinity[c] - (c == own ? node_affinity[d] : 0);
        return link - resolution * node_affinity[d] * others / std::max(1e-9, mean_affinity);
      };
      double own_link = 0;
      for (const auto& [c, link] : mass) {
        if (c == own) own_link = link;
      }
      double best_gain = gain(own, own_link);
      uint32_t best = own;
      for (const auto& [c, link] : mass) {
        double g = gain(c, link);
        if (g > best_gain + 1e-12 || (g == best_gain && c < best && c != own && best != own)) {
          best_gain = g;
          best = c;
        }
      }
      if (best == own) continue;
      cluster_affinity[own] -= node_affinity[d];
      cluster_affinity[best] += node_affinity[d];
      root[d] = best;
      ++moved;
    }
    if (moved == 0) break;
  }
  return root;
}

std::vector<Draft> Miner::Impl::Finish() {
  // In conversation order, so that reply ids (and ties between replies)
  // do not depend on hash-map order.
  std::vector<Conversation*> still_open;
  for (auto& [key, c] : open) still_open.push_back(&c);
  std::sort(still_open.begin(), still_open.end(), [](const Conversation* a, const Conversation* b) { return a->id < b->id; });
  for (Conversation* c : still_open) FlushReply(*c);
  stats.distinct_questions = static_cast<int64_t>(texts.size());
  const uint32_t n = static_cast<uint32_t>(texts.size());

  Vectorizer vz;
  std::vector<std::vector<std::pair<uint32_t, float>>> terms(n);
  for (uint32_t d = 0; d < n; ++d) {
    terms[d] = vz.Terms(texts[d].normalized);
    vz.CountDocument(terms[d]);
  }
  std::vector<SparseVector> vectors(n);
  for (uint32_t d = 0; d < n; ++d) vectors[d] = vz.Weigh(terms[d]);
  terms.clear();
  terms.shrink_to_fit();

  const DenseVectors dense = Embed();
  std::vector<std::vector<Edge>> graph = NeighbourGraph(vectors, vz, dense);
  std::vector<uint32_t> root =
      Agglomerate(graph, dense.dim > 0 ? options.embedding_resolution : options.resolution);

  // Members of each cluster, and the questions of each text.
  absl::flat_hash_map<uint32_t, std::vector<uint32_t>> members;
  for (uint32_t d = 0; d < n; ++d) members[root[d]].push_back(d);
  std::vector<std::vector<uint32_t>> text_questions(n);
  for (uint32_t q = 0; q < questions.size(); ++q) text_questions[questions[q].text].push_back(q);
  int64_t t_min = std::numeric_limits<int64_t>::max(), t_max = kNoTime;
  for (const Question& q : questions) {
    if (q.ts == kNoTime) continue;
    t_min = std::min(t_min, q.ts);
    t_max = std::max(t_max, q.ts);
  }

  // Boilerplate: agent sentences found in the replies of many different
  // clusters, whatever was asked (openers, "anything else?", sign-offs), are
  // cut from the replies, so that a candidate answer is what the agent said
  // about the question.
  std::vector<std::string> reply_text(replies.size());
  {
    std::vector<std::vector<std::string>> sentences(replies.size());
    for (uint32_t r = 0; r < replies.size(); ++r) {
      for (std::string& piece : SplitReply(replies.name(r))) sentences[r].push_back(normalizer->Normalize(piece));
    }
    absl::flat_hash_map<std::string, int64_t> clusters_saying;
    int64_t clusters_with_replies = 0;
    for (const auto& [cluster, texts_of] : members) {
      absl::flat_hash_set<absl::string_view> said;
      for (uint32_t d : texts_of) {
        for (uint32_t q : text_questions[d]) {
          if (questions[q].reply == kNone) continue;
          for (const std::string& sentence : sentences[questions[q].reply]) said.insert(sentence);
        }
      }
      if (!said.empty()) ++clusters_with_replies;
      for (absl::string_view sentence : said) ++clusters_saying[sentence];
    }
    const int64_t boilerplate = std::max<int64_t>(3, clusters_with_replies / 100);
    for (uint32_t r = 0; r < replies.size(); ++r) {
      std::vector<std::string> pieces = SplitReply(replies.name(r));
      for (size_t i = 0; i < pieces.size(); ++i) {
        if (clusters_saying[sentences[r][i]] >= boilerplate) continue;
        reply_text[r] += pieces[i];
      }
      absl::StripAsciiWhitespace(&reply_text[r]);
    }
  }

  // Reply vectors share one vocabulary over all distinct replies.
  Vectorizer reply_vz;
  std::vector<std::vector<std::pair<uint32_t, float>>> reply_terms(replies.size());
  for (uint32_t r = 0; r < replies.size(); ++r) {
    reply_terms[r] = reply_vz.Terms(normalizer->Normalize(reply_text[r]));
    reply_vz.CountDocument(reply_terms[r]);
  }

  std::vector<Draft> drafts;
  for (auto& [cluster, texts_of] : members) {
    if (texts_of.size() > 1) ++stats.clusters;
    absl::flat_hash_map<uint32_t, int> conversations;
    std::vector<uint32_t> qs;
    for (uint32_t d : texts_of) {
      for (uint32_t q : text_questions[d]) {
        qs.push_back(q);
        conversations.try_emplace(questions[q].conversation, 0);
      }
    }
    if (static_cast<int64_t>(conversations.size()) < options.min_frequency) continue;
    std::sort(qs.begin(), qs.end());
    Draft draft;
    draft.frequency = static_cast<int64_t>(conversations.size());
    stats.questions_in_drafts += static_cast<int64_t>(qs.size());

    // Representative: weighted centrality, damped for long texts.
    absl::flat_hash_map<uint32_t, bool> in_cluster;
    for (uint32_t d : texts_of) in_cluster[d] = true;
    uint32_t best = texts_of[0];
    double best_score = -1;
    for (uint32_t d : texts_of) {
      double centrality = double(texts[d].count - 1);
      for (const Edge& e : graph[d]) {
        if (in_cluster.contains(e.to)) centrality += double(texts[e.to].count) * e.similarity;
      }
      size_t length = CodePoints(texts[d].display);
      double readability = 1.0 / (1.0 + std::max(0.0, (double(length) - 40.0) / 40.0));
      if (texts[d].display.find('[') != std::string::npos) readability *= 0.8;
      double score = (centrality + 1e-3) * readability;
      if (score > best_score || (score == best_score && length < CodePoints(texts[best].display))) {
        best = d;
        best_score = score;
      }
    }
    draft.question = texts[best].display;
    draft.draft_id = "d-" + Sha256Hex(texts[best].normalized).substr(0, 16);

    // Variants: most frequent first, skipping near copies.
    std::vector<uint32_t> order(texts_of.begin(), texts_of.end());
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return texts[a].count != texts[b].count ? texts[a].count > texts[b].count : a < b;
    });
    std::vector<uint32_t> chosen = {best};
    for (uint32_t d : order) {
      if (static_cast<int>(draft.variants.size()) >= options.max_variants) break;
      if (d == best) continue;
      bool near_copy = false;
      for (uint32_t c : chosen) near_copy = near_copy || Dot(vectors[d], vectors[c]) >= 0.9f;
      if (near_copy) continue;
      chosen.push_back(d);
      draft.variants.push_back(texts[d].display);
    }

    // Evidence, conversations and time.
    absl::flat_hash_map<uint32_t, bool> seen_conversation;
    int64_t first = kNoTime, last = kNoTime, recent = 0, timed = 0;
    for (uint32_t q : qs) {
      const Question& question = questions[q];
      if (static_cast<int>(draft.message_ids.size()) < options.max_evidence) draft.message_ids.push_back(question.message_id);
      if (seen_conversation.try_emplace(question.conversation, true).second &&
          static_cast<int>(draft.conversation_ids.size()) < options.max_evidence) {
        draft.conversation_ids.push_back(conversation_ids.name(question.conversation));
      }
      if (question.ts != kNoTime) {
        first = first == kNoTime ? question.ts : std::min(first, question.ts);
        last = std::max(last, question.ts);
        ++timed;
        if (t_max > t_min && question.ts >= t_max - (t_max - t_min) / 4) ++recent;
      }
    }
    draft.first_seen = FormatTimestamp(first);
    draft.last_seen = FormatTimestamp(last);
    if (timed > 0 && t_max > t_min) draft.trend = (double(recent) / double(timed)) / 0.25;

    // Answers: the reply closest to the centroid of the cluster's replies.
    absl::flat_hash_map<uint32_t, int64_t> reply_counts;
    for (uint32_t q : qs) {
      uint32_t r = questions[q].reply;
      if (r != kNone && reply_text[r].size() >= kMinReplyBytes) ++reply_counts[r];
    }
    if (!reply_counts.empty()) {
      std::vector<std::pair<uint32_t, int64_t>> rs(reply_counts.begin(), reply_counts.end());
      std::sort(rs.begin(), rs.end());
      std::vector<SparseVector> rv;
      absl::flat_hash_map<uint32_t, float> centroid;
      int64_t total = 0;
      for (const auto& [r, count] : rs) {
        rv.push_back(reply_vz.Weigh(reply_terms[r]));
        for (const auto& [term, w] : rv.back()) centroid[term] += w * float(count);
        total += count;
      }
      size_t chosen_reply = 0;
      double chosen_score = -1;
      for (size_t i = 0; i < rs.size(); ++i) {
        double s = 0;
        for (const auto& [term, w] : rv[i]) {
          auto it = centroid.find(term);
          if (it != centroid.end()) s += double(w) * it->second;
        }
        // Self-similarity would favour one frequent reply by itself; count it once.
        s -= double(rs[i].second - 1);
        s += 1e-3 * double(rs[i].second);
        if (s > chosen_score) {
          chosen_score = s;
          chosen_reply = i;
        }
      }
      draft.answer = reply_text[rs[chosen_reply].first];
      // Conflict: the replies fall into two substantial groups (leader
      // grouping at cosine 0.25, most frequent replies lead) whose leaders
      // share almost nothing (cosine < 0.1). Many one-off replies worded
      // differently are no conflict.
      std::vector<size_t> by_count(rs.size());
      std::iota(by_count.begin(), by_count.end(), 0);
      std::sort(by_count.begin(), by_count.end(), [&](size_t a, size_t b) {
        return rs[a].second != rs[b].second ? rs[a].second > rs[b].second : a < b;
      });
      std::vector<std::pair<size_t, int64_t>> groups;  // leader, weight
      for (size_t i : by_count) {
        bool joined = false;
        for (auto& [leader, weight] : groups) {
          if (Dot(rv[i], rv[leader]) >= 0.25f) {
            weight += rs[i].second;
            joined = true;
            break;
          }
        }
        if (!joined) groups.emplace_back(i, rs[i].second);
      }
      std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
      });
      bool conflict = groups.size() >= 2 && total >= 4 && groups[1].second >= 2 &&
                      10 * groups[1].second >= 3 * total && Dot(rv[groups[0].first], rv[groups[1].first]) < 0.1f;
      std::vector<std::pair<int64_t, size_t>> alternatives;
      for (size_t i = 0; i < rs.size(); ++i) {
        if (i == chosen_reply) continue;
        if (Dot(rv[i], rv[chosen_reply]) < 0.6f) alternatives.emplace_back(-rs[i].second, i);
      }
      std::sort(alternatives.begin(), alternatives.end());
      for (const auto& [neg, i] : alternatives) {
        if (static_cast<int>(draft.answer_alternatives.size()) >= options.max_alternatives) break;
        draft.answer_alternatives.push_back(reply_text[rs[i].first]);
      }
      draft.conflicting_answers = conflict;
    }
    drafts.push_back(std::move(draft));
  }
  std::sort(drafts.begin(), drafts.end(), [](const Draft& a, const Draft& b) {
    return a.frequency != b.frequency ? a.frequency > b.frequency : a.draft_id < b.draft_id;
  });
  stats.drafts = static_cast<int64_t>(drafts.size());
  return drafts;
}

double ContentOverlap(const TextNormalizer& normalizer, absl::string_view a, absl::string_view b) {
  auto content = [&](absl::string_view text) {
    absl::flat_hash_set<std::string> terms;
    for (const Token& token : Tokenize(normalizer.Normalize(text))) {
      if (token.kind == TokenKind::kCjkUnigram || IsFunctionWord(token.term)) continue;
      terms.insert(token.term);
    }
    return terms;
  };
  absl::flat_hash_set<std::string> x = content(a), y = content(b);
  if (x.empty() || y.empty()) return 0;
  size_t shared = 0;
  for (const std::string& t : x) shared += y.contains(t);
  return 2.0 * double(shared) / double(x.size() + y.size());
}

Miner::Miner(const MinerOptions& options, const TextNormalizer* normalizer) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->normalizer = normalizer;
}

Miner::~Miner() = default;

void Miner::Add(const ChatMessage& message) { impl_->Add(message); }

void Miner::SetEmbedder(TextEmbedder embedder) { impl_->embedder = std::move(embedder); }

std::vector<Draft> Miner::Finish() { return impl_->Finish(); }

const MinerStats& Miner::stats() const { return impl_->stats; }

}  // namespace zhiku
