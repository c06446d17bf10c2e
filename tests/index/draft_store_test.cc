#include "index/draft_store.h"

#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/draft.h"
#include "index/entry_store.h"
#include "index/text_normalizer.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// SQL on the database file behind the stores' backs.
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

std::string RawQueryText(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  std::string value;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
    if (const unsigned char* text = sqlite3_column_text(stmt, 0); text != nullptr) {
      value = reinterpret_cast<const char*>(text);
    }
  } else {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

Draft MakeDraft(const std::string& id, const std::string& question, std::vector<std::string> conversations,
                std::vector<std::string> messages = {}) {
  Draft d;
  d.draft_id = id;
  d.question = question;
  d.answer = "answer of " + question;
  if (messages.empty()) {
    for (const std::string& c : conversations) messages.push_back(c + "-m1");
  }
  d.frequency = static_cast<int64_t>(conversations.size());
  d.conversation_ids = std::move(conversations);
  d.message_ids = std::move(messages);
  return d;
}

std::vector<std::string> Ids(const std::vector<StoredDraft>& drafts) {
  std::vector<std::string> ids;
  for (const StoredDraft& d : drafts) ids.push_back(d.draft.draft_id);
  return ids;
}

class DraftStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ZHIKU_ASSERT_OK_AND_ASSIGN(normalizer_, TextNormalizer::Create());
    Reopen();
  }

  void Reopen() {
    store_.reset();
    ZHIKU_ASSERT_OK_AND_ASSIGN(store_, OpenSqliteDraftStore(path_, normalizer_.get()));
  }

  SubmitDraftsResult Submit(std::vector<Draft> drafts) {
    absl::StatusOr<SubmitDraftsResult> result = store_->Submit(std::move(drafts));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.value_or(SubmitDraftsResult{});
  }

  StoredDraft Get(const std::string& id) {
    absl::StatusOr<StoredDraft> draft = store_->Get(id);
    EXPECT_TRUE(draft.ok()) << draft.status();
    return draft.value_or(StoredDraft{});
  }

  testing::TempDir dir_;
  const std::string path_ = dir_.Sub("zhiku.db");
  std::unique_ptr<TextNormalizer> normalizer_;
  std::unique_ptr<DraftStore> store_;
};

TEST_F(DraftStoreTest, NewDraftIsStoredWithItsEvidenceAsNew) {
  Draft d = MakeDraft("d-1", "怎么退货", {"c1", "c2"}, {"m1", "m2", "m3"});
  d.variants = {"退货流程", "退货流程", "  ", "怎么退货"};  // repeats, blank, the question
  d.answer_alternatives = {"alt", "alt"};
  d.covered_by = "returns-how-to";
  d.covered_score = 0.8;
  d.first_seen = "2024-01-02T00:00:00Z";
  d.last_seen = "2024-01-09T00:00:00Z";
  d.trend = 1.5;
  SubmitDraftsResult result = Submit({d});
  EXPECT_EQ(result.created, 1);
  EXPECT_EQ(result.merged, 0);
  ASSERT_EQ(result.outcomes.size(), 1u);
  EXPECT_EQ(result.outcomes[0].draft_id, "d-1");
  EXPECT_EQ(result.outcomes[0].kind, SubmitOutcomeKind::kCreated);

  Reopen();  // durable
  StoredDraft stored = Get("d-1");
  EXPECT_EQ(stored.status, DraftStatus::kNew);
  EXPECT_EQ(stored.runs, 1);
  EXPECT_EQ(stored.draft.question, "怎么退货");
  EXPECT_THAT(stored.draft.variants, ElementsAre("退货流程"));
  EXPECT_THAT(stored.draft.answer_alternatives, ElementsAre("alt"));
  EXPECT_THAT(stored.draft.message_ids, ElementsAre("m1", "m2", "m3"));
  EXPECT_THAT(stored.draft.conversation_ids, ElementsAre("c1", "c2"));
  EXPECT_EQ(stored.draft.frequency, 2);
  EXPECT_EQ(stored.message_count, 3);
  EXPECT_EQ(stored.draft.covered_by, "returns-how-to");
  EXPECT_DOUBLE_EQ(stored.draft.covered_score, 0.8);
  EXPECT_DOUBLE_EQ(stored.draft.trend, 1.5);
  EXPECT_GT(stored.created_at_ms, 0);
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t count, store_->Count());
  EXPECT_EQ(count, 1);
}

