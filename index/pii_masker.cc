// A hand-written scanner: the text is decoded once into code points (with
// full-width forms folded to ASCII for matching), then read left to right.
// At each token boundary the recognizers are tried in a fixed order; each
// looks a bounded distance ahead, and a failed attempt skips the whole token
// it examined, so the scan is linear. Output is written lazily, which lets
// the address recognizer extend a match to the left of its anchor (the place
// names before a house number) as long as that text is not yet written.
#include "index/pii_masker.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace zhiku {
namespace {

constexpr char32_t kInvalid = 0x110000;  // a byte that starts no valid UTF-8 sequence

struct CodePoint {
  char32_t raw = 0;     // as written (kInvalid for a stray byte)
  char32_t folded = 0;  // full-width ASCII -> ASCII, dashes -> '-', U+3000 -> ' '
  uint32_t offset = 0;  // byte offset in the text
};

// Decodes one code point at `p` (strict UTF-8: no overlongs, no surrogates);
// returns its length, or 1 with kInvalid.
size_t DecodeUtf8(const unsigned char* p, size_t available, char32_t* out) {
  const unsigned char b0 = p[0];
  *out = kInvalid;
  if (b0 < 0x80) {
    *out = b0;
    return 1;
  }
  size_t len;
  char32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  if (available < len) return 1;
  for (size_t k = 1; k < len; ++k) {
    const unsigned char b = p[k];
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return 1;
    cp = (cp << 6) | (b & 0x3F);
  }
  *out = cp;
  return len;
}

char32_t Fold(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) return c - 0xFF01 + 0x21;  // full-width ASCII
  if (c == 0x3000 || c == 0x00A0) return ' ';
  if ((c >= 0x2010 && c <= 0x2015) || c == 0x2212) return '-';
  return c;
}

bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }
bool IsLetter(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char32_t c) { return IsDigit(c) || IsLetter(c); }
bool IsUpper(char32_t c) { return c >= 'A' && c <= 'Z'; }
char32_t Lower(char32_t c) { return IsUpper(c) ? c + 32 : c; }

bool IsHan(char32_t c) {
  return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x20000 && c <= 0x3134F);
}

// Decides the placeholder language: Han, kana, hangul, CJK punctuation and
// full-width forms all say "this message is written with a CJK keyboard".
bool IsCjk(char32_t c) {
  return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x20000 && c <= 0x3FFFF);
}

bool Contains(std::u32string_view set, char32_t c) { return set.find(c) != std::u32string_view::npos; }

// ---- Word lists. Chinese words come in both scripts where they differ
// (号/號, 订单/訂單): zh-TW customers write Traditional.

// House, building and room units that follow a number: 88号, 3号楼, 2单元, 501室.
constexpr std::u32string_view kUnits[] = {U"号楼", U"號樓", U"号院", U"號院", U"单元", U"單元", U"号", U"號",
                                          U"栋",   U"棟",   U"幢",   U"室",   U"楼",   U"樓",   U"层", U"層",
                                          U"弄",   U"座",   U"院"};
// Units that may follow a letter: A座, B栋.
constexpr std::u32string_view kLetterUnits[] = {U"座", U"栋", U"棟", U"幢", U"单元", U"單元", U"区", U"區"};
// Place components that may precede a house number: …省 …市 …区 …路 ….
constexpr std::u32string_view kComponents[] = {
    U"胡同", U"大道", U"大街", U"小区", U"小區", U"花园", U"花園", U"大厦", U"大廈", U"广场", U"廣場",
    U"公寓", U"社区", U"社區", U"新村", U"省",   U"市",   U"区",   U"區",   U"县",   U"縣",   U"镇",
    U"鎮",   U"乡",   U"鄉",   U"村",   U"路",   U"街",   U"道",   U"巷",   U"弄",   U"里",   U"苑",
    U"庄",   U"莊",   U"园",   U"園",   U"段"};
// Streets directly followed by a number without a unit: 建国路88.
constexpr std::u32string_view kStreets[] = {U"胡同", U"大道", U"大街", U"路", U"街", U"道", U"巷", U"弄", U"里"};
// Everyday words that end in a component character but are no place.
constexpr std::u32string_view kNotPlaces[] = {
    U"知道", U"哪里", U"哪裡", U"这里", U"這裡", U"那里", U"那裡", U"心里", U"心裡", U"家里", U"家裡",
    U"频道", U"頻道", U"通道", U"渠道", U"味道", U"难道", U"難道", U"一道", U"公里", U"超市", U"上市",
    U"专区", U"專區", U"阶段", U"階段", U"手段"};
// Characters that end the place names before an address (particles, pronouns,
// verbs of sending and living). Characters common in place names (和, 成, 都,
// 下, 家, 前, 后, 新, 东…) are deliberately absent.
constexpr std::u32string_view kStopChars =
    U"的了在是到寄送住址我你您他她们给发往从请把改为去来吗呢吧啊呀或与及要想能可以就也还这那哪个些么什怎样问"
    U"说讲麻烦谢好嗯哦查帮被让叫每几少过着已刚才再又很太最但且果因所于对跟"
    U"們給發從請為來嗎還這個麼說講煩謝問幫被讓幾過著剛對";
