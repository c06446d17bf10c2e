#include "index/entry_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/entry.h"
#include "index/sha256.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

Entry MakeEntry(const std::string& id, const std::string& question) {
  Entry entry;
  entry.id = id;
  entry.question = question;
  entry.answer = "answer to " + question;
  entry.category = "general";
  entry.locale = "en";
  entry.channel = "all";
  return entry;
}

std::vector<std::string> Ids(const std::vector<Entry>& entries) {
  std::vector<std::string> ids;
  for (const Entry& entry : entries) ids.push_back(entry.id);
  return ids;
}

// "category=a,b;tags=x" -> Filters, through AddFilter.
Filters ParseFilters(absl::string_view spec) {
  Filters filters;
  for (absl::string_view clause : absl::StrSplit(spec, ';', absl::SkipEmpty())) {
    std::pair<std::string, std::string> field_values = absl::StrSplit(clause, absl::MaxSplits('=', 1));
    std::vector<std::string> values = absl::StrSplit(field_values.second, ',');
    EXPECT_TRUE(AddFilter(field_values.first, values, &filters).ok()) << clause;
  }
  return filters;
}

// Runs SQL on the store's file behind its back, to fake other writers,
// corruption and future schemas.
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  EXPECT_EQ(rc, SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// The first column of the first row of `sql` on the store's file, as text.
std::string RawQueryText(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string value;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    if (text != nullptr) value = reinterpret_cast<const char*>(text);
  } else {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

class EntryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto store = OpenSqliteEntryStore(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  std::vector<std::string> CorpusTexts() {
    std::vector<std::string> texts;
    absl::Status status = store_->ForEachCorpusText([&](absl::string_view text) {
      texts.emplace_back(text);
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return texts;
  }

  testing::TempDir dir_;
  const std::string path_ = dir_.Sub("zhiku.db");
  std::unique_ptr<EntryStore> store_;
};

TEST_F(EntryStoreTest, CreateSetsVersionAndTimestampsAndGetReturnsIt) {
  const int64_t before = absl::ToUnixMillis(absl::Now());
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry created, store_->Create(MakeEntry("faq-1", "How do I reset my password?")));
  const int64_t after = absl::ToUnixMillis(absl::Now());
  EXPECT_EQ(created.id, "faq-1");
  EXPECT_EQ(created.version, 1);
  EXPECT_GE(created.created_at_ms, before);
  EXPECT_LE(created.created_at_ms, after);
  EXPECT_EQ(created.updated_at_ms, created.created_at_ms);
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry got, store_->Get("faq-1"));
  EXPECT_EQ(got, created);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t count, store_->Count());
  EXPECT_EQ(count, 1);
}

TEST_F(EntryStoreTest, CreateStoresTheCanonicalForm) {
  Entry entry = MakeEntry("faq-1", "  怎么退款？ ");
  entry.variants = {"退款", " 退款 ", "", "怎么退款？", "退货"};
  entry.tags = {"售后", "refund"};
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry created, store_->Create(entry));
  EXPECT_EQ(created.question, "怎么退款？");
  EXPECT_EQ(created.variants, (std::vector<std::string>{"退款", "退货"}));
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry got, store_->Get("faq-1"));
  EXPECT_EQ(got, created);
}

TEST_F(EntryStoreTest, CreateWithEmptyIdGeneratesDistinctIds) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry a, store_->Create(MakeEntry("", "first")));
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry b, store_->Create(MakeEntry("", "second")));
  EXPECT_THAT(a.id, MatchesRegex("e-[0-9a-f]{16}"));
  EXPECT_THAT(b.id, MatchesRegex("e-[0-9a-f]{16}"));
  EXPECT_NE(a.id, b.id);
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry got, store_->Get(a.id));
  EXPECT_EQ(got.question, "first");
}

TEST_F(EntryStoreTest, CreateExistingIdIsAlreadyExistsAndKeepsTheOriginal) {
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("faq-1", "original")));
  absl::StatusOr<Entry> again = store_->Create(MakeEntry("faq-1", "impostor"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("'faq-1' already exists"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry got, store_->Get("faq-1"));
  EXPECT_EQ(got.question, "original");
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t seq, store_->LastSeq());
  EXPECT_EQ(seq, 1) << "a failed write logs no change";
}

TEST_F(EntryStoreTest, InvalidEntriesAreRejectedAndNothingIsStored) {
  Entry long_answer = MakeEntry("faq-1", "q");
  long_answer.answer = std::string(70000, 'a');
  absl::StatusOr<Entry> created = store_->Create(long_answer);
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(created.status().message(), HasSubstr("answer is 70,000 bytes; the limit is 65,536"));
  EXPECT_EQ(store_->Create(MakeEntry("bad id", "q")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Create(MakeEntry("faq-2", " \t")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Create(MakeEntry("faq-3", "bad \xFF")).status().code(), absl::StatusCode::kInvalidArgument);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t count, store_->Count());
  EXPECT_EQ(count, 0);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t seq, store_->LastSeq());
  EXPECT_EQ(seq, 0);
}

TEST_F(EntryStoreTest, GetUnknownIdIsNotFound) {
  absl::StatusOr<Entry> got = store_->Get("nope");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(got.status().message(), HasSubstr("'nope'"));
  EXPECT_EQ(store_->Get("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EntryStoreTest, UpdateBumpsVersionAndKeepsCreatedAt) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry created, store_->Create(MakeEntry("faq-1", "old question")));
  Entry edit = created;
  edit.question = "new question";
  edit.created_at_ms = 1;  // ignored: the store keeps its own
  edit.version = 99;       // ignored
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry updated, store_->Update(edit, /*expected_version=*/1));
  EXPECT_EQ(updated.version, 2);
  EXPECT_EQ(updated.question, "new question");
  EXPECT_EQ(updated.created_at_ms, created.created_at_ms);
  EXPECT_GE(updated.updated_at_ms, created.updated_at_ms);
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry got, store_->Get("faq-1"));
  EXPECT_EQ(got, updated);
  // expected_version 0 skips the check.
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry unchecked, store_->Update(edit, 0));
  EXPECT_EQ(unchecked.version, 3);
}

