#include "ingest/mining_eval.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace zhiku {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;  // keeps the headline scores first

// Pairs in a group of `size`: C(size, 2).
__int128 Pairs(int64_t size) { return static_cast<__int128>(size) * (size - 1) / 2; }

// Neumaier's compensated sum in long double: the hash maps iterate in an
// order that changes from run to run, and the scores should not.
class PreciseSum {
 public:
  void Add(long double x) {
    const long double t = sum_ + x;
    if (std::fabs(sum_) >= std::fabs(x)) {
      carry_ += (sum_ - t) + x;
    } else {
      carry_ += (x - t) + sum_;
    }
    sum_ = t;
  }
  long double value() const { return sum_ + carry_; }

 private:
  long double sum_ = 0;
  long double carry_ = 0;
};

long double Entropy(const std::vector<int64_t>& sizes, int64_t n) {
  PreciseSum h;
  const long double log_n = std::log(static_cast<long double>(n));
  for (int64_t size : sizes) {
    if (size == 0) continue;
    const long double p = static_cast<long double>(size) / n;
    h.Add(-p * (std::log(static_cast<long double>(size)) - log_n));
  }
  return h.value();
}

// The label with the most votes; ties go to the smaller name.
int MajorityLabel(const absl::flat_hash_map<int, int64_t>& votes, const std::vector<std::string>& names,
                  int64_t* count) {
  int best = -1;
  int64_t best_count = 0;
  for (const auto& [label, n] : votes) {
    if (n > best_count || (n == best_count && names[label] < names[best])) {
      best = label;
      best_count = n;
    }
  }
  *count = best_count;
  return best;
}