TEST_F(DraftStoreTest, SameIdMergesEvidenceAndFrequencyAddsUpAcrossNewLogs) {
  Draft first = MakeDraft("d-1", "怎么退货", {"c1", "c2"});
  first.first_seen = "2024-01-05";
  first.last_seen = "2024-01-06";
  Submit({first});
  Draft second = MakeDraft("d-1", "怎么退货", {"c2", "c3", "c4"});  // c2 seen before
  second.first_seen = "2024-01-01";
  second.last_seen = "2024-01-04";
  second.answer = "another answer";
  second.conflicting_answers = true;
  second.trend = 2;
  SubmitDraftsResult result = Submit({second});
  EXPECT_EQ(result.created, 0);
  EXPECT_EQ(result.merged, 1);
  EXPECT_EQ(result.outcomes[0].kind, SubmitOutcomeKind::kMerged);

  StoredDraft stored = Get("d-1");
  EXPECT_EQ(stored.draft.frequency, 4);  // c1..c4, not 2 + 3
  EXPECT_THAT(stored.draft.conversation_ids, ElementsAre("c1", "c2", "c3", "c4"));
  EXPECT_THAT(stored.draft.message_ids, ElementsAre("c1-m1", "c2-m1", "c3-m1", "c4-m1"));
  EXPECT_EQ(stored.draft.first_seen, "2024-01-01");
  EXPECT_EQ(stored.draft.last_seen, "2024-01-06");
  EXPECT_EQ(stored.draft.answer, "answer of 怎么退货");
  EXPECT_THAT(stored.draft.answer_alternatives, ElementsAre("another answer"));
  EXPECT_TRUE(stored.draft.conflicting_answers);
  EXPECT_DOUBLE_EQ(stored.draft.trend, 2);
  EXPECT_EQ(stored.runs, 2);
}

TEST_F(DraftStoreTest, SubmittingTheSameFileTwiceDoesNotDoubleTheFrequency) {
  const std::vector<Draft> file = {MakeDraft("d-1", "怎么退货", {"c1", "c2", "c3"}),
                                   MakeDraft("d-2", "运费多少", {"c4"})};
  Submit(file);
  SubmitDraftsResult again = Submit(file);
  EXPECT_EQ(again.created, 0);
  EXPECT_EQ(again.merged, 2);
  EXPECT_EQ(Get("d-1").draft.frequency, 3);
  EXPECT_EQ(Get("d-1").message_count, 3);
  EXPECT_EQ(Get("d-2").draft.frequency, 1);
  EXPECT_EQ(Get("d-1").runs, 2);
}

TEST_F(DraftStoreTest, TraditionalPhrasingOfAnotherRunMergesIntoTheSimplifiedDraft) {
  Submit({MakeDraft("d-simplified", "怎么申请退货？", {"c1"})});
  // Another run's cluster got another id and a Traditional, full-width
  // representative question; its index form is the same.
  Draft traditional = MakeDraft("d-traditional", "怎麼申請退貨?", {"c2"});
  traditional.variants = {"退貨要多久"};
  SubmitDraftsResult result = Submit({traditional});
  EXPECT_EQ(result.merged, 1);
  ASSERT_EQ(result.outcomes.size(), 1u);
  EXPECT_EQ(result.outcomes[0].draft_id, "d-simplified");
  EXPECT_TRUE(absl::IsNotFound(store_->Get("d-traditional").status()));
  StoredDraft stored = Get("d-simplified");
  EXPECT_EQ(stored.draft.frequency, 2);
  // The same phrasing in the other script is not a new variant; the new one is.
  EXPECT_THAT(stored.draft.variants, ElementsAre("退貨要多久"));
}

