#include "ingest/question_extractor.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace zhiku {
namespace {

// ---------------------------------------------------------------------------
// UTF-8 and character classes

constexpr int32_t kInvalid = -1;

// Decodes the code point at s[i]; *length is its byte length (1 for an
// invalid byte, which decodes as kInvalid).
int32_t Decode(absl::string_view s, size_t i, size_t* length) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *length = 1;
    return c;
  }
  int extra;
  int32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    extra = 1;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    extra = 2;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    extra = 3;
    cp = c & 0x07;
  } else {
    *length = 1;
    return kInvalid;
  }
  if (i + extra >= s.size()) {
    *length = 1;
    return kInvalid;
  }
  for (int k = 1; k <= extra; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      *length = 1;
      return kInvalid;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    *length = 1;
    return kInvalid;
  }
  *length = extra + 1;
  return cp;
}

void AppendUtf8(int32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

enum class CharClass { kSpace, kAsciiLetter, kDigit, kLetter, kCjk, kEmoji, kPunct };

bool In(int32_t cp, int32_t lo, int32_t hi) { return cp >= lo && cp <= hi; }

bool IsUnicodeSpace(int32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' || cp == 0xA0 ||
         cp == 0x3000 || In(cp, 0x2000, 0x200A) || cp == 0x202F || cp == 0x205F || cp == 0x1680;
}

CharClass Classify(int32_t cp) {
  if (cp == kInvalid) return CharClass::kPunct;
  if (cp < 0x80) {
    if (absl::ascii_isalpha(static_cast<unsigned char>(cp))) return CharClass::kAsciiLetter;
    if (absl::ascii_isdigit(static_cast<unsigned char>(cp))) return CharClass::kDigit;
    if (IsUnicodeSpace(cp)) return CharClass::kSpace;
    return CharClass::kPunct;
  }
  if (IsUnicodeSpace(cp)) return CharClass::kSpace;
  if (In(cp, 0x4E00, 0x9FFF) || In(cp, 0x3400, 0x4DBF) || In(cp, 0xF900, 0xFAFF) || In(cp, 0x20000, 0x3134F) ||
      In(cp, 0x3040, 0x309F) || In(cp, 0x30A0, 0x30FA) || In(cp, 0x30FC, 0x30FF) || In(cp, 0x31F0, 0x31FF) ||
      In(cp, 0xAC00, 0xD7AF) || In(cp, 0x1100, 0x11FF) || In(cp, 0x3130, 0x318F) || cp == 0x3005 || cp == 0x3007) {
    return CharClass::kCjk;
  }
  if (In(cp, 0xFF10, 0xFF19)) return CharClass::kDigit;
  if (In(cp, 0xFF21, 0xFF3A) || In(cp, 0xFF41, 0xFF5A)) return CharClass::kLetter;
  if (In(cp, 0x1F000, 0x1FAFF) || In(cp, 0x2600, 0x27BF) || In(cp, 0x2B00, 0x2BFF) || In(cp, 0x2300, 0x23FF) ||
      cp == 0x200D || cp == 0xFE0F || cp == 0xFE0E || cp == 0x20E3 || In(cp, 0xE0020, 0xE007F) ||
      In(cp, 0xE000, 0xF8FF) || cp == 0x3030 || cp == 0x303D || cp == 0x3297 || cp == 0x3299) {
    return CharClass::kEmoji;
  }
  if (In(cp, 0x80, 0xBF) || cp == 0xD7 || cp == 0xF7 || In(cp, 0x2000, 0x2BFF) || In(cp, 0x2E00, 0x2E7F) ||
      In(cp, 0x3000, 0x303F) || cp == 0x30FB || In(cp, 0xFE00, 0xFE6F) || In(cp, 0xFF00, 0xFF0F) ||
      In(cp, 0xFF1A, 0xFF20) || In(cp, 0xFF3B, 0xFF40) || In(cp, 0xFF5B, 0xFF65) || In(cp, 0xFFE0, 0xFFFF)) {
    return CharClass::kPunct;
  }
  return CharClass::kLetter;  // other scripts: part of words
}

// Full-width ASCII letters fold to ASCII; ASCII folds to lowercase.
void AppendFolded(int32_t cp, std::string* out) {
  if (In(cp, 0xFF21, 0xFF3A) || In(cp, 0xFF41, 0xFF5A)) cp -= 0xFEE0;
  if (cp == 0x2019) cp = '\'';
  if (cp < 0x80) {
    out->push_back(absl::ascii_tolower(static_cast<unsigned char>(cp)));
  } else {
    AppendUtf8(cp, out);
  }
}

// ---------------------------------------------------------------------------
// Lexicons

// What a lexicon phrase is. The first seven match DropReason.
enum class Cat {
  kGreeting = 0,
  kThanks,
  kAcknowledgement,
  kHumanRequest,
  kGoodbye,
  kVagueFollowUp,
  kInterjection,
  kFiller,           // carries no topic by itself
  kParticle,         // Chinese sentence particle: not even counted in length
  kPlaceholderWord,  // 订单号, "order number": content unless next to a placeholder
};

struct Entry {
  Cat cat;
  // Greetings that may run straight into the next words (您好请问…), thanks
  // that may follow the content directly (…到哪了谢谢).
  bool joins = false;
};

struct Lexicon {
  absl::flat_hash_map<std::string, Entry> english;  // lowercase words joined by ' '
  absl::flat_hash_map<std::string, Entry> cjk;
  size_t max_english_words = 1;
  size_t max_cjk_chars = 1;
  absl::flat_hash_set<std::string> abbreviations;  // before '.', lowercase

  void En(Cat cat, std::initializer_list<const char*> phrases) {
    for (const char* phrase : phrases) {
      english.insert({phrase, Entry{cat}});
      max_english_words = std::max<size_t>(max_english_words, 1 + std::count(phrase, phrase + strlen(phrase), ' '));
    }
  }
  void Zh(Cat cat, std::initializer_list<const char*> phrases, bool joins = false) {
    for (const char* phrase : phrases) {
      cjk.insert({phrase, Entry{cat, joins}});
      size_t chars = 0;
      for (const char* p = phrase; *p != '\0'; ++p) chars += (static_cast<unsigned char>(*p) & 0xC0) != 0x80;
      max_cjk_chars = std::max(max_cjk_chars, chars);
    }
  }
};

const Lexicon& GetLexicon() {
  static const Lexicon* lexicon = [] {
    auto* l = new Lexicon;
    // English.
    l->En(Cat::kGreeting, {"hi", "hii", "hiii", "hello", "helloo", "hey", "heyy", "hiya", "heya", "yo", "howdy",
                           "greetings", "good morning", "good afternoon", "good evening", "good day", "morning",
                           "dear sir", "dear madam", "dear sir or madam", "anyone there", "anybody there",
                           "is anyone there", "is anybody there", "are you there", "you there"});
    for (const char* greeting : {"hi", "hello", "hey", "hiya", "good morning", "good afternoon", "good evening",
                                 "morning"}) {
      for (const char* whom : {"there", "guys", "team", "all", "everyone", "everybody", "folks", "sir", "madam",
                               "support", "friends", "y'all"}) {
        const std::string phrase = absl::StrCat(greeting, " ", whom);
        l->english.insert({phrase, Entry{Cat::kGreeting}});
      }
    }
    l->max_english_words = std::max<size_t>(l->max_english_words, 3);
    l->En(Cat::kThanks, {"thanks", "thank", "thank you", "thank u", "thankyou", "thx", "thnx", "thanx", "tnx", "ty",
                         "tysm", "tks", "tq", "3q", "cheers", "many thanks", "much appreciated", "appreciated",
                         "appreciate it", "thanks a lot", "thanks a bunch", "thanks a million", "thank you so much",
                         "thank you very much", "thanks so much", "thanks very much", "thanks again",
                         "thank you again", "thanks in advance", "thx in advance"});
    l->En(Cat::kAcknowledgement,
          {"ok", "okay", "okey", "okie", "oki", "k", "kk", "alright", "all right", "sure", "yes", "yeah", "yep", "yup",
           "ya", "yea", "yess", "no", "nope", "nah", "got it", "i see", "understood", "noted", "fine", "cool", "great",
           "perfect", "awesome", "nice", "done", "right", "sounds good", "will do", "no problem", "no worries", "np",
           "never mind", "nevermind", "nvm", "wait", "hold on", "one sec", "one second", "one moment", "brb", "ok then",
           "okay then", "sorry", "so sorry", "my bad", "apologies", "excuse me", "of course", "correct", "exactly", "true", "agreed", "makes sense"});
    l->En(Cat::kHumanRequest,
          {"agent", "agents", "human", "humans", "a human", "representative", "rep", "real person", "live agent",
           "live person", "live chat", "actual person", "real human", "human being", "customer service",
           "customer care", "customer support", "operator", "supervisor", "manager", "someone", "somebody", "person",
           "a person", "human agent", "talk to someone", "speak to someone", "live support"});
    l->En(Cat::kGoodbye, {"bye", "goodbye", "good bye", "bye bye", "byebye", "bye now", "cya", "see you", "see ya",
                          "see you later", "take care", "have a nice day", "have a good day", "have a great day",
                          "good night", "goodnight", "nite", "later", "talk later", "ttyl"});
    l->En(Cat::kVagueFollowUp,
          {"why", "how", "what", "when", "where", "who", "which", "huh", "and", "so", "really", "seriously", "how so",
           "what now", "now what", "what happened", "what about", "any update", "any updates", "update", "updates",
           "any news", "news", "help", "help me", "please help", "pls help", "anything", "what's up", "whats up",
           "sup", "what else", "like what", "how come", "then what", "and then", "any idea", "any ideas", "hello?"});
    l->En(Cat::kInterjection,
          {"lol", "lmao", "lmfao", "rofl", "omg", "omfg", "wtf", "wow", "ugh", "ughh", "hmm", "hm", "hmmm", "meh",
           "haha", "hahaha", "hahahaha", "hehe", "ahh", "ah", "ahhh", "oh", "ohh", "ooh", "oops", "smh", "argh",
           "damn", "oh no", "oh my god", "oh my", "jeez", "geez", "yikes", "duh", "ha", "xd", "orz", "qaq", "tat",
           "sigh", "ffs", "fml", "welp", "aw", "aww", "whoa", "phew", "ew", "yay", "hurrah",
           "hooray", "woohoo", "yikes", "ouch"});
    l->En(Cat::kFiller,
          {"i", "i'm", "im", "i've", "ive", "i'd", "i'll", "me", "my", "mine", "myself", "we", "us", "our", "you", "your",
           "you're", "yours", "u", "ur", "he", "she", "they", "them", "their", "it", "it's", "its", "this", "that",
           "that's", "these", "those", "there", "there's", "here", "is", "isn't", "are", "aren't", "am", "was",
           "wasn't", "were", "be", "been", "being", "do", "does", "did", "don't", "dont", "doesn't", "didn't", "have",
           "has", "had", "haven't", "will", "won't", "would", "can", "can't", "cant", "could", "should", "shall",
           "may", "might", "must", "not", "a", "an", "the", "to", "of", "in", "on", "at", "for", "from", "by", "with",
           "about", "as", "or", "but", "if", "then", "just", "please", "pls", "plz", "again", "all", "any", "some",
           "very", "much", "too", "also", "still", "want", "wanna", "need", "like", "get", "let", "talk", "speak",
           "chat", "connect", "transfer", "put", "through", "lot", "guys", "team", "everyone", "folks", "sir",
           "madam", "maam", "ma'am", "dear", "well", "um", "uh", "er", "now", "yet", "more", "else", "one", "thing",
           "someone's", "ask", "question", "know", "let's", "go", "here's", "even", "ever", "already", "only"});
    l->En(Cat::kPlaceholderWord, {"order", "order number", "order no", "order id", "order #", "tracking",
                                  "tracking number", "tracking no", "number", "id", "date",
                                  "amount", "price", "time", "name", "phone", "phone number", "account",
                                  "account number", "email", "card number", "reference", "ref", "case number",
                                  "ticket", "ticket number", "confirmation number"});
    for (const char* abbreviation :
         {"e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "st", "no", "nos", "approx", "dept", "jr", "sr", "inc",
          "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
          "fig", "est", "min", "max", "ave"}) {
      l->abbreviations.insert(abbreviation);
    }

    // Chinese, Simplified and Traditional.
    l->Zh(Cat::kGreeting, {"你好", "您好", "妳好", "你们好", "你們好", "在吗", "在嗎", "在么", "在麼", "在嘛",
                           "在不在", "在不", "你好在吗", "你好在嗎", "您好在吗", "您好在嗎", "客服你好", "客服您好",
                           "你好客服", "您好客服", "有人吗", "有人嗎", "有人在吗", "有人在嗎", "有没有人",
                           "有沒有人"},
          /*joins=*/true);
    l->Zh(Cat::kGreeting, {"亲", "親", "亲亲", "親親", "亲爱的", "親愛的", "早上好", "早安", "中午好", "下午好",
                           "午安", "晚上好", "哈喽", "哈囉", "哈罗", "哈囉", "嗨", "嘿", "喂", "大家好", "老师好"});
    l->Zh(Cat::kThanks, {"谢谢", "謝謝", "谢谢你", "謝謝你", "谢谢您", "謝謝您", "谢谢啦", "謝謝啦", "谢啦", "謝啦",
                         "谢了", "謝了", "感谢", "感謝", "多谢", "多謝", "非常感谢", "非常感謝", "太感谢了",
                         "太感謝了", "感谢您", "感謝您", "谢谢亲", "謝謝親", "谢谢客服", "謝謝客服", "辛苦了",
                         "辛苦你了", "辛苦您了", "感恩", "谢谢谢谢", "謝謝謝謝", "谢谢哈", "謝謝哈", "十分感谢", "十分感謝",
                         "万分感谢", "萬分感謝", "真的谢谢", "真的謝謝", "太谢谢了", "太謝謝了", "谢谢了", "謝謝了"},
          /*joins=*/true);
    l->Zh(Cat::kThanks, {"麻烦你", "麻煩你", "麻烦您", "麻煩您", "麻烦了", "麻煩了", "麻烦你了", "麻煩你了", "麻烦您了", "麻煩您了"});
    l->Zh(Cat::kAcknowledgement,
          {"好的", "好滴", "好哒", "好噠", "好嘞", "好吧", "好", "好好", "好呢", "好的呢", "好的好的", "嗯", "嗯嗯",
           "嗯嗯嗯", "恩", "恩恩", "哦", "哦哦", "噢", "喔", "奥", "收到", "明白", "明白了", "知道了", "知道",
           "晓得了", "曉得了", "了解", "瞭解", "了解了", "懂了", "行", "行吧", "行的", "可以", "可以了", "是的",
           "是", "对", "對", "对的", "對的", "对啊", "對啊", "没事", "沒事", "没事了", "沒事了", "没有了", "沒有了",
           "没有", "沒有", "没", "沒", "没问题", "沒問題", "不用了", "不用", "不需要", "不需要了", "算了", "那算了",
           "那就算了", "稍等", "等一下", "等等", "等下", "马上", "馬上", "稍等一下", "好了", "ok了", "没了",
           "沒了", "不是", "嗯呢", "对对", "對對", "那好", "那好吧", "那行", "那行吧", "也行", "都行", "随便",
           "隨便", "无所谓", "無所謂", "是啊", "有的", "清楚了", "不好意思", "抱歉", "对不起", "對不起",
           "打扰了", "打擾了"});
    l->Zh(Cat::kHumanRequest,
          {"人工", "转人工", "轉人工", "人工客服", "转人工客服", "轉人工客服", "人工服务", "人工服務", "真人",
           "真人客服", "找客服", "聯繫客服", "联系客服", "聯絡客服", "客服", "人工坐席", "接人工", "找人工",
           "要人工", "转客服", "轉客服", "要客服", "专员", "專員", "人工台", "人工呢", "客服呢", "找真人",
           "转接人工", "轉接人工", "客服人员", "客服人員", "人工专员", "人工專員", "人呢"});
    l->Zh(Cat::kGoodbye, {"再见", "再見", "拜拜", "掰掰", "拜", "晚安", "回见", "回見", "下次见", "下次見", "先这样",
                          "先這樣", "就这样吧", "就這樣吧", "先这样吧", "先這樣吧", "没别的了", "沒別的了",
                          "没别的问题了", "沒別的問題了", "有事再找你", "有事再找您", "有问题再找你",
                          "有問題再找你", "有事再联系", "有事再聯繫", "结束对话", "結束對話", "结束聊天",
                          "結束聊天"});
    l->Zh(Cat::kVagueFollowUp,
          {"为什么", "為什麼", "为啥", "為啥", "怎么办", "怎麼辦", "咋办", "咋辦", "怎么回事", "怎麼回事", "然后呢",
           "然後呢", "真的吗", "真的嗎", "是吗", "是嗎", "是不是", "对吗", "對嗎", "好吗", "好嗎", "行吗", "行嗎",
           "可以吗", "可以嗎", "什么意思", "什麼意思", "啥意思", "怎么说", "怎麼說", "什么", "什麼", "啥", "怎么",
           "怎麼", "怎么样", "怎麼樣", "还有呢", "還有呢", "然后", "然後", "所以呢", "那怎么办", "那怎麼辦", "咋整",
           "怎么弄", "怎麼弄", "在哪", "在哪里", "在哪裡", "哪里", "哪裡", "多久", "多少", "能不能", "可不可以",
           "有吗", "有嗎", "啥情况", "啥情況", "什么情况", "什麼情況", "怎么了", "怎麼了", "干嘛", "幹嘛", "帮帮我",
           "幫幫我", "求助", "救命", "急", "急急急", "快点", "快點", "人呢人呢"});
    l->Zh(Cat::kInterjection, {"哈哈", "哈哈哈", "哈哈哈哈", "呵呵", "呵呵呵", "嘿嘿", "嘻嘻", "额", "額", "呃",
                               "唉", "哎", "哎呀", "哎哟", "哎喲", "天哪", "天啊", "我去", "晕", "暈", "无语",
                               "無語", "汗", "囧", "卧槽", "臥槽", "靠", "哇", "哇哦"});
    l->Zh(Cat::kParticle, {"的", "了", "吗", "嗎", "呢", "啊", "吧", "呀", "嘛", "啦", "哈", "么", "麼", "呐",
                           "咯", "喽", "嘍", "嘞", "耶", "滴", "哒", "噠", "呗", "唄", "嗷", "捏", "咩", "哟", "喲",
                           "嘛", "阿"});
    l->Zh(Cat::kFiller, {"我", "你", "您", "妳", "他", "她", "它", "我们", "我們", "你们", "你們", "这", "這", "那",
                         "这个", "這個", "那个", "那個", "请", "請", "请问", "請問", "麻烦", "麻煩", "一下", "我要",
                         "我想", "帮我", "幫我", "给我", "給我", "就", "还", "還", "也", "都", "在", "又", "再",
                         "想", "要", "问", "問", "问一下", "問一下", "想问", "想問", "我想问", "我想問", "下", "很",
                         "太", "就是", "那个那个", "咨询", "諮詢", "咨詢"});
    l->Zh(Cat::kPlaceholderWord,
          {"订单", "訂單", "订单号", "訂單號", "单号", "單號", "订单编号", "訂單編號", "运单号", "運單號", "快递单号",
           "快遞單號", "物流单号", "物流單號", "手机号", "手機號", "手机", "手機", "电话", "電話", "电话号码",
           "電話號碼", "手机号码", "手機號碼", "账号", "帳號", "賬號", "会员号", "會員號", "卡号", "卡號", "号码",
           "號碼", "邮箱", "郵箱", "地址", "收货地址", "收貨地址", "姓名", "名字", "金额", "金額", "订单金额",
           "訂單金額", "日期", "时间", "時間", "下单时间", "下單時間", "商品", "商品编号", "商品編號", "编号", "編號"});
    return l;
  }();
  return *lexicon;
}

// ---------------------------------------------------------------------------
// Tokens and units

enum class Tok { kWord, kCjk, kNumber, kPlaceholder, kSticker, kPunct, kSpace };

struct Token {
  Tok kind;
  size_t begin, end;  // bytes in the sentence
  std::string folded;  // kWord: lowercase form
  int letters = 0;     // kWord: letters; kNumber: digits
};

constexpr const char* kEmoticons[] = {
    ":-)", ":)", ":-(", ":(", ":-D", ":D", ":-P", ":P", ":p", ";-)", ";)", ":-/", ":/", ":'(", ":O", ":o", ":|",
    "=)", "=(", "^_^", "^o^", "^^", "T_T", "T.T", "-_-", "o_O", "O_o", ">_<", "<3", ":3", "QwQ", "(:", "XD", "xD",
};

bool IsAsciiAlnum(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

// Classifies the inside of "[...]" or "【...】".
std::optional<Tok> BracketKind(absl::string_view inner) {
  if (inner.empty() || inner.size() > 30) return std::nullopt;
  bool upper = true, letters = false;
  for (char c : inner) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
      letters = true;
    } else if (c != '_' && !absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      upper = false;
    }
  }
  if (upper && letters && absl::ascii_isupper(static_cast<unsigned char>(inner[0]))) {
    return inner == "OK" ? Tok::kSticker : Tok::kPlaceholder;
  }
  static const auto* kMedia = new absl::flat_hash_set<std::string>{
      "sticker", "image", "photo", "picture", "pic", "gif", "emoji", "voice", "video", "file", "attachment",
      "audio", "location", "link"};
  if (kMedia->contains(absl::AsciiStrToLower(inner))) return Tok::kSticker;
  // Chinese characters, optionally followed by an index as anonymised
  // datasets write them ([订单x], [数字1]).
  size_t i = 0, chars = 0;
  while (i < inner.size()) {
    size_t length;
    const int32_t cp = Decode(inner, i, &length);
    if (Classify(cp) != CharClass::kCjk) break;
    i += length;
    ++chars;
  }
  if (chars == 0) return std::nullopt;
  absl::string_view suffix = inner.substr(i);
  if (!suffix.empty()) {
    for (char c : suffix) {
      if (c != 'x' && c != 'X' && !absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    return Tok::kPlaceholder;
  }
  static const auto* kPiiNames = new absl::flat_hash_set<std::string>{
      "手机号", "手機號", "邮箱", "郵箱", "身份证号", "身份證號", "银行卡号", "銀行卡號", "订单号", "訂單號", "网址",
      "網址", "地址", "电话", "電話", "姓名", "金额", "金額", "日期", "时间", "時間", "数字", "數字", "链接", "鏈接",
      "订单", "訂單", "单号", "單號", "卡号", "卡號", "账号", "帳號", "邮件", "郵件", "号码", "號碼", "名字"};
  const std::string name(inner);
  if (kPiiNames->contains(name)) return Tok::kPlaceholder;
  if (chars <= 4) return Tok::kSticker;  // [表情] [图片] and chat-app emoji codes like [微笑]
  return std::nullopt;
}

std::vector<Token> Tokenize(absl::string_view s) {
  std::vector<Token> tokens;
  size_t i = 0;
  auto push = [&tokens](Tok kind, size_t begin, size_t end) {
    if (!tokens.empty() && tokens.back().kind == kind && (kind == Tok::kSpace || kind == Tok::kSticker) &&
        tokens.back().end == begin) {
      tokens.back().end = end;
      return;
    }
    tokens.push_back(Token{kind, begin, end, {}, 0});
  };
  while (i < s.size()) {
    // Emoticons, where they stand alone.
    if (i == 0 || !IsAsciiAlnum(s[i - 1])) {
      bool matched = false;
      for (const char* emoticon : kEmoticons) {
        const absl::string_view e(emoticon);
        if (s.substr(i, e.size()) == e && (i + e.size() >= s.size() || !IsAsciiAlnum(s[i + e.size()]))) {
          push(Tok::kSticker, i, i + e.size());
          i += e.size();
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    size_t length;
    const int32_t cp = Decode(s, i, &length);
    // Bracketed placeholders and stickers.
    if (cp == '[' || cp == 0x3010) {
      const absl::string_view close = cp == '[' ? "]" : "\xE3\x80\x91";  // 】
      const size_t end = s.find(close, i + length);
      if (end != absl::string_view::npos && end - i <= 40) {
        if (std::optional<Tok> kind = BracketKind(s.substr(i + length, end - i - length))) {
          push(*kind, i, end + close.size());
          i = end + close.size();
          continue;
        }
      }
    }
    const CharClass cls = Classify(cp);
    if (cls == CharClass::kAsciiLetter || cls == CharClass::kLetter || cls == CharClass::kDigit) {
      Token token{Tok::kWord, i, i, {}, 0};
      int digits = 0;
      size_t j = i;
      while (j < s.size()) {
        size_t n;
        const int32_t c = Decode(s, j, &n);
        const CharClass k = Classify(c);
        if (k == CharClass::kAsciiLetter || k == CharClass::kLetter) {
          ++token.letters;
        } else if (k == CharClass::kDigit) {
          ++digits;
        } else if ((c == '\'' || c == 0x2019 || c == '-' || c == '.' || c == ',') && j + n < s.size()) {
          // Inside a word (don't, wi-fi) or a number (1,299.00).
          size_t m;
          const CharClass next = Classify(Decode(s, j + n, &m));
          const bool word_join = (c == '\'' || c == 0x2019 || c == '-') && token.letters > 0 &&
                                 (next == CharClass::kAsciiLetter || next == CharClass::kLetter);
          const bool number_join = (c == '.' || c == ',') && token.letters == 0 && digits > 0 &&
                                   next == CharClass::kDigit;
          if (!word_join && !number_join) break;
        } else {
          break;
        }
        AppendFolded(c, &token.folded);
        j += n;
      }
      token.end = j;
      if (token.letters == 0) {
        token.kind = Tok::kNumber;
        token.letters = digits;
      }
      tokens.push_back(std::move(token));
      i = j;
      continue;
    }
    switch (cls) {
      case CharClass::kCjk: tokens.push_back(Token{Tok::kCjk, i, i + length, {}, 0}); break;
      case CharClass::kEmoji: push(Tok::kSticker, i, i + length); break;
      case CharClass::kSpace: push(Tok::kSpace, i, i + length); break;
      default: push(Tok::kPunct, i, i + length); break;
    }
    i += length;
  }
  return tokens;
}

enum class UnitKind { kLexicon, kContent, kPlaceholder, kSticker, kNumber, kPunct, kSpace };

struct Unit {
  UnitKind kind;
  Cat cat = Cat::kFiller;  // kLexicon only
  bool joins = false;
  bool cjk = false;  // made of Chinese characters
  size_t begin, end;
  int chars = 0;    // cjk: characters; word: letters; number: digits
  int words = 0;    // English (or other-script) words
};

bool IsGap(const Unit& u) { return u.kind == UnitKind::kPunct || u.kind == UnitKind::kSpace; }

std::vector<Unit> MakeUnits(absl::string_view s, const std::vector<Token>& tokens, const Lexicon& lexicon) {
  std::vector<Unit> units;
  size_t t = 0;
  while (t < tokens.size()) {
    const Token& token = tokens[t];
    if (token.kind == Tok::kWord) {
      // Longest phrase of words separated by single spaces.
      std::string phrase;
      std::vector<size_t> ends;  // token index one past the last word of each candidate
      std::vector<std::string> phrases;
      size_t u = t;
      for (size_t n = 0; n < lexicon.max_english_words && u < tokens.size() && tokens[u].kind == Tok::kWord; ++n) {
        if (n > 0) phrase.push_back(' ');
        phrase += tokens[u].folded;
        phrases.push_back(phrase);
        ends.push_back(u + 1);
        if (u + 2 < tokens.size() && tokens[u + 1].kind == Tok::kSpace && tokens[u + 2].kind == Tok::kWord) {
          u += 2;
        } else {
          break;
        }
      }
      bool matched = false;
      for (size_t k = phrases.size(); k-- > 0;) {
        auto it = lexicon.english.find(phrases[k]);
        if (it == lexicon.english.end()) continue;
        Unit unit{UnitKind::kLexicon, it->second.cat, it->second.joins, false, token.begin, tokens[ends[k] - 1].end};
        unit.words = static_cast<int>(k + 1);
        unit.chars = token.letters;
        units.push_back(unit);
        t = ends[k];
        matched = true;
        break;
      }
      if (matched) continue;
      Unit unit{UnitKind::kContent, Cat::kFiller, false, false, token.begin, token.end};
      unit.words = 1;
      unit.chars = token.letters;
      units.push_back(unit);
      ++t;
      continue;
    }
    if (token.kind == Tok::kCjk) {
      size_t run_end = t;
      while (run_end < tokens.size() && run_end - t < lexicon.max_cjk_chars && tokens[run_end].kind == Tok::kCjk) {
        ++run_end;
      }
      bool matched = false;
      for (size_t e = run_end; e > t; --e) {
        const absl::string_view piece = s.substr(token.begin, tokens[e - 1].end - token.begin);
        auto it = lexicon.cjk.find(piece);
        if (it == lexicon.cjk.end()) continue;
        Unit unit{UnitKind::kLexicon, it->second.cat, it->second.joins, true, token.begin, tokens[e - 1].end};
        unit.chars = static_cast<int>(e - t);
        units.push_back(unit);
        t = e;
        matched = true;
        break;
      }
      if (matched) continue;
      Unit unit{UnitKind::kContent, Cat::kFiller, false, true, token.begin, token.end};
      unit.chars = 1;
      units.push_back(unit);
      ++t;
      continue;
    }
    Unit unit{UnitKind::kPunct, Cat::kFiller, false, false, token.begin, token.end};
    switch (token.kind) {
      case Tok::kNumber: unit.kind = UnitKind::kNumber, unit.chars = token.letters; break;
      case Tok::kPlaceholder: unit.kind = UnitKind::kPlaceholder; break;
      case Tok::kSticker: unit.kind = UnitKind::kSticker; break;
      case Tok::kSpace: unit.kind = UnitKind::kSpace; break;
      default: break;
    }
    units.push_back(unit);
    ++t;
  }
  return units;
}

// What the units in [begin, end) amount to.
struct Measure {
  int content_units = 0;     // real content
  int placeholder_words = 0;
  int cjk = 0;               // non-particle Chinese characters in runs with content
  int words = 0;             // content words
  int max_letters = 0;
  int all_words = 0;         // English words of any kind
  bool placeholder = false;  // a placeholder or a number of >= 6 digits
  bool long_number = false;
  bool sticker = false;
  bool filler = false;
  bool number_or_punct = false;
  int best_cat = -1;         // highest-priority drop lexicon present
};

// Priority among drop lexicons when a sentence has nothing else (header).
int Priority(Cat cat) {
  switch (cat) {
    case Cat::kHumanRequest: return 7;
    case Cat::kThanks: return 6;
    case Cat::kGoodbye: return 5;
    case Cat::kVagueFollowUp: return 4;
    case Cat::kAcknowledgement: return 3;
    case Cat::kGreeting: return 2;
    case Cat::kInterjection: return 1;
    default: return 0;
  }
}

Measure Measure_(const std::vector<Unit>& units, size_t begin, size_t end) {
  Measure m;
  for (size_t i = begin; i < end; ++i) {
    const Unit& u = units[i];
    if (!u.cjk) m.all_words += u.words;
    switch (u.kind) {
      case UnitKind::kContent: ++m.content_units; break;
      case UnitKind::kPlaceholder: m.placeholder = true; break;
      case UnitKind::kSticker: m.sticker = true; break;
      case UnitKind::kNumber:
        if (u.chars >= 6) m.long_number = true;
        m.number_or_punct = true;
        break;
      case UnitKind::kPunct: m.number_or_punct = true; break;
      case UnitKind::kSpace: break;
      case UnitKind::kLexicon:
        if (u.cat == Cat::kPlaceholderWord) {
          ++m.placeholder_words;
        } else if (u.cat == Cat::kFiller || u.cat == Cat::kParticle) {
          m.filler = true;
        } else if (m.best_cat < 0 || Priority(u.cat) > Priority(static_cast<Cat>(m.best_cat))) {
          m.best_cat = static_cast<int>(u.cat);
        }
        break;
    }
  }
  // Placeholder words (订单号, order number) are content unless they only
  // introduce a placeholder or a long number.
  const bool placeholder_context = m.content_units == 0 && (m.placeholder || m.long_number);
  auto is_content = [&](const Unit& u) {
    return u.kind == UnitKind::kContent ||
           (!placeholder_context && u.kind == UnitKind::kLexicon && u.cat == Cat::kPlaceholderWord);
  };
  // Chinese length: the characters of each run of adjacent Chinese units
  // holding content, particles left out (so 好评 counts two, 来了 one).
  size_t i = begin;
  while (i < end) {
    if (!units[i].cjk) {
      if (is_content(units[i])) {
        ++m.words;
        m.max_letters = std::max(m.max_letters, units[i].chars);
      }
      ++i;
      continue;
    }
    size_t j = i;
    int chars = 0;
    bool content = false;
    while (j < end && units[j].cjk && (j == i || units[j].begin == units[j - 1].end)) {
      if (!(units[j].kind == UnitKind::kLexicon && units[j].cat == Cat::kParticle)) chars += units[j].chars;
      content = content || is_content(units[j]);
      ++j;
    }
    if (content) m.cjk += chars;
    i = j;
  }
  if (!placeholder_context) m.content_units += m.placeholder_words;
  return m;
}

bool LongEnough(const Measure& m) {
  // A two-letter word is a topic inside a longer question ("what is a DM"),
  // not alone ("ok?" is a lexicon word anyway, "hm" an interjection).
  return m.cjk >= 2 || m.words >= 2 || (m.words >= 1 && m.max_letters >= 3) || (m.cjk >= 1 && m.words >= 1) ||
         (m.words == 1 && m.max_letters == 2 && m.all_words >= 3);
}

DropReason Verdict(const Measure& m) {
  if (m.content_units > 0) return DropReason::kTooShort;
  // "我的手机号是[手机号]": handing over an identifier, whatever else is said.
  if ((m.placeholder || m.long_number) && m.placeholder_words > 0) return DropReason::kPlaceholderOnly;
  if (m.best_cat >= 0) return static_cast<DropReason>(m.best_cat);
  if (m.placeholder || m.long_number) return DropReason::kPlaceholderOnly;
  if (m.sticker) return DropReason::kSticker;
  if (m.filler || m.placeholder_words > 0) return DropReason::kTooShort;
  return DropReason::kNoContent;
}

bool Strippable(Cat cat) {
  return cat == Cat::kGreeting || cat == Cat::kThanks || cat == Cat::kAcknowledgement || cat == Cat::kHumanRequest ||
         cat == Cat::kGoodbye || cat == Cat::kInterjection;
}

// ---------------------------------------------------------------------------
// Sentences

bool IsTerminator(int32_t cp) {
  return cp == 0x3002 || cp == 0xFF01 || cp == 0xFF1F || cp == '!' || cp == '?' || cp == 0xFF1B || cp == ';' ||
         cp == 0x2026 || cp == 0xFF61;
}

bool IsCloser(int32_t cp) {
  return cp == '"' || cp == '\'' || cp == ')' || cp == 0x201D || cp == 0x2019 || cp == 0x300D || cp == 0x300F ||
         cp == 0xFF09 || cp == 0x3011 || cp == 0x300B;
}

// True if the '.' at s[dot] ends an abbreviation or initial rather than a
// sentence.
bool AbbreviationBefore(absl::string_view s, size_t dot, const Lexicon& lexicon) {
  size_t start = dot;
  while (start > 0 && (absl::ascii_isalpha(static_cast<unsigned char>(s[start - 1])) || s[start - 1] == '.')) {
    --start;
  }
  const absl::string_view word = s.substr(start, dot - start);
  if (word.empty()) return false;
  if (word.find('.') != absl::string_view::npos) return true;  // e.g., a.m., U.S.
  if (word.size() == 1 && absl::ascii_isupper(static_cast<unsigned char>(word[0]))) return true;  // J. Smith
  return lexicon.abbreviations.contains(absl::AsciiStrToLower(word));
}

std::vector<absl::string_view> SplitSentences(absl::string_view s, const Lexicon& lexicon) {
  std::vector<absl::string_view> sentences;
  size_t start = 0, i = 0;
  auto emit = [&](size_t end, size_t next) {
    if (end > start) sentences.push_back(s.substr(start, end - start));
    start = next;
  };
  while (i < s.size()) {
    size_t length;
    const int32_t cp = Decode(s, i, &length);
    if (cp == '\n' || cp == '\r') {
      emit(i, i + 1);
      i += 1;
      continue;
    }
    bool split = false;
    if (IsTerminator(cp)) {
      split = true;
    } else if (cp == '.') {
      size_t j = i;
      while (j < s.size() && s[j] == '.') ++j;
      const bool at_end_or_space = j >= s.size() || s[j] == ' ' || s[j] == '\t' || s[j] == '\n';
      if (j - i >= 2) {
        split = at_end_or_space;
      } else if (at_end_or_space) {
        split = !AbbreviationBefore(s, i, lexicon);
      }
      if (!split) {
        i = j;
        continue;
      }
      length = j - i;
    }
    if (!split) {
      i += length;
      continue;
    }
    size_t end = i + length;
    while (end < s.size()) {
      size_t n;
      const int32_t next = Decode(s, end, &n);
      if (!IsTerminator(next) && !IsCloser(next) && next != '.') break;
      end += n;
    }
    emit(end, end);
    i = end;
  }
  emit(s.size(), s.size());
  return sentences;
}

// ---------------------------------------------------------------------------
// CleanChatText helpers

// Decodes the entity at s[i] ('&'); returns false if there is none.
bool DecodeEntity(absl::string_view s, size_t i, std::string* out, size_t* consumed) {
  const size_t semi = s.find(';', i + 1);
  if (semi == absl::string_view::npos || semi - i > 10) return false;
  const absl::string_view name = s.substr(i + 1, semi - i - 1);
  int32_t cp = -1;
  if (name == "amp") cp = '&';
  if (name == "lt") cp = '<';
  if (name == "gt") cp = '>';
  if (name == "quot") cp = '"';
  if (name == "apos") cp = '\'';
  if (name == "nbsp") cp = 0xA0;
  if (name.size() >= 2 && name[0] == '#') {
    const bool hex = name[1] == 'x' || name[1] == 'X';
    const absl::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 7) return false;
    int64_t value = 0;
    for (char c : digits) {
      int d;
      if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        d = c - '0';
      } else if (hex && absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
        d = absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10;
      } else {
        return false;
      }
      value = value * (hex ? 16 : 10) + d;
    }
    if (value <= 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return false;
    cp = static_cast<int32_t>(value);
  }
  if (cp < 0) return false;
  AppendUtf8(cp, out);
  *consumed = semi - i + 1;
  return true;
}

bool IsBlockTag(absl::string_view name) {
  static const auto* kBlocks = new absl::flat_hash_set<std::string>{
      "br", "p", "div", "li", "tr", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"};
  return kBlocks->contains(absl::AsciiStrToLower(name));
}

std::string StripTagsAndEntities(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '<' && i + 1 < s.size()) {
      const char next = s[i + 1];
      const bool opens = absl::ascii_isalpha(static_cast<unsigned char>(next)) || next == '!' ||
                         (next == '/' && i + 2 < s.size() && absl::ascii_isalpha(static_cast<unsigned char>(s[i + 2])));
      if (opens) {
        const size_t close = s.find('>', i + 1);
        const size_t reopen = s.find('<', i + 1);
        if (close != absl::string_view::npos && close - i <= 512 && (reopen == absl::string_view::npos || reopen > close)) {
          size_t name_begin = i + 1 + (next == '/' ? 1 : 0);
          size_t name_end = name_begin;
          while (name_end < close && absl::ascii_isalnum(static_cast<unsigned char>(s[name_end]))) ++name_end;
          if (IsBlockTag(s.substr(name_begin, name_end - name_begin))) out.push_back('\n');
          i = close + 1;
          continue;
        }
      }
    }
    if (c == '&') {
      size_t consumed;
      if (DecodeEntity(s, i, &out, &consumed)) {
        i += consumed;
        continue;
      }
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

std::string CollapseSpace(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool in_space = false, newline = false;
  size_t i = 0;
  while (i < s.size()) {
    size_t length;
    const int32_t cp = Decode(s, i, &length);
    if (cp == 0x200B || cp == 0x2060 || cp == 0xFEFF) {
      i += length;
      continue;
    }
    if (cp != kInvalid && IsUnicodeSpace(cp)) {
      in_space = true;
      newline = newline || cp == '\n' || cp == '\r';
      i += length;
      continue;
    }
    if (in_space && !out.empty()) out.push_back(newline ? '\n' : ' ');
    in_space = newline = false;
    out.append(s.data() + i, length);
    i += length;
  }
  return out;
}

bool IsHandleChar(char c) { return IsAsciiAlnum(c) || c == '_'; }

// Length of the @mention at s[i] ('@'), or 0.
size_t MentionLength(absl::string_view s, size_t i) {
  if (i + 1 >= s.size() || s[i] != '@') return 0;
  size_t j = i + 1;
  if (IsHandleChar(s[j])) {
    while (j < s.size() && IsHandleChar(s[j])) ++j;
  } else if (static_cast<unsigned char>(s[j]) >= 0x80) {
    while (j < s.size() && s[j] != ' ' && s[j] != '\n' && j - i <= 32) ++j;
    if (j < s.size() && s[j] != ' ' && s[j] != '\n') return 0;
  } else {
    return 0;
  }
  return j - i;
}

std::string StripMentionsAndSignature(std::string s) {
  // Leading mentions, with a ':' or ',' after them (".@name" is a Twitter
  // convention for a public mention).
  size_t i = s.size() >= 2 && s[0] == '.' && s[1] == '@' ? 1 : 0;
  while (true) {
    const size_t n = MentionLength(s, i);
    if (n == 0) {
      if (i == 1) i = 0;  // a lone '.' before something else stays
      break;
    }
    size_t j = i + n;
    if (j < s.size() && IsHandleChar(s[j])) break;
    while (j < s.size() && (s[j] == ' ' || s[j] == '\n' || s[j] == ':' || s[j] == ',')) ++j;
    i = j;
  }
  s.erase(0, i);
  // Trailing mentions.
  while (true) {
    const size_t at = s.rfind('@');
    if (at == std::string::npos || (at > 0 && s[at - 1] != ' ' && s[at - 1] != '\n')) break;
    if (MentionLength(s, at) != s.size() - at) break;
    s.erase(at);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.pop_back();
  }
  // A signature of initials: "^AB", "^Jen"; or " -JK", " *TS", " ~AB".
  size_t letters = 0;
  while (letters < s.size() && letters < 5 && absl::ascii_isalpha(static_cast<unsigned char>(s[s.size() - 1 - letters]))) {
    ++letters;
  }
  if (letters >= 1 && letters <= 4 && letters < s.size()) {
    size_t mark = s.size() - letters - 1;
    if (s[mark] == ' ' && mark > 0) --mark;  // "^ AB"
    const char m = s[mark];
    const absl::string_view initials(s.data() + s.size() - letters, letters);
    const bool upper_first = absl::ascii_isupper(static_cast<unsigned char>(initials[0]));
    const bool all_upper = std::all_of(initials.begin(), initials.end(),
                                       [](char c) { return absl::ascii_isupper(static_cast<unsigned char>(c)); });
    bool cut = false;
    if (m == '^' && upper_first) cut = true;
    if ((m == '-' || m == '*' || m == '~') && all_upper && letters >= 2 && letters <= 3 && mark > 0 &&
        s[mark - 1] == ' ') {
      cut = true;
    }
    if (cut) {
      s.erase(mark);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.pop_back();
    }
  }
  return s;
}

}  // namespace

std::string CleanChatText(absl::string_view text) {
  std::string s = CollapseSpace(StripTagsAndEntities(text));
  s = StripMentionsAndSignature(std::move(s));
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.pop_back();
  size_t lead = 0;
  while (lead < s.size() && (s[lead] == ' ' || s[lead] == '\n')) ++lead;
  return s.substr(lead);
}

absl::string_view DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kGreeting: return "greeting";
    case DropReason::kThanks: return "thanks";
    case DropReason::kAcknowledgement: return "acknowledgement";
    case DropReason::kHumanRequest: return "human_request";
    case DropReason::kGoodbye: return "goodbye";
    case DropReason::kVagueFollowUp: return "vague_follow_up";
    case DropReason::kInterjection: return "interjection";
    case DropReason::kPlaceholderOnly: return "placeholder_only";
    case DropReason::kSticker: return "sticker";
    case DropReason::kTooShort: return "too_short";
    case DropReason::kNoContent: return "no_content";
    case DropReason::kDuplicate: return "duplicate";
  }
  return "unknown";
}

QuestionExtractor::QuestionExtractor() { GetLexicon(); }

Extraction QuestionExtractor::Extract(absl::string_view text) const {
  const Lexicon& lexicon = GetLexicon();
  Extraction result;
  for (absl::string_view sentence : SplitSentences(text, lexicon)) {
    const std::vector<Token> tokens = Tokenize(sentence);
    const std::vector<Unit> units = MakeUnits(sentence, tokens, lexicon);
    size_t first = 0;
    while (first < units.size() && IsGap(units[first])) ++first;
    if (first == units.size()) {
      // Only punctuation ("？？？") is a sentence without content; only
      // white space is no sentence at all.
      if (std::any_of(units.begin(), units.end(), [](const Unit& u) { return u.kind == UnitKind::kPunct; })) {
        result.dropped.push_back(DropReason::kNoContent);
      }
      continue;
    }
    size_t last = units.size();  // one past the last kept unit
    const Measure whole = Measure_(units, first, last);
    if (whole.content_units == 0 || !LongEnough(whole)) {
      result.dropped.push_back(Verdict(whole));
      continue;
    }
    // Politeness before the content (header, step 3). A few rounds are
    // enough for real text and keep pathological input linear.
    for (int round = 0; round < 6; ++round) {
      size_t at = first;  // fillers may lead in: "我要转人工，…", "I want an agent, …"
      while (at < last && (units[at].kind == UnitKind::kSpace ||
                           (units[at].kind == UnitKind::kLexicon && units[at].cat == Cat::kFiller))) {
        ++at;
      }
      if (at >= last) break;
      const Unit& u = units[at];
      if (u.kind != UnitKind::kLexicon || !Strippable(u.cat)) break;
      if (at > first && u.cat != Cat::kHumanRequest) break;
      size_t next = at + 1;
      while (next < last && units[next].kind == UnitKind::kLexicon && units[next].cat == Cat::kParticle) ++next;
      const bool separated = next < last && IsGap(units[next]);
      const bool runs_on = u.joins && u.cat == Cat::kGreeting && next < last;
      if (!separated && !runs_on) break;
      while (next < last && IsGap(units[next])) ++next;
      if (next >= last) break;
      const Measure rest = Measure_(units, next, last);
      if (rest.content_units == 0 || !LongEnough(rest)) break;
      first = next;
    }
    // A leading "field: value" segment of placeholders ("订单号：[订单号] 发票
    //开了吗", "Order [ORDER] - still not here") says which order, not what
    // is asked: drop it when a gap separates it from the content.
    {
      size_t k = first, cut = first;
      bool placeholder = false;
      while (k < last) {
        const Unit& u = units[k];
        const bool context = u.kind == UnitKind::kPlaceholder || u.kind == UnitKind::kNumber || IsGap(u) ||
                             (u.kind == UnitKind::kLexicon &&
                              (u.cat == Cat::kPlaceholderWord || u.cat == Cat::kFiller || u.cat == Cat::kParticle));
        if (!context) break;
        placeholder = placeholder || u.kind == UnitKind::kPlaceholder;
        ++k;
        if (placeholder && IsGap(units[k - 1]) && k < last && !IsGap(units[k])) cut = k;
      }
      if (cut > first) {
        const Measure rest = Measure_(units, cut, last);
        if (rest.content_units > 0 && LongEnough(rest)) first = cut;
      }
    }
    // ... and after it.
    for (int round = 0; round < 4; ++round) {
      size_t k = last;
      while (k > first && (IsGap(units[k - 1]) ||
                           (units[k - 1].kind == UnitKind::kLexicon && units[k - 1].cat == Cat::kParticle))) {
        --k;
      }
      if (k == first) break;
      const Unit& u = units[k - 1];
      if (u.kind != UnitKind::kLexicon || !Strippable(u.cat)) break;
      size_t before = k - 1;
      const bool separated = before > first && IsGap(units[before - 1]);
      const bool joins = u.joins && u.cat == Cat::kThanks && before > first;
      if (!separated && !joins) break;
      while (before > first && IsGap(units[before - 1])) --before;
      if (before == first) break;
      const Measure rest = Measure_(units, first, before);
      if (rest.content_units == 0 || !LongEnough(rest)) break;
      last = before;
    }
    size_t end = last == units.size() ? sentence.size() : units[last - 1].end;
    size_t begin = units[first].begin;
    while (end > begin && (sentence[end - 1] == ' ' || sentence[end - 1] == '\t')) --end;
    std::string question(sentence.substr(begin, end - begin));
    if (std::find(result.questions.begin(), result.questions.end(), question) != result.questions.end()) {
      result.dropped.push_back(DropReason::kDuplicate);
      continue;
    }
    result.questions.push_back(std::move(question));
  }
  if (result.questions.empty() && result.dropped.empty()) result.dropped.push_back(DropReason::kNoContent);
  return result;
}

}  // namespace zhiku