TEST_F(EntryStoreTest, UpdateErrors) {
  EXPECT_EQ(store_->Update(MakeEntry("ghost", "q"), 0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Update(MakeEntry("", "q"), 0).status().code(), absl::StatusCode::kInvalidArgument);
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("faq-1", "q")));
  EXPECT_EQ(store_->Update(MakeEntry("faq-1", ""), 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Update(MakeEntry("faq-1", "q"), -1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EntryStoreTest, ConcurrentEditWithStaleVersionIsAbortedAndLosesNothing) {
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("faq-1", "v1")));
  // Two editors read version 1.
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry alice, store_->Get("faq-1"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry bob, store_->Get("faq-1"));
  alice.answer = "alice's answer";
  bob.answer = "bob's answer";
  ZHIKU_ASSERT_OK(store_->Update(alice, alice.version));
  absl::StatusOr<Entry> stale = store_->Update(bob, bob.version);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(stale.status().message(), HasSubstr("entry 'faq-1' is at version 2, not 1; re-read it and retry"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry got, store_->Get("faq-1"));
  EXPECT_EQ(got.answer, "alice's answer");
  EXPECT_EQ(got.version, 2);
  // Bob re-reads and retries.
  bob = got;
  bob.answer = "bob's answer, after reading alice's";
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry retried, store_->Update(bob, bob.version));
  EXPECT_EQ(retried.version, 3);
}

TEST_F(EntryStoreTest, DeleteRemovesTheEntryAndChecksTheVersion) {
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("faq-1", "q")));
  ZHIKU_ASSERT_OK(store_->Update(MakeEntry("faq-1", "q2"), 1));
  absl::Status stale = store_->Delete("faq-1", 1);
  EXPECT_EQ(stale.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(stale.message(), HasSubstr("is at version 2, not 1"));
  ZHIKU_ASSERT_OK(store_->Get("faq-1"));
  ZHIKU_ASSERT_OK(store_->Delete("faq-1", 2));
  EXPECT_EQ(store_->Get("faq-1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("faq-1", 0).code(), absl::StatusCode::kNotFound);
  // The id is free again; its version numbers go on after the deletion
  // (version 3), so the history of the id stays one sequence.
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry recreated, store_->Create(MakeEntry("faq-1", "q3")));
  EXPECT_EQ(recreated.version, 4);
}

TEST_F(EntryStoreTest, UpsertBatchStoresValidEntriesAndReportsEachOutcome) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry existing, store_->Create(MakeEntry("old", "old question")));
  Entry too_long = MakeEntry("bad", "q");
  too_long.answer = std::string(70000, 'x');
  std::vector<Entry> batch = {
      MakeEntry("new-1", "first"),            // 0: created
      MakeEntry("dup", "dup, first copy"),    // 1: superseded by 4
      MakeEntry("old", "old question, v2"),   // 2: replaces the existing entry
      too_long,                               // 3: invalid, batch continues
      MakeEntry("dup", "dup, second copy"),   // 4: wins
      MakeEntry("", "no id"),                 // 5: gets a generated id
      MakeEntry("blank", "  "),               // 6: invalid
  };
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<UpsertOutcome> outcomes, store_->UpsertBatch(batch));
  ASSERT_EQ(outcomes.size(), batch.size());

  ZHIKU_EXPECT_OK(outcomes[0].status);
  EXPECT_TRUE(outcomes[0].created);
  EXPECT_EQ(outcomes[0].entry.version, 1);

  EXPECT_EQ(outcomes[1].status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(outcomes[1].status.message(), HasSubstr("superseded by a later entry with the same id"));

  ZHIKU_EXPECT_OK(outcomes[2].status);
  EXPECT_FALSE(outcomes[2].created);
  EXPECT_EQ(outcomes[2].entry.version, 2);
  EXPECT_EQ(outcomes[2].entry.created_at_ms, existing.created_at_ms);

  EXPECT_EQ(outcomes[3].status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(outcomes[3].status.message(), HasSubstr("answer is 70,000 bytes"));

  ZHIKU_EXPECT_OK(outcomes[4].status);
  EXPECT_TRUE(outcomes[4].created);

  ZHIKU_EXPECT_OK(outcomes[5].status);
  EXPECT_THAT(outcomes[5].entry.id, MatchesRegex("e-[0-9a-f]{16}"));

  EXPECT_EQ(outcomes[6].status.code(), absl::StatusCode::kInvalidArgument);

  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry dup, store_->Get("dup"));
  EXPECT_EQ(dup.question, "dup, second copy");
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry old, store_->Get("old"));
  EXPECT_EQ(old, outcomes[2].entry);
  EXPECT_EQ(store_->Get("bad").status().code(), absl::StatusCode::kNotFound);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t count, store_->Count());
  EXPECT_EQ(count, 4);  // old, new-1, dup, generated
  // One change per stored entry: create old + 4 in the batch.
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t seq, store_->LastSeq());
  EXPECT_EQ(seq, 5);
}

TEST_F(EntryStoreTest, UpsertBatchDuplicateWhoseLaterCopyIsInvalidKeepsTheEarlierOne) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<UpsertOutcome> outcomes,
                             store_->UpsertBatch({MakeEntry("a", "valid"), MakeEntry("a", "")}));
  ZHIKU_EXPECT_OK(outcomes[0].status);
  EXPECT_EQ(outcomes[1].status.code(), absl::StatusCode::kInvalidArgument);
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry a, store_->Get("a"));
  EXPECT_EQ(a.question, "valid");
}

TEST_F(EntryStoreTest, UpsertBatchOfUnchangedEntriesIsANoOp) {
  std::vector<Entry> batch = {MakeEntry("a", "qa"), MakeEntry("b", "qb")};
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<UpsertOutcome> first, store_->UpsertBatch(batch));
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t seq_after_first, store_->LastSeq());
  batch[0].question = "  qa ";  // canonicalises to the stored text
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<UpsertOutcome> second, store_->UpsertBatch(batch));
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t seq_after_second, store_->LastSeq());
  EXPECT_EQ(seq_after_second, seq_after_first);
  for (size_t i = 0; i < batch.size(); ++i) {
    ZHIKU_EXPECT_OK(second[i].status);
    EXPECT_FALSE(second[i].created);
    EXPECT_EQ(second[i].entry, first[i].entry);
  }
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<UpsertOutcome> empty, store_->UpsertBatch({}));
  EXPECT_TRUE(empty.empty());
}

