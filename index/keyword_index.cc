#include "index/keyword_index.h"

#include <xapian.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace zhiku {
namespace {

// Xapian rejects terms longer than about 245 bytes when a document is added;
// such terms could never be matched, so they are skipped.
constexpr size_t kMaxTermBytes = 245;

constexpr Xapian::valueno kEntryIdSlot = 0;
constexpr Xapian::valueno kPhrasingSlot = 1;

constexpr char kSeqKey[] = "zhiku_seq";
constexpr char kStoreIdKey[] = "zhiku_store_id";

// Boolean term carried by the answer document only: its term frequency is the
// number of entries.
constexpr char kEntryMarkerTerm[] = "K";
constexpr char kIdPrefix[] = "I";
constexpr char kAnswerPrefix[] = "A";
constexpr char kEntryPrefix[] = "E";
// The phrasing slot value of an entry document (all phrasings together).
constexpr int kEntryDocPhrasing = -2;
constexpr char kCategoryPrefix[] = "XC";
constexpr char kTagPrefix[] = "XT";
constexpr char kLocalePrefix[] = "XL";
constexpr char kChannelPrefix[] = "XH";

// A search that keeps losing the race with commits (DatabaseModifiedError)
// is retried on a reopened handle this many times in total.
constexpr int kMaxSearchAttempts = 10;
// After this many attempts overtaken by commits, a search holds the commit
// gate (commits wait for it), so it cannot be overtaken again: on a busy
// machine a starved reader could otherwise lose to every commit.
constexpr int kLockFreeAttempts = 3;
// Idle read handles kept for reuse; more are closed when returned.
constexpr size_t kMaxIdleReaders = 32;

// Distinct entries among the documents of `mset`.
size_t CountEntries(const Xapian::MSet& mset) {
  absl::flat_hash_set<std::string> ids;
  for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
    ids.insert(it.get_document().get_value(kEntryIdSlot));
  }
  return ids.size();
}

absl::Status InternalError(absl::string_view what, const Xapian::Error& e) {
  return absl::InternalError(absl::StrCat(what, ": ", e.get_description()));
}

std::string IdTerm(absl::string_view id) { return absl::StrCat(kIdPrefix, id); }

void AddBooleanTerm(absl::string_view prefix, absl::string_view value, Xapian::Document& doc) {
  if (value.empty() || prefix.size() + value.size() > kMaxTermBytes) return;
  doc.add_boolean_term(absl::StrCat(prefix, value));
}

// The terms and values every document of an entry carries.
void AddEntryTermsAndValues(const Entry& entry, int phrasing, Xapian::Document& doc) {
  doc.add_boolean_term(IdTerm(entry.id));
  AddBooleanTerm(kCategoryPrefix, entry.category, doc);
  for (const std::string& tag : entry.tags) AddBooleanTerm(kTagPrefix, tag, doc);
  AddBooleanTerm(kLocalePrefix, entry.locale, doc);
  AddBooleanTerm(kChannelPrefix, entry.channel, doc);
  doc.add_value(kEntryIdSlot, entry.id);
  doc.add_value(kPhrasingSlot, std::to_string(phrasing));
}

// Adds the tokens' terms: one wdf per occurrence, or, with `unique`, each
// term once (a short question that repeats a character is not more about
// it). Returns the number added.
int AddTextTerms(absl::string_view normalized, absl::string_view prefix, bool unique, Xapian::Document& doc) {
  int added = 0;
  absl::flat_hash_set<std::string> seen;
  for (const Token& token : Tokenize(normalized)) {
    if (token.term.empty() || prefix.size() + token.term.size() > kMaxTermBytes) continue;
    std::string term = absl::StrCat(prefix, token.term);
    if (unique && !seen.insert(term).second) continue;
    doc.add_term(term);
    ++added;
  }
  return added;
}