TEST_F(DraftStoreTest, AVariantMatchesAnotherDraftsQuestionAndViceVersa) {
  Draft a = MakeDraft("d-a", "运费怎么算", {"c1"});
  a.variants = {"包邮吗"};
  Submit({a});
  // Matches through the stored variant.
  SubmitDraftsResult result = Submit({MakeDraft("d-b", "包郵嗎", {"c2"})});
  EXPECT_EQ(result.outcomes[0].draft_id, "d-a");
  // Matches through a submitted variant equal to the stored question.
  Draft c = MakeDraft("d-c", "邮费多少", {"c3"});
  c.variants = {"運費怎麼算"};
  result = Submit({c});
  EXPECT_EQ(result.outcomes[0].draft_id, "d-a");
  EXPECT_EQ(Get("d-a").draft.frequency, 3);
  EXPECT_THAT(Get("d-a").draft.variants, ElementsAre("包邮吗", "邮费多少"));
}

TEST_F(DraftStoreTest, UnrelatedQuestionsStaySeparateDrafts) {
  SubmitDraftsResult result =
      Submit({MakeDraft("d-1", "怎么退货", {"c1"}), MakeDraft("d-2", "怎么换货", {"c2"})});
  EXPECT_EQ(result.created, 2);
  EXPECT_EQ(Get("d-1").draft.frequency, 1);
}

TEST_F(DraftStoreTest, DraftsOfOneBatchMergeWithEachOther) {
  SubmitDraftsResult result =
      Submit({MakeDraft("d-1", "怎么退货", {"c1"}), MakeDraft("d-2", "怎麼退貨", {"c2"})});
  EXPECT_EQ(result.created, 1);
  EXPECT_EQ(result.merged, 1);
  EXPECT_EQ(result.outcomes[1].draft_id, "d-1");
  EXPECT_EQ(Get("d-1").draft.frequency, 2);
}

TEST_F(DraftStoreTest, RejectedDraftStaysRejectedAcrossResubmitAndIsCountedSuppressed) {
  Submit({MakeDraft("d-1", "你们是机器人吗", {"c1"})});
  ZHIKU_ASSERT_OK_AND_ASSIGN(StoredDraft rejected, store_->Reject("d-1", "chit-chat"));
  EXPECT_EQ(rejected.status, DraftStatus::kRejected);
  // A later run mines it again, by id and by phrasing.
  SubmitDraftsResult result =
      Submit({MakeDraft("d-1", "你们是机器人吗", {"c2"}), MakeDraft("d-other", "你們是機器人嗎", {"c3"})});
  EXPECT_EQ(result.suppressed, 2);
  EXPECT_EQ(result.merged, 0);
  EXPECT_EQ(result.created, 0);
  EXPECT_EQ(result.outcomes[1].kind, SubmitOutcomeKind::kSuppressed);
  EXPECT_EQ(result.outcomes[1].status, DraftStatus::kRejected);
  StoredDraft stored = Get("d-1");
  EXPECT_EQ(stored.status, DraftStatus::kRejected);
  EXPECT_EQ(stored.reject_reason, "chit-chat");
  EXPECT_EQ(stored.draft.frequency, 3);  // evidence still kept
  // Not listed by default.
  ZHIKU_ASSERT_OK_AND_ASSIGN(ListDraftsResult page, store_->List({}));
  EXPECT_TRUE(page.drafts.empty());
}

