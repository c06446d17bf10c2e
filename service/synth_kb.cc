#include "service/synth_kb.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "service/synth_kb_vocabulary.h"

namespace zhiku::synth {
namespace {

// The tables are data only; naming their namespace at every use would add
// nothing but noise.
using namespace vocabulary;  // NOLINT(build/namespaces)

// ---------------------------------------------------------------------------
// UTF-8 and small text helpers

size_t CharLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

std::vector<absl::string_view> Chars(absl::string_view text) {
  std::vector<absl::string_view> out;
  for (size_t i = 0; i < text.size();) {
    const size_t n = std::min(CharLength(static_cast<unsigned char>(text[i])), text.size() - i);
    out.push_back(text.substr(i, n));
    i += n;
  }
  return out;
}

size_t CodePoints(absl::string_view text) { return Chars(text).size(); }

// CJK Unified Ideographs U+4E00..U+9FFF are three bytes led by E4..E9.
bool IsHan(absl::string_view ch) {
  return ch.size() == 3 && static_cast<unsigned char>(ch[0]) >= 0xE4 && static_cast<unsigned char>(ch[0]) <= 0xE9;
}

std::vector<std::string> Alternatives(const char* joined) {
  if (joined[0] == '\0') return {};
  return absl::StrSplit(joined, '|');
}

// Lowercases the first letter of a sentence that continues another: "How"
// -> "how", "A friend" -> "a friend", but "TV", "LEGO" and "I" stay.
std::string LowerFirst(std::string s) {
  if (s.size() >= 2 && absl::ascii_isupper(s[0]) && (absl::ascii_islower(s[1]) || (s[0] == 'A' && s[1] == ' '))) {
    s[0] = absl::ascii_tolower(s[0]);
  }
  return s;
}

std::string UpperFirst(std::string s) {
  if (!s.empty()) s[0] = absl::ascii_toupper(s[0]);
  return s;
}

// Offset of the first occurrence of `word` in `text` not inside a longer
// ASCII word, or npos.
size_t FindWord(absl::string_view text, absl::string_view word) {
  for (size_t at = text.find(word); at != absl::string_view::npos; at = text.find(word, at + 1)) {
    const bool left_ok = at == 0 || !absl::ascii_isalpha(text[at - 1]);
    const size_t end = at + word.size();
    const bool right_ok = end >= text.size() || !absl::ascii_isalpha(text[end]);
    if (left_ok && right_ok) return at;
  }
  return absl::string_view::npos;
}

// ---------------------------------------------------------------------------
// Randomness: SplitMix64 (Steele, Lea, Flood 2014), specified here so that
// output does not depend on the standard library's distributions.

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

enum Stream : uint64_t { kCombos = 1, kLocales = 2, kEntries = 3, kQueries = 4 };

uint64_t StreamSeed(uint64_t seed, Stream stream, uint64_t index) { return Mix(Mix(seed * 0x100 + stream) ^ index); }

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0 (modulo bias below 2^-40 for our n).
  uint64_t Below(uint64_t n) { return Next() % n; }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

