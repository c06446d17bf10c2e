#include "index/knowledge_base.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "index/answerer.h"
#include "index/chitchat.h"
#include "index/locale_preference.h"
#include "index/logging.h"
#include "index/status_macros.h"
#include "index/tokenizer.h"
#include "index/vector_leg.h"
#include <fstream>
#include <nlohmann/json.hpp>

namespace zhiku {
namespace {

constexpr int kChangeBatch = 1000;
constexpr absl::string_view kLog = "knowledge_base";
// Answer confidence of a message equal to a phrasing of one entry only.
constexpr double kExactPhrasingConfidence = 0.99;

}  // namespace

struct KnowledgeBase::Impl {
  // Constant after Open.
  KnowledgeBaseOptions options;
  std::unique_ptr<TextNormalizer> normalizer;
  std::unique_ptr<EntryStore> store;
  std::unique_ptr<DraftStore> drafts;  // borrows normalizer
  std::unique_ptr<KeywordIndex> keyword;  // writer side used by the indexer thread only
  bool rebuilt_on_open = false;

  mutable absl::Mutex snapshot_mu;
  std::shared_ptr<const Snapshot> snapshot ABSL_GUARDED_BY(snapshot_mu);

  absl::Mutex indexer_mu;
  bool wake ABSL_GUARDED_BY(indexer_mu) = false;
  bool stop ABSL_GUARDED_BY(indexer_mu) = false;
  std::thread indexer;

  // A model and vector base trained on the snapshot at `seq`, handed from
  // the trainer to the indexer, which brings it up to date and publishes it.
  struct Generation {
    std::shared_ptr<const VectorLeg> leg;
    std::shared_ptr<const AnswerCalibration> calibration;
    int64_t seq = 0;
    int64_t version = 0;
    int64_t corpus_version = 0;  // the corpus the embedder learned from (0 = none)
    int pseudo_labels = 0;       // corpus texts it learned from (self_training.h)
  };

  absl::Mutex trainer_mu;
  bool trainer_wake ABSL_GUARDED_BY(trainer_mu) = false;
  bool trainer_stop ABSL_GUARDED_BY(trainer_mu) = false;
  bool retrain_requested ABSL_GUARDED_BY(trainer_mu) = false;
  bool training ABSL_GUARDED_BY(trainer_mu) = false;
  int64_t failed_seq ABSL_GUARDED_BY(trainer_mu) = -1;  // training failed for this snapshot seq
  std::string trainer_note ABSL_GUARDED_BY(trainer_mu);
  absl::Time last_write ABSL_GUARDED_BY(trainer_mu) = absl::InfinitePast();
  absl::Time last_train ABSL_GUARDED_BY(trainer_mu) = absl::InfinitePast();
  std::optional<Generation> pending ABSL_GUARDED_BY(trainer_mu);
  int64_t last_version ABSL_GUARDED_BY(trainer_mu) = 0;
  // Corpus version of the last generation trained or loaded; a newer corpus
  // is a reason to retrain.
  int64_t trained_corpus_version ABSL_GUARDED_BY(trainer_mu) = 0;
  std::thread trainer;
  // Set on close: a training run under way stops (fastText aborts) instead
  // of holding up shutdown.
  std::atomic<bool> cancel_training{false};

  std::string VectorDir() const { return options.data_dir + "/index/vector"; }

  std::shared_ptr<const Snapshot> Current() const {
    absl::MutexLock lock(&snapshot_mu);
    return snapshot;
  }

  // Completes `next` (its phrasing table for suggestions) and makes it the
  // snapshot readers get.
  void Publish(std::shared_ptr<Snapshot> next) {
    next->phrasings = BuildPhrasingTable(next->entries);
    next->locales = DistinctLocales(next->entries);
    absl::MutexLock lock(&snapshot_mu);
    snapshot = std::move(next);
  }

  void NotifyWrite() {
    {
      absl::MutexLock lock(&indexer_mu);
      wake = true;
    }
    absl::MutexLock lock(&trainer_mu);
    last_write = absl::Now();
  }

  void WakeTrainer(bool retrain) {
    absl::MutexLock lock(&trainer_mu);
    trainer_wake = true;
    if (retrain) retrain_requested = true;
  }

  // The ids of the entries changed after `after_seq` (each once).
  absl::StatusOr<std::vector<std::string>> ChangedSince(int64_t after_seq, int64_t up_to_seq) {
    std::vector<std::string> ids;
    absl::flat_hash_set<std::string> seen;
    int64_t seq = after_seq;
    while (seq < up_to_seq) {
      ZHIKU_ASSIGN_OR_RETURN(std::vector<Change> changes, store->ChangesSince(seq, kChangeBatch));
      if (changes.empty()) break;
      for (const Change& change : changes) {
        if (change.seq > up_to_seq) break;
        if (seen.insert(change.entry_id).second) ids.push_back(change.entry_id);
      }
      seq = changes.back().seq;
    }
    return ids;
  }

  // Applies `changed` to the vector leg of `next` (which already holds the
  // changed entries). On failure the leg is dropped (keyword only) and a
  // retrain is requested rather than failing the keyword index's progress.
  void UpdateVectors(Snapshot& next, const std::vector<std::string>& changed) {
    if (next.vectors == nullptr || changed.empty()) return;
    absl::StatusOr<std::shared_ptr<const VectorLeg>> leg = next.vectors->WithChanges(changed, next);
    if (!leg.ok()) {
      Log(LogLevel::kError, kLog, absl::StrCat("vector update failed; serving keyword only until retrained: ",
                                               leg.status().ToString()));
      next.vectors = nullptr;
      next.vector_note = absl::StrCat("vector leg unavailable (", leg.status().message(), "); keyword only");
      WakeTrainer(/*retrain=*/true);
      return;
    }
    next.vectors = *std::move(leg);
    if (next.vectors->tombstone_count() > options.semantic.compact_after_changed_entries) WakeTrainer(true);
  }

  // Publishes a generation the trainer finished, brought up to `current`.
  absl::StatusOr<std::shared_ptr<const Snapshot>> InstallPending(std::shared_ptr<const Snapshot> current) {
    std::optional<Generation> gen;
    {
      absl::MutexLock lock(&trainer_mu);
      gen.swap(pending);
    }
    if (!gen) return current;
    auto next = std::make_shared<Snapshot>(*current);
    next->vectors = gen->leg;
    next->calibration = gen->calibration;
    next->model_version = gen->version;
    next->vectors_seq = gen->seq;
    next->vectors_corpus_version = gen->corpus_version;
    next->vectors_pseudo_labels = gen->pseudo_labels;
    next->vector_note.clear();
    ZHIKU_ASSIGN_OR_RETURN(std::vector<std::string> changed, ChangedSince(gen->seq, current->seq));
    UpdateVectors(*next, changed);
    Publish(next);
    return std::shared_ptr<const Snapshot>(std::move(next));
  }

