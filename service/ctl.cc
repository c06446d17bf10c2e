#include "service/ctl.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/status.h>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "index/draft.h"
#include "index/entry.h"
#include "index/format.h"
#include "index/key_store.h"
#include "index/status_macros.h"
#include "service/client_channel.h"
#include "service/draft_client.h"
#include "service/eval.h"
#include "service/report.h"
#include "nlohmann/json.hpp"
#include "zhiku/v1/admin.grpc.pb.h"
#include "zhiku/v1/analytics.grpc.pb.h"
#include "zhiku/v1/draft.grpc.pb.h"
#include "zhiku/v1/entry.pb.h"
#include "zhiku/v1/knowledge.grpc.pb.h"
#include "zhiku/v1/search.grpc.pb.h"

namespace zhiku::ctl {
namespace {

using Json = nlohmann::ordered_json;

// ImportEntriesRequest.jsonl_line is limited to 1 MiB by the API.
constexpr size_t kMaxImportLineBytes = size_t{1} << 20;
// Export batches may hold many large entries; gRPC's 4 MiB default is too low.
constexpr int kMaxReceiveBytes = 64 << 20;
constexpr absl::Duration kProgressInterval = absl::Milliseconds(200);

constexpr absl::string_view kAnsiOn = "\x1b[1;33m";
constexpr absl::string_view kAnsiOff = "\x1b[0m";
constexpr absl::string_view kEraseLine = "\r\x1b[K";

// ---------------------------------------------------------------------------
// The command-line grammar: every flag and subcommand, also the source of the
// help text so the two cannot drift apart.

struct FlagSpec {
  absl::string_view name;   // without the leading "--"
  absl::string_view value;  // placeholder, e.g. "N"; empty for a switch
  bool repeatable;
  absl::string_view help;
};

class Invocation;
using RunFn = int (*)(Invocation&);

struct SubcommandSpec {
  absl::string_view name;
  absl::string_view synopsis;
  absl::string_view summary;
  absl::string_view description;
  std::vector<FlagSpec> flags;
  std::vector<absl::string_view> examples;
  RunFn run;
};

const std::vector<FlagSpec>& GlobalFlags() {
  static const auto* const kFlags = new std::vector<FlagSpec>{
      {"server", "HOST:PORT", false,
       "Server address. Default $ZHIKU_SERVER, else 127.0.0.1:50051."},
      {"api_key_file", "FILE", false,
       "Send the API key in FILE (its first line) with every call. Default "
       "$ZHIKU_API_KEY. A new server writes its admin key to "
       "DATA_DIR/admin.key; `zhikuctl keys create` makes the others."},
      {"json", "", false,
       "Machine output: one JSON object per line (see each subcommand)."},
      {"timeout", "DURATION", false,
       "Deadline of each call, e.g. 500ms, 5s, 1m (a bare number is seconds; "
       "0 = none). Default 5s; import, import-corpus and export have none "
       "unless given."},
      {"color", "WHEN", false,
       "auto (default: when stdout is a terminal), always or never: show "
       "highlights in bold yellow instead of 【…】."},
      {"help", "", false, "Show help (also -h)."},
  };
  return *kFlags;
}

constexpr FlagSpec kFilterFlag = {
    "filter", "FIELD=V1,V2", true,
    "Only entries having one of the values in FIELD (category, tags, locale "
    "or channel). Several --filter flags must all hold."};

// Retrieval knobs of Search and Answer (RetrievalOptions); eval shares the
// first two.
constexpr FlagSpec kSemanticRatioFlag = {
    "semantic_ratio", "R", false,
    "Weight of the vector leg in [0, 1] (0 keyword only, 1 vector only); "
    "default: the server's."};
constexpr FlagSpec kFusionFlag = {
    "fusion", "METHOD", false,
    "rrf (reciprocal rank) or weighted (normalised scores); default: the "
    "server's."};
constexpr FlagSpec kExplainFlag = {
    "explain", "", false,
    "Per hit, both legs' ranks and scores and the fused score; then what "
    "retrieval ran (ratio, fusion, vector leg used, model version, note)."};

int RunSearch(Invocation& c);
int RunAnswer(Invocation& c);
int RunSuggest(Invocation& c);
int RunGet(Invocation& c);
int RunCreate(Invocation& c);
int RunUpdate(Invocation& c);
int RunDelete(Invocation& c);
int RunList(Invocation& c);
int RunImport(Invocation& c);
int RunImportCorpus(Invocation& c);
int RunExport(Invocation& c);
int RunHealth(Invocation& c);
int RunStatus(Invocation& c);
int RunEval(Invocation& c);
int RunDrafts(Invocation& c);
int RunKeys(Invocation& c);
int RunWhoAmI(Invocation& c);
int RunHistory(Invocation& c);
int RunAudit(Invocation& c);
int RunRollback(Invocation& c);
int RunFeedback(Invocation& c);
int RunAnalytics(Invocation& c);
int RunReport(Invocation& c);
int RunHelp(Invocation& c);

const std::vector<SubcommandSpec>& Subcommands() {
  static const auto* const kSubcommands = new std::vector<SubcommandSpec>{
      {"search", "QUERY...",
       "Ranked, highlighted entries for a query.",
       "Words of QUERY are joined with spaces. Chinese (Simplified or "
       "Traditional) and English; highlights come back in the script of the "
       "query. Per hit: rank, entry id, score, category, which phrasing "
       "matched, the highlighted phrasing (Q) and the answer snippet (A); "
       "then the estimated total and the token of the next page. With "
       "--explain, under each hit: its keyword rank and BM25 score, its "
       "vector rank, cosine and best phrasing (rank - = not retrieved by "
       "that leg) and the fused score; then one line on what retrieval ran.\n"
       "--json: one object per hit {rank, score, matched_field, "
       "variant_index?, matched_text, highlighted_text, answer_snippet, "
       "entry, explain?: {keyword_rank, keyword_score, vector_rank, "
       "vector_score, vector_phrasing, fused_score}}, highlights marked "
       "<em>…</em>; then one summary object {total_estimate, "
       "next_page_token, traditional_query, query_id (for zhikuctl feedback), retrieval: {semantic_ratio, "
       "fusion, vector_used, model_version, note}}.",
       {kFilterFlag,
        {"page_size", "N", false, "Hits per page (server default 10)."},
        {"offset", "N", false, "Skip the first N hits."},
        {"page_token", "TOKEN", false,
         "Continue a previous search (from its 'next page' line). Not with "
         "--offset."},
        {"snippet_chars", "N", false,
         "Length of the answer snippet in characters (server default 120)."},
        kSemanticRatioFlag, kFusionFlag, kExplainFlag},
       {"zhikuctl search 怎么退货", "zhikuctl search 如何退貨 --page_size 3",
        "zhikuctl search 钱什么时候退回来 --semantic_ratio 0.8 --explain",
        "zhikuctl search refund --filter category=refunds,returns "
        "--filter locale=en",
        "zhikuctl --json search 发票怎么开 | jq -r 'select(.rank) | "
        ".entry.id'"},
       &RunSearch},
      {"answer", "TEXT... [FLAGS]",
       "Answer, suggest or hand off (for chatbots).",
       "Words of TEXT (the customer's message) are joined with spaces. "
       "Prints the decision (ANSWER, SUGGEST, or HANDOFF with its reason: "
       "EMPTY_QUERY, CHITCHAT, NO_MATCH, LOW_CONFIDENCE), the calibrated "
       "confidence that the best entry is right and the thresholds applied, "
       "then the best entry's id, question and answer (in the script of the "
       "message); for SUGGEST the alternatives to offer, best first, with "
       "their confidences. --explain adds the ranked hits behind the "
       "decision with both legs' ranks and scores, and what retrieval ran. "
       "Exit 0 whatever the decision.\n"
       "--json: one object {decision, handoff_reason (null unless HANDOFF), "
       "confidence, answer_confidence, suggest_confidence, entry_id (null "
       "if nothing matched), question, answer, entry, alternatives: "
       "[{entry_id, confidence, question}], traditional_query, query_id (for zhikuctl feedback), retrieval: "
       "{semantic_ratio, fusion, vector_used, model_version, note}, hits?: "
       "[as in search --json]}.",
       {kFilterFlag,
        {"context", "ROLE:TEXT", true,
         "An earlier turn of the conversation, oldest first; ROLE is "
         "customer or agent (at most 20 turns)."},
        {"answer_precision", "P", false,
         "Answer only at a confidence whose precision on the calibration "
         "set reached P, in (0, 1); default: the server's."},
        {"answer_confidence", "C", false,
         "Answer at or above this raw confidence in [0, 1] instead (not "
         "with --answer_precision)."},
        {"suggest_confidence", "C", false,
         "Suggest at or above this confidence in [0, 1], hand off below; "
         "default: the server's."},
        kSemanticRatioFlag, kFusionFlag, kExplainFlag},
       {"zhikuctl answer 怎么退货", "zhikuctl answer 你好",
        "zhikuctl answer 那退款呢 --context customer:我想退货 \\\n"
        "    --context agent:好的 --answer_precision 0.95",
        "zhikuctl --json answer 发票怎么开 --explain | jq .decision"},
       &RunAnswer},
      {"suggest", "PREFIX...",
       "As-you-type completions.",
       "Words of PREFIX are joined with spaces; quote the prefix to keep a "
       "trailing space. Prints entry id and phrasing, marked (variant) when "
       "it is not the canonical question.\n"
       "--json: one object per suggestion {entry_id, text, is_question}.",
       {kFilterFlag,
        {"limit", "N", false, "At most N suggestions (server default 8)."}},
       {"zhikuctl suggest 退", "zhikuctl suggest refu --limit 3"},
       &RunSuggest},
      {"get", "ID", "Show one entry.",
       "--json: the entry as one object, with version, create_time_ms and "
       "update_time_ms.",
       {},
       {"zhikuctl get returns-how-to", "zhikuctl --json get returns-how-to"},
       &RunGet},
      {"create", "[--file ENTRY.json] [FLAGS]",
       "Create an entry from flags and/or a JSON file.",
       "The file holds one JSON object with the keys of the KB format (id, "
       "question, variants, answer, category, tags, locale, channel); flags "
       "override it. Without --id the server assigns one. Prints the new id "
       "and version.\n"
       "--json: the created entry as one object.",
       {{"file", "PATH", false,
         "Read the entry from a JSON file ('-' for stdin)."},
        {"id", "ID", false, "Entry id: printable ASCII, no spaces."},
        {"question", "TEXT", false, "The canonical question (required)."},
        {"variant", "TEXT", true, "An alternative phrasing."},
        {"answer", "TEXT", false, "The answer."},
        {"category", "NAME", false, "Category."},
        {"tag", "NAME", true, "A tag."},
        {"locale", "LOCALE", false, "e.g. zh-CN, zh-TW, en."},
        {"channel", "NAME", false, "e.g. app, web, wechat, all."},
        {"reason", "TEXT", false, "Why: kept with the version (see history)."}},
       {"zhikuctl create --id returns-exchange-size --question 尺码不合适能换吗？ "
        "\\\n    --variant 换尺码 --variant 大小不合适怎么换 --answer "
        "'签收后7天内可在订单页申请换货。' \\\n    --category returns --tag 换货 "
        "--locale zh-CN --channel all",
        "zhikuctl create --file entry.json"},
       &RunCreate},
      {"update", "ID [FLAGS]",
       "Change an entry; fails if changed meanwhile.",
       "Reads the entry, applies --file (its keys replace those fields) and "
       "then the flags, and writes it back with expected_version = the "
       "version read: if someone else changed it in between, the update "
       "fails with ABORTED (exit 2) and nothing is written; run it again. "
       "--variant/--tag replace the whole list, --add_variant/--add_tag "
       "append, --no_variants/--no_tags clear (applied in the order clear, "
       "replace, append). Prints the old and new version.\n"
       "--json: the updated entry as one object.",
       {{"file", "PATH", false,
         "JSON object whose keys replace those fields ('-' for stdin)."},
        {"question", "TEXT", false, "New canonical question."},
        {"variant", "TEXT", true, "Replace the variants with these."},
        {"add_variant", "TEXT", true, "Append a variant."},
        {"no_variants", "", false, "Remove all variants."},
        {"answer", "TEXT", false, "New answer."},
        {"category", "NAME", false, "New category."},
        {"tag", "NAME", true, "Replace the tags with these."},
        {"add_tag", "NAME", true, "Append a tag."},
        {"no_tags", "", false, "Remove all tags."},
        {"locale", "LOCALE", false, "New locale."},
        {"channel", "NAME", false, "New channel."},
        {"reason", "TEXT", false, "Why: kept with the version (see history)."}},
       {"zhikuctl update returns-how-to --answer '在「我的订单」中申请退货。'",
        "zhikuctl update returns-how-to --add_variant 怎样退货 --add_tag 热门"},
       &RunUpdate},
      {"delete", "ID", "Delete an entry.",
       "--json: {id, deleted: true}.",
       {{"expected_version", "N", false,
         "Delete only if the entry is still at version N (else ABORTED)."},
        {"reason", "TEXT", false, "Why: kept with the version (see history)."}},
       {"zhikuctl delete returns-how-to",
        "zhikuctl delete returns-how-to --expected_version 3"},
       &RunDelete},
      {"history", "ID [--version N]",
       "Who changed an entry, what, when and why.",
       "Every write (create, update, import, delete, rollback) is a version. "
       "Lists them newest first: version, time, action, author, reason, and "
       "the fields that changed against the version before (variants and "
       "tags as +added/-removed). Deleted entries keep their history. With "
       "--version N: that version's whole content and its changes.\n"
       "--json: one {entry_id, version, action, author, reason, time_ms, "
       "rolled_back_to, changes: [{field, before, after, added, removed}]} "
       "per line (with --version also content).",
       {{"version", "N", false, "Show this version in full."},
        {"limit", "N", false, "Versions to list (default 50, at most 1000)."}},
       {"zhikuctl history returns-how-to", "zhikuctl history returns-how-to --version 2"},
       &RunHistory},
      {"rollback", "ID VERSION [--reason TEXT]",
       "Make an earlier version current again.",
       "Writes the content of VERSION back as a new version (the history "
       "keeps everything in between), restoring a deleted entry too. Fails "
       "with ABORTED if --expected_version is given and the entry has moved "
       "on. Prints the new version.\n"
       "--json: the restored entry as one object.",
       {{"reason", "TEXT", false, "Why: kept with the new version."},
        {"expected_version", "N", false, "Only if the entry is still at version N."}},
       {"zhikuctl rollback returns-how-to 2 --reason 'wrong promotion text'"},
       &RunRollback},
      {"list", "[FLAGS]", "List entries in id order.",
       "Prints id, version, category and question; then the token of the "
       "next page unless --all.\n"
       "--json: one entry object per line (with version and times); without "
       "--all a last object {next_page_token} if there are more.",
       {kFilterFlag,
        {"page_size", "N", false, "Entries per page (server default 50)."},
        {"page_token", "TOKEN", false, "Continue a previous listing."},
        {"all", "", false, "Fetch every page."}},
       {"zhikuctl list", "zhikuctl list --filter category=returns --all",
        "zhikuctl list --page_size 20 --page_token TOKEN"},
       &RunList},
      {"import", "FILE.jsonl|-",
       "Upsert entries from KB JSONL ('-' = stdin).",
       "Streams the raw lines with their line numbers; the server validates "
       "each line, stores the good ones (upsert by id) and reports the bad "
       "ones. A line longer than 1 MiB is not sent and counts as failed. "
       "The summary comes once the imported entries are searchable (the "
       "server waits up to 60 s). CRLF line ends are accepted. On a terminal, progress (lines, "
       "lines/s) is drawn on stderr. Ends with a summary (received, "
       "created, updated, failed, blank) on stdout and the errors as "
       "FILE:LINE: message on stderr. Exit 3 if any line failed.\n"
       "--json: one summary object {file, lines_received, created, updated, "
       "failed, blank_lines, searchable, errors: [{line, id, message}]}.",
       {},
       {"zhikuctl import data/sample_kb.jsonl",
        "zcat kb.jsonl.gz | zhikuctl import -"},
       &RunImport},
      {"import-corpus", "FILE.jsonl|-",
       "Store a chat log's customer messages, masked.",
       "Streams chat-log JSONL (one message per line: {conversation_id, "
       "message_id, role, text, ts?, channel?}, role one of customer, agent, "
       "bot, system) with its line numbers. The server keeps the customer "
       "messages, replaces personal data in them (phone, e-mail, ID and card "
       "numbers, order and tracking numbers, URLs, addresses) with "
       "placeholders such as [手机号] or [PHONE], and stores each distinct "
       "text once as unlabelled in-domain text for the embedder to learn "
       "from. Other roles are counted and skipped; a customer message with "
       "empty text counts as blank. A line longer than 1 MiB is not sent and "
       "counts as failed, and so does a message text over 64 KiB. CRLF line "
       "ends are accepted. On a terminal, progress (lines, lines/s) is drawn "
       "on stderr. Ends with a summary (lines, stored, duplicates, skipped "
       "as not customer, blank, failed, items masked, corpus size) on stdout "
       "and the errors as FILE:LINE: message on stderr. Exit 3 if any line "
       "failed.\n"
       "--json: one summary object {file, lines, lines_received, stored, "
       "duplicates, skipped_not_customer, blank_lines, failed, masked_items, "
       "corpus_size, errors: [{line, id, message}]}.",
       {{"retrain", "", false,
         "Ask the server to retrain the embedder as soon as the import ends, "
         "not at its next scheduled training (servers without an embedder "
         "ignore it)."}},
       {"zhikuctl import-corpus chats.jsonl",
        "zcat chats.jsonl.gz | zhikuctl import-corpus - --retrain"},
       &RunImportCorpus},
      {"export", "[--output FILE] [--filter FIELD=V1,V2]...",
       "Write entries as KB JSONL (re-importable).",
       "One entry per line: {id, question, variants, answer, category, tags, "
       "locale, channel}. To stdout, or to FILE (written as FILE.partial and "
       "renamed when complete).",
       {kFilterFlag,
        {"output", "FILE", false, "Write to FILE instead of stdout."}},
       {"zhikuctl export > kb.jsonl",
        "zhikuctl export --output backup.jsonl --filter locale=en"},
       &RunExport},
      {"health", "[--service NAME]",
       "Check the server is serving (grpc.health.v1).",
       "Prints the serving status; exit 0 only for SERVING, else 2.\n"
       "--json: {server, service, status}.",
       {{"service", "NAME", false,
         "Ask about one service by name (default \"\": the whole server); "
         "an unknown name is NOT_FOUND."}},
       {"zhikuctl health",
        "until zhikuctl health >/dev/null 2>&1; do sleep 0.2; done"},
       &RunHealth},
      {"status", "[--wait_model DURATION]",
       "Entries, embedding model and calibration.",
       "Prints the number of entries, the latest change in the store and "
       "the latest one searchable, the embedding model (version, the change "
       "it was trained at, whether a training run is under way), the "
       "vectors of the vector leg (base + delta) and why it is missing if "
       "it is, the answer calibration (expected calibration error, held-out "
       "positives and negatives, top-1 accuracy) and the default ANSWER "
       "threshold with its precision and answer rate on the calibration "
       "set. With --wait_model, first waits until the model reflects every "
       "acknowledged write; DEADLINE_EXCEEDED (exit 2) if it does not in "
       "time, FAILED_PRECONDITION if training failed.\n"
       "--json: one object {server, entries, store_seq, searchable_seq, "
       "model_version, model_seq, training, vector_note, "
       "vector_base_vectors, vector_delta_vectors, calibrated, "
       "calibration_ece, calibration_positives, calibration_negatives, "
       "calibration_top1, calibration_note, answer_confidence, "
       "calibration_precision, calibration_answer_rate, corpus_texts, "
       "model_corpus_texts, default_semantic_ratio, semantic_ratio_calibrated}; the "
       "calibration numbers are null when not calibrated.",
       {{"wait_model", "DURATION", false,
         "Wait at most this long for the model first, e.g. 500ms, 30s, 2m "
         "(a bare number is seconds; at most 10m; 0 = do not wait). The "
         "call's deadline (--timeout) starts after the wait."}},
       {"zhikuctl status", "zhikuctl status --wait_model 60s",
        "zhikuctl --json status | jq .model_version"},
       &RunStatus},
      {"eval", "--queries FILE [--semantic_ratio R] [--fail_below M:MIN,...]",
       "Measure ranking, decisions, calibration.",
       "Runs every query of FILE ({\"query\", \"expected_id\"} per line; "
       "expected_id null = out of scope) through Answer, and the in-scope "
       "ones through Search (page size 10), one call at a time. Prints top-1 "
       "accuracy (Answer's top entry), MRR@10 and recall@5 (Search) over "
       "in-scope queries; hand-off recall over out-of-scope queries; the "
       "answer rate and answered precision of in-scope queries; the expected "
       "calibration error of Answer's confidence; Answer and Search latency "
       "median and p99. First waits (--wait_model) until the server's "
       "embedding model reflects every write, so that a fresh import is "
       "measured with its trained model. The server must hold the KB the "
       "queries refer to (zhikuctl import kb.jsonl first).\n"
       "--json: one object {top1, mrr10, recall5, handoff_recall, "
       "answer_rate, answered_precision, ece, latency_ms_p50, latency_ms_p99, "
       "search_top1, suggest_rate, suggest_hit, oos_answered, "
       "search_latency_ms_p50, search_latency_ms_p99, semantic_ratio, fusion, "
       "vector_used, model_version, note, queries, in_scope, out_of_scope, "
       "errors}; null where a metric does not apply. Exit 4 if a --fail_below "
       "floor is not met.",
       {{"queries", "FILE", false, "Eval queries JSONL (required)."},
        {"limit", "N", false, "Use only the first N queries."},
        kSemanticRatioFlag, kFusionFlag,
        {"answer_precision", "P", false,
         "Target precision of ANSWER decisions in (0, 1); default: the server's."},
        {"suggest_confidence", "C", false, "SUGGEST threshold in [0, 1]; default: the server's."},
        {"wait_model", "SECONDS", false,
         "Wait at most this long for the embedding model first (default 600; 0 = do not wait)."},
        {"fail_below", "METRIC:MIN,...", false,
         "Floors, e.g. top1:0.90,mrr10:0.93 (metrics: top1, mrr10, recall5, "
         "handoff_recall, answer_rate, answered_precision); exit 4 if any is "
         "missed (a metric that does not apply counts as missed)."}},
       {"zhikuctl eval --queries ../shared/datasets/lcqmc/queries.jsonl",
        "zhikuctl eval --queries q.jsonl --semantic_ratio 0 --json",
        "zhikuctl eval --queries q.jsonl --json --fail_below top1:0.9"},
       &RunEval},
      {"drafts", "list|get|update|approve|merge|reject|submit ...",
       "Review mined FAQ drafts (DraftService).",
       "drafts list: the drafts awaiting review (NEW and IN_REVIEW unless "
       "--status), most frequent first, as a table of id, status, frequency, "
       "trend, last seen, covering entry and question; then the token of the "
       "next page unless --all. drafts get ID: one draft with all of its "
       "evidence. drafts reject ID --reason TEXT: marks it REJECTED; later "
       "submissions merge into it without making it new again. drafts "
       "submit FILE.jsonl: sends a drafts JSONL file (zhiku-ingest's output; "
       "'-' = stdin) in batches of up to 1,000 drafts; the server merges "
       "them into the drafts it holds (same id, or a question or variant "
       "equal in index form) and prints how many were created, merged and "
       "suppressed (matched a rejected draft). A malformed line is a usage "
       "error naming FILE:LINE and nothing is sent. drafts update ID "
       "[--question] [--variant...] [--answer]: edits it (IN_REVIEW). drafts "
       "approve ID [--id] [--answer] [--category] [--tag...] [--locale] "
       "[--channel] [--force]: makes it an entry (refused next to an entry "
       "with the same question unless --force; the message names them). "
       "drafts merge ID ENTRY_ID: adds its phrasings to that entry as "
       "variants.\n"
       "--json: list: one draft object per line {draft_id, question, "
       "variants, answer, answer_alternatives, frequency, message_ids, "
       "conversation_ids, covered_by, covered_score, conflicting_answers, "
       "first_seen, last_seen, trend, status, reject_reason, runs, "
       "message_count, conversation_count, create_time_ms, update_time_ms} "
       "(list holds the first 10 evidence ids), then {next_page_token} if "
       "there are more; get and reject: the draft object; submit: {file, "
       "drafts, calls, created, merged, suppressed}.",
       {{"status", "S1,S2", false,
         "list: only drafts in these statuses (new, in_review, approved, "
         "rejected, merged, or all); default new,in_review."},
        {"coverage", "WHICH", false,
         "list: any (default), covered (an entry already answers it) or "
         "uncovered."},
        {"sort", "KEY", false,
         "list: frequency (default), last_seen or trend, highest first."},
        {"limit", "N", false, "list: drafts per page (server default 50, at most 1000)."},
        {"page_token", "TOKEN", false, "list: continue a previous listing."},
        {"all", "", false, "list: fetch every page."},
        {"reason", "TEXT", false, "reject: why (kept with the draft); approve, merge: kept with the entry's version."},
        {"question", "TEXT", false, "update: the new question."},
        {"variant", "TEXT", true, "update: replace the variants with these."},
        {"answer", "TEXT", false, "update, approve: the answer."},
        {"id", "ID", false, "approve: the new entry's id (default: generated)."},
        {"category", "NAME", false, "approve: the entry's category."},
        {"tag", "NAME", true, "approve: a tag of the entry."},
        {"locale", "LOCALE", false, "approve: the entry's locale."},
        {"channel", "NAME", false, "approve: the entry's channel."},
        {"force", "", false, "approve: even next to an entry with the same question."}},
       {"zhikuctl drafts list", "zhikuctl drafts list --coverage uncovered --sort trend --limit 20",
        "zhikuctl drafts list --status rejected --all", "zhikuctl drafts get d-3f2a9c0b1e4d5a6f",
        "zhikuctl drafts reject d-3f2a9c0b1e4d5a6f --reason 'chit-chat'",
        "zhiku-ingest chats.jsonl > drafts.jsonl && zhikuctl drafts submit drafts.jsonl"},
       &RunDrafts},
      {"keys", "create --role=ROLE NAME|list|revoke ID",
       "Manage API keys (needs an admin key).",
       "keys create --role=ROLE NAME: makes a key for NAME (what it is for) "
       "with role bot (Answer, Search, Suggest), agent (+ read entries, "
       "status, Embed), editor (+ entry writes, imports, drafts) or admin "
       "(+ keys) and prints it once: the server keeps only its digest. keys "
       "list: the active keys (with --all the revoked ones too) as a table of "
       "id, role, name, created, revoked. keys revoke ID: the key stops "
       "working at once; the last active admin key cannot be revoked.\n"
       "--json: create: {id, name, role, token}; list: one {id, name, role, "
       "created_by, created_at_ms, revoked_at_ms, revoked_by} per line; "
       "revoke: that object.",
       {{"role", "ROLE", false, "create: bot, agent, editor or admin."},
        {"all", "", false, "list: include revoked keys."}},
       {"zhikuctl --api_key_file=DATA_DIR/admin.key keys create --role=bot bot1",
        "zhikuctl keys list --all", "zhikuctl keys revoke 3f2a9c0b1e4d5a6f"},
       &RunKeys},
      {"audit", "[--actor KEY_ID] [--target ID] [--since DURATION]",
       "The audit log: who wrote what, when (admin).",
       "Every write and admin action, newest first: time, actor, action "
       "(entry.create, entry.update, entry.delete, entry.rollback, "
       "entries.import, corpus.import, drafts.submit, draft.update, "
       "draft.approve, draft.merge, draft.reject, key.create, key.revoke), "
       "target and detail.\n"
       "--json: one {id, time_ms, actor, action, target, detail} per line.",
       {{"actor", "TEXT", false, "Only events whose actor contains TEXT (e.g. a key id)."},
        {"target", "ID", false, "Only events on this entry, draft or key id."},
        {"since", "DURATION", false, "Only the last DURATION, e.g. 24h or 7d."},
        {"limit", "N", false, "At most N events (default 100, at most 1000)."}},
       {"zhikuctl audit --since 24h", "zhikuctl audit --target returns-how-to"},
       &RunAudit},
      {"feedback", "QUERY_ID KIND [--entry ID] [--comment TEXT]",
       "Report how a served query went.",
       "QUERY_ID is the query_id of a Search or Answer response (answer and "
       "search print it). KIND: helpful, not_helpful, escalated (the "
       "conversation went to a human after all) or answer_used (an agent "
       "used the entry's answer). The feedback is about the query's top "
       "entry unless --entry names another. Sending the same feedback again "
       "changes nothing, so it is safe to retry. NOT_FOUND when the server's "
       "query log no longer holds the query (see --query_log_retention_days "
       "of zhiku-server).\n"
       "--json: {query_id, entry_id, duplicate}.",
       {{"entry", "ID", false, "The entry it is about (default: the query's top entry)."},
        {"comment", "TEXT", false, "A remark, at most 1,024 bytes; personal data is masked."}},
       {"zhikuctl feedback q3f2a9c0b1e4d5a6f7a8b9c0d not_helpful",
        "zhikuctl feedback q3f2a9c0b1e4d5a6f7a8b9c0d answer_used --entry returns-how-to"},
       &RunFeedback},
      {"analytics", "summary|top|unanswered|entries [FLAGS]",
       "What customers asked, and how it went.",
       "Over the last 7 days unless --since or --from/--to. analytics "
       "summary: totals, the hand-off rate and its reasons, feedback counts "
       "and a timeline table (an hour per row for ranges up to 2 days, else "
       "a day; --bucket sets it). analytics top: the most frequent "
       "questions, grouped by index form (case, script and punctuation do "
       "not split a group), with their hand-offs, negative feedback, mean "
       "confidence and the entry most often ranked first. analytics "
       "unanswered: the same for the questions the knowledge base did not "
       "answer (hand-offs for lack of a match or of confidence, suggestions "
       "only, searches without hits, negative feedback). analytics entries: "
       "entries by hits, or with --sort not_helpful by not-helpful rate.\n"
       "--json: summary: the response as one object; top, unanswered: one "
       "{text, normalized, count, handoffs, suggests, negative_feedback, "
       "mean_confidence, top_entry_id, top_entry_question, last_ms} per "
       "line; entries: one {entry_id, question, hits, answered, helpful, "
       "not_helpful, escalated, answer_used, not_helpful_rate} per line.",
       {{"since", "DURATION", false, "The last DURATION, e.g. 24h or 30d (default 7d)."},
        {"from", "TIME", false, "Start: YYYY-MM-DD or RFC 3339, UTC unless an offset is given."},
        {"to", "TIME", false, "End (exclusive), as --from; default now."},
        {"limit", "N", false, "top, unanswered, entries: rows (default 20, at most 1000)."},
        {"sort", "KEY", false, "entries: hits (default) or not_helpful."},
        {"min_feedback", "N", false, "entries --sort not_helpful: at least N votes (default 1)."},
        {"bucket", "DURATION", false, "summary: timeline row width, e.g. 1h or 1d."}},
       {"zhikuctl analytics summary --since 24h", "zhikuctl analytics unanswered --limit 50",
        "zhikuctl analytics entries --sort not_helpful --min_feedback 5",
        "zhikuctl analytics top --from 2026-11-01 --to 2026-12-01 --json"},
       &RunAnalytics},
      {"report", "--html FILE [--since DURATION | --from TIME --to TIME]",
       "Write the analytics as an HTML page.",
       "A self-contained page (no scripts, no external files: mail it or "
       "open it offline) with the headline numbers, a chart of the hot "
       "questions, the query volume and hand-off rate over time, the least "
       "helpful entries, and tables of the unanswered questions and the "
       "most used entries. Over the last 7 days unless --since or "
       "--from/--to. Needs the editor role. The file is replaced "
       "atomically.\n"
       "--json: {file, bytes, queries} once written.",
       {{"html", "FILE", false, "Where to write the page (required)."},
        {"since", "DURATION", false, "The last DURATION, e.g. 24h or 30d (default 7d)."},
        {"from", "TIME", false, "Start: YYYY-MM-DD or RFC 3339, UTC unless an offset is given."},
        {"to", "TIME", false, "End (exclusive), as --from; default now."},
        {"limit", "N", false, "Rows per chart and table (default 15, at most 1000)."}},
       {"zhikuctl report --html weekly.html", "zhikuctl report --html nov.html --from 2026-11-01 --to 2026-12-01"},
       &RunReport},
      {"whoami", "",
       "The key this client sends: id, name and role.",
       "Any role may call it. --json: {id, name, role}.",
       {},
       {"ZHIKU_API_KEY=zk_... zhikuctl whoami"},
       &RunWhoAmI},
      {"help", "[SUBCOMMAND]", "Show this help, or one subcommand's.", "", {},
       {"zhikuctl help import"}, &RunHelp},
  };
  return *kSubcommands;
}

const SubcommandSpec* FindSubcommand(absl::string_view name) {
  for (const SubcommandSpec& s : Subcommands()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// Writes `text` wrapped at `width` columns (counting bytes of ASCII; CJK text
// may wrap early or late, which is harmless), each line starting with
// `indent`. Explicit newlines in `text` start new paragraphs.
void Wrap(absl::string_view text, size_t width, absl::string_view indent,
          std::string& out) {
  for (absl::string_view paragraph : absl::StrSplit(text, '\n')) {
    std::string line;
    for (absl::string_view word :
         absl::StrSplit(paragraph, ' ', absl::SkipEmpty())) {
      if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
        absl::StrAppend(&out, indent, line, "\n");
        line.clear();
      }
      if (!line.empty()) line += ' ';
      absl::StrAppend(&line, word);
    }
    absl::StrAppend(&out, indent, line, "\n");
  }
}

void AppendFlagHelp(const FlagSpec& flag, std::string& out) {
  std::string left = absl::StrCat("  --", flag.name);
  if (!flag.value.empty()) absl::StrAppend(&left, " ", flag.value);
  std::string help(flag.help);
  if (flag.repeatable) help += " Repeatable.";
  constexpr size_t kColumn = 26;
  if (left.size() + 2 > kColumn) {
    absl::StrAppend(&out, left, "\n");
    Wrap(help, 79, std::string(kColumn, ' '), out);
  } else {
    std::string wrapped;
    Wrap(help, 79, std::string(kColumn, ' '), wrapped);
    left.resize(kColumn, ' ');
    absl::StrAppend(&out, left, wrapped.substr(kColumn));
  }
}

std::string SubcommandHelp(const SubcommandSpec& s) {
  std::string out = absl::StrCat("zhikuctl ", s.name, " ", s.synopsis, "\n");
  Wrap(s.summary, 79, "  ", out);
  if (!s.description.empty()) {
    out += "\n";
    Wrap(s.description, 79, "  ", out);
  }
  if (!s.flags.empty()) {
    out += "\n Flags:\n";
    for (const FlagSpec& f : s.flags) AppendFlagHelp(f, out);
  }
  if (!s.examples.empty()) {
    out += "\n Examples:\n";
    for (absl::string_view e : s.examples) absl::StrAppend(&out, "  ", e, "\n");
  }
  return out;
}

constexpr char kExitCodesHelp[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  usage error: unknown subcommand or flag, missing or malformed "
    "argument\n"
    "     (nothing was sent; the message says what to fix)\n"
    "  2  the call failed, printed as \"error: CODE: message\" (e.g. "
    "NOT_FOUND,\n"
    "     INVALID_ARGUMENT, ABORTED, UNAVAILABLE, DEADLINE_EXCEEDED); a local "
    "file\n"
    "     could not be read or written; health: not SERVING\n"
    "  3  import, import-corpus: the stream succeeded but some lines failed\n"
    "  4  eval: a metric is below its --fail_below floor\n";

std::string Overview() {
  std::string out =
      "zhikuctl: command-line client of the Zhiku knowledge-base service.\n"
      "\n"
      "Usage: zhikuctl [GLOBAL FLAGS] SUBCOMMAND [ARGS] [FLAGS]\n"
      "Flags are --name=value or --name value, anywhere after the "
      "subcommand\n(global flags also before it); '--' ends flags.\n"
      "\nSubcommands:\n";
  for (const SubcommandSpec& s : Subcommands()) {
    std::string left = absl::StrCat("  ", s.name, " ", s.synopsis);
    if (left.size() > 30) {
      absl::StrAppend(&out, left, "\n", std::string(32, ' '), s.summary, "\n");
    } else {
      left.resize(32, ' ');
      absl::StrAppend(&out, left, s.summary, "\n");
    }
  }
  out += "\nGlobal flags:\n";
  for (const FlagSpec& f : GlobalFlags()) AppendFlagHelp(f, out);
  out +=
      "\nHighlights: matches are shown in bold yellow on a terminal and as "
      "【…】\notherwise (--color); --json keeps the server's <em>…</em> "
      "tags.\n\n";
  out += kExitCodesHelp;
  out +=
      "\nExamples:\n"
      "  zhikuctl health\n"
      "  zhikuctl import data/sample_kb.jsonl\n"
      "  zhikuctl import-corpus data/sample_chats.jsonl\n"
      "  zhikuctl search 怎么退货\n"
      "  zhikuctl answer 怎么退货 --explain\n"
      "  zhikuctl status --wait_model 60s\n"
      "  zhikuctl drafts list --coverage uncovered\n"
      "  zhikuctl --server=10.0.0.5:50051 --json search \"track my "
      "package\"\n"
      "  ZHIKU_SERVER=127.0.0.1:50151 zhikuctl suggest 退\n";
  return out;
}

// ---------------------------------------------------------------------------
// Argument parsing.

class ParsedArgs {
 public:
  std::vector<std::string> positionals;

  bool Has(absl::string_view name) const { return flags_.count(name) > 0; }
  // The value of a single-valued flag; "" if absent.
  std::string Get(absl::string_view name) const {
    auto it = flags_.find(name);
    return it == flags_.end() ? "" : it->second.back();
  }
  bool GetBool(absl::string_view name) const { return Get(name) == "true"; }
  const std::vector<std::string>& All(absl::string_view name) const {
    static const auto* const kEmpty = new std::vector<std::string>;
    auto it = flags_.find(name);
    return it == flags_.end() ? *kEmpty : it->second;
  }
  void Add(absl::string_view name, std::string value) {
    flags_[std::string(name)].push_back(std::move(value));
  }

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> flags_;
};

const FlagSpec* FindFlag(absl::string_view name,
                         const std::vector<FlagSpec>& a,
                         const std::vector<FlagSpec>* b) {
  for (const FlagSpec& f : a) {
    if (f.name == name) return &f;
  }
  if (b != nullptr) {
    for (const FlagSpec& f : *b) {
      if (f.name == name) return &f;
    }
  }
  return nullptr;
}

// Parses args[*i..] into `parsed`, knowing the global flags and, if
// `subcommand` is set, its flags. Without a subcommand it stops at the first
// positional argument (the subcommand name) and leaves *i on it. Returns
// InvalidArgument saying what is wrong.
absl::Status ParseArgs(const std::vector<std::string>& args, size_t* i,
                       const SubcommandSpec* subcommand, ParsedArgs& parsed) {
  const std::vector<FlagSpec>* sub_flags =
      subcommand == nullptr ? nullptr : &subcommand->flags;
  const std::string where =
      subcommand == nullptr ? "" : absl::StrCat(" of '", subcommand->name, "'");
  bool only_positionals = false;
  for (; *i < args.size(); ++*i) {
    const std::string& arg = args[*i];
    if (only_positionals || arg == "-" || arg.empty() || arg[0] != '-') {
      if (subcommand == nullptr) return absl::OkStatus();
      parsed.positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positionals = true;
      continue;
    }
    if (arg == "-h") {
      parsed.Add("help", "true");
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag ", arg, where,
          "; flags are spelled --name (put '--' before an argument that "
          "starts with '-')"));
    }
    absl::string_view body = absl::string_view(arg).substr(2);
    std::optional<std::string> value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    std::string name(body);
    std::replace(name.begin(), name.end(), '-', '_');
    const FlagSpec* spec = FindFlag(name, GlobalFlags(), sub_flags);
    if (spec == nullptr) {
      if (subcommand == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown global flag --", name,
            "; subcommand flags go after the subcommand"));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown flag --", name, where, "; see 'zhikuctl help ",
          subcommand->name, "' for its flags"));
    }
    if (spec->value.empty()) {
      if (value.has_value() && *value != "true" && *value != "false") {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", name, " is a switch; give it alone or as --", name,
            "=true/false, not '", *value, "'"));
      }
      if (!value.has_value()) value = "true";
    } else if (!value.has_value()) {
      if (*i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value: --", name, " ",
                         spec->value));
      }
      value = args[++*i];
    }
    if (parsed.Has(name) && !spec->repeatable) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " is given twice; give it once"));
    }
    parsed.Add(name, std::move(*value));
  }
  return absl::OkStatus();
}

