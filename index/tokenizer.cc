#include "index/tokenizer.h"

#include <utf8proc.h>
#include <xapian.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace zhiku {
namespace {

// Interchangeable ways of asking "how" fold to one term, so 如何退货 and
// 怎样退货 match a question written 怎么退货. Bigram for bigram, so token
// offsets (and highlighting) are unaffected. Normalised (Simplified) forms.
absl::string_view CanonicalBigram(absl::string_view bigram) {
  if (bigram == "如何" || bigram == "怎样") return "怎么";
  return bigram;
}

constexpr size_t kMaxWordBytes = 64;

enum class CharKind : uint8_t {
  kSeparator,
  kCjk,
  kWord,  // letter or digit
  kMark,  // combining mark: continues a word, separates otherwise
};

bool IsAsciiAlpha(int32_t c) { return c >= 'a' && c <= 'z'; }

CharKind KindOf(int32_t c) {
  if (c < 0x80) {
    return (c >= '0' && c <= '9') || IsAsciiAlpha(c) || (c >= 'A' && c <= 'Z')
               ? CharKind::kWord
               : CharKind::kSeparator;
  }
  if (IsCjkCodePoint(static_cast<char32_t>(c))) return CharKind::kCjk;
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return CharKind::kWord;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
      return CharKind::kMark;
    default:
      return CharKind::kSeparator;
  }
}

class TokenizerState {
 public:
  explicit TokenizerState(absl::string_view text) : text_(text) {}

  std::vector<Token> Run() {
    size_t pos = 0;
    while (pos < text_.size()) {
      int32_t c = static_cast<unsigned char>(text_[pos]);
      size_t len = 1;
      if (c >= 0x80) {
        const utf8proc_ssize_t decoded = utf8proc_iterate(
            reinterpret_cast<const uint8_t*>(text_.data()) + pos,
            static_cast<utf8proc_ssize_t>(text_.size() - pos), &c);
        if (decoded > 0) {
          len = static_cast<size_t>(decoded);
        } else {
          c = -1;  // an invalid byte separates
        }
      }
      const CharKind kind = c < 0 ? CharKind::kSeparator : KindOf(c);
      switch (kind) {
        case CharKind::kCjk:
          EndWord(pos);
          AddCjk(pos, pos + len);
          break;
        case CharKind::kWord:
          in_cjk_run_ = false;
          if (word_begin_ == kNone) {
            word_begin_ = pos;
            word_is_ascii_alpha_ = true;
          }
          word_is_ascii_alpha_ = word_is_ascii_alpha_ && IsAsciiAlpha(c);
          break;
        case CharKind::kMark:
          in_cjk_run_ = false;
          word_is_ascii_alpha_ = false;
          break;
        case CharKind::kSeparator:
          EndWord(pos);
          in_cjk_run_ = false;
          break;
      }
      pos += len;
    }
    EndWord(text_.size());
    return std::move(tokens_);
  }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  // Tokens come out ordered by position: the bigram of the previous and this
  // character (at the previous character's position) before this unigram.
  void AddCjk(size_t begin, size_t end) {
    if (in_cjk_run_) {
      const absl::string_view bigram = text_.substr(previous_cjk_begin_, end - previous_cjk_begin_);
      tokens_.push_back({std::string(CanonicalBigram(bigram)), TokenKind::kCjkBigram, previous_cjk_begin_,
                         end, position_ - 1});
    }
    tokens_.push_back({std::string(text_.substr(begin, end - begin)), TokenKind::kCjkUnigram,
                       begin, end, position_});
    ++position_;
    in_cjk_run_ = true;
    previous_cjk_begin_ = begin;
  }

  void EndWord(size_t end) {
    if (word_begin_ == kNone) return;
    const absl::string_view word = text_.substr(word_begin_, end - word_begin_);
    if (word.size() <= kMaxWordBytes) {
      tokens_.push_back({word_is_ascii_alpha_ ? StemWord(word) : std::string(word),
                         TokenKind::kWord, word_begin_, end, position_});
    }
    ++position_;
    word_begin_ = kNone;
  }

  const absl::string_view text_;
  std::vector<Token> tokens_;
  int position_ = 0;
  size_t word_begin_ = kNone;
  bool word_is_ascii_alpha_ = true;
  bool in_cjk_run_ = false;
  size_t previous_cjk_begin_ = 0;
};

}  // namespace

bool IsCjkCodePoint(char32_t c) {
  if (c < 0x1100) return false;
  return (c >= 0x4E00 && c <= 0x9FFF) ||    // CJK Unified Ideographs
         (c >= 0x3400 && c <= 0x4DBF) ||    // Extension A
         (c >= 0x20000 && c <= 0x2FA1F) ||  // Extensions B-F, compatibility supplement
         (c >= 0x30000 && c <= 0x323AF) ||  // Extensions G-H
         (c >= 0xF900 && c <= 0xFAFF) ||    // Compatibility Ideographs
         (c >= 0x3005 && c <= 0x3007) ||    // 々 〆 〇
         (c >= 0x3021 && c <= 0x3029) ||    // Hangzhou numerals
         (c >= 0x3041 && c <= 0x3096) ||    // Hiragana
         (c >= 0x309D && c <= 0x309F) ||    // Hiragana iteration marks, ゟ
         (c >= 0x30A1 && c <= 0x30FA) ||    // Katakana (without ゠ and ・)
         (c >= 0x30FC && c <= 0x30FF) ||    // ー, iteration marks, ヿ
         (c >= 0x31F0 && c <= 0x31FF) ||    // Katakana Phonetic Extensions
         (c >= 0xFF66 && c <= 0xFF9F) ||    // Halfwidth Katakana
         (c >= 0x1B000 && c <= 0x1B16F) ||  // Kana Supplement, Extended-A, Small Kana
         (c >= 0xAC00 && c <= 0xD7A3) ||    // Hangul Syllables
         (c >= 0x1100 && c <= 0x11FF) ||    // Hangul Jamo
         (c >= 0x3131 && c <= 0x318E) ||    // Hangul Compatibility Jamo
         (c >= 0xA960 && c <= 0xA97C) ||    // Hangul Jamo Extended-A
         (c >= 0xD7B0 && c <= 0xD7FB) ||    // Hangul Jamo Extended-B
         (c >= 0xFFA0 && c <= 0xFFDC);      // Halfwidth Hangul
}

std::vector<Token> Tokenize(absl::string_view normalized) {
  return TokenizerState(normalized).Run();
}

std::string StemWord(absl::string_view word) {
  // Xapian::Stem shares its implementation through a non-atomic reference
  // count, so each thread keeps its own. Constructing it for "english" and
  // stemming cannot throw.
  thread_local const Xapian::Stem stemmer("english");
  return stemmer(std::string(word));
}

}  // namespace zhiku