TEST_F(DraftStoreTest, RejectTwiceIsFineAndUnknownIdIsNotFound) {
  Submit({MakeDraft("d-1", "q", {"c1"})});
  ZHIKU_ASSERT_OK(store_->Reject("d-1", "first"));
  ZHIKU_ASSERT_OK(store_->Reject("d-1", ""));  // keeps the reason
  EXPECT_EQ(Get("d-1").reject_reason, "first");
  ZHIKU_ASSERT_OK(store_->Reject("d-1", "second"));
  EXPECT_EQ(Get("d-1").reject_reason, "second");
  absl::StatusOr<StoredDraft> missing = store_->Reject("d-404", "x");
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_THAT(missing.status().message(), HasSubstr("d-404"));
}

TEST_F(DraftStoreTest, TwentyThousandEvidenceIdsAreKeptAndListSamplesThem) {
  std::vector<std::string> conversations, messages;
  for (int i = 0; i < 20000; ++i) {
    conversations.push_back(absl::StrCat("c", i));
    messages.push_back(absl::StrCat("m", i));
  }
  Submit({MakeDraft("d-big", "发票怎么开", conversations, messages)});
  StoredDraft stored = Get("d-big");
  EXPECT_EQ(stored.draft.frequency, 20000);
  ASSERT_EQ(stored.draft.message_ids.size(), 20000u);
  EXPECT_EQ(stored.draft.message_ids[19999], "m19999");
  ZHIKU_ASSERT_OK_AND_ASSIGN(ListDraftsResult page, store_->List({}));
  ASSERT_EQ(page.drafts.size(), 1u);
  EXPECT_EQ(page.drafts[0].message_count, 20000);
  EXPECT_EQ(page.drafts[0].draft.message_ids.size(), kDraftEvidenceSample);
  EXPECT_EQ(page.drafts[0].draft.message_ids[0], "m0");
}

TEST_F(DraftStoreTest, VariantsAndAlternativesAreCapped) {
  Draft d = MakeDraft("d-1", "q", {"c1"});
  for (int i = 0; i < 30; ++i) d.variants.push_back(absl::StrCat("variant ", i));
  for (int i = 0; i < 8; ++i) d.answer_alternatives.push_back(absl::StrCat("alt ", i));
  Submit({d});
  StoredDraft stored = Get("d-1");
  EXPECT_EQ(stored.draft.variants.size(), kMaxStoredDraftVariants);
  EXPECT_EQ(stored.draft.answer_alternatives.size(), kMaxStoredAnswerAlternatives);
  // A phrasing beyond the cap still matches a later submission.
  SubmitDraftsResult result = Submit({MakeDraft("d-2", "variant 29", {"c2"})});
  EXPECT_EQ(result.outcomes[0].draft_id, "d-1");
}

TEST_F(DraftStoreTest, EmptyAnswerIsFilledByALaterSubmission) {
  Draft d = MakeDraft("d-1", "q", {"c1"});
  d.answer.clear();
  Submit({d});
  Draft later = MakeDraft("d-1", "q", {"c2"});
  later.answer = "now answered";
  Submit({later});
  EXPECT_EQ(Get("d-1").draft.answer, "now answered");
  EXPECT_TRUE(Get("d-1").draft.answer_alternatives.empty());
}

TEST_F(DraftStoreTest, CoverageAndTrendComeFromTheNewestSubmission) {
  Draft d = MakeDraft("d-1", "q", {"c1"});
  d.covered_by = "e-1";
  d.covered_score = 0.9;
  d.trend = 3;
  Submit({d});
  Draft later = MakeDraft("d-1", "q", {"c1"});
  later.trend = 0.5;  // no longer covered
  Submit({later});
  StoredDraft stored = Get("d-1");
  EXPECT_FALSE(stored.draft.covered_by.has_value());
  EXPECT_DOUBLE_EQ(stored.draft.trend, 0.5);
}