// The value of a DURATION flag (--timeout, --wait_model, --since): 500ms,
// 5s, 1m, 24h, a whole number of days (7d), or a bare number of seconds; InvalidArgument if malformed or negative.
absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view flag,
                                                 absl::string_view text) {
  absl::Duration d;
  double seconds;
  int64_t days;
  absl::string_view day_count = text;
  if (absl::ParseDuration(text, &d)) {
  } else if (absl::ConsumeSuffix(&day_count, "d") && absl::SimpleAtoi(day_count, &days) && days >= 0 &&
             days <= 100000) {
    d = absl::Hours(24 * days);
  } else if (absl::SimpleAtod(text, &seconds) && std::isfinite(seconds)) {
    d = absl::Seconds(seconds);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", text, " is not a duration; write e.g. 500ms, 5s, 1m, 24h or 7d"));
  }
  if (d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, "=", text, " is negative"));
  }
  return d;
}

absl::StatusOr<std::optional<int32_t>> IntFlag(const ParsedArgs& args,
                                               absl::string_view name) {
  if (!args.Has(name)) return std::nullopt;
  const std::string text = args.Get(name);
  int32_t v;
  if (!absl::SimpleAtoi(text, &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, "=", text, " is not a whole number"));
  }
  return v;
}

constexpr absl::string_view kFilterFields[] = {"category", "tags", "locale",
                                               "channel"};

