#include "ingest/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "index/status_macros.h"
#include "nlohmann/json.hpp"

namespace zhiku {
namespace {

using Json = nlohmann::json;

constexpr size_t kReadChunk = 256 * 1024;
constexpr int64_t kProgressEvery = 1 << 20;

std::string DisplayName(const std::string& path) { return path == "-" ? "<stdin>" : path; }

std::string Basename(const std::string& path) {
  if (path == "-") return "stdin";
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// True if `s` is well-formed UTF-8 (no overlongs, surrogates or code points
// above U+10FFFF). Runs of ASCII are skipped eight bytes at a time.
bool IsValidUtf8(absl::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    if (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += extra + 1;
  }
  return true;
}

bool IsBlank(absl::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v') return false;
  }
  return true;
}

absl::string_view JsonTypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_float: return "a fractional number";
    default: return "a number";
  }
}

// Quotes a role only when it is short printable ASCII: anything else could be
// message text that ended up in the wrong column.
std::string DescribeRole(absl::string_view role) {
  const bool quotable = role.size() <= 32 && std::all_of(role.begin(), role.end(), [](char ch) {
                          return ch >= 0x20 && ch < 0x7f;
                        });
  return absl::StrCat("role is ", quotable ? absl::StrCat("'", role, "'") : "unknown",
                      "; it must be customer, agent, bot or system (or a synonym such as user or assistant)");
}

// Buffered access to one input, decompressing gzip transparently.
class Input {
 public:
  ~Input() {
    if (gz_ != nullptr) gzclose(gz_);
  }

  absl::Status Open(const std::string& path) {
    path_ = path;
    int fd = path == "-" ? dup(STDIN_FILENO) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return OpenError(errno);
    gz_ = gzdopen(fd, "rb");
    if (gz_ == nullptr) {
      close(fd);
      return absl::ResourceExhaustedError(absl::StrCat("cannot open ", DisplayName(path), ": out of memory"));
    }
    gzbuffer(gz_, kReadChunk);
    return absl::OkStatus();
  }

  // Reads up to `n` bytes. Returns 0 at the end. A damaged or truncated
  // compressed stream sets *corrupt and returns 0; an I/O error is a status.
  absl::StatusOr<size_t> Read(char* out, size_t n, bool* corrupt) {
    const int got = gzread(gz_, out, static_cast<unsigned>(n));
    int err = Z_OK;
    const char* message = gzerror(gz_, &err);
    if (got < 0 || (got == 0 && err != Z_OK)) {
      if (err == Z_ERRNO) {
        return absl::DataLossError(absl::StrCat("cannot read ", DisplayName(path_), ": ", std::strerror(errno)));
      }
      corrupt_detail_ = message != nullptr ? message : "damaged compressed data";
      *corrupt = true;
      return 0;
    }
    return static_cast<size_t>(got);
  }

  // Bytes of the file as stored consumed so far.
  int64_t RawOffset() const { return gz_ == nullptr ? 0 : gzoffset(gz_); }
  const std::string& corrupt_detail() const { return corrupt_detail_; }

 private:
  absl::Status OpenError(int err) const {
    const std::string what = absl::StrCat("cannot open chat log ", DisplayName(path_), ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(what);
    if (err == EACCES || err == EPERM) return absl::PermissionDeniedError(what);
    return absl::DataLossError(what);
  }

  std::string path_;
  gzFile gz_ = nullptr;
  std::string corrupt_detail_;
};

// Splits an Input into physical lines without ever holding more than
// max_line_bytes of one line.
class LineSplitter {
 public:
  LineSplitter(Input* input, size_t max_line_bytes)
      : input_(input), max_line_(max_line_bytes), buffer_(max_line_bytes + kReadChunk + 2) {}

  enum class Kind { kLine, kTooLong, kEnd };
  struct Result {
    Kind kind;
    absl::string_view line;  // kLine: without "\n" (a final "\r" is kept)
    size_t length = 0;       // kTooLong: the line's length
  };