// OR over the unique terms of `tokens` (with `prefix`), CJK unigrams scaled by
// `unigram_weight`. Empty if there are no usable terms.
Xapian::Query TextQuery(const std::vector<Token>& tokens, absl::string_view prefix, double unigram_weight,
                        int max_terms) {
  std::vector<std::string> unigrams;
  std::vector<std::string> others;
  for (const Token& token : tokens) {
    if (token.term.empty() || prefix.size() + token.term.size() > kMaxTermBytes) continue;
    (token.kind == TokenKind::kCjkUnigram ? unigrams : others).push_back(absl::StrCat(prefix, token.term));
  }
  for (std::vector<std::string>* terms : {&unigrams, &others}) {
    std::sort(terms->begin(), terms->end());
    terms->erase(std::unique(terms->begin(), terms->end()), terms->end());
  }
  if (max_terms > 0 && unigrams.size() + others.size() > static_cast<size_t>(max_terms)) {
    // Elite set over all terms; unigram scaling is applied per subquery.
    std::vector<Xapian::Query> subqueries;
    for (const std::string& t : unigrams) {
      subqueries.push_back(unigram_weight != 1.0
                               ? Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, Xapian::Query(t), unigram_weight)
                               : Xapian::Query(t));
    }
    for (const std::string& t : others) subqueries.emplace_back(t);
    return Xapian::Query(Xapian::Query::OP_ELITE_SET, subqueries.begin(), subqueries.end(),
                         static_cast<Xapian::termcount>(max_terms));
  }
  Xapian::Query unigram_query(Xapian::Query::OP_OR, unigrams.begin(), unigrams.end());
  if (unigram_weight != 1.0 && !unigram_query.empty()) {
    unigram_query = Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, unigram_query, unigram_weight);
  }
  Xapian::Query other_query(Xapian::Query::OP_OR, others.begin(), others.end());
  if (unigram_query.empty()) return other_query;
  if (other_query.empty()) return unigram_query;
  return Xapian::Query(Xapian::Query::OP_OR, unigram_query, other_query);
}

// AND across fields of OR within a field. Empty if there are no filters.
Xapian::Query FilterQuery(const Filters& filters) {
  std::vector<Xapian::Query> fields;
  auto add_field = [&fields](absl::string_view prefix, const std::vector<std::string>& values) {
    if (values.empty()) return;
    std::vector<std::string> terms;
    terms.reserve(values.size());
    for (const std::string& value : values) terms.push_back(absl::StrCat(prefix, value));
    fields.emplace_back(Xapian::Query::OP_OR, terms.begin(), terms.end());
  };
  add_field(kCategoryPrefix, filters.categories);
  add_field(kTagPrefix, filters.tags);
  add_field(kLocalePrefix, filters.locales);
  add_field(kChannelPrefix, filters.channels);
  if (fields.empty()) return Xapian::Query();
  return Xapian::Query(Xapian::Query::OP_AND, fields.begin(), fields.end());
}

absl::Status ValidateOptions(const KeywordIndexOptions& o) {
  if (!(o.k1 >= 0)) return absl::InvalidArgumentError(absl::StrCat("k1 is ", o.k1, "; it must be >= 0"));
  if (!(o.b >= 0 && o.b <= 1))
    return absl::InvalidArgumentError(absl::StrCat("b is ", o.b, "; it must be in [0, 1]"));
  if (!(o.min_normlen >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("min_normlen is ", o.min_normlen, "; it must be >= 0"));
  }
  if (!(o.answer_weight >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("answer_weight is ", o.answer_weight, "; it must be >= 0"));
  }
  if (!(o.unigram_weight >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unigram_weight is ", o.unigram_weight, "; it must be >= 0"));
  }
  if (!(o.entry_weight >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("entry_weight is ", o.entry_weight, "; it must be >= 0"));
  }
  if (o.candidates_per_hit < 1 || o.min_candidates < 1 || o.max_candidates < o.min_candidates) {
    return absl::InvalidArgumentError(absl::StrCat(
        "candidates_per_hit (", o.candidates_per_hit, ") and min_candidates (", o.min_candidates,
        ") must be >= 1 and max_candidates (", o.max_candidates, ") >= min_candidates"));
  }
  return absl::OkStatus();
}

}  // namespace

struct KeywordIndex::Impl {
  // A read-only handle, used by one search at a time.
  struct Reader {
    Xapian::Database db;
    uint64_t generation = 0;  // commit_generation when db was (re)opened
  };