TEST_F(EntryStoreTest, ListPagesInIdOrder) {
  std::vector<Entry> batch;
  for (int i = 24; i >= 0; --i) batch.push_back(MakeEntry(absl::StrCat("id-", i < 10 ? "0" : "", i), "q"));
  ZHIKU_ASSERT_OK(store_->UpsertBatch(batch));

  std::vector<std::string> seen;
  ListEntriesRequest request;
  request.limit = 10;
  std::vector<size_t> page_sizes;
  while (true) {
    ZHIKU_ASSERT_OK_AND_ASSIGN(ListEntriesResult page, store_->List(request));
    page_sizes.push_back(page.entries.size());
    for (const Entry& entry : page.entries) seen.push_back(entry.id);
    if (page.next_after_id.empty()) break;
    EXPECT_EQ(page.next_after_id, page.entries.back().id);
    request.after_id = page.next_after_id;
  }
  EXPECT_THAT(page_sizes, ElementsAre(10, 10, 5));
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.front(), "id-00");
  EXPECT_EQ(seen.back(), "id-24");
}

TEST_F(EntryStoreTest, ListExactlyFullLastPageHasNoNextPage) {
  ZHIKU_ASSERT_OK(store_->UpsertBatch({MakeEntry("a", "q"), MakeEntry("b", "q")}));
  ListEntriesRequest request;
  request.limit = 2;
  ZHIKU_ASSERT_OK_AND_ASSIGN(ListEntriesResult page, store_->List(request));
  EXPECT_EQ(page.entries.size(), 2u);
  EXPECT_EQ(page.next_after_id, "");
}

TEST_F(EntryStoreTest, ListAppliesFilters) {
  auto make = [](const std::string& id, const std::string& category, std::vector<std::string> tags,
                 const std::string& locale, const std::string& channel) {
    Entry entry = MakeEntry(id, "question " + id);
    entry.category = category;
    entry.tags = std::move(tags);
    entry.locale = locale;
    entry.channel = channel;
    return entry;
  };
  ZHIKU_ASSERT_OK(store_->UpsertBatch({
      make("a", "billing", {"refund", "card"}, "en", "app"),
      make("b", "billing", {}, "zh-CN", "web"),
      make("c", "shipping", {"refund"}, "zh-CN", "app"),
      make("d", "account", {"password"}, "en", "web"),
      make("e", "billing", {"card"}, "zh-TW", "app"),
      make("f", "shipping", {"退款"}, "zh-CN", "all"),
  }));
  struct Case {
    const char* name;
    const char* filters;
    std::vector<std::string> ids;
  };
  const Case cases[] = {
      {"none", "", {"a", "b", "c", "d", "e", "f"}},
      {"category", "category=billing", {"a", "b", "e"}},
      {"categories_or", "category=account,shipping", {"c", "d", "f"}},
      {"locale", "locale=zh-CN", {"b", "c", "f"}},
      {"channel", "channel=web", {"b", "d"}},
      {"tag", "tags=refund", {"a", "c"}},
      {"tags_or", "tags=card,password", {"a", "d", "e"}},
      {"tag_non_ascii", "tags=退款", {"f"}},
      {"tag_case_sensitive", "tags=Refund", {}},
      {"and_across_fields", "category=billing;tags=card;channel=app", {"a", "e"}},
      {"nothing_matches", "category=billing;locale=en;channel=web", {}},
      // Regression guard: a filter value containing JSON/SQL syntax is data.
      {"quote_in_value", "category=billing\"]') OR 1=1 --", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ListEntriesRequest request;
    request.filters = ParseFilters(c.filters);
    ZHIKU_ASSERT_OK_AND_ASSIGN(ListEntriesResult result, store_->List(request));
    EXPECT_EQ(Ids(result.entries), c.ids);
    EXPECT_EQ(result.next_after_id, "");
  }

  // Paging through a filtered list skips non-matching entries correctly.
  ListEntriesRequest request;
  request.filters.categories = {"billing"};
  request.limit = 2;
  ZHIKU_ASSERT_OK_AND_ASSIGN(ListEntriesResult page1, store_->List(request));
  EXPECT_THAT(Ids(page1.entries), ElementsAre("a", "b"));
  EXPECT_EQ(page1.next_after_id, "b");
  request.after_id = page1.next_after_id;
  ZHIKU_ASSERT_OK_AND_ASSIGN(ListEntriesResult page2, store_->List(request));
  EXPECT_THAT(Ids(page2.entries), ElementsAre("e"));
  EXPECT_EQ(page2.next_after_id, "");
}

TEST_F(EntryStoreTest, ListRejectsLimitsOutsideOneToAThousand) {
  ListEntriesRequest request;
  for (int limit : {0, -1, 1001}) {
    request.limit = limit;
    absl::StatusOr<ListEntriesResult> result = store_->List(request);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << limit;
    EXPECT_THAT(result.status().message(), HasSubstr("between 1 and 1000"));
  }
  request.limit = 1000;
  ZHIKU_EXPECT_OK(store_->List(request));
}

TEST_F(EntryStoreTest, ForEachVisitsInIdOrderAndStopsOnError) {
  ZHIKU_ASSERT_OK(store_->UpsertBatch({MakeEntry("c", "q"), MakeEntry("a", "q"), MakeEntry("b", "q")}));
  std::vector<std::string> visited;
  ZHIKU_ASSERT_OK(store_->ForEach([&](const Entry& entry) {
    visited.push_back(entry.id);
    // Calling back into the store from fn must not deadlock.
    return store_->Get(entry.id).status();
  }));
  EXPECT_THAT(visited, ElementsAre("a", "b", "c"));

  visited.clear();
  absl::Status status = store_->ForEach([&](const Entry& entry) {
    visited.push_back(entry.id);
    return entry.id == "b" ? absl::CancelledError("stop here") : absl::OkStatus();
  });
  EXPECT_EQ(status, absl::CancelledError("stop here"));
  EXPECT_THAT(visited, ElementsAre("a", "b"));
}

TEST_F(EntryStoreTest, ForEachReadsOneSnapshotWhileWritesContinue) {
  ZHIKU_ASSERT_OK(store_->UpsertBatch({MakeEntry("a", "q"), MakeEntry("b", "q")}));
  std::vector<std::string> visited;
  ZHIKU_ASSERT_OK(store_->ForEach([&](const Entry& entry) {
    visited.push_back(entry.id);
    if (entry.id == "a") return store_->Create(MakeEntry("a2", "added during the scan")).status();
    return absl::OkStatus();
  }));
  EXPECT_THAT(visited, ElementsAre("a", "b"));
  ZHIKU_EXPECT_OK(store_->Get("a2"));
}

TEST_F(EntryStoreTest, ChangesSinceListsEveryChangeOldestFirstWithDeleteMarkers) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t empty_seq, store_->LastSeq());
  EXPECT_EQ(empty_seq, 0);
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("a", "q")));
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("b", "q")));
  ZHIKU_ASSERT_OK(store_->Update(MakeEntry("a", "q2"), 1));
  ZHIKU_ASSERT_OK(store_->Delete("b", 1));

  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<Change> changes, store_->ChangesSince(0, 100));
  ASSERT_EQ(changes.size(), 4u);
  const std::vector<std::string> ids = {"a", "b", "a", "b"};
  const std::vector<bool> deleted = {false, false, false, true};
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(changes[i].entry_id, ids[i]);
    EXPECT_EQ(changes[i].deleted, deleted[i]);
  }
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<Change> tail, store_->ChangesSince(2, 100));
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].seq, 3);
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<Change> one, store_->ChangesSince(0, 1));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].seq, 1);
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<Change> none, store_->ChangesSince(4, 100));
  EXPECT_TRUE(none.empty());
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t last, store_->LastSeq());
  EXPECT_EQ(last, 4);
  EXPECT_EQ(store_->ChangesSince(-1, 10).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ChangesSince(0, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EntryStoreTest, StoreIdIsRandomAndStableAcrossReopen) {
  const std::string id = store_->StoreId();
  EXPECT_THAT(id, MatchesRegex("[0-9a-f]{32}"));
  Reopen();
  EXPECT_EQ(store_->StoreId(), id);

  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<EntryStore> other, OpenSqliteEntryStore(dir_.Sub("other.db")));
  EXPECT_NE(other->StoreId(), id);
}

