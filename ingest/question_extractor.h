// Question extraction, the second stage of FAQ mining: from one customer
// message, the sentences worth clustering into FAQ drafts, and why the rest
// was dropped. The intended order is
//   CleanChatText(raw) -> PiiMasker::Mask -> QuestionExtractor::Extract.
//
// How Extract decides, step by step:
//
// 1. Sentences. The text is split after 。！？!?；; and the ellipses … and
//    ……, after a line break, and after "..." or a '.' that is followed by
//    white space, unless the word before the '.' is an abbreviation (e.g.,
//    i.e., etc., vs., Mr., Dr., No., a.m., a single capital letter) — so
//    "3.5", "e.g. this" and "www.x.com" stay whole. Runs of terminators and
//    closing quotes or brackets after them stay with their sentence.
//
// 2. Units. Each sentence is read as a sequence of units:
//      - phrases of the drop lexicons (below), longest match first: English
//        by whole words, case-insensitively (up to four words: "thank you so
//        much"); Chinese by characters, Simplified and Traditional listed
//        alike (谢谢/謝謝, 转人工/轉人工);
//      - filler: words that carry no topic by themselves (English pronouns,
//        auxiliaries, articles and prepositions: i, you, the, to, is, did …;
//        Chinese particles and pronouns: 的 了 吗 呢 啊 吧 我 你 您 这 那 请 一下 …);
//      - placeholders: [ORDER], [订单号] and every PiiMasker placeholder,
//        upper-case ASCII in brackets, and "[<Chinese>x]" / "[<Chinese>N]"
//        as anonymised datasets write them ([订单x] [数字x] [姓名x]);
//      - stickers: emoji (and their joiners, variation selectors and skin
//        tones), media markers [表情] [图片] [語音] [sticker] [image] …, other
//        bracketed 1-4 Chinese characters (chat-app emoji codes like [微笑]
//        [捂脸]), and ASCII emoticons :) :-( :D ^_^ T_T <3;
//      - placeholder words: 订单号 单号 手机号 地址 金额 "order number" "tracking
//        number" "phone" …: content, except in a sentence whose only other
//        items are placeholders or numbers ("订单号：[订单号]");
//      - numbers (digit runs, ASCII or full-width), punctuation and spaces;
//      - content: every other English word and every other Han, kana or
//        hangul character.
//
// 3. Politeness around content. While the sentence has content, leading
//    units of the greeting, thanks, acknowledgement, human-request and
//    goodbye lexicons are removed with the punctuation, spaces and
//    particles after them; the next unit must be separated by punctuation
//    or a space, except after the greetings 你好/您好/在吗 and their
//    variants, which Chinese writers run straight into the question
//    ("您好请问…"). So "你好，我的快递到哪了" -> "我的快递到哪了", "hi there, my
//    card was declined" -> "my card was declined", "谢谢，那发票怎么开？" ->
//    "那发票怎么开？", while "行李箱坏了" keeps its 行. A human request may be
//    led in by fillers ("我要转人工 申请价保" -> "申请价保"). The same phrases
//    after a separator at the end go the same way ("…到哪了，谢谢" ->
//    "…到哪了"; 谢谢 may also follow the content directly). A leading
//    segment of placeholders, numbers and placeholder words that a space or
//    punctuation separates from the content goes too ("[订单号] 怎么还没发货"
//    -> "怎么还没发货"; "[订单号]怎么还没发货" stays whole). 请问 ("may I ask")
//    is kept: it marks a question. Nothing is removed from the middle.
//
// 4. The verdict, in this order:
//      - content units present: kept if there are at least two Han/kana/
//        hangul content characters, or two content words, or one content
//        word of three or more letters, or one of each; otherwise kTooShort.
//        So 退款, 发票, "refund" and "invoice" are kept (agents type such
//        keywords into the search box, and customers send them alone),
//        while 退, "ok?" style fragments and "I did." are too short;
//      - else placeholders with placeholder words ("我的手机号是[手机号]"):
//        kPlaceholderOnly;
//      - else a lexicon phrase present: the reason of the highest-priority
//        lexicon among them: human request > thanks > goodbye >
//        vague follow-up > acknowledgement > greeting > interjection
//        ("好的谢谢" is kThanks, "ok bye" kGoodbye);
//      - else placeholders, or a bare number of six or more digits:
//        kPlaceholderOnly;
//      - else stickers: kSticker;
//      - else fillers: kTooShort ("我的呢", "is it");
//      - else (punctuation and short numbers): kNoContent.
//    A kept sentence equal to one kept earlier in the same message is
//    kDuplicate. Customers' statements of a problem are kept without a
//    question mark: "I still have not received my new card" and
//    "快递三天了还没到" are exactly what FAQs answer.
//
// Lexicons (each also in Traditional where it differs):
//   greeting       你好 您好 在吗 在不在 有人吗 亲 早上好 哈喽 嗨 hi hello hey
//                  good morning, hi there …
//   thanks         谢谢 感谢 多谢 谢啦 thx thanks "thank you" ty "much appreciated" …
//   acknowledgement 好的 好 嗯 哦 收到 明白了 知道了 行 可以 是的 对 没事了 不用了
//                  算了 稍等 不好意思 抱歉 ok okay yes yeah sure "got it" "i see"
//                  sorry …
//   human request  人工 转人工 人工客服 真人 找客服 联系客服 agent human
//                  representative "real person" "live agent" "customer service" …
//                  (with fillers: "我要转人工", "can I talk to a real person")
//   goodbye        再见 拜拜 结束对话 bye goodbye "see you" "have a nice day" …
//   vague follow-up 为什么 怎么办 然后呢 真的吗 什么意思 why how what help "any update" …
//                  (questions that mean nothing without the conversation)
//   interjection   哈哈 呵呵 嘿嘿 lol omg wtf hmm ugh …
#ifndef ZHIKU_INGEST_QUESTION_EXTRACTOR_H_
#define ZHIKU_INGEST_QUESTION_EXTRACTOR_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace zhiku {

