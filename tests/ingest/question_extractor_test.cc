#include "ingest/question_extractor.h"

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/pii_masker.h"

namespace zhiku {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr DropReason kGreeting = DropReason::kGreeting;
constexpr DropReason kThanks = DropReason::kThanks;
constexpr DropReason kAck = DropReason::kAcknowledgement;
constexpr DropReason kHuman = DropReason::kHumanRequest;
constexpr DropReason kBye = DropReason::kGoodbye;
constexpr DropReason kVague = DropReason::kVagueFollowUp;
constexpr DropReason kInterjection = DropReason::kInterjection;
constexpr DropReason kPlaceholder = DropReason::kPlaceholderOnly;
constexpr DropReason kSticker = DropReason::kSticker;
constexpr DropReason kShort = DropReason::kTooShort;
constexpr DropReason kNoContent = DropReason::kNoContent;
constexpr DropReason kDuplicate = DropReason::kDuplicate;

struct Case {
  const char* text;  // as it comes out of CleanChatText and PiiMasker
  std::vector<std::string> questions;
  std::vector<DropReason> dropped;
};

std::string Describe(const std::vector<DropReason>& reasons) {
  std::string out;
  for (DropReason r : reasons) out += std::string(DropReasonName(r)) + " ";
  return out;
}

// The labelled table: what a person reviewing FAQ drafts would want kept.
const std::vector<Case>& Table() {
  static const auto* kCases = new std::vector<Case>{
      // --- Simplified Chinese: questions and problem statements --------------
      {"你好，我的快递到哪了", {"我的快递到哪了"}, {}},
      {"您好请问发票怎么开", {"请问发票怎么开"}, {}},  // 请问 stays; 您好 runs into it
      {"谢谢，那发票怎么开？", {"那发票怎么开？"}, {}},
      {"快递三天了还没到", {"快递三天了还没到"}, {}},
      {"我的快递三天了还没到，怎么回事", {"我的快递三天了还没到，怎么回事"}, {}},
      {"怎么修改收货地址", {"怎么修改收货地址"}, {}},
      {"能开专票吗", {"能开专票吗"}, {}},
      {"你们几点下班", {"你们几点下班"}, {}},
      {"退款", {"退款"}, {}},  // a two-character keyword is a query
      {"发票", {"发票"}, {}},
      {"好评", {"好评"}, {}},  // 好 is an acknowledgement only on its own
      {"行李箱坏了", {"行李箱坏了"}, {}},  // regression: 行 (ok) is not stripped without a separator
      {"好的快递员什么时候到", {"好的快递员什么时候到"}, {}},
      {"谢谢你帮我查一下物流", {"谢谢你帮我查一下物流"}, {}},  // thanks running into content: kept whole
      {"我的快递到哪了，谢谢", {"我的快递到哪了"}, {}},
      {"[订单号]怎么还没发货", {"[订单号]怎么还没发货"}, {}},
      {"[订单号] 怎么还没发货", {"怎么还没发货"}, {}},  // a leading placeholder segment goes
      {"订单号：[订单号] 发票开了吗？", {"发票开了吗？"}, {}},
      {"[订单号]到哪了", {"[订单号]到哪了"}, {}},
      {"在吗？我的退款什么时候到", {"我的退款什么时候到"}, {kGreeting}},
      {"转人工，我的快递丢了", {"我的快递丢了"}, {}},
      {"我要转人工 申请价保", {"申请价保"}, {}},
      {"人工客服 我要投诉", {"我要投诉"}, {}},
      {"嗯，那运费谁出", {"那运费谁出"}, {}},
      {"早上好，会员怎么续费", {"会员怎么续费"}, {}},
      {"好的。那我明天再来问", {"那我明天再来问"}, {kAck}},
      {"你好，我想退货。订单号[订单号]", {"我想退货。"}, {kPlaceholder}},
      {"退款什么时候到账？退款什么时候到账？", {"退款什么时候到账？"}, {kDuplicate}},
      {"为什么还没发货？怎么办", {"为什么还没发货？"}, {kVague}},
      {"衣服小了，能换大一号吗？谢谢！", {"衣服小了，能换大一号吗？"}, {kThanks}},
      {"屏幕碎了保修吗\n谢谢", {"屏幕碎了保修吗"}, {kThanks}},
      {"优惠券怎么用……过期了吗", {"优惠券怎么用……", "过期了吗"}, {}},
      {"价格保护怎么申请；差价多久退回", {"价格保护怎么申请；", "差价多久退回"}, {}},
      {"399元的耳机有发票吗", {"399元的耳机有发票吗"}, {}},
      {"亲，这个有现货吗", {"这个有现货吗"}, {}},
      {"不好意思，地址写错了能改吗", {"地址写错了能改吗"}, {}},
      {"哈哈，那我等着", {"那我等着"}, {}},
      // --- Simplified Chinese: drops ------------------------------------------
      {"你好", {}, {kGreeting}},
      {"您好！", {}, {kGreeting}},
      {"在吗", {}, {kGreeting}},
      {"在吗在吗", {}, {kGreeting}},
      {"在不在？", {}, {kGreeting}},
      {"有人吗", {}, {kGreeting}},
      {"亲，在吗", {}, {kGreeting}},
      {"你好，在吗？", {}, {kGreeting}},
      {"谢谢", {}, {kThanks}},
      {"好的，谢谢", {}, {kThanks}},  // thanks outranks acknowledgement
      {"好的谢谢！", {}, {kThanks}},
      {"非常感谢", {}, {kThanks}},
      {"多谢啦", {}, {kThanks}},
      {"谢谢😊", {}, {kThanks}},
      {"不用了，谢谢", {}, {kThanks}},
      {"麻烦你了", {}, {kThanks}},
      {"好的", {}, {kAck}},
      {"嗯嗯", {}, {kAck}},
      {"哦", {}, {kAck}},
      {"收到", {}, {kAck}},
      {"明白了", {}, {kAck}},
      {"行", {}, {kAck}},
      {"没事了", {}, {kAck}},
      {"算了", {}, {kAck}},
      {"好的👌", {}, {kAck}},
      {"稍等一下", {}, {kAck}},
      {"转人工", {}, {kHuman}},
      {"人工客服", {}, {kHuman}},
      {"我要转人工", {}, {kHuman}},
      {"人工！！！", {}, {kHuman}},
      {"找客服", {}, {kHuman}},
      {"再见", {}, {kBye}},
      {"拜拜~", {}, {kBye}},
      {"好的，再见", {}, {kBye}},
      {"谢谢，有事再找你", {}, {kThanks}},  // thanks outranks goodbye
      {"有事再找你", {}, {kBye}},
      {"为什么", {}, {kVague}},
      {"怎么办？", {}, {kVague}},
      {"然后呢", {}, {kVague}},
      {"哈哈哈", {}, {kInterjection}},
      {"[订单号]", {}, {kPlaceholder}},
      {"订单号：[订单号]", {}, {kPlaceholder}},
      {"1234567890", {}, {kPlaceholder}},  // a bare order number the masker missed
      {"[订单x]", {}, {kPlaceholder}},     // anonymised datasets' own placeholders
      {"[数字x]", {}, {kPlaceholder}},
      {"[姓名x]", {}, {kPlaceholder}},
      {"我的手机号是[手机号]", {}, {kPlaceholder}},
      {"[表情]", {}, {kSticker}},
      {"[图片]", {}, {kSticker}},
      {"😂😂😂", {}, {kSticker}},
      {"[微笑][微笑]", {}, {kSticker}},  // chat-app emoji codes
      {"退", {}, {kShort}},               // one character is not a query
      {"来了", {}, {kShort}},
      {"我的呢", {}, {kShort}},
      {"请问", {}, {kShort}},
      {"我想问一下", {}, {kShort}},
      {"？？？", {}, {kNoContent}},
      {"。。。", {}, {kNoContent}},
      {"123", {}, {kNoContent}},
      {"", {}, {kNoContent}},
      // --- Traditional Chinese -------------------------------------------------
      {"您好，我的包裹還沒到", {"我的包裹還沒到"}, {}},
      {"謝謝，請問怎麼退貨？", {"請問怎麼退貨？"}, {}},
      {"發票怎麼開", {"發票怎麼開"}, {}},
      {"運費怎麼算？", {"運費怎麼算？"}, {}},
      {"退貨", {"退貨"}, {}},
      {"嗯嗯，那什麼時候出貨", {"那什麼時候出貨"}, {}},
      {"轉人工，我要退款", {"我要退款"}, {}},
      {"謝謝", {}, {kThanks}},
      {"好的，謝謝您", {}, {kThanks}},
      {"麻煩了", {}, {kThanks}},
      {"轉人工", {}, {kHuman}},
      {"我要轉人工客服", {}, {kHuman}},
      {"再見", {}, {kBye}},
      {"在嗎", {}, {kGreeting}},
      {"沒問題", {}, {kAck}},
      {"為什麼", {}, {kVague}},
      {"[圖片]", {}, {kSticker}},
      {"訂單號：[訂單號]", {}, {kPlaceholder}},
      // --- English: questions and problem statements --------------------------
      {"hi there, my card was declined", {"my card was declined"}, {}},
      {"I still have not received my new card", {"I still have not received my new card"}, {}},
      {"Where is my refund?", {"Where is my refund?"}, {}},
      {"My card was declined. Why?", {"My card was declined."}, {kVague}},
      {"Thanks, how do I reset my password?", {"how do I reset my password?"}, {}},
      {"refund", {"refund"}, {}},  // like 退款: a one-word query
      {"How do I cancel my order?", {"How do I cancel my order?"}, {}},
      {"What is a DM", {"What is a DM"}, {}},  // a two-letter topic inside a longer question
      {"my package says delivered but it's not here", {"my package says delivered but it's not here"}, {}},
      {"can't log in to the app", {"can't log in to the app"}, {}},
      {"e.g. the app crashes when I open it", {"e.g. the app crashes when I open it"}, {}},  // no split after e.g.
      {"The fee is 3.5 dollars. Why so high?", {"The fee is 3.5 dollars.", "Why so high?"}, {}},
      {"Hi, I need help with my account. Thanks!", {"I need help with my account."}, {kThanks}},
      {"Hello! Is my flight delayed?", {"Is my flight delayed?"}, {kGreeting}},
      {"ok so my order never arrived", {"so my order never arrived"}, {}},
      {"I want to talk to an agent, my card is blocked", {"my card is blocked"}, {}},
      {"Sorry, where do I enter the promo code?", {"where do I enter the promo code?"}, {}},
      {"Mr. Smith told me to call back", {"Mr. Smith told me to call back"}, {}},
      {"Wi-Fi keeps dropping :(", {"Wi-Fi keeps dropping :("}, {}},
      // --- English: drops -------------------------------------------------------
      {"Hello", {}, {kGreeting}},
      {"hi", {}, {kGreeting}},
      {"Hey guys!", {}, {kGreeting}},
      {"Good morning", {}, {kGreeting}},
      {"Hello? Anyone there?", {}, {kGreeting, kGreeting}},
      {"thanks", {}, {kThanks}},
      {"Thank you so much!", {}, {kThanks}},
      {"thx", {}, {kThanks}},
      {"THANK YOU", {}, {kThanks}},
      {"ok thanks bye", {}, {kThanks}},
      {"ok", {}, {kAck}},
      {"Okay.", {}, {kAck}},
      {"got it", {}, {kAck}},
      {"no", {}, {kAck}},
      {"yes please", {}, {kAck}},
      {"Sorry", {}, {kAck}},
      {"agent", {}, {kHuman}},
      {"Can I talk to a real person?", {}, {kHuman}},
      {"representative please", {}, {kHuman}},
      {"I want to speak to a human", {}, {kHuman}},
      {"bye", {}, {kBye}},
      {"Have a nice day!", {}, {kBye}},
      {"why?", {}, {kVague}},
      {"Help!", {}, {kVague}},
      {"HELP ME", {}, {kVague}},
      {"Any update?", {}, {kVague}},
      {"lol", {}, {kInterjection}},
      {"hmm", {}, {kInterjection}},
      {":)", {}, {kSticker}},
      {"👍", {}, {kSticker}},
      {"[ORDER]", {}, {kPlaceholder}},
      {"[URL]", {}, {kPlaceholder}},
      {"Order number [ORDER]", {}, {kPlaceholder}},
      {"I did.", {}, {kShort}},
      {"i have a question", {}, {kShort}},
      {"...", {}, {kNoContent}},
      // --- Mixed scripts ---------------------------------------------------------
      {"hi 我的快递呢", {"我的快递呢"}, {}},
      {"iPhone 15 的发票怎么开", {"iPhone 15 的发票怎么开"}, {}},
      {"ok，那退款呢", {"那退款呢"}, {}},
  };
  return *kCases;
}

TEST(QuestionExtractor, LabelledTable) {
  QuestionExtractor extractor;
  ASSERT_GE(Table().size(), 120u);
  int failures = 0;
  for (const Case& c : Table()) {
    const Extraction e = extractor.Extract(c.text);
    const bool ok = e.questions == c.questions && e.dropped == c.dropped;
    if (!ok) ++failures;
    EXPECT_EQ(e.questions, c.questions) << "text: " << c.text;
    EXPECT_EQ(e.dropped, c.dropped) << "text: " << c.text << "\n got: " << Describe(e.dropped)
                                    << "\nwant: " << Describe(c.dropped);
  }
  EXPECT_EQ(failures, 0) << "of " << Table().size();
}

TEST(QuestionExtractor, WorksOnMaskedText) {
  PiiMasker masker;
  QuestionExtractor extractor;
  const Extraction e = extractor.Extract(masker.Mask("我的手机号是13812345678。订单1234567890123到哪了？").text);
  EXPECT_THAT(e.questions, ElementsAre("订单[订单号]到哪了？"));
  EXPECT_THAT(e.dropped, ElementsAre(kPlaceholder));
  const Extraction en = extractor.Extract(masker.Mask("call me at +1 415 555 0100").text);
  EXPECT_THAT(en.questions, ElementsAre("call me at [PHONE]"));
}

TEST(QuestionExtractor, EveryReasonIsReachable) {
  QuestionExtractor extractor;
  std::set<DropReason> seen;
  for (const Case& c : Table()) {
    for (DropReason r : extractor.Extract(c.text).dropped) seen.insert(r);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kDropReasonCount));
}

