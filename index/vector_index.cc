#include "index/vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/clone_index.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_io.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "index/status_macros.h"

namespace zhiku {
namespace {

using faiss_idx_t = faiss::Index::idx_t;
static_assert(sizeof(faiss_idx_t) == sizeof(int64_t));

// Every call into FAISS goes through here: its exceptions stop in this file.
// Dimensions, labels and k are checked before calling FAISS, so an exception
// from a mutation or search is our bug (Internal); `code` overrides that where
// the input is a file.
template <typename F>
absl::Status CallFaiss(absl::string_view what, F&& f,
                       absl::StatusCode code = absl::StatusCode::kInternal) {
  try {
    f();
    return absl::OkStatus();
  } catch (const std::exception& e) {  // faiss::FaissException, std::bad_alloc, ...
    return absl::Status(code, absl::StrCat(what, ": ", e.what()));
  }
}

std::unique_ptr<faiss::IndexIDMap2> NewIdMap(int dim) {
  auto flat = std::make_unique<faiss::IndexFlatIP>(dim);
  auto map = std::make_unique<faiss::IndexIDMap2>(flat.get());
  // FAISS takes ownership through a flag rather than a smart pointer.
  map->own_fields = true;
  flat.release();
  return map;
}

// The inverted-file index (IndexIVFFlat over an inner-product quantizer)
// trained on an evenly spaced sample of `vectors`, empty.
std::unique_ptr<faiss::IndexIVFFlat> NewIvf(const float* vectors, size_t n, int dim,
                                            const VectorIndexBuildOptions& options) {
  const size_t cells = std::clamp<size_t>(
      static_cast<size_t>(options.ivf_cells_per_sqrt * std::sqrt(static_cast<double>(n))), 16, 65536);
  auto quantizer = std::make_unique<faiss::IndexFlatIP>(dim);
  auto ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer.get(), dim, cells,
                                                   faiss::METRIC_INNER_PRODUCT);
  ivf->own_fields = true;
  quantizer.release();
  const size_t sample = std::min(n, std::max(options.ivf_train_max, cells * 39));
  std::vector<float> train;
  const float* train_data = vectors;
  if (sample < n) {
    train.resize(sample * dim);
    for (size_t i = 0; i < sample; ++i) {
      const size_t row = i * n / sample;
      std::copy(vectors + row * dim, vectors + (row + 1) * dim, train.begin() + i * dim);
    }
    train_data = train.data();
  }
  ivf->cp.seed = 1234;
  ivf->train(static_cast<faiss_idx_t>(sample), train_data);
  ivf->nprobe = static_cast<size_t>(std::max(1, options.nprobe));
  return ivf;
}

}  // namespace

VectorIndex::VectorIndex(std::unique_ptr<IdMap> index, int dim)
    : index_(std::move(index)), dim_(dim) {}

VectorIndex::~VectorIndex() = default;

absl::StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Create(int dim) {
  if (dim < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("vector dimension is ", dim, "; it must be at least 1"));
  }
  std::unique_ptr<IdMap> map;
  absl::Status s = CallFaiss("creating vector index", [&] { map = NewIdMap(dim); });
  if (!s.ok()) return s;
  return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(map), dim));
}

absl::StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Build(const float* vectors,
                                                               const int64_t* labels, size_t n,
                                                               int dim,
                                                               const VectorIndexBuildOptions& options) {
  if (n <= options.exact_max || n < 64) {
    ZHIKU_ASSIGN_OR_RETURN(std::unique_ptr<VectorIndex> index, Create(dim));
    ZHIKU_RETURN_IF_ERROR(index->Add(vectors, labels, n));
    return index;
  }
  if (dim < 1) return absl::InvalidArgumentError(absl::StrCat("vector dimension is ", dim, "; it must be at least 1"));
  std::unique_ptr<IdMap> map;
  ZHIKU_RETURN_IF_ERROR(CallFaiss("building inverted-file vector index", [&] {
    auto ivf = NewIvf(vectors, n, dim, options);
    map = std::make_unique<IdMap>(ivf.get());
    map->own_fields = true;
    ivf.release();
  }));
  auto index = std::unique_ptr<VectorIndex>(new VectorIndex(std::move(map), dim));
  ZHIKU_RETURN_IF_ERROR(index->Add(vectors, labels, n));
  // Reconstruct() needs positions -> inverted-list entries.
  ZHIKU_RETURN_IF_ERROR(CallFaiss("mapping inverted-file vectors", [&] {
    static_cast<faiss::IndexIVF*>(index->index_->index)->make_direct_map(true);
  }));
  return index;
}

bool VectorIndex::exact() const {
  return dynamic_cast<const faiss::IndexFlatIP*>(index_->index) != nullptr;
}

size_t VectorIndex::size() const { return static_cast<size_t>(index_->ntotal); }

absl::Status VectorIndex::Add(const float* vectors, const int64_t* labels, size_t n) {
  if (n == 0) return absl::OkStatus();
  if (vectors == nullptr || labels == nullptr) {
    return absl::InvalidArgumentError("Add: vectors and labels must not be null when n > 0");
  }
  absl::flat_hash_set<int64_t> batch;
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t label = labels[i];
    if (label < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("vector label ", label, " is negative; labels must be >= 0"));
    }
    if (!batch.insert(label).second || index_->rev_map.count(label) > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "vector label ", label, " is already in use; Remove it before adding it again"));
    }
  }
  return CallFaiss("adding vectors", [&] {
    index_->add_with_ids(static_cast<faiss_idx_t>(n), vectors,
                         reinterpret_cast<const faiss_idx_t*>(labels));
  });
}