  absl::StatusOr<Result> Next() {
    while (true) {
      const size_t pending = end_ - begin_;
      if (pending > 0) {
        const char* nl = static_cast<const char*>(std::memchr(buffer_.data() + begin_, '\n', pending));
        if (nl != nullptr) {
          const size_t length = nl - (buffer_.data() + begin_);
          absl::string_view line(buffer_.data() + begin_, length);
          begin_ += length + 1;
          if (Stripped(line) > max_line_) return Result{Kind::kTooLong, {}, length};
          return Result{Kind::kLine, line, 0};
        }
        if (pending > max_line_ + 1) return SkipRestOfLine(pending);
      }
      if (eof_) {
        // After damaged compressed data the unterminated tail is part of
        // the damage, not a record.
        if (pending == 0 || corrupt_) return Result{Kind::kEnd, {}, 0};
        absl::string_view line(buffer_.data() + begin_, pending);
        begin_ = end_;
        if (Stripped(line) > max_line_) return Result{Kind::kTooLong, {}, pending};
        return Result{Kind::kLine, line, 0};
      }
      if (begin_ > 0) {
        std::memmove(buffer_.data(), buffer_.data() + begin_, pending);
        begin_ = 0;
        end_ = pending;
      }
      ZHIKU_RETURN_IF_ERROR(Fill());
    }
  }

  int64_t bytes_read() const { return bytes_read_; }
  bool corrupt() const { return corrupt_; }

 private:
  static size_t Stripped(absl::string_view line) {
    return !line.empty() && line.back() == '\r' ? line.size() - 1 : line.size();
  }

  absl::Status Fill() {
    ZHIKU_ASSIGN_OR_RETURN(size_t got, input_->Read(buffer_.data() + end_, buffer_.size() - end_, &corrupt_));
    if (got == 0) eof_ = true;
    end_ += got;
    bytes_read_ += got;
    return absl::OkStatus();
  }

  // The line in the buffer has no end in sight: drop what we have and keep
  // reading until its newline.
  absl::StatusOr<Result> SkipRestOfLine(size_t length) {
    begin_ = end_ = 0;
    while (true) {
      ZHIKU_RETURN_IF_ERROR(Fill());
      if (end_ == 0) return Result{Kind::kTooLong, {}, length};
      const char* nl = static_cast<const char*>(std::memchr(buffer_.data(), '\n', end_));
      if (nl != nullptr) {
        begin_ = nl - buffer_.data() + 1;
        return Result{Kind::kTooLong, {}, length + (nl - buffer_.data())};
      }
      length += end_;
      end_ = 0;
    }
  }

  Input* input_;
  const size_t max_line_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  bool corrupt_ = false;
  int64_t bytes_read_ = 0;
};

enum class Format { kUnknown, kJsonl, kCsv };

enum class Column { kConversationId, kMessageId, kRole, kText, kTs, kChannel, kIgnored };

struct BadRecord {
  BadRecordReason reason;
  std::string detail;
};

// Reads one file; shared counters and options live in the caller's Reader.
class FileReader {
 public:
  FileReader(const std::string& path, const ReaderOptions& options,
             const std::function<void(ChatMessage&&, const RecordLocation&)>& sink, ReadReport* report,
             int64_t bytes_before, int64_t bytes_total)
      : options_(options),
        sink_(sink),
        report_(report),
        location_{path, 0},
        display_(DisplayName(path)),
        basename_(Basename(path)),
        bytes_before_(bytes_before),
        bytes_total_(bytes_total) {}

