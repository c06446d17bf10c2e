#include "index/knowledge_base.h"

#include <algorithm>
#include <filesystem>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "index/logging.h"
#include "index/status_macros.h"
#include "index/tokenizer.h"

namespace zhiku {
namespace {

constexpr int kChangeBatch = 1000;
constexpr absl::string_view kLog = "knowledge_base";

}  // namespace

struct KnowledgeBase::Impl {
  // Constant after Open.
  KnowledgeBaseOptions options;
  std::unique_ptr<TextNormalizer> normalizer;
  std::unique_ptr<EntryStore> store;
  std::unique_ptr<KeywordIndex> keyword;  // writer side used by the indexer thread only
  bool rebuilt_on_open = false;

  mutable absl::Mutex snapshot_mu;
  std::shared_ptr<const Snapshot> snapshot ABSL_GUARDED_BY(snapshot_mu);

  absl::Mutex indexer_mu;
  bool wake ABSL_GUARDED_BY(indexer_mu) = false;
  bool stop ABSL_GUARDED_BY(indexer_mu) = false;
  std::thread indexer;

  std::shared_ptr<const Snapshot> Current() const {
    absl::MutexLock lock(&snapshot_mu);
    return snapshot;
  }

  // Completes `next` (its phrasing table for suggestions) and makes it the
  // snapshot readers get.
  void Publish(std::shared_ptr<Snapshot> next) {
    next->phrasings = BuildPhrasingTable(next->entries);
    absl::MutexLock lock(&snapshot_mu);
    snapshot = std::move(next);
  }

  void NotifyWrite() {
    absl::MutexLock lock(&indexer_mu);
    wake = true;
  }