// Reads `path` line by line, calling `parse(line, line_number)` for every
// non-blank line; prefixes its errors with "<path>:<line>: ".
template <typename ParseLine>
absl::Status ForEachLine(const std::string& path, ParseLine parse) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string line;
  int64_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    absl::Status status = parse(absl::string_view(line), line_number);
    if (!status.ok()) {
      return absl::Status(status.code(), absl::StrCat(path, ":", line_number, ": ", status.message()));
    }
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("reading ", path, " failed after line ", line_number));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MiningScores> EvaluateMining(const std::vector<Draft>& drafts,
                                            const absl::flat_hash_map<std::string, std::string>& labels,
                                            const EvalOptions& options) {
  if (options.top_drafts < 1) {
    return absl::InvalidArgumentError(absl::StrCat("top_drafts is ", options.top_drafts, "; it must be >= 1"));
  }
  if (options.top_labels < 1) {
    return absl::InvalidArgumentError(absl::StrCat("top_labels is ", options.top_labels, "; it must be >= 1"));
  }
  if (labels.empty()) return absl::InvalidArgumentError("there are no labelled messages to evaluate against");

  MiningScores scores;
  scores.top_drafts = options.top_drafts;
  scores.top_labels = options.top_labels;
  scores.drafts = static_cast<int64_t>(drafts.size());
  const int64_t n = static_cast<int64_t>(labels.size());
  scores.labelled_messages = n;

  // Dense ids: message i of the labels (in map order) has gold label
  // message_label[i]. Label ids follow label-name order, so nothing below
  // depends on hash-map iteration order.
  absl::flat_hash_map<absl::string_view, int32_t> message_index;
  message_index.reserve(labels.size());
  std::vector<int32_t> message_label;
  message_label.reserve(labels.size());
  std::vector<std::string> label_names;
  {
    absl::flat_hash_map<absl::string_view, int32_t> first_seen;
    for (const auto& [message_id, label] : labels) {
      if (label.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("message ", message_id, " has an empty label"));
      }
      auto [it, inserted] = first_seen.try_emplace(label, static_cast<int32_t>(label_names.size()));
      if (inserted) label_names.push_back(label);
      message_index.emplace(message_id, static_cast<int32_t>(message_label.size()));
      message_label.push_back(it->second);
    }
  }
  if (label_names.size() >= (size_t{1} << 24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("there are ", label_names.size(), " distinct labels; the limit is 16,777,215"));
  }
  {
    std::vector<int32_t> by_name(label_names.size());
    std::iota(by_name.begin(), by_name.end(), 0);
    std::sort(by_name.begin(), by_name.end(),
              [&label_names](int32_t a, int32_t b) { return label_names[a] < label_names[b]; });
    std::vector<int32_t> renumber(label_names.size());
    std::vector<std::string> sorted(label_names.size());
    for (size_t i = 0; i < by_name.size(); ++i) {
      renumber[by_name[i]] = static_cast<int32_t>(i);
      sorted[i] = std::move(label_names[by_name[i]]);
    }
    label_names = std::move(sorted);
    for (int32_t& l : message_label) l = renumber[l];
  }
  scores.labels = static_cast<int64_t>(label_names.size());

  // Membership: member_of[i] = the draft of labelled message i, or -1.
  std::vector<int64_t> member_of(message_label.size(), -1);
  for (size_t d = 0; d < drafts.size(); ++d) {
    for (const std::string& message_id : drafts[d].message_ids) {
      auto it = message_index.find(message_id);
      if (it == message_index.end()) continue;
      int64_t& owner = member_of[it->second];
      if (owner < 0 || drafts[d].frequency > drafts[owner].frequency) owner = static_cast<int64_t>(d);
    }
  }

  // Top-K ranks: rank_of[draft] = 0-based rank, or -1 outside the top K.
  std::vector<int64_t> order(drafts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&drafts](int64_t a, int64_t b) { return drafts[a].frequency > drafts[b].frequency; });
  const int64_t top_k = std::min<int64_t>(options.top_drafts, static_cast<int64_t>(drafts.size()));
  scores.top_drafts_used = top_k;
  std::vector<int64_t> rank_of(drafts.size(), -1);
  for (int64_t r = 0; r < top_k; ++r) rank_of[order[r]] = r;

  // Contingency table. Clusters: draft d is d; singleton k is drafts + k.
  // Singletons stay out of `cells` (each is a cell of 1): they are counted
  // per label in `singles`.
  std::vector<int64_t> label_size(label_names.size(), 0);
  std::vector<int64_t> singles(label_names.size(), 0);
  std::vector<int64_t> cluster_size(drafts.size(), 0);
  absl::flat_hash_map<uint64_t, int64_t> cells;
  std::vector<absl::flat_hash_map<int, int64_t>> top_votes(static_cast<size_t>(top_k));
  int64_t singletons = 0;
  for (size_t i = 0; i < message_label.size(); ++i) {
    const int32_t l = message_label[i];
    ++label_size[l];
    const int64_t d = member_of[i];
    if (d < 0) {
      ++singles[l];
      ++singletons;
      continue;
    }
    ++cluster_size[d];
    if (const int64_t r = rank_of[d]; r >= 0) ++top_votes[r][l];
    // 24 bits of label, 40 of draft.
    ++cells[(static_cast<uint64_t>(l) << 40) | static_cast<uint64_t>(d)];
  }
  scores.clustered_messages = n - singletons;
  cluster_size.resize(drafts.size() + static_cast<size_t>(singletons), 1);
  const int64_t nonempty_clusters =
      std::count_if(cluster_size.begin(), cluster_size.end(), [](int64_t s) { return s > 0; });
  scores.clusters = nonempty_clusters;

  // NMI (arithmetic mean normaliser), with scikit-learn's limit cases.
  const int64_t classes = static_cast<int64_t>(label_names.size());
  if (classes == 1 && nonempty_clusters == 1) {
    scores.nmi = 1.0;
  } else if (classes == 1 || nonempty_clusters == 1) {
    scores.nmi = 0.0;
  } else {
    PreciseSum mi;
    const long double log_n = std::log(static_cast<long double>(n));
    for (const auto& [key, count] : cells) {
      const int64_t a = label_size[key >> 40];
      const int64_t b = cluster_size[key & ((uint64_t{1} << 40) - 1)];
      const long double c = static_cast<long double>(count);
      mi.Add(c / n *
             (std::log(c) + log_n - std::log(static_cast<long double>(a)) - std::log(static_cast<long double>(b))));
    }
    for (size_t l = 0; l < singles.size(); ++l) {
      // A singleton's cell: n_ij = b_j = 1.
      if (singles[l] > 0)
        mi.Add(static_cast<long double>(singles[l]) / n * (log_n - std::log(static_cast<long double>(label_size[l]))));
    }
    const long double mutual = std::max<long double>(mi.value(), 0);
    if (mutual == 0) {
      scores.nmi = 0.0;
    } else {
      const long double mean_entropy = (Entropy(label_size, n) + Entropy(cluster_size, n)) / 2;
      scores.nmi = static_cast<double>(mutual / mean_entropy);
    }
  }

  // ARI from exact pair counts: with S = sum C(n_ij,2), A = sum C(a_i,2),
  // B = sum C(b_j,2), N = C(n,2), ARI = 2(S N - A B) / ((A + B) N - 2 A B).
  __int128 same_both = 0, same_label = 0, same_cluster = 0;
  for (const auto& [key, count] : cells) same_both += Pairs(count);
  for (int64_t a : label_size) same_label += Pairs(a);
  for (int64_t b : cluster_size) same_cluster += Pairs(b);
  const __int128 all_pairs = Pairs(n);
  if (same_both == same_label && same_both == same_cluster) {
    scores.ari = 1.0;  // identical partitions (also n < 2)
  } else {
    const __int128 numerator = 2 * (same_both * all_pairs - same_label * same_cluster);
    const __int128 denominator = (same_label + same_cluster) * all_pairs - 2 * same_label * same_cluster;
    scores.ari = static_cast<double>(static_cast<long double>(numerator) / static_cast<long double>(denominator));
  }

  // Top-K purity, duplicates, and the labels they cover.
  std::vector<bool> majority_seen(label_names.size(), false);
  PreciseSum purity_sum;
  int64_t labelled_top = 0, duplicates = 0;
  for (int64_t r = 0; r < top_k; ++r) {
    if (top_votes[r].empty()) continue;
    int64_t members = 0;
    for (const auto& [label, count] : top_votes[r]) members += count;
    int64_t majority_count = 0;
    const int majority = MajorityLabel(top_votes[r], label_names, &majority_count);
    ++labelled_top;
    purity_sum.Add(static_cast<long double>(majority_count) / members);
    if (majority_seen[majority]) ++duplicates;
    majority_seen[majority] = true;
  }
  scores.top_drafts_labelled = labelled_top;
  if (labelled_top > 0) {
    scores.top_purity = static_cast<double>(purity_sum.value() / labelled_top);
    scores.top_duplicate_rate = static_cast<double>(duplicates) / labelled_top;
  }

  std::vector<int> by_size(label_names.size());
  std::iota(by_size.begin(), by_size.end(), 0);
  // Ids are in name order already, so a stable sort by size breaks ties by name.
  std::stable_sort(by_size.begin(), by_size.end(),
                   [&label_size](int a, int b) { return label_size[a] > label_size[b]; });
  const int64_t top_l = std::min<int64_t>(options.top_labels, static_cast<int64_t>(label_names.size()));
  scores.top_labels_used = top_l;
  for (int64_t i = 0; i < top_l; ++i) {
    if (majority_seen[by_size[i]]) ++scores.top_labels_covered;
  }
  scores.top_coverage = static_cast<double>(scores.top_labels_covered) / top_l;
  return scores;
}