TEST(QuestionExtractor, HugeInputsTakeLinearTime) {
  QuestionExtractor extractor;
  std::string text;
  while (text.size() < 1000000) text += "好的 ok 谢谢 我的快递到哪了 [订单号] 😂 ";
  const auto start = std::chrono::steady_clock::now();
  const Extraction e = extractor.Extract(text);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(e.questions.size(), 1u);
  EXPECT_LT(seconds, 2.0);
  std::string many;
  for (int i = 0; i < 20000; ++i) many += "退款怎么办？好的。";
  const Extraction m = extractor.Extract(many);
  EXPECT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.dropped.size(), 39999u);  // the duplicates and the acknowledgements
}

TEST(QuestionExtractor, InvalidUtf8IsAcceptedAsPunctuation) {
  QuestionExtractor extractor;
  const Extraction e = extractor.Extract("\xFF\xFE 我的快递到哪了 \xC3");
  ASSERT_EQ(e.questions.size(), 1u);
  EXPECT_NE(e.questions[0].find("我的快递到哪了"), std::string::npos);
  EXPECT_THAT(extractor.Extract("\xFF\xFE").dropped, ElementsAre(kNoContent));
}

TEST(DropReasonName, EveryReasonHasADistinctSnakeCaseName) {
  std::set<std::string> names;
  for (int i = 0; i < kDropReasonCount; ++i) {
    const std::string name(DropReasonName(static_cast<DropReason>(i)));
    EXPECT_NE(name, "unknown");
    for (char ch : name) EXPECT_TRUE((ch >= 'a' && ch <= 'z') || ch == '_') << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kDropReasonCount));
}

