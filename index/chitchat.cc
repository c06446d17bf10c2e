#include "index/chitchat.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace zhiku {
namespace {

// ---- The lexicon. Entries are in normalised form: lower case, Simplified
// Chinese, no punctuation (an apostrophe became a space: "what's" is
// "what s"), single spaces between words.
//
// Matching rules (see Classify below):
//  - An entry that ends in an ASCII letter or digit must end at a word
//    boundary: "hi" does not match the start of "high".
//  - An entry's final ASCII letter may repeat: "hiii", "okkk", "thanksss".
//  - Entries may follow each other with or without spaces, and repeat:
//    "你好在吗", "嗯嗯", "哈哈哈", "hi hi".
// Add an entry only if the phrase, alone, never asks something the knowledge
// base could answer; single characters are safe only because every other
// character of the message must be covered too.

// Greetings and "are you there?".
constexpr absl::string_view kGreetings[] = {
    "你好", "您好", "哈喽", "嗨", "嘿", "喂", "早", "早安", "早上好", "上午好", "中午好",
    "下午好", "晚上好", "在", "在吗", "在么", "在嘛", "在不在", "你在吗", "您在吗", "有人吗",
    "有人在吗", "有没有人", "打扰了", "打扰一下",
    "hello", "hi", "hey", "hiya", "howdy", "hallo", "greetings", "morning", "good morning",
    "good afternoon", "good evening", "hi there", "hello there", "hey there", "how are you",
    "whats up", "what s up", "anyone there", "anybody there", "is anyone there",
    "is anybody there", "are you there", "you there", "excuse me",
};

// Thanks, acknowledgements ("ok", "got it") and goodbyes: the user closes the
// topic. 88 and 886 are the usual Chinese digit puns for "bye bye".
constexpr absl::string_view kThanks[] = {
    "谢谢", "谢谢你", "谢谢您", "谢啦", "谢了", "多谢", "感谢", "感谢你", "感谢您", "非常感谢",
    "太感谢", "好", "好的", "好滴", "好哒", "好嘞", "好吧", "嗯", "恩", "行", "收到", "明白",
    "知道", "懂", "了解", "没事", "没问题", "不用", "再见", "拜拜", "拜", "晚安", "88", "886",
    "thanks", "thank you", "thank u", "thankyou", "thanx", "thx", "ty", "tks", "many thanks",
    "thanks a lot", "much appreciated", "appreciate it", "ok", "okay", "got it", "understood",
    "noted", "cool", "great", "no thanks", "no thank you", "bye", "bye bye", "goodbye",
    "see you", "see ya", "good night",
};

// Requests for a person. The verbs around them ("talk to", "我要") are
// fillers below, so "can i talk to a real person" is covered too.
constexpr absl::string_view kHumanRequests[] = {
    "人工", "人工客服", "人工服务", "人工坐席", "转人工", "找人工", "要人工", "真人", "找真人",
    "真人客服", "客服人员", "找客服", "转客服", "联系客服", "叫客服",
    "human", "humans", "human agent", "human being", "real human", "agent", "live agent",
    "person", "real person", "someone", "somebody", "operator", "representative",
    "customer service", "customer support",
};

// Forms of address. Next to other chit-chat they add nothing ("客服 你好");
// alone they call for attention like 在吗, so they rank as a greeting.
constexpr absl::string_view kNames[] = {
    "亲", "客服", "小姐姐", "小哥哥",
};

// Particles, politeness and request verbs that carry no question by
// themselves. Alone they are kNoContent.
constexpr absl::string_view kFillers[] = {
    "请", "请问", "麻烦", "麻烦你", "麻烦您", "拜托", "我要", "我想", "我想要", "我需要", "帮我",
    "给我", "一下", "啊", "呀", "哦", "噢", "喔", "吗", "么", "呢", "的", "吧", "嘛", "啦", "了",
    "哈", "呵", "嘻", "哎", "诶", "唉", "额", "呃",
    "please", "pls", "plz", "oh", "ah", "um", "uh", "hmm", "so", "very", "much", "just", "haha",
    "lol", "a", "an", "the", "i want", "i want to", "i need", "i need to", "i would like to",
    "i d like to", "can i", "could i", "may i", "can you", "could you", "let me", "get me",
    "talk to", "talk with", "speak to", "speak with", "connect me to", "connect me with",
    "transfer me to",
};

// A phrase's rank: when a message mixes kinds, the highest rank wins.
enum Rank : int8_t {
  kUnreachable = -1,
  kRankNoContent = 0,
  kRankGreeting = 1,
  kRankThanks = 2,
  kRankHuman = 3,
};

struct LexiconTable {
  std::span<const absl::string_view> phrases;
  Rank rank;
};

constexpr LexiconTable kLexicon[] = {
    {kGreetings, kRankGreeting}, {kThanks, kRankThanks},    {kHumanRequests, kRankHuman},
    {kNames, kRankGreeting},     {kFillers, kRankNoContent},
};

constexpr size_t kMaxBytes = 4096;

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlnum(char c) { return IsAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The length of a variation selector (U+FE00..U+FE0F, U+E0100..U+E01EF) at
// the start of `s`, else 0. Normalize() keeps them (they are marks) but drops
// or spaces the emoji they follow, so "❤️" arrives as a lone U+FE0F.
size_t VariationSelectorLength(absl::string_view s) {
  const auto byte = [&s](size_t i) { return static_cast<unsigned char>(s[i]); };
  if (s.size() >= 3 && byte(0) == 0xEF && byte(1) == 0xB8 && byte(2) >= 0x80 && byte(2) <= 0x8F) {
    return 3;
  }
  if (s.size() >= 4 && byte(0) == 0xF3 && byte(1) == 0xA0 && byte(2) >= 0x84 && byte(2) <= 0x87 &&
      byte(3) >= 0x80 && byte(3) <= 0xBF) {
    return 4;
  }
  return 0;
}

}  // namespace

// Dynamic programming over byte offsets: best[i] is the highest rank of any
// way to split text[0, i) into lexicon entries, digit runs, spaces and
// variation selectors, or kUnreachable. The message is chit-chat iff the end
// is reachable.
ChitchatKind ClassifyChitchat(absl::string_view text) {
  if (text.size() > kMaxBytes) return ChitchatKind::kNone;
  std::array<int8_t, kMaxBytes + 1> best;
  std::fill(best.begin(), best.begin() + text.size() + 1, kUnreachable);
  best[0] = kRankNoContent;
  size_t furthest = 0;
  const auto reach = [&](size_t end, int8_t rank) {
    best[end] = std::max(best[end], rank);
    furthest = std::max(furthest, end);
  };
  const auto at_word_end = [&text](size_t end) {
    return end == text.size() || !IsAsciiAlnum(text[end]);
  };

  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (pos > furthest) return ChitchatKind::kNone;  // nothing reaches past here
    const int8_t rank = best[pos];
    if (rank == kUnreachable) continue;
    const absl::string_view rest = text.substr(pos);
    if (rest[0] == ' ') {
      reach(pos + 1, rank);
      continue;
    }
    if (const size_t length = VariationSelectorLength(rest); length > 0) {
      reach(pos + length, rank);
      continue;
    }
    if (IsAsciiDigit(rest[0])) {
      size_t end = pos;
      while (end < text.size() && IsAsciiDigit(text[end])) ++end;
      if (at_word_end(end)) reach(end, rank);
    }
    for (const LexiconTable& table : kLexicon) {
      for (absl::string_view phrase : table.phrases) {
        if (!absl::StartsWith(rest, phrase)) continue;
        size_t end = pos + phrase.size();
        const char last = phrase.back();
        if (last >= 'a' && last <= 'z') {
          while (end < text.size() && text[end] == last) ++end;
        }
        if (IsAsciiAlnum(last) && !at_word_end(end)) continue;
        reach(end, std::max(rank, static_cast<int8_t>(table.rank)));
      }
    }
  }
  switch (best[text.size()]) {
    case kRankNoContent:
      return ChitchatKind::kNoContent;
    case kRankGreeting:
      return ChitchatKind::kGreeting;
    case kRankThanks:
      return ChitchatKind::kThanks;
    case kRankHuman:
      return ChitchatKind::kHumanRequest;
    default:
      return ChitchatKind::kNone;
  }
}

absl::string_view ChitchatKindName(ChitchatKind kind) {
  switch (kind) {
    case ChitchatKind::kNone:
      return "none";
    case ChitchatKind::kGreeting:
      return "greeting";
    case ChitchatKind::kThanks:
      return "thanks";
    case ChitchatKind::kHumanRequest:
      return "human_request";
    case ChitchatKind::kNoContent:
      return "no_content";
  }
  return "unknown";
}

}  // namespace zhiku
