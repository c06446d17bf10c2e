// zhiku-server: serves one knowledge base over gRPC.
#include <signal.h>

#include <cstdio>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "index/logging.h"
#include "service/server.h"

ABSL_FLAG(std::string, data_dir, "", "Directory holding the knowledge base (zhiku.db) and its indexes; created if absent. Required.");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "HOST:PORT to serve gRPC on; port 0 picks a free port.");
ABSL_FLAG(int, max_threads, 0, "Upper bound of threads serving calls; 0 = 4 x cores.");
ABSL_FLAG(int, max_message_bytes, 4 << 20, "Largest request message accepted, in bytes.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long in-flight calls may run before they are cancelled.");
ABSL_FLAG(std::string, opencc_dir, "/usr/share/opencc", "Directory of OpenCC's t2s.json and s2tw.json.");
ABSL_FLAG(double, bm25_k1, zhiku::KeywordIndexOptions{}.k1, "BM25 k1 (term frequency saturation) of the keyword index.");
ABSL_FLAG(double, bm25_b, zhiku::KeywordIndexOptions{}.b, "BM25 b (length normalisation, 0..1) of the keyword index.");
ABSL_FLAG(int, max_query_terms, zhiku::KeywordIndexOptions{}.max_query_terms,
          "Keyword queries with more distinct terms than this match on the elite set of that many (the rarest); "
          "0 = all terms.");
ABSL_FLAG(double, unigram_weight, zhiku::KeywordIndexOptions{}.unigram_weight,
          "Weight of single CJK characters relative to bigrams in keyword queries.");
ABSL_FLAG(double, answer_weight, zhiku::KeywordIndexOptions{}.answer_weight,
          "Weight of a match in the answer relative to one in a question or variant.");
ABSL_FLAG(double, entry_weight, zhiku::KeywordIndexOptions{}.entry_weight,
          "Weight of an entry's phrasings taken together, added to its best phrasing's score.");
ABSL_FLAG(int, min_candidates, zhiku::KeywordIndexOptions{}.min_candidates,
          "Fewest documents fetched from the keyword index per search before aggregating them per entry.");
ABSL_FLAG(bool, unique_phrasing_terms, zhiku::KeywordIndexOptions{}.unique_phrasing_terms,
          "Index each term of a question or variant once, whatever its frequency in it.");
ABSL_FLAG(bool, semantic, true,
          "Train an embedding model on the knowledge base and serve the vector leg of hybrid search. "
          "false = keyword only (Answer still works, uncalibrated).");
ABSL_FLAG(std::string, semantic_ratio, "auto",
          "Default weight of the vector leg in [0, 1] (0 keyword only, 1 vector only), or auto: the ratio with the "
          "best top-1 on held-out phrasings of the knowledge base, chosen at each retraining (0.5 until then). "
          "Requests may override it.");
ABSL_FLAG(std::string, fusion, "weighted", "Default fusion of the two legs: weighted (normalised scores) or rrf.");
ABSL_FLAG(double, answer_precision, zhiku::AnswerThresholdDefaults{}.answer_precision,
          "Answer answers only at a confidence whose precision on the calibration set reached this, in (0, 1).");
ABSL_FLAG(double, suggest_confidence, zhiku::AnswerThresholdDefaults{}.suggest_confidence,
          "Answer suggests alternatives at or above this confidence (below: hand off).");
ABSL_FLAG(int, embedding_dim, zhiku::FastTextOptions{}.dim, "Dimension of the embedding model's vectors.");
ABSL_FLAG(int, embedding_epochs, zhiku::FastTextOptions{}.epochs, "Training epochs of the embedding model.");
ABSL_FLAG(int, embedding_threads, zhiku::FastTextOptions{}.threads, "Threads the embedding model trains with.");
ABSL_FLAG(int, embedding_bucket, zhiku::FastTextOptions{}.bucket,
          "Hash buckets for word pairs in the embedding model (memory: (vocabulary + bucket) x dim floats).");