  // Applies every store change after the current snapshot's seq to the
  // keyword index and publishes the resulting snapshot. Indexer thread only
  // (and Open, before the thread starts).
  absl::Status CatchUp() {
    std::shared_ptr<const Snapshot> current = Current();
    while (true) {
      ZHIKU_ASSIGN_OR_RETURN(std::vector<Change> changes,
                             store->ChangesSince(current->seq, kChangeBatch));
      if (changes.empty()) return absl::OkStatus();
      auto next = std::make_shared<Snapshot>(*current);
      absl::flat_hash_set<std::string> done;
      for (const Change& change : changes) {
        if (!done.insert(change.entry_id).second) continue;
        // The store's current state may be newer than this change; applying
        // it early is harmless because applying is idempotent.
        absl::StatusOr<Entry> entry = store->Get(change.entry_id);
        if (entry.ok()) {
          auto indexed = MakeIndexedEntry(*std::move(entry), *normalizer);
          ZHIKU_RETURN_IF_ERROR(keyword->Put(*indexed));
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
  ZHIKU_ASSIGN_OR_RETURN(const int64_t store_seq, impl->store->LastSeq());

  // The in-memory snapshot is always loaded from the store.
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->seq = store_seq;
  ZHIKU_RETURN_IF_ERROR(impl->store->ForEach([&](const Entry& entry) {
    snapshot->entries[entry.id] = MakeIndexedEntry(entry, *impl->normalizer);
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
  impl->Publish(std::move(snapshot));
  Impl* raw = impl.get();
  impl->indexer = std::thread([raw] { raw->IndexerLoop(); });
  Log(LogLevel::kInfo, kLog, absl::StrCat("opened ", options.data_dir, ": ", raw->Current()->entries.size(),
                                          " entries, seq ", store_seq));
  return std::unique_ptr<KnowledgeBase>(new KnowledgeBase(std::move(impl)));
}

absl::StatusOr<Entry> KnowledgeBase::CreateEntry(Entry entry) {
  absl::StatusOr<Entry> created = impl_->store->Create(std::move(entry));
  if (created.ok()) impl_->NotifyWrite();
  return created;
}

absl::StatusOr<Entry> KnowledgeBase::UpdateEntry(Entry entry, int64_t expected_version) {
  absl::StatusOr<Entry> updated = impl_->store->Update(std::move(entry), expected_version);
  if (updated.ok()) impl_->NotifyWrite();
  return updated;
}

absl::Status KnowledgeBase::DeleteEntry(absl::string_view id, int64_t expected_version) {
  absl::Status status = impl_->store->Delete(id, expected_version);
  if (status.ok()) impl_->NotifyWrite();
  return status;
}

absl::StatusOr<std::vector<UpsertOutcome>> KnowledgeBase::UpsertEntries(std::vector<Entry> entries) {
  absl::StatusOr<std::vector<UpsertOutcome>> outcomes = impl_->store->UpsertBatch(std::move(entries));
  if (outcomes.ok()) impl_->NotifyWrite();
  return outcomes;
}

absl::StatusOr<Entry> KnowledgeBase::GetEntry(absl::string_view id) { return impl_->store->Get(id); }

absl::StatusOr<ListEntriesResult> KnowledgeBase::ListEntries(const ListEntriesRequest& request) {
  return impl_->store->List(request);
}

absl::Status KnowledgeBase::ForEachEntry(const std::function<absl::Status(const Entry&)>& fn) {
  return impl_->store->ForEach(fn);
}

absl::StatusOr<SearchResult> KnowledgeBase::Search(const SearchRequest& request) const {
  const TextNormalizer& normalizer = *impl_->normalizer;
  SearchResult result;
  result.traditional_query = normalizer.IsTraditional(request.query);
  KeywordQuery query;
  query.tokens = Tokenize(normalizer.Normalize(request.query));
  if (query.tokens.empty() || request.limit <= 0) return result;
  query.filters = request.filters;
  query.offset = request.offset;
  query.limit = request.limit + 1;  // one more tells whether another page exists

  std::shared_ptr<const Snapshot> snapshot = impl_->Current();
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

  const HighlightTerms terms = HighlightTerms::FromQueryTokens(query.tokens);
  HighlightOptions snippet_options = request.highlight;
  snippet_options.max_chars = request.answer_snippet_chars;
  auto in_query_script = [&](const std::string& text) {
    return result.traditional_query ? normalizer.ToTraditional(text) : text;
  };
  for (const KeywordHit& found_hit : found.hits) {
    auto it = snapshot->entries.find(found_hit.entry_id);
    // The index can be one commit ahead of the snapshot we hold; an entry it
    // knows and we do not is skipped rather than shown half-known.
    if (it == snapshot->entries.end()) continue;
    SearchHit hit;
    hit.entry = it->second;
    hit.score = found_hit.score;
    const IndexedEntry& indexed = *hit.entry;
    int phrasing = found_hit.phrasing;
    if (phrasing != kAnswerPhrasing && phrasing >= static_cast<int>(indexed.phrasing_count())) phrasing = 0;
    if (phrasing == kAnswerPhrasing) {
      hit.matched_field = MatchedField::kAnswer;
      phrasing = 0;
    } else if (phrasing > 0) {
      hit.matched_field = MatchedField::kVariant;
      hit.variant_index = phrasing - 1;
    }
    hit.matched_text = indexed.phrasing(phrasing);
    hit.highlighted_text = Highlight(normalizer, in_query_script(hit.matched_text), terms, request.highlight);
    hit.answer_snippet = Highlight(normalizer, in_query_script(indexed.entry.answer), terms, snippet_options);
    result.hits.push_back(std::move(hit));
  }
  return result;
}

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
  return stats;
}

const TextNormalizer& KnowledgeBase::normalizer() const { return *impl_->normalizer; }

// ---- Corpus: thin forwards to the store.

absl::StatusOr<CorpusAddOutcome> KnowledgeBase::AddCorpus(std::vector<std::string> masked_texts,
                                                          absl::string_view source) {
  return impl_->store->AddCorpusTexts(masked_texts, source);
}

absl::Status KnowledgeBase::ForEachCorpusText(const std::function<absl::Status(absl::string_view)>& fn) {
  return impl_->store->ForEachCorpusText(fn);
}

absl::StatusOr<int64_t> KnowledgeBase::CorpusSize() { return impl_->store->CorpusSize(); }

absl::StatusOr<int64_t> KnowledgeBase::CorpusVersion() { return impl_->store->CorpusVersion(); }

}  // namespace zhiku
