// Which of a knowledge base's locales a chatbot message is written in.
//
// Multilingual knowledge bases keep one entry per locale for the same
// question ("returns-how-to" in zh-CN, zh-TW and en). After normalisation
// (Traditional -> Simplified) the zh-CN and zh-TW entries are near-identical,
// so an unfiltered Answer sees two equally good entries, a margin of zero,
// and a confidence too low to answer. A bot answers in the customer's
// language, so Answer (and its calibration) without a locale filter retrieves
// among the entries of the message's locale family when the knowledge base
// has several families: Traditional characters only -> zh-TW/zh-HK/zh-MO/
// zh-Hant; CJK without Traditional-only characters -> zh-CN/zh-SG/zh-Hans/zh;
// Latin letters without CJK -> en*. A message mixing both scripts (common:
// 电動剃須刀退钱) gets no preference. Search (the agent console) is not
// affected.
#ifndef ZHIKU_INDEX_LOCALE_PREFERENCE_H_
#define ZHIKU_INDEX_LOCALE_PREFERENCE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/hybrid.h"
#include "index/keyword_index.h"
#include "index/snapshot.h"
#include "index/text_normalizer.h"

namespace zhiku {

enum class LocaleFamily { kUnknown, kSimplifiedChinese, kTraditionalChinese, kEnglish };

// The family of a raw message (before normalisation).
LocaleFamily MessageLocaleFamily(absl::string_view raw, const TextNormalizer& normalizer);

// The family an entry locale belongs to ("zh-TW" -> kTraditionalChinese;
// case-insensitive; unknown locales -> kUnknown).
LocaleFamily EntryLocaleFamily(absl::string_view locale);

// The locales of `kb_locales` (the distinct entry locales of the knowledge
// base) to restrict an unfiltered Answer to: those of the message's family,
// when the knowledge base has locales of that family and of another (empty
// means do not restrict).
std::vector<std::string> PreferredLocales(absl::string_view raw, const TextNormalizer& normalizer,
                                          const std::vector<std::string>& kb_locales);

// Retrieve() for a chatbot message `raw`, as Answer and its calibration run
// it: without a locale filter in `request`, among the entries of the
// PreferredLocales first, and among all entries when none of those matches.
// `preferred` (if not null) gets the locales the outcome was restricted to
// (empty = not restricted).
absl::StatusOr<RetrievalOutcome> RetrieveInMessageLanguage(const KeywordIndex& keyword, const Snapshot& snapshot,
                                                          RetrievalRequest request, absl::string_view raw,
                                                          const TextNormalizer& normalizer,
                                                          const std::vector<std::string>& kb_locales,
                                                          std::vector<std::string>* preferred = nullptr);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_LOCALE_PREFERENCE_H_
