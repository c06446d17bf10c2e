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

absl::StatusOr<std::shared_ptr<const VectorLeg>> VectorLeg::Build(
    VectorSource source, std::shared_ptr<const Embedder> embedder, int dim, const Snapshot& snapshot,
    const VectorIndexBuildOptions& options) {
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
  leg->base_labels_ = std::move(labels);
  leg->tombstones_ = std::make_shared<absl::flat_hash_set<std::string>>();
  leg->delta_labels_ = std::make_shared<LabelMap>();
  leg->delta_by_entry_ = std::make_shared<absl::flat_hash_map<std::string, std::vector<int64_t>>>();
  return std::shared_ptr<const VectorLeg>(std::move(leg));
}

absl::StatusOr<std::shared_ptr<const VectorLeg>> VectorLeg::WithChanges(
    const std::vector<std::string>& changed_ids, const Snapshot& snapshot) const {
  auto next = std::shared_ptr<VectorLeg>(new VectorLeg(*this));
  auto tombstones = std::make_shared<absl::flat_hash_set<std::string>>(*tombstones_);
  auto delta_labels = std::make_shared<LabelMap>(*delta_labels_);
  auto by_entry = std::make_shared<absl::flat_hash_map<std::string, std::vector<int64_t>>>(*delta_by_entry_);
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
  absl::flat_hash_map<std::string, size_t> position;
  auto consider = [&](const Label& label, float score) {
    auto [it, inserted] = position.try_emplace(label.entry_id, out.size());
    if (inserted) {
      if (!accept(label.entry_id)) {
        it->second = static_cast<size_t>(-1);
        return;
      }
      out.push_back({label.entry_id, score, label.phrasing});
    } else if (it->second != static_cast<size_t>(-1) && score > out[it->second].score) {
      out[it->second].score = score;
      out[it->second].phrasing = label.phrasing;
    }
  };
  // Entries with many phrasings crowd the nearest vectors: fetch more until
  // `limit` accepted entries are found or everything was seen.
  const size_t total = base_->size() + delta_size();
  size_t k = std::min<size_t>(total, std::max<size_t>(200, static_cast<size_t>(limit) * 30));
  while (true) {
    out.clear();
    position.clear();
    if (delta_ != nullptr && delta_->size() > 0) {
      ZHIKU_ASSIGN_OR_RETURN(std::vector<VectorHit> hits,
                             delta_->Search(query.data(), static_cast<int>(std::min(k, delta_->size()))));
      for (const VectorHit& hit : hits) {
        if (auto it = delta_labels_->find(hit.label); it != delta_labels_->end()) consider(it->second, hit.score);
      }
    }
    size_t base_hits = 0;
    if (base_->size() > 0) {
      ZHIKU_ASSIGN_OR_RETURN(std::vector<VectorHit> hits,
                             base_->Search(query.data(), static_cast<int>(std::min(k, base_->size()))));
      base_hits = hits.size();
      for (const VectorHit& hit : hits) {
        if (hit.label < 0 || static_cast<size_t>(hit.label) >= base_labels_->size()) continue;
        const Label& label = (*base_labels_)[hit.label];
        if (tombstones_->contains(label.entry_id)) continue;
        consider(label, hit.score);
      }
    }
    // An approximate base may return fewer than k even when it holds more.
    const bool exhausted = k >= total || (base_hits < std::min(k, base_->size()));
    if (static_cast<int>(out.size()) >= limit || exhausted) break;
    k = std::min(total, k * 4);
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
                                                                     std::shared_ptr<const Embedder> embedder) {
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
  leg->base_labels_ = std::move(labels);
  leg->tombstones_ = std::make_shared<absl::flat_hash_set<std::string>>();
  leg->delta_labels_ = std::make_shared<LabelMap>();
  leg->delta_by_entry_ = std::make_shared<absl::flat_hash_map<std::string, std::vector<int64_t>>>();
  return std::shared_ptr<const VectorLeg>(std::move(leg));
}

}  // namespace zhiku