TEST_F(EntryStoreTest, DataSurvivesCloseAndReopen) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry a, store_->Create(MakeEntry("a", "问题")));
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("b", "q")));
  ZHIKU_ASSERT_OK(store_->Delete("b", 0));
  Reopen();
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry got, store_->Get("a"));
  EXPECT_EQ(got, a);
  EXPECT_EQ(store_->Get("b").status().code(), absl::StatusCode::kNotFound);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t last, store_->LastSeq());
  EXPECT_EQ(last, 3);
  // Sequence numbers continue after reopening.
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("c", "q")));
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<Change> changes, store_->ChangesSince(3, 10));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].seq, 4);
}

TEST(OpenSqliteEntryStore, GarbageFileIsDataLoss) {
  testing::TempDir dir;
  const std::string path = dir.Sub("zhiku.db");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 1000; ++i) out << "this is not a database, just some text\n";
  }
  absl::StatusOr<std::unique_ptr<EntryStore>> store = OpenSqliteEntryStore(path);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr(path));
}

TEST(OpenSqliteEntryStore, ForeignSqliteDatabaseIsDataLoss) {
  testing::TempDir dir;
  const std::string path = dir.Sub("other-app.db");
  RawExec(path, "CREATE TABLE users(name TEXT)");
  absl::StatusOr<std::unique_ptr<EntryStore>> store = OpenSqliteEntryStore(path);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("not a Zhiku store"));
}

TEST(OpenSqliteEntryStore, NewerSchemaIsFailedPrecondition) {
  testing::TempDir dir;
  const std::string path = dir.Sub("zhiku.db");
  ZHIKU_ASSERT_OK(OpenSqliteEntryStore(path));
  RawExec(path, "UPDATE meta SET value = '999' WHERE key = 'schema_version'");
  absl::StatusOr<std::unique_ptr<EntryStore>> store = OpenSqliteEntryStore(path);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_THAT(store.status().message(), HasSubstr("schema version 999"));
}

TEST(OpenSqliteEntryStore, MissingStoreIdIsDataLoss) {
  testing::TempDir dir;
  const std::string path = dir.Sub("zhiku.db");
  ZHIKU_ASSERT_OK(OpenSqliteEntryStore(path));
  RawExec(path, "DELETE FROM meta WHERE key = 'store_id'");
  EXPECT_EQ(OpenSqliteEntryStore(path).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(EntryStoreTest, CorruptStoredRowIsDataLoss) {
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("a", "q")));
  RawExec(path_, "UPDATE entries SET variants = 'not json' WHERE id = 'a'");
  absl::StatusOr<Entry> got = store_->Get("a");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << got.status();
  EXPECT_THAT(got.status().message(), HasSubstr("entry 'a': stored variants"));
  EXPECT_EQ(store_->ForEach([](const Entry&) { return absl::OkStatus(); }).code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(EntryStoreTest, WritesFromAnotherProcessAreVisible) {
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("a", "q")));
  RawExec(path_, "INSERT INTO changes(entry_id, deleted, at_ms) VALUES('a', 0, 0)");
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t last, store_->LastSeq());
  EXPECT_EQ(last, 2);
}

TEST(OpenSqliteEntryStore, UnopenablePathIsUnavailable) {
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<EntryStore>> store = OpenSqliteEntryStore(dir.Sub("missing/dir/zhiku.db"));
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable) << store.status();
  EXPECT_EQ(OpenSqliteEntryStore("").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(OpenSqliteEntryStore, TwoHandlesOnOneFileSeeEachOthersWrites) {
  testing::TempDir dir;
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<EntryStore> first, OpenSqliteEntryStore(dir.Sub("zhiku.db")));
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<EntryStore> second, OpenSqliteEntryStore(dir.Sub("zhiku.db")));
  EXPECT_EQ(first->StoreId(), second->StoreId());
  ZHIKU_ASSERT_OK(first->Create(MakeEntry("a", "q")));
  ZHIKU_ASSERT_OK(second->Create(MakeEntry("b", "q")));
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t count, first->Count());
  EXPECT_EQ(count, 2);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t last, first->LastSeq());
  EXPECT_EQ(last, 2);
}

