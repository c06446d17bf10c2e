#include "index/text_normalizer.h"

#include <opencc/Config.hpp>
#include <opencc/Conversion.hpp>
#include <opencc/ConversionChain.hpp>
#include <opencc/Converter.hpp>
#include <opencc/Dict.hpp>
#include <opencc/DictGroup.hpp>
#include <opencc/DictEntry.hpp>
#include <opencc/Exception.hpp>
#include <opencc/Lexicon.hpp>
#include <utf8proc.h>

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <list>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace zhiku {
namespace {

// NFKC + full case folding. IGNORE also strips default-ignorable code points
// (zero-width joiners and spaces, variation selectors, soft hyphens), so they
// join rather than split the text around them.
constexpr utf8proc_option_t kNfkcCasefold = static_cast<utf8proc_option_t>(
    UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
    UTF8PROC_IGNORE);

// Above this many code points a thread's decomposition buffer is released
// after use instead of being kept for the next call.
constexpr size_t kMaxRetainedBuffer = size_t{1} << 16;

const uint8_t* Bytes(absl::string_view text) {
  return reinterpret_cast<const uint8_t*>(text.data());
}

// Decodes the code point at text[pos]. Returns its length in bytes, or -1 if
// the bytes there are not valid UTF-8.
ptrdiff_t DecodeAt(absl::string_view text, size_t pos, int32_t* c) {
  const auto byte = static_cast<unsigned char>(text[pos]);
  if (byte < 0x80) {
    *c = byte;
    return 1;
  }
  const utf8proc_ssize_t len = utf8proc_iterate(
      Bytes(text) + pos, static_cast<utf8proc_ssize_t>(text.size() - pos), c);
  return len > 0 ? len : -1;
}

void AppendUtf8(int32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
    return;
  }
  uint8_t bytes[4];
  const utf8proc_ssize_t len = utf8proc_encode_char(c, bytes);
  out->append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(len));
}

bool IsAscii(absl::string_view text) {
  unsigned char any = 0;
  for (const char ch : text) any |= static_cast<unsigned char>(ch);
  return any < 0x80;
}

// What becomes of one code point of NFKC-casefolded text.
enum class CharClass : uint8_t { kKeep, kSpace, kDrop };

constexpr std::array<CharClass, 128> MakeAsciiClasses() {
  std::array<CharClass, 128> classes{};
  for (int c = 0; c < 128; ++c) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                       (c >= 'A' && c <= 'Z');
    const bool space = c == ' ' || (c >= '\t' && c <= '\r');
    if (alnum) {
      classes[c] = CharClass::kKeep;
    } else if (space || (c > ' ' && c < 0x7f)) {
      classes[c] = CharClass::kSpace;  // whitespace, punctuation, symbols
    } else {
      classes[c] = CharClass::kDrop;  // other control characters
    }
  }
  return classes;
}
constexpr std::array<CharClass, 128> kAsciiClasses = MakeAsciiClasses();

CharClass Classify(int32_t c) {
  if (c < 0x80) return kAsciiClasses[c];
  switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK:
    case UTF8PROC_CATEGORY_SO:
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    // Enclosing marks (keycaps, circles) and private-use glyphs (icon fonts)
    // are symbols in practice.
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CO:
      return CharClass::kSpace;
    case UTF8PROC_CATEGORY_CC:
      return c == 0x85 ? CharClass::kSpace : CharClass::kDrop;  // NEL
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
      return CharClass::kDrop;
    default:
      return CharClass::kKeep;
  }
}

// Appends text, turning runs of separators into one space and never starting
// with one; TrailingSpace() decides whether a pending separator is written
// at the end.
class SpaceCollapsingWriter {
 public:
  explicit SpaceCollapsingWriter(std::string* out) : out_(out) {}

  void Separator() { pending_space_ = true; }

  void CodePoint(int32_t c) {
    FlushSpace();
    AppendUtf8(c, out_);
  }

  void Text(const std::string& text) {
    FlushSpace();
    out_->append(text);
  }

  void Byte(char c) {
    FlushSpace();
    out_->push_back(c);
  }

  void TrailingSpace() {
    if (pending_space_ && (out_->empty() || out_->back() != ' ')) {
      out_->push_back(' ');
    }
    pending_space_ = false;
  }

