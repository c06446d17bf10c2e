#include "index/snapshot.h"

#include <utility>

namespace zhiku {

std::shared_ptr<const IndexedEntry> MakeIndexedEntry(Entry entry, const TextNormalizer& normalizer) {
  auto indexed = std::make_shared<IndexedEntry>();
  indexed->entry = std::move(entry);
  const Entry& e = indexed->entry;
  indexed->normalized_phrasings.reserve(1 + e.variants.size());
  indexed->normalized_phrasings.push_back(normalizer.Normalize(e.question));
  for (const std::string& variant : e.variants) {
    indexed->normalized_phrasings.push_back(normalizer.Normalize(variant));
  }
  indexed->normalized_answer = normalizer.Normalize(e.answer);
  return indexed;
}

}  // namespace zhiku
