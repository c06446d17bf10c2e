#include "ingest/chat_generator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "index/chat_message.h"
#include "index/text_normalizer.h"

namespace zhiku {
namespace {

// SplitMix64 (Steele, Lea & Flood 2014): small, fast, and the same on every
// platform, unlike the std:: distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64); }
  // Uniform in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo + 1)));
  }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }

 private:
  uint64_t state_;
};

// The seed of one of the generator's independent streams: hashed, so that
// neighbouring seeds do not give overlapping sequences.
uint64_t StreamSeed(uint64_t seed, int stream) {
  Rng mixer(seed);
  uint64_t value = 0;
  for (int i = 0; i < stream; ++i) value = mixer.Next();
  return value;
}

// ---------------------------------------------------------------------------
// UTF-8 (the sources passed the JSON parser, so their text is valid).

size_t CodePointLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

// Byte offsets of the code points of `text`, plus text.size() at the end.
void CodePointStarts(absl::string_view text, std::vector<size_t>* starts) {
  starts->clear();
  for (size_t i = 0; i < text.size(); i += CodePointLength(static_cast<unsigned char>(text[i]))) {
    starts->push_back(i);
  }
  starts->push_back(text.size());
}

bool HasHan(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t len = CodePointLength(c);
    if (len == 3 && i + 2 < text.size()) {
      const uint32_t cp = ((c & 0x0F) << 12) | ((static_cast<unsigned char>(text[i + 1]) & 0x3F) << 6) |
                          (static_cast<unsigned char>(text[i + 2]) & 0x3F);
      if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)) return true;
    }
    i += len;
  }
  return false;
}

// ---------------------------------------------------------------------------
// Fake values, for injected personal data and for the placeholders of
// anonymised logs ("[订单x]").

enum class Fake {
  kNone,  // a literal piece of text
  kNumber,
  kOrder,
  kMoney,
  kName,
  kDate,
  kTime,
  kStation,
  kLink,
  kAddress,
  kPhone,
  kOrganisation,
  kIdCard,
  kEmail,
};

struct PlaceholderName {
  const char* name;
  Fake fake;
};
constexpr PlaceholderName kPlaceholders[] = {{"数字", Fake::kNumber},
                                             {"订单", Fake::kOrder},
                                             {"金额", Fake::kMoney},
                                             {"姓名", Fake::kName},
                                             {"日期", Fake::kDate},
                                             {"时间", Fake::kTime},
                                             {"站点", Fake::kStation},
                                             {"链接", Fake::kLink},
                                             {"地址", Fake::kAddress},
                                             {"电话", Fake::kPhone},
                                             {"组织机构", Fake::kOrganisation},
                                             {"身份证号", Fake::kIdCard},
                                             {"邮箱", Fake::kEmail}};

void AppendDigits(Rng& rng, int count, std::string* out) {
  for (int i = 0; i < count; ++i) out->push_back(static_cast<char>('0' + rng.Below(10)));
}

void AppendFake(Fake fake, bool chinese, Rng& rng, std::string* out) {
  static const char* const kNames[] = {"张先生", "李女士", "王伟", "刘洋", "陈静", "小李", "赵女士"};
  static const char* const kStations[] = {"朝阳站", "浦东站", "天河站", "南山站", "江北站", "西湖站"};
  static const char* const kAddresses[] = {"北京市朝阳区光华路8号", "上海市浦东新区张杨路100号",
                                           "广州市天河区天河路55号", "深圳市南山区科苑路12号",
                                           "成都市武侯区人民南路4段3号"};
  static const char* const kOrganisations[] = {"某某物流", "城市快递", "东方电器售后中心", "华南仓"};
  static const char* const kMailUsers[] = {"zhang.wei", "lina",    "wangfang", "user", "liu.yang",
                                           "chen88",    "sarah.k", "mike.j",   "jdoe", "amy_w"};
  static const char* const kMailDomains[] = {"example.com", "example.net", "example.org", "mail.example.com"};
  switch (fake) {
    case Fake::kNone:
      return;
    case Fake::kNumber:
      absl::StrAppend(out, rng.Chance(0.8) ? rng.Between(1, 30) : rng.Between(31, 999));
      return;
    case Fake::kOrder:
      if (chinese || rng.Chance(0.5)) {
        AppendDigits(rng, rng.Chance(0.7) ? 12 : 11, out);
      } else {
        out->push_back(static_cast<char>('A' + rng.Below(26)));
        AppendDigits(rng, 9, out);
      }
      return;
    case Fake::kMoney:
      absl::StrAppend(out, rng.Between(5, 3000), rng.Chance(0.5) ? ".00" : "");
      return;
    case Fake::kName:
      out->append(rng.Pick(kNames));
      return;
    case Fake::kDate:
      if (rng.Chance(0.5)) {
        absl::StrAppend(out, rng.Between(1, 12), "月", rng.Between(1, 28), "日");
      } else {
        absl::StrAppend(out, "2026-", rng.Between(10, 12), "-", rng.Between(10, 28));
      }
      return;
    case Fake::kTime:
      absl::StrAppend(out, rng.Between(8, 21), ":", rng.Between(10, 59));
      return;
    case Fake::kStation:
      out->append(rng.Pick(kStations));
      return;
    case Fake::kLink:
      out->append("https://item.example.com/");
      AppendDigits(rng, 10, out);
      out->append(".html");
      return;
    case Fake::kAddress:
      out->append(rng.Pick(kAddresses));
      return;
    case Fake::kPhone:
      if (chinese) {
        static const char kSecond[] = {'3', '5', '7', '8', '9'};
        out->push_back('1');
        out->push_back(kSecond[rng.Below(5)]);
        AppendDigits(rng, 9, out);
      } else {
        absl::StrAppend(out, "(", rng.Between(201, 989), ") ");
        AppendDigits(rng, 3, out);
        out->push_back('-');
        AppendDigits(rng, 4, out);
      }
      return;
    case Fake::kOrganisation:
      out->append(rng.Pick(kOrganisations));
      return;
    case Fake::kIdCard:
      AppendDigits(rng, 6, out);
      absl::StrAppend(out, rng.Between(1960, 2005));
      AppendDigits(rng, 7, out);
      if (rng.Chance(0.1)) {
        out->back() = 'X';
      }
      return;
    case Fake::kEmail:
      absl::StrAppend(out, rng.Pick(kMailUsers), rng.Between(1, 9999), "@", rng.Pick(kMailDomains));
      return;
  }
}