  absl::Status Read(int64_t* raw_bytes) {
    Input input;
    ZHIKU_RETURN_IF_ERROR(input.Open(location_.file));
    ++report_->files;
    LineSplitter splitter(&input, options_.max_line_bytes);
    int64_t last_progress = 0;
    while (true) {
      ZHIKU_ASSIGN_OR_RETURN(LineSplitter::Result next, splitter.Next());
      if (options_.progress && input.RawOffset() - last_progress >= kProgressEvery) {
        last_progress = input.RawOffset();
        options_.progress(bytes_before_ + last_progress, bytes_total_);
      }
      if (next.kind == LineSplitter::Kind::kEnd) break;
      ++report_->lines;
      ++location_.line;
      if (next.kind == LineSplitter::Kind::kTooLong) {
        csv_open_ = false;
        ZHIKU_RETURN_IF_ERROR(Bad(BadRecordReason::kLineTooLong,
                                  absl::StrCat("the line is ", next.length, " bytes; the limit is ",
                                               options_.max_line_bytes, " (max_line_bytes)")));
        continue;
      }
      ZHIKU_RETURN_IF_ERROR(Line(next.line));
    }
    if (csv_open_) {
      csv_open_ = false;
      location_.line = csv_start_line_;
      ZHIKU_RETURN_IF_ERROR(Bad(BadRecordReason::kBadCsvRow, "a quoted field is still open at the end of the file"));
    }
    report_->bytes += splitter.bytes_read();
    *raw_bytes = input.RawOffset();
    if (splitter.corrupt()) {
      const std::string detail =
          absl::StrCat("compressed data is damaged or ends early (", input.corrupt_detail(), "); lines before it were read");
      if (options_.strict) {
        ++report_->bad[static_cast<int>(BadRecordReason::kCorruptGzip)];
        return absl::DataLossError(absl::StrCat(display_, ":", location_.line, ": corrupt_gzip: ", detail));
      }
      ZHIKU_RETURN_IF_ERROR(Bad(BadRecordReason::kCorruptGzip, detail));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Bad(BadRecordReason reason, absl::string_view detail) {
    ++report_->bad[static_cast<int>(reason)];
    if (options_.strict || static_cast<int>(report_->examples.size()) < options_.max_examples) {
      std::string example = absl::StrCat(display_, ":", location_.line, ": ", BadRecordReasonName(reason), ": ", detail);
      if (options_.strict) return absl::InvalidArgumentError(example);
      report_->examples.push_back(std::move(example));
    }
    return absl::OkStatus();
  }

  absl::Status Line(absl::string_view line) {
    // A byte-order mark may start any line: concatenated files carry theirs.
    if (line.size() >= 3 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (std::memchr(line.data(), '\0', line.size()) != nullptr) {
      ++report_->nul_lines;
      scratch_.clear();
      for (char c : line) {
        if (c != '\0') scratch_.push_back(c);
      }
      line = scratch_;
    }
    if (format_ == Format::kCsv) return CsvLine(line);
    if (IsBlank(line)) {
      ++report_->empty_lines;
      return absl::OkStatus();
    }
    if (format_ == Format::kUnknown) {
      ZHIKU_ASSIGN_OR_RETURN(format_, Detect(line));
      if (format_ == Format::kCsv) return absl::OkStatus();  // the header
    }
    return JsonLine(line);
  }

  // --- Format detection --------------------------------------------------

  absl::StatusOr<Format> Detect(absl::string_view first) {
    if (location_.line == 1 && first.size() >= 2 &&
        ((first[0] == '\xFF' && first[1] == '\xFE') || (first[0] == '\xFE' && first[1] == '\xFF'))) {
      return absl::InvalidArgumentError(absl::StrCat(
          display_, " is UTF-16; chat logs must be UTF-8 (convert with: iconv -f UTF-16 -t UTF-8)"));
    }
    size_t i = 0;
    while (i < first.size() && (first[i] == ' ' || first[i] == '\t')) ++i;
    if (i < first.size() && first[i] == '{') return Format::kJsonl;
    std::vector<std::string> names;
    if (!SplitCsvLine(first, &names)) return Format::kJsonl;
    bool role = false, text = false;
    columns_.clear();
    for (std::string& name : names) {
      name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
      Column column = Column::kIgnored;
      if (name == "conversation_id") column = Column::kConversationId;
      if (name == "message_id") column = Column::kMessageId;
      if (name == "role") column = Column::kRole, role = true;
      if (name == "text") column = Column::kText, text = true;
      if (name == "ts") column = Column::kTs;
      if (name == "channel") column = Column::kChannel;
      columns_.push_back(column);
    }
    if (!role && !text) return Format::kJsonl;
    if (!role || !text) {
      return absl::InvalidArgumentError(absl::StrCat(
          display_, ":", location_.line, ": the CSV header has no \"", role ? "text" : "role",
          "\" column; a chat-log CSV needs role and text (and may have conversation_id, message_id, ts, channel)"));
    }
    return Format::kCsv;
  }

  // Splits one complete CSV line; false if a quote is left open.
  static bool SplitCsvLine(absl::string_view line, std::vector<std::string>* fields) {
    fields->assign(1, "");
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            fields->back().push_back('"');
            ++i;
          } else {
            quoted = false;
          }
        } else {
          fields->back().push_back(c);
        }
      } else if (c == ',') {
        fields->emplace_back();
      } else if (c == '"' && fields->back().empty()) {
        quoted = true;
      } else {
        fields->back().push_back(c);
      }
    }
    return !quoted;
  }