template <typename Request>
absl::Status AddFilters(const ParsedArgs& args, Request& request) {
  for (const std::string& text : args.All("filter")) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(text, absl::MaxSplits('=', 1));
    const absl::string_view field = absl::StripAsciiWhitespace(kv.first);
    if (std::find(std::begin(kFilterFields), std::end(kFilterFields), field) ==
        std::end(kFilterFields)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--filter ", text, ": unknown field '", field,
          "'; write --filter FIELD=V1,V2 with FIELD one of category, tags, "
          "locale, channel"));
    }
    v1::FieldFilter* filter = request.add_filters();
    filter->set_field(std::string(field));
    for (absl::string_view v : absl::StrSplit(kv.second, ',')) {
      v = absl::StripAsciiWhitespace(v);
      if (!v.empty()) filter->add_values(std::string(v));
    }
    if (filter->values().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--filter ", text, " has no values; write --filter ", field,
          "=V1,V2"));
    }
  }
  return absl::OkStatus();
}

enum class Interval {
  kClosed,  // [0, 1]
  kOpen,    // (0, 1)
};

// The value of a flag that takes a fraction; nullopt if the flag is absent,
// InvalidArgument if it is not a number in `interval`.
absl::StatusOr<std::optional<double>> FractionFlag(const ParsedArgs& args,
                                                   absl::string_view name,
                                                   Interval interval) {
  if (!args.Has(name)) return std::nullopt;
  const std::string text = args.Get(name);
  double v = 0;
  const bool parsed = absl::SimpleAtod(text, &v);
  const bool inside =
      interval == Interval::kOpen ? v > 0 && v < 1 : v >= 0 && v <= 1;
  if (!parsed || !inside) {  // NaN is never inside
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, "=", text, " is not a number ",
        interval == Interval::kOpen ? "strictly between 0 and 1"
                                    : "between 0 and 1"));
  }
  return v;
}

// --fusion: FUSION_METHOD_UNSPECIFIED (the server's default) if absent.
absl::StatusOr<v1::FusionMethod> FusionFlag(const ParsedArgs& args) {
  if (!args.Has("fusion")) return v1::FUSION_METHOD_UNSPECIFIED;
  const std::string text = args.Get("fusion");
  if (text == "rrf") return v1::FUSION_METHOD_RRF;
  if (text == "weighted") return v1::FUSION_METHOD_WEIGHTED;
  return absl::InvalidArgumentError(
      absl::StrCat("--fusion=", text, " is not one of rrf, weighted"));
}

// Sets `retrieval` from --semantic_ratio, --fusion and --explain.
absl::Status ApplyRetrievalFlags(const ParsedArgs& args,
                                 v1::RetrievalOptions& retrieval) {
  absl::StatusOr<std::optional<double>> ratio =
      FractionFlag(args, "semantic_ratio", Interval::kClosed);
  if (!ratio.ok()) return ratio.status();
  if (ratio->has_value()) retrieval.set_semantic_ratio(**ratio);
  absl::StatusOr<v1::FusionMethod> fusion = FusionFlag(args);
  if (!fusion.ok()) return fusion.status();
  retrieval.set_fusion(*fusion);
  retrieval.set_explain(args.GetBool("explain"));
  return absl::OkStatus();
}

// Sets `thresholds` from --answer_precision, --answer_confidence and
// --suggest_confidence.
absl::Status ApplyThresholdFlags(const ParsedArgs& args,
                                 v1::AnswerThresholds& thresholds) {
  absl::StatusOr<std::optional<double>> precision =
      FractionFlag(args, "answer_precision", Interval::kOpen);
  if (!precision.ok()) return precision.status();
  absl::StatusOr<std::optional<double>> answer =
      FractionFlag(args, "answer_confidence", Interval::kClosed);
  if (!answer.ok()) return answer.status();
  absl::StatusOr<std::optional<double>> suggest =
      FractionFlag(args, "suggest_confidence", Interval::kClosed);
  if (!suggest.ok()) return suggest.status();
  if (precision->has_value() && answer->has_value()) {
    return absl::InvalidArgumentError(
        "give --answer_precision (a target precision) or --answer_confidence "
        "(a raw threshold), not both");
  }
  if (answer->has_value() && suggest->has_value() && **suggest > **answer) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--suggest_confidence=", **suggest, " is above --answer_confidence=",
        **answer, "; it must not exceed it"));
  }
  if (precision->has_value()) thresholds.set_answer_precision(**precision);
  if (answer->has_value()) thresholds.set_answer_confidence(**answer);
  if (suggest->has_value()) thresholds.set_suggest_confidence(**suggest);
  return absl::OkStatus();
}

// Adds the --context ROLE:TEXT turns to `request`.
absl::Status AddContextTurns(const ParsedArgs& args, v1::AnswerRequest& request) {
  for (const std::string& turn : args.All("context")) {
    const size_t colon = turn.find(':');
    const std::string role =
        colon == std::string::npos ? "" : absl::AsciiStrToLower(turn.substr(0, colon));
    if (role != "customer" && role != "agent") {
      return absl::InvalidArgumentError(absl::StrCat(
          "--context ", turn,
          ": write ROLE:TEXT with ROLE customer or agent, e.g. --context "
          "customer:我想退货"));
    }
    v1::ConversationTurn* t = request.add_context();
    t->set_role(role);
    t->set_text(turn.substr(colon + 1));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Output formatting.

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// U+FFFD, shown instead of characters that would control the terminal.
constexpr char kReplacement[] = "\xEF\xBF\xBD";

// Copies `text` for a terminal: C0/C1 control characters and DEL become
// U+FFFD, except tab and newline (kept if `keep_newlines`, else spaces) and
// carriage return (dropped before a newline, else a space).
std::string Sanitize(absl::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(text[i]);
    if (ch == '\n') {
      out += keep_newlines ? '\n' : ' ';
    } else if (ch == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') continue;
      out += ' ';
    } else if (ch == '\t') {
      out += ' ';
    } else if (ch < 0x20 || ch == 0x7f) {
      out += kReplacement;
    } else if (ch == 0xC2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      out += kReplacement;  // a C1 control such as U+009B (CSI)
      ++i;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

Json EntryJson(const v1::Entry& e, bool with_metadata) {
  Json j;
  j["id"] = e.id();
  j["question"] = e.question();
  j["variants"] = Json::array();
  for (const std::string& v : e.variants()) j["variants"].push_back(v);
  j["answer"] = e.answer();
  j["category"] = e.category();
  j["tags"] = Json::array();
  for (const std::string& t : e.tags()) j["tags"].push_back(t);
  j["locale"] = e.locale();
  j["channel"] = e.channel();
  if (e.vectors_size() > 0) {
    Json vectors = Json::array();
    for (const v1::EntryVector& v : e.vectors()) {
      Json values = Json::array();
      for (float x : v.values()) values.push_back(Float32ForJson(x));
      vectors.push_back(std::move(values));
    }
    j["vectors"] = std::move(vectors);
  }
  if (with_metadata) {
    j["version"] = e.version();
    j["create_time_ms"] = e.create_time_ms();
    j["update_time_ms"] = e.update_time_ms();
  }
  return j;
}

absl::string_view MatchedFieldName(v1::MatchedField f) {
  switch (f) {
    case v1::MATCHED_FIELD_QUESTION:
      return "question";
    case v1::MATCHED_FIELD_VARIANT:
      return "variant";
    case v1::MATCHED_FIELD_ANSWER:
      return "answer";
    default:
      return "unspecified";
  }
}

absl::string_view FusionName(v1::FusionMethod f) {
  switch (f) {
    case v1::FUSION_METHOD_RRF:
      return "rrf";
    case v1::FUSION_METHOD_WEIGHTED:
      return "weighted";
    default:
      return "unspecified";
  }
}

absl::string_view DecisionName(v1::Decision d) {
  switch (d) {
    case v1::DECISION_ANSWER:
      return "ANSWER";
    case v1::DECISION_SUGGEST:
      return "SUGGEST";
    case v1::DECISION_HANDOFF:
      return "HANDOFF";
    default:
      return "UNSPECIFIED";
  }
}

absl::string_view HandoffReasonName(v1::HandoffReason r) {
  switch (r) {
    case v1::HANDOFF_REASON_EMPTY_QUERY:
      return "EMPTY_QUERY";
    case v1::HANDOFF_REASON_CHITCHAT:
      return "CHITCHAT";
    case v1::HANDOFF_REASON_NO_MATCH:
      return "NO_MATCH";
    case v1::HANDOFF_REASON_LOW_CONFIDENCE:
      return "LOW_CONFIDENCE";
    default:
      return "UNSPECIFIED";
  }
}

absl::string_view HandoffReasonHelp(v1::HandoffReason r) {
  switch (r) {
    case v1::HANDOFF_REASON_EMPTY_QUERY:
      return "nothing left of the message after normalisation";
    case v1::HANDOFF_REASON_CHITCHAT:
      return "greeting, thanks or asking for a human";
    case v1::HANDOFF_REASON_NO_MATCH:
      return "no entry matched";
    case v1::HANDOFF_REASON_LOW_CONFIDENCE:
      return "confidence below the SUGGEST threshold";
    default:
      return "no reason given";
  }
}

// "question" or "variant #i" for HitExplanation.vector_phrasing.
std::string PhrasingName(int32_t phrasing) {
  return phrasing <= 0 ? "question" : absl::StrCat("variant #", phrasing);
}

Json ExplainJson(const v1::HitExplanation& e) {
  Json j;
  j["keyword_rank"] = e.keyword_rank();
  j["keyword_score"] = e.keyword_score();
  j["vector_rank"] = e.vector_rank();
  j["vector_score"] = e.vector_score();
  j["vector_phrasing"] = e.vector_phrasing();
  j["fused_score"] = e.fused_score();
  return j;
}

// One line: each leg's rank and score (- when that leg did not retrieve
// the entry), the phrasing the vector leg matched, the fused score.
std::string ExplainLine(const v1::HitExplanation& e) {
  std::string keyword = e.keyword_rank() > 0
                            ? absl::StrFormat("keyword rank %d score %.3f",
                                              e.keyword_rank(), e.keyword_score())
                            : std::string("keyword -");
  std::string vector =
      e.vector_rank() > 0
          ? absl::StrFormat("vector rank %d cosine %.3f (%s)", e.vector_rank(),
                            e.vector_score(), PhrasingName(e.vector_phrasing()))
          : std::string("vector -");
  return absl::StrFormat("%s | %s | fused %.4f", keyword, vector, e.fused_score());
}

Json RetrievalJson(const v1::RetrievalInfo& r) {
  Json j;
  j["semantic_ratio"] = r.semantic_ratio();
  j["fusion"] = std::string(FusionName(r.fusion()));
  j["vector_used"] = r.vector_used();
  j["model_version"] = r.model_version();
  j["note"] = r.note();
  return j;
}

// "retrieval: semantic_ratio 0.50, fusion weighted, vector leg used (model 3)"
// and the server's note, if any.
std::string RetrievalLine(const v1::RetrievalInfo& r) {
  std::string line = absl::StrFormat(
      "retrieval: semantic_ratio %.2f, fusion %s, vector leg %s (model %s)",
      r.semantic_ratio(), FusionName(r.fusion()),
      r.vector_used() ? "used" : "not used",
      r.model_version() > 0 ? absl::StrCat(r.model_version()) : "none");
  if (!r.note().empty()) absl::StrAppend(&line, "; ", Sanitize(r.note(), false));
  return line;
}

Json SearchHitJson(const v1::SearchHit& hit) {
  Json j;
  j["rank"] = hit.rank();
  j["score"] = hit.score();
  j["matched_field"] = std::string(MatchedFieldName(hit.matched_field()));
  if (hit.matched_field() == v1::MATCHED_FIELD_VARIANT) {
    j["variant_index"] = hit.variant_index();
  }
  j["matched_text"] = hit.matched_text();
  j["highlighted_text"] = hit.highlighted_text();
  j["answer_snippet"] = hit.answer_snippet();
  j["entry"] = EntryJson(hit.entry(), /*with_metadata=*/true);
  if (hit.has_explain()) j["explain"] = ExplainJson(hit.explain());
  return j;
}

// One hit of `search` output: a header line, the phrasing, the snippet and,
// if `explain` and the server sent one, the explanation.
void PrintHitHuman(const v1::SearchHit& hit, Highlight style, bool explain,
                   std::ostream& out) {
  const v1::Entry& e = hit.entry();
  std::string matched(MatchedFieldName(hit.matched_field()));
  if (hit.matched_field() == v1::MATCHED_FIELD_VARIANT) {
    absl::StrAppend(&matched, " #", hit.variant_index() + 1);
  }
  out << absl::StrFormat("%d. %s  score %.3f  category %s  matched %s\n",
                         hit.rank(), Sanitize(e.id(), false), hit.score(),
                         e.category().empty() ? "-" : Sanitize(e.category(), false),
                         matched);
  const std::string& phrasing =
      hit.highlighted_text().empty() ? hit.matched_text() : hit.highlighted_text();
  out << "   Q: " << RenderHighlighted(phrasing.empty() ? e.question() : phrasing, style)
      << "\n";
  if (!hit.answer_snippet().empty()) {
    out << "   A: " << RenderHighlighted(hit.answer_snippet(), style) << "\n";
  }
  if (explain && hit.has_explain()) {
    out << "   " << ExplainLine(hit.explain()) << "\n";
  }
}

// "label       value" with the continuation lines of a multi-line value
// indented under the first.
void PrintField(absl::string_view label, absl::string_view value, int width,
                std::ostream& out) {
  std::string text = Sanitize(value, /*keep_newlines=*/true);
  absl::StrReplaceAll({{"\n", "\n" + std::string(width, ' ')}}, &text);
  out << absl::StrFormat("%-*s%s\n", width, label, text);
}

std::string FormatTimeMs(int64_t ms) {
  if (ms <= 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMillis(ms),
                          absl::UTCTimeZone());
}

void PrintEntryHuman(const v1::Entry& e, std::ostream& out) {
  auto field = [&out](absl::string_view label, absl::string_view value) {
    PrintField(label, value, 10, out);
  };
  field("id", e.id());
  field("version", absl::StrCat(e.version(), "  (created ",
                                FormatTimeMs(e.create_time_ms()), ", updated ",
                                FormatTimeMs(e.update_time_ms()), ")"));
  field("question", e.question());
  field("variants", e.variants().empty() ? "-" : absl::StrJoin(e.variants(), "\n"));
  field("answer", e.answer());
  field("category", e.category().empty() ? "-" : e.category());
  field("tags", e.tags().empty() ? "-" : absl::StrJoin(e.tags(), ", "));
  field("locale", e.locale().empty() ? "-" : e.locale());
  field("channel", e.channel().empty() ? "-" : e.channel());
}

// The width to pad entry ids to so that what follows them lines up.
size_t IdWidth(const auto& items, auto id_of) {
  size_t width = 0;
  for (const auto& item : items) width = std::max(width, id_of(item).size());
  return std::min<size_t>(width, 40);
}

// ---------------------------------------------------------------------------
// The connection and the invocation of one subcommand.

absl::string_view CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    default: return "UNKNOWN";
  }
}

struct Connection {
  Connection(const std::string& target, const std::string& api_key) {
    grpc::ChannelArguments channel_args;
    channel_args.SetMaxReceiveMessageSize(kMaxReceiveBytes);
    channel = OpenChannel(target, api_key, channel_args);
    search = v1::SearchService::NewStub(channel);
    knowledge = v1::KnowledgeService::NewStub(channel);
    drafts = v1::DraftService::NewStub(channel);
    admin = v1::AdminService::NewStub(channel);
    feedback = v1::FeedbackService::NewStub(channel);
    analytics = v1::AnalyticsService::NewStub(channel);
  }
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::SearchService::Stub> search;
  std::unique_ptr<v1::KnowledgeService::Stub> knowledge;
  std::unique_ptr<v1::DraftService::Stub> drafts;
  std::unique_ptr<v1::AdminService::Stub> admin;
  std::unique_ptr<v1::FeedbackService::Stub> feedback;
  std::unique_ptr<v1::AnalyticsService::Stub> analytics;
};

class Invocation {
 public:
  Invocation(const CtlOptions& options, const SubcommandSpec& spec,
             ParsedArgs args, std::ostream& out, std::ostream& err)
      : options_(options), spec_(spec), args_(std::move(args)), out_(out),
        err_(err) {}

  // Validates the global flags; InvalidArgument saying what is wrong.
  absl::Status Init() {
    server_ = args_.Has("server") ? args_.Get("server") : options_.server;
    if (server_.empty()) {
      return absl::InvalidArgumentError(
          "--server is empty; give HOST:PORT, e.g. --server=127.0.0.1:50051");
    }
    api_key_ = options_.api_key;
    if (args_.Has("api_key_file")) {
      absl::StatusOr<std::string> key = ResolveApiKey(args_.Get("api_key_file"));
      if (!key.ok()) return absl::InvalidArgumentError(key.status().message());
      api_key_ = *key;
    }
    timeout_ = options_.timeout;
    if (args_.Has("timeout")) {
      absl::StatusOr<absl::Duration> t =
          ParseDurationFlag("timeout", args_.Get("timeout"));
      if (!t.ok()) return t.status();
      timeout_ = *t;
      timeout_explicit_ = true;
    }
    json_ = args_.GetBool("json");
    const std::string color = args_.Has("color") ? args_.Get("color") : "auto";
    if (color == "auto") {
      highlight_ = options_.stdout_is_tty ? Highlight::kAnsi : Highlight::kBrackets;
    } else if (color == "always") {
      highlight_ = Highlight::kAnsi;
    } else if (color == "never") {
      highlight_ = Highlight::kBrackets;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "--color=", color, " is not one of auto, always, never"));
    }
    return absl::OkStatus();
  }

  const ParsedArgs& args() const { return args_; }
  const SubcommandSpec& spec() const { return spec_; }
  const CtlOptions& options() const { return options_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  bool json() const { return json_; }
  Highlight highlight() const { return highlight_; }
  const std::string& server() const { return server_; }
  const std::string& api_key() const { return api_key_; }
  // The per-call deadline (absl::InfiniteDuration() if none).
  absl::Duration timeout() const {
    return timeout_ <= absl::ZeroDuration() ? absl::InfiniteDuration() : timeout_;
  }

  Connection& conn() {
    if (conn_ == nullptr) conn_ = std::make_unique<Connection>(server_, api_key_);
    return *conn_;
  }

  // Sets the per-call deadline. `long_running` calls (import, export) get
  // one only if --timeout was given. `extra` (a wait the server is asked
  // for) is added to the timeout.
  void SetDeadline(grpc::ClientContext& context, bool long_running = false,
                   absl::Duration extra = absl::ZeroDuration()) const {
    if (long_running && !timeout_explicit_) return;
    if (timeout_ <= absl::ZeroDuration() || timeout_ == absl::InfiniteDuration()) {
      return;
    }
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_ + extra));
  }

  int Usage(absl::string_view message) {
    err_ << "zhikuctl " << spec_.name << ": " << message << "\nRun 'zhikuctl help "
         << spec_.name << "' for usage.\n";
    return kExitUsage;
  }

  int RpcError(const grpc::Status& status) {
    err_ << "error: " << CodeName(status.error_code());
    if (!status.error_message().empty()) err_ << ": " << status.error_message();
    err_ << "\n";
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      err_ << "hint: is zhiku-server running at " << server_
           << "? Set --server=HOST:PORT or ZHIKU_SERVER.\n";
    } else if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      err_ << "hint: pass a key with --api_key_file=FILE or ZHIKU_API_KEY; a new server writes "
              "its admin key to DATA_DIR/admin.key\n";
    } else if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
      err_ << "hint: this key's role may not do that; an admin can make a key with a higher role "
              "(zhikuctl keys create --role=ROLE NAME)\n";
    }
    return kExitRpcError;
  }

  int LocalError(absl::string_view message) {
    err_ << "error: " << message << "\n";
    return kExitRpcError;
  }

  // The positional arguments joined by spaces; nullopt if there are none.
  std::optional<std::string> JoinedText() const {
    if (args_.positionals.empty()) return std::nullopt;
    return absl::StrJoin(args_.positionals, " ");
  }

 private:
  const CtlOptions& options_;
  const SubcommandSpec& spec_;
  ParsedArgs args_;
  std::ostream& out_;
  std::ostream& err_;
  std::string server_;
  std::string api_key_;
  absl::Duration timeout_;
  bool timeout_explicit_ = false;
  bool json_ = false;
  Highlight highlight_ = Highlight::kBrackets;
  std::unique_ptr<Connection> conn_;
};

