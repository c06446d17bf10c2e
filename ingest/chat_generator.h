// Synthetic chat logs for scale tests of FAQ mining (`zhiku-ingest
// generate`): recombines the conversations of existing per-message JSONL
// logs into a log of any size that looks like a real one.
//
// What a generated log looks like:
//   - Conversations are drawn from the source conversations with Zipf-like
//     frequency: the source conversation of rank r (in an order shuffled by
//     the seed) is drawn with weight 1 / (r + 1)^zipf_exponent, so a few hot
//     questions recur a lot and there is a long tail.
//   - A generated conversation is one source conversation (at most
//     max_source_turns messages, in source order, so agents' replies stay
//     with the questions they answered), sometimes followed by a second one
//     in the same language, framed by chit-chat: greetings and 在吗 / "hi"
//     with an agent's reply, an order number after the agent's first reply,
//     thanks at the end.
//   - Customer texts are perturbed: a code point dropped, doubled or swapped
//     with its neighbour, filler words (请问, 那个, please, hi), punctuation
//     changes, letter case, fake phone numbers / e-mail addresses / order
//     numbers (so the PII masker has work), now and then an emoji, HTML or
//     a URL. Some Chinese conversations switch script, mostly to
//     Traditional (OpenCC s2tw, converted once per source text), and back
//     to Simplified for Traditional sources; agents keep theirs. Placeholders of
//     anonymised logs ("[订单x]", "[数字x]", "[电话x]", ...) become fake
//     values, in agents' replies too (which are otherwise kept as written).
//   - Timestamps (ISO 8601 with the configured UTC offset, e.g.
//     "2026-11-02T09:32:36+08:00") spread over `days` days with a daily
//     rhythm (quiet nights); turns a few seconds to two minutes apart.
//     With time_ordered the file is sorted by time, so concurrent
//     conversations interleave as in a real export; otherwise each
//     conversation is written in one piece.
//   - Fresh ids, numbered from 1 in output order: conversations
//     "<id_prefix>-c0000001", messages "<id_prefix>-m000000001". Every field
//     is written: {"conversation_id","message_id","role","text","ts",
//     "channel"}; the channel is the source conversation's, or else one of
//     app/web/wechat (Chinese) or web/email/twitter/app (English).
//   - A share of dirty lines takes the place of messages: empty lines, JSON
//     cut short, a required field ("role" or "text") missing, invalid UTF-8
//     in the text, and lines that are not JSON at all.
// The output is a pure function of the source files' contents, their
// order, the options and the OpenCC data: the same seed gives the same bytes
// (the generator has its own random number generator and uses no std::
// distributions, whose results differ between standard libraries).
#ifndef ZHIKU_INGEST_CHAT_GENERATOR_H_
#define ZHIKU_INGEST_CHAT_GENERATOR_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace zhiku {

struct GeneratorOptions {
  // Lines to write, dirty ones included. Must be >= 0.
  int64_t messages = 1'000'000;
  uint64_t seed = 1;
  // The span of the timestamps, from `start`. Must be 1..3650.
  int days = 7;
  absl::Time start = absl::FromUnixSeconds(1793548800);  // 2026-11-02T00:00:00+08:00
  // The offset written in timestamps and used for the daily rhythm, in
  // minutes east of UTC. Must be -1440..1440.
  int utc_offset_minutes = 8 * 60;
  // Share of lines that are dirty. Must be in [0, 1).
  double dirty_share = 0.001;
  // Zipf exponent of the source conversations' frequencies; 0 = uniform.
  // Must be in [0, 4].
  double zipf_exponent = 1.0;
  // Longer source conversations are cut to their first max_source_turns
  // messages. Must be >= 1.
  int max_source_turns = 20;
  // Probabilities, each in [0, 1]:
  double perturb_share = 0.5;           // a customer text gets 1-3 edits
  double pii_share = 0.05;              // ... a fake phone, e-mail or order number
  double noise_share = 0.02;            // ... an emoji, HTML or a URL
  double traditional_share = 0.15;      // a Chinese conversation switches script
  double greeting_share = 0.3;          // a conversation opens with chit-chat
  double order_number_share = 0.1;      // the customer sends an order number
  double thanks_share = 0.4;            // the customer says thanks at the end
  double second_question_share = 0.15;  // a second source conversation follows
  // Sort the output by time (concurrent conversations interleave); false
  // writes each conversation in one piece.
  bool time_ordered = true;
  std::string id_prefix = "gen";
  // OpenCC configuration directory, used when traditional_share > 0.
  std::string opencc_dir = "/usr/share/opencc";
};

struct GeneratorReport {
  // Sources.
  int64_t source_files = 0;
  int64_t source_lines = 0;          // physical lines
  int64_t source_messages = 0;       // lines that parsed as messages
  int64_t source_skipped_lines = 0;  // blank or unparsable lines
  // Conversations with at least one customer message: what is drawn from.
  int64_t source_conversations = 0;
  // How often each source conversation was drawn, in source order (first
  // appearance of its conversation_id), size source_conversations.
  std::vector<int64_t> source_uses;

  // Output.
  int64_t lines = 0;          // == options.messages
  int64_t messages = 0;       // well-formed message lines
  int64_t dirty_lines = 0;    // lines - messages
  int64_t conversations = 0;  // conversation ids used
  // Of the well-formed lines:
  int64_t customer_messages = 0;
  int64_t agent_messages = 0;
  int64_t other_messages = 0;     // bot and system
  int64_t chitchat_messages = 0;  // greetings, thanks, order numbers added
  int64_t perturbed_messages = 0;
  int64_t pii_messages = 0;
  int64_t script_converted_messages = 0;
  std::string first_ts;  // "" if nothing was written
  std::string last_ts;
};

// Reads the per-message JSONL logs at `source_paths` (in that order; the
// whole sources are held in memory, a few MB for the public sets), then
// writes options.messages lines of generated log to `out` as it goes
// (memory beyond the sources is bounded by the messages of the
// conversations open at one time). Source lines that
// ChatMessageFromJsonLine rejects, and blank ones, are skipped and counted;
// a message without conversation_id is a conversation of its own.
//
// Returns the report, or InvalidArgument for an option out of range or an
// empty `source_paths`, NotFound if a source cannot be opened, DataLoss if
// reading one fails, InvalidArgument if the sources hold no conversation
// with a customer message, FailedPrecondition if the OpenCC data is missing
// (only when traditional_share > 0), and Unavailable if writing to `out`
// fails; after an error `out` may hold a partial log. Thread-compatible:
// concurrent calls must use different streams.
//
// (A StatusOr rather than the report as an out-parameter, per the house
// style for fallible functions.)
absl::StatusOr<GeneratorReport> GenerateChatLog(const std::vector<std::string>& source_paths,
                                                const GeneratorOptions& options, std::ostream& out);

}  // namespace zhiku

#endif  // ZHIKU_INGEST_CHAT_GENERATOR_H_