  struct Committed {
    int64_t seq = 0;
    std::string store_id;
    int64_t entry_count = 0;
  };

  Impl(std::string dir_in, const KeywordIndexOptions& options_in, Xapian::WritableDatabase writer_in)
      : dir(std::move(dir_in)), options(options_in), writer(std::move(writer_in)) {}

  // Reads the committed metadata from the writer (right after open or commit).
  absl::StatusOr<Committed> ReadCommitted() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu) {
    Committed c;
    const std::string seq = writer.get_metadata(kSeqKey);
    if (!seq.empty() && !absl::SimpleAtoi(seq, &c.seq)) {
      return absl::DataLossError(absl::StrCat("keyword index in ", dir, " has a corrupt ", kSeqKey, " \"",
                                              seq, "\"; delete the directory and rebuild"));
    }
    c.store_id = writer.get_metadata(kStoreIdKey);
    c.entry_count = writer.get_termfreq(kEntryMarkerTerm);
    return c;
  }

  // Starts the transaction that collects changes until Commit. Inside a
  // transaction Xapian does not auto-commit every 10,000 changes, so readers
  // never see half of a rebuild.
  void BeginIfNeeded() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu) {
    if (in_transaction) return;
    writer.begin_transaction(/*flushed=*/true);
    in_transaction = true;
  }

  std::unique_ptr<Reader> AcquireReader() const {
    {
      absl::MutexLock lock(&pool_mu);
      if (!idle_readers.empty()) {
        std::unique_ptr<Reader> reader = std::move(idle_readers.back());
        idle_readers.pop_back();
        return reader;
      }
    }
    auto reader = std::make_unique<Reader>();
    reader->generation = commit_generation.load(std::memory_order_acquire);
    reader->db = Xapian::Database(dir);  // may throw; the caller catches
    return reader;
  }

  void ReleaseReader(std::unique_ptr<Reader> reader) const {
    absl::MutexLock lock(&pool_mu);
    if (idle_readers.size() < kMaxIdleReaders) idle_readers.push_back(std::move(reader));
  }

  // Searches with `reader`, reopening it first if a commit happened since it
  // was opened. Throws Xapian errors.
  //
  // Documents are not collapsed by Xapian: the top candidates are fetched and
  // each entry is scored as its best phrasing plus its entry document
  // (scaled by entry_weight) plus its answer document (scaled by
  // answer_weight; both scalings are in the query). Ties are broken by entry
  // id, so the order does not depend on document ids (rebuild order).
  KeywordResult SearchWith(Reader& reader, const Xapian::Query& query, const KeywordQuery& request) const {
    const uint64_t generation = commit_generation.load(std::memory_order_acquire);
    if (reader.generation < generation) {
      reader.db.reopen();
      reader.generation = generation;
    }
    Xapian::Enquire enquire(reader.db);
    enquire.set_query(query);
    enquire.set_weighting_scheme(Xapian::BM25Weight(options.k1, 0, 1, options.b, options.min_normlen));
    const int wanted = request.offset + request.limit;
    int candidates = std::clamp(wanted * options.candidates_per_hit, options.min_candidates, options.max_candidates);
    Xapian::MSet mset;
    while (true) {
      mset = enquire.get_mset(0, static_cast<Xapian::doccount>(candidates));
      // Enough entries for the page, every match seen, or the cap reached.
      if (mset.get_matches_estimated() <= mset.size() || candidates >= options.max_candidates ||
          CountEntries(mset) >= static_cast<size_t>(wanted)) {
        break;
      }
      candidates = std::min(candidates * 4, options.max_candidates);
    }

    struct Aggregate {
      double best_phrasing = 0;
      int phrasing = kAnswerPhrasing;  // until a phrasing document is seen
      double extra = 0;                // entry + answer documents
    };
    absl::flat_hash_map<std::string, Aggregate> by_entry;
    for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
      Xapian::Document doc = it.get_document();
      int phrasing = 0;
      if (!absl::SimpleAtoi(doc.get_value(kPhrasingSlot), &phrasing)) phrasing = 0;
      Aggregate& aggregate = by_entry[doc.get_value(kEntryIdSlot)];
      const double weight = it.get_weight();
      if (phrasing >= 0) {
        if (aggregate.phrasing < 0 || weight > aggregate.best_phrasing) {
          aggregate.best_phrasing = weight;
          aggregate.phrasing = phrasing;
        }
      } else {
        aggregate.extra += weight;
      }
    }
    std::vector<KeywordHit> ranked;
    ranked.reserve(by_entry.size());
    for (auto& [id, aggregate] : by_entry) {
      KeywordHit hit;
      hit.entry_id = id;
      hit.score = aggregate.best_phrasing + aggregate.extra;
      hit.phrasing = aggregate.phrasing;
      ranked.push_back(std::move(hit));
    }
    std::sort(ranked.begin(), ranked.end(), [](const KeywordHit& a, const KeywordHit& b) {
      return a.score != b.score ? a.score > b.score : a.entry_id < b.entry_id;
    });
    KeywordResult result;
    // Every matching document was seen: the count is exact. Otherwise scale
    // the document estimate by the documents-per-entry ratio seen so far.
    const Xapian::doccount estimated_docs = mset.get_matches_estimated();
    if (estimated_docs <= mset.size()) {
      result.total_estimate = static_cast<int64_t>(ranked.size());
    } else {
      const double entries_per_doc = mset.size() == 0 ? 0 : static_cast<double>(ranked.size()) / mset.size();
      result.total_estimate = std::max<int64_t>(static_cast<int64_t>(ranked.size()),
                                                static_cast<int64_t>(estimated_docs * entries_per_doc));
    }
    const size_t begin = std::min<size_t>(ranked.size(), static_cast<size_t>(request.offset));
    const size_t end = std::min<size_t>(ranked.size(), begin + static_cast<size_t>(request.limit));
    result.hits.assign(std::make_move_iterator(ranked.begin() + begin), std::make_move_iterator(ranked.begin() + end));
    return result;
  }

  // Constant after construction.
  const std::string dir;
  const KeywordIndexOptions options;

  // The writer side. Callers promise one writer thread; the mutex makes a
  // broken promise safe rather than undefined.
  mutable absl::Mutex writer_mu;
  // Commits take it exclusively around commit_transaction; a search that was
  // overtaken kLockFreeAttempts times takes it shared for its next attempt.
  mutable absl::Mutex commit_gate;
  Xapian::WritableDatabase writer ABSL_GUARDED_BY(writer_mu);
  bool in_transaction ABSL_GUARDED_BY(writer_mu) = false;

  // Bumped after every successful commit; readers opened or reopened at an
  // older generation reopen before searching.
  std::atomic<uint64_t> commit_generation{1};

  mutable absl::Mutex pool_mu;
  mutable std::vector<std::unique_ptr<Reader>> idle_readers ABSL_GUARDED_BY(pool_mu);

  mutable absl::Mutex committed_mu;
  Committed committed ABSL_GUARDED_BY(committed_mu);
};