TEST_F(EntryStoreTest, ConcurrentWritersAllSucceedWithUniqueSeqs) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<absl::Status> failures[kThreads];
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = absl::StrCat("t", t, "-", i);
        absl::Status status = store_->Create(MakeEntry(id, "q")).status();
        if (status.ok() && i % 5 == 0) status = store_->Update(MakeEntry(id, "q2"), 1).status();
        if (status.ok() && i % 10 == 0) status = store_->Get(id).status();
        if (!status.ok()) failures[t].push_back(status);
      }
    });
  }
  // A reader runs alongside the writers.
  std::vector<absl::Status> reader_failures;
  threads.emplace_back([&] {
    for (int i = 0; i < 50; ++i) {
      absl::Status status = store_->List(ListEntriesRequest{}).status();
      if (status.ok()) status = store_->ChangesSince(0, 1000).status();
      if (!status.ok()) reader_failures.push_back(status);
    }
  });
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_TRUE(failures[t].empty()) << failures[t].front();
  EXPECT_TRUE(reader_failures.empty()) << reader_failures.front();

  constexpr int kUpdates = kThreads * kPerThread / 5;
  constexpr int kWrites = kThreads * kPerThread + kUpdates;
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t count, store_->Count());
  EXPECT_EQ(count, kThreads * kPerThread);
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<Change> changes, store_->ChangesSince(0, 10000));
  ASSERT_EQ(changes.size(), static_cast<size_t>(kWrites));
  std::set<int64_t> seqs;
  for (size_t i = 0; i < changes.size(); ++i) {
    seqs.insert(changes[i].seq);
    if (i > 0) {
      EXPECT_LT(changes[i - 1].seq, changes[i].seq);
    }
  }
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kWrites));
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t last, store_->LastSeq());
  EXPECT_EQ(last, kWrites);
}

}  // namespace
}  // namespace zhiku

namespace zhiku {
namespace {

// ---- Corpus.

TEST_F(EntryStoreTest, CorpusStoresEachTextOnceAcrossAndWithinCalls) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(CorpusAddOutcome first,
                             store_->AddCorpusTexts({"怎么退货", "运费谁出", "怎么退货"}, "import"));
  EXPECT_EQ(first.stored, 2);
  EXPECT_EQ(first.duplicates, 1);  // repeated within the call
  ZHIKU_ASSERT_OK_AND_ASSIGN(CorpusAddOutcome second,
                             store_->AddCorpusTexts({"运费谁出", "how do I get a refund?", "怎么退货 "}, "import"));
  EXPECT_EQ(second.stored, 2);  // byte comparison: the trailing space makes a new text
  EXPECT_EQ(second.duplicates, 1);
  EXPECT_THAT(CorpusTexts(), ElementsAre("怎么退货", "运费谁出", "how do I get a refund?", "怎么退货 "));
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t size, store_->CorpusSize());
  EXPECT_EQ(size, 4);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t version, store_->CorpusVersion());
  EXPECT_EQ(version, 4);
  // The corpus is no entry: entries and the change log are untouched.
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t entries, store_->Count());
  EXPECT_EQ(entries, 0);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t seq, store_->LastSeq());
  EXPECT_EQ(seq, 0);
  // On disk: the source, and the hash sha256sum would print.
  EXPECT_EQ(RawQueryText(path_, "SELECT text_hash FROM corpus WHERE id = 1"), Sha256Hex("怎么退货"));
  EXPECT_EQ(RawQueryText(path_, "SELECT source FROM corpus WHERE id = 3"), "import");
}

TEST_F(EntryStoreTest, CorpusRejectsBadTextsAndStoresNothingOfTheCall) {
  struct BadCall {
    std::vector<std::string> texts;
    std::string source;
    std::string message;
  };
  const BadCall kCalls[] = {
      {{"好的", ""}, "import", "corpus text 1 is empty"},
      {{"好的", std::string("\xe9\x80", 2)}, "import", "corpus text 1"},
      {{"好的"}, "", "source is empty"},
  };
  for (const BadCall& call : kCalls) {
    SCOPED_TRACE(call.message);
    absl::StatusOr<CorpusAddOutcome> outcome = store_->AddCorpusTexts(call.texts, call.source);
    EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(outcome.status().message(), HasSubstr(call.message));
  }
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t size, store_->CorpusSize());
  EXPECT_EQ(size, 0);
  ZHIKU_ASSERT_OK_AND_ASSIGN(CorpusAddOutcome none, store_->AddCorpusTexts({}, "import"));
  EXPECT_EQ(none.stored + none.duplicates, 0);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t version, store_->CorpusVersion());
  EXPECT_EQ(version, 0);
}

