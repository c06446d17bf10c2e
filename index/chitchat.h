// Chit-chat detection: messages a chatbot should not answer from the
// knowledge base (a greeting is not a question; searching for "谢谢" finds
// nonsense).
//
// ClassifyChitchat() works on normalised text (TextNormalizer::Normalize
// output: NFKC, case-folded, Traditional -> Simplified, punctuation and
// symbols -> spaces, whitespace collapsed), so 謝謝！ arrives as 谢谢, "Hello!!"
// as "hello" and a message of only emoji or punctuation as "".
//
// A message is chit-chat only if ALL of it is: it must split completely into
// phrases of a small built-in lexicon (greetings, thanks/goodbyes, requests
// for a human), fillers (请, 啊, 吗, 呢, please, ...), forms of address (亲,
// 客服), runs of digits and spaces. Any other word or character makes it a
// question: "你好 我想退货" and "thanks but my card was charged twice" are
// kNone. The lexicon and its rules are documented in chitchat.cc.
#ifndef ZHIKU_INDEX_CHITCHAT_H_
#define ZHIKU_INDEX_CHITCHAT_H_

#include "absl/strings/string_view.h"

namespace zhiku {

enum class ChitchatKind {
  kNone,          // not (only) chit-chat: search the knowledge base
  kGreeting,      // 你好, 在吗, hi there, good morning, 亲 (a form of address alone)
  kThanks,        // thanks, acknowledgements and goodbyes: 谢谢, 好的, 嗯, ok, bye
  kHumanRequest,  // asks for a person: 人工, 转人工, 找客服, human please, talk to someone
  kNoContent,     // nothing to search: empty (only emoji / punctuation), only
                  // digits (a bare order number), only fillers
};

// The kind of chit-chat `normalized` is, or kNone if any part of it is not
// chit-chat. A message mixing kinds gets the most actionable one:
// kHumanRequest over kThanks over kGreeting over kNoContent ("你好 转人工" is
// a human request, "好的 谢谢 再见" thanks). Digits and fillers alongside a
// phrase do not change its kind ("hi 12345" is a greeting).
//
// Expects valid UTF-8 from Normalize(); bytes of other text are simply not
// chit-chat. Messages longer than 4,096 bytes are kNone (the service rejects
// longer queries). Thread-safe; does not allocate; O(length * lexicon size).
ChitchatKind ClassifyChitchat(absl::string_view normalized);

// "none", "greeting", "thanks", "human_request" or "no_content", for logs and
// test output.
absl::string_view ChitchatKindName(ChitchatKind kind);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_CHITCHAT_H_