// Words ending in a character that place names need (成都, 下城区):
// 改成北京市…, 查一下朝阳区….
constexpr std::u32string_view kStopPairs[] = {U"改成", U"换成", U"換成", U"变成", U"變成", U"写成", U"寫成",
                                              U"填成", U"一下"};

constexpr std::string_view kOrderWords[] = {"订单", "訂單", "单号", "單號", "运单", "運單", "快递", "快遞",
                                            "物流", "order", "tracking", "waybill", "parcel"};
constexpr std::string_view kPhoneWords[] = {"电话", "電話", "手机", "手機", "联系方式", "聯絡", "phone",
                                            "tel", "mobile", "cell", "call", "text me"};
constexpr std::string_view kIdWords[] = {"身份证", "身份證", "身分證", "证件", "證件", "id card", "id number", "id no"};
constexpr std::string_view kCardWords[] = {"卡号", "卡號", "银行卡", "銀行卡", "信用卡", "储蓄卡", "儲蓄卡", "card"};

constexpr std::string_view kStreetSuffixes[] = {
    "street", "st",  "avenue", "ave",    "road",    "rd",  "boulevard", "blvd", "lane",   "ln",
    "drive",  "dr",  "court",  "ct",     "place",   "pl",  "way",       "terrace", "ter", "parkway",
    "pkwy",   "highway", "hwy", "circle", "cir",    "square", "sq"};
// Suffixes accepted after all-lowercase names ("123 main street").
constexpr std::string_view kPlainStreetSuffixes[] = {"street", "avenue", "ave", "road", "boulevard", "blvd"};
constexpr std::string_view kUnitWords[] = {"apt", "apartment", "suite", "ste", "unit", "room", "rm", "floor", "fl"};
constexpr std::string_view kDirections[] = {"n", "s", "e", "w", "ne", "nw", "se", "sw"};

// ---- Number checks (on ASCII digit strings).

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool IsValidDate(int y, int m, int d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= kDays[m - 1] + (m == 2 && IsLeapYear(y) ? 1 : 0);
}

int ParseInt(std::string_view digits) {
  int v = 0;
  for (char ch : digits) v = v * 10 + (ch - '0');
  return v;
}

// YYYYMMDD with a year in 1900..2099.
bool IsDate8(std::string_view d) {
  const int y = ParseInt(d.substr(0, 4));
  return y >= 1900 && y <= 2099 && IsValidDate(y, ParseInt(d.substr(4, 2)), ParseInt(d.substr(6, 2)));
}

bool IsRegionCode(std::string_view d) {
  static constexpr int kRegions[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42,
                                     43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82};
  const int r = ParseInt(d.substr(0, 2));
  return std::find(std::begin(kRegions), std::end(kRegions), r) != std::end(kRegions);
}

// GB 11643: region, birth date and (18-character form) the ISO 7064 MOD 11-2
// check character. `id` is 17 digits + digit/'X', or 15 digits.
bool IsResidentId(std::string_view id, bool require_check) {
  if (id.size() == 15) return IsRegionCode(id) && IsValidDate(1900 + ParseInt(id.substr(6, 2)),
                                                               ParseInt(id.substr(8, 2)), ParseInt(id.substr(10, 2)));
  if (id.size() != 18 || !IsRegionCode(id) || !IsDate8(id.substr(6, 8))) return false;
  if (!require_check) return true;
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int k = 0; k < 17; ++k) sum += (id[k] - '0') * kWeights[k];
  return "10X98765432"[sum % 11] == id[17];
}

// Luhn (ISO/IEC 7812-1) check digit test.
bool PassesLuhn(std::string_view d) {
  int sum = 0;
  bool twice = false;
  for (size_t k = d.size(); k-- > 0;) {
    int v = d[k] - '0';
    if (twice) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    twice = !twice;
  }
  return sum % 10 == 0;
}