ABSL_FLAG(absl::Duration, retrain_quiet, zhiku::SemanticOptions{}.retrain_quiet,
          "Retrain the embedding model once writes have paused this long.");
ABSL_FLAG(absl::Duration, min_retrain_interval, zhiku::SemanticOptions{}.min_retrain_interval,
          "At most one retraining per this interval (writes in between are embedded with the current model).");
ABSL_FLAG(bool, insecure_no_auth, false,
          "Serve without API keys: anyone who can reach the port may read, change and delete everything. For a "
          "local demo only. Without it every call needs 'authorization: Bearer <key>'; on the first start the server "
          "writes an admin key to DATA_DIR/admin.key (mode 0600).");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate (chain) of the server; with --tls_key the port speaks TLS only.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA certificate: clients must present a certificate it signed (mutual TLS). Needs --tls_cert.");
ABSL_FLAG(int, query_log_retention_days, zhiku::ServerOptions{}.query_log_retention_days,
          "Days every Search and Answer (masked) and its feedback stay in the query log for analytics and "
          "zhiku-ingest --from-query-log; 0 = keep no query log.");
ABSL_FLAG(std::string, port_file, "", "If set, the bound port is written to this file once serving (for scripts using port 0).");

int main(int argc, char** argv) {
  // absl's --help lists the flags of files named after the binary
  // (zhiku-server.cc); ours is zhiku_server.cc, so without this --help
  // printed "No flags matched".
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) { return absl::EndsWith(path, "zhiku_server.cc"); };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      "Serves a Zhiku knowledge base over gRPC (zhiku.v1.SearchService, KnowledgeService, DraftService,\n"
      "AdminService, grpc.health.v1.Health, server reflection).\n\n"
      "  zhiku-server --data_dir=DIR [--listen=127.0.0.1:50051]\n\n"
      "Every call needs an API key ('authorization: Bearer <key>' metadata; the health check does not). On the\n"
      "first start the server creates an admin key and writes it to DATA_DIR/admin.key (mode 0600); make the\n"
      "other keys from it: zhikuctl --api_key_file=DATA_DIR/admin.key keys create --role=bot NAME.\n"
      "Stops gracefully on SIGTERM or SIGINT. Logs go to stderr.");
  absl::ParseCommandLine(argc, argv);
  // FAISS searches one query per call on our request threads: OpenMP teams
  // would only add overhead and oversubscribe the cores.
  setenv("OMP_NUM_THREADS", "1", /*overwrite=*/0);
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (data_dir.empty()) {
    std::fprintf(stderr, "zhiku-server: --data_dir is required (a directory for the knowledge base; it is created if absent)\n");
    return 1;
  }

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  zhiku::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.knowledge_base.data_dir = data_dir;
  options.knowledge_base.opencc_dir = absl::GetFlag(FLAGS_opencc_dir);
  options.knowledge_base.keyword.k1 = absl::GetFlag(FLAGS_bm25_k1);
  options.knowledge_base.keyword.b = absl::GetFlag(FLAGS_bm25_b);
  options.knowledge_base.keyword.unigram_weight = absl::GetFlag(FLAGS_unigram_weight);
  options.knowledge_base.keyword.max_query_terms = absl::GetFlag(FLAGS_max_query_terms);
  options.knowledge_base.keyword.answer_weight = absl::GetFlag(FLAGS_answer_weight);
  options.knowledge_base.keyword.entry_weight = absl::GetFlag(FLAGS_entry_weight);
  options.knowledge_base.keyword.min_candidates = absl::GetFlag(FLAGS_min_candidates);
  options.knowledge_base.keyword.unique_phrasing_terms = absl::GetFlag(FLAGS_unique_phrasing_terms);
  zhiku::SemanticOptions& semantic = options.knowledge_base.semantic;
  semantic.enabled = absl::GetFlag(FLAGS_semantic);
  if (const std::string ratio = absl::GetFlag(FLAGS_semantic_ratio); ratio != "auto") {
    semantic.auto_semantic_ratio = false;
    if (!absl::SimpleAtod(ratio, &semantic.fusion.semantic_ratio)) semantic.fusion.semantic_ratio = -1;
  }
  const std::string fusion = absl::GetFlag(FLAGS_fusion);
  if (fusion == "weighted") {
    semantic.fusion.method = zhiku::FusionMethod::kWeighted;
  } else if (fusion == "rrf") {
    semantic.fusion.method = zhiku::FusionMethod::kRrf;
  } else {
    std::fprintf(stderr, "zhiku-server: --fusion=%s is not known; use weighted or rrf\n", fusion.c_str());
    return 1;
  }
  if (!(semantic.fusion.semantic_ratio >= 0 && semantic.fusion.semantic_ratio <= 1)) {
    std::fprintf(stderr, "zhiku-server: --semantic_ratio must be auto or a number between 0 and 1\n");
    return 1;
  }
  options.knowledge_base.answer.answer_precision = absl::GetFlag(FLAGS_answer_precision);
  options.knowledge_base.answer.suggest_confidence = absl::GetFlag(FLAGS_suggest_confidence);
  if (!(options.knowledge_base.answer.answer_precision > 0 && options.knowledge_base.answer.answer_precision < 1)) {
    std::fprintf(stderr, "zhiku-server: --answer_precision must be between 0 and 1 (exclusive)\n");
    return 1;
  }
  semantic.fasttext.dim = absl::GetFlag(FLAGS_embedding_dim);
  semantic.fasttext.epochs = absl::GetFlag(FLAGS_embedding_epochs);
  semantic.fasttext.threads = absl::GetFlag(FLAGS_embedding_threads);
  semantic.fasttext.bucket = absl::GetFlag(FLAGS_embedding_bucket);
  semantic.retrain_quiet = absl::GetFlag(FLAGS_retrain_quiet);
  semantic.min_retrain_interval = absl::GetFlag(FLAGS_min_retrain_interval);
  options.max_threads = absl::GetFlag(FLAGS_max_threads);
  options.max_receive_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  options.require_api_keys = !absl::GetFlag(FLAGS_insecure_no_auth);
  options.query_log_retention_days = absl::GetFlag(FLAGS_query_log_retention_days);
  if (options.query_log_retention_days < 0 || options.query_log_retention_days > 3650) {
    std::fprintf(stderr, "zhiku-server: --query_log_retention_days must be in 0..3650\n");
    return 1;
  }
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  if (!options.require_api_keys) {
    std::fprintf(stderr,
                 "\n*** zhiku-server: --insecure_no_auth: NO API KEYS. Anyone who can reach %s can read, change\n"
                 "*** and delete everything. Use this for a local demo only.\n\n",
                 options.listen.c_str());
  }
  absl::StatusOr<std::unique_ptr<zhiku::ZhikuServer>> server = zhiku::ZhikuServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "zhiku-server: %s\n", server.status().ToString().c_str());
    return 2;
  }
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    if (FILE* f = std::fopen(tmp.c_str(), "w")) {
      std::fprintf(f, "%d\n", (*server)->port());
      std::fclose(f);
      std::rename(tmp.c_str(), port_file.c_str());
    }
  }

  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  std::thread signal_waiter([&stop_signals, &server, grace] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    zhiku::Log(zhiku::LogLevel::kInfo, "server", absl::StrCat("received signal ", signal_number));
    (*server)->Shutdown(grace);
  });
  (*server)->Wait();
  signal_waiter.join();
  server->reset();  // closes the knowledge base: indexer flushed, SQLite and Xapian closed
  zhiku::Log(zhiku::LogLevel::kInfo, "server", "stopped");
  return 0;
}