TEST_F(DraftStoreTest, EmptyIdIsDerivedFromTheQuestionsIndexForm) {
  SubmitDraftsResult a = Submit({MakeDraft("", "怎么退货", {"c1"})});
  ASSERT_EQ(a.outcomes.size(), 1u);
  EXPECT_THAT(a.outcomes[0].draft_id, ::testing::MatchesRegex("d-[0-9a-f]{16}"));
  // The Traditional spelling derives the same id and so merges.
  SubmitDraftsResult b = Submit({MakeDraft("", "怎麼退貨", {"c2"})});
  EXPECT_EQ(b.outcomes[0].draft_id, a.outcomes[0].draft_id);
  EXPECT_EQ(b.merged, 1);
}

TEST_F(DraftStoreTest, DraftWithoutConversationsKeepsTheLargestSubmittedFrequency) {
  Draft d = MakeDraft("d-1", "q", {});
  d.frequency = 7;
  Submit({d});
  d.frequency = 5;
  Submit({d});
  EXPECT_EQ(Get("d-1").draft.frequency, 7);
}

TEST_F(DraftStoreTest, InvalidDraftStoresNothingAndNamesItsIndex) {
  absl::StatusOr<SubmitDraftsResult> result =
      store_->Submit({MakeDraft("d-1", "ok", {"c1"}), MakeDraft("d-2", " \u3000", {"c2"})});
  EXPECT_TRUE(absl::IsInvalidArgument(result.status())) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr("drafts[1].question is empty"));
  result = store_->Submit({MakeDraft("d-3", "q", {"c1", std::string("\xff")}, {"m1", "m2"})});
  EXPECT_TRUE(absl::IsInvalidArgument(result.status())) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr("drafts[0].conversation_ids[1]"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t count, store_->Count());
  EXPECT_EQ(count, 0);
}

// ---- List

class DraftListTest : public DraftStoreTest {
 protected:
  void SetUp() override {
    DraftStoreTest::SetUp();
    Draft a = MakeDraft("d-a", "问题一", {"c1", "c2", "c3"});
    a.last_seen = "2024-01-01";
    a.trend = 0.5;
    Draft b = MakeDraft("d-b", "问题二", {"c1"});
    b.last_seen = "2024-03-01";
    b.trend = 2;
    b.covered_by = "e-1";
    Draft c = MakeDraft("d-c", "问题三", {"c1", "c2"});
    c.last_seen = "2024-02-01";
    c.trend = 1;
    Draft d = MakeDraft("d-d", "问题四", {"c1", "c2"});
    d.last_seen = "2024-02-01";
    d.trend = 1;
    Draft e = MakeDraft("d-e", "问题五", {"c1", "c2", "c3", "c4"});
    Submit({a, b, c, d, e});
    ZHIKU_ASSERT_OK(store_->Reject("d-e", "noise"));
  }

  std::vector<std::string> ListIds(ListDraftsRequest request) {
    absl::StatusOr<ListDraftsResult> page = store_->List(request);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? Ids(page->drafts) : std::vector<std::string>{};
  }
};

TEST_F(DraftListTest, DefaultIsAwaitingReviewByFrequencyThenId) {
  EXPECT_THAT(ListIds({}), ElementsAre("d-a", "d-c", "d-d", "d-b"));
}

TEST_F(DraftListTest, SortsByLastSeenAndTrend) {
  ListDraftsRequest request;
  request.sort = DraftSortKey::kLastSeen;
  EXPECT_THAT(ListIds(request), ElementsAre("d-b", "d-c", "d-d", "d-a"));
  request.sort = DraftSortKey::kTrend;
  EXPECT_THAT(ListIds(request), ElementsAre("d-b", "d-c", "d-d", "d-a"));
}

