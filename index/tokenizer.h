// Tokenisation of normalised text (TextNormalizer::Normalize output) into the
// terms of the keyword index.
//
// Xapian 1.4.22's own CJK n-gram mode needs every n-gram of a query to match,
// which fails on paraphrases (怎么退货 vs 退货流程), so we generate the terms
// ourselves: every CJK character as a unigram and every pair of adjacent CJK
// characters as a bigram; runs of letters/digits as words, English words
// stemmed (Porter2 via Xapian::Stem). The bigrams 如何 and 怎样 ("how") are
// given the term 怎么, their common synonym. Queries OR these terms (see
// keyword_index.h), so any shared bigram or character scores.
#ifndef ZHIKU_INDEX_TOKENIZER_H_
#define ZHIKU_INDEX_TOKENIZER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace zhiku {

enum class TokenKind {
  kCjkUnigram,  // one Han / kana / hangul character
  kCjkBigram,   // two adjacent such characters
  kWord,        // a run of letters and digits (stemmed if alphabetic English)
};

struct Token {
  std::string term;  // the index term (the stem for English words)
  TokenKind kind = TokenKind::kWord;
  size_t begin = 0;  // byte range in the tokenised (normalised) text
  size_t end = 0;
  int position = 0;  // 0-based position of the unigram/word; a bigram has the
                     // position of its first character
};

// True for code points treated as CJK characters (Han incl. extensions and
// compatibility ideographs, Hiragana, Katakana, Hangul).
bool IsCjkCodePoint(char32_t c);

// Tokenises normalised text. Words are split at spaces, at CJK characters and
// at any code point that is neither a letter nor a digit (combining marks stay
// with the word they follow); a word mixing letters and digits (iphone15), or
// with letters outside a-z, stays whole and is not stemmed. Words longer than
// 64 bytes are skipped but still take a position. Invalid UTF-8 bytes separate
// like spaces. Tokens are ordered by position; at equal positions a unigram
// comes before the bigram it starts. Thread-safe.
std::vector<Token> Tokenize(absl::string_view normalized);

// The English stem of a lower-case word (Porter2). Thread-safe.
std::string StemWord(absl::string_view word);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_TOKENIZER_H_