  // Applies every store change after the current snapshot's seq to the
  // keyword index and publishes the resulting snapshot. Indexer thread only
  // (and Open, before the thread starts).
  absl::Status CatchUp() {
    ZHIKU_ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> current, InstallPending(Current()));
    while (true) {
      ZHIKU_ASSIGN_OR_RETURN(std::vector<Change> changes,
                             store->ChangesSince(current->seq, kChangeBatch));
      if (changes.empty()) return absl::OkStatus();
      auto next = std::make_shared<Snapshot>(*current);
      absl::flat_hash_set<std::string> done;
      std::vector<std::string> changed;
      for (const Change& change : changes) {
        if (!done.insert(change.entry_id).second) continue;
        changed.push_back(change.entry_id);
        // The store's current state may be newer than this change; applying
        // it early is harmless because applying is idempotent.
        absl::StatusOr<Entry> entry = store->Get(change.entry_id);
        if (entry.ok() || absl::IsNotFound(entry.status())) {
          if (const IndexedEntry* old = next->Find(change.entry_id)) next->CountOwnVectors(old->entry, true);
        }
        if (entry.ok()) {
          auto indexed = MakeIndexedEntry(*std::move(entry), *normalizer);
          ZHIKU_RETURN_IF_ERROR(keyword->Put(*indexed));
          next->CountOwnVectors(indexed->entry, false);
          next->entries[change.entry_id] = std::move(indexed);
        } else if (absl::IsNotFound(entry.status())) {
          ZHIKU_RETURN_IF_ERROR(keyword->Remove(change.entry_id));
          next->entries.erase(change.entry_id);
        } else {
          return entry.status();
        }
      }
      next->seq = changes.back().seq;
      ZHIKU_RETURN_IF_ERROR(keyword->Commit(next->seq, store->StoreId()));
      UpdateVectors(*next, changed);
      Publish(next);
      current = std::move(next);
    }
  }

