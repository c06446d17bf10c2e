// zhiku-synth-kb: writes a synthetic customer-service KB (and held-out eval
// queries) of a chosen size. All logic is in service/synth_kb.cc.
#include <chrono>
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "index/format.h"
#include "service/synth_kb.h"

ABSL_FLAG(int64_t, entries, 100000, "Entries to generate (each a distinct question).");
ABSL_FLAG(int, variants, 5, "Variants (paraphrases) per entry, 0..20.");
ABSL_FLAG(uint64_t, seed, 1, "Seed; the same seed gives byte-identical files.");
ABSL_FLAG(std::string, out, "", "Where to write the KB JSONL. Required.");
ABSL_FLAG(std::string, queries_out, "",
          "If set, also write held-out eval queries {\"query\",\"expected_id\"} to this JSONL file.");
ABSL_FLAG(int64_t, queries, 2000, "Eval queries written to --queries_out.");
ABSL_FLAG(double, out_of_scope_share, 0.05,
          "Share of eval queries that are out of scope (chit-chat; expected_id null), 0..1.");

int main(int argc, char** argv) {
  // --help lists the flags of this file; absl's default looks for a file
  // named like the binary (zhiku-synth-kb), which the underscore never matches.
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) { return absl::EndsWith(path, "zhiku_synth_kb.cc"); };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(absl::StrCat(
      "Writes a synthetic customer-service knowledge base: mostly Simplified Chinese, some\n"
      "Traditional (zh-TW) and English entries of an online shop (orders, refunds, returns,\n"
      "invoices, shipping, warranty, payment, coupons, membership), each with paraphrased\n"
      "variants, and optionally eval queries (paraphrases not in the KB) for it.\n\n"
      "  zhiku-synth-kb --entries=100000 --variants=5 --seed=1 --out=FILE.jsonl \\\n"
      "                 [--queries_out=QUERIES.jsonl --queries=2000]\n\n"
      "At most ", zhiku::WithThousands(zhiku::synth::MaxSynthEntries()),
      " entries. Import with: zhikuctl import FILE.jsonl"));
  const auto positionals = absl::ParseCommandLine(argc, argv);
  if (positionals.size() > 1) {
    std::fprintf(stderr, "zhiku-synth-kb: unexpected argument; all options are --flags (see --help)\n");
    return 1;
  }
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::fprintf(stderr, "zhiku-synth-kb: --out=FILE.jsonl is required\n");
    return 1;
  }
  zhiku::synth::SynthKbOptions options;
  options.entries = absl::GetFlag(FLAGS_entries);
  options.variants = absl::GetFlag(FLAGS_variants);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.queries = absl::GetFlag(FLAGS_queries);
  options.out_of_scope_share = absl::GetFlag(FLAGS_out_of_scope_share);
  const std::string queries_out = absl::GetFlag(FLAGS_queries_out);

  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<zhiku::synth::SynthKbStats> stats = zhiku::synth::WriteSynthKb(options, out, queries_out);
  if (!stats.ok()) {
    std::fprintf(stderr, "zhiku-synth-kb: %s\n", std::string(stats.status().message()).c_str());
    return stats.status().code() == absl::StatusCode::kInvalidArgument ? 1 : 2;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "wrote %s entries (%s variants, %.1f MB) to %s in %.2f s\n",
               zhiku::WithThousands(stats->entries).c_str(), zhiku::WithThousands(stats->variants).c_str(),
               stats->kb_bytes / 1e6, out.c_str(), seconds);
  if (!queries_out.empty()) {
    std::fprintf(stderr, "wrote %s eval queries (%s out of scope) to %s\n", zhiku::WithThousands(stats->queries).c_str(),
                 zhiku::WithThousands(stats->out_of_scope).c_str(), queries_out.c_str());
  }
  return 0;
}