absl::StatusOr<std::unique_ptr<KeywordIndex>> KeywordIndex::Open(const std::string& dir,
                                                                 const KeywordIndexOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  auto data_loss = [&dir](const Xapian::Error& e) {
    return absl::DataLossError(absl::StrCat("keyword index in ", dir, " cannot be opened (",
                                            e.get_description(),
                                            "); it is derived data: delete the directory and rebuild"));
  };
  try {
    // No backend flag: an existing database is opened with its own backend
    // (so a foreign one fails here), a new one is created as glass.
    Xapian::WritableDatabase writer(dir, Xapian::DB_CREATE_OR_OPEN);
    auto impl = std::make_unique<Impl>(dir, options, std::move(writer));
    {
      absl::MutexLock lock(&impl->writer_mu);
      absl::StatusOr<Impl::Committed> committed = impl->ReadCommitted();
      if (!committed.ok()) return committed.status();
      absl::MutexLock committed_lock(&impl->committed_mu);
      impl->committed = *std::move(committed);
    }
    // Readers open the directory on their own; fail now, not at the first
    // search, if they cannot.
    impl->ReleaseReader(impl->AcquireReader());
    return std::unique_ptr<KeywordIndex>(new KeywordIndex(std::move(impl)));
  } catch (const Xapian::DatabaseLockError& e) {
    return absl::UnavailableError(
        absl::StrCat("keyword index in ", dir, " is locked by another writer: ", e.get_description()));
  } catch (const Xapian::DatabaseCreateError& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the keyword index in ", dir,
                     " (check the path and its permissions): ", e.get_description()));
  } catch (const Xapian::DatabaseCorruptError& e) {
    return data_loss(e);
  } catch (const Xapian::DatabaseOpeningError& e) {  // includes DatabaseVersionError
    return data_loss(e);
  } catch (const Xapian::Error& e) {
    return InternalError(absl::StrCat("opening keyword index in ", dir), e);
  }
}