// (0086|86)?1[3-9]\d{9}
bool IsChineseMobile(std::string_view d) {
  if (d.size() == 15 && d.substr(0, 4) == "0086") d.remove_prefix(4);
  if (d.size() == 13 && d.substr(0, 2) == "86") d.remove_prefix(2);
  return d.size() == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

// ---- The scanner.

struct Match {
  size_t begin = 0;  // code point indices
  size_t end = 0;
  PiiType type = PiiType::kPhone;
};

// Outcome of trying the recognizers at one position: a match, or where to
// continue (past everything that was examined and cannot start a match).
struct Attempt {
  std::optional<Match> match;
  size_t next = 0;
};

constexpr size_t kMaxGroups = 6;
constexpr size_t kMaxGroupDigits = 24;  // longer digit runs are order numbers outright

// A run of digit groups such as "+86 138-1234-5678" or "(010) 1234 5678".
// Fixed-size: it is parsed at every number in the text.
struct NumberRun {
  bool plus = false;
  bool check_x = false;  // the last group ends in an X (resident ID)
  size_t count = 0;      // groups
  char digits[kMaxGroups * kMaxGroupDigits];  // the groups' digits, concatenated
  size_t digit_end[kMaxGroups];               // end of group g in `digits`
  size_t ends[kMaxGroups];                    // code point index just after group g

  std::string_view group(size_t g) const {
    const size_t start = g == 0 ? 0 : digit_end[g - 1];
    return std::string_view(digits + start, digit_end[g] - start);
  }
  // The digits of the first m groups.
  std::string_view prefix(size_t m) const { return std::string_view(digits, digit_end[m - 1]); }
};
constexpr size_t kMaxCodePieces = 6;  // SF-1234-5678 has three
constexpr size_t kMaxEmailLocal = 64;
constexpr size_t kMaxEmailDomain = 253;
constexpr size_t kKeywordWindow = 16;   // code points looked at before a number
constexpr size_t kAddressLookBack = 30;

class Scanner {
 public:
  explicit Scanner(absl::string_view text) : text_(text) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    cps_.reserve(text.size() + 1);
    for (size_t pos = 0; pos < text.size();) {
      CodePoint cp;
      const size_t len = DecodeUtf8(bytes + pos, text.size() - pos, &cp.raw);
      cp.folded = cp.raw == kInvalid ? kInvalid : Fold(cp.raw);
      cp.offset = static_cast<uint32_t>(pos);
      if (IsCjk(cp.raw)) language_ = PlaceholderLanguage::kChinese;
      cps_.push_back(cp);
      pos += len;
    }
    n_ = cps_.size();
    CodePoint end;
    end.offset = static_cast<uint32_t>(text.size());
    cps_.push_back(end);  // sentinel: at(n_) == 0
  }

  MaskResult Run() {
    size_t i = 0;
    while (i < n_) {
      const char32_t c = at(i);
      const bool candidate = IsAlnum(c) || ((c == '+' || c == '(') && (IsDigit(at(i + 1)) || at(i + 1) == '+'));
      if (!candidate || !Boundary(i)) {
        ++i;
        continue;
      }
      Attempt attempt = TryAt(i);
      if (attempt.match.has_value()) {
        Emit(*attempt.match);
        i = attempt.match->end;
      } else {
        i = std::max(attempt.next, i + 1);
      }
    }
    result_.text.append(text_.data() + cps_[emitted_].offset, text_.size() - cps_[emitted_].offset);
    return std::move(result_);
  }

 private:
  char32_t at(size_t i) const { return i < n_ ? cps_[i].folded : 0; }
  char32_t raw(size_t i) const { return i < n_ ? cps_[i].raw : 0; }
  // Tokens start where the previous character is not an ASCII letter or digit.
  bool Boundary(size_t i) const { return i == 0 || !IsAlnum(at(i - 1)); }

  void Emit(const Match& m) {
    result_.text.append(text_.data() + cps_[emitted_].offset, cps_[m.begin].offset - cps_[emitted_].offset);
    const absl::string_view placeholder = PiiPlaceholder(m.type, language_);
    result_.text.append(placeholder.data(), placeholder.size());
    ++result_.counts[static_cast<int>(m.type)];
    emitted_ = m.end;
  }

  Attempt TryAt(size_t i) {
    const char32_t c = at(i);
    if (IsLetter(raw(i))) {
      if (auto url = MatchUrl(i)) return {url, 0};
    }
    if (IsAlnum(raw(i))) {
      if (auto email = MatchEmail(i)) return {email, 0};
    }
    if (IsDigit(c) || IsLetter(c)) {
      if (auto address = MatchChineseAddress(i)) return {address, 0};
    }
    if (IsDigit(c)) {
      if (auto address = MatchEnglishAddress(i)) return {address, 0};
    }
    if (IsLetter(c)) return MatchCode(i);
    // A digit, '+' or '('.
    size_t word_end = i;
    while (IsAlnum(at(word_end))) ++word_end;
    if (IsDigit(c)) {
      size_t digits = i;
      while (IsDigit(at(digits))) ++digits;
      const bool id_with_x = digits - i == 17 && word_end == digits + 1 && Lower(at(digits)) == 'x';
      if (digits != word_end && !id_with_x) return MatchCode(i);  // 15kg, 4K, 1000XM5
      if (digits - i > kMaxGroupDigits) return {Match{i, digits, PiiType::kOrderNumber}, 0};
    }
    return MatchNumber(i);
  }

  // ---- URLs and e-mail addresses (ASCII as written).

  bool StartsWithLower(size_t i, std::string_view word) const {
    for (size_t k = 0; k < word.size(); ++k) {
      if (Lower(raw(i + k)) != static_cast<char32_t>(word[k])) return false;
    }
    return true;
  }

  std::optional<Match> MatchUrl(size_t i) const {
    size_t host;
    if (StartsWithLower(i, "https://")) {
      host = i + 8;
    } else if (StartsWithLower(i, "http://")) {
      host = i + 7;
    } else if (StartsWithLower(i, "www.")) {
      host = i + 4;
    } else {
      return std::nullopt;
    }
    if (!IsAlnum(raw(host))) return std::nullopt;
    size_t end = host;
    auto url_char = [](char32_t ch) {
      return ch > 0x20 && ch < 0x7F && ch != '<' && ch != '>' && ch != '"' && ch != '`';
    };
    int open_parens = 0;
    while (end < n_ && url_char(raw(end))) {
      if (raw(end) == '(') ++open_parens;
      if (raw(end) == ')') --open_parens;
      ++end;
    }
    // Sentence punctuation after a URL is not part of it; a ')' is, if it
    // closes a '(' inside the URL.
    while (end > host) {
      const char32_t last = raw(end - 1);
      if (last == ')' && open_parens >= 0) break;
      if (!Contains(U".,;:!?'\")]}*", last)) break;
      if (last == ')') ++open_parens;
      --end;
    }
    return Match{i, end, PiiType::kUrl};
  }

  std::optional<Match> MatchEmail(size_t i) const {
    auto local_char = [](char32_t ch) { return IsAlnum(ch) || Contains(U"._%+-", ch); };
    size_t at_sign = i;
    while (at_sign < n_ && at_sign - i < kMaxEmailLocal && local_char(raw(at_sign))) ++at_sign;
    if (raw(at_sign) != '@') return std::nullopt;
    size_t pos = at_sign + 1;
    int labels = 0;
    bool last_all_letters = false;
    size_t last_len = 0;
    while (pos - at_sign <= kMaxEmailDomain && IsAlnum(raw(pos))) {
      const size_t label = pos;
      bool letters = true;
      while ((IsAlnum(raw(pos)) || (raw(pos) == '-' && IsAlnum(raw(pos + 1)))) && pos - label < 63) {
        letters = letters && IsLetter(raw(pos));
        ++pos;
      }
      if (IsAlnum(raw(pos))) return std::nullopt;  // a label over 63 characters
      ++labels;
      last_all_letters = letters;
      last_len = pos - label;
      if (raw(pos) == '.' && IsAlnum(raw(pos + 1))) {
        ++pos;
      } else {
        break;
      }
    }
    if (labels < 2 || !last_all_letters || last_len < 2) return std::nullopt;
    return Match{i, pos, PiiType::kEmail};
  }

  // ---- Addresses.

  bool MatchesAt(size_t i, std::u32string_view word) const {
    for (size_t k = 0; k < word.size(); ++k) {
      if (raw(i + k) != word[k]) return false;
    }
    return true;
  }

  // Length of the longest word of `words` at i, 0 if none.
  template <size_t N>
  size_t WordAt(size_t i, const std::u32string_view (&words)[N]) const {
    size_t best = 0;
    for (std::u32string_view w : words) {
      if (w.size() > best && MatchesAt(i, w)) best = w.size();
    }
    return best;
  }

  // Length of a word of `words` ending just before `end` (not a kNotPlaces
  // word), 0 if none.
  template <size_t N>
  size_t WordEndingAt(size_t end, size_t floor, const std::u32string_view (&words)[N]) const {
    for (std::u32string_view w : words) {
      if (end < floor + w.size() || !MatchesAt(end - w.size(), w)) continue;
      bool excluded = false;
      for (std::u32string_view no : kNotPlaces) {
        if (end >= floor + no.size() && MatchesAt(end - no.size(), no)) excluded = true;
      }
      if (!excluded) return w.size();
    }
    return 0;
  }

  // Digits (up to 5), optionally followed by -digit groups: 88, 3-2-501.
  size_t HouseNumberEnd(size_t i) const {
    size_t pos = i;
    for (int group = 0; group < 4; ++group) {
      const size_t start = pos;
      while (IsDigit(at(pos)) && pos - start < 6) ++pos;
      if (pos == start || pos - start > 5 || IsDigit(at(pos))) return group == 0 ? i : start - 1;
      if (at(pos) != '-' || !IsDigit(at(pos + 1))) return pos;
      ++pos;
    }
    return pos - 1;
  }

  bool IsAddressChar(size_t i) const {
    const char32_t c = raw(i);
    if (IsHan(c)) return !Contains(kStopChars, c);
    if (at(i) == '-') return i > 0 && IsAlnum(at(i - 1)) && IsAlnum(at(i + 1));  // R2-B栋
    return IsAlnum(at(i));
  }

  // 北京市朝阳区建国路88号院3号楼2单元501室: an anchor (a house number with
  // its unit, or a number right after a street) with place components on its
  // left, extended right over further units and a room number.
  std::optional<Match> MatchChineseAddress(size_t i) const {
    size_t anchor_end;
    bool after_unit = true;
    if (IsLetter(at(i))) {
      if (IsAlnum(at(i + 1))) return std::nullopt;
      const size_t unit = WordAt(i + 1, kLetterUnits);
      if (unit == 0) return std::nullopt;
      anchor_end = i + 1 + unit;
    } else {
      const size_t number_end = HouseNumberEnd(i);
      if (number_end == i) return std::nullopt;
      if (const size_t unit = WordAt(number_end, kUnits); unit > 0) {
        anchor_end = number_end + unit;
      } else if (!IsAlnum(at(number_end)) && WordEndingAt(i, emitted_, kStreets) > 0) {
        anchor_end = number_end;
        after_unit = false;
      } else {
        return std::nullopt;
      }
    }

    // Left: the run of place-like characters, its leftmost component, and up
    // to four Han characters of that component's name.
    const size_t floor = std::max(emitted_, i > kAddressLookBack ? i - kAddressLookBack : 0);
    size_t run_start = i;
    while (run_start > floor && IsAddressChar(run_start - 1)) {
      bool stop_pair = false;
      for (std::u32string_view pair : kStopPairs) {
        stop_pair = stop_pair || (run_start >= floor + 2 && MatchesAt(run_start - 2, pair));
      }
      if (stop_pair) break;
      --run_start;
    }
    std::optional<size_t> leftmost;
    for (size_t end = i; end > run_start; --end) {
      if (const size_t len = WordEndingAt(end, run_start, kComponents); len > 0) {
        leftmost = end - len;
        end -= len - 1;
      }
    }
    if (!leftmost.has_value()) return std::nullopt;
    size_t begin = *leftmost;
    while (begin > run_start && *leftmost - begin < 4 && IsHan(raw(begin - 1))) --begin;

    // Right: more units (院, 3号楼, A座, 2单元) and a final room number.
    size_t end = anchor_end;
    for (int step = 0; step < 8; ++step) {
      if (const size_t unit = WordAt(end, kUnits); unit > 0) {
        end += unit;
        after_unit = true;
        continue;
      }
      if (IsLetter(at(end)) && !IsAlnum(at(end + 1))) {
        if (const size_t unit = WordAt(end + 1, kLetterUnits); unit > 0) {
          end += 1 + unit;
          after_unit = true;
          continue;
        }
      }
      if (IsDigit(at(end))) {
        const size_t number_end = HouseNumberEnd(end);
        if (number_end == end) break;
        if (const size_t unit = WordAt(number_end, kUnits); unit > 0) {
          end = number_end + unit;
          after_unit = true;
          continue;
        }
        // A room number: 2单元501, A栋1201 (three digits or more, so that a
        // date after the address, 88号5月3日, is not taken in).
        if (after_unit && !IsAlnum(at(number_end)) && number_end - end >= 3) end = number_end;
        break;
      }
      // A building name between units: 88号华贸中心3号楼, 103号维多利广场A座.
      size_t name_end = end;
      while (name_end - end < 6 && IsHan(raw(name_end)) && !Contains(kStopChars, raw(name_end))) ++name_end;
      if (name_end > end && IsLetter(at(name_end)) && !IsAlnum(at(name_end + 1))) {
        if (const size_t unit = WordAt(name_end + 1, kLetterUnits); unit > 0) {
          end = name_end + 1 + unit;
          after_unit = true;
          continue;
        }
      }
      if (name_end > end && IsDigit(at(name_end))) {
        const size_t number_end = HouseNumberEnd(name_end);
        if (const size_t unit = number_end > name_end ? WordAt(number_end, kUnits) : 0; unit > 0) {
          end = number_end + unit;
          after_unit = true;
          continue;
        }
      }
      break;
    }
    return Match{begin, end, PiiType::kAddress};
  }

  // An ASCII word at i: its end, lowercased text and shape.
  struct Word {
    size_t end = 0;
    std::string lower;
    bool capitalised = false;
    bool all_lower = true;
    bool all_upper = true;
    bool ordinal = false;  // 34th, 1st
  };

  std::optional<Word> ReadWord(size_t i) const {
    Word w;
    size_t pos = i;
    while (IsAlnum(at(pos)) && pos - i <= 20) {
      const char32_t c = at(pos);
      w.lower += static_cast<char>(Lower(c));
      if (IsLetter(c)) {
        w.all_lower = w.all_lower && !IsUpper(c);
        w.all_upper = w.all_upper && IsUpper(c);
      }
      ++pos;
    }
    if (pos == i || pos - i > 20) return std::nullopt;
    w.end = pos;
    w.capitalised = IsUpper(at(i));
    const size_t digits = w.lower.find_first_not_of("0123456789");
    if (digits > 0 && digits != std::string::npos) {
      const std::string_view suffix = std::string_view(w.lower).substr(digits);
      w.ordinal = suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th";
    }
    if (digits == 0) {
      // Letters must not be followed by digits in a name word.
      for (char ch : w.lower) {
        if (ch >= '0' && ch <= '9') return std::nullopt;
      }
    }
    return w;
  }

  template <size_t N>
  static bool In(std::string_view word, const std::string_view (&list)[N]) {
    return std::find(std::begin(list), std::end(list), word) != std::end(list);
  }

  // "123 Main Street", "12 W 34th St, Apt 5B", "221B Baker Street".
  std::optional<Match> MatchEnglishAddress(size_t i) const {
    size_t pos = i;
    while (IsDigit(at(pos)) && pos - i < 7) ++pos;
    if (pos - i > 6) return std::nullopt;
    if (IsLetter(at(pos)) && !IsAlnum(at(pos + 1))) ++pos;  // 221B
    if (at(pos) != ' ') return std::nullopt;
    int names = 0;
    bool lowercase_names = false;
    for (int k = 0; k < 5; ++k) {
      if (at(pos) != ' ') return std::nullopt;
      std::optional<Word> word = ReadWord(pos + 1);
      if (!word.has_value()) return std::nullopt;
      std::string_view bare = word->lower;
      if (names > 0 && In(bare, kStreetSuffixes)) {
        const bool plain = In(bare, kPlainStreetSuffixes) && word->all_lower;
        if (lowercase_names && !plain) return std::nullopt;
        size_t end = word->end;
        if (at(end) == '.') ++end;
        return Match{i, UnitEnd(end), PiiType::kAddress};
      }
      const bool direction = In(bare, kDirections) && word->all_upper;
      if (word->ordinal || direction) {
      } else if (word->capitalised && !(word->all_upper && bare.size() > 1)) {
      } else if (word->all_lower && bare.find_first_of("0123456789") == std::string_view::npos) {
        lowercase_names = true;
      } else {
        return std::nullopt;
      }
      ++names;
      pos = word->end;
    }
    return std::nullopt;
  }

  // After a street: ", Apt 5B", " Suite 100", " #12".
  size_t UnitEnd(size_t end) const {
    size_t pos = end;
    if (at(pos) == ',') ++pos;
    if (at(pos) != ' ') return end;
    ++pos;
    if (at(pos) == '#') {
      ++pos;
    } else {
      std::optional<Word> word = ReadWord(pos);
      if (!word.has_value() || !In(std::string_view(word->lower), kUnitWords)) return end;
      pos = word->end;
      if (at(pos) == '.') ++pos;
      if (at(pos) == ' ') ++pos;
      if (at(pos) == '#') ++pos;
    }
    const size_t number = pos;
    while (IsAlnum(at(pos)) && pos - number < 7) ++pos;
    if (pos == number || pos - number > 6 || !IsDigit(at(number))) return end;
    return pos;
  }

  // ---- Numbers.

  // The few characters before i, ASCII lowercased: where keywords such as
  // 订单 or phone are looked for.
  std::string WindowBefore(size_t i) const {
    const size_t from = i > kKeywordWindow ? i - kKeywordWindow : 0;
    std::string window;
    for (size_t k = from; k < i; ++k) {
      const char32_t c = at(k);
      if (c < 0x80) {
        window += static_cast<char>(Lower(c));
      } else if (c != kInvalid) {
        window.append(text_.data() + cps_[k].offset, cps_[k + 1].offset - cps_[k].offset);
      }
    }
    return window;
  }

  // Bytes between the end of the last of `words` in `window` and the end of
  // the window; npos if none occurs.
  template <size_t N>
  static size_t KeywordDistance(std::string_view window, const std::string_view (&words)[N]) {
    size_t best = std::string_view::npos;
    for (std::string_view w : words) {
      const size_t pos = window.rfind(w);
      if (pos != std::string_view::npos) best = std::min(best, window.size() - pos - w.size());
    }
    return best;
  }

  // What the words just before a number say it is; looked up on first use
  // (most numbers are classified without it).
  class Context {
   public:
    Context(const Scanner& scanner, size_t i) : scanner_(scanner), i_(i) {}
    bool order() { return Get().order; }  // 订单, tracking… (and no nearer phone word)
    bool phone() { return Get().phone; }  // 电话, phone… (and no nearer order word)
    bool id() { return Get().id; }
    bool card() { return Get().card; }

   private:
    struct Words {
      bool order, phone, id, card;
    };
    const Words& Get() {
      if (!words_.has_value()) {
        const std::string window = scanner_.WindowBefore(i_);
        const size_t order = KeywordDistance(window, kOrderWords);
        const size_t phone = KeywordDistance(window, kPhoneWords);
        words_ = Words{order != std::string_view::npos && order <= phone,
                       phone != std::string_view::npos && phone < order,
                       KeywordDistance(window, kIdWords) != std::string_view::npos,
                       KeywordDistance(window, kCardWords) != std::string_view::npos};
      }
      return *words_;
    }
    const Scanner& scanner_;
    const size_t i_;
    std::optional<Words> words_;
  };

  NumberRun ParseNumberRun(size_t i) const {
    NumberRun run;
    size_t pos = i;
    size_t total = 0;
    while (run.count < kMaxGroups) {
      size_t p = pos;
      const bool open = at(p) == '(';
      if (open) ++p;
      if (run.count == 0 && at(p) == '+') {
        run.plus = true;
        ++p;
      }
      const size_t digits_start = p;
      while (IsDigit(at(p)) && p - digits_start <= kMaxGroupDigits) ++p;
      const size_t len = p - digits_start;
      if (len == 0 || len > kMaxGroupDigits) break;
      bool x = false;
      if (Lower(at(p)) == 'x' && total + len == 17 && !IsAlnum(at(p + 1))) {
        x = true;
        ++p;
      } else if (IsAlnum(at(p))) {
        break;
      }
      if (open) {
        if (at(p) != ')') break;
        ++p;
      }
      for (size_t k = digits_start; k < digits_start + len; ++k) run.digits[total++] = static_cast<char>(at(k));
      run.digit_end[run.count] = total;
      run.ends[run.count] = p;
      ++run.count;
      pos = p;
      if (x) {
        run.check_x = true;
        break;
      }
      const char32_t sep = at(pos);
      if ((sep == ' ' || sep == '-' || sep == '.') && (IsDigit(at(pos + 1)) || at(pos + 1) == '(')) {
        ++pos;
      } else if (!(open && IsDigit(at(pos)))) {
        break;
      }
    }
    return run;
  }

  // The type of the first `m` groups of `run`, given the words before it.
  std::optional<PiiType> Classify(const NumberRun& run, size_t m, Context& context) const {
    const std::string_view d = run.prefix(m);
    size_t min_group = kMaxGroupDigits;
    for (size_t g = 0; g < m; ++g) min_group = std::min(min_group, run.group(g).size());
    const size_t n = d.size();
    if (n < 6) return std::nullopt;  // nothing below is shorter
    const bool grouped = m > 1;
    if (run.check_x && m == run.count) {
      char buffer[18];
      std::copy(d.begin(), d.end(), buffer);
      buffer[17] = 'X';
      const std::string_view id(buffer, sizeof(buffer));
      if (IsResidentId(id, /*require_check=*/true) ||
          (IsResidentId(id, /*require_check=*/false) && context.id())) {
        return PiiType::kIdNumber;
      }
      return std::nullopt;
    }
    if (run.plus) {
      // After the country code, no group of a single digit (France writes
      // +33 1 23 45 67 89, so the group after the code may be one).
      for (size_t g = 2; g < m; ++g) {
        if (run.group(g).size() < 2) return std::nullopt;
      }
      if (d.substr(0, 2) == "86") return IsChineseMobile(d) || (n >= 11 && n <= 13) ? std::optional(PiiType::kPhone) : std::nullopt;
      if (d[0] == '1') return n == 11 ? std::optional(PiiType::kPhone) : std::nullopt;
      return n >= 8 && n <= 15 && d[0] != '0' ? std::optional(PiiType::kPhone) : std::nullopt;
    }
    if (IsChineseMobile(d)) return PiiType::kPhone;
    if (grouped && d[0] == '0' && d[1] != '0' && run.group(0).size() >= 3 && run.group(0).size() <= 4 && n >= 10 &&
        n <= 12 && min_group >= 3) {
      return PiiType::kPhone;  // 010-12345678, 0755 8765 4321
    }
    if (IsNorthAmerican(run, m)) return PiiType::kPhone;
    if (!grouped && (n == 11 || n == 12) && d[0] == '0' && d[1] != '0') return PiiType::kPhone;  // 02112345678
    if (!grouped && n == 10 && (d.substr(0, 3) == "400" || d.substr(0, 3) == "800")) return PiiType::kPhone;
    if (!grouped || min_group >= 3) {
      if ((n == 18 || n == 15) && IsResidentId(d, /*require_check=*/true)) return PiiType::kIdNumber;
      // One number in ten passes Luhn by chance: an order word near it wins.
      if (n >= 13 && n <= 19 && ((PassesLuhn(d) && !context.order()) || context.card())) {
        return PiiType::kBankCard;
      }
      if (n == 18 && IsResidentId(d, /*require_check=*/false) && context.id()) {
        return PiiType::kIdNumber;
      }
    }
    if (!grouped) {
      if (n >= 7 && n <= 15 && context.phone()) return PiiType::kPhone;  // phone: 7703743799
      if (n >= 8) {
        if (n == 8 && IsDate8(d) && !context.order()) return std::nullopt;  // 20240501
        return PiiType::kOrderNumber;
      }
      if (context.order()) return PiiType::kOrderNumber;
      return std::nullopt;
    }
    // Order 111-1234567-1234567; or grouped like a card but failing Luhn: a
    // mistyped card or an order number.
    if (n >= 8 && min_group >= 3 && context.order()) return PiiType::kOrderNumber;
    if (min_group >= 4 && n >= 13 && n <= 19) return PiiType::kOrderNumber;
    return std::nullopt;
  }

  // 415-555-0100, (415) 555-0100, 1-800-555-0100.
  static bool IsNorthAmerican(const NumberRun& run, size_t m) {
    size_t g = 0;
    if (m == 4 && run.group(0) == "1") g = 1;
    if (m - g != 3) return false;
    return run.group(g).size() == 3 && run.group(g)[0] >= '2' && run.group(g + 1).size() == 3 &&
           run.group(g + 2).size() == 4;
  }

  Attempt MatchNumber(size_t i) const {
    const NumberRun run = ParseNumberRun(i);
    if (run.count == 0) return {std::nullopt, i + 1};
    if (run.digit_end[run.count - 1] < 6) return {std::nullopt, run.ends[0]};  // too short for anything
    Context context(*this, i);
    for (size_t m = run.count; m >= 1; --m) {
      if (std::optional<PiiType> type = Classify(run, m, context)) return {Match{i, run.ends[m - 1], *type}, 0};
    }
    return {std::nullopt, run.ends[0]};
  }

  // Letters and digits mixed (SF1234567890, JD-0012345678, ORD-2024-000123):
  // an order or tracking code when it has >= 8 characters, >= 6 digits and a
  // run of >= 5 of them (so sizes like 30x40x50cm are no code), or when its
  // three or more dashed pieces hold >= 8 digits (PP-006-234-348-863).
  Attempt MatchCode(size_t i) const {
    size_t end = i;
    int letters = 0, digits = 0, run = 0, longest_run = 0;
    size_t pieces = 0;
    for (size_t piece = 1;; ++piece) {
      pieces = piece;
      const size_t start = end;
      run = 0;
      while (IsAlnum(at(end)) && end - start < 64) {
        if (IsDigit(at(end))) {
          ++digits;
          longest_run = std::max(longest_run, ++run);
        } else {
          ++letters;
          run = 0;
        }
        ++end;
      }
      if (IsAlnum(at(end))) {
        // A 64+ character word: not a code people type; skip all of it.
        while (IsAlnum(at(end))) ++end;
        return {std::nullopt, end};
      }
      if (piece == kMaxCodePieces || !((at(end) == '-' || at(end) == '_') && IsAlnum(at(end + 1)))) break;
      // Tel-13812345678: the number after the dash is matched on its own.
      if (digits == 0 && IsDigit(at(end + 1))) {
        const NumberRun run = ParseNumberRun(end + 1);
        Context context(*this, end + 1);
        bool personal = false;
        for (size_t m = run.count; m >= 1 && !personal; --m) {
          std::optional<PiiType> type = Classify(run, m, context);
          personal = type.has_value() && *type != PiiType::kOrderNumber;
        }
        if (personal) break;
      }
      ++end;
    }
    if (letters >= 1 && digits >= 6 && end - i >= 8 && (longest_run >= 5 || (pieces >= 3 && digits >= 8))) {
      return {Match{i, end, PiiType::kOrderNumber}, 0};
    }
    return {std::nullopt, end};
  }

  const absl::string_view text_;
  std::vector<CodePoint> cps_;
  size_t n_ = 0;
  PlaceholderLanguage language_ = PlaceholderLanguage::kEnglish;
  size_t emitted_ = 0;  // code points before this index are in result_.text
  MaskResult result_;
};

}  // namespace