 private:
  void FlushSpace() {
    if (pending_space_ && !out_->empty() && out_->back() != ' ') {
      out_->push_back(' ');
    }
    pending_space_ = false;
  }

  std::string* out_;
  bool pending_space_ = false;
};

// Runs before decomposition: control and format characters become U+200B, a
// default-ignorable code point that UTF8PROC_IGNORE then strips. Dropping them
// only after composition would leave marks they separated uncomposed and
// unordered, and Normalize would not be idempotent ("ß\x01\u0301").
utf8proc_int32_t HideControls(utf8proc_int32_t c, void* /*unused*/) {
  constexpr utf8proc_int32_t kZeroWidthSpace = 0x200B;
  if (c < 0x80) return kAsciiClasses[c] == CharClass::kDrop ? kZeroWidthSpace : c;
  if (c == 0x85) return c;  // NEL, a line break
  const utf8proc_category_t category = utf8proc_category(c);
  return category == UTF8PROC_CATEGORY_CC || category == UTF8PROC_CATEGORY_CF ? kZeroWidthSpace
                                                                              : c;
}

// `text` without its invalid UTF-8 bytes.
std::string DropInvalidUtf8(absl::string_view text) {
  std::string valid;
  valid.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    int32_t c;
    const ptrdiff_t len = DecodeAt(text, pos, &c);
    if (len < 0) {
      ++pos;
      continue;
    }
    valid.append(text.data() + pos, static_cast<size_t>(len));
    pos += static_cast<size_t>(len);
  }
  return valid;
}

// NFKC-casefolds `text` into `buffer` (reused across calls, so a thread pays
// for the allocation once) and returns the number of code points written.
// Invalid UTF-8 bytes and control and format characters are dropped.
size_t NfkcCasefold(absl::string_view text, std::vector<utf8proc_int32_t>* buffer) {
  std::string valid;  // only filled if `text` is not valid UTF-8
  // Every code point takes at least one byte and few decompose into more
  // than one, so this nearly always suffices; if not, utf8proc returns the
  // size it needs and we retry.
  if (buffer->size() < text.size() + 16) buffer->resize(text.size() + 16);
  utf8proc_ssize_t n = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    n = utf8proc_decompose_custom(
        Bytes(text), static_cast<utf8proc_ssize_t>(text.size()), buffer->data(),
        static_cast<utf8proc_ssize_t>(buffer->size()), kNfkcCasefold, HideControls, nullptr);
    if (n == UTF8PROC_ERROR_INVALIDUTF8 && valid.empty()) {
      valid = DropInvalidUtf8(text);
      text = valid;
      continue;
    }
    if (n < 0) return 0;  // not reachable for valid input and these options
    if (static_cast<size_t>(n) <= buffer->size()) break;
    buffer->resize(static_cast<size_t>(n));
  }
  if (n < 0 || static_cast<size_t>(n) > buffer->size()) return 0;
  n = utf8proc_normalize_utf32(buffer->data(), n, kNfkcCasefold);
  return n < 0 ? 0 : static_cast<size_t>(n);
}

// The dictionaries behind `dict`: itself, or the members of a group. Reading
// their lexicons directly avoids DictGroup::GetLexicon, which copies and sorts
// every entry (half of the load time for s2t).
void CollectDicts(const opencc::DictPtr& dict, std::vector<opencc::DictPtr>* dicts) {
  if (const auto group = std::dynamic_pointer_cast<opencc::DictGroup>(dict)) {
    for (const opencc::DictPtr& member : group->GetDicts()) CollectDicts(member, dicts);
  } else {
    dicts->push_back(dict);
  }
}

std::vector<int32_t> CodePoints(absl::string_view text) {
  std::vector<int32_t> code_points;
  for (size_t pos = 0; pos < text.size();) {
    int32_t c;
    const ptrdiff_t len = DecodeAt(text, pos, &c);
    if (len < 0) {
      ++pos;
      continue;
    }
    code_points.push_back(c);
    pos += static_cast<size_t>(len);
  }
  return code_points;
}

