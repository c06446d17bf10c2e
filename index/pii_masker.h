// PiiMasker: replaces personal data in a chat message with typed
// placeholders before the message is stored anywhere (corpus import today,
// FAQ mining in ingest/ later).
//
// What is recognised, in the order ties are resolved:
//   kUrl        http://…, https://…, www.… — the whole URL, host included:
//               hosts and paths of shared links carry user names, tenant
//               sub-domains and session tokens, and the embedder learns
//               nothing useful from them.
//   kEmail      local@domain.tld (ASCII; local part <= 64 bytes).
//   kAddress    Chinese: a run of place components (…省 …市 …区 …县 …路 …街
//               …号 …栋 …室 …) holding a house, building or room number,
//               e.g. 北京市朝阳区建国路88号院3号楼2单元501. English: a number,
//               one to four capitalised words and a street suffix ("123 Main
//               Street", "12 W 34th St, Apt 5B"). Heuristic: addresses
//               without a number are not found.
//   kPhone      Chinese mobiles 1[3-9]xxxxxxxxx (optional +86/0086, spaces or
//               dashes anywhere between digits), landlines with an area code
//               (010-12345678, (0755)8765 4321, 02112345678), anything
//               after '+' with 8-15 digits (+1 415 555 0100, +44 20 7946
//               0958), North American 415-555-0100 / (415) 555-0100, and 7-15
//               digits right after 电话/手机/phone/tel/call (unless an order
//               word is nearer).
//   kIdNumber   Chinese resident ID numbers: 18 characters (17 digits and a
//               digit or X) with a valid region, birth date and ISO 7064
//               check digit; the old 15-digit form with a valid region and
//               birth date. A wrong check digit still counts next to
//               身份证/ID card.
//   kBankCard   13-19 digits, ungrouped or grouped by single spaces/dashes in
//               groups of 3+, passing the Luhn check (or failing it next to
//               卡号/银行卡/card).
//   kOrderNumber any other run of >= 8 digits (an 8-digit run that is a valid
//               date YYYYMMDD is kept unless an order word is near), 6-7 digits
//               or grouped digits right after 订单/单号/运单/快递/order/tracking,
//               and codes of >= 8 characters mixing letters with >= 6 digits,
//               five of them in a row (SF1234567890, JD0012345678,
//               ORD-2024-000123; not 30x40x50cm).
// Kept on purpose: prices (399元, $1,299.00), dates (2024-05-01, 5月3号),
// times (10:30), quantities (3件) and model numbers (iPhone 15, WH-1000XM5).
//
// Placeholders are Chinese ([手机号] …) when the message contains any CJK
// character (Han, kana, hangul, CJK or full-width punctuation), English
// ([PHONE] …) otherwise: the placeholder then reads naturally in its sentence
// and the embedder sees one token per type and language. Full-width digits
// and punctuation (１３８…, ＋86, （010）) are recognised like ASCII ones.
// Masking is idempotent: placeholders contain no digits and are left alone.
#ifndef ZHIKU_INDEX_PII_MASKER_H_
#define ZHIKU_INDEX_PII_MASKER_H_

#include <array>
#include <string>

#include "absl/strings/string_view.h"

namespace zhiku {

enum class PiiType {
  kPhone = 0,
  kEmail,
  kIdNumber,
  kBankCard,
  kOrderNumber,
  kUrl,
  kAddress,
};
inline constexpr int kPiiTypeCount = 7;

// Every type, in enum order (for loops over counts).
inline constexpr std::array<PiiType, kPiiTypeCount> kAllPiiTypes = {
    PiiType::kPhone,       PiiType::kEmail, PiiType::kIdNumber, PiiType::kBankCard,
    PiiType::kOrderNumber, PiiType::kUrl,   PiiType::kAddress,
};

// A stable lowercase name for logs, metrics and JSON: "phone", "email",
// "id_number", "bank_card", "order_number", "url", "address".
absl::string_view PiiTypeName(PiiType type);

enum class PlaceholderLanguage { kChinese, kEnglish };

// "[手机号]" / "[PHONE]", "[邮箱]" / "[EMAIL]", "[身份证号]" / "[ID_NUMBER]",
// "[银行卡号]" / "[CARD]", "[订单号]" / "[ORDER]", "[网址]" / "[URL]",
// "[地址]" / "[ADDRESS]".
absl::string_view PiiPlaceholder(PiiType type, PlaceholderLanguage language);

struct MaskResult {
  std::string text;                             // the masked message
  std::array<int, kPiiTypeCount> counts = {};   // placeholders inserted, by PiiType

  int count(PiiType type) const { return counts[static_cast<int>(type)]; }
  // Placeholders inserted in all.
  int total() const;
};

// Stateless; Mask may be called concurrently from any number of threads.
class PiiMasker {
 public:
  // Returns `text` with every recognised item replaced by its placeholder.
  // Never fails: any byte string is accepted. Text outside the replaced
  // items is copied byte for byte, so invalid UTF-8 stays as it was and no
  // code point is ever split. Time is linear in the length of `text` (every
  // recognizer looks a bounded distance ahead): about 1 ms for 50 KB of
  // chat text, under 20 ms for inputs built to be hard.
  MaskResult Mask(absl::string_view text) const;
};

}  // namespace zhiku

#endif  // ZHIKU_INDEX_PII_MASKER_H_