  void IndexerLoop() {
    absl::Duration backoff = absl::Milliseconds(100);
    while (true) {
      bool stopping;
      {
        absl::MutexLock lock(&indexer_mu);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(indexer_mu) { return wake || stop; };
        // The timeout is a safety net: a write that happened without a
        // notification (another process) is still picked up.
        indexer_mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(1));
        wake = false;
        stopping = stop;
      }
      if (!stopping && options.index_delay > absl::ZeroDuration()) absl::SleepFor(options.index_delay);
      absl::Status status = CatchUp();
      if (!status.ok()) {
        Log(LogLevel::kError, kLog, absl::StrCat("indexing failed, will retry: ", status.ToString()));
        if (stopping) return;
        absl::SleepFor(backoff);
        backoff = std::min(backoff * 2, absl::Seconds(10));
        continue;
      }
      backoff = absl::Milliseconds(100);
      if (stopping) return;
    }
  }


  // ---- The trainer thread: trains the embedding model and the vector base
  // on a snapshot, calibrates Answer, saves the generation, and hands it to
  // the indexer.
  FastTextOptions TrainingOptions(size_t labels) const {
    FastTextOptions o = options.semantic.fasttext;
    if (static_cast<int>(labels) > options.semantic.softmax_max_labels) o.loss = FastTextLoss::kHierarchicalSoftmax;
    return o;
  }

  static bool HasOwnVectors(const Snapshot& snap) {
    for (const auto& [id, e] : snap.entries) {
      if (!e->entry.vectors.empty()) return true;
    }
    return false;
  }

  // Trains a model on `snap` and builds its vector leg; null if there is
  // nothing to embed.
  absl::StatusOr<std::shared_ptr<const VectorLeg>> BuildLeg(const Snapshot& snap,
                                                             const std::vector<PseudoLabel>& extra = {}) {
    if (HasOwnVectors(snap)) {
      int dim = 0;
      for (const auto& [id, e] : snap.entries) {
        if (!e->entry.vectors.empty()) {
          dim = static_cast<int>(e->entry.vectors[0].size());
          break;
        }
      }
      return VectorLeg::Build(VectorSource::kEntry, nullptr, dim, snap, options.semantic.index,
                              options.semantic.leg);
    }
    std::vector<std::pair<std::string, std::string>> texts;
    absl::flat_hash_map<std::string, std::string> label_of;
    for (const auto& [id, e] : snap.entries) {
      const std::string name = absl::StrCat("e", label_of.size());
      label_of.emplace(id, name);
      for (const std::string& p : e->normalized_phrasings) {
        std::string tokens = TokensForEmbedding(p);
        if (!tokens.empty()) texts.emplace_back(name, std::move(tokens));
      }
    }
    for (const PseudoLabel& l : extra) {
      auto it = label_of.find(l.entry_id);
      if (it == label_of.end()) continue;
      std::string tokens = TokensForEmbedding(l.normalized);
      if (!tokens.empty()) texts.emplace_back(it->second, std::move(tokens));
    }
    if (texts.empty()) return std::shared_ptr<const VectorLeg>();
    const std::string work = options.data_dir + "/index/tmp";
    std::error_code ec;
    std::filesystem::create_directories(work, ec);
    ZHIKU_ASSIGN_OR_RETURN(std::unique_ptr<FastTextEmbedder> model,
                           FastTextEmbedder::TrainSupervised(texts, TrainingOptions(snap.entries.size()), work,
                                                                         &cancel_training));
    std::shared_ptr<const Embedder> embedder(std::move(model));
    return VectorLeg::Build(VectorSource::kEmbedder, std::move(embedder), 0, snap, options.semantic.index,
                            options.semantic.leg);
  }

  absl::Status SaveGeneration(const Generation& gen) {
    const std::string dir = absl::StrCat(VectorDir(), "/gen-", gen.version);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir, ec);
    if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
    if (const auto* ft = dynamic_cast<const FastTextEmbedder*>(gen.leg->embedder())) {
      ZHIKU_RETURN_IF_ERROR(ft->Save(dir + "/model.bin"));
    }
    ZHIKU_RETURN_IF_ERROR(gen.leg->SaveBase(dir));
    nlohmann::json meta;
    meta["format"] = 1;
    meta["version"] = gen.version;
    meta["seq"] = gen.seq;
    meta["corpus_version"] = gen.corpus_version;
    meta["pseudo_labels"] = gen.pseudo_labels;
    meta["store_id"] = store->StoreId();
    meta["source"] = gen.leg->source() == VectorSource::kEntry ? "entry" : "embedder";
    {
      std::ofstream out(dir + "/meta.json", std::ios::trunc);
      out << meta.dump() << "\n";
      std::ofstream cal(dir + "/calibration.json", std::ios::trunc);
      if (gen.calibration != nullptr) cal << CalibrationToJson(*gen.calibration) << "\n";
      if (!out || !cal) return absl::FailedPreconditionError(absl::StrCat("cannot write ", dir));
    }
    // CURRENT names the generation to load; written last, atomically.
    {
      std::ofstream out(VectorDir() + "/CURRENT.tmp", std::ios::trunc);
      out << "gen-" << gen.version << "\n";
      if (!out) return absl::FailedPreconditionError(absl::StrCat("cannot write ", VectorDir(), "/CURRENT.tmp"));
    }
    std::filesystem::rename(VectorDir() + "/CURRENT.tmp", VectorDir() + "/CURRENT", ec);
    if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot update ", VectorDir(), "/CURRENT"));
    for (const auto& item : std::filesystem::directory_iterator(VectorDir(), ec)) {
      const std::string name = item.path().filename().string();
      if (name.rfind("gen-", 0) == 0 && name != absl::StrCat("gen-", gen.version)) {
        std::filesystem::remove_all(item.path(), ec);
      }
    }
    return absl::OkStatus();
  }

  // The saved generation, if it matches this store and is not ahead of it.
  absl::StatusOr<Generation> LoadGeneration(int64_t store_seq) {
    std::ifstream current(VectorDir() + "/CURRENT");
    std::string name;
    if (!current || !std::getline(current, name) || name.rfind("gen-", 0) != 0) {
      return absl::NotFoundError("no saved vector generation");
    }
    const std::string dir = VectorDir() + "/" + name;
    std::ifstream meta_in(dir + "/meta.json");
    std::string meta_text((std::istreambuf_iterator<char>(meta_in)), std::istreambuf_iterator<char>());
    nlohmann::json meta = nlohmann::json::parse(meta_text, nullptr, false);
    if (meta.is_discarded() || !meta.is_object() || meta.value("format", 0) != 1) {
      return absl::DataLossError(absl::StrCat(dir, "/meta.json is unreadable"));
    }
    Generation gen;
    gen.version = meta.value("version", int64_t{0});
    gen.seq = meta.value("seq", int64_t{-1});
    gen.corpus_version = meta.value("corpus_version", int64_t{0});
    gen.pseudo_labels = meta.value("pseudo_labels", 0);
    if (meta.value("store_id", std::string()) != store->StoreId()) {
      return absl::FailedPreconditionError("saved vector generation belongs to another store");
    }
    if (gen.seq < 0 || gen.seq > store_seq) {
      return absl::FailedPreconditionError("saved vector generation is ahead of the store");
    }
    std::shared_ptr<const Embedder> embedder;
    VectorSource source = VectorSource::kEntry;
    if (meta.value("source", std::string()) == "embedder") {
      source = VectorSource::kEmbedder;
      ZHIKU_ASSIGN_OR_RETURN(std::unique_ptr<FastTextEmbedder> model, FastTextEmbedder::Load(dir + "/model.bin"));
      embedder = std::move(model);
    }
    ZHIKU_ASSIGN_OR_RETURN(gen.leg, VectorLeg::LoadBase(dir, source, std::move(embedder), options.semantic.leg));
    std::ifstream cal_in(dir + "/calibration.json");
    std::string cal_text((std::istreambuf_iterator<char>(cal_in)), std::istreambuf_iterator<char>());
    if (!cal_text.empty() && cal_text != "\n") {
      ZHIKU_ASSIGN_OR_RETURN(gen.calibration, CalibrationFromJson(cal_text));
    }
    return gen;
  }

  // The corpus texts self-training may use (at most max_texts of them).
  absl::StatusOr<std::vector<std::string>> LoadCorpus() {
    std::vector<std::string> corpus;
    if (!options.semantic.use_corpus) return corpus;
    const size_t limit = static_cast<size_t>(std::max(0, options.semantic.self_training.max_texts));
    absl::Status status = store->ForEachCorpusText([&](absl::string_view text) {
      if (corpus.size() >= limit) return absl::CancelledError("enough");
      corpus.emplace_back(text);
      return absl::OkStatus();
    });
    if (!status.ok() && !absl::IsCancelled(status)) return status;
    return corpus;
  }

  // Labels the corpus against `snap` by label spreading (self_training.h) on a
  // scratch keyword index of its entries.
  absl::StatusOr<std::vector<PseudoLabel>> LabelCorpus(const Snapshot& snap, const std::vector<std::string>& corpus) {
    const std::string scratch = options.data_dir + "/index/tmp/self-training";
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
    std::filesystem::create_directories(scratch, ec);
    std::vector<PseudoLabel> labels;
    {
      ZHIKU_ASSIGN_OR_RETURN(std::unique_ptr<KeywordIndex> keyword,
                             KeywordIndex::Open(scratch + "/keyword", options.keyword));
      for (const auto& [id, e] : snap.entries) ZHIKU_RETURN_IF_ERROR(keyword->Put(*e));
      ZHIKU_RETURN_IF_ERROR(keyword->Commit(1, "self-training"));
      SelfTrainingReport report;
      const absl::Time start = absl::Now();
      SelfTrainingOptions st = options.semantic.self_training;
      st.cancel = &cancel_training;
      ZHIKU_ASSIGN_OR_RETURN(labels, PseudoLabelCorpus(snap, *keyword, *normalizer, corpus, options.keyword,
                                                       scratch + "/graph", st, &report));
      Log(LogLevel::kInfo, kLog,
          absl::StrCat("self-training labelled ", report.labelled, " of ", report.corpus_texts, " corpus texts (",
                       report.exact_matches, " equal to a phrasing; ", report.graph_edges, " graph edges) in ",
                       absl::FormatDuration(absl::Now() - start)));
    }
    std::filesystem::remove_all(scratch, ec);
    return labels;
  }

  absl::StatusOr<Generation> Train(const Snapshot& snap, int64_t version, int64_t corpus_version) {
    Generation gen;
    gen.seq = snap.seq;
    gen.version = version;
    std::vector<PseudoLabel> labels;
    if (!HasOwnVectors(snap)) {
      ZHIKU_ASSIGN_OR_RETURN(std::vector<std::string> corpus, LoadCorpus());
      if (!corpus.empty()) {
        gen.corpus_version = corpus_version;
        ZHIKU_ASSIGN_OR_RETURN(labels, LabelCorpus(snap, corpus));
        gen.pseudo_labels = static_cast<int>(labels.size());
      }
    }
    ZHIKU_ASSIGN_OR_RETURN(gen.leg, BuildLeg(snap, labels));
    if (gen.leg == nullptr) return absl::FailedPreconditionError("no entry has text the embedder can learn from");
    if (gen.leg->source() == VectorSource::kEmbedder) {
      // Calibration trains without the held-out phrasings: corpus texts equal
      // to one must not teach it the answer either.
      auto make_leg = [this, &snap, &labels](const Snapshot& reduced) {
        absl::flat_hash_set<std::string> kept;
        for (const auto& [id, e] : reduced.entries) kept.insert(e->normalized_phrasings.begin(), e->normalized_phrasings.end());
        absl::flat_hash_set<std::string> held_out;
        for (const auto& [id, e] : snap.entries) {
          for (const std::string& p : e->normalized_phrasings) {
            if (!kept.contains(p)) held_out.insert(p);
          }
        }
        std::vector<PseudoLabel> usable;
        for (const PseudoLabel& l : labels) {
          if (reduced.entries.contains(l.entry_id) && !held_out.contains(l.normalized)) usable.push_back(l);
        }
        return BuildLeg(reduced, usable);
      };
      absl::StatusOr<std::shared_ptr<const AnswerCalibration>> calibration =
          CalibrateOnHeldOut(snap, *normalizer, options.keyword, options.semantic.fusion, make_leg,
                             options.data_dir + "/index/tmp/calibration");
      if (calibration.ok()) {
        gen.calibration = *std::move(calibration);
      } else {
        Log(LogLevel::kWarning, kLog, absl::StrCat("calibration failed: ", calibration.status().ToString()));
      }
    }
    return gen;
  }

  void TrainerLoop() {
    while (true) {
      bool requested;
      int64_t trained_corpus;
      absl::Time last_write_seen, last_train_seen;
      int64_t failed;
      {
        absl::MutexLock lock(&trainer_mu);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(trainer_mu) { return trainer_wake || trainer_stop; };
        trainer_mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(1));
        if (trainer_stop) return;
        trainer_wake = false;
        requested = retrain_requested;
        trained_corpus = trained_corpus_version;
        last_write_seen = last_write;
        last_train_seen = last_train;
        failed = failed_seq;
      }
      std::shared_ptr<const Snapshot> snap = Current();
      if (snap->entries.empty()) continue;
      int64_t corpus_version = 0;
      if (options.semantic.use_corpus) {
        absl::StatusOr<int64_t> v = store->CorpusVersion();
        if (v.ok()) corpus_version = *v;
      }
      const absl::Time now = absl::Now();
      const bool quiet = now - last_write_seen >= options.semantic.retrain_quiet;
      bool need = false;
      if (snap->vectors == nullptr && snap->model_version == 0) {
        need = failed != snap->seq && quiet;
      } else if (snap->vectors_seq < snap->seq || requested || snap->vectors == nullptr ||
                 corpus_version != trained_corpus) {
        need = quiet && (requested || now - last_train_seen >= options.semantic.min_retrain_interval) &&
               (failed != snap->seq || corpus_version != trained_corpus);
      }
      if (!need) continue;
      // Train on what the store holds now: a snapshot behind the store (the
      // indexer has not applied the last writes yet) would make a model that
      // is stale the moment it is installed.
      if (absl::StatusOr<int64_t> store_seq = store->LastSeq(); store_seq.ok() && *store_seq > snap->seq) {
        {
          absl::MutexLock lock(&indexer_mu);
          wake = true;
        }
        absl::SleepFor(absl::Milliseconds(20));
        absl::MutexLock lock(&trainer_mu);
        trainer_wake = true;
        continue;
      }
      int64_t version;
      {
        absl::MutexLock lock(&trainer_mu);
        training = true;
        retrain_requested = false;
        version = ++last_version;
      }
      const absl::Time start = absl::Now();
      absl::StatusOr<Generation> gen = Train(*snap, version, corpus_version);
      absl::Status saved = gen.ok() ? SaveGeneration(*gen) : absl::OkStatus();
      const int pseudo_labels = gen.ok() ? gen->pseudo_labels : 0;
      if (!saved.ok()) Log(LogLevel::kWarning, kLog, absl::StrCat("vector generation not saved: ", saved.ToString()));
      {
        absl::MutexLock lock(&trainer_mu);
        training = false;
        last_train = absl::Now();
        trained_corpus_version = corpus_version;  // a failed corpus is not retried until it changes
        if (gen.ok()) {
          pending = *std::move(gen);
          trainer_note.clear();
        } else {
          failed_seq = snap->seq;
          trainer_note = absl::StrCat("embedding model training failed (", gen.status().message(), "); keyword only");
        }
      }
      {
        absl::MutexLock lock(&indexer_mu);
        wake = true;
      }
      if (absl::IsCancelled(gen.status()) && cancel_training) {
        Log(LogLevel::kInfo, kLog, "embedding model training cancelled: the knowledge base is closing");
        return;
      }
      Log(gen.ok() ? LogLevel::kInfo : LogLevel::kError, kLog,
          gen.ok() ? absl::StrCat("embedding model ", version, " trained on ", snap->entries.size(),
                                  " entries (seq ", snap->seq, ") and ", pseudo_labels, " labelled corpus texts in ",
                                  absl::FormatDuration(absl::Now() - start))
                   : absl::StrCat("embedding model training failed: ", gen.status().ToString()));
    }
  }

  absl::Status OpenKeywordIndex() {
    const std::string dir = options.data_dir + "/index/keyword";
    absl::StatusOr<std::unique_ptr<KeywordIndex>> opened = KeywordIndex::Open(dir, options.keyword);
    if (absl::IsDataLoss(opened.status())) {
      Log(LogLevel::kWarning, kLog,
          absl::StrCat("keyword index unreadable (", opened.status().ToString(),
                       "); deleting it and rebuilding from the store"));
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
      opened = KeywordIndex::Open(dir, options.keyword);
    }
    ZHIKU_RETURN_IF_ERROR(opened.status());
    keyword = *std::move(opened);
    return absl::OkStatus();
  }
};