TEST_F(EntryStoreTest, CorpusSurvivesReopenAndItsVersionNeverGoesBack) {
  ZHIKU_ASSERT_OK(store_->AddCorpusTexts({"a", "b", "c"}, "import"));
  Reopen();
  EXPECT_THAT(CorpusTexts(), ElementsAre("a", "b", "c"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t version, store_->CorpusVersion());
  EXPECT_EQ(version, 3);
  // Still deduplicated against what was stored before the reopen.
  ZHIKU_ASSERT_OK_AND_ASSIGN(CorpusAddOutcome again, store_->AddCorpusTexts({"b", "d"}, "import"));
  EXPECT_EQ(again.stored, 1);
  EXPECT_EQ(again.duplicates, 1);
  // Rows pruned behind the store's back do not move the version back.
  RawExec(path_, "DELETE FROM corpus");
  ZHIKU_ASSERT_OK_AND_ASSIGN(version, store_->CorpusVersion());
  EXPECT_EQ(version, 4);
  ZHIKU_ASSERT_OK(store_->AddCorpusTexts({"e"}, "import"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(version, store_->CorpusVersion());
  EXPECT_EQ(version, 5);
}

TEST_F(EntryStoreTest, ForEachCorpusTextReadsOneSnapshotAndStopsOnError) {
  ZHIKU_ASSERT_OK(store_->AddCorpusTexts({"a", "b", "c"}, "import"));
  std::vector<std::string> seen;
  absl::Status status = store_->ForEachCorpusText([&](absl::string_view text) {
    seen.emplace_back(text);
    // Writing from inside the callback works and is not seen by this read.
    EXPECT_TRUE(store_->AddCorpusTexts({absl::StrCat("added during ", text)}, "test").ok());
    return absl::OkStatus();
  });
  ZHIKU_EXPECT_OK(status);
  EXPECT_THAT(seen, ElementsAre("a", "b", "c"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t size, store_->CorpusSize());
  EXPECT_EQ(size, 6);

  int calls = 0;
  status = store_->ForEachCorpusText([&](absl::string_view) {
    return ++calls == 2 ? absl::CancelledError("enough") : absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(calls, 2);
}

// A zhiku.db written before the corpus existed: schema version 1 without the
// corpus table. It opens, keeps its entries and gets an empty corpus.
TEST(OpenSqliteEntryStore, StoreFromBeforeTheCorpusOpensWithAnEmptyCorpus) {
  testing::TempDir dir;
  const std::string path = dir.Sub("zhiku.db");
  std::string store_id;
  {
    ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<EntryStore> store, OpenSqliteEntryStore(path));
    ZHIKU_ASSERT_OK(store->Create(MakeEntry("a", "问题")));
    store_id = store->StoreId();
  }
  RawExec(path, "DROP TABLE corpus");
  ASSERT_EQ(RawQueryText(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'corpus'"), "0");

  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<EntryStore> store, OpenSqliteEntryStore(path));
  EXPECT_EQ(store->StoreId(), store_id);
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry entry, store->Get("a"));
  EXPECT_EQ(entry.question, "问题");
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t size, store->CorpusSize());
  EXPECT_EQ(size, 0);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t version, store->CorpusVersion());
  EXPECT_EQ(version, 0);
  ZHIKU_ASSERT_OK_AND_ASSIGN(CorpusAddOutcome added, store->AddCorpusTexts({"怎么退货"}, "import"));
  EXPECT_EQ(added.stored, 1);
  // The corpus table needed no schema bump; the vector columns moved it to 2.
  EXPECT_EQ(RawQueryText(path, "SELECT value FROM meta WHERE key = 'schema_version'"), "2");
}

// ---- Bring-your-own vectors

Entry WithVectors(Entry entry, std::vector<std::vector<float>> vectors) {
  entry.vectors = std::move(vectors);
  return entry;
}

TEST_F(EntryStoreTest, VectorsSurviveReopenBitForBit) {
  Entry entry = MakeEntry("a", "where is my card");
  entry.variants = {"card not here"};
  // Values whose decimal forms are long, tiny, huge and negative zero.
  entry.vectors = {{0.1f, -0.0f, 1e-38f}, {3.4028235e38f, 1.4e-45f, -0.33333334f}};
  ZHIKU_ASSERT_OK(store_->Create(entry));
  Reopen();
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry stored, store_->Get("a"));
  ASSERT_EQ(stored.vectors.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    for (size_t j = 0; j < 3; ++j) {
      EXPECT_EQ(std::memcmp(&stored.vectors[i][j], &entry.vectors[i][j], sizeof(float)), 0) << i << "," << j;
    }
  }
  // Compact: 2 vectors x 3 float32, and the dimension beside them.
  EXPECT_EQ(RawQueryText(path_, "SELECT length(vectors) FROM entries WHERE id = 'a'"), "24");
  EXPECT_EQ(RawQueryText(path_, "SELECT vector_dim FROM entries WHERE id = 'a'"), "3");
  // Little endian: 0.1f is 0x3DCCCCCD.
  EXPECT_EQ(RawQueryText(path_, "SELECT hex(substr(vectors, 1, 4)) FROM entries WHERE id = 'a'"), "CDCCCC3D");
  // List and ForEach read them too.
  ZHIKU_ASSERT_OK_AND_ASSIGN(ListEntriesResult page, store_->List({}));
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(page.entries[0].vectors, stored.vectors);
}

TEST_F(EntryStoreTest, EntryWithoutVectorsStoresNone) {
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("a", "q")));
  EXPECT_EQ(RawQueryText(path_, "SELECT typeof(vectors) FROM entries WHERE id = 'a'"), "null");
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry stored, store_->Get("a"));
  EXPECT_TRUE(stored.vectors.empty());
}

TEST_F(EntryStoreTest, FirstEntryWithVectorsSetsTheDimension) {
  ZHIKU_ASSERT_OK(store_->Create(WithVectors(MakeEntry("a", "q a"), {{1, 0, 0}})));
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("plain", "no vectors is fine")));
  absl::StatusOr<Entry> wrong = store_->Create(WithVectors(MakeEntry("b", "q b"), {{1, 0, 0, 0}}));
  ASSERT_EQ(wrong.status().code(), absl::StatusCode::kInvalidArgument) << wrong.status();
  EXPECT_THAT(wrong.status().message(), HasSubstr("entry 'b': vectors have dimension 4"));
  EXPECT_THAT(wrong.status().message(), HasSubstr("this knowledge base's vectors have dimension 3"));
  EXPECT_EQ(store_->Get("b").status().code(), absl::StatusCode::kNotFound);
  ZHIKU_ASSERT_OK(store_->Create(WithVectors(MakeEntry("b", "q b"), {{0, 1, 0}})));

  // Update is checked the same way, against the other entries.
  absl::StatusOr<Entry> update = store_->Update(WithVectors(MakeEntry("a", "q a"), {{1, 0}}), 0);
  EXPECT_EQ(update.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(update.status().message(), HasSubstr("vectors have dimension 2"));

  // Once no other entry has vectors, the dimension may change.
  ZHIKU_ASSERT_OK(store_->Delete("b", 0));
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry changed, store_->Update(WithVectors(MakeEntry("a", "q a"), {{1, 0}}), 0));
  EXPECT_EQ(changed.vectors, (std::vector<std::vector<float>>{{1, 0}}));
}