KeywordIndex::KeywordIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KeywordIndex::~KeywordIndex() = default;

int64_t KeywordIndex::committed_seq() const {
  absl::MutexLock lock(&impl_->committed_mu);
  return impl_->committed.seq;
}

std::string KeywordIndex::store_id() const {
  absl::MutexLock lock(&impl_->committed_mu);
  return impl_->committed.store_id;
}

int64_t KeywordIndex::entry_count() const {
  absl::MutexLock lock(&impl_->committed_mu);
  return impl_->committed.entry_count;
}

absl::Status KeywordIndex::Put(const IndexedEntry& indexed) {
  const Entry& entry = indexed.entry;
  if (entry.id.empty()) return absl::InvalidArgumentError("cannot index an entry without an id");
  if (IdTerm(entry.id).size() > kMaxTermBytes) {
    return absl::InvalidArgumentError(absl::StrCat("entry id is ", entry.id.size(),
                                                   " bytes; the keyword index limit is ", kMaxTermBytes - 1));
  }
  if (indexed.normalized_phrasings.size() != indexed.phrasing_count()) {
    return absl::InvalidArgumentError(absl::StrCat("entry ", entry.id, " has ", indexed.phrasing_count(),
                                                   " phrasings but ", indexed.normalized_phrasings.size(),
                                                   " normalized forms; build it with MakeIndexedEntry"));
  }
  absl::MutexLock lock(&impl_->writer_mu);
  try {
    impl_->BeginIfNeeded();
    impl_->writer.delete_document(IdTerm(entry.id));
    for (size_t i = 0; i < indexed.normalized_phrasings.size(); ++i) {
      Xapian::Document doc;
      // A phrasing without terms could never match: no document for it.
      if (AddTextTerms(indexed.normalized_phrasings[i], "", impl_->options.unique_phrasing_terms, doc) == 0) continue;
      AddEntryTermsAndValues(entry, static_cast<int>(i), doc);
      impl_->writer.add_document(doc);
    }
    // The entry document: every phrasing's terms together, so an entry whose
    // phrasings keep returning to the query's words scores above one that
    // mentions them once.
    Xapian::Document all_phrasings;
    for (const std::string& normalized : indexed.normalized_phrasings) {
      AddTextTerms(normalized, kEntryPrefix, /*unique=*/false, all_phrasings);
    }
    AddEntryTermsAndValues(entry, kEntryDocPhrasing, all_phrasings);
    impl_->writer.add_document(all_phrasings);
    // The answer document always exists: it marks the entry (entry_count).
    Xapian::Document answer;
    AddTextTerms(indexed.normalized_answer, kAnswerPrefix, /*unique=*/false, answer);
    answer.add_boolean_term(kEntryMarkerTerm);
    AddEntryTermsAndValues(entry, kAnswerPhrasing, answer);
    impl_->writer.add_document(answer);
    return absl::OkStatus();
  } catch (const Xapian::Error& e) {
    return InternalError(absl::StrCat("indexing entry ", entry.id), e);
  }
}