TEST(CleanChatText, Table) {
  struct Row {
    const char* in;
    const char* out;
  };
  const Row kRows[] = {
      {"<p>Hello&nbsp;&amp; welcome</p>", "Hello & welcome"},
      {"line one<br>line two<br/>", "line one\nline two"},
      {"<div><b>bold</b> text</div>", "bold text"},
      {"<a href=\"https://x.example/a?b=1\">link</a> here", "link here"},
      {"&lt;b&gt;literal&lt;/b&gt;", "<b>literal</b>"},  // decoded tags are text, not removed
      {"a < b and c > d", "a < b and c > d"},
      {"I <3 you", "I <3 you"},
      {"&quot;quoted&quot; &#39;single&#39; &apos;x&apos;", "\"quoted\" 'single' 'x'"},
      {"&#25105;&#x7684;快递", "我的快递"},
      {"&#0; &#xD800; &bogus; & alone", "&#0; &#xD800; &bogus; & alone"},  // invalid entities stay
      {"@AppleSupport @Delta hi there", "hi there"},
      {"@AppleSupport: my phone is broken ^JK", "my phone is broken"},
      {"my phone broke  -AB", "my phone broke"},
      {"we will check ^ Jen", "we will check"},
      {"Call me -maybe", "Call me -maybe"},  // not initials
      {"I love it ^_^", "I love it ^_^"},
      {"thanks @AmazonHelp", "thanks"},
      {"ask @115712 about it", "ask @115712 about it"},  // mentions inside the text stay
      {"email me at a@b.com", "email me at a@b.com"},
      {"@小美 你好", "你好"},
      {".@Delta @115725 my bag is lost", "my bag is lost"},
      {".net question", ".net question"},
      {"  多个   空格\t\n\n 换行 ", "多个 空格\n换行"},
      {"full\xE3\x80\x80width\xC2\xA0space", "full width space"},
      {"zero\xE2\x80\x8Bwidth", "zerowidth"},
      {"😀 emoji stays 👍🏽", "😀 emoji stays 👍🏽"},
      {"", ""},
  };
  for (const Row& row : kRows) EXPECT_EQ(CleanChatText(row.in), row.out) << row.in;
}

TEST(CleanChatText, InvalidUtf8IsCopied) {
  EXPECT_EQ(CleanChatText("a\xFF b"), "a\xFF b");
}

}  // namespace
}  // namespace zhiku
