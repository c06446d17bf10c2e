// The FAISS vector index: the only file pair that talks to FAISS. FAISS
// exceptions never leave vector_index.cc.
//
// Inner-product search over vectors of one fixed dimension, each with an
// int64 label the caller maps to an entry phrasing. Two kinds, both inside a
// faiss::IndexIDMap2 that maps FAISS positions to labels:
//  - exact (faiss::IndexFlatIP): Create(), or Build() while small; supports
//    Add and Remove;
//  - inverted file (faiss::IndexIVFFlat, k-means cells, `nprobe` cells
//    scanned per query): Build() above VectorIndexBuildOptions::exact_max.
//    Approximate, builds in seconds even at 500k vectors (HNSW would take
//    minutes, FACTS.md), and is never mutated after Build (Remove returns
//    FailedPrecondition): the owner layers a small exact delta index and
//    tombstones over it and rebuilds it from scratch to compact. Callers L2-normalise vectors, so the score is
// the cosine similarity, in [-1, 1], higher is better.
//
// Thread safety: const methods (Search, size, dim, Save, Clone) may run
// concurrently with each other. Add and Remove must not run concurrently with
// anything else on the same object: the owner mutates a private Clone() and
// publishes it as an immutable snapshot (shared_ptr<const VectorIndex>).
#ifndef ZHIKU_INDEX_VECTOR_INDEX_H_
#define ZHIKU_INDEX_VECTOR_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace faiss {
struct Index;
template <typename IndexT>
struct IndexIDMap2Template;
}  // namespace faiss

namespace zhiku {

struct VectorHit {
  int64_t label = 0;
  float score = 0;  // inner product with the query
};

struct VectorIndexBuildOptions {
  // Up to this many vectors Build() makes an exact index.
  size_t exact_max = 50000;
  // Inverted-file cells: ivf_cells_per_sqrt x sqrt(n), within [16, 65536].
  double ivf_cells_per_sqrt = 4;
  // Cells scanned per query.
  int nprobe = 16;
  // k-means trains on at most this many vectors (a deterministic sample).
  size_t ivf_train_max = 100000;
};

class VectorIndex {
 public:
  // An empty exact index of vectors of dimension `dim`. InvalidArgument if
  // dim < 1.
  static absl::StatusOr<std::unique_ptr<VectorIndex>> Create(int dim);

  // An index holding n vectors (`vectors` has size n * dim, row i labelled
  // labels[i]; labels as for Add), exact if n <= options.exact_max and an
  // inverted file otherwise. InvalidArgument for dim < 1 or bad labels.
  // Blocks for the k-means training (seconds at 500k vectors).
  static absl::StatusOr<std::unique_ptr<VectorIndex>> Build(const float* vectors,
                                                            const int64_t* labels, size_t n,
                                                            int dim,
                                                            const VectorIndexBuildOptions& options = {});

  // Reads an index written by Save. NotFound if `path` does not exist;
  // DataLoss if it is unreadable, corrupt, or not a VectorIndex file (callers
  // rebuild: the index is derived data).
  static absl::StatusOr<std::unique_ptr<VectorIndex>> Load(const std::string& path);

  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  int dim() const { return dim_; }
  // True for the exact kind (Remove supported), false for an inverted file.
  bool exact() const;
  // Number of vectors.
  size_t size() const;

  // ---- Writers. Not thread-safe (see the top of this file).
  // Adds n vectors: `vectors` has size n * dim() (row i is the vector of
  // labels[i]), `labels` has size n. Labels must be >= 0 (FAISS uses -1 for
  // "no result"), distinct, and not already in the index: otherwise
  // InvalidArgument and nothing is added. The arrays are copied.
  absl::Status Add(const float* vectors, const int64_t* labels, size_t n);
  // Same, with the shapes checked: InvalidArgument unless
  // vectors.size() == labels.size() * dim().
  absl::Status Add(std::span<const float> vectors, std::span<const int64_t> labels);
  // Removes the vectors with these labels; labels not in the index are
  // ignored. FailedPrecondition on an inverted-file index.
  absl::Status Remove(const std::vector<int64_t>& labels);

  // ---- Readers. Thread-safe.
  // The min(k, size()) vectors with the highest inner product with `query`
  // (size dim()), best first; ties in any order. Never pads: the result may
  // be shorter than k and holds no -1 labels. InvalidArgument if k < 1.
  absl::StatusOr<std::vector<VectorHit>> Search(const float* query, int k) const;
  // Same, with InvalidArgument unless query.size() == dim().
  absl::StatusOr<std::vector<VectorHit>> Search(std::span<const float> query, int k) const;

  // Copies the vector of `label` to out[0 .. dim() - 1]. NotFound if the
  // index has no such label. Thread-safe.
  absl::Status Reconstruct(int64_t label, float* out) const;

  // Writes the index to path + ".tmp", then renames it to `path`, so readers
  // of `path` see the old or the new file, never half of one (not fsynced:
  // after a crash the caller may have to rebuild). Internal on failure.
  absl::Status Save(const std::string& path) const;

  // A deep copy, for copy-on-write updates.
  absl::StatusOr<std::unique_ptr<VectorIndex>> Clone() const;

 private:
  using IdMap = faiss::IndexIDMap2Template<faiss::Index>;
  VectorIndex(std::unique_ptr<IdMap> index, int dim);

  // Owns its inner IndexFlatIP (own_fields = true).
  std::unique_ptr<IdMap> index_;
  int dim_;
};

}  // namespace zhiku

#endif  // ZHIKU_INDEX_VECTOR_INDEX_H_
