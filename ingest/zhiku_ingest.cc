// zhiku-ingest: mines the questions customers ask most in chat logs into FAQ
// drafts; `eval` scores drafts against gold labels; `generate` makes large
// synthetic logs for scale runs.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "absl/strings/str_format.h"
#include "index/format.h"
#include "index/text_normalizer.h"
#include "ingest/chat_generator.h"
#include "ingest/coverage.h"
#include "ingest/log_reader.h"
#include "ingest/miner.h"
#include "ingest/server_embedder.h"
#include "ingest/mining_eval.h"
#include "service/client_channel.h"
#include "service/draft_client.h"

ABSL_FLAG(std::string, output, "drafts.jsonl", "mine: where to write the drafts JSONL ('-' = stdout); generate: the log to write ('-' = stdout)");
ABSL_FLAG(std::string, server, "", "mine: HOST:PORT of a zhiku-server; drafts are checked against its KB (covered_by) and submitted to its DraftService");
ABSL_FLAG(std::string, knowledge_base, "", "mine: knowledge base on --server ('' = the default)");
ABSL_FLAG(std::string, api_key_file, "",
          "mine: with --server, send the API key in this file (first line) with every call; default $ZHIKU_API_KEY. "
          "Coverage needs a bot key, embeddings an agent key, submitting an editor key.");
ABSL_FLAG(bool, submit, true, "mine: with --server, submit the drafts (false: only mark coverage)");
ABSL_FLAG(bool, strict, false, "mine: stop at the first bad record instead of counting and skipping it");
ABSL_FLAG(int, min_frequency, 2, "mine: a draft needs questions from at least this many conversations");
ABSL_FLAG(double, resolution, 0, "mine: cluster resolution (> 0, typically 0.002-0.05): higher splits questions into smaller, tighter clusters, lower merges more; 0 = 0.01, or 0.012 when the server's embeddings are used");
ABSL_FLAG(double, min_similarity, 0.3, "mine: cosine similarity (0-1) two questions need to be linked at all");
ABSL_FLAG(int, refine_passes, 1, "mine: passes moving single questions to the cluster they fit best after clustering (0 = off)");
ABSL_FLAG(double, embedding_weight, 0.8, "mine: with --server, weight (0-1) of the server's embedding model (SearchService.Embed) in question similarity, the rest TF-IDF; 0 = TF-IDF only, as without --server");
ABSL_FLAG(int, neighbours, 12, "mine: neighbours per question in the similarity graph");
ABSL_FLAG(int, threads, 2, "mine: threads for the similarity graph");
ABSL_FLAG(int, max_drafts, 0, "mine: write at most this many drafts, most frequent first (0 = all)");
ABSL_FLAG(bool, progress, true, "show progress on stderr when it is a terminal");
ABSL_FLAG(std::string, drafts, "", "eval: drafts JSONL to score");
ABSL_FLAG(std::string, labels, "", "eval: gold labels JSONL {\"message_id\",\"label\"}");
ABSL_FLAG(bool, json, false, "eval: print one JSON object instead of a table");
ABSL_FLAG(std::string, fail_below, "", "eval: METRIC:MIN,... (JSON key names, e.g. nmi:0.66,top50_purity:0.5); exit 4 if a metric is below its floor (top50_duplicate_rate is a ceiling: exit 4 if above)");
ABSL_FLAG(int, top_drafts, 50, "eval: drafts (by frequency) scored for purity/duplicates/coverage");
ABSL_FLAG(int, top_labels, 30, "eval: most frequent gold labels checked for coverage");
ABSL_FLAG(int64_t, messages, 1000000, "generate: lines to write");
ABSL_FLAG(uint64_t, seed, 1, "generate: random seed (same inputs and seed -> same bytes)");
ABSL_FLAG(int, days, 7, "generate: days the timestamps span");
ABSL_FLAG(double, dirty_share, 0.001, "generate: share of deliberately broken lines");