// One OpenCC conversion (t2s or s2t) plus two tables computed from its
// dictionaries at load time:
//
//  * triggers: code points such that text containing none of them is left
//    unchanged by the conversion. Calling OpenCC costs about 3 us even for
//    ASCII input, which would dominate Normalize; with the triggers, English
//    and most Simplified text skip it. Any change needs some dictionary entry
//    whose value differs from its key to match a substring of the text, so a
//    set holding one code point of every such key is enough. Single-character
//    keys contribute themselves; phrases not already covered (回覆 -> 回复,
//    where 覆 alone stays 覆) are covered greedily, most-shared code point
//    first, which keeps the set small.
//  * char_table (optional): what each character converts to on its own.
//
// OpenCC's Converter::Convert is const and keeps no state between calls:
// segments are built per call and MarisaDict lookups use a marisa::Agent on
// the stack (checked in OpenCC 1.1.5's source and disassembly; marisa tries
// are safe to search concurrently with one agent per search). So a single
// converter is shared by all threads without a lock, and the concurrency test
// in text_normalizer_test.cc exercises it.
class ScriptConverter {
 public:
  static absl::StatusOr<std::unique_ptr<ScriptConverter>> Load(
      const std::string& config_file, bool with_char_table);

  bool IsTrigger(int32_t c) const {
    if (c < 0x10000) return bmp_triggers_.test(static_cast<size_t>(c));
    return other_triggers_.contains(c);
  }

  // The conversion of `c` on its own, or nullptr if it is unchanged (or the
  // table was not built).
  const std::string* ConvertChar(int32_t c) const {
    if (!IsTrigger(c)) return nullptr;
    const auto it = char_table_.find(c);
    return it == char_table_.end() ? nullptr : &it->second;
  }

  // Converts valid UTF-8 without NUL bytes. Returns false and leaves `text`
  // alone if the conversion cannot change it.
  bool ConvertValid(std::string* text) const {
    if (!MayChange(*text)) return false;
    try {
      *text = converter_->Convert(*text);
      return true;
    } catch (const opencc::Exception&) {
      // Not expected for valid UTF-8; leaving the text unconverted is
      // better than failing a search.
      return false;
    } catch (const std::exception&) {
      return false;
    }
  }

  // Converts arbitrary bytes: invalid UTF-8 and NUL bytes (which OpenCC would
  // treat as the end of its input) are copied unchanged.
  std::string Convert(absl::string_view text) const {
    std::string out;
    out.reserve(text.size());
    size_t run_begin = 0;
    const auto flush_run = [&](size_t end) {
      const absl::string_view run = text.substr(run_begin, end - run_begin);
      if (!MayChange(run)) {
        out.append(run.data(), run.size());
        return;
      }
      std::string converted(run);
      ConvertValid(&converted);
      out.append(converted);
    };
    for (size_t pos = 0; pos < text.size();) {
      int32_t c;
      const ptrdiff_t len = DecodeAt(text, pos, &c);
      if (len < 0 || c == 0) {
        flush_run(pos);
        out.push_back(text[pos]);
        run_begin = ++pos;
        continue;
      }
      pos += static_cast<size_t>(len);
    }
    flush_run(text.size());
    return out;
  }

  bool MayChange(absl::string_view text) const {
    for (size_t pos = 0; pos < text.size();) {
      if (static_cast<unsigned char>(text[pos]) < 0x80) {
        ++pos;
        continue;
      }
      int32_t c;
      const ptrdiff_t len = DecodeAt(text, pos, &c);
      if (len < 0) {
        ++pos;
        continue;
      }
      if (IsTrigger(c)) return true;
      pos += static_cast<size_t>(len);
    }
    return false;
  }

 private:
  ScriptConverter() = default;

  void AddTrigger(int32_t c) {
    if (c < 0x10000) {
      bmp_triggers_.set(static_cast<size_t>(c));
    } else {
      other_triggers_.insert(c);
    }
  }

  void CoverPhrases(std::vector<std::vector<int32_t>> phrases);

  // Constant after Load.
  opencc::ConverterPtr converter_;
  std::bitset<0x10000> bmp_triggers_;
  absl::flat_hash_set<int32_t> other_triggers_;
  absl::flat_hash_map<int32_t, std::string> char_table_;
};