// Prepares raw chat text for masking and extraction:
//   - HTML tags (<b>, </p>, <br/>, <a href=...>) are removed; <br>, <p>,
//     <div>, <li> and <tr> become line breaks. A '<' not followed by a
//     letter, '/' or '!' is text ("a < b", "<3").
//   - Entities are decoded: &amp; &lt; &gt; &quot; &#39; &apos; &nbsp; and
//     numeric &#NNN; / &#xHH; (invalid code points are left as written).
//   - Leading @mentions ("@AppleSupport @Delta hi") and trailing ones are
//     removed; mentions inside the text stay.
//   - A trailing signature of initials ("^AB", "^Jen", " -JK", " *TS") is removed.
//   - Zero-width characters are removed; runs of white space (incl. U+00A0
//     and U+3000) become one space, or one line break if they held one;
//     the result is trimmed.
// Emoji and everything else are kept. Invalid UTF-8 bytes are copied as
// they are. Never fails; thread-safe.
std::string CleanChatText(absl::string_view text);

enum class DropReason {
  kGreeting = 0,      // 你好, 在吗, hi
  kThanks,            // 谢谢, thank you
  kAcknowledgement,   // 好的, 嗯, ok, 收到
  kHumanRequest,      // 转人工, agent please
  kGoodbye,           // 再见, bye
  kVagueFollowUp,     // 为什么, 怎么办, why?  (needs the conversation to mean anything)
  kInterjection,      // 哈哈, lol, hmm
  kPlaceholderOnly,   // [订单号], a bare order number, [姓名x]
  kSticker,           // emoji only, [表情], [图片], :)
  kTooShort,          // one Chinese character, a short word, fillers only
  kNoContent,         // punctuation or short numbers only, or an empty message
  kDuplicate,         // the same sentence again in one message
};
inline constexpr int kDropReasonCount = 12;

// A stable snake_case name for reports and JSON: "greeting", "thanks",
// "acknowledgement", "human_request", "goodbye", "vague_follow_up",
// "interjection", "placeholder_only", "sticker", "too_short", "no_content",
// "duplicate".
absl::string_view DropReasonName(DropReason reason);

struct Extraction {
  // Sentences to cluster, in message order, trimmed, with their own
  // punctuation and with politeness around them removed (step 3).
  std::vector<std::string> questions;
  // One reason per dropped sentence, in message order. Politeness removed
  // from a kept sentence is not listed. An empty or blank message gives
  // {kNoContent}.
  std::vector<DropReason> dropped;
};

// Stateless apart from its lexicons, which are built once per process;
// Extract may be called concurrently from any number of threads.
class QuestionExtractor {
 public:
  QuestionExtractor();

  // `text` should have been through CleanChatText and PiiMasker::Mask.
  // Any byte string is accepted (invalid UTF-8 bytes count as punctuation).
  // Time is linear in the length of `text`.
  Extraction Extract(absl::string_view text) const;
};

}  // namespace zhiku

#endif  // ZHIKU_INGEST_QUESTION_EXTRACTOR_H_