  // --- JSONL ---------------------------------------------------------------

  absl::Status JsonLine(absl::string_view line) {
    if (!IsValidUtf8(line)) return Bad(BadRecordReason::kInvalidUtf8, "the line is not valid UTF-8");
    // Fast path: a message with a canonical role parses once. Lines that
    // fail (synonyms, errors, conversations) get a second, slower look.
    if (line.find("\"messages\"") == absl::string_view::npos) {
      absl::StatusOr<ChatMessage> message = ChatMessageFromJsonLine(line);
      if (message.ok()) return Deliver(*std::move(message), absl::StrCat(basename_, ":", location_.line));
    }
    Json json;
    try {
      json = Json::parse(line.begin(), line.end());
    } catch (const Json::parse_error& e) {
      return Bad(BadRecordReason::kBrokenJson, absl::StrCat("invalid JSON at byte ", e.byte));
    }
    if (!json.is_object()) {
      return Bad(BadRecordReason::kNotAnObject,
                 absl::StrCat("the line is ", JsonTypeName(json), ", not a chat message or conversation object"));
    }
    if (json.contains("messages")) return Conversation(json);
    std::optional<BadRecord> bad;
    absl::StatusOr<ChatMessage> message = FromObject(json, &bad);
    if (bad.has_value()) return Bad(bad->reason, bad->detail);
    return Deliver(*std::move(message), absl::StrCat(basename_, ":", location_.line));
  }

  absl::Status Conversation(Json& json) {
    const Json& messages = json["messages"];
    if (!messages.is_array()) {
      return Bad(BadRecordReason::kBadConversation,
                 absl::StrCat("\"messages\" must be an array of messages, not ", JsonTypeName(messages)));
    }
    std::string conversation_id;
    auto id = json.find("conversation_id");
    if (id != json.end() && !id->is_null()) {
      if (id->is_string()) {
        conversation_id = id->get<std::string>();
      } else if (id->is_number_integer()) {
        conversation_id = id->dump();
      } else {
        return Bad(BadRecordReason::kBadConversation,
                   absl::StrCat("\"conversation_id\" must be a string or an integer, not ", JsonTypeName(*id)));
      }
    }
    if (conversation_id.empty()) conversation_id = absl::StrCat(basename_, ":", location_.line);
    for (size_t i = 0; i < json["messages"].size(); ++i) {
      Json& element = json["messages"][i];
      if (!element.is_object()) {
        ZHIKU_RETURN_IF_ERROR(Bad(BadRecordReason::kNotAnObject, absl::StrCat("message ", i, " of the conversation is ",
                                                                              JsonTypeName(element), ", not an object")));
        continue;
      }
      auto own = element.find("conversation_id");
      if (own == element.end() || own->is_null() || (own->is_string() && own->get_ref<const std::string&>().empty())) {
        element["conversation_id"] = conversation_id;
      }
      std::optional<BadRecord> bad;
      absl::StatusOr<ChatMessage> message = FromObject(element, &bad);
      if (bad.has_value()) {
        ZHIKU_RETURN_IF_ERROR(Bad(bad->reason, absl::StrCat("message ", i, " of the conversation: ", bad->detail)));
        continue;
      }
      ZHIKU_RETURN_IF_ERROR(Deliver(*std::move(message), absl::StrCat(conversation_id, "#", i)));
    }
    return absl::OkStatus();
  }