absl::StatusOr<absl::flat_hash_map<std::string, std::string>> ReadLabelsFile(const std::string& path) {
  absl::flat_hash_map<std::string, std::string> labels;
  absl::flat_hash_map<std::string, int64_t> first_line;
  absl::Status status = ForEachLine(path, [&](absl::string_view line, int64_t line_number) -> absl::Status {
    Json j = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return absl::InvalidArgumentError("invalid JSON; each line must be one label object");
    if (!j.is_object()) return absl::InvalidArgumentError("the line is not a {\"message_id\",\"label\"} object");
    std::string message_id;
    auto id = j.find("message_id");
    if (id == j.end() || id->is_null()) return absl::InvalidArgumentError("\"message_id\" is missing");
    if (id->is_string()) {
      message_id = id->get<std::string>();
    } else if (id->is_number_integer()) {
      message_id = id->dump();
    } else {
      return absl::InvalidArgumentError("\"message_id\" must be a string or an integer");
    }
    if (message_id.empty()) return absl::InvalidArgumentError("\"message_id\" is empty");
    auto label = j.find("label");
    if (label == j.end() || label->is_null()) return absl::InvalidArgumentError("\"label\" is missing");
    if (!label->is_string()) return absl::InvalidArgumentError("\"label\" must be a string");
    if (label->get_ref<const std::string&>().empty()) return absl::InvalidArgumentError("\"label\" is empty");
    auto [it, inserted] = first_line.try_emplace(message_id, line_number);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat("message_id \"", message_id, "\" is already labelled on line ",
                                                     it->second, "; each message takes one label"));
    }
    labels.emplace(std::move(message_id), label->get<std::string>());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return labels;
}