absl::StatusOr<std::unique_ptr<ScriptConverter>> ScriptConverter::Load(
    const std::string& config_file, bool with_char_table) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(config_file, error)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "OpenCC configuration ", config_file,
        " not found; install libopencc-data or pass the directory holding "
        "t2s.json and s2tw.json"));
  }
  auto converter = absl::WrapUnique(new ScriptConverter());
  try {
    opencc::Config config;
    converter->converter_ = config.NewFromFile(config_file);
    std::vector<std::vector<int32_t>> phrases;  // multi-character keys that change
    std::vector<int32_t> chars;                 // single-character keys
    std::vector<opencc::DictPtr> dicts;
    for (const opencc::ConversionPtr& conversion :
         converter->converter_->GetConversionChain()->GetConversions()) {
      CollectDicts(conversion->GetDict(), &dicts);
    }
    for (const opencc::DictPtr& dict : dicts) {
      const opencc::LexiconPtr lexicon = dict->GetLexicon();
      for (const std::unique_ptr<opencc::DictEntry>& entry : *lexicon) {
        const std::string key = entry->Key();
        std::vector<int32_t> code_points = CodePoints(key);
        const bool changes = entry->GetDefault() != key;
        if (code_points.size() == 1) {
          chars.push_back(code_points[0]);
          if (changes) converter->AddTrigger(code_points[0]);
        } else if (changes && !code_points.empty()) {
          phrases.push_back(std::move(code_points));
        }
      }
    }
    converter->CoverPhrases(std::move(phrases));
    if (with_char_table) {
      std::string text;
      for (const int32_t c : chars) {
        text.clear();
        AppendUtf8(c, &text);
        std::string converted = converter->converter_->Convert(text);
        if (converted != text) {
          converter->AddTrigger(c);
          converter->char_table_.insert_or_assign(c, std::move(converted));
        }
      }
    }
  } catch (const opencc::Exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load OpenCC configuration ", config_file, ": ",
                     e.what(), "; reinstall libopencc-data"));
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load OpenCC configuration ", config_file, ": ",
                     e.what()));
  }
  return converter;
}

void ScriptConverter::CoverPhrases(std::vector<std::vector<int32_t>> phrases) {
  const auto covered = [this](const std::vector<int32_t>& phrase) {
    for (const int32_t c : phrase) {
      if (IsTrigger(c)) return true;
    }
    return false;
  };
  std::erase_if(phrases, covered);
  while (!phrases.empty()) {
    absl::flat_hash_map<int32_t, int> counts;
    for (const std::vector<int32_t>& phrase : phrases) {
      absl::flat_hash_set<int32_t> seen(phrase.begin(), phrase.end());
      for (const int32_t c : seen) ++counts[c];
    }
    int32_t best = 0;
    int best_count = 0;
    for (const auto& [c, count] : counts) {
      if (count > best_count || (count == best_count && c < best)) {
        best = c;
        best_count = count;
      }
    }
    AddTrigger(best);
    std::erase_if(phrases, covered);
  }
}

}  // namespace

struct TextNormalizer::Impl {
  std::unique_ptr<ScriptConverter> t2s;
  std::unique_ptr<ScriptConverter> s2t;
};

TextNormalizer::TextNormalizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TextNormalizer::~TextNormalizer() = default;

absl::StatusOr<std::unique_ptr<TextNormalizer>> TextNormalizer::Create(
    const std::string& opencc_dir) {
  auto impl = std::make_unique<Impl>();
  absl::StatusOr<std::unique_ptr<ScriptConverter>> t2s =
      ScriptConverter::Load(opencc_dir + "/t2s.json", /*with_char_table=*/true);
  if (!t2s.ok()) return t2s.status();
  absl::StatusOr<std::unique_ptr<ScriptConverter>> s2t =
      ScriptConverter::Load(opencc_dir + "/s2tw.json", /*with_char_table=*/false);
  if (!s2t.ok()) return s2t.status();
  impl->t2s = std::move(t2s).value();
  impl->s2t = std::move(s2t).value();
  return absl::WrapUnique(new TextNormalizer(std::move(impl)));
}

