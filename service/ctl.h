// zhikuctl: the command-line client of the Zhiku gRPC API, as a library so
// that tests reach everything tools/zhikuctl.cc does.
//
//   zhikuctl [--server=HOST:PORT] [--json] [--timeout=5s] SUBCOMMAND ARGS...
//
// Subcommands: search, answer, suggest, get, create, update, delete, list,
// import, import-corpus, export, health, status, eval, drafts (list, get,
// reject, submit), help. `zhikuctl --help` (CtlUsage())
// is the reference.
//
// gRPC headers stay out of this file on purpose (STYLE.md): the channel and
// stubs live in ctl.cc; protobuf types are only forward-declared.
#ifndef ZHIKU_SERVICE_CTL_H_
#define ZHIKU_SERVICE_CTL_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace zhiku::v1 {
class Entry;
class SearchResponse;
}  // namespace zhiku::v1

namespace zhiku::ctl {

// Process exit codes of RunCtl.
inline constexpr int kExitOk = 0;
// Unknown subcommand or flag, missing or malformed argument. Nothing was sent.
inline constexpr int kExitUsage = 1;
// A call failed ("error: <CODE_NAME>: <message>" on `err`), a local file could
// not be read or written, or `health` found the server not SERVING.
inline constexpr int kExitRpcError = 2;
// `import`, `import-corpus`: the stream succeeded but at least one line was
// rejected.
inline constexpr int kExitPartialImport = 3;
// eval: a metric is below its --fail_below floor.
inline constexpr int kExitBelowFloor = 4;

// Defaults and facts about the process environment that RunCtl must not look
// up itself (so tests control them). Global flags on the command line
// override `server` and `timeout`.
struct CtlOptions {
  // HOST:PORT of the server; main() puts $ZHIKU_SERVER here when set.
  std::string server = "127.0.0.1:50051";
  // The API key sent with every call; main() puts $ZHIKU_API_KEY here.
  // --api_key_file overrides it. "" = none.
  std::string api_key;
  // Deadline of each unary call. import, import-corpus and export, which may
  // run long, use a deadline only when --timeout is given explicitly.
  absl::Duration timeout = absl::Seconds(5);
  // --color=auto highlights with ANSI escapes iff this is true.
  bool stdout_is_tty = false;
  // import and import-corpus draw a progress line on `err` iff this is true.
  bool stderr_is_tty = false;
  // What `import -` and `import-corpus -` read. Borrowed; nullptr makes them
  // a usage error.
  std::istream* in = nullptr;
};

// Runs one zhikuctl command line. `args` is argv without the program name.
// Results go to `out`, diagnostics, progress and help-on-error to `err`.
// Returns one of the kExit* codes above. Connects to the server only for
// subcommands that need it, and only after the whole command line parsed.
// Thread-compatible: concurrent calls must use distinct streams.
int RunCtl(const CtlOptions& options, const std::vector<std::string>& args,
           std::ostream& out, std::ostream& err);

// The complete reference printed by `zhikuctl --help`: every subcommand with
// its flags and examples, the global flags, highlighting and exit codes.
std::string CtlUsage();

// The help of one subcommand (`zhikuctl help NAME`), or "" if there is no
// subcommand called `name`.
std::string CtlSubcommandHelp(absl::string_view name);

// The subcommand names, in the order the help lists them.
std::vector<std::string> CtlSubcommandNames();

// How highlighted text (server tags <em>…</em>) is shown to people.
enum class Highlight {
  kAnsi,      // bold yellow ANSI escapes; for terminals
  kBrackets,  // 【…】; for pipes and files, readable in any script
};

// Renders text from the server for one line of human output: <em> and </em>
// become the markers of `style`, control characters (which could drive a
// terminal) become U+FFFD, and newlines and tabs become spaces.
std::string RenderHighlighted(absl::string_view text, Highlight style);

// Writes `response` as people read it: per hit its rank, entry id, score,
// category and which phrasing matched, the highlighted phrasing and the
// answer snippet; then the total estimate and the next page token. If
// `explain`: under each hit that has one, its HitExplanation (both legs'
// ranks and scores, the fused score), and at the end one line on what
// retrieval ran (response.retrieval).
void PrintSearchHuman(const v1::SearchResponse& response, Highlight style,
                      std::ostream& out, bool explain = false);

// Writes `response` as JSON lines: one object per hit
//   {"rank","score","matched_field","variant_index"?,"matched_text",
//    "highlighted_text","answer_snippet","entry":{...},
//    "explain"?:{"keyword_rank","keyword_score","vector_rank",
//                "vector_score","vector_phrasing","fused_score"}}
// (highlights keep the server's <em>…</em> tags), then one summary line
//   {"total_estimate","next_page_token","traditional_query",
//    "retrieval"?:{"semantic_ratio","fusion","vector_used","model_version",
//                  "note"}}.
void PrintSearchJson(const v1::SearchResponse& response, std::ostream& out);

// One entry as a single-line JSON object in the KB JSONL format of
// PRODUCT.md (id, question, variants, answer, category, tags, locale,
// channel), plus version, create_time_ms and update_time_ms if
// `with_metadata`. Invalid UTF-8 is replaced by U+FFFD, never thrown.
std::string EntryToJson(const v1::Entry& entry, bool with_metadata);

// Sets the fields of `entry` present in the JSON object `json` (same keys as
// EntryToJson; null means absent; output-only keys are ignored). Returns
// InvalidArgument for broken JSON, a non-object, a wrong type or an unknown
// key, naming it; `entry` may then be partly changed.
absl::Status ApplyEntryJson(absl::string_view json, v1::Entry& entry);

}  // namespace zhiku::ctl

#endif  // ZHIKU_SERVICE_CTL_H_