KnowledgeBase::KnowledgeBase(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KnowledgeBase::~KnowledgeBase() {
  if (impl_->trainer.joinable()) {
    impl_->cancel_training = true;
    {
      absl::MutexLock lock(&impl_->trainer_mu);
      impl_->trainer_stop = true;
    }
    impl_->trainer.join();
  }
  if (impl_->indexer.joinable()) {
    {
      absl::MutexLock lock(&impl_->indexer_mu);
      impl_->stop = true;
    }
    impl_->indexer.join();
  }
}

absl::StatusOr<std::unique_ptr<KnowledgeBase>> KnowledgeBase::Open(const KnowledgeBaseOptions& options) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("data_dir is empty; pass the directory that holds (or will hold) the knowledge base");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir + "/index", ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create ", options.data_dir, "/index: ", ec.message()));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  ZHIKU_ASSIGN_OR_RETURN(impl->normalizer, TextNormalizer::Create(options.opencc_dir));
  ZHIKU_ASSIGN_OR_RETURN(impl->store, OpenSqliteEntryStore(options.data_dir + "/zhiku.db"));
  ZHIKU_ASSIGN_OR_RETURN(impl->drafts, OpenSqliteDraftStore(options.data_dir + "/zhiku.db", impl->normalizer.get()));
  ZHIKU_ASSIGN_OR_RETURN(const int64_t store_seq, impl->store->LastSeq());

  // The in-memory snapshot is always loaded from the store.
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->seq = store_seq;
  ZHIKU_RETURN_IF_ERROR(impl->store->ForEach([&](const Entry& entry) {
    snapshot->entries[entry.id] = MakeIndexedEntry(entry, *impl->normalizer);
    snapshot->CountOwnVectors(entry, false);
    return absl::OkStatus();
  }));

  ZHIKU_RETURN_IF_ERROR(impl->OpenKeywordIndex());
  KeywordIndex& keyword = *impl->keyword;
  const std::string store_id = impl->store->StoreId();
  const int64_t index_seq = keyword.committed_seq();
  std::string reason;
  if (keyword.store_id() != store_id) {
    reason = keyword.store_id().empty() ? "new index" : "index belongs to another store";
  } else if (index_seq > store_seq) {
    reason = absl::StrCat("index is ahead of the store (", index_seq, " > ", store_seq, ")");
  }
  if (!reason.empty()) {
    const absl::Time start = absl::Now();
    ZHIKU_RETURN_IF_ERROR(keyword.Clear());
    for (const auto& [id, indexed] : snapshot->entries) ZHIKU_RETURN_IF_ERROR(keyword.Put(*indexed));
    ZHIKU_RETURN_IF_ERROR(keyword.Commit(store_seq, store_id));
    impl->rebuilt_on_open = !snapshot->entries.empty();
    Log(LogLevel::kInfo, kLog,
        absl::StrCat("keyword index built (", reason, "): ", snapshot->entries.size(), " entries in ",
                     absl::FormatDuration(absl::Now() - start)));
  } else if (index_seq < store_seq) {
    // Catch up: replay the changes the index has not seen.
    int64_t seq = index_seq;
    int64_t applied = 0;
    while (true) {
      ZHIKU_ASSIGN_OR_RETURN(std::vector<Change> changes, impl->store->ChangesSince(seq, kChangeBatch));
      if (changes.empty()) break;
      for (const Change& change : changes) {
        if (const IndexedEntry* indexed = snapshot->Find(change.entry_id)) {
          ZHIKU_RETURN_IF_ERROR(keyword.Put(*indexed));
        } else {
          ZHIKU_RETURN_IF_ERROR(keyword.Remove(change.entry_id));
        }
        ++applied;
      }
      seq = changes.back().seq;
    }
    ZHIKU_RETURN_IF_ERROR(keyword.Commit(store_seq, store_id));
    Log(LogLevel::kInfo, kLog,
        absl::StrCat("keyword index caught up from seq ", index_seq, " to ", store_seq, " (", applied,
                     " changes)"));
  }
  if (options.semantic.enabled) {
    absl::StatusOr<Impl::Generation> gen = impl->LoadGeneration(store_seq);
    if (gen.ok()) {
      absl::MutexLock lock(&impl->trainer_mu);
      impl->last_version = gen->version;
      impl->trained_corpus_version = gen->corpus_version;
      impl->pending = *std::move(gen);
    } else if (!absl::IsNotFound(gen.status())) {
      Log(LogLevel::kWarning, kLog, absl::StrCat("saved vector generation not used (", gen.status().ToString(),
                                                 "); retraining"));
    }
    snapshot->vector_note = "embedding model not trained yet; keyword only";
  } else {
    snapshot->vector_note = "semantic search is disabled on this server; keyword only";
  }
  impl->Publish(std::move(snapshot));
  Impl* raw = impl.get();
  // Installs a loaded generation (brought up to date) before the first search.
  ZHIKU_RETURN_IF_ERROR(raw->InstallPending(raw->Current()).status());
  impl->indexer = std::thread([raw] { raw->IndexerLoop(); });
  if (options.semantic.enabled) impl->trainer = std::thread([raw] { raw->TrainerLoop(); });
  Log(LogLevel::kInfo, kLog, absl::StrCat("opened ", options.data_dir, ": ", raw->Current()->entries.size(),
                                          " entries, seq ", store_seq));
  return std::unique_ptr<KnowledgeBase>(new KnowledgeBase(std::move(impl)));
}

