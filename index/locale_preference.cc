#include "index/locale_preference.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "index/tokenizer.h"

namespace zhiku {
namespace {

bool HasCjk(absl::string_view text) {
  for (const Token& t : Tokenize(text)) {
    if (t.kind != TokenKind::kWord) return true;
  }
  return false;
}

bool HasLatinLetter(absl::string_view text) {
  for (char c : text) {
    if (absl::ascii_isalpha(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

}  // namespace

LocaleFamily MessageLocaleFamily(absl::string_view raw, const TextNormalizer& normalizer) {
  if (HasCjk(normalizer.Normalize(raw))) {
    const bool traditional = normalizer.IsTraditional(raw);
    if (!traditional) return LocaleFamily::kSimplifiedChinese;
    // Characters Traditional writes differently too: mixed scripts, as
    // customers often type them; no preference.
    const bool simplified = normalizer.ToTraditional(raw) != raw;
    return simplified ? LocaleFamily::kUnknown : LocaleFamily::kTraditionalChinese;
  }
  return HasLatinLetter(raw) ? LocaleFamily::kEnglish : LocaleFamily::kUnknown;
}

LocaleFamily EntryLocaleFamily(absl::string_view locale) {
  const std::string l = absl::AsciiStrToLower(locale);
  if (l == "en" || absl::StartsWith(l, "en-") || absl::StartsWith(l, "en_")) return LocaleFamily::kEnglish;
  if (l == "zh-tw" || l == "zh-hk" || l == "zh-mo" || absl::StartsWith(l, "zh-hant")) {
    return LocaleFamily::kTraditionalChinese;
  }
  if (l == "zh" || l == "zh-cn" || l == "zh-sg" || absl::StartsWith(l, "zh-hans")) {
    return LocaleFamily::kSimplifiedChinese;
  }
  return LocaleFamily::kUnknown;
}

std::vector<std::string> PreferredLocales(absl::string_view raw, const TextNormalizer& normalizer,
                                          const std::vector<std::string>& kb_locales) {
  std::vector<std::string> same;
  bool other = false;
  const LocaleFamily family = MessageLocaleFamily(raw, normalizer);
  if (family == LocaleFamily::kUnknown) return same;
  for (const std::string& locale : kb_locales) {
    if (EntryLocaleFamily(locale) == family) {
      same.push_back(locale);
    } else {
      other = true;
    }
  }
  if (!other) same.clear();
  return same;
}

absl::StatusOr<RetrievalOutcome> RetrieveInMessageLanguage(const KeywordIndex& keyword, const Snapshot& snapshot,
                                                          RetrievalRequest request, absl::string_view raw,
                                                          const TextNormalizer& normalizer,
                                                          const std::vector<std::string>& kb_locales,
                                                          std::vector<std::string>* preferred) {
  if (preferred != nullptr) preferred->clear();
  if (request.filters.locales.empty()) {
    std::vector<std::string> locales = PreferredLocales(raw, normalizer, kb_locales);
    if (!locales.empty()) {
      RetrievalRequest restricted = request;
      restricted.filters.locales = locales;
      absl::StatusOr<RetrievalOutcome> outcome = Retrieve(keyword, snapshot, restricted);
      if (!outcome.ok() || !outcome->candidates.empty()) {
        if (outcome.ok() && preferred != nullptr) *preferred = std::move(locales);
        return outcome;
      }
      // Nothing in the message's language: look in every language.
    }
  }
  return Retrieve(keyword, snapshot, request);
}

}  // namespace zhiku