std::string TextNormalizer::Normalize(absl::string_view text) const {
  std::string out;
  out.reserve(text.size());
  SpaceCollapsingWriter writer(&out);
  if (IsAscii(text)) {
    // No ASCII character decomposes, composes or converts: skip utf8proc and
    // OpenCC.
    for (const char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      switch (kAsciiClasses[c]) {
        case CharClass::kKeep:
          writer.Byte(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
          break;
        case CharClass::kSpace:
          writer.Separator();
          break;
        case CharClass::kDrop:
          break;
      }
    }
    return out;
  }

  thread_local std::vector<utf8proc_int32_t> buffer;
  const size_t n = NfkcCasefold(text, &buffer);
  bool may_convert = false;
  for (size_t i = 0; i < n; ++i) {
    const int32_t c = buffer[i];
    switch (Classify(c)) {
      case CharClass::kKeep:
        may_convert = may_convert || impl_->t2s->IsTrigger(c);
        writer.CodePoint(c);
        break;
      case CharClass::kSpace:
        writer.Separator();
        break;
      case CharClass::kDrop:
        break;
    }
  }
  if (buffer.size() > kMaxRetainedBuffer) std::vector<utf8proc_int32_t>().swap(buffer);
  if (may_convert) impl_->t2s->ConvertValid(&out);
  return out;
}

std::vector<NormalizedChar> TextNormalizer::NormalizeChars(absl::string_view text) const {
  std::vector<NormalizedChar> chars;
  size_t code_points = 0;
  for (const char ch : text) code_points += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  chars.reserve(code_points);

  thread_local std::vector<utf8proc_int32_t> buffer;
  size_t pos = 0;
  while (pos < text.size()) {
    int32_t c;
    const ptrdiff_t len = DecodeAt(text, pos, &c);
    if (len < 0) {
      chars.push_back({pos, pos + 1, ""});
      ++pos;
      continue;
    }
    // Combining marks that follow are normalised together with this code
    // point so that NFKC can compose them (e + U+0301 -> é); they then map
    // to "" themselves.
    const size_t char_end = pos + static_cast<size_t>(len);
    size_t cluster_end = char_end;
    while (cluster_end < text.size() &&
           static_cast<unsigned char>(text[cluster_end]) >= 0x80) {
      int32_t mark;
      const ptrdiff_t mark_len = DecodeAt(text, cluster_end, &mark);
      if (mark_len < 0 || utf8proc_get_property(mark)->combining_class == 0) break;
      cluster_end += static_cast<size_t>(mark_len);
    }

    NormalizedChar normalized{pos, char_end, {}};
    SpaceCollapsingWriter writer(&normalized.normalized);
    if (c < 0x80 && cluster_end == char_end) {
      switch (kAsciiClasses[c]) {
        case CharClass::kKeep:
          writer.Byte(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
          break;
        case CharClass::kSpace:
          normalized.normalized = " ";
          break;
        case CharClass::kDrop:
          break;
      }
    } else {
      const size_t n = NfkcCasefold(text.substr(pos, cluster_end - pos), &buffer);
      for (size_t i = 0; i < n; ++i) {
        const int32_t folded = buffer[i];
        switch (Classify(folded)) {
          case CharClass::kKeep:
            if (const std::string* simplified = impl_->t2s->ConvertChar(folded)) {
              writer.Text(*simplified);
            } else {
              writer.CodePoint(folded);
            }
            break;
          case CharClass::kSpace:
            // Kept at the edges too: "㈱" is " 株 ", which must not form a
            // bigram with its neighbours.
            if (normalized.normalized.empty()) {
              normalized.normalized = " ";
            } else {
              writer.Separator();
            }
            break;
          case CharClass::kDrop:
            break;
        }
      }
      writer.TrailingSpace();
    }
    chars.push_back(std::move(normalized));

    for (size_t mark_pos = char_end; mark_pos < cluster_end;) {
      int32_t mark;
      const auto mark_len = static_cast<size_t>(DecodeAt(text, mark_pos, &mark));
      chars.push_back({mark_pos, mark_pos + mark_len, ""});
      mark_pos += mark_len;
    }
    pos = cluster_end;
  }
  if (buffer.size() > kMaxRetainedBuffer) std::vector<utf8proc_int32_t>().swap(buffer);
  return chars;
}

bool TextNormalizer::IsTraditional(absl::string_view text) const {
  if (!impl_->t2s->MayChange(text)) return false;
  return impl_->t2s->Convert(text) != text;
}

std::string TextNormalizer::ToTraditional(absl::string_view text) const {
  return impl_->s2t->Convert(text);
}

std::string TextNormalizer::ToSimplified(absl::string_view text) const {
  return impl_->t2s->Convert(text);
}

}  // namespace zhiku
