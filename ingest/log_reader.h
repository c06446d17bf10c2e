// Chat-log reading, the first stage of FAQ mining: streams the messages of
// one or more log files to a callback with bounded memory, counting and
// skipping (or, in strict mode, rejecting) the records it cannot use.
//
// Formats, detected per file from its content (the extension is not
// consulted):
//   - JSONL, one message per line (PRODUCT.md):
//       {"conversation_id","message_id","role","text","ts"?,"channel"?}
//   - JSONL, one conversation per line:
//       {"conversation_id", "messages": [{"role","text",...}, ...]}
//     The messages inherit the conversation's id unless they carry their
//     own. A bad message is counted and skipped; the rest of the
//     conversation is kept. Both shapes may be mixed in one file: a line is a
//     conversation when its object has a "messages" key.
//   - CSV (RFC 4180) whose header row names the same columns, in any order
//     and any letter case; unknown columns are ignored, "role" and "text"
//     are required. Quoted fields may hold commas, doubled quotes and line
//     breaks. Leniencies: a stray quote inside an unquoted field and text
//     after a closing quote are kept as written. A row with a different
//     number of fields than the header is bad (bad_csv_row).
// A file is CSV when its first non-blank line does not start with '{' and
// parses as a header naming a "role" or "text" column; otherwise it is
// JSONL (so a first line of garbage is just a bad record). A CSV header
// naming only one of the two required columns is an error for the file.
//
// Any of these may be gzip-compressed (including concatenated gzip members);
// compression is recognised by its magic bytes, on stdin too.
//
// Field rules, for every format:
//   - role: compared case-insensitively after trimming; synonyms map to the
//     four roles: user, client -> customer; staff, assistant, service,
//     human_agent, operator -> agent; robot, chatbot -> bot. Anything else is
//     unknown_role.
//   - message_id missing or empty: "<file basename>:<line>" for a per-line
//     message or CSV row ("stdin:<line>" on stdin), "<conversation_id>#<i>"
//     (0-based position in "messages") inside a conversation.
//   - conversation_id missing or empty: the message_id, i.e. the message is a
//     conversation of its own (a conversation line without an id gets
//     "<file basename>:<line>").
//   - text longer than max_text_bytes: cut at the last UTF-8 boundary within
//     the limit and counted in truncated_texts (not a bad record).
// Dirty input: blank and whitespace-only lines are counted in empty_lines;
// CRLF line ends are accepted; a UTF-8 byte-order mark at the start of any
// line (so also of concatenated files) is skipped; NUL bytes are removed
// from lines before parsing (counted in nul_lines); records that are not
// valid UTF-8 are bad (invalid_utf8); UTF-16 files are rejected as a whole.
#ifndef ZHIKU_INGEST_LOG_READER_H_
#define ZHIKU_INGEST_LOG_READER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "index/chat_message.h"

namespace zhiku {

// Where a message came from: the path as given ("-" for stdin) and the
// 1-based physical line its record starts on (for a CSV row spanning lines,
// the first of them; for a message inside a conversation, the line of the
// conversation).
struct RecordLocation {
  std::string file;
  int64_t line = 0;
};

// Why a record was skipped.
enum class BadRecordReason {
  kBrokenJson = 0,   // the line is not valid JSON
  kNotAnObject,      // valid JSON, but not an object
  kMissingField,     // "role" or "text" absent or null (or an empty CSV role)
  kWrongType,        // a field of the wrong JSON type
  kUnknownRole,      // a role that is not one of the four or their synonyms
  kInvalidUtf8,      // the record is not valid UTF-8
  kLineTooLong,      // a physical line (or CSV record) over max_line_bytes
  kBadCsvRow,        // wrong number of fields, or a quote left open at the end
  kBadConversation,  // a conversation line whose "messages" is not an array
                     // of objects, or whose id has the wrong type
  kCorruptGzip,      // compressed data ends early or is damaged; what was
                     // read before is kept
};
inline constexpr int kBadRecordReasonCount = 10;

// A stable snake_case name for logs, reports and JSON: "broken_json",
// "not_an_object", "missing_field", "wrong_type", "unknown_role",
// "invalid_utf8", "line_too_long", "bad_csv_row", "bad_conversation",
// "corrupt_gzip".
absl::string_view BadRecordReasonName(BadRecordReason reason);

struct ReaderOptions {
  // Any bad record is fatal: ReadChatLogs returns InvalidArgument (DataLoss
  // for corrupt_gzip) naming file:line and the reason.
  bool strict = false;
  // Physical lines (CSV: records) longer than this are skipped as
  // line_too_long without being held in memory. Must be >= 64.
  size_t max_line_bytes = 1 << 20;
  // Texts longer than this are truncated (see the file comment). Must be >= 4.
  size_t max_text_bytes = 16 * 1024;
  // How many bad records to describe in ReadReport::examples. Must be >= 0.
  int max_examples = 10;
  // Optional. Called about every MiB of input and once at the end, on the
  // calling thread. bytes_done counts bytes of the files as stored
  // (compressed bytes for gzip files); bytes_total is the sum of the sizes of
  // all files, or -1 when one of them has no size (stdin, a pipe).
  std::function<void(int64_t bytes_done, int64_t bytes_total)> progress;
};

struct ReadReport {
  int64_t files = 0;            // files opened
  int64_t lines = 0;            // physical lines read
  int64_t messages = 0;         // messages passed to the sink
  int64_t empty_lines = 0;      // blank or whitespace-only lines
  int64_t truncated_texts = 0;  // texts cut to max_text_bytes
  int64_t nul_lines = 0;        // lines that had NUL bytes removed
  int64_t bytes = 0;            // bytes of log text read (after decompression)
  std::array<int64_t, kBadRecordReasonCount> bad = {};  // by BadRecordReason

  int64_t bad_count(BadRecordReason reason) const { return bad[static_cast<int>(reason)]; }
  int64_t bad_total() const;
  // The first max_examples bad records, "file:line: reason: detail". The
  // detail says what is wrong and never quotes the record's text, which may
  // hold personal data.
  std::vector<std::string> examples;
};

// Reads `paths` in order and calls `sink` for every good message, in file
// order, on the calling thread. "-" reads stdin. `report` (required) is reset
// and then filled in as reading goes, so it is meaningful after an error too.
//
// Before reading anything, every path is checked: a missing file returns
// NotFound, an unreadable one PermissionDenied, a directory
// InvalidArgument, each naming the file. While reading: a CSV header
// without a "role" or "text" column or a UTF-16 file returns
// InvalidArgument; an I/O error returns DataLoss; in strict mode, the first
// bad record returns InvalidArgument (DataLoss for corrupt gzip data)
// "file:line: reason: detail". Options out of range return InvalidArgument.
// Messages already passed to the sink stay passed.
//
// Memory is bounded by about max_line_bytes plus 1 MiB of buffers, whatever
// the file sizes. Thread-safe: calls share no state.
absl::Status ReadChatLogs(const std::vector<std::string>& paths, const ReaderOptions& options,
                          const std::function<void(ChatMessage&&, const RecordLocation&)>& sink,
                          ReadReport* report);

// Maps a role as written in a log to a ChatRole (see "role" in the file
// comment). Returns false for unknown roles.
bool ParseChatRole(absl::string_view written, ChatRole* role);

}  // namespace zhiku

#endif  // ZHIKU_INGEST_LOG_READER_H_