 private:
  uint64_t state_;
};

// ---------------------------------------------------------------------------
// Script conversion

const absl::flat_hash_map<absl::string_view, absl::string_view>& TraditionalTable() {
  static const auto* const kTable = [] {
    auto* table = new absl::flat_hash_map<absl::string_view, absl::string_view>();
    const std::vector<absl::string_view> chars = Chars(kTraditionalChars);
    for (size_t i = 0; i + 1 < chars.size(); i += 2) table->emplace(chars[i], chars[i + 1]);
    return table;
  }();
  return *kTable;
}

// Converts each convertible character with probability `p` (at least one if
// any is convertible). No phrase handling: this imitates mixed-script typing.
std::string PartlyTraditional(absl::string_view text, double p, Rng& rng) {
  const auto& table = TraditionalTable();
  std::vector<absl::string_view> chars = Chars(text);
  std::vector<size_t> convertible;
  for (size_t i = 0; i < chars.size(); ++i) {
    if (table.contains(chars[i])) convertible.push_back(i);
  }
  std::vector<bool> convert(chars.size(), false);
  bool any = false;
  for (size_t i : convertible) any |= (convert[i] = rng.Chance(p));
  if (!any && !convertible.empty()) convert[rng.Pick(convertible)] = true;
  std::string out;
  for (size_t i = 0; i < chars.size(); ++i) absl::StrAppend(&out, convert[i] ? table.at(chars[i]) : chars[i]);
  return out;
}

std::string TaiwanWords(absl::string_view text) {
  std::string out(text);
  for (const auto& [mainland, taiwan] : kTaiwanWords) out = absl::StrReplaceAll(out, {{mainland, taiwan}});
  return out;
}

// ---------------------------------------------------------------------------
// Composition

enum class Locale { kZhCn, kZhTw, kEn };

struct Combo {
  const Intent* intent;
  const Product* product;
  const Condition* condition;
  const Channel* channel;
  Locale locale;
};

// Intents that only make sense for some product groups (no warranty on
// nuts, no size exchange for a fridge); all others apply to every product.
constexpr std::pair<const char*, const char*> kIntentGroups[] = {
  {"保修", "数码|家电|个护"}, {"保修期", "数码|家电|个护"}, {"上门安装", "家电|家居|运动"},
  {"换尺码", "服饰"}, {"分期付款", "数码|家电|家居|运动"},
};

bool Applies(const Intent& intent, const Product& product) {
  for (const auto& [tag, groups] : kIntentGroups) {
    if (absl::string_view(intent.tag_zh) != tag) continue;
    for (const std::string& g : Alternatives(groups)) {
      if (g == product.group_zh) return true;
    }
    return false;
  }
  return true;
}

constexpr int64_t kIntentCount = std::size(kIntents);
constexpr int64_t kProductCount = std::size(kProducts);
constexpr int64_t kConditionCount = std::size(kConditions);
constexpr int64_t kChannelCount = std::size(kChannels);

Combo DecodeCombo(uint32_t code, uint64_t seed) {
  Combo c;
  uint64_t rest = code;
  c.intent = &kIntents[rest % kIntentCount];
  rest /= kIntentCount;
  c.product = &kProducts[rest % kProductCount];
  rest /= kProductCount;
  c.condition = &kConditions[rest % kConditionCount];
  rest /= kConditionCount;
  c.channel = &kChannels[rest % kChannelCount];
  Rng rng(StreamSeed(seed, kLocales, code));
  const uint64_t roll = rng.Below(100);
  c.locale = roll < 75 ? Locale::kZhCn : roll < 87 ? Locale::kZhTw : Locale::kEn;
  return c;
}

Slot SlotOf(absl::string_view text, std::string* name) {
  for (const auto& [slot_name, slot] : kSlotNames) {
    if (absl::StrContains(text, slot_name)) {
      *name = slot_name;
      return slot;
    }
  }
  return Slot::kNone;
}

enum class Order { kCanonical, kClauseAfter, kClauseBefore, kChannelAfter, kTopicFront };

// How one phrasing is composed. The default is the canonical question.
struct Style {
  int slot_word = 0;    // index into the slot's alternatives
  int product_name = 0; // 0 = the name, k = its k-th alias
  bool synonym = false; // swap one topic word for a synonym
  Order order = Order::kCanonical;
  int prefix = -1;      // filler before, index or -1
  int suffix = -1;      // filler after, index or -1
  bool mark = true;     // end with a question mark
  bool typo = false;
  bool script = false;  // zh-CN: some characters Traditional; zh-TW: typed in Simplified; en: lower case
};

// Replaces the slot of `templ` with its `index`-th word, returning the text
// and the word's suffix.
std::pair<std::string, std::string> FillSlot(absl::string_view templ, int index, bool english) {
  std::string name;
  const Slot slot = SlotOf(templ, &name);
  if (slot == Slot::kNone) return {std::string(templ), ""};
  const std::vector<SlotWord>& words = english ? EnSlotWords(slot) : ZhSlotWords(slot);
  const SlotWord& w = words[index % words.size()];
  return {absl::StrReplaceAll(templ, {{name, w.word}}), w.suffix};
}

size_t SlotWordCount(absl::string_view templ, bool english) {
  std::string name;
  const Slot slot = SlotOf(templ, &name);
  if (slot == Slot::kNone) return 1;
  return (english ? EnSlotWords(slot) : ZhSlotWords(slot)).size();
}

std::string ProductName(const Combo& c, int index, bool english) {
  const std::vector<std::string> aliases = Alternatives(english ? c.product->en_aliases : c.product->zh_aliases);
  if (index <= 0 || aliases.empty()) return english ? c.product->en : c.product->zh;
  return aliases[(index - 1) % aliases.size()];
}

using WordPairs = std::span<const std::pair<const char*, const char*>>;

// Swaps one word of `text` that has a synonym (whole words for English).
void SwapSynonym(std::string& text, bool english, Rng& rng) {
  std::vector<std::pair<size_t, std::pair<const char*, const char*>>> found;
  for (const auto& pair : english ? WordPairs(kEnSynonyms) : WordPairs(kZhSynonyms)) {
    const size_t at = english ? FindWord(text, pair.first) : text.find(pair.first);
    if (at != std::string::npos) found.push_back({at, pair});
  }
  if (found.empty()) return;
  const auto& [at, pair] = found[rng.Below(found.size())];
  text.replace(at, strlen(pair.first), rng.Pick(Alternatives(pair.second)));
}

void AddTypo(std::string& text, bool english, Rng& rng) {
  std::vector<std::pair<size_t, std::pair<const char*, const char*>>> found;
  for (const auto& pair : english ? WordPairs(kEnTypos) : WordPairs(kZhTypos)) {
    const size_t at = english ? FindWord(text, pair.first) : text.find(pair.first);
    if (at != std::string::npos) found.push_back({at, pair});
  }
  if (!found.empty()) {
    const auto& [at, pair] = found[rng.Below(found.size())];
    text.replace(at, strlen(pair.first), rng.Pick(Alternatives(pair.second)));
    return;
  }
  // No known typo applies: a doubled character (Chinese) or two swapped
  // letters inside a longer word (English).
  if (!english) {
    std::vector<absl::string_view> chars = Chars(text);
    std::vector<size_t> han;
    for (size_t i = 0; i < chars.size(); ++i) {
      if (IsHan(chars[i])) han.push_back(i);
    }
    if (han.empty()) return;
    const size_t i = rng.Pick(han);
    std::string out;
    for (size_t k = 0; k < chars.size(); ++k) {
      absl::StrAppend(&out, chars[k]);
      if (k == i) absl::StrAppend(&out, chars[k]);
    }
    text = std::move(out);
    return;
  }
  std::vector<size_t> positions;
  for (size_t i = 1; i + 2 < text.size(); ++i) {
    if (absl::ascii_islower(text[i]) && absl::ascii_islower(text[i + 1]) && absl::ascii_isalpha(text[i - 1]) &&
        absl::ascii_isalpha(text[i + 2]) && text[i] != text[i + 1]) {
      positions.push_back(i);
    }
  }
  if (positions.empty()) return;
  const size_t i = rng.Pick(positions);
  std::swap(text[i], text[i + 1]);
}

std::string ComposeZh(const Combo& c, const Style& s, Rng& rng) {
  auto [tail, slot_suffix] = FillSlot(c.intent->zh, s.slot_word, /*english=*/false);
  absl::StrAppend(&tail, slot_suffix);
  const std::string product = ProductName(c, s.product_name, false);
  const Condition& cond = *c.condition;
  const Channel& ch = *c.channel;
  std::string body;
  switch (s.order) {
    case Order::kClauseAfter:
      body = absl::StrCat(ch.zh_attr, product, tail, "，", cond.zh_clause);
      break;
    case Order::kClauseBefore:
      body = absl::StrCat(cond.zh_clause, "，", ch.zh_attr, product, tail);
      break;
    case Order::kChannelAfter:
      body = absl::StrCat(cond.zh_attr, product, tail, "，", ch.zh_clause);
      break;
    case Order::kTopicFront:
      body = absl::StrCat(ch.zh_attr, cond.zh_attr, product, "的话，", tail);
      break;
    case Order::kCanonical:
      body = absl::StrCat(ch.zh_attr, cond.zh_attr, product, tail);
      break;
  }
  if (s.synonym) SwapSynonym(body, false, rng);
  if (s.typo) AddTypo(body, false, rng);
  bool mark = s.mark;
  std::string text;
  if (s.prefix >= 0) absl::StrAppend(&text, kZhPrefixes[s.prefix % std::size(kZhPrefixes)]);
  absl::StrAppend(&text, body);
  if (s.suffix >= 0) {
    const Filler& f = kZhSuffixes[s.suffix % std::size(kZhSuffixes)];
    absl::StrAppend(&text, f.text);
    mark &= f.keeps_mark;
  }
  if (mark) absl::StrAppend(&text, "？");

  if (c.locale == Locale::kZhCn) return s.script ? PartlyTraditional(text, 0.5, rng) : text;
  if (!s.script) return ToTraditional(TaiwanWords(text));
  // A Taiwanese entry asked by someone typing Simplified, or mixing scripts.
  return rng.Chance(0.5) ? text : PartlyTraditional(TaiwanWords(text), 0.5, rng);
}

std::string ComposeEn(const Combo& c, const Style& s, Rng& rng) {
  const std::string product = ProductName(c, s.product_name, true);
  const Condition& cond = *c.condition;
  const Channel& ch = *c.channel;
  auto question = [&](bool with_condition) {
    return absl::StrReplaceAll(FillSlot(c.intent->en, s.slot_word, true).first,
                               {{"{p}", product}, {"{c}", with_condition ? cond.en_attr : ""}});
  };
  std::string body, tail;
  switch (s.order) {
    case Order::kClauseAfter:
      body = absl::StrCat(question(false), ch.en_suffix);
      tail = absl::StrCat(" ", cond.en_clause, ".");
      break;
    case Order::kClauseBefore:
      body = absl::StrCat(cond.en_clause, ", ", LowerFirst(question(false)), ch.en_suffix);
      break;
    case Order::kChannelAfter:
    case Order::kTopicFront:
      body = absl::StrCat(question(true), ch.en_suffix);
      break;
    case Order::kCanonical:
      body = ch.en_prefix[0] == '\0' ? question(true) : absl::StrCat(ch.en_prefix, LowerFirst(question(true)));
      break;
  }
  if (s.synonym) SwapSynonym(body, true, rng);
  if (s.typo) AddTypo(body, true, rng);
  bool mark = s.mark;
  std::string text;
  if (s.prefix >= 0) {
    absl::StrAppend(&text, kEnPrefixes[s.prefix % std::size(kEnPrefixes)], LowerFirst(body));
  } else {
    absl::StrAppend(&text, body);
  }
  if (s.suffix >= 0) {
    const Filler& f = kEnSuffixes[s.suffix % std::size(kEnSuffixes)];
    absl::StrAppend(&text, f.text);
    mark &= f.keeps_mark;
  }
  if (mark || !tail.empty()) absl::StrAppend(&text, "?");
  absl::StrAppend(&text, tail);
  if (s.script) {
    // Typed in a hurry: lower case, no question marks.
    text = absl::AsciiStrToLower(absl::StrReplaceAll(text, {{"?", ""}}));
  }
  return text;
}

std::string Compose(const Combo& c, const Style& s, Rng& rng) {
  return c.locale == Locale::kEn ? ComposeEn(c, s, rng) : ComposeZh(c, s, rng);
}

enum Op { kSynonymOp, kReorderOp, kFillerOp, kScriptOp, kTypoOp, kOpCount };

void ApplyOp(Op op, const Combo& c, Rng& rng, Style& s) {
  const bool english = c.locale == Locale::kEn;
  switch (op) {
    case kSynonymOp: {
      const size_t words = SlotWordCount(english ? c.intent->en : c.intent->zh, english);
      const size_t aliases = Alternatives(english ? c.product->en_aliases : c.product->zh_aliases).size();
      bool changed = false;
      if (words > 1 && rng.Chance(0.7)) {
        s.slot_word = 1 + static_cast<int>(rng.Below(words - 1));
        changed = true;
      }
      if (aliases > 0 && rng.Chance(0.5)) {
        s.product_name = 1 + static_cast<int>(rng.Below(aliases));
        changed = true;
      }
      if (!changed || rng.Chance(0.5)) s.synonym = true;
      break;
    }
    case kReorderOp: {
      std::vector<Order> orders;
      if (c.condition->zh_attr[0] != '\0') {
        orders.push_back(Order::kClauseAfter);
        orders.push_back(Order::kClauseBefore);
      }
      if (c.channel->zh_attr[0] != '\0') orders.push_back(Order::kChannelAfter);
      if (!english) orders.push_back(Order::kTopicFront);
      if (!orders.empty()) s.order = rng.Pick(orders);
      break;
    }
    case kFillerOp: {
      const size_t prefixes = english ? std::size(kEnPrefixes) : std::size(kZhPrefixes);
      const size_t suffixes = english ? std::size(kEnSuffixes) : std::size(kZhSuffixes);
      const uint64_t which = rng.Below(3);  // 0 prefix, 1 suffix, 2 both
      if (which != 1) s.prefix = static_cast<int>(rng.Below(prefixes));
      if (which != 0) s.suffix = static_cast<int>(rng.Below(suffixes));
      break;
    }
    case kScriptOp:
      s.script = true;
      break;
    case kTypoOp:
      s.typo = true;
      break;
    case kOpCount:
      break;
  }
}

// A paraphrase made by `primary` and, with probability `extra_chance`, one
// or two more operations.
std::string Paraphrase(const Combo& c, Op primary, double extra_chance, int max_extra, Rng& rng) {
  Style s;
  s.mark = rng.Chance(0.35);
  ApplyOp(primary, c, rng, s);
  for (int k = 0; k < max_extra && rng.Chance(extra_chance); ++k) {
    ApplyOp(static_cast<Op>(rng.Below(kOpCount)), c, rng, s);
  }
  return Compose(c, s, rng);
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string ComposeAnswer(const Combo& c, Rng& rng) {
  const bool english = c.locale == Locale::kEn;
  const std::string product = ProductName(c, 0, english);
  std::string base = absl::StrReplaceAll(english ? c.intent->en_answer : c.intent->zh_answer, {{"{p}", product}});
  if (english) base = UpperFirst(std::move(base));
  std::vector<std::string> optional;
  if (english) {
    if (c.condition->en_clause[0] != '\0') {
      optional.push_back(absl::StrCat("The same applies if ", LowerFirst(c.condition->en_clause), "."));
    }
    optional.push_back(kEnClosings[rng.Below(std::size(kEnClosings))]);
  } else {
    if (c.condition->zh_clause[0] != '\0') {
      optional.push_back(absl::StrCat("如果", c.condition->zh_clause, "，也按以上方式处理，特殊情况以客服核实为准。"));
    }
    if (c.channel->zh_name[0] != '\0') optional.push_back(absl::StrCat("在", c.channel->zh_name, "上的操作步骤相同。"));
    optional.push_back(kZhClosings[rng.Below(std::size(kZhClosings))]);
  }
  std::string answer = base;
  size_t length = CodePoints(answer);
  for (const std::string& sentence : optional) {
    const size_t extra = CodePoints(sentence) + (english ? 1 : 0);
    if (length + extra > 200) continue;
    absl::StrAppend(&answer, english ? " " : "", sentence);
    length += extra;
  }
  if (c.locale == Locale::kZhTw) return ToTraditional(TaiwanWords(answer));
  return answer;
}

}  // namespace

// ---------------------------------------------------------------------------
// Public API

std::string ToTraditional(absl::string_view simplified) {
  std::string text(simplified);
  for (const auto& [s, t] : kTraditionalPhrases) text = absl::StrReplaceAll(text, {{s, t}});
  const auto& table = TraditionalTable();
  std::string out;
  out.reserve(text.size());
  for (absl::string_view ch : Chars(text)) {
    auto it = table.find(ch);
    absl::StrAppend(&out, it == table.end() ? ch : it->second);
  }
  return out;
}

namespace {

// Every combination whose intent applies to its product, in code order.
const std::vector<uint32_t>& ValidCombos() {
  static const auto* const kCombos = [] {
    auto* combos = new std::vector<uint32_t>();
    const int64_t total = kIntentCount * kProductCount * kConditionCount * kChannelCount;
    for (int64_t code = 0; code < total; ++code) {
      const Intent& intent = kIntents[code % kIntentCount];
      const Product& product = kProducts[(code / kIntentCount) % kProductCount];
      if (Applies(intent, product)) combos->push_back(static_cast<uint32_t>(code));
    }
    return combos;
  }();
  return *kCombos;
}

}  // namespace

int64_t MaxSynthEntries() { return static_cast<int64_t>(ValidCombos().size()); }

absl::StatusOr<SynthKb> SynthKb::Create(const SynthKbOptions& options) {
  if (options.entries < 1 || options.entries > MaxSynthEntries()) {
    return absl::InvalidArgumentError(absl::StrCat("--entries is ", options.entries, "; it must be in 1..",
                                                   MaxSynthEntries(), " (distinct question combinations)"));
  }
  if (options.variants < 0 || options.variants > 20) {
    return absl::InvalidArgumentError(absl::StrCat("--variants is ", options.variants, "; it must be in 0..20"));
  }
  if (options.queries < 0) return absl::InvalidArgumentError("--queries must not be negative");
  if (!(options.out_of_scope_share >= 0 && options.out_of_scope_share <= 1)) {
    return absl::InvalidArgumentError("--out_of_scope_share must be in [0, 1]");
  }
  SynthKb kb(options);
  // A partial Fisher-Yates shuffle of all combinations: the first `entries`
  // are a uniform sample without repeats.
  std::vector<uint32_t> all = ValidCombos();
  Rng rng(StreamSeed(options.seed, kCombos, 0));
  for (int64_t i = 0; i < options.entries; ++i) {
    const uint64_t j = i + rng.Below(all.size() - i);
    std::swap(all[i], all[j]);
  }
  all.resize(options.entries);
  kb.combos_ = std::move(all);
  return kb;
}

Entry SynthKb::EntryAt(int64_t index) const {
  const Combo c = DecodeCombo(combos_[index], options_.seed);
  Rng rng(StreamSeed(options_.seed, kEntries, index));
  const bool english = c.locale == Locale::kEn;
  Entry e;
  e.id = absl::StrFormat("%s-%06d", c.intent->category, index + 1);
  e.question = Compose(c, Style{}, rng);
  std::vector<std::string> phrasings = {e.question};
  for (int k = 0; k < options_.variants; ++k) {
    const Op primary = static_cast<Op>(k % kOpCount);
    std::string variant;
    for (int attempt = 0; attempt < 200; ++attempt) {
      // Later attempts combine more operations: some combinations (an English
      // entry with no condition or channel to move) leave few paraphrases.
      variant = Paraphrase(c, attempt < 8 ? primary : static_cast<Op>(rng.Below(kOpCount)), 0.4, 1 + attempt / 8, rng);
      if (!Contains(phrasings, variant)) break;
    }
    // Unreachable in practice; keeps the "distinct variants" promise anyway.
    while (Contains(phrasings, variant)) absl::StrAppend(&variant, english ? "!" : "！");
    phrasings.push_back(variant);
    e.variants.push_back(std::move(variant));
  }
  e.answer = ComposeAnswer(c, rng);
  e.category = c.intent->category;
  if (english) {
    e.tags = {c.intent->tag_en, c.product->group_en};
    e.locale = "en";
  } else if (c.locale == Locale::kZhTw) {
    e.tags = {ToTraditional(c.intent->tag_zh), ToTraditional(c.product->group_zh)};
    e.locale = "zh-TW";
  } else {
    e.tags = {c.intent->tag_zh, c.product->group_zh};
    e.locale = "zh-CN";
  }
  return e;
}

EvalQuery SynthKb::QueryAt(int64_t index) const {
  Rng rng(StreamSeed(options_.seed, kQueries, index));
  EvalQuery q;
  if (rng.Chance(options_.out_of_scope_share)) {
    const bool english = rng.Chance(0.15);
    std::string text = english ? kOutOfScopeEn[rng.Below(std::size(kOutOfScopeEn))]
                               : kOutOfScopeZh[rng.Below(std::size(kOutOfScopeZh))];
    if (rng.Chance(0.5)) {
      text = english ? absl::StrCat(kEnPrefixes[rng.Below(std::size(kEnPrefixes))], text)
                     : absl::StrCat(kZhPrefixes[rng.Below(std::size(kZhPrefixes))], text);
    }
    if (!english && rng.Chance(0.15)) text = ToTraditional(text);
    q.query = std::move(text);
    return q;
  }
  int64_t entry_index = static_cast<int64_t>(rng.Below(size()));
  for (int tries = 0;; ++tries) {
    const Entry e = EntryAt(entry_index);
    const Combo c = DecodeCombo(combos_[entry_index], options_.seed);
    std::vector<std::string> stored = e.variants;
    stored.push_back(e.question);
    for (int attempt = 0; attempt < 50; ++attempt) {
      // Held out: at least two operations, so most are not one edit away from a variant.
      std::string text = Paraphrase(c, static_cast<Op>(rng.Below(kOpCount)), 1.0, 1 + (attempt % 3 == 2), rng);
      if (!Contains(stored, text)) {
        q.query = std::move(text);
        q.expected_id = e.id;
        return q;
      }
    }
    entry_index = (entry_index + 1) % size();  // this entry's paraphrases are used up
    if (tries > size()) break;
  }
  q.query = kOutOfScopeZh[0];
  return q;
}

std::string SynthEntryToJsonLine(const Entry& e) {
  nlohmann::ordered_json j;
  j["id"] = e.id;
  j["question"] = e.question;
  j["variants"] = e.variants;
  j["answer"] = e.answer;
  j["category"] = e.category;
  j["tags"] = e.tags;
  j["locale"] = e.locale;
  return j.dump();
}

std::string EvalQueryToJsonLine(const EvalQuery& q) {
  nlohmann::ordered_json j;
  j["query"] = q.query;
  j["expected_id"] = q.expected_id ? nlohmann::ordered_json(*q.expected_id) : nlohmann::ordered_json(nullptr);
  return j.dump();
}

namespace {

// Writes lines from `next` (which returns false when done) to PATH.partial,
// then renames it to PATH.
absl::Status WriteLines(const std::string& path, const std::function<bool(std::string&)>& next, int64_t* bytes) {
  const std::string partial = path + ".partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", partial));
  std::string line;
  int64_t written = 0;
  while (next(line)) {
    line.push_back('\n');
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
    written += static_cast<int64_t>(line.size());
  }
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat("writing ", partial, " failed (disk full?)"));
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat("cannot rename ", partial, " to ", path, ": ", ec.message()));
  if (bytes != nullptr) *bytes = written;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SynthKbStats> WriteSynthKb(const SynthKbOptions& options, const std::string& kb_path,
                                          const std::string& queries_path) {
  absl::StatusOr<SynthKb> kb = SynthKb::Create(options);
  if (!kb.ok()) return kb.status();
  SynthKbStats stats;
  absl::flat_hash_set<std::string> questions;
  questions.reserve(kb->size());
  std::string duplicate;
  int64_t next = 0;
  absl::Status written = WriteLines(
      kb_path,
      [&](std::string& line) {
        if (next >= kb->size() || !duplicate.empty()) return false;
        Entry e = kb->EntryAt(next++);
        if (!questions.insert(e.question).second) {
          duplicate = e.question;
          return false;
        }
        stats.variants += static_cast<int64_t>(e.variants.size());
        line = SynthEntryToJsonLine(e);
        return true;
      },
      &stats.kb_bytes);
  if (!written.ok()) return written;
  if (!duplicate.empty()) {
    std::filesystem::remove(kb_path);
    return absl::InternalError(absl::StrCat("two entries have the question \"", duplicate,
                                            "\"; the vocabularies in service/synth_kb.cc overlap"));
  }
  stats.entries = kb->size();
  if (!queries_path.empty()) {
    int64_t q = 0;
    absl::Status queries_written = WriteLines(
        queries_path,
        [&](std::string& line) {
          if (q >= options.queries) return false;
          const EvalQuery query = kb->QueryAt(q++);
          if (!query.expected_id) ++stats.out_of_scope;
          line = EvalQueryToJsonLine(query);
          return true;
        },
        nullptr);
    if (!queries_written.ok()) return queries_written;
    stats.queries = options.queries;
  }
  return stats;
}