namespace zhiku {
namespace {

constexpr const char kUsage[] = R"(zhiku-ingest: mine FAQ drafts from chat logs.

Usage:
  zhiku-ingest [flags] FILE...         mine the logs (FILE '-' = stdin)
  zhiku-ingest eval --drafts=F --labels=F [--json]
  zhiku-ingest generate [--messages=N] [--seed=S] [--output=F] SOURCE...

Input: chat logs as JSONL (one message per line, or one conversation per line
with "messages"), or CSV with a header; gzip-compressed or not, detected from
the content. Bad records (broken JSON, missing fields, unknown roles, invalid
UTF-8 ...) are counted by reason and the first ones reported with file:line;
--strict makes the first one fatal.

Mining: customer messages are cleaned (HTML, @mentions), personal data is
masked ([手机号] / [PHONE], [订单号] / [ORDER] ...), sentences that are not
questions (greetings, thanks, 在吗, 人工, bare order numbers, stickers) are
dropped, the rest is normalised like the index (Traditional = Simplified) and
clustered without a cluster count. Each cluster asked in --min_frequency
conversations becomes a draft: representative question, variants, the most
central agent reply as candidate answer, alternatives, conflicting_answers,
frequency, evidence, first/last seen and trend.

With --server, questions are also compared by the server's embedding model
(SearchService.Embed, --embedding_weight; paraphrases sharing no word can
then meet; TF-IDF alone while the server has no model, said in the summary),
and each draft is asked to the KB (Answer RPC): drafts it already
answers get covered_by = that entry (add the phrasings as variants there);
then the drafts are submitted to DraftService, which merges them into the
drafts of earlier runs (counts add up, rejected drafts stay rejected).

Examples:
  zhiku-ingest --output=drafts.jsonl logs/2026-11-*.jsonl.gz
  zcat big.jsonl.gz | zhiku-ingest --server=127.0.0.1:50051 -
  zhiku-ingest eval --drafts=drafts.jsonl --labels=labels.jsonl --json
  zhiku-ingest generate --messages=1000000 --output=big.jsonl data/sample_chats.jsonl

Exit codes: 0 ok, 1 error, 2 usage error, 4 eval: a metric misses its --fail_below floor.
)";

int64_t PeakRssKiB() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int Usage(const std::string& message) {
  std::cerr << "zhiku-ingest: " << message << "\nRun zhiku-ingest --help for the flags.\n";
  return 2;
}

int RunEval() {
  if (absl::GetFlag(FLAGS_drafts).empty() || absl::GetFlag(FLAGS_labels).empty()) {
    return Usage("eval needs --drafts=FILE and --labels=FILE");
  }
  auto drafts = ReadDraftsFile(absl::GetFlag(FLAGS_drafts));
  if (!drafts.ok()) {
    std::cerr << "zhiku-ingest eval: " << drafts.status().message() << "\n";
    return 1;
  }
  auto labels = ReadLabelsFile(absl::GetFlag(FLAGS_labels));
  if (!labels.ok()) {
    std::cerr << "zhiku-ingest eval: " << labels.status().message() << "\n";
    return 1;
  }
  EvalOptions options;
  options.top_drafts = absl::GetFlag(FLAGS_top_drafts);
  options.top_labels = absl::GetFlag(FLAGS_top_labels);
  auto scores = EvaluateMining(*drafts, *labels, options);
  if (!scores.ok()) {
    std::cerr << "zhiku-ingest eval: " << scores.status().message() << "\n";
    return 1;
  }
  std::cout << (absl::GetFlag(FLAGS_json) ? MiningScoresToJson(*scores) + "\n" : MiningScoresToTable(*scores));
  std::cout.flush();
  const std::string floors = absl::GetFlag(FLAGS_fail_below);
  if (floors.empty()) return 0;
  nlohmann::json values = nlohmann::json::parse(MiningScoresToJson(*scores));
  int failed = 0;
  for (absl::string_view item : absl::StrSplit(floors, ',', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(item, ':');
    double floor = 0;
    if (parts.size() != 2 || !absl::SimpleAtod(parts[1], &floor)) {
      return Usage(absl::StrCat("--fail_below: \"", item, "\" is not METRIC:NUMBER"));
    }
    auto it = values.find(parts[0]);
    if (it == values.end() || !it->is_number()) {
      return Usage(absl::StrCat("--fail_below: no metric \"", parts[0], "\"; use a key of eval --json"));
    }
    double value = it->get<double>();
    bool ceiling = absl::EndsWith(parts[0], "_duplicate_rate");
    if (ceiling ? value > floor : value < floor) {
      std::cerr << absl::StrFormat("zhiku-ingest eval: %s = %.4f is %s its %s %.4f\n", parts[0], value,
                                   ceiling ? "above" : "below", ceiling ? "ceiling" : "floor", floor);
      ++failed;
    }
  }
  return failed > 0 ? 4 : 0;
}

int RunGenerate(const std::vector<std::string>& sources) {
  if (sources.empty()) return Usage("generate needs SOURCE chat logs to recombine, e.g. data/sample_chats.jsonl");
  GeneratorOptions options;
  options.messages = absl::GetFlag(FLAGS_messages);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.days = absl::GetFlag(FLAGS_days);
  options.dirty_share = absl::GetFlag(FLAGS_dirty_share);
  std::string output = absl::GetFlag(FLAGS_output);
  if (output == "drafts.jsonl") return Usage("generate needs --output=FILE for the log ('-' = stdout)");
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (output != "-") {
    file.open(output, std::ios::binary);
    if (!file) {
      std::cerr << "zhiku-ingest generate: cannot write " << output << "\n";
      return 1;
    }
    out = &file;
  }
  auto start = std::chrono::steady_clock::now();
  auto report = GenerateChatLog(sources, options, *out);
  if (!report.ok()) {
    std::cerr << "zhiku-ingest generate: " << report.status().message() << "\n";
    return 1;
  }
  out->flush();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << absl::StrFormat("generated %s lines (%s messages, %s dirty) in %s conversations in %.1f s\n",
                               WithThousands(report->lines), WithThousands(report->messages),
                               WithThousands(report->dirty_lines), WithThousands(report->conversations), seconds);
  return 0;
}

int RunMine(const std::vector<std::string>& files) {
  if (files.empty()) return Usage("no input: give chat-log files, or '-' for stdin");
  auto start = std::chrono::steady_clock::now();
  auto normalizer = TextNormalizer::Create();
  if (!normalizer.ok()) {
    std::cerr << "zhiku-ingest: " << normalizer.status().message() << "\n";
    return 1;
  }
  MinerOptions options;
  options.min_frequency = absl::GetFlag(FLAGS_min_frequency);
  if (const double r = absl::GetFlag(FLAGS_resolution); r != 0) {
    options.resolution = r;
    options.embedding_resolution = r;
  }
  options.neighbours = absl::GetFlag(FLAGS_neighbours);
  options.min_similarity = absl::GetFlag(FLAGS_min_similarity);
  options.refine_passes = absl::GetFlag(FLAGS_refine_passes);
  if (options.refine_passes < 0 || options.refine_passes > 100) return Usage("--refine_passes must be in 0..100");
  if (!(options.min_similarity >= 0 && options.min_similarity < 1)) return Usage("--min_similarity must be in [0, 1)");
  options.threads = absl::GetFlag(FLAGS_threads);
  options.embedding_weight = absl::GetFlag(FLAGS_embedding_weight);
  if (!(options.embedding_weight >= 0 && options.embedding_weight <= 1)) return Usage("--embedding_weight must be in [0, 1]");
  if (options.min_frequency < 1) return Usage("--min_frequency must be at least 1");
  if (!(options.resolution > 0 && options.resolution <= 10)) return Usage("--resolution must be in (0, 10]");
  if (options.neighbours < 1 || options.neighbours > 200) return Usage("--neighbours must be in 1..200");
  if (options.threads < 1 || options.threads > 64) return Usage("--threads must be in 1..64");
  Miner miner(options, normalizer->get());
  const std::string server = absl::GetFlag(FLAGS_server);
  std::string api_key;
  if (!server.empty()) {
    absl::StatusOr<std::string> key = ResolveApiKey(absl::GetFlag(FLAGS_api_key_file));
    if (!key.ok()) return Usage(std::string(key.status().message()));
    api_key = *key;
  }
  if (!server.empty() && options.embedding_weight > 0) {
    ServerEmbedderOptions embed;
    embed.server = server;
    embed.api_key = api_key;
    embed.knowledge_base = absl::GetFlag(FLAGS_knowledge_base);
    miner.SetEmbedder(ServerEmbedder(embed));
  }

  const bool tty = absl::GetFlag(FLAGS_progress) && isatty(STDERR_FILENO);
  ReaderOptions reader;
  reader.strict = absl::GetFlag(FLAGS_strict);
  if (tty) {
    reader.progress = [&](int64_t done, int64_t total) {
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (total > 0) {
        std::fprintf(stderr, "\rreading %5.1f%%  %s MB of %s MB  %s messages  %.0f s ", 100.0 * done / total,
                     WithThousands(done >> 20).c_str(), WithThousands(total >> 20).c_str(),
                     WithThousands(miner.stats().messages).c_str(), seconds);
      } else {
        std::fprintf(stderr, "\rreading %s MB  %s messages  %.0f s ", WithThousands(done >> 20).c_str(),
                     WithThousands(miner.stats().messages).c_str(), seconds);
      }
    };
  }
  ReadReport read;
  absl::Status status =
      ReadChatLogs(files, reader, [&](ChatMessage&& m, const RecordLocation&) { miner.Add(m); }, &read);
  if (tty) std::fprintf(stderr, "\r%80s\r", "");
  if (!status.ok()) {
    std::cerr << "zhiku-ingest: " << status.message() << "\n";
    if (reader.strict) std::cerr << "(--strict: fix the record, or run without --strict to skip and count bad records)\n";
    return 1;
  }
  double read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (tty) std::fprintf(stderr, "clustering %s questions ...", WithThousands(miner.stats().questions).c_str());
  std::vector<Draft> drafts = miner.Finish();
  if (tty) std::fprintf(stderr, "\r%80s\r", "");
  int max_drafts = absl::GetFlag(FLAGS_max_drafts);
  if (max_drafts > 0 && static_cast<int>(drafts.size()) > max_drafts) drafts.resize(max_drafts);
  double mine_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::string coverage_line, submit_line;
  if (!server.empty()) {
    CoverageOptions coverage;
    coverage.server = server;
    coverage.api_key = api_key;
    coverage.knowledge_base = absl::GetFlag(FLAGS_knowledge_base);
    auto covered = MarkCoverage(coverage, **normalizer, drafts);
    if (!covered.ok()) {
      std::cerr << "zhiku-ingest: " << covered.status().message() << "\n";
      return 1;
    }
    coverage_line = absl::StrCat(WithThousands(covered->covered), " of ", WithThousands(covered->drafts_checked),
                                 " drafts already covered by a KB entry");
  }

  const std::string output = absl::GetFlag(FLAGS_output);
  {
    std::ofstream file;
    std::ostream* out = &std::cout;
    if (output != "-") {
      file.open(output, std::ios::binary | std::ios::trunc);
      if (!file) {
        std::cerr << "zhiku-ingest: cannot write " << output << "; check the directory exists and is writable\n";
        return 1;
      }
      out = &file;
    }
    for (const Draft& d : drafts) *out << DraftToJson(d) << "\n";
    out->flush();
    if (!*out) {
      std::cerr << "zhiku-ingest: writing " << output << " failed (disk full?)\n";
      return 1;
    }
  }

  if (!server.empty() && absl::GetFlag(FLAGS_submit)) {
    auto submitted = SubmitDraftsToServer(server, api_key, absl::GetFlag(FLAGS_knowledge_base), drafts, absl::Seconds(60));
    if (!submitted.ok()) {
      std::cerr << "zhiku-ingest: submitting drafts: " << submitted.status().message()
                << "\nThe drafts are in " << output << "; resubmit with zhikuctl drafts submit " << output << "\n";
      return 1;
    }
    submit_line = absl::StrCat("submitted: ", WithThousands(submitted->created), " new, ",
                               WithThousands(submitted->merged), " merged into earlier drafts, ",
                               WithThousands(submitted->suppressed), " matching rejected drafts (kept rejected)");
  }

  const MinerStats& s = miner.stats();
  double total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ostream& e = std::cerr;
  e << "messages read       " << WithThousands(read.messages) << " in " << read.files << " file(s), "
    << WithThousands(read.bytes >> 20) << " MB"
    << (read.truncated_texts ? absl::StrCat(", ", WithThousands(read.truncated_texts), " long texts truncated") : "")
    << "\n";
  e << "bad records         " << WithThousands(read.bad_total());
  for (int r = 0; r < kBadRecordReasonCount; ++r) {
    if (read.bad[r] > 0) e << "  " << BadRecordReasonName(static_cast<BadRecordReason>(r)) << "=" << read.bad[r];
  }
  e << "\n";
  for (const std::string& example : read.examples) e << "  " << example << "\n";
  e << "customer messages   " << WithThousands(s.customer_messages) << " (" << WithThousands(s.sentences)
    << " sentences)\n";
  e << "questions extracted " << WithThousands(s.questions) << " (" << WithThousands(s.distinct_questions)
    << " distinct); dropped:";
  for (int r = 0; r < kDropReasonCount; ++r) {
    if (s.dropped[r] > 0) e << " " << DropReasonName(static_cast<DropReason>(r)) << "=" << s.dropped[r];
  }
  e << "\n";
  e << "masked              ";
  int64_t masked_total = 0;
  for (PiiType t : kAllPiiTypes) {
    int64_t c = s.masked[static_cast<int>(t)];
    masked_total += c;
    if (c > 0) e << PiiTypeName(t) << "=" << c << " ";
  }
  if (masked_total == 0) e << "nothing";
  e << "\n";
  if (s.embedded_texts > 0) {
    e << "embeddings          " << WithThousands(s.embedded_texts) << " of " << WithThousands(s.distinct_questions)
      << " distinct questions embedded by " << server << " (dim " << s.embedding_dim << ", weight "
      << options.embedding_weight << ")\n";
  }
  if (!s.embedding_note.empty()) e << "embeddings          not used: " << s.embedding_note << "\n";
  e << "clusters            " << WithThousands(s.clusters) << "; drafts written " << WithThousands(drafts.size())
    << " (min frequency " << options.min_frequency << ") to " << (output == "-" ? "stdout" : output) << "\n";
  if (!coverage_line.empty()) e << "coverage            " << coverage_line << "\n";
  if (!submit_line.empty()) e << submit_line << "\n";
  e << absl::StrFormat("time                %.1f s (read+extract %.1f s, cluster %.1f s), %.0f messages/s\n",
                       total_seconds, read_seconds, mine_seconds - read_seconds,
                       total_seconds > 0 ? read.messages / total_seconds : 0.0);
  e << "peak memory         " << WithThousands(PeakRssKiB() / 1024) << " MB RSS\n";
  return 0;
}

}  // namespace
}  // namespace zhiku

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(zhiku::kUsage);
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view path) { return path.find("zhiku_ingest") != absl::string_view::npos; };
  config.contains_helpshort_flags = config.contains_help_flags;
  absl::SetFlagsUsageConfig(config);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  std::vector<std::string> args(positional.begin() + 1, positional.end());
  if (!args.empty() && args[0] == "eval") return zhiku::RunEval();
  if (!args.empty() && args[0] == "generate") return zhiku::RunGenerate({args.begin() + 1, args.end()});
  return zhiku::RunMine(args);
}