absl::StatusOr<Entry> KnowledgeBase::CreateEntry(Entry entry, const WriteInfo& info) {
  absl::StatusOr<Entry> created = impl_->store->Create(std::move(entry), info);
  if (created.ok()) impl_->NotifyWrite();
  return created;
}

absl::StatusOr<Entry> KnowledgeBase::UpdateEntry(Entry entry, int64_t expected_version, const WriteInfo& info) {
  absl::StatusOr<Entry> updated = impl_->store->Update(std::move(entry), expected_version, info);
  if (updated.ok()) impl_->NotifyWrite();
  return updated;
}

absl::Status KnowledgeBase::DeleteEntry(absl::string_view id, int64_t expected_version, const WriteInfo& info) {
  absl::Status status = impl_->store->Delete(id, expected_version, info);
  if (status.ok()) impl_->NotifyWrite();
  return status;
}

absl::StatusOr<std::vector<UpsertOutcome>> KnowledgeBase::UpsertEntries(std::vector<Entry> entries,
                                                                         const WriteInfo& info) {
  absl::StatusOr<std::vector<UpsertOutcome>> outcomes = impl_->store->UpsertBatch(std::move(entries), info);
  if (outcomes.ok()) impl_->NotifyWrite();
  return outcomes;
}

absl::StatusOr<Entry> KnowledgeBase::RollbackEntry(absl::string_view id, int64_t version, int64_t expected_version,
                                                   const WriteInfo& info) {
  absl::StatusOr<Entry> restored = impl_->store->Rollback(id, version, expected_version, info);
  if (restored.ok()) impl_->NotifyWrite();
  return restored;
}

absl::StatusOr<std::vector<EntryVersion>> KnowledgeBase::ListEntryVersions(absl::string_view id,
                                                                           int64_t before_version, int limit) {
  return impl_->store->ListVersions(id, before_version, limit);
}

absl::StatusOr<EntryVersion> KnowledgeBase::GetEntryVersion(absl::string_view id, int64_t version) {
  return impl_->store->GetVersion(id, version);
}

absl::StatusOr<Entry> KnowledgeBase::GetEntry(absl::string_view id) { return impl_->store->Get(id); }