TEST_F(DraftListTest, FiltersByStatusAndCoverage) {
  ListDraftsRequest request;
  request.statuses = {DraftStatus::kRejected};
  EXPECT_THAT(ListIds(request), ElementsAre("d-e"));
  request.statuses = {DraftStatus::kNew, DraftStatus::kRejected};
  EXPECT_THAT(ListIds(request), ElementsAre("d-e", "d-a", "d-c", "d-d", "d-b"));
  request = {};
  request.coverage = CoverageFilter::kCovered;
  EXPECT_THAT(ListIds(request), ElementsAre("d-b"));
  request.coverage = CoverageFilter::kUncovered;
  EXPECT_THAT(ListIds(request), ElementsAre("d-a", "d-c", "d-d"));
}

TEST_F(DraftListTest, PagesContinueAfterTheCursorWithTiesBrokenById) {
  for (DraftSortKey sort : {DraftSortKey::kFrequency, DraftSortKey::kLastSeen, DraftSortKey::kTrend}) {
    ListDraftsRequest request;
    request.sort = sort;
    const std::vector<std::string> all = ListIds(request);
    request.limit = 1;
    std::vector<std::string> paged;
    for (int pages = 0; pages < 10; ++pages) {
      ZHIKU_ASSERT_OK_AND_ASSIGN(ListDraftsResult page, store_->List(request));
      for (const StoredDraft& d : page.drafts) paged.push_back(d.draft.draft_id);
      if (!page.next.has_value()) break;
      request.after = page.next;
    }
    EXPECT_EQ(paged, all) << static_cast<int>(sort);
  }
}

TEST_F(DraftListTest, BadLimitOrNoStatusesIsInvalidArgument) {
  ListDraftsRequest request;
  request.limit = 1001;
  EXPECT_TRUE(absl::IsInvalidArgument(store_->List(request).status()));
  request.limit = 10;
  request.statuses.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(store_->List(request).status()));
}

// ---- Schema

// A zhiku.db written before drafts existed (schema version 2, no draft
// tables): both stores open it, its entries are intact, drafts work, and
// the schema version does not move (the tables are additive).
TEST(OpenSqliteDraftStore, DatabaseFromBeforeDraftsGetsEmptyDraftTables) {
  testing::TempDir dir;
  const std::string path = dir.Sub("zhiku.db");
  {
    ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<EntryStore> entries, OpenSqliteEntryStore(path));
    Entry entry;
    entry.id = "e-1";
    entry.question = "旧问题";
    ZHIKU_ASSERT_OK(entries->Create(entry));
  }
  RawExec(path,
          "DROP TABLE drafts; DROP TABLE draft_phrasings; DROP TABLE draft_messages; "
          "DROP TABLE draft_conversations;");
  ASSERT_EQ(RawQueryText(path, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'draft%'"), "0");
  ASSERT_EQ(RawQueryText(path, "SELECT value FROM meta WHERE key = 'schema_version'"), "2");

  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer, TextNormalizer::Create());
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<DraftStore> drafts, OpenSqliteDraftStore(path, normalizer.get()));
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t count, drafts->Count());
  EXPECT_EQ(count, 0);
  ZHIKU_ASSERT_OK(drafts->Submit({MakeDraft("d-1", "新问题", {"c1"})}));
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<EntryStore> entries, OpenSqliteEntryStore(path));
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry old, entries->Get("e-1"));
  EXPECT_EQ(old.question, "旧问题");
  EXPECT_EQ(RawQueryText(path, "SELECT value FROM meta WHERE key = 'schema_version'"), "2");
  EXPECT_EQ(RawQueryText(path, "SELECT count(*) FROM draft_conversations"), "1");
}

TEST(OpenSqliteDraftStore, ForeignSqliteFileIsDataLoss) {
  testing::TempDir dir;
  const std::string path = dir.Sub("zhiku.db");
  RawExec(path, "CREATE TABLE users(name TEXT)");
  ZHIKU_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TextNormalizer> normalizer, TextNormalizer::Create());
  absl::StatusOr<std::unique_ptr<DraftStore>> store = OpenSqliteDraftStore(path, normalizer.get());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
}

}  // namespace
}  // namespace zhiku