// A text as literal pieces and placeholders.
struct Piece {
  std::string literal;
  Fake fake = Fake::kNone;
};
using Pieces = std::vector<Piece>;

Pieces SplitPlaceholders(absl::string_view text) {
  Pieces pieces;
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '[') {
      const size_t close = text.find("x]", i + 1);
      if (close != absl::string_view::npos && close - i <= 16) {
        const absl::string_view name = text.substr(i + 1, close - i - 1);
        const PlaceholderName* match = nullptr;
        for (const PlaceholderName& p : kPlaceholders) {
          if (name == p.name) match = &p;
        }
        if (match != nullptr) {
          if (!literal.empty()) pieces.push_back({std::move(literal), Fake::kNone});
          literal.clear();
          pieces.push_back({"", match->fake});
          i = close + 2;
          continue;
        }
      }
    }
    literal.push_back(text[i++]);
  }
  if (!literal.empty() || pieces.empty()) pieces.push_back({std::move(literal), Fake::kNone});
  return pieces;
}

void Render(const Pieces& pieces, bool chinese, Rng& rng, std::string* out) {
  for (const Piece& piece : pieces) {
    if (piece.fake == Fake::kNone) {
      out->append(piece.literal);
    } else {
      AppendFake(piece.fake, chinese, rng, out);
    }
  }
}

// ---------------------------------------------------------------------------
// Sources.

struct SourceMessage {
  ChatRole role = ChatRole::kCustomer;
  Pieces text;
  Pieces other_script;  // the text in the other Chinese script; empty if the same
};

struct SourceConversation {
  std::vector<SourceMessage> messages;
  bool chinese = false;
  int channel = -1;  // index into Sources::channels, -1 if the source had none
};

struct Sources {
  std::vector<SourceConversation> conversations;
  std::vector<std::string> channels;
};

absl::Status ReadSources(const std::vector<std::string>& paths, int max_turns, Sources* sources,
                         GeneratorReport* report) {
  absl::flat_hash_map<std::string, size_t> conversation_index;
  absl::flat_hash_map<std::string, int> channel_index;
  std::vector<SourceConversation> all;
  std::string line;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) return absl::NotFoundError(absl::StrCat("cannot open source log ", path));
    ++report->source_files;
    int64_t line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      ++report->source_lines;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) {
        ++report->source_skipped_lines;
        continue;
      }
      absl::StatusOr<ChatMessage> message = ChatMessageFromJsonLine(line);
      if (!message.ok() || message->text.empty()) {
        ++report->source_skipped_lines;
        continue;
      }
      ++report->source_messages;
      size_t index;
      if (message->conversation_id.empty()) {
        index = all.size();
        all.emplace_back();
      } else {
        auto [it, inserted] = conversation_index.try_emplace(message->conversation_id, all.size());
        if (inserted) all.emplace_back();
        index = it->second;
      }
      SourceConversation& conversation = all[index];
      if (conversation.channel < 0 && !message->channel.empty()) {
        auto [it, inserted] = channel_index.try_emplace(message->channel, sources->channels.size());
        if (inserted) sources->channels.push_back(message->channel);
        conversation.channel = it->second;
      }
      if (static_cast<int>(conversation.messages.size()) >= max_turns) continue;
      SourceMessage m;
      m.role = message->role;
      m.text = SplitPlaceholders(message->text);
      conversation.messages.push_back(std::move(m));
    }
    if (in.bad()) return absl::DataLossError(absl::StrCat("reading ", path, " failed after line ", line_number));
  }
  for (SourceConversation& conversation : all) {
    bool has_customer = false;
    for (const SourceMessage& m : conversation.messages) {
      if (m.role != ChatRole::kCustomer) continue;
      has_customer = true;
      for (const Piece& piece : m.text) conversation.chinese = conversation.chinese || HasHan(piece.literal);
    }
    if (has_customer) sources->conversations.push_back(std::move(conversation));
  }
  if (sources->conversations.empty()) {
    return absl::InvalidArgumentError(
        "the source logs hold no conversation with a customer message; give per-message chat-log JSONL files");
  }
  report->source_conversations = static_cast<int64_t>(sources->conversations.size());
  return absl::OkStatus();
}