absl::Status VectorIndex::Add(std::span<const float> vectors, std::span<const int64_t> labels) {
  if (vectors.size() != labels.size() * static_cast<size_t>(dim_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Add: ", vectors.size(), " floats for ", labels.size(), " labels; expected ",
        labels.size(), " x dimension ", dim_, " = ", labels.size() * dim_));
  }
  return Add(vectors.data(), labels.data(), labels.size());
}

absl::Status VectorIndex::Remove(const std::vector<int64_t>& labels) {
  if (labels.empty()) return absl::OkStatus();
  if (!exact()) {
    return absl::FailedPreconditionError(
        "vectors cannot be removed from an inverted-file index; rebuild it instead");
  }
  return CallFaiss("removing vectors", [&] {
    faiss::IDSelectorBatch selector(labels.size(),
                                    reinterpret_cast<const faiss_idx_t*>(labels.data()));
    index_->remove_ids(selector);
  });
}

absl::StatusOr<std::vector<VectorHit>> VectorIndex::Search(const float* query, int k) const {
  if (k < 1) return absl::InvalidArgumentError(absl::StrCat("k is ", k, "; it must be at least 1"));
  if (query == nullptr) return absl::InvalidArgumentError("Search: query must not be null");
  // Asking for more than size() only makes FAISS allocate and pad.
  const faiss_idx_t kk = std::min<faiss_idx_t>(k, index_->ntotal);
  if (kk == 0) return std::vector<VectorHit>();
  std::vector<float> scores(kk);
  std::vector<faiss_idx_t> ids(kk);
  absl::Status s = CallFaiss("searching vectors", [&] {
    index_->search(1, query, kk, scores.data(), ids.data());
  });
  if (!s.ok()) return s;
  std::vector<VectorHit> hits;
  hits.reserve(kk);
  for (faiss_idx_t i = 0; i < kk; ++i) {
    if (ids[i] < 0) continue;  // FAISS pads short results with -1
    hits.push_back({ids[i], scores[i]});
  }
  return hits;
}

absl::StatusOr<std::vector<VectorHit>> VectorIndex::Search(std::span<const float> query,
                                                           int k) const {
  if (query.size() != static_cast<size_t>(dim_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query vector has ", query.size(), " dimensions; the index has ", dim_));
  }
  return Search(query.data(), k);
}

absl::Status VectorIndex::Reconstruct(int64_t label, float* out) const {
  if (index_->rev_map.count(label) == 0) {
    return absl::NotFoundError(absl::StrCat("no vector with label ", label));
  }
  return CallFaiss("reading a vector", [&] { index_->reconstruct(label, out); });
}

absl::Status VectorIndex::Save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  absl::Status s = CallFaiss(absl::StrCat("writing vector index ", tmp),
                             [&] { faiss::write_index(index_.get(), tmp.c_str()); });
  if (!s.ok()) {
    std::remove(tmp.c_str());
    return s;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return absl::InternalError(
        absl::StrCat("renaming ", tmp, " to ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Load(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return absl::NotFoundError(absl::StrCat("no vector index at ", path));
  }
  std::unique_ptr<faiss::Index> read;
  absl::Status s = CallFaiss(
      absl::StrCat("reading vector index ", path),
      [&] { read.reset(faiss::read_index(path.c_str())); }, absl::StatusCode::kDataLoss);
  if (!s.ok()) return s;
  // Only accept what Save writes: an IndexIDMap2 over an inner-product flat
  // or inverted-file index.
  auto* map = dynamic_cast<IdMap*>(read.get());
  const faiss::Index* inner = map == nullptr ? nullptr : map->index;
  const bool known = dynamic_cast<const faiss::IndexFlatIP*>(inner) != nullptr ||
                     dynamic_cast<const faiss::IndexIVFFlat*>(inner) != nullptr;
  if (!known || !map->own_fields || inner->metric_type != faiss::METRIC_INNER_PRODUCT ||
      map->d < 1) {
    return absl::DataLossError(absl::StrCat(path, " is a FAISS index but not a Zhiku vector index"));
  }
  read.release();
  const int dim = map->d;
  return std::unique_ptr<VectorIndex>(new VectorIndex(std::unique_ptr<IdMap>(map), dim));
}

absl::StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Clone() const {
  std::unique_ptr<IdMap> copy;
  if (!exact()) {
    absl::Status s = CallFaiss("copying vector index", [&] {
      copy.reset(dynamic_cast<IdMap*>(faiss::clone_index(index_.get())));
    });
    if (!s.ok()) return s;
    if (copy == nullptr) return absl::InternalError("copying vector index: unexpected index type");
    return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(copy), dim_));
  }
  absl::Status s = CallFaiss("copying vector index", [&] {
    copy = NewIdMap(dim_);
    const auto* flat = static_cast<const faiss::IndexFlatIP*>(index_->index);
    copy->add_with_ids(index_->ntotal, flat->get_xb(), index_->id_map.data());
  });
  if (!s.ok()) return s;
  return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(copy), dim_));
}

}  // namespace zhiku
