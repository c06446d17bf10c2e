#include "index/vector_leg.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "index/status_macros.h"

namespace zhiku {

bool NormalizeVector(std::vector<float>& v) {
  double norm2 = 0;
  for (float x : v) norm2 += double(x) * x;
  const double norm = std::sqrt(norm2);
  if (!(norm > 0) || !std::isfinite(norm)) return false;
  for (float& x : v) x = static_cast<float>(x / norm);
  return true;
}

absl::Status VectorLeg::AppendEntryVectors(const IndexedEntry& indexed, std::vector<float>& vectors,
                                           std::vector<Label>& labels) const {
  const Entry& entry = indexed.entry;
  if (source_ == VectorSource::kEntry) {
    const bool entry_wide = entry.vectors.size() == 1 && indexed.phrasing_count() != 1;
    for (size_t i = 0; i < entry.vectors.size(); ++i) {
      std::vector<float> v = entry.vectors[i];
      if (static_cast<int>(v.size()) != dim_) {
        return absl::InvalidArgumentError(absl::StrCat("entry ", entry.id, " has a vector of dimension ",
                                                       v.size(), "; this knowledge base's vectors have ", dim_));
      }
      if (!NormalizeVector(v)) continue;
      vectors.insert(vectors.end(), v.begin(), v.end());
      labels.push_back({entry.id, entry_wide ? -1 : static_cast<int>(i)});
    }
    return absl::OkStatus();
  }
  std::vector<float> v(dim_);
  for (size_t i = 0; i < indexed.normalized_phrasings.size(); ++i) {
    ZHIKU_RETURN_IF_ERROR(embedder_->Embed(indexed.normalized_phrasings[i], v.data()));
    if (std::all_of(v.begin(), v.end(), [](float x) { return x == 0.0f; })) continue;
    vectors.insert(vectors.end(), v.begin(), v.end());
    labels.push_back({entry.id, static_cast<int>(i)});
  }
  return absl::OkStatus();
}

absl::Status VectorLeg::BuildCentroids(const VectorIndexBuildOptions& options) {
  auto ids = std::make_shared<std::vector<std::string>>();
  std::vector<float> centroids;
  std::vector<float> v(dim_), sum(dim_);
  for (const auto& [id, labels] : *base_entry_labels_) {
    std::fill(sum.begin(), sum.end(), 0.0f);
    for (int64_t label : labels) {
      ZHIKU_RETURN_IF_ERROR(base_->Reconstruct(label, v.data()));
      for (int i = 0; i < dim_; ++i) sum[i] += v[i];
    }
    if (!NormalizeVector(sum)) continue;
    ids->push_back(id);
    centroids.insert(centroids.end(), sum.begin(), sum.end());
  }
  std::vector<int64_t> labels(ids->size());
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int64_t>(i);
  ZHIKU_ASSIGN_OR_RETURN(std::unique_ptr<VectorIndex> index,
                         VectorIndex::Build(centroids.data(), labels.data(), labels.size(), dim_, options));
  centroids_ = std::move(index);
  centroid_ids_ = std::move(ids);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const VectorLeg>> VectorLeg::Build(
    VectorSource source, std::shared_ptr<const Embedder> embedder, int dim, const Snapshot& snapshot,
    const VectorIndexBuildOptions& options, const VectorLegOptions& leg_options) {
  if ((source == VectorSource::kEmbedder) != (embedder != nullptr)) {
    return absl::InvalidArgumentError("an embedder is needed exactly for VectorSource::kEmbedder");
  }
  if (embedder != nullptr) dim = embedder->dim();
  if (dim < 1) return absl::InvalidArgumentError(absl::StrCat("vector dimension is ", dim));
  auto leg = std::shared_ptr<VectorLeg>(new VectorLeg());
  leg->source_ = source;
  leg->dim_ = dim;
  leg->embedder_ = std::move(embedder);
  std::vector<float> vectors;
  auto labels = std::make_shared<std::vector<Label>>();
  for (const auto& [id, indexed] : snapshot.entries) {
    ZHIKU_RETURN_IF_ERROR(leg->AppendEntryVectors(*indexed, vectors, *labels));
  }
  std::vector<int64_t> ids(labels->size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
  ZHIKU_ASSIGN_OR_RETURN(std::unique_ptr<VectorIndex> base,
                         VectorIndex::Build(vectors.data(), ids.data(), ids.size(), dim, options));
  leg->base_ = std::move(base);
  leg->next_label_ = static_cast<int64_t>(labels->size());
  auto by_entry = std::make_shared<EntryLabels>();
  for (size_t i = 0; i < labels->size(); ++i) (*by_entry)[(*labels)[i].entry_id].push_back(static_cast<int64_t>(i));
  leg->base_entry_labels_ = std::move(by_entry);
  leg->base_labels_ = std::move(labels);
  leg->options_ = leg_options;
  ZHIKU_RETURN_IF_ERROR(leg->BuildCentroids(options));
  leg->tombstones_ = std::make_shared<absl::flat_hash_set<std::string>>();
  leg->delta_labels_ = std::make_shared<LabelMap>();
  leg->delta_by_entry_ = std::make_shared<EntryLabels>();
  return std::shared_ptr<const VectorLeg>(std::move(leg));
}

absl::StatusOr<std::shared_ptr<const VectorLeg>> VectorLeg::WithChanges(
    const std::vector<std::string>& changed_ids, const Snapshot& snapshot) const {
  auto next = std::shared_ptr<VectorLeg>(new VectorLeg(*this));
  auto tombstones = std::make_shared<absl::flat_hash_set<std::string>>(*tombstones_);
  auto delta_labels = std::make_shared<LabelMap>(*delta_labels_);
  auto by_entry = std::make_shared<EntryLabels>(*delta_by_entry_);
  std::unique_ptr<VectorIndex> delta;
  if (delta_ != nullptr) {
    ZHIKU_ASSIGN_OR_RETURN(delta, delta_->Clone());
  } else {
    ZHIKU_ASSIGN_OR_RETURN(delta, VectorIndex::Create(dim_));
  }
  std::vector<float> vectors;
  std::vector<Label> labels;
  for (const std::string& id : changed_ids) {
    tombstones->insert(id);
    if (auto it = by_entry->find(id); it != by_entry->end()) {
      ZHIKU_RETURN_IF_ERROR(delta->Remove(it->second));
      for (int64_t label : it->second) delta_labels->erase(label);
      by_entry->erase(it);
    }
    const IndexedEntry* indexed = snapshot.Find(id);
    if (indexed == nullptr) continue;
    labels.clear();
    vectors.clear();
    ZHIKU_RETURN_IF_ERROR(AppendEntryVectors(*indexed, vectors, labels));
    std::vector<int64_t> ids;
    for (Label& label : labels) {
      const int64_t id_label = next->next_label_++;
      ids.push_back(id_label);
      (*delta_labels)[id_label] = std::move(label);
    }
    ZHIKU_RETURN_IF_ERROR(delta->Add(vectors.data(), ids.data(), ids.size()));
    (*by_entry)[id] = std::move(ids);
  }
  next->tombstones_ = std::move(tombstones);
  next->delta_labels_ = std::move(delta_labels);
  next->delta_by_entry_ = std::move(by_entry);
  next->delta_ = std::move(delta);
  return std::shared_ptr<const VectorLeg>(std::move(next));
}

absl::StatusOr<std::vector<float>> VectorLeg::EmbedQuery(absl::string_view normalized) const {
  std::vector<float> v;
  if (embedder_ == nullptr) return v;
  v.resize(dim_);
  ZHIKU_RETURN_IF_ERROR(embedder_->Embed(normalized, v.data()));
  if (std::all_of(v.begin(), v.end(), [](float x) { return x == 0.0f; })) v.clear();
  return v;
}

absl::StatusOr<VectorLegHit> VectorLeg::ScoreEntry(const std::string& id, const float* query) const {
  VectorLegHit hit;
  hit.entry_id = id;
  const VectorIndex* index = nullptr;
  const std::vector<int64_t>* labels = nullptr;
  if (auto it = delta_by_entry_->find(id); it != delta_by_entry_->end()) {
    index = delta_.get();
    labels = &it->second;
  } else if (auto it = base_entry_labels_->find(id); it != base_entry_labels_->end() && !tombstones_->contains(id)) {
    index = base_.get();
    labels = &it->second;
  }
  if (index == nullptr || labels->empty()) return absl::NotFoundError(absl::StrCat("no vectors for entry ", id));
  std::vector<float> v(dim_), sum(dim_, 0.0f);
  std::vector<float> dots;
  dots.reserve(labels->size());
  float best = -2;
  for (int64_t label : *labels) {
    ZHIKU_RETURN_IF_ERROR(index->Reconstruct(label, v.data()));
    float dot = 0;
    for (int i = 0; i < dim_; ++i) {
      dot += v[i] * query[i];
      sum[i] += v[i];
    }
    dots.push_back(dot);
    if (dot > best) {
      best = dot;
      const Label& l = index == base_.get() ? (*base_labels_)[label] : delta_labels_->at(label);
      hit.phrasing = l.phrasing;
    }
  }
  if (options_.top_m > 1 && dots.size() > 1) {
    const size_t m = std::min<size_t>(options_.top_m, dots.size());
    std::partial_sort(dots.begin(), dots.begin() + m, dots.end(), std::greater<float>());
    float total = 0;
    for (size_t i = 0; i < m; ++i) total += dots[i];
    best = total / m;
  }
  float centroid = best;
  if (NormalizeVector(sum)) {
    centroid = 0;
    for (int i = 0; i < dim_; ++i) centroid += sum[i] * query[i];
  }
  hit.score = static_cast<float>((1 - options_.centroid_weight) * best + options_.centroid_weight * centroid);
  return hit;
}

absl::StatusOr<std::vector<VectorLegHit>> VectorLeg::Search(
    const std::vector<float>& query_in, int limit,
    const std::function<bool(const std::string& entry_id)>& accept) const {
  std::vector<VectorLegHit> out;
  if (limit < 1) return out;
  if (static_cast<int>(query_in.size()) != dim_) {
    return absl::InvalidArgumentError(absl::StrCat("query vector has ", query_in.size(),
                                                   " dimensions; this knowledge base's vectors have ", dim_));
  }
  std::vector<float> query = query_in;
  if (!NormalizeVector(query)) return out;
  // Gather candidate entries from the nearest phrasings and the nearest
  // centroids; fetch more while filters leave too few.
  absl::flat_hash_map<std::string, bool> seen;  // id -> accepted
  std::vector<std::string> candidates;
  auto consider = [&](const std::string& id) {
    auto [it, inserted] = seen.try_emplace(id, false);
    if (!inserted) return;
    it->second = accept(id);
    if (it->second) candidates.push_back(id);
  };
  const size_t entries = centroid_ids_->size() + delta_by_entry_->size();
  size_t k_phrasings = static_cast<size_t>(limit) * 4 + 20;
  size_t k_centroids = static_cast<size_t>(limit) * 2 + 10;
  for (int round = 0; round < 4; ++round) {
    if (delta_ != nullptr && delta_->size() > 0) {
      ZHIKU_ASSIGN_OR_RETURN(std::vector<VectorHit> hits,
                             delta_->Search(query.data(), static_cast<int>(std::min(k_phrasings, delta_->size()))));
      for (const VectorHit& hit : hits) {
        if (auto it = delta_labels_->find(hit.label); it != delta_labels_->end()) consider(it->second.entry_id);
      }
    }
    if (base_->size() > 0) {
      ZHIKU_ASSIGN_OR_RETURN(std::vector<VectorHit> hits,
                             base_->Search(query.data(), static_cast<int>(std::min(k_phrasings, base_->size()))));
      for (const VectorHit& hit : hits) {
        if (hit.label < 0 || static_cast<size_t>(hit.label) >= base_labels_->size()) continue;
        const std::string& id = (*base_labels_)[hit.label].entry_id;
        if (!tombstones_->contains(id)) consider(id);
      }
    }
    if (centroids_->size() > 0) {
      ZHIKU_ASSIGN_OR_RETURN(std::vector<VectorHit> hits, centroids_->Search(query.data(), static_cast<int>(std::min(
                                                                                    k_centroids, centroids_->size()))));
      for (const VectorHit& hit : hits) {
        const std::string& id = (*centroid_ids_)[hit.label];
        if (!tombstones_->contains(id)) consider(id);
      }
    }
    // Entries changed since the base have no centroid in the index: few, so
    // all of them are candidates.
    for (const auto& [id, labels] : *delta_by_entry_) consider(id);
    if (static_cast<int>(candidates.size()) >= limit || k_centroids >= entries) break;
    k_phrasings *= 4;
    k_centroids *= 4;
  }
  out.reserve(candidates.size());
  for (const std::string& id : candidates) {
    absl::StatusOr<VectorLegHit> hit = ScoreEntry(id, query.data());
    if (hit.ok()) out.push_back(*std::move(hit));
  }
  std::sort(out.begin(), out.end(), [](const VectorLegHit& a, const VectorLegHit& b) {
    return a.score != b.score ? a.score > b.score : a.entry_id < b.entry_id;
  });
  if (static_cast<int>(out.size()) > limit) out.resize(limit);
  return out;
}

size_t VectorLeg::base_size() const { return base_->size(); }
size_t VectorLeg::delta_size() const { return delta_ == nullptr ? 0 : delta_->size(); }
bool VectorLeg::base_exact() const { return base_->exact(); }

absl::Status VectorLeg::SaveBase(const std::string& dir) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  ZHIKU_RETURN_IF_ERROR(base_->Save(dir + "/base.faiss"));
  const std::string path = dir + "/labels.tsv";
  std::ofstream out(path + ".tmp", std::ios::binary | std::ios::trunc);
  out << "zhiku-vector-labels 1\t" << dim_ << "\t" << base_labels_->size() << "\n";
  for (const Label& label : *base_labels_) out << label.entry_id << '\t' << label.phrasing << '\n';
  out.close();
  if (!out) return absl::FailedPreconditionError(absl::StrCat("cannot write ", path, ".tmp"));
  std::filesystem::rename(path + ".tmp", path, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot rename ", path, ".tmp: ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const VectorLeg>> VectorLeg::LoadBase(const std::string& dir, VectorSource source,
                                                                     std::shared_ptr<const Embedder> embedder,
                                                                     const VectorLegOptions& leg_options) {
  ZHIKU_ASSIGN_OR_RETURN(std::unique_ptr<VectorIndex> base, VectorIndex::Load(dir + "/base.faiss"));
  const std::string path = dir + "/labels.tsv";
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("no vector labels at ", path));
  std::string line;
  std::getline(in, line);
  std::vector<absl::string_view> head = absl::StrSplit(line, '\t');
  int dim = 0;
  size_t count = 0;
  if (head.size() != 3 || head[0] != "zhiku-vector-labels 1" || !absl::SimpleAtoi(head[1], &dim) ||
      !absl::SimpleAtoi(head[2], &count) || dim != base->dim() || count != base->size()) {
    return absl::DataLossError(absl::StrCat(path, " does not match ", dir, "/base.faiss"));
  }
  if (embedder != nullptr && embedder->dim() != dim) {
    return absl::DataLossError(absl::StrCat(dir, " holds vectors of dimension ", dim, ", the model makes ",
                                            embedder->dim()));
  }
  auto labels = std::make_shared<std::vector<Label>>();
  labels->reserve(count);
  while (std::getline(in, line)) {
    const size_t tab = line.rfind('\t');
    int phrasing = 0;
    if (tab == std::string::npos || !absl::SimpleAtoi(absl::string_view(line).substr(tab + 1), &phrasing)) {
      return absl::DataLossError(absl::StrCat(path, ": malformed line ", labels->size() + 2));
    }
    labels->push_back({line.substr(0, tab), phrasing});
  }
  if (labels->size() != count) return absl::DataLossError(absl::StrCat(path, " is truncated"));
  auto leg = std::shared_ptr<VectorLeg>(new VectorLeg());
  leg->source_ = source;
  leg->dim_ = dim;
  leg->embedder_ = std::move(embedder);
  leg->base_ = std::move(base);
  leg->next_label_ = static_cast<int64_t>(count);
  auto by_entry = std::make_shared<EntryLabels>();
  for (size_t i = 0; i < labels->size(); ++i) (*by_entry)[(*labels)[i].entry_id].push_back(static_cast<int64_t>(i));
  leg->base_entry_labels_ = std::move(by_entry);
  leg->base_labels_ = std::move(labels);
  leg->options_ = leg_options;
  // Centroids are cheap to derive from the base: not stored.
  ZHIKU_RETURN_IF_ERROR(leg->BuildCentroids({}));
  leg->tombstones_ = std::make_shared<absl::flat_hash_set<std::string>>();
  leg->delta_labels_ = std::make_shared<LabelMap>();
  leg->delta_by_entry_ = std::make_shared<EntryLabels>();
  return std::shared_ptr<const VectorLeg>(std::move(leg));
}

}  // namespace zhiku