// Checks that exactly `names.size()` positionals were given.
int CheckPositionals(Invocation& c, const std::vector<absl::string_view>& names) {
  const size_t n = c.args().positionals.size();
  if (n < names.size()) {
    return c.Usage(absl::StrCat("missing ", names[n], "; write zhikuctl ",
                                c.spec().name, " ", c.spec().synopsis));
  }
  if (n > names.size()) {
    return c.Usage(absl::StrCat("unexpected argument '",
                                c.args().positionals[names.size()],
                                "'; write zhikuctl ", c.spec().name, " ",
                                c.spec().synopsis));
  }
  return kExitOk;
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path,
                                          std::istream* stdin_stream) {
  std::string data;
  char buf[1 << 16];
  auto slurp = [&](std::istream& in) {
    while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
      data.append(buf, static_cast<size_t>(in.gcount()));
    }
    return !in.bad();
  };
  if (path == "-") {
    if (stdin_stream == nullptr) {
      return absl::InvalidArgumentError("standard input is not available");
    }
    if (!slurp(*stdin_stream)) return absl::DataLossError("cannot read stdin");
    return data;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  if (!slurp(in)) {
    return absl::DataLossError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  return data;
}

// The contents of --file, if given; NotFound/DataLoss if it cannot be read.
absl::StatusOr<std::optional<std::string>> ReadFileFlag(Invocation& c) {
  if (!c.args().Has("file")) return std::nullopt;
  absl::StatusOr<std::string> text = ReadWholeFile(c.args().Get("file"), c.options().in);
  if (!text.ok()) return text.status();
  return std::optional<std::string>(std::move(*text));
}

int FileError(Invocation& c, const absl::Status& status) {
  if (absl::IsInvalidArgument(status)) return c.Usage(status.message());
  return c.LocalError(status.message());
}

// Applies `file_json` (the contents of --file, if given) and then the content
// flags of `a` to `entry`. Returns whether any edit was given, or
// InvalidArgument for a bad file.
absl::StatusOr<bool> ApplyEntryEdits(const ParsedArgs& a,
                                     const std::optional<std::string>& file_json,
                                     v1::Entry& entry) {
  bool given = false;
  if (file_json.has_value()) {
    absl::Status s = ApplyEntryJson(*file_json, entry);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--file ", a.Get("file"), ": ", s.message()));
    }
    given = true;
  }
  auto apply_string = [&](absl::string_view flag, std::string* field) {
    if (!a.Has(flag)) return;
    *field = a.Get(flag);
    given = true;
  };
  apply_string("id", entry.mutable_id());
  apply_string("question", entry.mutable_question());
  apply_string("answer", entry.mutable_answer());
  apply_string("category", entry.mutable_category());
  apply_string("locale", entry.mutable_locale());
  apply_string("channel", entry.mutable_channel());
  auto apply_list = [&](google::protobuf::RepeatedPtrField<std::string>& list,
                        absl::string_view clear, absl::string_view replace,
                        absl::string_view add) {
    if (a.GetBool(clear)) {
      list.Clear();
      given = true;
    }
    if (a.Has(replace)) {
      list.Clear();
      for (const std::string& v : a.All(replace)) *list.Add() = v;
      given = true;
    }
    for (const std::string& v : a.All(add)) {
      *list.Add() = v;
      given = true;
    }
  };
  apply_list(*entry.mutable_variants(), "no_variants", "variant", "add_variant");
  apply_list(*entry.mutable_tags(), "no_tags", "tag", "add_tag");
  return given;
}

// ---------------------------------------------------------------------------
// Subcommands.

int RunSearch(Invocation& c) {
  std::optional<std::string> query = c.JoinedText();
  if (!query.has_value()) {
    return c.Usage("missing QUERY; e.g. zhikuctl search 怎么退货");
  }
  v1::SearchRequest request;
  request.set_query(*query);
  if (absl::Status s = AddFilters(c.args(), request); !s.ok()) {
    return c.Usage(s.message());
  }
  absl::StatusOr<std::optional<int32_t>> page_size = IntFlag(c.args(), "page_size");
  absl::StatusOr<std::optional<int32_t>> offset = IntFlag(c.args(), "offset");
  absl::StatusOr<std::optional<int32_t>> snippet = IntFlag(c.args(), "snippet_chars");
  for (const auto* v : {&page_size, &offset, &snippet}) {
    if (!v->ok()) return c.Usage(v->status().message());
  }
  if (offset->has_value() && c.args().Has("page_token")) {
    return c.Usage("give --offset or --page_token, not both");
  }
  if (page_size->has_value()) request.set_page_size(**page_size);
  if (offset->has_value()) request.set_offset(**offset);
  request.set_page_token(c.args().Get("page_token"));
  // Explicit default tags: the output code turns them into the chosen style.
  request.mutable_highlight()->set_pre_tag("<em>");
  request.mutable_highlight()->set_post_tag("</em>");
  if (snippet->has_value()) request.mutable_highlight()->set_snippet_chars(**snippet);
  if (absl::Status s = ApplyRetrievalFlags(c.args(), *request.mutable_retrieval());
      !s.ok()) {
    return c.Usage(s.message());
  }

  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::SearchResponse response;
  grpc::Status status = c.conn().search->Search(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    PrintSearchJson(response, c.out());
  } else {
    PrintSearchHuman(response, c.highlight(), c.out(), request.retrieval().explain());
  }
  return kExitOk;
}

Json AnswerJson(const v1::AnswerResponse& r) {
  Json j;
  j["decision"] = std::string(DecisionName(r.decision()));
  j["handoff_reason"] = r.decision() == v1::DECISION_HANDOFF
                            ? Json(std::string(HandoffReasonName(r.handoff_reason())))
                            : Json(nullptr);
  j["confidence"] = r.confidence();
  j["answer_confidence"] = r.answer_confidence();
  j["suggest_confidence"] = r.suggest_confidence();
  if (r.has_top()) {
    j["entry_id"] = r.top().entry().id();
    j["question"] = r.top().question().empty() ? r.top().entry().question()
                                               : r.top().question();
    j["answer"] = r.answer().empty() ? r.top().entry().answer() : r.answer();
    j["entry"] = EntryJson(r.top().entry(), /*with_metadata=*/true);
  } else {
    j["entry_id"] = nullptr;
    j["question"] = nullptr;
    j["answer"] = nullptr;
    j["entry"] = nullptr;
  }
  j["alternatives"] = Json::array();
  for (const v1::AnswerCandidate& a : r.alternatives()) {
    Json alt;
    alt["entry_id"] = a.entry().id();
    alt["confidence"] = a.confidence();
    alt["question"] = a.question().empty() ? a.entry().question() : a.question();
    j["alternatives"].push_back(std::move(alt));
  }
  j["traditional_query"] = r.traditional_query();
  j["query_id"] = r.query_id();
  j["retrieval"] = RetrievalJson(r.retrieval());
  if (!r.hits().empty()) {
    j["hits"] = Json::array();
    for (const v1::SearchHit& hit : r.hits()) j["hits"].push_back(SearchHitJson(hit));
  }
  return j;
}

void PrintAnswerHuman(const v1::AnswerResponse& r, Highlight style, bool explain,
                      std::ostream& out) {
  constexpr int kWidth = 12;
  std::string decision(DecisionName(r.decision()));
  if (r.decision() == v1::DECISION_HANDOFF) {
    absl::StrAppend(&decision, " (", HandoffReasonName(r.handoff_reason()), ": ",
                    HandoffReasonHelp(r.handoff_reason()), ")");
  }
  PrintField("decision", decision, kWidth, out);
  PrintField("confidence",
             absl::StrFormat("%.3f  (ANSWER at >= %.3f, SUGGEST at >= %.3f)",
                             r.confidence(), r.answer_confidence(),
                             r.suggest_confidence()),
             kWidth, out);
  if (r.has_top()) {
    const v1::AnswerCandidate& top = r.top();
    PrintField("entry", top.entry().id(), kWidth, out);
    PrintField("question", top.question().empty() ? top.entry().question() : top.question(),
               kWidth, out);
    PrintField("answer", r.answer().empty() ? top.entry().answer() : r.answer(), kWidth,
               out);
  } else {
    PrintField("entry", "- (nothing matched)", kWidth, out);
  }
  if (r.decision() == v1::DECISION_SUGGEST && !r.alternatives().empty()) {
    out << "did you mean:\n";
    const size_t width = IdWidth(r.alternatives(),
                                 [](const v1::AnswerCandidate& a) -> const std::string& {
                                   return a.entry().id();
                                 });
    int n = 0;
    for (const v1::AnswerCandidate& a : r.alternatives()) {
      out << absl::StrFormat(
          "  %d. %-*s  %.3f  %s\n", ++n, width, Sanitize(a.entry().id(), false),
          a.confidence(),
          Sanitize(a.question().empty() ? a.entry().question() : a.question(), false));
    }
  }
  if (explain) {
    // Answer explains every candidate it fused; people need the first few.
    constexpr int kMaxHits = 10;
    out << (r.hits().empty() ? "no hits behind the decision\n"
                             : "hits behind the decision:\n");
    for (int i = 0; i < std::min(kMaxHits, r.hits_size()); ++i) {
      PrintHitHuman(r.hits(i), style, /*explain=*/true, out);
    }
    if (r.hits_size() > kMaxHits) {
      out << "... and " << r.hits_size() - kMaxHits << " more (--json lists them all)\n";
    }
    out << RetrievalLine(r.retrieval()) << "\n";
  }
  if (!r.query_id().empty()) PrintField("query_id", r.query_id(), kWidth, out);
}

int RunAnswer(Invocation& c) {
  std::optional<std::string> text = c.JoinedText();
  if (!text.has_value()) {
    return c.Usage("missing TEXT; e.g. zhikuctl answer 怎么退货");
  }
  v1::AnswerRequest request;
  request.set_query(*text);
  for (absl::Status s : {AddFilters(c.args(), request), AddContextTurns(c.args(), request),
                         ApplyThresholdFlags(c.args(), *request.mutable_thresholds()),
                         ApplyRetrievalFlags(c.args(), *request.mutable_retrieval())}) {
    if (!s.ok()) return c.Usage(s.message());
  }

  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::AnswerResponse response;
  grpc::Status status = c.conn().search->Answer(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    c.out() << DumpJson(AnswerJson(response)) << "\n";
  } else {
    PrintAnswerHuman(response, c.highlight(), request.retrieval().explain(), c.out());
  }
  return kExitOk;
}

int RunSuggest(Invocation& c) {
  std::optional<std::string> prefix = c.JoinedText();
  if (!prefix.has_value()) {
    return c.Usage("missing PREFIX; e.g. zhikuctl suggest 退");
  }
  v1::SuggestRequest request;
  request.set_prefix(*prefix);
  if (absl::Status s = AddFilters(c.args(), request); !s.ok()) {
    return c.Usage(s.message());
  }
  absl::StatusOr<std::optional<int32_t>> limit = IntFlag(c.args(), "limit");
  if (!limit.ok()) return c.Usage(limit.status().message());
  if (limit->has_value()) request.set_limit(**limit);

  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::SuggestResponse response;
  grpc::Status status = c.conn().search->Suggest(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    for (const v1::Suggestion& s : response.suggestions()) {
      Json j;
      j["entry_id"] = s.entry_id();
      j["text"] = s.text();
      j["is_question"] = s.is_question();
      c.out() << DumpJson(j) << "\n";
    }
    return kExitOk;
  }
  if (response.suggestions().empty()) {
    c.out() << "no suggestions\n";
    return kExitOk;
  }
  const size_t width = IdWidth(response.suggestions(),
                               [](const v1::Suggestion& s) -> const std::string& {
                                 return s.entry_id();
                               });
  for (const v1::Suggestion& s : response.suggestions()) {
    c.out() << absl::StrFormat("%-*s  %s%s\n", width, Sanitize(s.entry_id(), false),
                               Sanitize(s.text(), false),
                               s.is_question() ? "" : "  (variant)");
  }
  return kExitOk;
}

int RunGet(Invocation& c) {
  if (int rc = CheckPositionals(c, {"ID"}); rc != kExitOk) return rc;
  v1::GetEntryRequest request;
  request.set_id(c.args().positionals[0]);
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::Entry entry;
  grpc::Status status = c.conn().knowledge->GetEntry(&context, request, &entry);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    c.out() << EntryToJson(entry, /*with_metadata=*/true) << "\n";
  } else {
    PrintEntryHuman(entry, c.out());
  }
  return kExitOk;
}

int RunCreate(Invocation& c) {
  if (int rc = CheckPositionals(c, {}); rc != kExitOk) return rc;
  absl::StatusOr<std::optional<std::string>> file_json = ReadFileFlag(c);
  if (!file_json.ok()) return FileError(c, file_json.status());
  v1::CreateEntryRequest request;
  absl::StatusOr<bool> given =
      ApplyEntryEdits(c.args(), *file_json, *request.mutable_entry());
  request.set_reason(c.args().Get("reason"));
  if (!given.ok()) return c.Usage(given.status().message());
  if (request.entry().question().empty()) {
    return c.Usage(
        "missing the question; give --question TEXT or --file ENTRY.json "
        "with a \"question\"");
  }
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::Entry created;
  grpc::Status status = c.conn().knowledge->CreateEntry(&context, request, &created);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    c.out() << EntryToJson(created, /*with_metadata=*/true) << "\n";
  } else {
    c.out() << "created " << created.id() << " (version " << created.version()
            << ")\n";
  }
  return kExitOk;
}

int RunUpdate(Invocation& c) {
  if (int rc = CheckPositionals(c, {"ID"}); rc != kExitOk) return rc;
  const std::string& id = c.args().positionals[0];
  absl::StatusOr<std::optional<std::string>> file_json = ReadFileFlag(c);
  if (!file_json.ok()) return FileError(c, file_json.status());
  // The edits applied to an empty entry first: usage errors come before any
  // call, and the file's id (if any) shows.
  v1::Entry scratch;
  absl::StatusOr<bool> given = ApplyEntryEdits(c.args(), *file_json, scratch);
  if (!given.ok()) return c.Usage(given.status().message());
  if (!*given) {
    return c.Usage(
        "nothing to change; give at least one of --question, --answer, "
        "--variant, --add_variant, --tag, --add_tag, --category, --locale, "
        "--channel, --no_variants, --no_tags, --file");
  }
  if (!scratch.id().empty() && scratch.id() != id) {
    return c.Usage(absl::StrCat("--file has id \"", scratch.id(),
                                "\" but the command updates \"", id,
                                "\"; ids cannot be changed"));
  }

  v1::GetEntryRequest get;
  get.set_id(id);
  v1::Entry current;
  {
    grpc::ClientContext context;
    c.SetDeadline(context);
    grpc::Status status = c.conn().knowledge->GetEntry(&context, get, &current);
    if (!status.ok()) return c.RpcError(status);
  }
  v1::UpdateEntryRequest request;
  *request.mutable_entry() = current;
  if (absl::StatusOr<bool> applied =
          ApplyEntryEdits(c.args(), *file_json, *request.mutable_entry());
      !applied.ok()) {
    return c.Usage(applied.status().message());
  }
  request.mutable_entry()->set_id(id);
  request.set_expected_version(current.version());
  request.set_reason(c.args().Get("reason"));

  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::Entry updated;
  grpc::Status status = c.conn().knowledge->UpdateEntry(&context, request, &updated);
  if (!status.ok()) {
    int rc = c.RpcError(status);
    if (status.error_code() == grpc::StatusCode::ABORTED) {
      c.err() << "hint: " << id << " changed after it was read at version "
              << current.version() << "; nothing was written. Run the update "
              << "again to apply it to the latest version.\n";
    }
    return rc;
  }
  if (c.json()) {
    c.out() << EntryToJson(updated, /*with_metadata=*/true) << "\n";
  } else {
    c.out() << "updated " << updated.id() << ": version " << current.version()
            << " -> " << updated.version() << "\n";
  }
  return kExitOk;
}

int RunDelete(Invocation& c) {
  if (int rc = CheckPositionals(c, {"ID"}); rc != kExitOk) return rc;
  absl::StatusOr<std::optional<int32_t>> expected = IntFlag(c.args(), "expected_version");
  if (!expected.ok()) return c.Usage(expected.status().message());
  v1::DeleteEntryRequest request;
  request.set_id(c.args().positionals[0]);
  if (expected->has_value()) request.set_expected_version(**expected);
  request.set_reason(c.args().Get("reason"));
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::DeleteEntryResponse response;
  grpc::Status status = c.conn().knowledge->DeleteEntry(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    Json j;
    j["id"] = request.id();
    j["deleted"] = true;
    c.out() << DumpJson(j) << "\n";
  } else {
    c.out() << "deleted " << request.id() << "\n";
  }
  return kExitOk;
}

// The last line of a paged listing: a count in text mode and, when a next page
// exists, how to fetch it. In JSON mode only the token is printed, as its own
// object, so every line stays one JSON value.
void PrintListFooter(Invocation& c, int64_t count, const char* one, const char* many,
                     const std::string& next_token) {
  if (c.json()) {
    if (next_token.empty()) return;
    Json j;
    j["next_page_token"] = next_token;
    c.out() << DumpJson(j) << "\n";
    return;
  }
  c.out() << count << " " << (count == 1 ? one : many);
  if (!next_token.empty()) c.out() << "; next page: --page_token=" << next_token;
  c.out() << "\n";
}