absl::string_view PiiTypeName(PiiType type) {
  switch (type) {
    case PiiType::kPhone: return "phone";
    case PiiType::kEmail: return "email";
    case PiiType::kIdNumber: return "id_number";
    case PiiType::kBankCard: return "bank_card";
    case PiiType::kOrderNumber: return "order_number";
    case PiiType::kUrl: return "url";
    case PiiType::kAddress: return "address";
  }
  return "unknown";
}

absl::string_view PiiPlaceholder(PiiType type, PlaceholderLanguage language) {
  const bool zh = language == PlaceholderLanguage::kChinese;
  switch (type) {
    case PiiType::kPhone: return zh ? "[手机号]" : "[PHONE]";
    case PiiType::kEmail: return zh ? "[邮箱]" : "[EMAIL]";
    case PiiType::kIdNumber: return zh ? "[身份证号]" : "[ID_NUMBER]";
    case PiiType::kBankCard: return zh ? "[银行卡号]" : "[CARD]";
    case PiiType::kOrderNumber: return zh ? "[订单号]" : "[ORDER]";
    case PiiType::kUrl: return zh ? "[网址]" : "[URL]";
    case PiiType::kAddress: return zh ? "[地址]" : "[ADDRESS]";
  }
  return "[PII]";
}

int MaskResult::total() const {
  int sum = 0;
  for (int c : counts) sum += c;
  return sum;
}

MaskResult PiiMasker::Mask(absl::string_view text) const { return Scanner(text).Run(); }

}  // namespace zhiku