absl::StatusOr<ListEntriesResult> KnowledgeBase::ListEntries(const ListEntriesRequest& request) {
  return impl_->store->List(request);
}

absl::Status KnowledgeBase::ForEachEntry(const std::function<absl::Status(const Entry&)>& fn) {
  return impl_->store->ForEach(fn);
}

namespace {

// A hit for entry `indexed`, its phrasing `phrasing` (kAnswerPhrasing for the
// answer) shown and highlighted in the query's script.
SearchHit MakeHit(std::shared_ptr<const IndexedEntry> entry, int phrasing, double score,
                  const TextNormalizer& normalizer, bool traditional, const HighlightTerms& terms,
                  const SearchRequest& request) {
  SearchHit hit;
  hit.entry = std::move(entry);
  hit.score = score;
  const IndexedEntry& indexed = *hit.entry;
  if (phrasing != kAnswerPhrasing && (phrasing < 0 || phrasing >= static_cast<int>(indexed.phrasing_count()))) {
    phrasing = 0;
  }
  if (phrasing == kAnswerPhrasing) {
    hit.matched_field = MatchedField::kAnswer;
    phrasing = 0;
  } else if (phrasing > 0) {
    hit.matched_field = MatchedField::kVariant;
    hit.variant_index = phrasing - 1;
  }
  auto in_query_script = [&](const std::string& text) { return traditional ? normalizer.ToTraditional(text) : text; };
  HighlightOptions snippet_options = request.highlight;
  snippet_options.max_chars = request.answer_snippet_chars;
  hit.matched_text = indexed.phrasing(phrasing);
  hit.highlighted_text = Highlight(normalizer, in_query_script(hit.matched_text), terms, request.highlight);
  hit.answer_snippet = Highlight(normalizer, in_query_script(indexed.entry.answer), terms, snippet_options);
  return hit;
}

int DisplayPhrasing(const FusedCandidate& c) {
  if (c.keyword_rank > 0) return c.keyword_phrasing;
  return c.vector_phrasing >= 0 ? c.vector_phrasing : 0;
}

}  // namespace

FusionOptions KnowledgeBase::ResolveFusion(const RetrievalSettings& settings, const Snapshot& snapshot) const {
  FusionOptions fusion = impl_->options.semantic.fusion;
  if (impl_->options.semantic.auto_semantic_ratio && snapshot.calibration != nullptr &&
      snapshot.calibration->semantic_ratio >= 0) {
    fusion.semantic_ratio = snapshot.calibration->semantic_ratio;
  }
  if (settings.semantic_ratio) fusion.semantic_ratio = *settings.semantic_ratio;
  if (settings.fusion) fusion.method = *settings.fusion;
  return fusion;
}

absl::StatusOr<SearchResult> KnowledgeBase::Search(const SearchRequest& request) const {
  const TextNormalizer& normalizer = *impl_->normalizer;
  SearchResult result;
  result.traditional_query = normalizer.IsTraditional(request.query);
  const std::string normalized = normalizer.Normalize(request.query);
  std::vector<Token> tokens = Tokenize(normalized);
  std::shared_ptr<const Snapshot> snapshot = impl_->Current();
  const FusionOptions fusion = ResolveFusion(request.retrieval, *snapshot);
  ZHIKU_RETURN_IF_ERROR(CheckQueryVector(*snapshot, request.retrieval.query_vector));
  result.retrieval.semantic_ratio = fusion.semantic_ratio;
  result.retrieval.fusion = fusion.method;
  if ((tokens.empty() && request.retrieval.query_vector.empty()) || request.limit <= 0) return result;
  const HighlightTerms terms = HighlightTerms::FromQueryTokens(tokens);

  if (fusion.semantic_ratio <= 0) {
    KeywordQuery query;
    query.tokens = std::move(tokens);
    query.filters = request.filters;
    query.offset = request.offset;
    query.limit = request.limit + 1;  // one more tells whether another page exists
    ZHIKU_ASSIGN_OR_RETURN(KeywordResult found, impl_->keyword->Search(query));
    result.has_more = static_cast<int>(found.hits.size()) > request.limit;
    if (result.has_more) found.hits.resize(request.limit);
    // Xapian estimates documents, not collapsed entries: keep the estimate
    // within what is known for certain.
    const int64_t seen = request.offset + static_cast<int64_t>(found.hits.size());
    result.total_estimate = result.has_more
                                ? std::clamp<int64_t>(found.total_estimate, seen + 1,
                                                      std::max<int64_t>(seen + 1, snapshot->entries.size()))
                                : seen;
    for (size_t i = 0; i < found.hits.size(); ++i) {
      const KeywordHit& found_hit = found.hits[i];
      auto it = snapshot->entries.find(found_hit.entry_id);
      // The index can be one commit ahead of the snapshot we hold; an entry it
      // knows and we do not is skipped rather than shown half-known.
      if (it == snapshot->entries.end()) continue;
      SearchHit hit = MakeHit(it->second, found_hit.phrasing, found_hit.score, normalizer, result.traditional_query,
                              terms, request);
      hit.legs.entry_id = found_hit.entry_id;
      hit.legs.keyword_rank = request.offset + static_cast<int>(i) + 1;
      hit.legs.keyword_score = found_hit.score;
      hit.legs.keyword_phrasing = found_hit.phrasing;
      hit.legs.fused = found_hit.score;
      result.hits.push_back(std::move(hit));
    }
    result.retrieval.semantic_ratio = 0;
    result.retrieval.model_version = snapshot->model_version;
    return result;
  }

  RetrievalRequest retrieval;
  retrieval.tokens = std::move(tokens);
  retrieval.normalized = normalized;
  retrieval.query_vector = request.retrieval.query_vector;
  retrieval.filters = request.filters;
  retrieval.depth = request.offset + request.limit + 1;
  retrieval.fusion = fusion;
  ZHIKU_ASSIGN_OR_RETURN(RetrievalOutcome outcome, Retrieve(*impl_->keyword, *snapshot, retrieval));
  result.retrieval.vector_used = outcome.vector_used;
  result.retrieval.model_version = outcome.vector_used ? snapshot->model_version : 0;
  result.retrieval.note = outcome.note;
  const size_t end = static_cast<size_t>(request.offset + request.limit);
  result.has_more = outcome.candidates.size() > end;
  for (size_t i = request.offset; i < outcome.candidates.size() && i < end; ++i) {
    const FusedCandidate& c = outcome.candidates[i];
    auto it = snapshot->entries.find(c.entry_id);
    if (it == snapshot->entries.end()) continue;
    SearchHit hit =
        MakeHit(it->second, DisplayPhrasing(c), c.fused, normalizer, result.traditional_query, terms, request);
    hit.legs = c;
    result.hits.push_back(std::move(hit));
  }
  const int64_t seen = request.offset + static_cast<int64_t>(result.hits.size());
  result.total_estimate = result.has_more ? std::max<int64_t>(seen + 1, outcome.keyword_total_estimate) : seen;
  return result;
}