int RunList(Invocation& c) {
  if (int rc = CheckPositionals(c, {}); rc != kExitOk) return rc;
  v1::ListEntriesRequest request;
  if (absl::Status s = AddFilters(c.args(), request); !s.ok()) {
    return c.Usage(s.message());
  }
  absl::StatusOr<std::optional<int32_t>> page_size = IntFlag(c.args(), "page_size");
  if (!page_size.ok()) return c.Usage(page_size.status().message());
  if (page_size->has_value()) request.set_page_size(**page_size);
  request.set_page_token(c.args().Get("page_token"));
  const bool all = c.args().GetBool("all");

  int64_t count = 0;
  std::string next_token;
  while (true) {
    grpc::ClientContext context;
    c.SetDeadline(context);
    v1::ListEntriesResponse response;
    grpc::Status status = c.conn().knowledge->ListEntries(&context, request, &response);
    if (!status.ok()) return c.RpcError(status);
    const size_t width =
        IdWidth(response.entries(),
                [](const v1::Entry& e) -> const std::string& { return e.id(); });
    for (const v1::Entry& e : response.entries()) {
      if (c.json()) {
        c.out() << EntryToJson(e, /*with_metadata=*/true) << "\n";
      } else {
        c.out() << absl::StrFormat(
            "%-*s  v%-3d  %-8s  %s\n", width, Sanitize(e.id(), false), e.version(),
            e.category().empty() ? "-" : Sanitize(e.category(), false),
            Sanitize(e.question(), false));
      }
      ++count;
    }
    next_token = response.next_page_token();
    if (!all || next_token.empty()) break;
    if (response.entries().empty()) break;  // a server bug; do not spin
    request.set_page_token(next_token);
  }
  PrintListFooter(c, count, "entry", "entries", all ? "" : next_token);
  return kExitOk;
}

// Splits a stream into lines ("\n", optionally "\r\n"), numbering them from
// 1. Lines longer than the limit are measured but not kept.
class LineReader {
 public:
  struct Line {
    int64_t number = 0;
    std::string text;
    size_t length = 0;  // bytes, without the line end
    bool too_long = false;
  };

  LineReader(std::istream& in, size_t max_bytes)
      : in_(in), max_bytes_(max_bytes), buffer_(1 << 16) {}

  // The next line, or false at the end of the input or on a read error
  // (then bad() is true).
  bool Next(Line& line) {
    line.text.clear();
    line.length = 0;
    line.too_long = false;
    bool any = false;
    while (true) {
      if (pos_ == end_ && !Fill()) {
        if (!any) return false;
        break;
      }
      any = true;
      const char* start = buffer_.data() + pos_;
      const void* nl = std::memchr(start, '\n', end_ - pos_);
      const size_t n = nl == nullptr ? end_ - pos_
                                     : static_cast<const char*>(nl) - start;
      line.length += n;
      if (!line.too_long) {
        // One byte of slack for a '\r' that the line end will remove.
        if (line.text.size() + n > max_bytes_ + 1) {
          line.too_long = true;
          line.text.clear();
        } else {
          line.text.append(start, n);
        }
      }
      pos_ += n;
      if (nl != nullptr) {
        ++pos_;
        break;
      }
    }
    if (!line.too_long && !line.text.empty() && line.text.back() == '\r') {
      line.text.pop_back();
    }
    if (line.length > 0 && !line.too_long) line.length = line.text.size();
    if (!line.too_long && line.text.size() > max_bytes_) line.too_long = true;
    line.number = ++number_;
    return true;
  }

  bool bad() const { return in_.bad(); }

 private:
  bool Fill() {
    if (!in_) return false;
    in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    pos_ = 0;
    end_ = static_cast<size_t>(in_.gcount());
    return end_ > 0;
  }

  std::istream& in_;
  const size_t max_bytes_;
  std::vector<char> buffer_;
  size_t pos_ = 0;
  size_t end_ = 0;
  int64_t number_ = 0;
};

struct ImportProblem {
  int64_t line;
  std::string id;
  std::string message;
};

// FILE.jsonl or '-' (stdin) of an import-style subcommand.
struct ImportInput {
  std::string display;  // the path, or "<stdin>"
  std::ifstream file;
  std::istream* in = nullptr;
};

// Opens the FILE positional of `c`. Returns kExitOk, or the exit code after
// saying what is wrong.
int OpenImportInput(Invocation& c, ImportInput& input) {
  if (int rc = CheckPositionals(c, {"FILE.jsonl"}); rc != kExitOk) return rc;
  const std::string& path = c.args().positionals[0];
  input.display = path == "-" ? "<stdin>" : path;
  if (path == "-") {
    if (c.options().in == nullptr) return c.Usage("standard input is not available");
    input.in = c.options().in;
    return kExitOk;
  }
  input.file.open(path, std::ios::binary);
  if (!input.file) {
    return c.LocalError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  input.in = &input.file;
  return kExitOk;
}

// Streams every line of `input` as one request with its line number
// (`prepare` sets the other fields), drawing progress on a terminal. Lines
// over the API's 1 MiB are not sent but added to `problems`. Finishes the
// call. Returns kExitOk if the stream completed, else the exit code after
// reporting the read error or the failed call.
template <typename Request, typename Prepare>
int SendLines(Invocation& c, ImportInput& input, grpc::ClientContext& context,
              grpc::ClientWriter<Request>& writer, Prepare prepare,
              std::vector<ImportProblem>& problems) {
  const bool progress = c.options().stderr_is_tty;
  const absl::Time start = absl::Now();
  absl::Time last_progress = start;
  bool progress_drawn = false;
  int64_t sent = 0;
  bool stream_broken = false;
  LineReader reader(*input.in, kMaxImportLineBytes);
  LineReader::Line line;
  Request request;
  while (reader.Next(line)) {
    if (line.too_long) {
      problems.push_back({line.number, "",
                          absl::StrCat("line is ", line.length,
                                       " bytes; the limit is 1048576 (1 MiB); "
                                       "not sent")});
      continue;
    }
    request.set_jsonl_line(std::move(line.text));
    request.set_line_number(line.number);
    prepare(request);
    if (!writer.Write(request)) {
      stream_broken = true;
      break;
    }
    ++sent;
    if (progress) {
      const absl::Time now = absl::Now();
      if (now - last_progress >= kProgressInterval) {
        const double secs = absl::ToDoubleSeconds(now - start);
        c.err() << kEraseLine
                << absl::StrFormat("importing %s: %d lines (%.0f lines/s)",
                                   input.display, line.number, line.number / secs)
                << std::flush;
        last_progress = now;
        progress_drawn = true;
      }
    }
  }
  const bool read_failed = reader.bad();
  if (read_failed) context.TryCancel();
  if (!stream_broken && !read_failed) {
    if (progress_drawn) {
      c.err() << kEraseLine
              << absl::StrFormat("importing %s: %d lines sent; waiting for the server",
                                 input.display, sent)
              << std::flush;
    }
    writer.WritesDone();
  }
  grpc::Status status = writer.Finish();
  if (progress_drawn) c.err() << kEraseLine << std::flush;
  if (read_failed) {
    return c.LocalError(absl::StrCat("cannot read ", input.display, " after ", sent,
                                     " lines: ", std::strerror(errno),
                                     "; the import was cancelled"));
  }
  if (!status.ok()) {
    int rc = c.RpcError(status);
    c.err() << "note: " << sent << " lines of " << input.display
            << " were sent before the failure\n";
    return rc;
  }
  return kExitOk;
}

// Adds the server's errors to the local ones, in line order.
void MergeProblems(const google::protobuf::RepeatedPtrField<v1::ImportError>& errors,
                   std::vector<ImportProblem>& problems) {
  for (const v1::ImportError& e : errors) {
    problems.push_back({e.line_number(), e.id(), e.message()});
  }
  std::stable_sort(problems.begin(), problems.end(),
                   [](const ImportProblem& a, const ImportProblem& b) {
                     return a.line < b.line;
                   });
}

Json ProblemsJson(const std::vector<ImportProblem>& problems) {
  Json errors = Json::array();
  for (const ImportProblem& p : problems) {
    Json e;
    e["line"] = p.line;
    e["id"] = p.id;
    e["message"] = p.message;
    errors.push_back(std::move(e));
  }
  return errors;
}

// FILE:LINE: message (id ID) per problem on stderr, and how many more the
// server counted than it reported.
void PrintProblems(Invocation& c, const ImportInput& input,
                   const std::vector<ImportProblem>& problems,
                   int64_t server_failed, int server_reported) {
  for (const ImportProblem& p : problems) {
    c.err() << input.display << ":" << p.line << ": " << Sanitize(p.message, false);
    if (!p.id.empty()) c.err() << " (id " << Sanitize(p.id, false) << ")";
    c.err() << "\n";
  }
  if (server_failed > server_reported) {
    c.err() << "... and " << server_failed - server_reported
            << " more errors (the server reports the first "
            << server_reported << ")\n";
  }
}

int RunImport(Invocation& c) {
  ImportInput input;
  if (int rc = OpenImportInput(c, input); rc != kExitOk) return rc;
  const absl::Time start = absl::Now();
  grpc::ClientContext context;
  c.SetDeadline(context, /*long_running=*/true);
  v1::ImportEntriesResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::ImportEntriesRequest>> writer =
      c.conn().knowledge->ImportEntries(&context, &response);
  std::vector<ImportProblem> problems;
  auto prepare = [](v1::ImportEntriesRequest& request) {
    request.set_wait_until_searchable(true);
  };
  if (int rc = SendLines(c, input, context, *writer, prepare, problems); rc != kExitOk) {
    return rc;
  }

  const int64_t local_failures = static_cast<int64_t>(problems.size());
  MergeProblems(response.errors(), problems);
  const int64_t failed = response.failed() + local_failures;
  if (c.json()) {
    Json j;
    j["file"] = input.display;
    j["lines_received"] = response.lines_received();
    j["created"] = response.created();
    j["updated"] = response.updated();
    j["failed"] = failed;
    j["blank_lines"] = response.blank_lines();
    j["searchable"] = response.searchable();
    j["errors"] = ProblemsJson(problems);
    c.out() << DumpJson(j) << "\n";
  } else {
    PrintProblems(c, input, problems, response.failed(), response.errors_size());
    const double secs = std::max(1e-3, absl::ToDoubleSeconds(absl::Now() - start));
    c.out() << absl::StrFormat(
        "imported %s: %d lines received, %d created, %d updated, %d failed, "
        "%d blank (%.1f s)%s\n",
        input.display, response.lines_received(), response.created(), response.updated(),
        failed, response.blank_lines(), secs,
        response.searchable() ? "; searchable now" : "; still indexing (searchable shortly)");
  }
  return failed > 0 ? kExitPartialImport : kExitOk;
}

int RunImportCorpus(Invocation& c) {
  ImportInput input;
  if (int rc = OpenImportInput(c, input); rc != kExitOk) return rc;
  const absl::Time start = absl::Now();
  grpc::ClientContext context;
  c.SetDeadline(context, /*long_running=*/true);
  v1::ImportCorpusResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::ImportCorpusRequest>> writer =
      c.conn().knowledge->ImportCorpus(&context, &response);
  std::vector<ImportProblem> problems;
  const bool retrain = c.args().GetBool("retrain");
  auto prepare = [retrain](v1::ImportCorpusRequest& request) { request.set_retrain(retrain); };
  if (int rc = SendLines(c, input, context, *writer, prepare, problems); rc != kExitOk) {
    return rc;
  }

  const int64_t local_failures = static_cast<int64_t>(problems.size());
  MergeProblems(response.errors(), problems);
  const int64_t failed = response.failed() + local_failures;
  // Lines too long to send were never received by the server.
  const int64_t lines = response.lines_received() + local_failures;
  if (c.json()) {
    Json j;
    j["file"] = input.display;
    j["lines"] = lines;
    j["lines_received"] = response.lines_received();
    j["stored"] = response.stored();
    j["duplicates"] = response.duplicates();
    j["skipped_not_customer"] = response.skipped_not_customer();
    j["blank_lines"] = response.blank_lines();
    j["failed"] = failed;
    j["masked_items"] = response.masked_items();
    j["corpus_size"] = response.corpus_size();
    j["errors"] = ProblemsJson(problems);
    c.out() << DumpJson(j) << "\n";
  } else {
    PrintProblems(c, input, problems, response.failed(), response.errors_size());
    const double secs = std::max(1e-3, absl::ToDoubleSeconds(absl::Now() - start));
    c.out() << absl::StrFormat(
        "imported corpus from %s: %d lines, %d stored, %d duplicates, %d skipped "
        "(not customer), %d blank, %d failed; %d items of personal data masked; "
        "corpus size %d (%.1f s)\n",
        input.display, lines, response.stored(), response.duplicates(),
        response.skipped_not_customer(), response.blank_lines(), failed,
        response.masked_items(), response.corpus_size(), secs);
  }
  return failed > 0 ? kExitPartialImport : kExitOk;
}

int RunExport(Invocation& c) {
  if (int rc = CheckPositionals(c, {}); rc != kExitOk) return rc;
  v1::ExportEntriesRequest request;
  if (absl::Status s = AddFilters(c.args(), request); !s.ok()) {
    return c.Usage(s.message());
  }
  const std::string output = c.args().Get("output");
  if (c.args().Has("output") && output.empty()) {
    return c.Usage("--output is empty; give a file name, or omit it for stdout");
  }
  const std::string partial = output + ".partial";
  std::ofstream file;
  std::ostream* dest = &c.out();
  if (!output.empty()) {
    file.open(partial, std::ios::binary | std::ios::trunc);
    if (!file) {
      return c.LocalError(
          absl::StrCat("cannot write ", partial, ": ", std::strerror(errno)));
    }
    dest = &file;
  }
  auto discard = [&] {
    if (output.empty()) return;
    file.close();
    std::error_code ignored;
    std::filesystem::remove(partial, ignored);
  };

  grpc::ClientContext context;
  c.SetDeadline(context, /*long_running=*/true);
  std::unique_ptr<grpc::ClientReader<v1::ExportEntriesResponse>> reader =
      c.conn().knowledge->ExportEntries(&context, request);
  v1::ExportEntriesResponse batch;
  int64_t count = 0;
  bool write_failed = false;
  while (!write_failed && reader->Read(&batch)) {
    for (const v1::Entry& e : batch.entries()) {
      *dest << EntryToJson(e, /*with_metadata=*/false) << '\n';
      ++count;
    }
    if (!*dest) {
      write_failed = true;
      context.TryCancel();
    }
  }
  grpc::Status status = reader->Finish();
  if (write_failed) {
    discard();
    return c.LocalError(absl::StrCat(
        "cannot write ", output.empty() ? "to stdout" : partial, " after ",
        count, " entries"));
  }
  if (!status.ok()) {
    discard();
    return c.RpcError(status);
  }
  if (!output.empty()) {
    file.close();
    std::error_code ec;
    if (!file) {
      discard();
      return c.LocalError(absl::StrCat("cannot write ", partial));
    }
    std::filesystem::rename(partial, output, ec);
    if (ec) {
      discard();
      return c.LocalError(absl::StrCat("cannot rename ", partial, " to ",
                                       output, ": ", ec.message()));
    }
    c.err() << "exported " << count << (count == 1 ? " entry" : " entries")
            << " to " << output << "\n";
  } else {
    c.out().flush();
  }
  return kExitOk;
}

absl::string_view ServingStatusName(int64_t s) {
  switch (s) {
    case 0: return "UNKNOWN";
    case 1: return "SERVING";
    case 2: return "NOT_SERVING";
    case 3: return "SERVICE_UNKNOWN";
    default: return "UNRECOGNISED";
  }
}

int RunHealth(Invocation& c) {
  if (int rc = CheckPositionals(c, {}); rc != kExitOk) return rc;
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(c.args().Get("service"));
  grpc::ClientContext context;
  c.SetDeadline(context);
  grpc::health::v1::HealthCheckResponse response;
  std::unique_ptr<grpc::health::v1::Health::Stub> stub =
      grpc::health::v1::Health::NewStub(c.conn().channel);
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  const std::string& service = request.service();
  const int64_t serving = response.status();
  const absl::string_view name = ServingStatusName(serving);
  if (c.json()) {
    Json j;
    j["server"] = c.server();
    j["service"] = service;
    j["status"] = std::string(name);
    c.out() << DumpJson(j) << "\n";
  } else {
    c.out() << c.server() << (service.empty() ? "" : " ") << service << ": "
            << name << "\n";
  }
  return serving == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk
                                                                : kExitRpcError;
}

Json StatusJson(const v1::KnowledgeBaseStatus& s, const std::string& server) {
  Json j;
  j["server"] = server;
  j["entries"] = s.entries();
  j["store_seq"] = s.store_seq();
  j["searchable_seq"] = s.searchable_seq();
  j["model_version"] = s.model_version();
  j["model_seq"] = s.model_seq();
  j["training"] = s.training();
  j["vector_note"] = s.vector_note();
  j["vector_base_vectors"] = s.vector_base_vectors();
  j["vector_delta_vectors"] = s.vector_delta_vectors();
  j["calibrated"] = s.calibrated();
  auto calibration = [&s](auto value) { return s.calibrated() ? Json(value) : Json(nullptr); };
  j["calibration_ece"] = calibration(s.calibration_ece());
  j["calibration_positives"] = calibration(s.calibration_positives());
  j["calibration_negatives"] = calibration(s.calibration_negatives());
  j["calibration_top1"] = calibration(s.calibration_top1());
  j["calibration_note"] = s.calibration_note();
  j["answer_confidence"] = s.answer_confidence();
  j["calibration_precision"] = calibration(s.calibration_precision());
  j["calibration_answer_rate"] = calibration(s.calibration_answer_rate());
  j["corpus_texts"] = s.corpus_texts();
  j["model_corpus_texts"] = s.model_corpus_texts();
  j["default_semantic_ratio"] = s.default_semantic_ratio();
  j["semantic_ratio_calibrated"] = s.semantic_ratio_calibrated();
  return j;
}

void PrintStatusHuman(const v1::KnowledgeBaseStatus& s, std::ostream& out) {
  constexpr int kWidth = 19;
  auto field = [&out](absl::string_view label, absl::string_view value) {
    PrintField(label, value, kWidth, out);
  };
  field("entries", absl::StrCat(s.entries()));
  field("store seq", absl::StrCat(s.store_seq()));
  field("searchable seq",
        s.searchable_seq() >= s.store_seq()
            ? absl::StrCat(s.searchable_seq(), " (current)")
            : absl::StrCat(s.searchable_seq(), " (", s.store_seq() - s.searchable_seq(),
                           s.store_seq() - s.searchable_seq() == 1 ? " change" : " changes",
                           " still indexing)"));
  std::string model =
      s.model_version() > 0
          ? absl::StrCat("version ", s.model_version(), ", trained at seq ", s.model_seq(),
                         s.model_seq() >= s.store_seq() ? " (current)" : " (behind the store)")
          : std::string("none yet");
  if (s.training()) absl::StrAppend(&model, "; training now");
  field("model", model);
  field("vectors", absl::StrCat(s.vector_base_vectors(), " base + ",
                                s.vector_delta_vectors(), " delta"));
  if (!s.vector_note().empty()) field("vector note", s.vector_note());
  if (s.calibrated()) {
    field("calibration",
          absl::StrFormat("ECE %.3f, top-1 %.3f on %d held-out positives and %d negatives",
                          s.calibration_ece(), s.calibration_top1(),
                          s.calibration_positives(), s.calibration_negatives()));
    field("answer threshold",
          absl::StrFormat("%.3f (precision %.3f, answer rate %.3f on the calibration set)",
                          s.answer_confidence(), s.calibration_precision(),
                          s.calibration_answer_rate()));
  } else {
    field("calibration", "none");
    field("answer threshold", absl::StrFormat("%.3f", s.answer_confidence()));
  }
  if (!s.calibration_note().empty()) field("calibration note", s.calibration_note());
  if (s.semantic_ratio_calibrated()) {
    field("semantic ratio", absl::StrFormat("%.1f (best top-1 on the calibration set; requests may override it)",
                                            s.default_semantic_ratio()));
  }
  field("corpus texts", s.corpus_texts() == 0 ? std::string("0")
                                             : absl::StrCat(s.corpus_texts(), " (", s.model_corpus_texts(),
                                                            " pseudo-labelled in the current model)"));
}

int RunStatus(Invocation& c) {
  if (int rc = CheckPositionals(c, {}); rc != kExitOk) return rc;
  constexpr absl::Duration kMaxWait = absl::Minutes(10);  // the API's 600,000 ms
  absl::Duration wait = absl::ZeroDuration();
  if (c.args().Has("wait_model")) {
    absl::StatusOr<absl::Duration> d =
        ParseDurationFlag("wait_model", c.args().Get("wait_model"));
    if (!d.ok()) return c.Usage(d.status().message());
    if (*d > kMaxWait) {
      return c.Usage(absl::StrCat("--wait_model=", c.args().Get("wait_model"),
                                  " is longer than the limit of 10m"));
    }
    wait = *d;
  }
  v1::GetStatusRequest request;
  // Round up: a wait shorter than 1 ms still waits.
  request.set_wait_for_model_ms(
      static_cast<int32_t>(absl::ToInt64Milliseconds(wait + absl::Microseconds(999))));
  grpc::ClientContext context;
  c.SetDeadline(context, /*long_running=*/false, wait);
  v1::KnowledgeBaseStatus response;
  grpc::Status status = c.conn().knowledge->GetStatus(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    c.out() << DumpJson(StatusJson(response, c.server())) << "\n";
  } else {
    PrintStatusHuman(response, c.out());
  }
  return kExitOk;
}

int RunEval(Invocation& c) {
  if (int rc = CheckPositionals(c, {}); rc != kExitOk) return rc;
  const std::string path = c.args().Get("queries");
  if (path.empty()) return c.Usage("--queries FILE.jsonl is required");

  static constexpr absl::string_view kFloorMetrics[] = {"top1",        "mrr10",       "recall5",
                                                        "handoff_recall", "answer_rate", "answered_precision"};
  std::vector<std::pair<std::string, double>> floors;
  if (const std::string spec = c.args().Get("fail_below"); !spec.empty()) {
    for (absl::string_view item : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
      std::vector<std::string> parts = absl::StrSplit(item, ':');
      double value = 0;
      if (parts.size() != 2 || !absl::SimpleAtod(parts[1], &value) ||
          std::find(std::begin(kFloorMetrics), std::end(kFloorMetrics), parts[0]) == std::end(kFloorMetrics)) {
        return c.Usage(absl::StrCat("--fail_below: '", item, "' is not METRIC:MIN with METRIC one of ",
                                    absl::StrJoin(kFloorMetrics, ", ")));
      }
      floors.emplace_back(parts[0], value);
    }
  }
  EvalOptions options;
  options.server = c.server();
  options.api_key = c.api_key();
  options.wait_model_seconds = 600;
  if (c.args().Has("limit")) {
    if (!absl::SimpleAtoi(c.args().Get("limit"), &options.limit) || options.limit < 0) {
      return c.Usage("--limit must be a number >= 0");
    }
  }
  for (auto [flag, interval, out] :
       {std::tuple{"semantic_ratio", Interval::kClosed, &options.semantic_ratio},
        std::tuple{"answer_precision", Interval::kOpen, &options.answer_precision},
        std::tuple{"suggest_confidence", Interval::kClosed, &options.suggest_confidence}}) {
    absl::StatusOr<std::optional<double>> v = FractionFlag(c.args(), flag, interval);
    if (!v.ok()) return c.Usage(v.status().message());
    *out = *v;
  }
  absl::StatusOr<v1::FusionMethod> fusion = FusionFlag(c.args());
  if (!fusion.ok()) return c.Usage(fusion.status().message());
  if (*fusion != v1::FUSION_METHOD_UNSPECIFIED) options.fusion = std::string(FusionName(*fusion));
  if (c.args().Has("wait_model")) {
    if (!absl::SimpleAtod(c.args().Get("wait_model"), &options.wait_model_seconds) ||
        !(options.wait_model_seconds >= 0 && options.wait_model_seconds <= 600)) {
      return c.Usage("--wait_model must be a number of seconds between 0 and 600");
    }
  }
  // Read only once the whole command line is known to be good.
  std::ifstream in(path, std::ios::binary);
  if (!in) return c.LocalError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<std::vector<EvalQuery>> queries = ParseEvalQueries(buffer.str());
  if (!queries.ok()) return c.LocalError(absl::StrCat(path, ": ", queries.status().message()));
  absl::StatusOr<EvalReport> report = RunEval(*queries, options);
  if (!report.ok()) return c.LocalError(report.status().message());
  c.out() << (c.json() ? EvalReportToJson(*report) + "\n" : EvalReportToText(*report));
  int rc = kExitOk;
  for (const auto& [metric, floor] : floors) {
    std::optional<double> value;
    if (metric == "top1") value = report->top1;
    if (metric == "mrr10") value = report->mrr10;
    if (metric == "recall5") value = report->recall5;
    if (metric == "answer_rate") value = report->answer_rate;
    if (metric == "handoff_recall") value = report->handoff_recall;
    if (metric == "answered_precision") value = report->answered_precision;
    if (!value || *value + 1e-9 < floor) {
      c.err() << "eval: " << metric << " " << (value ? absl::StrCat(*value) : std::string("n/a"))
              << " is below its floor " << floor << "\n";
      rc = kExitBelowFloor;
    }
  }
  return rc;
}

// ---------------------------------------------------------------------------
// drafts

constexpr std::pair<absl::string_view, v1::DraftStatus> kDraftStatusNames[] = {
    {"new", v1::DRAFT_STATUS_NEW},           {"in_review", v1::DRAFT_STATUS_IN_REVIEW},
    {"approved", v1::DRAFT_STATUS_APPROVED}, {"rejected", v1::DRAFT_STATUS_REJECTED},
    {"merged", v1::DRAFT_STATUS_MERGED},
};

absl::string_view DraftStatusName(v1::DraftStatus status) {
  for (const auto& [name, value] : kDraftStatusNames) {
    if (value == status) return name;
  }
  return "unspecified";
}

Json DraftJson(const v1::Draft& d) {
  Json j;
  j["draft_id"] = d.draft_id();
  j["question"] = d.question();
  j["variants"] = std::vector<std::string>(d.variants().begin(), d.variants().end());
  j["answer"] = d.answer();
  j["answer_alternatives"] =
      std::vector<std::string>(d.answer_alternatives().begin(), d.answer_alternatives().end());
  j["frequency"] = d.frequency();
  j["message_ids"] = std::vector<std::string>(d.message_ids().begin(), d.message_ids().end());
  j["conversation_ids"] = std::vector<std::string>(d.conversation_ids().begin(), d.conversation_ids().end());
  j["covered_by"] = d.covered_by().empty() ? Json(nullptr) : Json(d.covered_by());
  j["covered_score"] = d.covered_score();
  j["conflicting_answers"] = d.conflicting_answers();
  j["first_seen"] = d.first_seen();
  j["last_seen"] = d.last_seen();
  j["trend"] = d.trend();
  j["status"] = DraftStatusName(d.status());
  j["reject_reason"] = d.reject_reason();
  j["runs"] = d.runs();
  j["message_count"] = d.message_count();
  j["conversation_count"] = d.conversation_count();
  j["create_time_ms"] = d.create_time_ms();
  j["update_time_ms"] = d.update_time_ms();
  return j;
}

void PrintDraftHuman(const v1::Draft& d, std::ostream& out) {
  auto field = [&out](absl::string_view label, absl::string_view value) { PrintField(label, value, 14, out); };
  auto list = [](const auto& values) { return values.empty() ? std::string("-") : absl::StrJoin(values, "\n"); };
  field("draft_id", d.draft_id());
  field("status", absl::StrCat(DraftStatusName(d.status()),
                               d.reject_reason().empty() ? "" : absl::StrCat(" (", d.reject_reason(), ")")));
  field("question", d.question());
  field("variants", list(d.variants()));
  field("answer", d.answer().empty() ? "-" : d.answer());
  field("alternatives", list(d.answer_alternatives()));
  field("frequency", absl::StrCat(d.frequency(), d.conflicting_answers() ? "  (agents answered differently)" : ""));
  field("trend", absl::StrFormat("%.2f", d.trend()));
  field("seen", absl::StrCat(d.first_seen().empty() ? "?" : d.first_seen(), " .. ",
                             d.last_seen().empty() ? "?" : d.last_seen()));
  field("covered_by", d.covered_by().empty() ? "-" : absl::StrFormat("%s (%.2f)", d.covered_by(), d.covered_score()));
  field("runs", absl::StrCat(d.runs(), "  (created ", FormatTimeMs(d.create_time_ms()), ", updated ",
                             FormatTimeMs(d.update_time_ms()), ")"));
  field("messages", absl::StrCat(d.message_count(), ": ", absl::StrJoin(d.message_ids(), " ")));
  field("conversations", absl::StrCat(d.conversation_count(), ": ", absl::StrJoin(d.conversation_ids(), " ")));
}

// Flags of `drafts` that only some actions take.
absl::Status CheckDraftFlags(const ParsedArgs& args, absl::string_view action) {
  static const std::vector<std::pair<absl::string_view, absl::string_view>> kFlagActions = {
      {"status", "list"}, {"coverage", "list"},   {"sort", "list"},
      {"limit", "list"},  {"page_token", "list"}, {"all", "list"},
      {"question", "update"}, {"variant", "update"}, {"id", "approve"},
      {"category", "approve"}, {"tag", "approve"}, {"locale", "approve"},
      {"channel", "approve"}, {"force", "approve"}};
  if (args.Has("reason") && action != "reject" && action != "approve" && action != "merge") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--reason applies to 'drafts reject', 'drafts approve' and 'drafts merge', not 'drafts ", action, "'"));
  }
  if (args.Has("answer") && action != "update" && action != "approve") {
    return absl::InvalidArgumentError(
        absl::StrCat("--answer applies to 'drafts update' and 'drafts approve', not 'drafts ", action, "'"));
  }
  for (const auto& [flag, only] : kFlagActions) {
    if (args.Has(flag) && action != only) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " applies to 'drafts ", only, "', not 'drafts ",
                                                     action, "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyDraftListFlags(const ParsedArgs& args, v1::ListDraftsRequest& request) {
  if (args.Has("status")) {
    for (absl::string_view name : absl::StrSplit(args.Get("status"), ',', absl::SkipWhitespace())) {
      name = absl::StripAsciiWhitespace(name);
      if (name == "all") {
        for (const auto& [unused, value] : kDraftStatusNames) request.add_statuses(value);
        continue;
      }
      bool known = false;
      for (const auto& [known_name, value] : kDraftStatusNames) {
        if (known_name == name) {
          request.add_statuses(value);
          known = true;
        }
      }
      if (!known) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--status: '", name, "' is not one of new, in_review, approved, rejected, merged, all"));
      }
    }
    if (request.statuses().empty()) return absl::InvalidArgumentError("--status is empty; give e.g. --status=new");
  }
  if (args.Has("coverage")) {
    const std::string coverage = args.Get("coverage");
    if (coverage == "any") {
      request.set_coverage(v1::DRAFT_COVERAGE_UNSPECIFIED);
    } else if (coverage == "covered") {
      request.set_coverage(v1::DRAFT_COVERAGE_COVERED);
    } else if (coverage == "uncovered") {
      request.set_coverage(v1::DRAFT_COVERAGE_UNCOVERED);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--coverage=", coverage, " is not one of any, covered, uncovered"));
    }
  }
  if (args.Has("sort")) {
    const std::string sort = args.Get("sort");
    if (sort == "frequency") {
      request.set_sort(v1::DRAFT_SORT_FREQUENCY);
    } else if (sort == "last_seen") {
      request.set_sort(v1::DRAFT_SORT_LAST_SEEN);
    } else if (sort == "trend") {
      request.set_sort(v1::DRAFT_SORT_TREND);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--sort=", sort, " is not one of frequency, last_seen, trend"));
    }
  }
  absl::StatusOr<std::optional<int32_t>> limit = IntFlag(args, "limit");
  if (!limit.ok()) return limit.status();
  if (limit->has_value()) request.set_page_size(**limit);
  request.set_page_token(args.Get("page_token"));
  return absl::OkStatus();
}