// The other-script form of every Chinese customer text, placeholders kept.
void ConvertScripts(const TextNormalizer& normalizer, Sources* sources) {
  for (SourceConversation& conversation : sources->conversations) {
    if (!conversation.chinese) continue;
    for (SourceMessage& m : conversation.messages) {
      if (m.role != ChatRole::kCustomer) continue;
      Pieces converted = m.text;
      bool changed = false;
      for (Piece& piece : converted) {
        if (piece.fake != Fake::kNone || !HasHan(piece.literal)) continue;
        std::string other = normalizer.IsTraditional(piece.literal) ? normalizer.ToSimplified(piece.literal)
                                                                    : normalizer.ToTraditional(piece.literal);
        if (other != piece.literal) {
          piece.literal = std::move(other);
          changed = true;
        }
      }
      if (changed) m.other_script = std::move(converted);
    }
  }
}

// ---------------------------------------------------------------------------
// Chit-chat, in the language of the conversation. {o} is an order number.

struct Phrases {
  std::vector<std::string> greetings, greeting_replies, order_numbers, thanks, thanks_replies;
  std::vector<std::string> prefixes, suffixes, pii;  // perturbation material; {p} phone, {e} e-mail, {o} order
};

Phrases ChinesePhrases() {
  Phrases p;
  p.greetings = {"在吗", "在吗？", "你好", "您好", "你好，在吗", "有人吗", "客服在吗", "hello", "亲，在吗", "在不在"};
  p.greeting_replies = {"您好，请问有什么可以帮您？", "在的，亲，请问有什么可以帮您的呢？", "您好，很高兴为您服务",
                        "在的呢", "您好，我是客服小助手，请问您遇到什么问题了？"};
  p.order_numbers = {"订单号：{o}", "{o}", "订单号是{o}", "我的订单号{o}", "单号 {o}"};
  p.thanks = {"谢谢", "好的，谢谢", "好的谢谢", "谢谢啦", "嗯嗯 谢谢", "好的", "知道了，谢谢你", "ok"};
  p.thanks_replies = {"不客气，祝您生活愉快～", "不客气哦，还有其他可以帮您的吗？", "感谢您的耐心等待，再见",
                      "不客气，有问题随时联系我们"};
  p.prefixes = {"请问", "那个", "你好，", "麻烦问下", "亲，", "我想问一下", "您好，", "hi，", "问一下"};
  p.suffixes = {"呢", "啊", "呀", "？", "谢谢", "急", "在线等"};
  p.pii = {"我的手机号是{p}", "电话{p}", "联系电话：{p}", "邮箱 {e}", "订单号{o}", "我的邮箱是{e}", "手机 {p}"};
  return p;
}

Phrases EnglishPhrases() {
  Phrases p;
  p.greetings = {"hi", "hello", "hey there", "Hi, anyone there?", "hello?", "Good morning", "hey"};
  p.greeting_replies = {"Hi! How can I help you today?", "Hello, thanks for reaching out. What can I do for you?",
                        "Hi there, how can I help?"};
  p.order_numbers = {"order number {o}", "my order # is {o}", "{o}", "Order ID: {o}"};
  p.thanks = {"thanks", "thank you!", "ok thanks", "Thanks a lot", "great, thank you", "ok", "thx"};
  p.thanks_replies = {"You're welcome! Have a great day.", "Glad I could help!",
                      "Anytime. Is there anything else I can help with?"};
  p.prefixes = {"hi ", "hello, ", "please ", "hey ", "um ", "so ", "quick question: ", "Hi, "};
  p.suffixes = {" please", " thanks", " pls", "??", " asap", " thank you"};
  p.pii = {"my number is {p}", "call me at {p}", "email: {e}", "my email is {e}", "order #{o}", "reach me at {e}"};
  return p;
}

// Expands {p}, {e} and {o} in a template.
void AppendTemplate(absl::string_view t, bool chinese, Rng& rng, std::string* out) {
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '{' && i + 2 < t.size() && t[i + 2] == '}') {
      const char k = t[i + 1];
      AppendFake(k == 'p' ? Fake::kPhone : k == 'e' ? Fake::kEmail : Fake::kOrder, chinese, rng, out);
      i += 2;
    } else {
      out->push_back(t[i]);
    }
  }
}

// ---------------------------------------------------------------------------
// Perturbations of a customer text.

bool IsAsciiPunct(char c) { return c == '?' || c == '!' || c == '.' || c == ',' || c == '~'; }

// The last code point of `text` if it is sentence punctuation, else "".
absl::string_view TrailingPunct(absl::string_view text) {
  if (text.empty()) return {};
  if (IsAsciiPunct(text.back())) return text.substr(text.size() - 1);
  for (absl::string_view p : {"？", "！", "。", "～", "，"}) {
    if (text.size() >= p.size() && text.substr(text.size() - p.size()) == p) return text.substr(text.size() - p.size());
  }
  return {};
}

class Perturber {
 public:
  Perturber(Rng& rng) : rng_(rng) {}

  // One random edit of `text` in place; keeps valid UTF-8.
  void Edit(bool chinese, const Phrases& phrases, std::string* text) {
    switch (rng_.Below(chinese ? 6 : 7)) {
      case 0:
        DropOne(text);
        break;
      case 1:
        DoubleOne(text);
        break;
      case 2:
        SwapTwo(text);
        break;
      case 3:
        if (rng_.Chance(0.7)) {
          text->insert(0, rng_.Pick(phrases.prefixes));
        } else {
          text->append(rng_.Pick(phrases.suffixes));
        }
        break;
      case 4:
      case 5:
        Punctuate(chinese, text);
        break;
      case 6:
        ChangeCase(text);
        break;
    }
  }

