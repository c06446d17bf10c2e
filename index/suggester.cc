#include "index/suggester.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "index/tokenizer.h"

namespace zhiku {
namespace {

constexpr int kMaxSuggestions = 10;

enum MatchClass {
  kStartsWith = 0,
  kWordPrefix = 1,
  kContains = 2,  // CJK only: mid-run, where every character is its own word
  kNoMatch = 3,
};

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The code point starting at byte `pos` of valid UTF-8 `s` (what Normalize
// returns); U+FFFD for a truncated sequence.
char32_t DecodeAt(absl::string_view s, size_t pos) {
  const auto byte = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(pos);
  size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  if (pos + len > s.size()) return 0xFFFD;
  if (len == 1) return lead;
  char32_t c = lead & (0xFF >> (len + 1));
  for (size_t i = 1; i < len; ++i) c = (c << 6) | (byte(pos + i) & 0x3F);
  return c;
}

size_t PreviousCodePointStart(absl::string_view s, size_t pos) {
  size_t i = pos - 1;
  while (i > 0 && IsContinuationByte(s[i])) --i;
  return i;
}

size_t CodePointCount(absl::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return !IsContinuationByte(c); }));
}

// The normalised prefix and what is known about its edges.
struct Needle {
  absl::string_view text;
  bool starts_cjk = false;
  bool ends_cjk = false;
  // The raw prefix ended with a space or punctuation: the last word is
  // complete and must match a whole word.
  bool last_word_complete = false;
};

// True if a match starting (at_start) or ending at byte `pos` of `text`, whose
// edge code point is CJK or not, lies at a word boundary: the text edge, a
// space, or a change between CJK and letters/digits (the tokenizer splits
// words there). Between two CJK characters is not counted as a boundary here:
// a match there is ranked as "contains".
bool IsWordBoundary(absl::string_view text, size_t pos, bool match_edge_is_cjk, bool at_start) {
  if (at_start ? pos == 0 : pos == text.size()) return true;
  const size_t neighbour = at_start ? PreviousCodePointStart(text, pos) : pos;
  if (text[neighbour] == ' ') return true;
  return IsCjkCodePoint(DecodeAt(text, neighbour)) != match_edge_is_cjk;
}

// The best match class of `needle` in the normalised phrasing `text`. Typed
// words other than the last must equal whole, consecutive words of the
// phrasing (a match must start at a word boundary and the typed spaces must
// match its spaces); the last typed word may be a word prefix. The match may
// start anywhere in the phrasing, not only at its first word.
MatchClass Classify(absl::string_view text, const Needle& needle) {
  MatchClass best = kNoMatch;
  for (size_t pos = text.find(needle.text); pos != absl::string_view::npos;
       pos = text.find(needle.text, pos + 1)) {
    if (needle.last_word_complete && !needle.ends_cjk &&
        !IsWordBoundary(text, pos + needle.text.size(), /*match_edge_is_cjk=*/false, /*at_start=*/false)) {
      continue;
    }
    if (pos == 0) return kStartsWith;
    if (IsWordBoundary(text, pos, needle.starts_cjk, /*at_start=*/true)) return kWordPrefix;
    if (needle.starts_cjk) best = kContains;  // CJK after CJK
  }
  return best;
}

struct Candidate {
  MatchClass match_class = kNoMatch;
  bool is_variant = false;
  size_t length = 0;  // code points of the normalised phrasing
  const IndexedEntry* entry = nullptr;
  int phrasing = 0;

  auto Key() const { return std::tie(match_class, is_variant, length, entry->entry.id, phrasing); }
  bool operator<(const Candidate& other) const { return Key() < other.Key(); }
};

// True if the last code point of the raw `prefix` normalises to nothing
// (space, punctuation, symbol or control character).
bool EndsWithSeparator(const TextNormalizer& normalizer, absl::string_view prefix) {
  if (prefix.empty()) return false;
  const size_t last = PreviousCodePointStart(prefix, prefix.size());
  return normalizer.Normalize(prefix.substr(last)).empty();
}

}  // namespace

std::vector<Suggestion> Suggest(const Snapshot& snapshot, const TextNormalizer& normalizer,
                                const SuggestQuery& query) {
  if (query.limit <= 0) return {};
  const size_t limit = static_cast<size_t>(std::min(query.limit, kMaxSuggestions));
  const std::string normalized = normalizer.Normalize(query.prefix);
  if (normalized.empty()) return {};

  Needle needle;
  needle.text = normalized;
  needle.starts_cjk = IsCjkCodePoint(DecodeAt(normalized, 0));
  needle.ends_cjk =
      IsCjkCodePoint(DecodeAt(normalized, PreviousCodePointStart(normalized, normalized.size())));
  needle.last_word_complete = EndsWithSeparator(normalizer, query.prefix);

  std::shared_ptr<const PhrasingTable> own_table;
  const PhrasingTable* table = snapshot.phrasings.get();
  if (table == nullptr) {
    own_table = BuildPhrasingTable(snapshot.entries);
    table = own_table.get();
  }
  // One pass over the flat text: each occurrence of the prefix names a
  // phrasing, which is classified once (Classify looks at all occurrences in
  // it), and the scan resumes after that phrasing.
  absl::flat_hash_map<const IndexedEntry*, Candidate> best_by_entry;
  absl::flat_hash_map<const IndexedEntry*, bool> passes_filters;
  const absl::string_view all = table->text;
  for (size_t pos = all.find(needle.text); pos != absl::string_view::npos; pos = all.find(needle.text, pos)) {
    const PhrasingTable::Row* row = table->RowAt(pos);
    if (row == nullptr) {  // cannot happen: the needle has no '\n'
      ++pos;
      continue;
    }
    pos = row->end;
    const IndexedEntry* entry = row->entry.get();
    if (!query.filters.empty()) {
      auto [it, inserted] = passes_filters.try_emplace(entry, false);
      if (inserted) it->second = Matches(query.filters, entry->entry);
      if (!it->second) continue;
    }
    const absl::string_view text = all.substr(row->begin, row->end - row->begin);
    const MatchClass match_class = Classify(text, needle);
    if (match_class == kNoMatch) continue;
    Candidate candidate{match_class, row->phrasing != 0, CodePointCount(text), entry, row->phrasing};
    auto [it, inserted] = best_by_entry.try_emplace(entry, candidate);
    if (!inserted && candidate < it->second) it->second = candidate;
  }
  std::vector<Candidate> best_per_entry;
  best_per_entry.reserve(best_by_entry.size());
  for (const auto& [entry, candidate] : best_by_entry) best_per_entry.push_back(candidate);

  const size_t n = std::min(limit, best_per_entry.size());
  std::partial_sort(best_per_entry.begin(), best_per_entry.begin() + static_cast<std::ptrdiff_t>(n),
                    best_per_entry.end());
  const bool traditional = normalizer.IsTraditional(query.prefix);
  std::vector<Suggestion> suggestions;
  suggestions.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const Candidate& c = best_per_entry[i];
    const std::string& display = c.entry->phrasing(static_cast<size_t>(c.phrasing));
    suggestions.push_back(
        Suggestion{c.entry->entry.id, traditional ? normalizer.ToTraditional(display) : display, c.phrasing});
  }
  return suggestions;
}

}  // namespace zhiku