int RunDraftsList(Invocation& c) {
  v1::ListDraftsRequest request;
  if (absl::Status s = ApplyDraftListFlags(c.args(), request); !s.ok()) return c.Usage(s.message());
  const bool all = c.args().GetBool("all");
  int64_t count = 0;
  std::string next_token;
  bool header_printed = false;
  while (true) {
    grpc::ClientContext context;
    c.SetDeadline(context);
    v1::ListDraftsResponse response;
    grpc::Status status = c.conn().drafts->ListDrafts(&context, request, &response);
    if (!status.ok()) return c.RpcError(status);
    const size_t width = std::max<size_t>(
        8, IdWidth(response.drafts(), [](const v1::Draft& d) -> const std::string& { return d.draft_id(); }));
    for (const v1::Draft& d : response.drafts()) {
      if (c.json()) {
        c.out() << DumpJson(DraftJson(d)) << "\n";
      } else {
        if (!header_printed) {
          c.out() << absl::StrFormat("%-*s  %-9s  %9s  %5s  %-20s  %-16s  %s\n", width, "DRAFT", "STATUS", "FREQUENCY",
                                     "TREND", "LAST SEEN", "COVERED BY", "QUESTION");
          header_printed = true;
        }
        c.out() << absl::StrFormat(
            "%-*s  %-9s  %9d  %5.2f  %-20s  %-16s  %s\n", width, Sanitize(d.draft_id(), false),
            DraftStatusName(d.status()), d.frequency(), d.trend(),
            d.last_seen().empty() ? "-" : Sanitize(d.last_seen(), false),
            d.covered_by().empty() ? "-" : Sanitize(d.covered_by(), false), Sanitize(d.question(), false));
      }
      ++count;
    }
    next_token = response.next_page_token();
    if (!all || next_token.empty() || response.drafts().empty()) break;
    request.set_page_token(next_token);
  }
  PrintListFooter(c, count, "draft", "drafts", all ? "" : next_token);
  return kExitOk;
}

int RunDraftsGet(Invocation& c, const std::string& id) {
  v1::GetDraftRequest request;
  request.set_draft_id(id);
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::Draft draft;
  grpc::Status status = c.conn().drafts->GetDraft(&context, request, &draft);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    c.out() << DumpJson(DraftJson(draft)) << "\n";
  } else {
    PrintDraftHuman(draft, c.out());
  }
  return kExitOk;
}

int RunDraftsReject(Invocation& c, const std::string& id) {
  v1::RejectDraftRequest request;
  request.set_draft_id(id);
  request.set_reason(c.args().Get("reason"));
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::Draft draft;
  grpc::Status status = c.conn().drafts->RejectDraft(&context, request, &draft);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    c.out() << DumpJson(DraftJson(draft)) << "\n";
  } else {
    c.out() << "rejected " << Sanitize(draft.draft_id(), false) << " (frequency " << draft.frequency() << ")\n";
  }
  return kExitOk;
}

int RunDraftsSubmit(Invocation& c, const std::string& path) {
  absl::StatusOr<std::string> text = ReadWholeFile(path, c.options().in);
  if (!text.ok()) return FileError(c, text.status());
  std::vector<Draft> drafts;
  int64_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_number;
    absl::ConsumeSuffix(&line, "\r");
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    absl::StatusOr<Draft> draft = DraftFromJson(line);
    if (!draft.ok()) {
      return c.Usage(absl::StrCat(path, ":", line_number, ": ", draft.status().message(), "; nothing was sent"));
    }
    drafts.push_back(*std::move(draft));
  }
  if (drafts.empty()) return c.Usage(absl::StrCat(path, " holds no drafts; nothing was sent"));
  absl::StatusOr<SubmitDraftsSummary> summary = SubmitDraftsToServer(c.server(), c.api_key(), "", drafts, c.timeout());
  if (!summary.ok()) {
    return c.RpcError(grpc::Status(static_cast<grpc::StatusCode>(summary.status().code()),
                                   std::string(summary.status().message())));
  }
  if (c.json()) {
    Json j;
    j["file"] = path;
    j["drafts"] = drafts.size();
    j["calls"] = summary->calls;
    j["created"] = summary->created;
    j["merged"] = summary->merged;
    j["suppressed"] = summary->suppressed;
    c.out() << DumpJson(j) << "\n";
  } else {
    c.out() << "submitted " << drafts.size() << (drafts.size() == 1 ? " draft" : " drafts") << " in "
            << summary->calls << (summary->calls == 1 ? " call" : " calls") << ": " << summary->created
            << " created, " << summary->merged << " merged, " << summary->suppressed
            << " suppressed (matched rejected drafts)\n";
  }
  return kExitOk;
}

int RunDraftsUpdate(Invocation& c, const std::string& id) {
  v1::UpdateDraftRequest request;
  request.set_draft_id(id);
  if (c.args().Has("question")) request.set_question(c.args().Get("question"));
  if (c.args().Has("answer")) request.set_answer(c.args().Get("answer"));
  if (c.args().Has("variant")) {
    request.set_set_variants(true);
    for (const std::string& v : c.args().All("variant")) request.add_variants(v);
  }
  if (!request.has_question() && !request.has_answer() && !request.set_variants()) {
    return c.Usage("nothing to change; give --question, --variant or --answer");
  }
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::Draft draft;
  grpc::Status status = c.conn().drafts->UpdateDraft(&context, request, &draft);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    c.out() << DumpJson(DraftJson(draft)) << "\n";
  } else {
    c.out() << "updated " << Sanitize(draft.draft_id(), false) << " (" << DraftStatusName(draft.status()) << ")\n";
  }
  return kExitOk;
}

int RunDraftsApprove(Invocation& c, const std::string& id) {
  v1::ApproveDraftRequest request;
  request.set_draft_id(id);
  v1::Entry& entry = *request.mutable_entry();
  if (c.args().Has("id")) entry.set_id(c.args().Get("id"));
  if (c.args().Has("answer")) entry.set_answer(c.args().Get("answer"));
  if (c.args().Has("category")) entry.set_category(c.args().Get("category"));
  for (const std::string& t : c.args().All("tag")) entry.add_tags(t);
  if (c.args().Has("locale")) entry.set_locale(c.args().Get("locale"));
  if (c.args().Has("channel")) entry.set_channel(c.args().Get("channel"));
  request.set_force(c.args().GetBool("force"));
  request.set_reason(c.args().Get("reason"));
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::ApproveDraftResponse response;
  grpc::Status status = c.conn().drafts->ApproveDraft(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    Json j;
    j["draft"] = DraftJson(response.draft());
    j["entry"] = EntryJson(response.entry(), /*with_metadata=*/true);
    c.out() << DumpJson(j) << "\n";
  } else {
    c.out() << "approved " << Sanitize(id, false) << " as entry " << Sanitize(response.entry().id(), false)
            << " (version " << response.entry().version() << ")\n";
  }
  return kExitOk;
}

int RunDraftsMerge(Invocation& c, const std::string& id, const std::string& entry_id) {
  v1::MergeDraftRequest request;
  request.set_draft_id(id);
  request.set_entry_id(entry_id);
  request.set_reason(c.args().Get("reason"));
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::MergeDraftResponse response;
  grpc::Status status = c.conn().drafts->MergeDraft(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    Json j;
    j["draft"] = DraftJson(response.draft());
    j["entry"] = EntryJson(response.entry(), /*with_metadata=*/true);
    j["variants_added"] = response.variants_added();
    c.out() << DumpJson(j) << "\n";
  } else {
    c.out() << "merged " << Sanitize(id, false) << " into " << Sanitize(entry_id, false) << ": "
            << response.variants_added() << " new variants (entry version " << response.entry().version() << ")\n";
  }
  return kExitOk;
}