absl::StatusOr<std::vector<Draft>> ReadDraftsFile(const std::string& path) {
  std::vector<Draft> drafts;
  absl::Status status = ForEachLine(path, [&drafts](absl::string_view line, int64_t) -> absl::Status {
    absl::StatusOr<Draft> draft = DraftFromJson(line);
    if (!draft.ok()) return draft.status();
    drafts.push_back(*std::move(draft));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return drafts;
}

std::string MiningScoresToJson(const MiningScores& s) {
  const std::string k = absl::StrCat("top", s.top_drafts, "_");
  const std::string l = absl::StrCat("top", s.top_labels, "_");
  OrderedJson j = OrderedJson::object();
  j["nmi"] = s.nmi;
  j["ari"] = s.ari;
  j[k + "purity"] = s.top_purity;
  j[k + "duplicate_rate"] = s.top_duplicate_rate;
  j[l + "coverage"] = s.top_coverage;
  j["top_drafts"] = s.top_drafts;
  j["top_labels"] = s.top_labels;
  j["labelled_messages"] = s.labelled_messages;
  j["clustered_messages"] = s.clustered_messages;
  j["labels"] = s.labels;
  j["clusters"] = s.clusters;
  j["drafts"] = s.drafts;
  j["top_drafts_used"] = s.top_drafts_used;
  j["top_drafts_labelled"] = s.top_drafts_labelled;
  j["top_labels_used"] = s.top_labels_used;
  j["top_labels_covered"] = s.top_labels_covered;
  return j.dump();
}

std::string MiningScoresToTable(const MiningScores& s) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"NMI", absl::StrFormat("%.4f", s.nmi)},
      {"ARI", absl::StrFormat("%.4f", s.ari)},
      {absl::StrCat("top-", s.top_drafts, " purity"), absl::StrFormat("%.4f", s.top_purity)},
      {absl::StrCat("top-", s.top_drafts, " duplicate rate"), absl::StrFormat("%.4f", s.top_duplicate_rate)},
      {absl::StrCat("top-", s.top_labels, " label coverage"),
       absl::StrFormat("%.4f (%d of %d)", s.top_coverage, s.top_labels_covered, s.top_labels_used)},
      {"labelled messages", absl::StrCat(s.labelled_messages)},
      {"  in a draft", absl::StrFormat("%d (%.1f%%)", s.clustered_messages,
                                       100.0 * s.clustered_messages / std::max<int64_t>(s.labelled_messages, 1))},
      {"gold labels", absl::StrCat(s.labels)},
      {"clusters (incl. singletons)", absl::StrCat(s.clusters)},
      {"drafts", absl::StrCat(s.drafts)},
      {"top drafts used", absl::StrFormat("%d (%d with labelled members)", s.top_drafts_used, s.top_drafts_labelled)},
  };
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  std::string out;
  for (const auto& [name, value] : rows) {
    absl::StrAppend(&out, name, std::string(width + 2 - name.size(), ' '), value, "\n");
  }
  return out;
}

}  // namespace zhiku