absl::StatusOr<KnowledgeBase::Embeddings> KnowledgeBase::Embed(const std::vector<std::string>& texts) const {
  std::shared_ptr<const Snapshot> snapshot = impl_->Current();
  const VectorLeg* leg = snapshot->vectors.get();
  if (leg == nullptr || leg->embedder() == nullptr) {
    std::string why;
    if (leg != nullptr) {
      why = "this knowledge base searches its entries' own vectors and has no embedding model";
    } else {
      why = snapshot->vector_note.empty() ? "this knowledge base has no embedding model" : snapshot->vector_note;
    }
    return absl::FailedPreconditionError(
        absl::StrCat("no embedding model to embed with (", why,
                     "); wait for training with `zhikuctl status --wait_model 60s`"));
  }
  Embeddings out;
  out.dim = leg->embedder()->dim();
  out.model_version = snapshot->model_version;
  out.vectors.reserve(texts.size());
  for (const std::string& text : texts) {
    ZHIKU_ASSIGN_OR_RETURN(std::vector<float> v, leg->EmbedQuery(impl_->normalizer->Normalize(text)));
    out.vectors.push_back(std::move(v));
  }
  return out;
}

absl::StatusOr<AnswerResult> KnowledgeBase::Answer(const AnswerRequest& request) const {
  const TextNormalizer& normalizer = *impl_->normalizer;
  AnswerResult result;
  result.traditional_query = normalizer.IsTraditional(request.query);
  const std::string normalized = normalizer.Normalize(request.query);
  std::shared_ptr<const Snapshot> snapshot = impl_->Current();
  ZHIKU_RETURN_IF_ERROR(CheckQueryVector(*snapshot, request.retrieval.query_vector));
  const FusionOptions fusion = ResolveFusion(request.retrieval, *snapshot);
  result.retrieval.semantic_ratio = fusion.semantic_ratio;
  result.retrieval.fusion = fusion.method;
  const AnswerCalibration* calibration = snapshot->calibration.get();
  result.thresholds = ResolveThresholds(calibration, request.thresholds, impl_->options.answer);
  RetrievalRequest retrieval;
  retrieval.tokens = Tokenize(normalized);
  retrieval.normalized = normalized;
  retrieval.query_vector = request.retrieval.query_vector;
  retrieval.filters = request.filters;
  retrieval.depth = 10;
  retrieval.fusion = fusion;
  if (retrieval.tokens.empty() && retrieval.query_vector.empty()) {
    result.handoff_reason = HandoffReason::kEmptyQuery;
    return result;
  }
  if (ClassifyChitchat(normalized) != ChitchatKind::kNone) {
    result.handoff_reason = HandoffReason::kChitchat;
    return result;
  }
  std::vector<std::string> in_locales;
  ZHIKU_ASSIGN_OR_RETURN(RetrievalOutcome outcome,
                         RetrieveInMessageLanguage(*impl_->keyword, *snapshot, retrieval, request.query, normalizer,
                                                   snapshot->locales, &in_locales));
  if (!in_locales.empty()) {
    const std::string why =
        absl::StrCat("answered among the entries in ", absl::StrJoin(in_locales, ", "), " (the message's language)");
    outcome.note = outcome.note.empty() ? why : absl::StrCat(outcome.note, "; ", why);
  }
  result.retrieval.vector_used = outcome.vector_used;
  result.retrieval.model_version = outcome.vector_used ? snapshot->model_version : 0;
  result.retrieval.note = outcome.note;
  if (!calibration || !calibration->model) {
    const std::string why = calibration == nullptr ? "not calibrated yet" : calibration->note;
    result.retrieval.note = result.retrieval.note.empty() ? absl::StrCat("confidence: ", why)
                                                          : absl::StrCat(result.retrieval.note, "; confidence: ", why);
  }
  std::erase_if(outcome.candidates, [&](const FusedCandidate& c) { return snapshot->Find(c.entry_id) == nullptr; });
  if (outcome.candidates.empty()) {
    result.handoff_reason = HandoffReason::kNoMatch;
    return result;
  }
  auto in_query_script = [&](const std::string& text) {
    return result.traditional_query ? normalizer.ToTraditional(text) : text;
  };
  const size_t n = std::min<size_t>(3, outcome.candidates.size());
  // A message that is, after normalisation, a phrasing an editor wrote for
  // exactly one of the candidates is that entry: the held-out calibration
  // never sees such messages (they are not held out), so the model would
  // extrapolate; the editor's word is taken instead.
  int exact_owner = -1;
  for (size_t i = 0; i < outcome.candidates.size(); ++i) {
    const auto& phrasings = snapshot->entries.at(outcome.candidates[i].entry_id)->normalized_phrasings;
    if (std::find(phrasings.begin(), phrasings.end(), normalized) == phrasings.end()) continue;
    exact_owner = exact_owner == -1 ? static_cast<int>(i) : -2;  // -2: several entries have it
  }
  if (exact_owner > 0) {
    std::rotate(outcome.candidates.begin(), outcome.candidates.begin() + exact_owner,
                outcome.candidates.begin() + exact_owner + 1);
    exact_owner = 0;
  }
  std::vector<AnswerCandidateResult> candidates;
  for (size_t i = 0; i < n; ++i) {
    AnswerCandidateResult c;
    c.entry = snapshot->entries.at(outcome.candidates[i].entry_id);
    c.confidence = Confidence(calibration, ConfidenceFeatures(outcome, i, retrieval, *snapshot));
    if (static_cast<int>(i) == exact_owner) c.confidence = std::max(c.confidence, kExactPhrasingConfidence);
    c.question = in_query_script(c.entry->entry.question);
    candidates.push_back(std::move(c));
  }
  result.top = candidates[0];
  result.confidence = candidates[0].confidence;
  result.answer = in_query_script(candidates[0].entry->entry.answer);
  // An exact phrasing is answered even when the calibration set never
  // reached the target precision (threshold 1), unless the request set its
  // own confidence threshold.
  const bool exact = exact_owner == 0 && !request.thresholds.answer_confidence;
  if (result.confidence >= result.thresholds.answer_confidence || exact) {
    result.decision = AnswerDecision::kAnswer;
  } else if (result.confidence >= result.thresholds.suggest_confidence && candidates.size() >= 2) {
    result.decision = AnswerDecision::kSuggest;
    result.alternatives = candidates;
  } else {
    result.decision = AnswerDecision::kHandoff;
    result.handoff_reason = HandoffReason::kLowConfidence;
  }
  if (request.retrieval.explain) {
    SearchRequest display;
    const HighlightTerms terms = HighlightTerms::FromQueryTokens(retrieval.tokens);
    for (const FusedCandidate& c : outcome.candidates) {
      SearchHit hit = MakeHit(snapshot->entries.at(c.entry_id), DisplayPhrasing(c), c.fused, normalizer,
                              result.traditional_query, terms, display);
      hit.legs = c;
      result.hits.push_back(std::move(hit));
    }
  }
  return result;
}