std::vector<std::string> ChineseVocabularyForTest() {
  std::vector<std::string> out;
  auto add = [&out](const char* s) {
    if (s[0] != '\0') out.push_back(s);
  };
  auto add_alternatives = [&](const char* joined) {
    for (const std::string& a : Alternatives(joined)) out.push_back(a);
  };
  for (int slot = 1; slot <= static_cast<int>(Slot::kWhat); ++slot) {
    for (const SlotWord& w : ZhSlotWords(static_cast<Slot>(slot))) {
      add(w.word);
      add(w.suffix);
    }
  }
  for (const Intent& i : kIntents) {
    add(i.tag_zh);
    add(i.zh);
    add(i.zh_answer);
  }
  for (const Product& p : kProducts) {
    add(p.zh);
    add_alternatives(p.zh_aliases);
    add(p.group_zh);
  }
  for (const Condition& c : kConditions) {
    add(c.zh_attr);
    add(c.zh_clause);
  }
  for (const Channel& c : kChannels) {
    add(c.zh_attr);
    add(c.zh_clause);
    add(c.zh_name);
  }
  for (const char* s : kZhClosings) add(s);
  for (const char* s : kZhPrefixes) add(s);
  for (const Filler& f : kZhSuffixes) add(f.text);
  for (const auto& [w, alts] : kZhSynonyms) {
    add(w);
    add_alternatives(alts);
  }
  for (const auto& [w, alts] : kZhTypos) {
    add(w);
    add_alternatives(alts);
  }
  for (const auto& [w, tw] : kTaiwanWords) {
    add(w);
    add(tw);
  }
  for (const char* s : kOutOfScopeZh) add(s);
  out.push_back("如果，也按以上方式处理，特殊情况以客服核实为准。");
  out.push_back("在上的操作步骤相同。的话，");
  return out;
}

}  // namespace zhiku::synth