TEST_F(EntryStoreTest, UpsertBatchChecksTheDimensionAgainstEarlierEntriesOfTheBatch) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(
      std::vector<UpsertOutcome> outcomes,
      store_->UpsertBatch({WithVectors(MakeEntry("x", "q x"), {{1, 0}}), WithVectors(MakeEntry("y", "q y"), {{1, 0, 0}}),
                           MakeEntry("z", "q z"), WithVectors(MakeEntry("w", "q w"), {{0, 1}})}));
  ASSERT_EQ(outcomes.size(), 4u);
  ZHIKU_EXPECT_OK(outcomes[0].status);
  EXPECT_EQ(outcomes[1].status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(outcomes[1].status.message(), HasSubstr("dimension 3 but this knowledge base's vectors have dimension 2"));
  ZHIKU_EXPECT_OK(outcomes[2].status);
  ZHIKU_EXPECT_OK(outcomes[3].status);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t count, store_->Count());
  EXPECT_EQ(count, 3);
}

TEST_F(EntryStoreTest, UpsertBatchWithChangedVectorsOnlyIsANewVersion) {
  ZHIKU_ASSERT_OK(store_->UpsertBatch({WithVectors(MakeEntry("x", "q x"), {{1, 0}})}).status());
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<UpsertOutcome> same,
                             store_->UpsertBatch({WithVectors(MakeEntry("x", "q x"), {{1, 0}})}));
  EXPECT_EQ(same[0].entry.version, 1);
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<UpsertOutcome> changed,
                             store_->UpsertBatch({WithVectors(MakeEntry("x", "q x"), {{0, 1}})}));
  EXPECT_EQ(changed[0].entry.version, 2);
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry stored, store_->Get("x"));
  EXPECT_EQ(stored.vectors, (std::vector<std::vector<float>>{{0, 1}}));
}

TEST_F(EntryStoreTest, InvalidVectorsAreRejectedAndNothingIsStored) {
  absl::StatusOr<Entry> created = store_->Create(WithVectors(MakeEntry("a", "q"), {{1, 0}, {0, 1}}));
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(created.status().message(), HasSubstr("2 vectors given"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t count, store_->Count());
  EXPECT_EQ(count, 0);
}

TEST_F(EntryStoreTest, CorruptStoredVectorsAreDataLoss) {
  ZHIKU_ASSERT_OK(store_->Create(WithVectors(MakeEntry("a", "q"), {{1, 0, 0}})));
  RawExec(path_, "UPDATE entries SET vectors = x'0000' WHERE id = 'a'");
  absl::StatusOr<Entry> entry = store_->Get("a");
  EXPECT_EQ(entry.status().code(), absl::StatusCode::kDataLoss) << entry.status();
  EXPECT_THAT(entry.status().message(), HasSubstr("do not fit dimension 3"));
}

// A zhiku.db of schema version 1 (before vectors) as an older binary wrote
// it: it opens, keeps its entries, is migrated to version 2 and stores
// vectors from then on.
TEST(OpenSqliteEntryStore, VersionOneStoreIsMigratedAndKeepsItsEntries) {
  testing::TempDir dir;
  const std::string path = dir.Sub("zhiku.db");
  RawExec(path, R"sql(
    CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
    CREATE TABLE entries(id TEXT PRIMARY KEY NOT NULL, question TEXT NOT NULL, variants TEXT NOT NULL,
      answer TEXT NOT NULL, category TEXT NOT NULL, tags TEXT NOT NULL, locale TEXT NOT NULL,
      channel TEXT NOT NULL, created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL,
      version INTEGER NOT NULL);
    CREATE TABLE changes(seq INTEGER PRIMARY KEY AUTOINCREMENT, entry_id TEXT NOT NULL,
      deleted INTEGER NOT NULL, at_ms INTEGER NOT NULL);
    INSERT INTO meta VALUES('schema_version', '1'), ('store_id', '0123456789abcdef0123456789abcdef');
    INSERT INTO entries VALUES('old', '旧问题', '["变体"]', '答案', 'c', '["t"]', 'zh-CN', 'all', 1, 2, 3);
    INSERT INTO changes(entry_id, deleted, at_ms) VALUES('old', 0, 2);
  )sql");
  {
    ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<EntryStore> store, OpenSqliteEntryStore(path));
    EXPECT_EQ(store->StoreId(), "0123456789abcdef0123456789abcdef");
    ZHIKU_ASSERT_OK_AND_ASSIGN(Entry old, store->Get("old"));
    EXPECT_EQ(old.question, "旧问题");
    EXPECT_EQ(old.variants, std::vector<std::string>{"变体"});
    EXPECT_EQ(old.version, 3);
    EXPECT_TRUE(old.vectors.empty());
    ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t seq, store->LastSeq());
    EXPECT_EQ(seq, 1);
    old.vectors = {{0.5f, 0.5f}, {1, 0}};
    ZHIKU_ASSERT_OK(store->Update(old, 3));
  }
  EXPECT_EQ(RawQueryText(path, "SELECT value FROM meta WHERE key = 'schema_version'"), "2");
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<EntryStore> store, OpenSqliteEntryStore(path));
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry reread, store->Get("old"));
  EXPECT_EQ(reread.vectors, (std::vector<std::vector<float>>{{0.5f, 0.5f}, {1, 0}}));
  EXPECT_EQ(reread.version, 4);
}

}  // namespace
}  // namespace zhiku