std::shared_ptr<const AnswerCalibration> KnowledgeBase::Calibration() const { return impl_->Current()->calibration; }

absl::Status KnowledgeBase::WaitUntilModelCurrent(absl::Duration timeout) {
  if (!impl_->options.semantic.enabled) return absl::OkStatus();
  ZHIKU_ASSIGN_OR_RETURN(const int64_t target, impl_->store->LastSeq());
  int64_t corpus_target = 0;
  if (impl_->options.semantic.use_corpus) {
    ZHIKU_ASSIGN_OR_RETURN(corpus_target, impl_->store->CorpusVersion());
  }
  const absl::Time deadline = absl::Now() + timeout;
  impl_->WakeTrainer(false);
  while (true) {
    std::shared_ptr<const Snapshot> snapshot = impl_->Current();
    bool corpus_done;
    {
      // A generation that used the corpus, or a training run that saw it and
      // found nothing to learn (entries with their own vectors).
      absl::MutexLock lock(&impl_->trainer_mu);
      corpus_done = snapshot->vectors_corpus_version >= corpus_target ||
                    (impl_->trained_corpus_version >= corpus_target && !impl_->training && !impl_->pending);
    }
    if (snapshot->seq >= target &&
        (snapshot->entries.empty() ||
         (snapshot->vectors != nullptr && snapshot->vectors_seq >= target && corpus_done))) {
      return absl::OkStatus();
    }
    {
      absl::MutexLock lock(&impl_->trainer_mu);
      if (impl_->failed_seq >= target && !impl_->training) {
        return absl::FailedPreconditionError(impl_->trainer_note);
      }
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("the embedding model did not catch up with change ", target,
                                                      " within ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

void KnowledgeBase::RequestRetrain() { impl_->WakeTrainer(true); }

std::vector<Suggestion> KnowledgeBase::Suggest(const SuggestQuery& query) const {
  std::shared_ptr<const Snapshot> snapshot = impl_->Current();
  return zhiku::Suggest(*snapshot, *impl_->normalizer, query);
}

absl::Status KnowledgeBase::WaitUntilSearchable(absl::Duration timeout) {
  ZHIKU_ASSIGN_OR_RETURN(const int64_t target, impl_->store->LastSeq());
  impl_->NotifyWrite();
  absl::MutexLock lock(&impl_->snapshot_mu);
  auto caught_up = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl_->snapshot_mu) {
    return impl_->snapshot->seq >= target;
  };
  if (!impl_->snapshot_mu.AwaitWithTimeout(absl::Condition(&caught_up), timeout)) {
    return absl::DeadlineExceededError(absl::StrCat("index did not reach change ", target, " within ",
                                                    absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

KnowledgeBaseStats KnowledgeBase::Stats() const {
  KnowledgeBaseStats stats;
  std::shared_ptr<const Snapshot> snapshot = impl_->Current();
  stats.entries = static_cast<int64_t>(snapshot->entries.size());
  stats.searchable_seq = snapshot->seq;
  stats.store_seq = impl_->store->LastSeq().value_or(-1);
  stats.rebuilt_on_open = impl_->rebuilt_on_open;
  stats.model_version = snapshot->model_version;
  stats.model_seq = snapshot->vectors_seq;
  stats.model_corpus_texts = snapshot->vectors_pseudo_labels;
  stats.default_semantic_ratio = ResolveFusion({}, *snapshot).semantic_ratio;
  stats.semantic_ratio_calibrated = impl_->options.semantic.auto_semantic_ratio && snapshot->calibration != nullptr &&
                                    snapshot->calibration->semantic_ratio >= 0;
  stats.vector_note = snapshot->vector_note;
  if (snapshot->vectors != nullptr) {
    stats.vector_base_size = static_cast<int64_t>(snapshot->vectors->base_size());
    stats.vector_delta_size = static_cast<int64_t>(snapshot->vectors->delta_size());
  }
  if (const AnswerCalibration* c = snapshot->calibration.get()) {
    stats.calibrated = c->model.has_value();
    stats.calibration_ece = c->ece;
    stats.calibration_positives = c->positives;
    stats.calibration_negatives = c->negatives;
    stats.calibration_top1 = c->top1_held_out;
    stats.calibration_note = c->note;
  }
  stats.answer_confidence = ResolveThresholds(snapshot->calibration.get(), {}, impl_->options.answer).answer_confidence;
  if (const AnswerCalibration* c = snapshot->calibration.get(); c != nullptr && !c->confidences.empty()) {
    int answered = 0, right = 0;
    for (size_t i = 0; i < c->confidences.size(); ++i) {
      if (c->confidences[i] < stats.answer_confidence) continue;
      ++answered;
      right += c->correct[i] ? 1 : 0;
    }
    stats.calibration_precision = answered > 0 ? static_cast<double>(right) / answered : 0;
    stats.calibration_answer_rate = static_cast<double>(answered) / c->confidences.size();
  }
  absl::MutexLock lock(&impl_->trainer_mu);
  stats.training = impl_->training;
  if (!impl_->trainer_note.empty()) stats.vector_note = impl_->trainer_note;
  return stats;
}

const TextNormalizer& KnowledgeBase::normalizer() const { return *impl_->normalizer; }

DraftStore& KnowledgeBase::drafts() { return *impl_->drafts; }

// ---- Corpus: thin forwards to the store.

absl::StatusOr<CorpusAddOutcome> KnowledgeBase::AddCorpus(std::vector<std::string> masked_texts,
                                                          absl::string_view source) {
  absl::StatusOr<CorpusAddOutcome> outcome = impl_->store->AddCorpusTexts(masked_texts, source);
  if (outcome.ok()) {
    // Corpus imports arrive in batches: retrain once they pause, as for entries.
    absl::MutexLock lock(&impl_->trainer_mu);
    impl_->last_write = absl::Now();
  }
  return outcome;
}

absl::Status KnowledgeBase::ForEachCorpusText(const std::function<absl::Status(absl::string_view)>& fn) {
  return impl_->store->ForEachCorpusText(fn);
}

absl::StatusOr<int64_t> KnowledgeBase::CorpusSize() { return impl_->store->CorpusSize(); }

absl::StatusOr<int64_t> KnowledgeBase::CorpusVersion() { return impl_->store->CorpusVersion(); }

}  // namespace zhiku
