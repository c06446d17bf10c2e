// The immutable in-memory view of the knowledge base that readers use.
//
// Writers build a new Snapshot (sharing unchanged entries) and publish it by
// swapping a std::shared_ptr<const Snapshot>; readers hold the pointer for the
// duration of a request and never take a lock on the data.
#ifndef ZHIKU_INDEX_SNAPSHOT_H_
#define ZHIKU_INDEX_SNAPSHOT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "index/entry.h"
#include "index/text_normalizer.h"

namespace zhiku {

class VectorLeg;
struct AnswerCalibration;

// An entry with the index forms of its phrasings, computed once when the
// entry changes.
struct IndexedEntry {
  Entry entry;
  // Normalize() of the question (index 0) and of each variant (1..n).
  std::vector<std::string> normalized_phrasings;
  // Normalize() of the answer (indexed as the low-weight answer document).
  std::string normalized_answer;

  // The display text of phrasing `i` (0 = question, i = variants[i - 1]).
  const std::string& phrasing(size_t i) const {
    return i == 0 ? entry.question : entry.variants[i - 1];
  }
  size_t phrasing_count() const { return 1 + entry.variants.size(); }
};

// Builds the IndexedEntry of `entry`.
std::shared_ptr<const IndexedEntry> MakeIndexedEntry(Entry entry, const TextNormalizer& normalizer);

// Every normalised phrasing of a snapshot in one contiguous buffer, so that
// as-you-type suggestions scan a few megabytes sequentially instead of
// chasing 100k separately allocated strings.
struct PhrasingTable {
  struct Row {
    size_t begin = 0;  // byte range of the phrasing in `text`
    size_t end = 0;
    std::shared_ptr<const IndexedEntry> entry;
    int phrasing = 0;  // 0 question, i variant i - 1
  };
  std::string text;       // phrasings joined by '\n' (Normalize never emits one)
  std::vector<Row> rows;  // in text order

  // The row whose range holds byte `pos` of `text`; nullptr for a separator.
  const Row* RowAt(size_t pos) const;
};

// Builds the table of `entries` (in map order).
// The distinct non-empty locales of `entries`, sorted.
std::vector<std::string> DistinctLocales(
    const absl::btree_map<std::string, std::shared_ptr<const IndexedEntry>>& entries);

std::shared_ptr<const PhrasingTable> BuildPhrasingTable(
    const absl::btree_map<std::string, std::shared_ptr<const IndexedEntry>>& entries);

struct Snapshot {
  int64_t seq = 0;  // the store change-log seq this snapshot reflects
  absl::btree_map<std::string, std::shared_ptr<const IndexedEntry>> entries;  // by id
  // Built from `entries` by whoever publishes the snapshot, after the last
  // change to `entries`; when null, Suggest builds one for the call.
  std::shared_ptr<const PhrasingTable> phrasings;
  // The distinct entry locales, sorted (DistinctLocales), set with `phrasings`.
  std::vector<std::string> locales;
  // The vector leg reflecting `entries` (null until a model is trained, or
  // when there is nothing to embed), the version of the embedding model that
  // built it (0 = none), and why it is missing when it is.
  std::shared_ptr<const VectorLeg> vectors;
  int64_t model_version = 0;
  int64_t vectors_seq = 0;  // the store seq the model and vector base were built at
  int64_t vectors_corpus_version = 0;  // the corpus version the model learned from
  int64_t vectors_pseudo_labels = 0;   // corpus texts it learned from
  std::string vector_note;
  // The entries' own vectors (Entry::vectors): how many entries have them
  // and their dimension (0 when none), as KnowledgeBase maintains them on
  // every change; snapshots built elsewhere leave both 0. They let a
  // request's query vector be checked before the vector leg is built.
  int64_t own_vector_entries = 0;
  int own_vector_dim = 0;
  // How Answer turns retrieval into a confidence; null = not calibrated yet.
  std::shared_ptr<const AnswerCalibration> calibration;

  // Counts `entry` into own_vector_entries/own_vector_dim (removed = false)
  // or out of them (removed = true).
  void CountOwnVectors(const Entry& entry, bool removed) {
    if (entry.vectors.empty()) return;
    if (removed) {
      if (--own_vector_entries == 0) own_vector_dim = 0;
      return;
    }
    if (own_vector_entries++ == 0) own_vector_dim = static_cast<int>(entry.vectors[0].size());
  }

  // nullptr if absent.
  const IndexedEntry* Find(const std::string& id) const {
    auto it = entries.find(id);
    return it == entries.end() ? nullptr : it->second.get();
  }
};

}  // namespace zhiku

#endif  // ZHIKU_INDEX_SNAPSHOT_H_