  // Checks a message object field by field (to name the reason), maps a role
  // synonym to its canonical name, then converts with ChatMessageFromJsonLine.
  static absl::StatusOr<ChatMessage> FromObject(Json& object, std::optional<BadRecord>* bad) {
    auto fail = [bad](BadRecordReason reason, std::string detail) {
      *bad = BadRecord{reason, std::move(detail)};
      return absl::InvalidArgumentError("bad record");
    };
    auto role = object.find("role");
    if (role == object.end() || role->is_null()) {
      return fail(BadRecordReason::kMissingField, "\"role\" is missing; every chat message needs it");
    }
    if (!role->is_string()) {
      return fail(BadRecordReason::kWrongType, absl::StrCat("\"role\" must be a string, not ", JsonTypeName(*role)));
    }
    ChatRole parsed;
    if (!ParseChatRole(role->get_ref<const std::string&>(), &parsed)) {
      return fail(BadRecordReason::kUnknownRole, DescribeRole(role->get_ref<const std::string&>()));
    }
    *role = std::string(ChatRoleName(parsed));
    auto text = object.find("text");
    if (text == object.end() || text->is_null()) {
      return fail(BadRecordReason::kMissingField, "\"text\" is missing; every chat message needs it");
    }
    if (!text->is_string()) {
      return fail(BadRecordReason::kWrongType, absl::StrCat("\"text\" must be a string, not ", JsonTypeName(*text)));
    }
    for (const char* key : {"conversation_id", "message_id", "ts"}) {
      auto it = object.find(key);
      if (it != object.end() && !it->is_null() && !it->is_string() && !it->is_number_integer()) {
        return fail(BadRecordReason::kWrongType,
                    absl::StrCat("\"", key, "\" must be a string or an integer, not ", JsonTypeName(*it)));
      }
    }
    auto channel = object.find("channel");
    if (channel != object.end() && !channel->is_null() && !channel->is_string()) {
      return fail(BadRecordReason::kWrongType,
                  absl::StrCat("\"channel\" must be a string, not ", JsonTypeName(*channel)));
    }
    absl::StatusOr<ChatMessage> message = ChatMessageFromJsonLine(object.dump());
    if (!message.ok()) return fail(BadRecordReason::kWrongType, std::string(message.status().message()));
    return message;
  }

  // --- CSV -----------------------------------------------------------------