namespace zhiku {
namespace {

std::vector<int64_t> VersionNumbers(const std::vector<EntryVersion>& versions) {
  std::vector<int64_t> out;
  for (const EntryVersion& v : versions) out.push_back(v.version);
  return out;
}

TEST_F(EntryStoreTest, EveryWriteIsAVersionWithAuthorReasonAndContent) {
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("pw", "How do I reset my password?"), {"key a (editor one)", "new FAQ"}));
  Entry changed = MakeEntry("pw", "How do I reset my password?");
  changed.answer = "Use the link on the sign-in page.";
  changed.variants = {"forgot password"};
  ZHIKU_ASSERT_OK(store_->Update(changed, 1, {"key b (editor two)", "clearer answer"}));
  Entry imported = changed;
  imported.tags = {"account"};
  ZHIKU_ASSERT_OK(store_->UpsertBatch({imported}, {"key c (importer)", "import"}));
  ZHIKU_ASSERT_OK(store_->UpsertBatch({imported}, {"key c (importer)", "import again"}));  // unchanged: no version

  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<EntryVersion> versions, store_->ListVersions("pw", 0, 10));
  ASSERT_EQ(VersionNumbers(versions), (std::vector<int64_t>{3, 2, 1}));
  EXPECT_EQ(versions[2].action, VersionAction::kCreate);
  EXPECT_EQ(versions[2].author, "key a (editor one)");
  EXPECT_EQ(versions[2].reason, "new FAQ");
  EXPECT_EQ(versions[1].action, VersionAction::kUpdate);
  EXPECT_EQ(versions[1].content.answer, "Use the link on the sign-in page.");
  EXPECT_EQ(versions[0].action, VersionAction::kImport);
  EXPECT_EQ(versions[0].content.tags, std::vector<std::string>{"account"});

  const std::vector<FieldChange> diff = DiffEntries(&versions[2].content, versions[1].content);
  ASSERT_EQ(diff.size(), 2u);
  EXPECT_EQ(diff[0].field, "variants");
  EXPECT_EQ(diff[0].added, std::vector<std::string>{"forgot password"});
  EXPECT_EQ(diff[1].field, "answer");
  EXPECT_EQ(diff[1].before, "answer to How do I reset my password?");

  // Paging: below version 3, one at a time.
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<EntryVersion> page, store_->ListVersions("pw", 3, 1));
  EXPECT_EQ(VersionNumbers(page), std::vector<int64_t>{2});
  EXPECT_EQ(store_->ListVersions("nope", 0, 10).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListVersions("pw", 0, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EntryStoreTest, RollbackRestoresTheExactEarlierContentAsANewVersion) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry v1, store_->Create(MakeEntry("ship", "How long does shipping take?")));
  Entry wrong = v1;
  wrong.answer = "Shipping is free forever.";  // the mistake
  wrong.variants = {"delivery time"};
  ZHIKU_ASSERT_OK(store_->Update(wrong, 1, {"key x (editor)", "promo"}));

  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry restored, store_->Rollback("ship", 1, 2, {"key y (lead)", "wrong promo text"}));
  EXPECT_EQ(restored.version, 3);
  EXPECT_EQ(restored.answer, v1.answer);
  EXPECT_EQ(restored.variants, v1.variants);
  EXPECT_EQ(restored.created_at_ms, v1.created_at_ms);
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry current, store_->Get("ship"));
  EXPECT_EQ(current, restored);
  ZHIKU_ASSERT_OK_AND_ASSIGN(EntryVersion three, store_->GetVersion("ship", 3));
  EXPECT_EQ(three.action, VersionAction::kRollback);
  EXPECT_EQ(three.rolled_back_to, 1);
  EXPECT_EQ(three.author, "key y (lead)");

  // A stale expected version loses nothing.
  EXPECT_EQ(store_->Rollback("ship", 2, 2, {}).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store_->Rollback("ship", 9, 0, {}).status().code(), absl::StatusCode::kNotFound);
  ZHIKU_ASSERT_OK_AND_ASSIGN(current, store_->Get("ship"));
  EXPECT_EQ(current.version, 3);
}

TEST_F(EntryStoreTest, DeletingKeepsHistoryAndRollbackBringsTheEntryBack) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry v1, store_->Create(MakeEntry("gone", "Do you ship abroad?")));
  ZHIKU_ASSERT_OK(store_->Delete("gone", 1, {"key d (editor)", "no longer true"}));
  EXPECT_EQ(store_->Get("gone").status().code(), absl::StatusCode::kNotFound);
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<EntryVersion> versions, store_->ListVersions("gone", 0, 10));
  ASSERT_EQ(VersionNumbers(versions), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(versions[0].action, VersionAction::kDelete);
  EXPECT_EQ(versions[0].content.question, "Do you ship abroad?");
  EXPECT_EQ(versions[0].reason, "no longer true");

  EXPECT_EQ(store_->Rollback("gone", 2, 0, {}).status().code(), absl::StatusCode::kInvalidArgument);
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry back, store_->Rollback("gone", 1, 2, {"key d (editor)", "it is true again"}));
  EXPECT_EQ(back.version, 3);
  EXPECT_EQ(back.question, v1.question);
  ZHIKU_ASSERT_OK(store_->Get("gone"));

  // Created again after a second delete: the numbers go on, history stays.
  ZHIKU_ASSERT_OK(store_->Delete("gone", 3));
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry again, store_->Create(MakeEntry("gone", "Do you ship to Macau?")));
  EXPECT_EQ(again.version, 5);
  ZHIKU_ASSERT_OK_AND_ASSIGN(versions, store_->ListVersions("gone", 0, 10));
  EXPECT_EQ(VersionNumbers(versions), (std::vector<int64_t>{5, 4, 3, 2, 1}));
}

TEST_F(EntryStoreTest, EntriesFromBeforeHistoryGetABaselineVersion) {
  ZHIKU_ASSERT_OK(store_->Create(MakeEntry("old", "An old question?")));
  // As if the entry had been written by a binary that kept no history.
  RawExec(path_, "DELETE FROM entry_versions");
  Reopen();
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::vector<EntryVersion> versions, store_->ListVersions("old", 0, 10));
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].action, VersionAction::kBaseline);
  Entry changed = MakeEntry("old", "An old question?");
  changed.answer = "new";
  ZHIKU_ASSERT_OK(store_->Update(changed, 1));
  ZHIKU_ASSERT_OK_AND_ASSIGN(versions, store_->ListVersions("old", 0, 10));
  ASSERT_EQ(VersionNumbers(versions), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(versions[1].action, VersionAction::kBaseline);
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry back, store_->Rollback("old", 1, 2, {}));
  EXPECT_EQ(back.answer, "answer to An old question?");
}

}  // namespace
}  // namespace zhiku
