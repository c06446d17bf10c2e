// The vector leg of hybrid search: one embedding per phrasing (question and
// each variant) of every entry, searched by inner product and aggregated per
// entry by max (the entry's closest phrasing).
//
// A VectorLeg is immutable and published inside the Snapshot. It is three
// layers, so that a write is reflected within the indexer's next publish
// without rebuilding the large index:
//  - base: built once per embedding model from every entry (exact while
//    small, an inverted file when large; VectorIndex);
//  - tombstones: entry ids whose base vectors are stale (updated or deleted
//    since the base was built); their base hits are dropped;
//  - delta: a small exact index holding the current vectors of the entries
//    changed since the base was built, copied on write.
// WithChanges() returns the next leg sharing the base. When the delta grows
// past a threshold the owner builds a new base (compaction), which it also
// does after every retraining of the model.
//
// Besides its phrasings, every entry has a centroid: the normalised mean of
// its phrasing vectors, indexed the same way. A search gathers candidate
// entries from both the nearest phrasings and the nearest centroids, then
// scores each candidate exactly: (1 - centroid_weight) x its phrasing part
// (mean of its top_m phrasing cosines) + centroid_weight x its centroid's. The best phrasing sees the one
// closest way of asking; the centroid how the entry's phrasings lean as a
// whole, which for a model trained to separate entries is the more stable
// signal.
#ifndef ZHIKU_INDEX_VECTOR_LEG_H_
#define ZHIKU_INDEX_VECTOR_LEG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/embedder.h"
#include "index/snapshot.h"
#include "index/vector_index.h"

namespace zhiku {

// Where a phrasing's vector comes from.
enum class VectorSource {
  kEmbedder,  // the knowledge base's embedding model embeds each phrasing
  kEntry,     // the entries' own vectors (bring-your-own, Entry::vectors)
};

// How an entry's score is made from its vectors' cosines with the query.
struct VectorLegOptions {
  // The phrasing part is the mean of the entry's top_m phrasing cosines
  // (1 = its best phrasing only).
  int top_m = 3;
  // Weight of the entry's centroid against the phrasing part.
  double centroid_weight = 0;
};

struct VectorLegHit {
  std::string entry_id;
  float score = 0;    // inner product of the query with the best phrasing
  int phrasing = 0;   // 0 = question, i = variant i - 1; -1 = an entry-wide vector
};

class VectorLeg {
 public:
  // Builds the leg of every entry of `snapshot`. With kEmbedder, `embedder`
  // embeds each normalised phrasing (texts it knows nothing of are left out);
  // with kEntry, each entry's own vectors are used (entries without any are
  // left out) and `embedder` must be null. `dim` is the vector dimension
  // (embedder->dim() for kEmbedder). Vectors are L2-normalised.
  // InvalidArgument if an entry's vectors have another dimension.
  static absl::StatusOr<std::shared_ptr<const VectorLeg>> Build(
      VectorSource source, std::shared_ptr<const Embedder> embedder, int dim,
      const Snapshot& snapshot, const VectorIndexBuildOptions& options = {},
      const VectorLegOptions& leg_options = {});

  // The leg after `changed_ids` changed in `snapshot` (an id absent from it
  // was deleted): shares the base, copies the delta. Thread-compatible.
  absl::StatusOr<std::shared_ptr<const VectorLeg>> WithChanges(
      const std::vector<std::string>& changed_ids, const Snapshot& snapshot) const;

  // The embedding of normalised text, or an empty vector if the embedder
  // knows no term of it (kEmbedder only; kEntry legs always return empty).
  absl::StatusOr<std::vector<float>> EmbedQuery(absl::string_view normalized) const;

  // The `limit` entries closest to `query` (size dim(), need not be
  // normalised) among those `accept` returns true for, best first, one hit
  // per entry. Thread-safe.
  absl::StatusOr<std::vector<VectorLegHit>> Search(
      const std::vector<float>& query, int limit,
      const std::function<bool(const std::string& entry_id)>& accept) const;

  VectorSource source() const { return source_; }
  int dim() const { return dim_; }
  const Embedder* embedder() const { return embedder_.get(); }
  std::shared_ptr<const Embedder> shared_embedder() const { return embedder_; }
  size_t base_size() const;
  size_t delta_size() const;
  size_t tombstone_count() const { return tombstones_->size(); }
  bool base_exact() const;

  // Writes the base index and its labels into directory `dir` (created):
  // base.faiss and labels.tsv. Only meaningful with no delta (right after
  // Build). Internal/FailedPrecondition on I/O errors.
  absl::Status SaveBase(const std::string& dir) const;
  // Reads what SaveBase wrote and makes a leg with an empty delta; the
  // caller applies the changes since (WithChanges). NotFound if absent,
  // DataLoss if unreadable or inconsistent.
  static absl::StatusOr<std::shared_ptr<const VectorLeg>> LoadBase(
      const std::string& dir, VectorSource source, std::shared_ptr<const Embedder> embedder,
      const VectorLegOptions& leg_options = {});

 private:
  struct Label {
    std::string entry_id;
    int phrasing = 0;
  };
  using LabelMap = absl::flat_hash_map<int64_t, Label>;
  using EntryLabels = absl::flat_hash_map<std::string, std::vector<int64_t>>;
  VectorLeg() = default;

  // Appends the vectors of `entry` to vectors/labels.
  absl::Status AppendEntryVectors(const IndexedEntry& entry, std::vector<float>& vectors,
                                  std::vector<Label>& labels) const;
  // Builds the centroid index from base_ and base_entry_labels_.
  absl::Status BuildCentroids(const VectorIndexBuildOptions& options);
  // Exact score of entry `id` for `query`: best phrasing and centroid.
  absl::StatusOr<VectorLegHit> ScoreEntry(const std::string& id, const float* query) const;

  // Constant after construction.
  VectorSource source_ = VectorSource::kEmbedder;
  int dim_ = 0;
  std::shared_ptr<const Embedder> embedder_;
  std::shared_ptr<const VectorIndex> base_;          // labels 0 .. base_labels_->size() - 1
  std::shared_ptr<const std::vector<Label>> base_labels_;
  std::shared_ptr<const EntryLabels> base_entry_labels_;
  std::shared_ptr<const VectorIndex> centroids_;  // label i = centroid of centroid_ids_[i]
  std::shared_ptr<const std::vector<std::string>> centroid_ids_;
  VectorLegOptions options_;
  std::shared_ptr<const absl::flat_hash_set<std::string>> tombstones_;
  std::shared_ptr<const VectorIndex> delta_;         // may be null (empty)
  std::shared_ptr<const LabelMap> delta_labels_;
  std::shared_ptr<const EntryLabels> delta_by_entry_;
  int64_t next_label_ = 0;
};

// L2-normalises v in place; false (and v untouched) if its norm is 0 or not
// finite.
bool NormalizeVector(std::vector<float>& v);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_VECTOR_LEG_H_