  absl::Status CsvLine(absl::string_view line) {
    if (!csv_open_) {
      if (IsBlank(line)) {
        ++report_->empty_lines;
        return absl::OkStatus();
      }
      csv_open_ = true;
      csv_quoted_ = false;
      csv_start_line_ = location_.line;
      csv_bytes_ = 0;
      fields_used_ = 1;
      Field(0).clear();
    } else {
      Field(fields_used_ - 1).push_back('\n');  // a line break inside quotes
    }
    csv_bytes_ += line.size() + 1;
    if (csv_bytes_ > options_.max_line_bytes + 1) {
      csv_open_ = false;
      return BadAt(csv_start_line_, BadRecordReason::kLineTooLong,
                   absl::StrCat("the CSV record is over ", options_.max_line_bytes,
                                " bytes (max_line_bytes); is a quote left open?"));
    }
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      std::string& field = Field(fields_used_ - 1);
      if (csv_quoted_) {
        if (c == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            ++i;
          } else {
            csv_quoted_ = false;
          }
        } else {
          field.push_back(c);
        }
      } else if (c == ',') {
        ++fields_used_;
        Field(fields_used_ - 1).clear();
      } else if (c == '"' && field.empty()) {
        csv_quoted_ = true;
      } else {
        field.push_back(c);
      }
    }
    if (csv_quoted_) return absl::OkStatus();
    csv_open_ = false;
    return CsvRecord();
  }

  std::string& Field(size_t i) {
    if (i >= fields_.size()) fields_.resize(i + 1);
    return fields_[i];
  }

  absl::Status BadAt(int64_t line, BadRecordReason reason, absl::string_view detail) {
    const int64_t current = location_.line;
    location_.line = line;
    absl::Status status = Bad(reason, detail);
    location_.line = current;
    return status;
  }

  absl::Status CsvRecord() {
    const int64_t start = csv_start_line_;
    if (fields_used_ != columns_.size()) {
      return BadAt(start, BadRecordReason::kBadCsvRow,
                   absl::StrCat("the row has ", fields_used_, " fields; the header has ", columns_.size()));
    }
    ChatMessage message;
    bool has_role = false;
    for (size_t i = 0; i < fields_used_; ++i) {
      std::string& field = fields_[i];
      if (columns_[i] == Column::kIgnored) continue;
      if (!IsValidUtf8(field)) return BadAt(start, BadRecordReason::kInvalidUtf8, "the row is not valid UTF-8");
      switch (columns_[i]) {
        case Column::kConversationId: message.conversation_id = field; break;
        case Column::kMessageId: message.message_id = field; break;
        case Column::kText: message.text = field; break;
        case Column::kTs: message.ts = field; break;
        case Column::kChannel: message.channel = field; break;
        case Column::kRole:
          if (absl::StripAsciiWhitespace(field).empty()) {
            return BadAt(start, BadRecordReason::kMissingField, "the role is empty; every chat message needs one");
          }
          if (!ParseChatRole(field, &message.role)) return BadAt(start, BadRecordReason::kUnknownRole, DescribeRole(field));
          has_role = true;
          break;
        case Column::kIgnored: break;
      }
    }
    if (!has_role) return BadAt(start, BadRecordReason::kMissingField, "the role is empty");
    const int64_t current = location_.line;
    location_.line = start;
    absl::Status status = Deliver(std::move(message), absl::StrCat(basename_, ":", start));
    location_.line = current;
    return status;
  }

  // --- Common --------------------------------------------------------------

  absl::Status Deliver(ChatMessage message, std::string fallback_id) {
    std::string& text = message.text;
    if (std::memchr(text.data(), '\0', text.size()) != nullptr) {
      text.erase(std::remove(text.begin(), text.end(), '\0'), text.end());
    }
    if (text.size() > options_.max_text_bytes) {
      size_t cut = options_.max_text_bytes;
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
      text.resize(cut);
      ++report_->truncated_texts;
    }
    if (message.message_id.empty()) message.message_id = std::move(fallback_id);
    if (message.conversation_id.empty()) message.conversation_id = message.message_id;
    ++report_->messages;
    sink_(std::move(message), location_);
    return absl::OkStatus();
  }

  const ReaderOptions& options_;
  const std::function<void(ChatMessage&&, const RecordLocation&)>& sink_;
  ReadReport* report_;
  RecordLocation location_;
  const std::string display_;
  const std::string basename_;
  const int64_t bytes_before_;
  const int64_t bytes_total_;

  Format format_ = Format::kUnknown;
  std::string scratch_;
  // CSV: the columns named by the header, and the record being assembled
  // (fields_ is reused across rows; fields_used_ of them are live).
  std::vector<Column> columns_;
  std::vector<std::string> fields_;
  size_t fields_used_ = 0;
  bool csv_open_ = false;
  bool csv_quoted_ = false;
  int64_t csv_start_line_ = 0;
  size_t csv_bytes_ = 0;
};