int RunDrafts(Invocation& c) {
  const std::vector<std::string>& p = c.args().positionals;
  static const std::vector<std::string> kActions = {"list", "get", "update", "approve", "merge", "reject", "submit"};
  if (p.empty()) return c.Usage("missing the action; one of list, get, update, approve, merge, reject, submit");
  const std::string& action = p[0];
  if (std::find(kActions.begin(), kActions.end(), action) == kActions.end()) {
    return c.Usage(absl::StrCat("unknown action '", action, "'; one of list, get, update, approve, merge, reject, submit"));
  }
  if (absl::Status s = CheckDraftFlags(c.args(), action); !s.ok()) return c.Usage(s.message());
  const size_t want = action == "list" ? 1 : action == "merge" ? 3 : 2;
  if (p.size() < want) {
    const char* what = action == "submit" ? "FILE.jsonl" : action == "merge" ? "ID ENTRY_ID" : "ID";
    return c.Usage(absl::StrCat("missing ", what, "; write zhikuctl drafts ", action, " ", what));
  }
  if (p.size() > want) return c.Usage(absl::StrCat("unexpected argument '", p[want], "'"));
  if (action == "list") return RunDraftsList(c);
  if (action == "get") return RunDraftsGet(c, p[1]);
  if (action == "update") return RunDraftsUpdate(c, p[1]);
  if (action == "approve") return RunDraftsApprove(c, p[1]);
  if (action == "merge") return RunDraftsMerge(c, p[1], p[2]);
  if (action == "reject") return RunDraftsReject(c, p[1]);
  return RunDraftsSubmit(c, p[1]);
}

// The proto enums share their numbers with the domain ones (index/).
absl::string_view RoleLabel(v1::Role role) { return RoleName(static_cast<Role>(static_cast<int>(role))); }

Json KeyJson(const v1::ApiKey& key) {
  Json j;
  j["id"] = key.id();
  j["name"] = key.name();
  j["role"] = std::string(RoleLabel(key.role()));
  j["created_by"] = key.created_by();
  j["created_at_ms"] = key.created_at_ms();
  j["revoked_at_ms"] = key.revoked_at_ms();
  j["revoked_by"] = key.revoked_by();
  return j;
}

int RunKeysCreate(Invocation& c) {
  const std::vector<std::string>& p = c.args().positionals;
  if (p.size() < 2) return c.Usage("missing NAME; write zhikuctl keys create --role=ROLE NAME");
  if (!c.args().Has("role")) return c.Usage("missing --role; one of bot, agent, editor, admin");
  v1::CreateApiKeyRequest request;
  const std::string role = c.args().Get("role");
  absl::StatusOr<Role> parsed = ParseRole(role);
  if (!parsed.ok()) return c.Usage(absl::StrCat("--role=", role, " is not one of bot, agent, editor, admin"));
  request.set_role(static_cast<v1::Role>(static_cast<int>(*parsed)));
  request.set_name(absl::StrJoin(p.begin() + 1, p.end(), " "));
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::CreateApiKeyResponse response;
  grpc::Status status = c.conn().admin->CreateApiKey(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    Json j = KeyJson(response.key());
    j["token"] = response.token();
    c.out() << DumpJson(j) << "\n";
  } else {
    c.out() << response.token() << "\n";
    c.err() << "created " << RoleLabel(response.key().role()) << " key " << response.key().id() << " ("
            << Sanitize(response.key().name(), false)
            << "); the line above is the key: store it now, it is not shown again\n";
  }
  return kExitOk;
}

int RunKeysList(Invocation& c) {
  v1::ListApiKeysRequest request;
  request.set_include_revoked(c.args().GetBool("all"));
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::ListApiKeysResponse response;
  grpc::Status status = c.conn().admin->ListApiKeys(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    for (const v1::ApiKey& key : response.keys()) c.out() << DumpJson(KeyJson(key)) << "\n";
    return kExitOk;
  }
  c.out() << absl::StrFormat("%-16s  %-6s  %-23s  %-23s  %s\n", "ID", "ROLE", "CREATED", "REVOKED", "NAME");
  for (const v1::ApiKey& key : response.keys()) {
    c.out() << absl::StrFormat("%-16s  %-6s  %-23s  %-23s  %s\n", key.id(), RoleLabel(key.role()),
                               FormatTimeMs(key.created_at_ms()),
                               key.revoked_at_ms() == 0 ? "-" : FormatTimeMs(key.revoked_at_ms()),
                               Sanitize(key.name(), false));
  }
  c.err() << response.keys_size() << (response.keys_size() == 1 ? " key\n" : " keys\n");
  return kExitOk;
}

int RunKeysRevoke(Invocation& c, const std::string& id) {
  v1::RevokeApiKeyRequest request;
  request.set_id(id);
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::ApiKey key;
  grpc::Status status = c.conn().admin->RevokeApiKey(&context, request, &key);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    c.out() << DumpJson(KeyJson(key)) << "\n";
  } else {
    c.out() << "revoked " << RoleLabel(key.role()) << " key " << key.id() << " (" << Sanitize(key.name(), false)
            << ")\n";
  }
  return kExitOk;
}

int RunKeys(Invocation& c) {
  const std::vector<std::string>& p = c.args().positionals;
  if (p.empty()) return c.Usage("missing the action; write zhikuctl keys create|list|revoke");
  const std::string& action = p[0];
  if (c.args().Has("role") && action != "create") return c.Usage("--role applies to 'keys create'");
  if (c.args().Has("all") && action != "list") return c.Usage("--all applies to 'keys list'");
  if (action == "create") return RunKeysCreate(c);
  if (action == "list") {
    if (p.size() > 1) return c.Usage(absl::StrCat("unexpected argument '", p[1], "'"));
    return RunKeysList(c);
  }
  if (action == "revoke") {
    if (p.size() != 2) return c.Usage("write zhikuctl keys revoke ID (the id from zhikuctl keys list)");
    return RunKeysRevoke(c, p[1]);
  }
  return c.Usage(absl::StrCat("unknown action '", action, "'; one of create, list, revoke"));
}

int RunWhoAmI(Invocation& c) {
  if (!c.args().positionals.empty()) return c.Usage("whoami takes no arguments");
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::ApiKey key;
  grpc::Status status = c.conn().admin->WhoAmI(&context, v1::WhoAmIRequest(), &key);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    Json j;
    j["id"] = key.id();
    j["name"] = key.name();
    j["role"] = std::string(RoleLabel(key.role()));
    c.out() << DumpJson(j) << "\n";
  } else if (key.id().empty()) {
    c.out() << Sanitize(key.name(), false) << ", role " << RoleLabel(key.role()) << "\n";
  } else {
    c.out() << "key " << key.id() << " (" << Sanitize(key.name(), false) << "), role " << RoleLabel(key.role())
            << "\n";
  }
  return kExitOk;
}

absl::string_view ActionLabel(v1::VersionAction action) {
  return VersionActionName(static_cast<VersionAction>(static_cast<int>(action)));
}

Json VersionJson(const v1::EntryVersion& v) {
  Json j;
  j["entry_id"] = v.entry_id();
  j["version"] = v.version();
  j["action"] = std::string(ActionLabel(v.action()));
  j["author"] = v.author();
  j["reason"] = v.reason();
  j["time_ms"] = v.time_ms();
  j["rolled_back_to"] = v.rolled_back_to();
  Json changes = Json::array();
  for (const v1::FieldChange& f : v.changes()) {
    Json change;
    change["field"] = f.field();
    change["before"] = f.before();
    change["after"] = f.after();
    change["added"] = Json(std::vector<std::string>(f.added().begin(), f.added().end()));
    change["removed"] = Json(std::vector<std::string>(f.removed().begin(), f.removed().end()));
    changes.push_back(std::move(change));
  }
  j["changes"] = std::move(changes);
  return j;
}

void PrintVersionHuman(const v1::EntryVersion& v, std::ostream& out) {
  out << "v" << v.version() << "  " << FormatTimeMs(v.time_ms()) << "  " << ActionLabel(v.action());
  if (v.rolled_back_to() > 0) out << " to v" << v.rolled_back_to();
  out << "  by " << (v.author().empty() ? "-" : Sanitize(v.author(), false));
  if (!v.reason().empty()) out << "  \"" << Sanitize(v.reason(), false) << "\"";
  out << "\n";
  for (const v1::FieldChange& f : v.changes()) {
    if (f.added_size() > 0 || f.removed_size() > 0) {
      out << "    " << f.field() << ":";
      for (const std::string& a : f.added()) out << " +" << Sanitize(a, false);
      for (const std::string& r : f.removed()) out << " -" << Sanitize(r, false);
      out << "\n";
    } else {
      out << "    " << f.field() << ": " << (f.before().empty() ? "(empty)" : Sanitize(f.before(), false)) << " -> "
          << (f.after().empty() ? "(empty)" : Sanitize(f.after(), false)) << "\n";
    }
  }
}

int RunHistory(Invocation& c) {
  if (int rc = CheckPositionals(c, {"ID"}); rc != kExitOk) return rc;
  const std::string& id = c.args().positionals[0];
  absl::StatusOr<std::optional<int32_t>> version = IntFlag(c.args(), "version");
  if (!version.ok()) return c.Usage(version.status().message());
  if (version->has_value()) {
    v1::GetEntryVersionRequest request;
    request.set_id(id);
    request.set_version(**version);
    grpc::ClientContext context;
    c.SetDeadline(context);
    v1::EntryVersion v;
    grpc::Status status = c.conn().knowledge->GetEntryVersion(&context, request, &v);
    if (!status.ok()) return c.RpcError(status);
    if (c.json()) {
      Json j = VersionJson(v);
      j["content"] = EntryJson(v.content(), /*with_metadata=*/true);
      c.out() << DumpJson(j) << "\n";
    } else {
      PrintVersionHuman(v, c.out());
      c.out() << "content:\n";
      PrintEntryHuman(v.content(), c.out());
    }
    return kExitOk;
  }
  absl::StatusOr<std::optional<int32_t>> limit = IntFlag(c.args(), "limit");
  if (!limit.ok()) return c.Usage(limit.status().message());
  v1::ListEntryVersionsRequest request;
  request.set_id(id);
  if (limit->has_value()) request.set_page_size(**limit);
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::ListEntryVersionsResponse response;
  grpc::Status status = c.conn().knowledge->ListEntryVersions(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  for (const v1::EntryVersion& v : response.versions()) {
    if (c.json()) {
      c.out() << DumpJson(VersionJson(v)) << "\n";
    } else {
      PrintVersionHuman(v, c.out());
    }
  }
  if (!c.json() && response.next_before_version() > 0) {
    c.err() << "older versions exist below v" << response.next_before_version() << "; raise --limit\n";
  }
  return kExitOk;
}

int RunRollback(Invocation& c) {
  if (int rc = CheckPositionals(c, {"ID", "VERSION"}); rc != kExitOk) return rc;
  int64_t version = 0;
  if (!absl::SimpleAtoi(c.args().positionals[1], &version) || version < 1) {
    return c.Usage(absl::StrCat("VERSION '", c.args().positionals[1], "' is not a version number (1, 2, ...)"));
  }
  absl::StatusOr<std::optional<int32_t>> expected = IntFlag(c.args(), "expected_version");
  if (!expected.ok()) return c.Usage(expected.status().message());
  v1::RollbackEntryRequest request;
  request.set_id(c.args().positionals[0]);
  request.set_version(version);
  if (expected->has_value()) request.set_expected_version(**expected);
  request.set_reason(c.args().Get("reason"));
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::Entry entry;
  grpc::Status status = c.conn().knowledge->RollbackEntry(&context, request, &entry);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    c.out() << DumpJson(EntryJson(entry, /*with_metadata=*/true)) << "\n";
  } else {
    c.out() << "rolled back " << Sanitize(entry.id(), false) << " to the content of v" << version << "; now at v"
            << entry.version() << "\n";
  }
  return kExitOk;
}

