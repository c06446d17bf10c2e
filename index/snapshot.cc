#include "index/snapshot.h"

#include <algorithm>
#include <utility>

#include "absl/container/btree_set.h"

namespace zhiku {

std::vector<std::string> DistinctLocales(
    const absl::btree_map<std::string, std::shared_ptr<const IndexedEntry>>& entries) {
  absl::btree_set<std::string> locales;
  for (const auto& [id, e] : entries) {
    if (!e->entry.locale.empty()) locales.insert(e->entry.locale);
  }
  return std::vector<std::string>(locales.begin(), locales.end());
}

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

const PhrasingTable::Row* PhrasingTable::RowAt(size_t pos) const {
  auto it = std::upper_bound(rows.begin(), rows.end(), pos,
                             [](size_t p, const Row& row) { return p < row.begin; });
  if (it == rows.begin()) return nullptr;
  --it;
  return pos < it->end ? &*it : nullptr;
}

std::shared_ptr<const PhrasingTable> BuildPhrasingTable(
    const absl::btree_map<std::string, std::shared_ptr<const IndexedEntry>>& entries) {
  auto table = std::make_shared<PhrasingTable>();
  size_t bytes = 0, rows = 0;
  for (const auto& [id, indexed] : entries) {
    rows += indexed->normalized_phrasings.size();
    for (const std::string& text : indexed->normalized_phrasings) bytes += text.size() + 1;
  }
  table->text.reserve(bytes);
  table->rows.reserve(rows);
  for (const auto& [id, indexed] : entries) {
    const size_t count = std::min(indexed->normalized_phrasings.size(), indexed->phrasing_count());
    for (size_t i = 0; i < count; ++i) {
      const std::string& text = indexed->normalized_phrasings[i];
      PhrasingTable::Row row;
      row.begin = table->text.size();
      table->text += text;
      row.end = table->text.size();
      table->text.push_back('\n');
      row.entry = indexed;
      row.phrasing = static_cast<int>(i);
      table->rows.push_back(std::move(row));
    }
  }
  return table;
}

}  // namespace zhiku