absl::Status CheckPath(const std::string& path, int64_t* size) {
  *size = -1;
  if (path == "-") return absl::OkStatus();
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    const std::string what = absl::StrCat("cannot read chat log ", path, ": ", std::strerror(errno));
    if (errno == ENOENT || errno == ENOTDIR) return absl::NotFoundError(what);
    if (errno == EACCES) return absl::PermissionDeniedError(what);
    return absl::DataLossError(what);
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("chat log ", path, " is a directory; pass the files in it"));
  }
  if (access(path.c_str(), R_OK) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot read chat log ", path, ": ", std::strerror(errno)));
  }
  if (S_ISREG(st.st_mode)) *size = st.st_size;
  return absl::OkStatus();
}

}  // namespace

absl::string_view BadRecordReasonName(BadRecordReason reason) {
  switch (reason) {
    case BadRecordReason::kBrokenJson: return "broken_json";
    case BadRecordReason::kNotAnObject: return "not_an_object";
    case BadRecordReason::kMissingField: return "missing_field";
    case BadRecordReason::kWrongType: return "wrong_type";
    case BadRecordReason::kUnknownRole: return "unknown_role";
    case BadRecordReason::kInvalidUtf8: return "invalid_utf8";
    case BadRecordReason::kLineTooLong: return "line_too_long";
    case BadRecordReason::kBadCsvRow: return "bad_csv_row";
    case BadRecordReason::kBadConversation: return "bad_conversation";
    case BadRecordReason::kCorruptGzip: return "corrupt_gzip";
  }
  return "unknown";
}

int64_t ReadReport::bad_total() const {
  int64_t total = 0;
  for (int64_t n : bad) total += n;
  return total;
}

bool ParseChatRole(absl::string_view written, ChatRole* role) {
  const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(written));
  struct Synonym {
    const char* name;
    ChatRole role;
  };
  static constexpr Synonym kSynonyms[] = {
      {"customer", ChatRole::kCustomer}, {"user", ChatRole::kCustomer},       {"client", ChatRole::kCustomer},
      {"agent", ChatRole::kAgent},       {"staff", ChatRole::kAgent},         {"assistant", ChatRole::kAgent},
      {"service", ChatRole::kAgent},     {"human_agent", ChatRole::kAgent},   {"operator", ChatRole::kAgent},
      {"bot", ChatRole::kBot},           {"robot", ChatRole::kBot},           {"chatbot", ChatRole::kBot},
      {"system", ChatRole::kSystem},
  };
  for (const Synonym& synonym : kSynonyms) {
    if (name == synonym.name) {
      *role = synonym.role;
      return true;
    }
  }
  return false;
}

absl::Status ReadChatLogs(const std::vector<std::string>& paths, const ReaderOptions& options,
                          const std::function<void(ChatMessage&&, const RecordLocation&)>& sink,
                          ReadReport* report) {
  if (report == nullptr) return absl::InvalidArgumentError("ReadChatLogs needs a ReadReport");
  *report = ReadReport();
  if (options.max_line_bytes < 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_line_bytes is ", options.max_line_bytes, "; it must be at least 64"));
  }
  if (options.max_text_bytes < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_text_bytes is ", options.max_text_bytes, "; it must be at least 4"));
  }
  if (options.max_examples < 0) {
    return absl::InvalidArgumentError(absl::StrCat("max_examples is ", options.max_examples, "; it must be >= 0"));
  }
  int64_t total = 0;
  for (const std::string& path : paths) {
    int64_t size;
    ZHIKU_RETURN_IF_ERROR(CheckPath(path, &size));
    total = (size < 0 || total < 0) ? -1 : total + size;
  }
  int64_t done = 0;
  for (const std::string& path : paths) {
    FileReader file(path, options, sink, report, done, total);
    int64_t raw = 0;
    ZHIKU_RETURN_IF_ERROR(file.Read(&raw));
    done += raw;
  }
  if (options.progress) options.progress(done, total);
  return absl::OkStatus();
}

}  // namespace zhiku
