#include "index/highlighter.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace zhiku {
namespace {

constexpr absl::string_view kEllipsis = "…";

struct ByteRange {
  size_t begin = 0;
  size_t end = 0;
};

bool IsWanted(const Token& token, const HighlightTerms& terms) {
  if (token.kind == TokenKind::kCjkUnigram && !terms.highlight_cjk_unigrams) return false;
  return terms.terms.contains(token.term);
}

// The byte ranges of `display` to mark, sorted and merged.
std::vector<ByteRange> FindMarks(const TextNormalizer& normalizer, absl::string_view display,
                                 const HighlightTerms& terms) {
  std::vector<ByteRange> marks;
  if (terms.terms.empty() || display.empty()) return marks;

  const std::vector<NormalizedChar> chars = normalizer.NormalizeChars(display);
  std::string normalized;
  std::vector<uint32_t> owner;  // owner[i]: index in `chars` of normalized[i]
  normalized.reserve(display.size());
  owner.reserve(display.size());
  for (uint32_t i = 0; i < chars.size(); ++i) {
    normalized += chars[i].normalized;
    owner.insert(owner.end(), chars[i].normalized.size(), i);
  }

  for (const Token& token : Tokenize(normalized)) {
    if (!IsWanted(token, terms)) continue;
    const uint32_t first = owner[token.begin];
    uint32_t last = owner[token.end - 1];
    // Characters normalised away right after a match (combining marks folded
    // into it, zero-width characters) go with it, so that two matches
    // separated only by such characters merge.
    while (last + 1 < chars.size() && chars[last + 1].normalized.empty()) ++last;
    marks.push_back({chars[first].begin, chars[last].end});
  }

  std::sort(marks.begin(), marks.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.begin < b.begin; });
  std::vector<ByteRange> merged;
  for (const ByteRange& mark : marks) {
    if (!merged.empty() && mark.begin <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, mark.end);
    } else {
      merged.push_back(mark);
    }
  }
  return merged;
}

bool IsAsciiAlnum(char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

struct Window {
  ByteRange bytes;
  bool cut_before = false;
  bool cut_after = false;
};

// A window of `max_chars` code points: from the start if the first mark fits
// there, else centred on the first mark. Edges that cut an ASCII word move
// inwards to the word boundary (never past the first mark), and whitespace at
// a cut is dropped.
Window ChooseWindow(absl::string_view display, const std::vector<ByteRange>& marks,
                    size_t max_chars) {
  std::vector<size_t> starts;  // byte offset of each code point, then the end
  for (size_t i = 0; i < display.size(); ++i) {
    if ((static_cast<unsigned char>(display[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  const size_t n = starts.size();
  starts.push_back(display.size());
  if (n <= max_chars) return {{0, display.size()}, false, false};

  size_t first = 0;
  size_t first_mark_begin = display.size();
  size_t first_mark_end = 0;
  if (!marks.empty()) {
    first_mark_begin = marks.front().begin;
    first_mark_end = marks.front().end;
    const size_t mark_first = static_cast<size_t>(
        std::upper_bound(starts.begin(), starts.end(), first_mark_begin) - starts.begin() - 1);
    const size_t mark_end = static_cast<size_t>(
        std::lower_bound(starts.begin(), starts.end(), first_mark_end) - starts.begin());
    if (mark_end > max_chars) {
      const size_t length = std::min(mark_end - mark_first, max_chars);
      first = mark_first - std::min(mark_first, (max_chars - length) / 2);
    }
  }
  const size_t last = std::min(n, first + max_chars);
  first = last - max_chars;

  Window window{{starts[first], starts[last]}, first > 0, last < n};
  ByteRange& bytes = window.bytes;
  if (window.cut_before) {
    while (bytes.begin < first_mark_begin && bytes.begin > 0 &&
           IsAsciiAlnum(display[bytes.begin - 1]) && IsAsciiAlnum(display[bytes.begin])) {
      ++bytes.begin;
    }
    while (bytes.begin < first_mark_begin && display[bytes.begin] == ' ') ++bytes.begin;
  }
  if (window.cut_after) {
    const size_t keep = std::max(bytes.begin, std::min(first_mark_end, bytes.end));
    size_t end = bytes.end;
    while (end > keep && IsAsciiAlnum(display[end - 1]) && IsAsciiAlnum(display[end])) --end;
    // A window that is one long word keeps its cut instead of vanishing.
    if (end > bytes.begin) bytes.end = end;
    while (bytes.end > keep && display[bytes.end - 1] == ' ') --bytes.end;
  }
  return window;
}

}  // namespace

HighlightTerms HighlightTerms::FromQueryTokens(const std::vector<Token>& tokens) {
  HighlightTerms result;
  absl::flat_hash_set<int> in_bigram;  // positions of characters within bigrams
  for (const Token& token : tokens) {
    result.terms.insert(token.term);
    if (token.kind == TokenKind::kCjkBigram) {
      in_bigram.insert(token.position);
      in_bigram.insert(token.position + 1);
    }
  }
  for (const Token& token : tokens) {
    if (token.kind == TokenKind::kCjkUnigram && !in_bigram.contains(token.position)) {
      result.highlight_cjk_unigrams = true;
      break;
    }
  }
  return result;
}

std::string Highlight(const TextNormalizer& normalizer, absl::string_view display,
                      const HighlightTerms& terms, const HighlightOptions& options) {
  const std::vector<ByteRange> marks = FindMarks(normalizer, display, terms);
  Window window{{0, display.size()}, false, false};
  if (options.max_chars > 0) window = ChooseWindow(display, marks, options.max_chars);

  std::string out;
  out.reserve(window.bytes.end - window.bytes.begin +
              marks.size() * (options.pre_tag.size() + options.post_tag.size()) +
              2 * kEllipsis.size());
  if (window.cut_before) out.append(kEllipsis.data(), kEllipsis.size());
  size_t pos = window.bytes.begin;
  for (const ByteRange& mark : marks) {
    const size_t begin = std::max(mark.begin, window.bytes.begin);
    const size_t end = std::min(mark.end, window.bytes.end);
    if (begin >= end) continue;
    out.append(display.data() + pos, begin - pos);
    out += options.pre_tag;
    out.append(display.data() + begin, end - begin);
    out += options.post_tag;
    pos = end;
  }
  out.append(display.data() + pos, window.bytes.end - pos);
  if (window.cut_after) out.append(kEllipsis.data(), kEllipsis.size());
  return out;
}

bool HasHighlight(const TextNormalizer& normalizer, absl::string_view display,
                  const HighlightTerms& terms) {
  return !FindMarks(normalizer, display, terms).empty();
}

}  // namespace zhiku