 private:
  void DropOne(std::string* text) {
    CodePointStarts(*text, &starts_);
    const size_t n = starts_.size() - 1;
    if (n < 4) return;
    const size_t k = rng_.Below(n);
    text->erase(starts_[k], starts_[k + 1] - starts_[k]);
  }
  void DoubleOne(std::string* text) {
    CodePointStarts(*text, &starts_);
    const size_t n = starts_.size() - 1;
    if (n == 0) return;
    const size_t k = rng_.Below(n);
    if ((*text)[starts_[k]] == ' ') return;
    text->insert(starts_[k], text->substr(starts_[k], starts_[k + 1] - starts_[k]));
  }
  void SwapTwo(std::string* text) {
    CodePointStarts(*text, &starts_);
    const size_t n = starts_.size() - 1;
    if (n < 3) return;
    const size_t k = rng_.Below(n - 1);
    std::string swapped = text->substr(starts_[k + 1], starts_[k + 2] - starts_[k + 1]);
    swapped.append(*text, starts_[k], starts_[k + 1] - starts_[k]);
    text->replace(starts_[k], swapped.size(), swapped);
  }
  void Punctuate(bool chinese, std::string* text) {
    const absl::string_view last = TrailingPunct(*text);
    const uint64_t choice = rng_.Below(4);
    if (!last.empty() && choice == 0) {
      text->resize(text->size() - last.size());  // drop it
    } else if (!last.empty() && choice == 1) {
      const std::string copy(last);
      text->append(copy).append(copy);
    } else if (choice == 2) {
      // Full-width <-> ASCII question marks and commas throughout.
      std::string out;
      out.reserve(text->size() + 8);
      for (size_t i = 0; i < text->size(); ++i) {
        const absl::string_view rest = absl::string_view(*text).substr(i);
        if (rest.substr(0, 3) == "？") {
          out.push_back('?');
          i += 2;
        } else if (rest.substr(0, 3) == "，") {
          out.push_back(',');
          i += 2;
        } else if ((*text)[i] == '?' && chinese) {
          out.append("？");
        } else {
          out.push_back((*text)[i]);
        }
      }
      *text = std::move(out);
    } else {
      static const char* const kChinese[] = {"？", "?", "？？", "!", "。", "...", "~"};
      static const char* const kEnglish[] = {"?", "??", "!", ".", "...", " ?"};
      text->append(chinese ? rng_.Pick(kChinese) : rng_.Pick(kEnglish));
    }
  }
  void ChangeCase(std::string* text) {
    const uint64_t choice = rng_.Below(5);
    if (choice <= 2) {
      for (char& c : *text) c = static_cast<char>(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else if (choice == 3) {
      for (char& c : *text) c = static_cast<char>(absl::ascii_toupper(static_cast<unsigned char>(c)));
    } else if (!text->empty()) {
      char& c = (*text)[0];
      c = absl::ascii_isupper(static_cast<unsigned char>(c)) ? absl::ascii_tolower(static_cast<unsigned char>(c))
                                                             : absl::ascii_toupper(static_cast<unsigned char>(c));
    }
  }

  Rng& rng_;
  std::vector<size_t> starts_;
};

// ---------------------------------------------------------------------------
// Time.

// Civil date of a day count since 1970-01-01 (proleptic Gregorian), after
// the era-based method of H. Hinnant's "chrono-Compatible Low-Level Date
// Algorithms".
void CivilFromDays(int64_t days, int* year, int* month, int* day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = static_cast<int>(yoe + era * 400 + (*month <= 2 ? 1 : 0));
}

void AppendTwo(int v, std::string* out) {
  out->push_back(static_cast<char>('0' + v / 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

class TimestampFormatter {
 public:
  explicit TimestampFormatter(int offset_minutes) : offset_seconds_(int64_t{offset_minutes} * 60) {
    const int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    suffix_.push_back(offset_minutes < 0 ? '-' : '+');
    AppendTwo(a / 60, &suffix_);
    suffix_.push_back(':');
    AppendTwo(a % 60, &suffix_);
  }
  // Appends unix time `t` as local ISO 8601 with the offset.
  void Append(int64_t t, std::string* out) {
    const int64_t local = t + offset_seconds_;
    int64_t day = local / 86400, second = local % 86400;
    if (second < 0) {
      second += 86400;
      --day;
    }
    if (day != cached_day_) {
      int y, m, d;
      CivilFromDays(day, &y, &m, &d);
      date_ = absl::StrCat(y, "-");
      AppendTwo(m, &date_);
      date_.push_back('-');
      AppendTwo(d, &date_);
      date_.push_back('T');
      cached_day_ = day;
    }
    out->append(date_);
    AppendTwo(static_cast<int>(second / 3600), out);
    out->push_back(':');
    AppendTwo(static_cast<int>(second / 60 % 60), out);
    out->push_back(':');
    AppendTwo(static_cast<int>(second % 60), out);
    out->append(suffix_);
  }

 private:
  int64_t offset_seconds_;
  std::string suffix_;
  int64_t cached_day_ = INT64_MIN;
  std::string date_;
};

// Maps a share of the log, p in [0, 1), to seconds after the start so that
// traffic follows a daily rhythm in local time.
class Rhythm {
 public:
  Rhythm(int days, int64_t start_unix, int offset_minutes) {
    // Relative traffic by local hour: quiet at night, peaks mid-morning
    // and in the evening.
    static constexpr double kHourWeight[24] = {0.30, 0.18, 0.10, 0.07, 0.06, 0.08, 0.15, 0.35, 0.70, 0.95, 1.00, 1.00,
                                               0.85, 0.85, 0.95, 0.95, 0.90, 0.85, 0.85, 0.95, 1.00, 0.95, 0.75, 0.50};
    const int64_t local_start = start_unix + int64_t{offset_minutes} * 60;
    const int64_t first_hour = ((local_start % 86400) + 86400) % 86400 / 3600;
    double total = 0;
    cumulative_.push_back(0);
    for (int h = 0; h < days * 24; ++h) {
      total += kHourWeight[(first_hour + h) % 24];
      cumulative_.push_back(total);
    }
  }
  int64_t SecondsAt(double p) const {
    const double target = p * cumulative_.back();
    const size_t bin = std::upper_bound(cumulative_.begin(), cumulative_.end(), target) - cumulative_.begin() - 1;
    const size_t last = cumulative_.size() - 2;
    const size_t b = std::min(bin, last);
    const double within = (target - cumulative_[b]) / (cumulative_[b + 1] - cumulative_[b]);
    return static_cast<int64_t>(b) * 3600 + static_cast<int64_t>(std::clamp(within, 0.0, 0.9999) * 3600);
  }

 private:
  std::vector<double> cumulative_;
};

// ---------------------------------------------------------------------------
// Output.

void AppendJsonString(absl::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c >= 0x20) {
      out->push_back(ch);
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c == '\r') {
      out->append("\\r");
    } else {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
  out->push_back('"');
}

void AppendPadded(int64_t n, int width, std::string* out) {
  char digits[24];
  int len = 0;
  do {
    digits[len++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0);
  for (int i = len; i < width; ++i) out->push_back('0');
  while (len > 0) out->push_back(digits[--len]);
}

struct Planned {
  int64_t ts = 0;
  uint64_t seq = 0;  // plan order: breaks ties in time
  int64_t conversation = 0;
  int channel = 0;
  ChatRole role = ChatRole::kCustomer;
  uint8_t flags = 0;  // kPerturbed | kPii | kConverted | kChitchat
  std::string text;
  bool operator>(const Planned& o) const { return ts != o.ts ? ts > o.ts : seq > o.seq; }
};

constexpr uint8_t kPerturbed = 1, kPii = 2, kConverted = 4, kChitchat = 8;

enum class Dirt { kEmpty, kCut, kMissingField, kInvalidUtf8, kNotJson };

class Generator {
 public:
  Generator(const GeneratorOptions& options, const Sources& sources, GeneratorReport* report, std::ostream& out)
      : options_(options),
        sources_(sources),
        report_(report),
        out_(out),
        plan_rng_(StreamSeed(options.seed, 1)),
        text_rng_(StreamSeed(options.seed, 2)),
        dirt_rng_(StreamSeed(options.seed, 3)),
        perturber_(text_rng_),
        chinese_(ChinesePhrases()),
        english_(EnglishPhrases()),
        formatter_(options.utc_offset_minutes),
        rhythm_(options.days, absl::ToUnixSeconds(options.start), options.utc_offset_minutes),
        start_unix_(absl::ToUnixSeconds(options.start)) {
    // Zipf weights over a seeded shuffle of the source conversations.
    const size_t n = sources.conversations.size();
    by_rank_.resize(n);
    for (size_t i = 0; i < n; ++i) by_rank_[i] = i;
    for (size_t i = n; i > 1; --i) std::swap(by_rank_[i - 1], by_rank_[plan_rng_.Below(i)]);
    cumulative_.resize(n);
    double total = 0;
    for (size_t r = 0; r < n; ++r) {
      total += std::pow(static_cast<double>(r + 1), -options.zipf_exponent);
      cumulative_[r] = total;
    }
    report_->source_uses.assign(n, 0);
    for (const std::string& c : sources.channels) channels_.push_back(c);
    default_channels_chinese_ = {Channel("app"), Channel("web"), Channel("wechat"), Channel("app")};
    default_channels_english_ = {Channel("web"), Channel("email"), Channel("twitter"), Channel("app")};
    buffer_.reserve(kFlushBytes + 4096);
  }

  void SetConverter(const TextNormalizer* normalizer) {
    if (normalizer == nullptr) return;
    for (std::vector<std::string>* list : {&chinese_.greetings, &chinese_.order_numbers, &chinese_.thanks}) {
      std::vector<std::string>& other = other_script_[list];
      for (const std::string& s : *list) other.push_back(normalizer->ToTraditional(s));
    }
  }

  absl::Status Run() {
    int64_t planned = 0;
    while (planned < options_.messages) {
      const double p = (static_cast<double>(planned) + plan_rng_.Unit() * 0.999) / options_.messages;
      const int64_t start = start_unix_ + rhythm_.SecondsAt(p);
      const int64_t count = PlanConversation(start, options_.messages - planned);
      planned += count;
      if (options_.time_ordered) {
        while (!pending_.empty() && pending_.top().ts <= start) {
          Emit(pending_.top());
          pending_.pop();
        }
      }
      if (!status_.ok()) return status_;
    }
    while (!pending_.empty()) {
      Emit(pending_.top());
      pending_.pop();
    }
    Flush();
    if (report_->messages > 0) {
      formatter_.Append(first_ts_, &report_->first_ts);
      formatter_.Append(last_ts_, &report_->last_ts);
    }
    return status_;
  }

 private:
  static constexpr size_t kFlushBytes = 1 << 20;

  int Channel(const std::string& name) {
    for (size_t i = 0; i < channels_.size(); ++i) {
      if (channels_[i] == name) return static_cast<int>(i);
    }
    channels_.push_back(name);
    return static_cast<int>(channels_.size() - 1);
  }

  size_t DrawSource() {
    const double u = plan_rng_.Unit() * cumulative_.back();
    size_t r = std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin();
    r = std::min(r, cumulative_.size() - 1);
    return by_rank_[r];
  }

  const std::string& PickPhrase(const std::vector<std::string>& list, bool other_script) {
    if (other_script) {
      auto it = other_script_.find(&list);
      if (it != other_script_.end()) return it->second[plan_rng_.Below(it->second.size())];
    }
    return list[plan_rng_.Below(list.size())];
  }

  // Plans one conversation starting at `start` with at most `limit`
  // messages; returns how many it has.
  int64_t PlanConversation(int64_t start, int64_t limit) {
    const int64_t conversation = next_conversation_++;
    const size_t first = DrawSource();
    ++report_->source_uses[first];
    const SourceConversation& source = sources_.conversations[first];
    const bool chinese = source.chinese;
    const Phrases& phrases = chinese ? chinese_ : english_;
    const bool other_script = chinese && !other_script_.empty() && plan_rng_.Chance(options_.traditional_share);
    const int channel = source.channel >= 0 ? source.channel
                                            : (chinese ? plan_rng_.Pick(default_channels_chinese_)
                                                       : plan_rng_.Pick(default_channels_english_));
    std::vector<Planned> messages;
    int64_t ts = start;
    ChatRole previous = ChatRole::kCustomer;
    auto add = [&](ChatRole role, std::string text, uint8_t flags) {
      if (static_cast<int64_t>(messages.size()) >= limit) return;
      if (!messages.empty()) {
        ts += role == previous              ? plan_rng_.Between(3, 30)
              : role == ChatRole::kCustomer ? plan_rng_.Between(5, 60)
                                            : plan_rng_.Between(8, 90);
      }
      previous = role;
      Planned m;
      m.ts = ts;
      m.seq = next_seq_++;
      m.conversation = conversation;
      m.channel = channel;
      m.role = role;
      m.flags = flags;
      m.text = std::move(text);
      messages.push_back(std::move(m));
    };
    auto add_phrase = [&](ChatRole role, const std::vector<std::string>& list) {
      std::string text;
      AppendTemplate(PickPhrase(list, other_script && role == ChatRole::kCustomer), chinese, text_rng_, &text);
      add(role, std::move(text), kChitchat);
    };

    if (plan_rng_.Chance(options_.greeting_share)) {
      add_phrase(ChatRole::kCustomer, phrases.greetings);
      if (plan_rng_.Chance(0.7)) add_phrase(ChatRole::kAgent, phrases.greeting_replies);
    }
    AddSource(source, chinese, other_script, phrases, add, add_phrase);
    if (plan_rng_.Chance(options_.second_question_share)) {
      for (int attempt = 0; attempt < 4; ++attempt) {
        const size_t next = DrawSource();
        if (sources_.conversations[next].chinese == chinese) {
          ++report_->source_uses[next];
          AddSource(sources_.conversations[next], chinese, other_script, phrases, add, add_phrase);
          break;
        }
      }
    }
    if (plan_rng_.Chance(options_.thanks_share)) {
      add_phrase(ChatRole::kCustomer, phrases.thanks);
      if (plan_rng_.Chance(0.5)) add_phrase(ChatRole::kAgent, phrases.thanks_replies);
    }
    const int64_t count = static_cast<int64_t>(messages.size());
    for (Planned& m : messages) {
      if (options_.time_ordered) {
        pending_.push(std::move(m));
      } else {
        Emit(m);
      }
    }
    return count;
  }

  template <typename Add, typename AddPhrase>
  void AddSource(const SourceConversation& source, bool chinese, bool other_script, const Phrases& phrases, Add& add,
                 AddPhrase& add_phrase) {
    bool order_sent = false;
    bool agent_seen = false;
    for (const SourceMessage& m : source.messages) {
      if (agent_seen && !order_sent && m.role == ChatRole::kCustomer) {
        order_sent = true;
        if (plan_rng_.Chance(options_.order_number_share)) add_phrase(ChatRole::kCustomer, phrases.order_numbers);
      }
      std::string text;
      if (m.role != ChatRole::kCustomer) {
        Render(m.text, chinese, text_rng_, &text);
        if (m.role == ChatRole::kAgent) agent_seen = true;
        add(m.role, std::move(text), 0);
        continue;
      }
      const bool convert = other_script && !m.other_script.empty() && plan_rng_.Chance(0.85);
      Render(convert ? m.other_script : m.text, chinese, text_rng_, &text);
      const uint8_t flags = Decorate(chinese, phrases, convert, &text);
      add(m.role, std::move(text), flags);
    }
  }

  // Perturbations, personal data and noise for one customer text; returns
  // what was done, for the report.
  uint8_t Decorate(bool chinese, const Phrases& phrases, bool converted, std::string* text) {
    uint8_t flags = converted ? kConverted : 0;
    if (text_rng_.Chance(options_.perturb_share)) {
      flags |= kPerturbed;
      const double r = text_rng_.Unit();
      const int edits = 1 + (r < 0.3) + (r < 0.1);
      for (int i = 0; i < edits; ++i) perturber_.Edit(chinese, phrases, text);
    }
    if (text_rng_.Chance(options_.pii_share)) {
      flags |= kPii;
      std::string pii;
      AppendTemplate(text_rng_.Pick(phrases.pii), chinese, text_rng_, &pii);
      if (text_rng_.Chance(0.8)) {
        text->append(chinese ? "，" : ", ").append(pii);
      } else {
        text->insert(0, pii + (chinese ? "，" : ". "));
      }
    }
    if (text_rng_.Chance(options_.noise_share)) {
      static const char* const kEmoji[] = {" 😊", "🙏", " 👍", "😭", "😡", " 🤔", "[微笑]"};
      switch (text_rng_.Below(4)) {
        case 0:
        case 1:
          text->append(text_rng_.Pick(kEmoji));
          break;
        case 2: {
          static const char* const kHtml[] = {"<br>", "&nbsp;", "<br/>"};
          if (text_rng_.Chance(0.5)) {
            *text = absl::StrCat("<p>", *text, "</p>");
          } else {
            text->append(text_rng_.Pick(kHtml));
          }
          break;
        }
        default:
          text->append(" https://shop.example.com/item/");
          AppendDigits(text_rng_, 8, text);
          break;
      }
    }
    return flags;
  }

  void Emit(const Planned& m) {
    if (!status_.ok()) return;
    const int64_t message_number = ++report_->lines;
    line_.clear();
    const bool dirty = options_.dirty_share > 0 && dirt_rng_.Chance(options_.dirty_share);
    if (!dirty) {
      AppendMessage(m, message_number, /*skip_field=*/nullptr, &line_);
      ++report_->messages;
      switch (m.role) {
        case ChatRole::kCustomer:
          ++report_->customer_messages;
          break;
        case ChatRole::kAgent:
          ++report_->agent_messages;
          break;
        default:
          ++report_->other_messages;
      }
      if (m.flags & kPerturbed) ++report_->perturbed_messages;
      if (m.flags & kPii) ++report_->pii_messages;
      if (m.flags & kConverted) ++report_->script_converted_messages;
      if (m.flags & kChitchat) ++report_->chitchat_messages;
      if (report_->messages == 1) first_ts_ = m.ts;
      last_ts_ = m.ts;
    } else {
      ++report_->dirty_lines;
      AppendDirty(m, message_number);
    }
    if (m.conversation >= conversations_seen_) {
      conversations_seen_ = m.conversation + 1;
      report_->conversations = conversations_seen_;
    }
    line_.push_back('\n');
    buffer_.append(line_);
    if (buffer_.size() >= kFlushBytes) Flush();
  }

  void AppendMessage(const Planned& m, int64_t message_number, const char* skip_field, std::string* out) {
    out->append("{\"conversation_id\":\"");
    AppendId(m.conversation + 1, 'c', out);
    out->append("\",\"message_id\":\"");
    AppendId(message_number, 'm', out);
    out->push_back('"');
    if (skip_field == nullptr || std::strcmp(skip_field, "role") != 0) {
      absl::StrAppend(out, ",\"role\":\"", ChatRoleName(m.role), "\"");
    }
    if (skip_field == nullptr || std::strcmp(skip_field, "text") != 0) {
      out->append(",\"text\":");
      AppendJsonString(m.text, out);
    }
    out->append(",\"ts\":\"");
    formatter_.Append(m.ts, out);
    out->append("\",\"channel\":");
    AppendJsonString(channels_[m.channel], out);
    out->push_back('}');
  }

  void AppendId(int64_t n, char kind, std::string* out) {
    AppendJsonEscapedPrefix(out);
    out->push_back('-');
    out->push_back(kind);
    AppendPadded(n, kind == 'c' ? 7 : 9, out);
  }

  void AppendJsonEscapedPrefix(std::string* out) {
    if (escaped_prefix_.empty()) {
      AppendJsonString(options_.id_prefix, &escaped_prefix_);
      escaped_prefix_ = escaped_prefix_.substr(1, escaped_prefix_.size() - 2);
    }
    out->append(escaped_prefix_);
  }

  void AppendDirty(const Planned& m, int64_t message_number) {
    switch (static_cast<Dirt>(dirt_rng_.Below(5))) {
      case Dirt::kEmpty:
        if (dirt_rng_.Chance(0.3)) line_.append("   ");
        break;
      case Dirt::kCut: {
        AppendMessage(m, message_number, nullptr, &line_);
        // Any proper prefix of an object misses its closing brace.
        line_.resize(1 + dirt_rng_.Below(line_.size() - 1));
        break;
      }
      case Dirt::kMissingField:
        AppendMessage(m, message_number, dirt_rng_.Chance(0.5) ? "role" : "text", &line_);
        break;
      case Dirt::kInvalidUtf8: {
        Planned broken = m;
        static const char* const kBad[] = {"\xFF", "\xC3\x28", "\xE6\x9C", "\x80"};
        std::vector<size_t> starts;
        CodePointStarts(broken.text, &starts);
        broken.text.insert(starts[dirt_rng_.Below(starts.size())], dirt_rng_.Pick(kBad));
        AppendMessage(broken, message_number, nullptr, &line_);
        break;
      }
      case Dirt::kNotJson: {
        static const char* const kJunk[] = {
            "conversation_id,message_id,role,text",      "--- export part 2 ---", "null", "[]",
            "<html><body>502 Bad Gateway</body></html>", "\"just a string\"",     "}{"};
        line_.append(dirt_rng_.Pick(kJunk));
        break;
      }
    }
  }

  void Flush() {
    if (buffer_.empty() || !status_.ok()) return;
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
    if (!out_.good()) status_ = absl::UnavailableError("writing the generated log failed (is the disk full?)");
  }

  const GeneratorOptions& options_;
  const Sources& sources_;
  GeneratorReport* report_;
  std::ostream& out_;
  Rng plan_rng_;  // what is said and when
  Rng text_rng_;  // how it is written
  Rng dirt_rng_;  // which lines break
  Perturber perturber_;
  Phrases chinese_, english_;
  absl::flat_hash_map<const std::vector<std::string>*, std::vector<std::string>> other_script_;
  TimestampFormatter formatter_;
  Rhythm rhythm_;
  int64_t start_unix_;
  std::vector<size_t> by_rank_;
  std::vector<double> cumulative_;
  std::vector<std::string> channels_;
  std::vector<int> default_channels_chinese_, default_channels_english_;
  std::priority_queue<Planned, std::vector<Planned>, std::greater<Planned>> pending_;
  int64_t first_ts_ = 0, last_ts_ = 0;
  int64_t next_conversation_ = 0;
  int64_t conversations_seen_ = 0;
  uint64_t next_seq_ = 0;
  std::string escaped_prefix_;
  std::string line_;
  std::string buffer_;
  absl::Status status_;
};

absl::Status ValidateOptions(const GeneratorOptions& o) {
  auto share = [](const char* name, double v) -> absl::Status {
    if (!(v >= 0 && v <= 1)) return absl::InvalidArgumentError(absl::StrCat(name, " is ", v, "; it must be in [0, 1]"));
    return absl::OkStatus();
  };
  if (o.messages < 0) return absl::InvalidArgumentError(absl::StrCat("messages is ", o.messages, "; it must be >= 0"));
  if (o.days < 1 || o.days > 3650) {
    return absl::InvalidArgumentError(absl::StrCat("days is ", o.days, "; it must be 1..3650"));
  }
  if (o.utc_offset_minutes < -1440 || o.utc_offset_minutes > 1440) {
    return absl::InvalidArgumentError(
        absl::StrCat("utc_offset_minutes is ", o.utc_offset_minutes, "; it must be -1440..1440"));
  }
  if (!(o.dirty_share >= 0 && o.dirty_share < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("dirty_share is ", o.dirty_share, "; it must be in [0, 1)"));
  }
  if (!(o.zipf_exponent >= 0 && o.zipf_exponent <= 4)) {
    return absl::InvalidArgumentError(absl::StrCat("zipf_exponent is ", o.zipf_exponent, "; it must be in [0, 4]"));
  }
  if (o.max_source_turns < 1) {
    return absl::InvalidArgumentError(absl::StrCat("max_source_turns is ", o.max_source_turns, "; it must be >= 1"));
  }
  if (o.id_prefix.empty()) return absl::InvalidArgumentError("id_prefix is empty");
  const std::pair<const char*, double> shares[] = {
      {"perturb_share", o.perturb_share},   {"pii_share", o.pii_share},
      {"noise_share", o.noise_share},       {"traditional_share", o.traditional_share},
      {"greeting_share", o.greeting_share}, {"order_number_share", o.order_number_share},
      {"thanks_share", o.thanks_share},     {"second_question_share", o.second_question_share},
  };
  for (const auto& [name, value] : shares) {
    if (absl::Status s = share(name, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GeneratorReport> GenerateChatLog(const std::vector<std::string>& source_paths,
                                                const GeneratorOptions& options, std::ostream& out) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (source_paths.empty())
    return absl::InvalidArgumentError("no source logs given; name at least one chat-log JSONL file");
  GeneratorReport report;
  Sources sources;
  if (absl::Status s = ReadSources(source_paths, options.max_source_turns, &sources, &report); !s.ok()) return s;
  std::unique_ptr<TextNormalizer> normalizer;
  if (options.traditional_share > 0) {
    absl::StatusOr<std::unique_ptr<TextNormalizer>> created = TextNormalizer::Create(options.opencc_dir);
    if (!created.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "Traditional Chinese needs OpenCC: ", created.status().message(), "; or set traditional_share to 0"));
    }
    normalizer = *std::move(created);
    ConvertScripts(*normalizer, &sources);
  }
  Generator generator(options, sources, &report, out);
  generator.SetConverter(normalizer.get());
  if (absl::Status s = generator.Run(); !s.ok()) return s;
  return report;
}

}  // namespace zhiku