absl::Status KeywordIndex::Remove(absl::string_view id) {
  if (id.empty()) return absl::OkStatus();
  absl::MutexLock lock(&impl_->writer_mu);
  try {
    impl_->BeginIfNeeded();
    impl_->writer.delete_document(IdTerm(id));
    return absl::OkStatus();
  } catch (const Xapian::Error& e) {
    return InternalError(absl::StrCat("removing entry ", id, " from the keyword index"), e);
  }
}

absl::Status KeywordIndex::Clear() {
  absl::MutexLock lock(&impl_->writer_mu);
  try {
    impl_->BeginIfNeeded();
    std::vector<Xapian::docid> ids;
    ids.reserve(impl_->writer.get_doccount());
    for (Xapian::PostingIterator it = impl_->writer.postlist_begin(""); it != impl_->writer.postlist_end("");
         ++it) {
      ids.push_back(*it);
    }
    for (Xapian::docid id : ids) impl_->writer.delete_document(id);
    return absl::OkStatus();
  } catch (const Xapian::Error& e) {
    return InternalError("clearing the keyword index", e);
  }
}

absl::Status KeywordIndex::Commit(int64_t seq, absl::string_view store_id) {
  absl::MutexLock lock(&impl_->writer_mu);
  try {
    impl_->BeginIfNeeded();
    impl_->writer.set_metadata(kSeqKey, std::to_string(seq));
    impl_->writer.set_metadata(kStoreIdKey, std::string(store_id));
    impl_->in_transaction = false;  // commit_transaction ends it even if it throws
    {
      absl::WriterMutexLock gate(&impl_->commit_gate);
      impl_->writer.commit_transaction();
      impl_->commit_generation.fetch_add(1, std::memory_order_acq_rel);
    }
    absl::StatusOr<Impl::Committed> committed = impl_->ReadCommitted();
    if (!committed.ok()) return committed.status();
    absl::MutexLock committed_lock(&impl_->committed_mu);
    impl_->committed = *std::move(committed);
    return absl::OkStatus();
  } catch (const Xapian::Error& e) {
    return InternalError("committing the keyword index", e);
  }
}

absl::StatusOr<KeywordResult> KeywordIndex::Search(const KeywordQuery& request) const {
  if (request.offset < 0 || request.limit < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("offset ", request.offset, " and limit ", request.limit, " must not be negative"));
  }
  const KeywordIndexOptions& options = impl_->options;
  Xapian::Query query = TextQuery(request.tokens, "", options.unigram_weight, options.max_query_terms);
  if (query.empty()) return KeywordResult{};
  for (const auto& [prefix, weight] :
       {std::pair{kEntryPrefix, options.entry_weight}, std::pair{kAnswerPrefix, options.answer_weight}}) {
    if (weight <= 0) continue;
    Xapian::Query field = TextQuery(request.tokens, prefix, options.unigram_weight, options.max_query_terms);
    if (field.empty()) continue;
    query = Xapian::Query(Xapian::Query::OP_OR, query, Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, field, weight));
  }
  Xapian::Query filter = FilterQuery(request.filters);
  if (!filter.empty()) query = Xapian::Query(Xapian::Query::OP_FILTER, query, filter);

  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<Impl::Reader> reader;
    std::optional<absl::ReaderMutexLock> gate;
    if (attempt > kLockFreeAttempts) gate.emplace(&impl_->commit_gate);
    try {
      reader = impl_->AcquireReader();
      KeywordResult result = impl_->SearchWith(*reader, query, request);
      impl_->ReleaseReader(std::move(reader));
      return result;
    } catch (const Xapian::DatabaseModifiedError& e) {
      // The writer committed twice while we read: the blocks we were reading
      // were recycled. Reopen (on the next attempt) and search again.
      if (attempt >= kMaxSearchAttempts) {
        return absl::UnavailableError(absl::StrCat("keyword index changed during the search ", attempt,
                                                   " times; retry: ", e.get_description()));
      }
      if (reader != nullptr) {
        reader->generation = 0;
        impl_->ReleaseReader(std::move(reader));
      }
    } catch (const Xapian::Error& e) {
      // The handle may be in any state: drop it.
      return InternalError("searching the keyword index", e);
    }
  }
}

}  // namespace zhiku