int RunAudit(Invocation& c) {
  if (int rc = CheckPositionals(c, {}); rc != kExitOk) return rc;
  v1::ListAuditEventsRequest request;
  request.set_actor(c.args().Get("actor"));
  request.set_target(c.args().Get("target"));
  if (c.args().Has("since")) {
    absl::StatusOr<absl::Duration> since = ParseDurationFlag("since", c.args().Get("since"));
    if (!since.ok()) return c.Usage(since.status().message());
    request.set_since_ms(absl::ToUnixMillis(absl::Now() - *since));
  }
  absl::StatusOr<std::optional<int32_t>> limit = IntFlag(c.args(), "limit");
  if (!limit.ok()) return c.Usage(limit.status().message());
  if (limit->has_value()) request.set_page_size(**limit);
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::ListAuditEventsResponse response;
  grpc::Status status = c.conn().admin->ListAuditEvents(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  for (const v1::AuditEvent& e : response.events()) {
    if (c.json()) {
      Json j;
      j["id"] = e.id();
      j["time_ms"] = e.time_ms();
      j["actor"] = e.actor();
      j["action"] = e.action();
      j["target"] = e.target();
      j["detail"] = e.detail();
      c.out() << DumpJson(j) << "\n";
    } else {
      c.out() << FormatTimeMs(e.time_ms()) << "  " << Sanitize(e.actor(), false) << "  " << e.action() << "  "
              << (e.target().empty() ? "-" : Sanitize(e.target(), false)) << "  " << Sanitize(e.detail(), false)
              << "\n";
    }
  }
  if (!c.json()) c.err() << response.events_size() << (response.events_size() == 1 ? " event\n" : " events\n");
  return kExitOk;
}

// ---------------------------------------------------------------------------
// feedback, analytics, report.

int RunFeedback(Invocation& c) {
  if (int rc = CheckPositionals(c, {"QUERY_ID", "KIND"}); rc != kExitOk) return rc;
  static const std::vector<std::pair<std::string, v1::FeedbackKind>> kKinds = {
      {"helpful", v1::FEEDBACK_KIND_HELPFUL},
      {"not_helpful", v1::FEEDBACK_KIND_NOT_HELPFUL},
      {"escalated", v1::FEEDBACK_KIND_ESCALATED_TO_HUMAN},
      {"answer_used", v1::FEEDBACK_KIND_ANSWER_USED}};
  std::string kind_text = c.args().positionals[1];
  std::replace(kind_text.begin(), kind_text.end(), '-', '_');
  v1::RecordFeedbackRequest request;
  for (const auto& [name, kind] : kKinds) {
    if (kind_text == name) request.set_kind(kind);
  }
  if (request.kind() == v1::FEEDBACK_KIND_UNSPECIFIED) {
    return c.Usage(absl::StrCat("KIND '", c.args().positionals[1],
                                "' is not one of helpful, not_helpful, escalated, answer_used"));
  }
  request.set_query_id(c.args().positionals[0]);
  request.set_entry_id(c.args().Get("entry"));
  request.set_comment(c.args().Get("comment"));
  grpc::ClientContext context;
  c.SetDeadline(context);
  v1::RecordFeedbackResponse response;
  grpc::Status status = c.conn().feedback->RecordFeedback(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  if (c.json()) {
    Json j;
    j["query_id"] = response.query_id();
    j["entry_id"] = response.entry_id();
    j["duplicate"] = response.duplicate();
    c.out() << DumpJson(j) << "\n";
  } else {
    c.out() << (response.duplicate() ? "already recorded: " : "recorded: ") << kind_text << " for "
            << Sanitize(response.query_id(), false);
    if (!response.entry_id().empty()) c.out() << " (entry " << Sanitize(response.entry_id(), false) << ")";
    c.out() << "\n";
  }
  return kExitOk;
}

// A TIME flag: YYYY-MM-DD (midnight UTC) or RFC 3339.
absl::StatusOr<int64_t> TimeFlagMs(const ParsedArgs& args, absl::string_view name) {
  const std::string text = args.Get(name);
  absl::Time t;
  std::string error;
  if (absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &error) ||
      absl::ParseTime(absl::RFC3339_full, text, absl::UTCTimeZone(), &t, &error) ||
      absl::ParseTime("%Y-%m-%dT%H:%M", text, absl::UTCTimeZone(), &t, &error)) {
    return absl::ToUnixMillis(t);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--", name, "=", text, " is not a time; write 2026-11-01 or 2026-11-01T08:00:00Z"));
}

// --since, or --from and --to, as the request's time range; unset = the
// server's default (the last 7 days).
absl::Status ApplyTimeRange(const ParsedArgs& args, v1::TimeRange& range) {
  if (args.Has("since") && (args.Has("from") || args.Has("to"))) {
    return absl::InvalidArgumentError("give --since or --from/--to, not both");
  }
  if (args.Has("since")) {
    ZHIKU_ASSIGN_OR_RETURN(absl::Duration since, ParseDurationFlag("since", args.Get("since")));
    if (since <= absl::ZeroDuration()) return absl::InvalidArgumentError("--since must be more than 0");
    const absl::Time now = absl::Now();
    range.set_since_ms(absl::ToUnixMillis(now - since));
    range.set_until_ms(absl::ToUnixMillis(now));
    return absl::OkStatus();
  }
  if (args.Has("from")) {
    ZHIKU_ASSIGN_OR_RETURN(int64_t from, TimeFlagMs(args, "from"));
    range.set_since_ms(std::max<int64_t>(from, 1));
  }
  if (args.Has("to")) {
    ZHIKU_ASSIGN_OR_RETURN(int64_t to, TimeFlagMs(args, "to"));
    range.set_until_ms(std::max<int64_t>(to, 1));
  }
  if (range.since_ms() > 0 && range.until_ms() > 0 && range.since_ms() >= range.until_ms()) {
    return absl::InvalidArgumentError("--from must be before --to");
  }
  return absl::OkStatus();
}

Json QueryGroupJson(const v1::QueryGroupStats& q) {
  Json j;
  j["text"] = q.text();
  j["normalized"] = q.normalized();
  j["count"] = q.count();
  j["handoffs"] = q.handoffs();
  j["suggests"] = q.suggests();
  j["negative_feedback"] = q.negative_feedback();
  j["mean_confidence"] = q.mean_confidence();
  j["top_entry_id"] = q.top_entry_id();
  j["top_entry_question"] = q.top_entry_question();
  j["last_ms"] = q.last_ms();
  return j;
}

Json EntryUsageJson(const v1::EntryUsageStats& e) {
  Json j;
  j["entry_id"] = e.entry_id();
  j["question"] = e.question();
  j["hits"] = e.hits();
  j["answered"] = e.answered();
  j["helpful"] = e.helpful();
  j["not_helpful"] = e.not_helpful();
  j["escalated"] = e.escalated();
  j["answer_used"] = e.answer_used();
  j["not_helpful_rate"] = e.not_helpful_rate();
  return j;
}

std::string RangeLine(const v1::TimeRange& r) {
  return absl::StrCat(FormatTimeMs(r.since_ms()), " to ", FormatTimeMs(r.until_ms()));
}

std::string Rate(int64_t part, int64_t whole) {
  return whole == 0 ? std::string("-") : absl::StrFormat("%.1f%%", 100.0 * part / whole);
}

int PrintSummary(Invocation& c, const v1::GetSummaryResponse& s) {
  if (c.json()) {
    Json j;
    j["since_ms"] = s.range().since_ms();
    j["until_ms"] = s.range().until_ms();
    for (const auto& [name, value] :
         std::vector<std::pair<const char*, int64_t>>{
             {"queries", s.queries()}, {"searches", s.searches()}, {"answers", s.answers()},
             {"answered", s.answered()}, {"suggested", s.suggested()}, {"handoffs", s.handoffs()},
             {"handoff_empty", s.handoff_empty()}, {"handoff_chitchat", s.handoff_chitchat()},
             {"handoff_no_match", s.handoff_no_match()},
             {"handoff_low_confidence", s.handoff_low_confidence()}, {"unanswered", s.unanswered()},
             {"helpful", s.helpful()}, {"not_helpful", s.not_helpful()}, {"escalated", s.escalated()},
             {"answer_used", s.answer_used()}, {"bucket_seconds", s.bucket_seconds()},
             {"oldest_query_ms", s.oldest_query_ms()}}) {
      j[name] = value;
    }
    j["handoff_rate"] = s.handoff_rate();
    j["retention_days"] = s.retention_days();
    j["timeline"] = Json::array();
    for (const v1::TimelineBucket& b : s.timeline()) {
      Json t;
      t["start_ms"] = b.start_ms();
      t["queries"] = b.queries();
      t["answers"] = b.answers();
      t["answered"] = b.answered();
      t["suggested"] = b.suggested();
      t["handoffs"] = b.handoffs();
      t["unanswered"] = b.unanswered();
      j["timeline"].push_back(std::move(t));
    }
    c.out() << DumpJson(j) << "\n";
    return kExitOk;
  }
  std::ostream& out = c.out();
  constexpr int kWidth = 14;
  PrintField("range", RangeLine(s.range()), kWidth, out);
  PrintField("queries", absl::StrCat(s.queries(), "  (", s.searches(), " Search, ", s.answers(), " Answer)"),
             kWidth, out);
  PrintField("answered", absl::StrCat(s.answered(), "  (", Rate(s.answered(), s.answers()), " of Answer)"),
             kWidth, out);
  PrintField("suggested", absl::StrCat(s.suggested(), "  (", Rate(s.suggested(), s.answers()), ")"), kWidth,
             out);
  PrintField("handed off",
             absl::StrFormat("%d  (%.1f%%: no match %d, low confidence %d, chit-chat %d, empty %d)",
                             s.handoffs(), 100.0 * s.handoff_rate(), s.handoff_no_match(),
                             s.handoff_low_confidence(), s.handoff_chitchat(), s.handoff_empty()),
             kWidth, out);
  PrintField("unanswered", absl::StrCat(s.unanswered(), "  (", Rate(s.unanswered(), s.queries()), " of queries)"),
             kWidth, out);
  PrintField("feedback",
             absl::StrCat(s.helpful(), " helpful, ", s.not_helpful(), " not helpful, ", s.escalated(),
                          " escalated, ", s.answer_used(), " answer used"),
             kWidth, out);
  PrintField("log", absl::StrCat("keeps ", s.retention_days(), " days; oldest query ", FormatTimeMs(s.oldest_query_ms())),
             kWidth, out);
  if (s.timeline().empty()) return kExitOk;
  out << "\n" << absl::StrFormat("%-23s %8s %8s %8s %8s %8s %8s\n", "bucket (UTC)", "queries", "answers",
                                 "answered", "suggest", "handoff", "rate");
  const bool hourly = s.bucket_seconds() < 86400;
  for (const v1::TimelineBucket& b : s.timeline()) {
    const std::string when = absl::FormatTime(hourly ? "%Y-%m-%d %H:%M" : "%Y-%m-%d",
                                              absl::FromUnixMillis(b.start_ms()), absl::UTCTimeZone());
    out << absl::StrFormat("%-23s %8d %8d %8d %8d %8d %8s\n", when, b.queries(), b.answers(), b.answered(),
                           b.suggested(), b.handoffs(), Rate(b.handoffs(), b.answers()));
  }
  return kExitOk;
}

void PrintQueryGroups(Invocation& c, const v1::TopQueriesResponse& r) {
  if (c.json()) {
    for (const v1::QueryGroupStats& q : r.queries()) c.out() << DumpJson(QueryGroupJson(q)) << "\n";
    return;
  }
  if (r.queries().empty()) {
    c.out() << "no queries in this range\n";
    return;
  }
  const size_t width = std::max<size_t>(
      5, IdWidth(r.queries(), [](const v1::QueryGroupStats& q) -> const std::string& { return q.top_entry_id(); }));
  c.out() << absl::StrFormat("%4s %6s %7s %6s %5s  %-*s  %s\n", "#", "asked", "handoff", "neg", "conf", width,
                             "entry", "question");
  int rank = 0;
  for (const v1::QueryGroupStats& q : r.queries()) {
    c.out() << absl::StrFormat("%4d %6d %7d %6d %5.2f  %-*s  %s\n", ++rank, q.count(), q.handoffs(),
                               q.negative_feedback(), q.mean_confidence(), width,
                               q.top_entry_id().empty() ? "-" : Sanitize(q.top_entry_id(), false),
                               Sanitize(q.text(), false));
  }
}

void PrintEntryUsage(Invocation& c, const v1::EntryStatsResponse& r) {
  if (c.json()) {
    for (const v1::EntryUsageStats& e : r.entries()) c.out() << DumpJson(EntryUsageJson(e)) << "\n";
    return;
  }
  if (r.entries().empty()) {
    c.out() << "no entries with hits or feedback in this range\n";
    return;
  }
  const size_t width = std::max<size_t>(
      5, IdWidth(r.entries(), [](const v1::EntryUsageStats& e) -> const std::string& { return e.entry_id(); }));
  c.out() << absl::StrFormat("%-*s %6s %8s %7s %7s %6s %6s %5s  %s\n", width, "entry", "hits", "answered", "helpful",
                             "not_hlp", "rate", "escal", "used", "question");
  for (const v1::EntryUsageStats& e : r.entries()) {
    c.out() << absl::StrFormat("%-*s %6d %8d %7d %7d %6s %6d %5d  %s\n", width, Sanitize(e.entry_id(), false),
                               e.hits(), e.answered(), e.helpful(), e.not_helpful(),
                               Rate(e.not_helpful(), e.helpful() + e.not_helpful()), e.escalated(), e.answer_used(),
                               e.question().empty() ? "(deleted)" : Sanitize(e.question(), false));
  }
}

int RunAnalytics(Invocation& c) {
  const std::vector<std::string>& p = c.args().positionals;
  constexpr absl::string_view kActions = "summary, top, unanswered, entries";
  if (p.empty()) return c.Usage(absl::StrCat("missing the report; one of ", kActions));
  const std::string& action = p[0];
  if (action != "summary" && action != "top" && action != "unanswered" && action != "entries") {
    return c.Usage(absl::StrCat("unknown report '", action, "'; one of ", kActions));
  }
  if (p.size() > 1) return c.Usage(absl::StrCat("unexpected argument '", p[1], "'"));
  const ParsedArgs& a = c.args();
  auto only_for = [&](const char* flag, std::initializer_list<absl::string_view> actions) -> bool {
    return !a.Has(flag) || std::find(actions.begin(), actions.end(), action) != actions.end();
  };
  if (!only_for("limit", {"top", "unanswered", "entries"})) return c.Usage("--limit is for top, unanswered and entries");
  if (!only_for("sort", {"entries"}) || !only_for("min_feedback", {"entries"})) {
    return c.Usage("--sort and --min_feedback are for entries");
  }
  if (!only_for("bucket", {"summary"})) return c.Usage("--bucket is for summary");
  v1::TimeRange range;
  if (absl::Status s = ApplyTimeRange(a, range); !s.ok()) return c.Usage(s.message());
  absl::StatusOr<std::optional<int32_t>> limit = IntFlag(a, "limit");
  absl::StatusOr<std::optional<int32_t>> min_feedback = IntFlag(a, "min_feedback");
  for (const auto* v : {&limit, &min_feedback}) {
    if (!v->ok()) return c.Usage(v->status().message());
  }
  grpc::ClientContext context;
  c.SetDeadline(context);
  if (action == "summary") {
    v1::GetSummaryRequest request;
    *request.mutable_range() = range;
    if (a.Has("bucket")) {
      absl::StatusOr<absl::Duration> bucket = ParseDurationFlag("bucket", a.Get("bucket"));
      if (!bucket.ok()) return c.Usage(bucket.status().message());
      if (*bucket < absl::Seconds(1)) return c.Usage("--bucket must be at least 1s");
      request.set_bucket_seconds(absl::ToInt64Seconds(*bucket));
    }
    v1::GetSummaryResponse response;
    grpc::Status status = c.conn().analytics->GetSummary(&context, request, &response);
    if (!status.ok()) return c.RpcError(status);
    return PrintSummary(c, response);
  }
  if (action == "entries") {
    v1::EntryStatsRequest request;
    *request.mutable_range() = range;
    const std::string sort = a.Has("sort") ? a.Get("sort") : "hits";
    if (sort == "hits") {
      request.set_sort(v1::ENTRY_STATS_SORT_HITS);
    } else if (sort == "not_helpful") {
      request.set_sort(v1::ENTRY_STATS_SORT_NOT_HELPFUL_RATE);
    } else {
      return c.Usage(absl::StrCat("--sort=", sort, " is not one of hits, not_helpful"));
    }
    if (limit->has_value()) request.set_limit(**limit);
    if (min_feedback->has_value()) request.set_min_feedback(**min_feedback);
    v1::EntryStatsResponse response;
    grpc::Status status = c.conn().analytics->EntryStats(&context, request, &response);
    if (!status.ok()) return c.RpcError(status);
    PrintEntryUsage(c, response);
    return kExitOk;
  }
  v1::TopQueriesRequest request;
  *request.mutable_range() = range;
  request.set_unanswered_only(action == "unanswered");
  if (limit->has_value()) request.set_limit(**limit);
  v1::TopQueriesResponse response;
  grpc::Status status = c.conn().analytics->TopQueries(&context, request, &response);
  if (!status.ok()) return c.RpcError(status);
  PrintQueryGroups(c, response);
  return kExitOk;
}

int RunReport(Invocation& c) {
  if (int rc = CheckPositionals(c, {}); rc != kExitOk) return rc;
  const ParsedArgs& a = c.args();
  if (!a.Has("html") || a.Get("html").empty()) {
    return c.Usage("missing --html FILE; e.g. zhikuctl report --html weekly.html");
  }
  v1::TimeRange range;
  if (absl::Status s = ApplyTimeRange(a, range); !s.ok()) return c.Usage(s.message());
  absl::StatusOr<std::optional<int32_t>> limit = IntFlag(a, "limit");
  if (!limit.ok()) return c.Usage(limit.status().message());
  const int32_t rows = limit->value_or(15);
  // Pin the range once so that every part covers the same interval.
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  if (range.until_ms() == 0) range.set_until_ms(now_ms);
  if (range.since_ms() == 0) range.set_since_ms(range.until_ms() - 7 * 24 * 3600 * int64_t{1000});

  ReportData data;
  data.server = c.server();
  data.generated_ms = now_ms;
  auto call = [&c](auto method, const auto& request, auto* response) -> grpc::Status {
    grpc::ClientContext context;
    c.SetDeadline(context);
    return ((*c.conn().analytics).*method)(&context, request, response);
  };
  v1::GetSummaryRequest summary;
  *summary.mutable_range() = range;
  v1::TopQueriesRequest hot;
  *hot.mutable_range() = range;
  hot.set_limit(rows);
  v1::TopQueriesRequest unanswered = hot;
  unanswered.set_unanswered_only(true);
  v1::EntryStatsRequest least;
  *least.mutable_range() = range;
  least.set_limit(rows);
  least.set_sort(v1::ENTRY_STATS_SORT_NOT_HELPFUL_RATE);
  v1::EntryStatsRequest most = least;
  most.set_sort(v1::ENTRY_STATS_SORT_HITS);
  for (grpc::Status status :
       {call(&v1::AnalyticsService::Stub::GetSummary, summary, &data.summary),
        call(&v1::AnalyticsService::Stub::TopQueries, hot, &data.hot),
        call(&v1::AnalyticsService::Stub::TopQueries, unanswered, &data.unanswered),
        call(&v1::AnalyticsService::Stub::EntryStats, least, &data.least_helpful),
        call(&v1::AnalyticsService::Stub::EntryStats, most, &data.most_used)}) {
    if (!status.ok()) return c.RpcError(status);
  }
  const std::string html = RenderReportHtml(data);
  const std::string path = a.Get("html");
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << html;
    file.close();
    if (!file) {
      std::remove(tmp.c_str());
      return c.LocalError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno),
                                       "; check that the directory exists and is writable"));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return c.LocalError(absl::StrCat("cannot replace ", path, ": ", ec.message()));
  }
  if (c.json()) {
    Json j;
    j["file"] = path;
    j["bytes"] = html.size();
    j["queries"] = data.summary.queries();
    c.out() << DumpJson(j) << "\n";
  } else {
    c.out() << "wrote " << path << " (" << html.size() << " bytes; " << data.summary.queries() << " queries, "
            << RangeLine(data.summary.range()) << ")\n";
  }
  return kExitOk;
}

int RunHelp(Invocation& c) {
  const std::vector<std::string>& words = c.args().positionals;
  if (words.empty()) {
    c.out() << CtlUsage();
    return kExitOk;
  }
  if (words.size() > 1) return c.Usage("give at most one SUBCOMMAND");
  const std::string help = CtlSubcommandHelp(words[0]);
  if (help.empty()) {
    return c.Usage(absl::StrCat("unknown subcommand '", words[0], "'; one of ",
                                absl::StrJoin(CtlSubcommandNames(), ", ")));
  }
  c.out() << help;
  return kExitOk;
}

}  // namespace

// ---------------------------------------------------------------------------
// Public functions.

std::string RenderHighlighted(absl::string_view text, Highlight style) {
  std::string out = Sanitize(text, /*keep_newlines=*/false);
  if (style == Highlight::kAnsi) {
    absl::StrReplaceAll({{"<em>", kAnsiOn}, {"</em>", kAnsiOff}}, &out);
  } else {
    absl::StrReplaceAll({{"<em>", "【"}, {"</em>", "】"}}, &out);
  }
  return out;
}

void PrintSearchHuman(const v1::SearchResponse& response, Highlight style,
                      std::ostream& out, bool explain) {
  if (response.hits().empty()) {
    out << "no matching entries";
    if (response.total_estimate() > 0) {
      out << " on this page (about " << response.total_estimate() << " in all)";
    }
    out << "\n";
    if (explain) out << RetrievalLine(response.retrieval()) << "\n";
    return;
  }
  for (const v1::SearchHit& hit : response.hits()) {
    PrintHitHuman(hit, style, explain, out);
  }
  const int first = response.hits(0).rank();
  const int last = response.hits(response.hits_size() - 1).rank();
  out << "hits " << first << "-" << last << " of about " << response.total_estimate();
  if (response.traditional_query()) out << " (query read as Traditional Chinese)";
  if (response.next_page_token().empty()) {
    out << "; no more pages\n";
  } else {
    out << "; next page: --page_token=" << response.next_page_token() << "\n";
  }
  if (!response.query_id().empty()) out << "query_id " << response.query_id() << "\n";
  if (explain) out << RetrievalLine(response.retrieval()) << "\n";
}

void PrintSearchJson(const v1::SearchResponse& response, std::ostream& out) {
  for (const v1::SearchHit& hit : response.hits()) {
    out << DumpJson(SearchHitJson(hit)) << "\n";
  }
  Json summary;
  summary["total_estimate"] = response.total_estimate();
  summary["next_page_token"] = response.next_page_token();
  summary["traditional_query"] = response.traditional_query();
  summary["query_id"] = response.query_id();
  if (response.has_retrieval()) summary["retrieval"] = RetrievalJson(response.retrieval());
  out << DumpJson(summary) << "\n";
}

std::string EntryToJson(const v1::Entry& entry, bool with_metadata) {
  return DumpJson(EntryJson(entry, with_metadata));
}

absl::Status ApplyEntryJson(absl::string_view json, v1::Entry& entry) {
  Json j;
  try {
    j = Json::parse(json.begin(), json.end());
  } catch (const Json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid JSON: ", e.what()));
  }
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        "expected one JSON object like {\"question\": \"...\", \"answer\": \"...\"}");
  }
  for (const auto& [key, value] : j.items()) {
    if (value.is_null()) continue;
    std::string* scalar = nullptr;
    google::protobuf::RepeatedPtrField<std::string>* list = nullptr;
    if (key == "id") scalar = entry.mutable_id();
    else if (key == "question") scalar = entry.mutable_question();
    else if (key == "answer") scalar = entry.mutable_answer();
    else if (key == "category") scalar = entry.mutable_category();
    else if (key == "locale") scalar = entry.mutable_locale();
    else if (key == "channel") scalar = entry.mutable_channel();
    else if (key == "variants") list = entry.mutable_variants();
    else if (key == "tags") list = entry.mutable_tags();
    else if (key == "vectors") {
      // The server checks lengths, values and dimension; here only the shape.
      if (!value.is_array()) {
        return absl::InvalidArgumentError("\"vectors\" must be an array of arrays of numbers");
      }
      entry.clear_vectors();
      for (const Json& row : value) {
        if (!row.is_array()) {
          return absl::InvalidArgumentError("\"vectors\" must be an array of arrays of numbers");
        }
        v1::EntryVector* vector = entry.add_vectors();
        for (const Json& x : row) {
          if (!x.is_number()) {
            return absl::InvalidArgumentError("\"vectors\" must be an array of arrays of numbers");
          }
          vector->add_values(static_cast<float>(x.get<double>()));
        }
      }
      continue;
    } else if (key == "version" || key == "create_time_ms" ||
             key == "update_time_ms" || key == "created_at" || key == "updated_at") {
      continue;  // output-only
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown key \"", key,
          "\"; known keys: id, question, variants, answer, category, tags, "
          "locale, channel, vectors"));
    }
    if (scalar != nullptr) {
      if (!value.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", key, "\" must be a string"));
      }
      *scalar = value.get<std::string>();
      continue;
    }
    if (!value.is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", key, "\" must be an array of strings"));
    }
    list->Clear();
    for (const Json& item : value) {
      if (!item.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", key, "\" must be an array of strings"));
      }
      *list->Add() = item.get<std::string>();
    }
  }
  return absl::OkStatus();
}

std::string CtlUsage() {
  std::string out = Overview();
  out += "\n========== Subcommand reference ==========\n";
  for (const SubcommandSpec& s : Subcommands()) {
    out += "\n";
    out += SubcommandHelp(s);
  }
  return out;
}

std::string CtlSubcommandHelp(absl::string_view name) {
  const SubcommandSpec* s = FindSubcommand(name);
  if (s == nullptr) return "";
  std::string out = SubcommandHelp(*s);
  out +=
      "\n Global flags (before or after the subcommand):\n"
      "  --server=HOST:PORT, --json, --timeout=DURATION, "
      "--color=auto|always|never\n"
      "  (see 'zhikuctl --help')\n\n";
  out += kExitCodesHelp;
  return out;
}

std::vector<std::string> CtlSubcommandNames() {
  std::vector<std::string> names;
  for (const SubcommandSpec& s : Subcommands()) names.emplace_back(s.name);
  return names;
}

int RunCtl(const CtlOptions& options, const std::vector<std::string>& args,
           std::ostream& out, std::ostream& err) {
  size_t i = 0;
  ParsedArgs globals;
  if (absl::Status s = ParseArgs(args, &i, nullptr, globals); !s.ok()) {
    err << "zhikuctl: " << s.message() << "\nRun 'zhikuctl --help' for usage.\n";
    return kExitUsage;
  }
  if (i == args.size()) {
    if (globals.GetBool("help")) {
      out << CtlUsage();
      return kExitOk;
    }
    err << "zhikuctl: missing SUBCOMMAND\n\n" << Overview();
    return kExitUsage;
  }
  const SubcommandSpec* spec = FindSubcommand(args[i]);
  if (spec == nullptr) {
    err << "zhikuctl: unknown subcommand '" << args[i] << "'; one of "
        << absl::StrJoin(CtlSubcommandNames(), ", ")
        << "\nRun 'zhikuctl --help' for usage.\n";
    return kExitUsage;
  }
  ++i;
  ParsedArgs parsed = std::move(globals);
  if (absl::Status s = ParseArgs(args, &i, spec, parsed); !s.ok()) {
    err << "zhikuctl " << spec->name << ": " << s.message()
        << "\nRun 'zhikuctl help " << spec->name << "' for usage.\n";
    return kExitUsage;
  }
  if (parsed.GetBool("help")) {
    out << CtlSubcommandHelp(spec->name);
    return kExitOk;
  }
  Invocation invocation(options, *spec, std::move(parsed), out, err);
  if (absl::Status s = invocation.Init(); !s.ok()) {
    return invocation.Usage(s.message());
  }
  return spec->run(invocation);
}

}  // namespace zhiku::ctl
