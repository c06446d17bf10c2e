#include "service/knowledge_service.h"

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "index/chat_message.h"
#include "index/logging.h"
#include "index/pii_masker.h"
#include "index/status_macros.h"
#include "service/convert.h"
#include "service/search_service.h"
#include "service/status_util.h"

namespace zhiku {
namespace {

// One parsed, valid import line waiting for its batch to be stored.
struct PendingLine {
  int64_t line_number = 0;
  Entry entry;
};

class Importer {
 public:
  Importer(KnowledgeBase& kb, const RequestLimits& limits, WriteInfo info, v1::ImportEntriesResponse* response)
      : kb_(kb), limits_(limits), info_(std::move(info)), response_(response) {}

  absl::Status AddLine(int64_t line_number, const std::string& line) {
    response_->set_lines_received(response_->lines_received() + 1);
    if (absl::StripAsciiWhitespace(line).empty()) {
      response_->set_blank_lines(response_->blank_lines() + 1);
      return absl::OkStatus();
    }
    if (line.size() > limits_.max_import_line_bytes) {
      Fail(line_number, "", absl::StrCat("line is ", WithThousands(line.size()), " bytes; the limit is ",
                                         WithThousands(limits_.max_import_line_bytes)));
      return absl::OkStatus();
    }
    if (absl::Status utf8 = ValidateUtf8(line, "line"); !utf8.ok()) {
      Fail(line_number, "", std::string(utf8.message()));
      return absl::OkStatus();
    }
    absl::StatusOr<Entry> entry = EntryFromJsonLine(line);
    if (!entry.ok()) {
      Fail(line_number, "", std::string(entry.status().message()));
      return absl::OkStatus();
    }
    if (entry->id.empty()) {
      Fail(line_number, "", "\"id\" is missing; import upserts by id, so every line needs one");
      return absl::OkStatus();
    }
    if (absl::Status valid = ValidateEntry(*entry); !valid.ok()) {
      Fail(line_number, entry->id, std::string(valid.message()));
      return absl::OkStatus();
    }
    auto [it, inserted] = first_line_of_id_.try_emplace(entry->id, line_number);
    if (!inserted) {
      Fail(line_number, entry->id,
           absl::StrCat("duplicate id '", entry->id, "': line ", it->second, " has it already; this line is skipped"));
      return absl::OkStatus();
    }
    pending_.push_back({line_number, *std::move(entry)});
    if (pending_.size() >= static_cast<size_t>(KnowledgeServiceImpl::kImportBatch)) return Flush();
    return absl::OkStatus();
  }

  absl::Status Flush() {
    if (pending_.empty()) return absl::OkStatus();
    std::vector<Entry> entries;
    entries.reserve(pending_.size());
    for (PendingLine& line : pending_) entries.push_back(line.entry);
    ZHIKU_ASSIGN_OR_RETURN(std::vector<UpsertOutcome> outcomes, kb_.UpsertEntries(std::move(entries), info_));
    for (size_t i = 0; i < outcomes.size() && i < pending_.size(); ++i) {
      const UpsertOutcome& outcome = outcomes[i];
      if (!outcome.status.ok()) {
        Fail(pending_[i].line_number, pending_[i].entry.id, std::string(outcome.status.message()));
      } else if (outcome.created) {
        response_->set_created(response_->created() + 1);
      } else {
        response_->set_updated(response_->updated() + 1);
      }
    }
    pending_.clear();
    return absl::OkStatus();
  }

 private:
  void Fail(int64_t line_number, const std::string& id, std::string message) {
    response_->set_failed(response_->failed() + 1);
    if (response_->errors_size() >= KnowledgeServiceImpl::kMaxReportedErrors) return;
    v1::ImportError* error = response_->add_errors();
    error->set_line_number(line_number);
    error->set_id(id);
    error->set_message(std::move(message));
  }

  KnowledgeBase& kb_;
  const RequestLimits& limits_;
  const WriteInfo info_;
  v1::ImportEntriesResponse* response_;
  std::vector<PendingLine> pending_;
  absl::flat_hash_map<std::string, int64_t> first_line_of_id_;
};

// Whitespace chat exports leave around messages (the set CanonicalizeEntry
// trims from questions): ASCII, U+00A0, U+200B, U+3000, U+FEFF.
absl::string_view TrimChatText(absl::string_view text) {
  static constexpr absl::string_view kSpaces[] = {" ",  "\t", "\n", "\r", "\f", "\v", "\xC2\xA0", "\xE2\x80\x8B",
                                                  "\xE3\x80\x80", "\xEF\xBB\xBF"};
  bool changed = true;
  while (changed && !text.empty()) {
    changed = false;
    for (absl::string_view space : kSpaces) {
      if (absl::ConsumePrefix(&text, space)) changed = true;
      if (absl::ConsumeSuffix(&text, space)) changed = true;
    }
  }
  return text;
}

// ImportCorpus's counterpart of Importer: validates, filters and masks lines
// as they arrive and stores them in batches.
class CorpusImporter {
 public:
  CorpusImporter(KnowledgeBase& kb, const RequestLimits& limits, v1::ImportCorpusResponse* response)
      : kb_(kb), limits_(limits), response_(response) {}

  absl::Status AddLine(int64_t line_number, const std::string& line) {
    response_->set_lines_received(response_->lines_received() + 1);
    if (absl::StripAsciiWhitespace(line).empty()) {
      response_->set_blank_lines(response_->blank_lines() + 1);
      return absl::OkStatus();
    }
    if (line.size() > limits_.max_import_line_bytes) {
      Fail(line_number, "", absl::StrCat("line is ", WithThousands(line.size()), " bytes; the limit is ",
                                         WithThousands(limits_.max_import_line_bytes)));
      return absl::OkStatus();
    }
    if (absl::Status utf8 = ValidateUtf8(line, "line"); !utf8.ok()) {
      Fail(line_number, "", std::string(utf8.message()));
      return absl::OkStatus();
    }
    absl::StatusOr<ChatMessage> message = ChatMessageFromJsonLine(line);
    if (!message.ok()) {
      Fail(line_number, "", std::string(message.status().message()));
      return absl::OkStatus();
    }
    if (message->role != ChatRole::kCustomer) {
      response_->set_skipped_not_customer(response_->skipped_not_customer() + 1);
      return absl::OkStatus();
    }
    if (absl::Status size = CheckCorpusText(message->text, limits_); !size.ok()) {
      Fail(line_number, message->message_id, std::string(size.message()));
      return absl::OkStatus();
    }
    const absl::string_view text = TrimChatText(message->text);
    if (text.empty()) {
      response_->set_blank_lines(response_->blank_lines() + 1);
      return absl::OkStatus();
    }
    MaskResult masked = masker_.Mask(text);
    response_->set_masked_items(response_->masked_items() + masked.total());
    for (PiiType type : kAllPiiTypes) masked_by_type_[static_cast<int>(type)] += masked.count(type);
    pending_.push_back(std::move(masked.text));
    if (pending_.size() >= static_cast<size_t>(KnowledgeServiceImpl::kCorpusBatch)) return Flush();
    return absl::OkStatus();
  }

  absl::Status Flush() {
    if (pending_.empty()) return absl::OkStatus();
    ZHIKU_ASSIGN_OR_RETURN(CorpusAddOutcome outcome, kb_.AddCorpus(std::move(pending_), "import"));
    pending_.clear();
    response_->set_stored(response_->stored() + outcome.stored);
    response_->set_duplicates(response_->duplicates() + outcome.duplicates);
    return absl::OkStatus();
  }

  // One line for the operator: the counts, never any text.
  std::string Summary() const {
    std::string summary = absl::StrCat(
        "corpus import: ", response_->lines_received(), " lines, ", response_->stored(), " stored, ",
        response_->duplicates(), " duplicates, ", response_->skipped_not_customer(), " not customer, ",
        response_->blank_lines(), " blank, ", response_->failed(), " failed; masked ", response_->masked_items());
    for (PiiType type : kAllPiiTypes) {
      if (const int64_t n = masked_by_type_[static_cast<int>(type)]; n > 0) {
        absl::StrAppend(&summary, " ", PiiTypeName(type), "=", n);
      }
    }
    return summary;
  }

 private:
  void Fail(int64_t line_number, const std::string& message_id, std::string message) {
    response_->set_failed(response_->failed() + 1);
    if (response_->errors_size() >= KnowledgeServiceImpl::kMaxReportedErrors) return;
    v1::ImportError* error = response_->add_errors();
    error->set_line_number(line_number);
    error->set_id(message_id);
    error->set_message(std::move(message));
  }

  KnowledgeBase& kb_;
  const RequestLimits& limits_;
  v1::ImportCorpusResponse* response_;
  PiiMasker masker_;
  std::vector<std::string> pending_;
  std::array<int64_t, kPiiTypeCount> masked_by_type_ = {};
};

constexpr size_t kMaxReasonBytes = 1024;

std::string WithReason(const std::string& reason) {
  return reason.empty() ? "" : absl::StrCat(": ", reason);
}
constexpr int kDefaultVersionPage = 50;

absl::Status CheckWriteReason(const std::string& reason) {
  if (reason.size() > kMaxReasonBytes) {
    return absl::InvalidArgumentError(absl::StrCat("reason is ", WithThousands(reason.size()), " bytes; the limit is ",
                                                   WithThousands(kMaxReasonBytes)));
  }
  return ValidateUtf8(reason, "reason");
}

// `previous` is the version before `v` (nullptr for the first one).
void ToProto(const EntryVersion& v, const EntryVersion* previous, bool with_content, v1::EntryVersion* out) {
  out->set_entry_id(v.entry_id);
  out->set_version(v.version);
  out->set_action(static_cast<v1::VersionAction>(static_cast<int>(v.action)));
  out->set_author(v.author);
  out->set_reason(v.reason);
  out->set_time_ms(v.at_ms);
  out->set_rolled_back_to(v.rolled_back_to);
  if (with_content) ToProto(v.content, out->mutable_content());
  // A deletion changes nothing in the content; it is the action itself.
  if (v.action == VersionAction::kDelete) return;
  for (const FieldChange& change : DiffEntries(previous == nullptr ? nullptr : &previous->content, v.content)) {
    v1::FieldChange* c = out->add_changes();
    c->set_field(change.field);
    c->set_before(change.before);
    c->set_after(change.after);
    for (const std::string& a : change.added) c->add_added(a);
    for (const std::string& r : change.removed) c->add_removed(r);
  }
}

}  // namespace

grpc::Status KnowledgeServiceImpl::ListEntryVersions(grpc::ServerContext* context,
                                                     const v1::ListEntryVersionsRequest* request,
                                                     v1::ListEntryVersionsResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.KnowledgeService/ListEntryVersions");
  if (absl::Status s = CheckKnowledgeBase(request->knowledge_base()); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = ValidateEntryId(request->id(), limits_); !s.ok()) return ToGrpcStatus(s);
  const int page = request->page_size() == 0 ? kDefaultVersionPage : request->page_size();
  if (page < 1 || page > 1000) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("page_size is ", request->page_size(), "; it must be between 1 and 1000 (0 = 50)")));
  }
  if (request->before_version() < 0) {
    return ToGrpcStatus(absl::InvalidArgumentError("before_version must be >= 0 (0 = from the newest)"));
  }
  // One more than asked: the version before the last one shown, to diff it against.
  absl::StatusOr<std::vector<EntryVersion>> versions =
      kb_->ListEntryVersions(request->id(), request->before_version(), page + 1);
  if (!versions.ok()) return ToGrpcStatus(versions.status());
  const size_t shown = std::min<size_t>(versions->size(), static_cast<size_t>(page));
  for (size_t i = 0; i < shown; ++i) {
    const EntryVersion* previous = i + 1 < versions->size() ? &(*versions)[i + 1] : nullptr;
    ToProto((*versions)[i], previous, /*with_content=*/false, response->add_versions());
  }
  if (versions->size() > shown) response->set_next_before_version((*versions)[shown - 1].version);
  return grpc::Status::OK;
}

grpc::Status KnowledgeServiceImpl::GetEntryVersion(grpc::ServerContext* context,
                                                   const v1::GetEntryVersionRequest* request,
                                                   v1::EntryVersion* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.KnowledgeService/GetEntryVersion");
  if (absl::Status s = CheckKnowledgeBase(request->knowledge_base()); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = ValidateEntryId(request->id(), limits_); !s.ok()) return ToGrpcStatus(s);
  if (request->version() < 1) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("version is ", request->version(), "; versions start at 1")));
  }
  absl::StatusOr<EntryVersion> version = kb_->GetEntryVersion(request->id(), request->version());
  if (!version.ok()) return ToGrpcStatus(version.status());
  absl::StatusOr<std::vector<EntryVersion>> before = kb_->ListEntryVersions(request->id(), request->version(), 1);
  const EntryVersion* previous = before.ok() && !before->empty() ? &before->front() : nullptr;
  ToProto(*version, previous, /*with_content=*/true, response);
  return grpc::Status::OK;
}

grpc::Status KnowledgeServiceImpl::RollbackEntry(grpc::ServerContext* context, const v1::RollbackEntryRequest* request,
                                                 v1::Entry* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.KnowledgeService/RollbackEntry");
  if (absl::Status s = CheckKnowledgeBase(request->knowledge_base()); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = ValidateEntryId(request->id(), limits_); !s.ok()) return ToGrpcStatus(s);
  if (request->version() < 1) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("version is ", request->version(), "; pass the version to restore (from ListEntryVersions)")));
  }
  if (request->expected_version() < 0) {
    return ToGrpcStatus(absl::InvalidArgumentError("expected_version must be >= 0 (0 = any version)"));
  }
  if (absl::Status s = CheckWriteReason(request->reason()); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = CheckCallAlive(context); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<Entry> restored = kb_->RollbackEntry(request->id(), request->version(), request->expected_version(),
                                                      WriteInfo{caller.Actor(), request->reason()});
  if (!restored.ok()) return ToGrpcStatus(restored.status());
  ToProto(*restored, response);
  auth_.Record(caller, "entry.rollback", restored->id,
               absl::StrCat("v", restored->version, " = content of v", request->version(), WithReason(request->reason())));
  return grpc::Status::OK;
}

grpc::Status KnowledgeServiceImpl::CreateEntry(grpc::ServerContext* context, const v1::CreateEntryRequest* request,
                                               v1::Entry* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.KnowledgeService/CreateEntry");
  if (absl::Status s = CheckKnowledgeBase(request->knowledge_base()); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = CheckCallAlive(context); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = CheckWriteReason(request->reason()); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<Entry> created =
      kb_->CreateEntry(FromProto(request->entry()), WriteInfo{caller.Actor(), request->reason()});
  if (!created.ok()) return ToGrpcStatus(created.status());
  ToProto(*created, response);
  auth_.Record(caller, "entry.create", created->id, absl::StrCat("v", created->version, WithReason(request->reason())));
  return grpc::Status::OK;
}

grpc::Status KnowledgeServiceImpl::GetEntry(grpc::ServerContext* context, const v1::GetEntryRequest* request,
                                            v1::Entry* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.KnowledgeService/GetEntry");
  if (absl::Status s = CheckKnowledgeBase(request->knowledge_base()); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = ValidateEntryId(request->id(), limits_); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<Entry> entry = kb_->GetEntry(request->id());
  if (!entry.ok()) return ToGrpcStatus(entry.status());
  ToProto(*entry, response);
  return grpc::Status::OK;
}

grpc::Status KnowledgeServiceImpl::UpdateEntry(grpc::ServerContext* context, const v1::UpdateEntryRequest* request,
                                               v1::Entry* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.KnowledgeService/UpdateEntry");
  if (absl::Status s = CheckKnowledgeBase(request->knowledge_base()); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = ValidateEntryId(request->entry().id(), limits_); !s.ok()) return ToGrpcStatus(s);
  if (request->expected_version() < 0) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("expected_version is ", request->expected_version(), "; it must be >= 0 (0 = any version)")));
  }
  if (absl::Status s = CheckCallAlive(context); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = CheckWriteReason(request->reason()); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<Entry> updated = kb_->UpdateEntry(FromProto(request->entry()), request->expected_version(),
                                                   WriteInfo{caller.Actor(), request->reason()});
  if (!updated.ok()) return ToGrpcStatus(updated.status());
  ToProto(*updated, response);
  auth_.Record(caller, "entry.update", updated->id, absl::StrCat("v", updated->version, WithReason(request->reason())));
  return grpc::Status::OK;
}

grpc::Status KnowledgeServiceImpl::DeleteEntry(grpc::ServerContext* context, const v1::DeleteEntryRequest* request,
                                               v1::DeleteEntryResponse*) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.KnowledgeService/DeleteEntry");
  if (absl::Status s = CheckKnowledgeBase(request->knowledge_base()); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = ValidateEntryId(request->id(), limits_); !s.ok()) return ToGrpcStatus(s);
  if (request->expected_version() < 0) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("expected_version is ", request->expected_version(), "; it must be >= 0 (0 = any version)")));
  }
  if (absl::Status s = CheckCallAlive(context); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = CheckWriteReason(request->reason()); !s.ok()) return ToGrpcStatus(s);
  absl::Status deleted =
      kb_->DeleteEntry(request->id(), request->expected_version(), WriteInfo{caller.Actor(), request->reason()});
  if (deleted.ok()) auth_.Record(caller, "entry.delete", request->id(), request->reason());
  return ToGrpcStatus(deleted);
}

grpc::Status KnowledgeServiceImpl::ListEntries(grpc::ServerContext* context, const v1::ListEntriesRequest* request,
                                               v1::ListEntriesResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.KnowledgeService/ListEntries");
  absl::StatusOr<ListEntriesRequest> parsed = ParseListEntriesRequest(*request, limits_);
  if (!parsed.ok()) return ToGrpcStatus(parsed.status());
  absl::StatusOr<ListEntriesResult> result = kb_->ListEntries(*parsed);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (const Entry& entry : result->entries) ToProto(entry, response->add_entries());
  response->set_next_page_token(MakeListPageToken(result->next_after_id));
  return grpc::Status::OK;
}

grpc::Status KnowledgeServiceImpl::ImportEntries(grpc::ServerContext* context,
                                                 grpc::ServerReader<v1::ImportEntriesRequest>* reader,
                                                 v1::ImportEntriesResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.KnowledgeService/ImportEntries");
  Importer importer(*kb_, limits_, WriteInfo{caller.Actor(), "import"}, response);
  v1::ImportEntriesRequest request;
  int64_t message_count = 0;
  bool wait_until_searchable = false;
  while (reader->Read(&request)) {
    ++message_count;
    if (message_count == 1) {
      if (absl::Status s = CheckKnowledgeBase(request.knowledge_base()); !s.ok()) return ToGrpcStatus(s);
      wait_until_searchable = request.wait_until_searchable();
    }
    if (message_count % 64 == 0) {
      if (absl::Status s = CheckCallAlive(context); !s.ok()) {
        // Keep what was validated so far: the client may not see the reply,
        // but every stored line stays a consistent upsert.
        (void)importer.Flush();
        return ToGrpcStatus(s);
      }
    }
    const int64_t line_number = request.line_number() > 0 ? request.line_number() : message_count;
    if (absl::Status s = importer.AddLine(line_number, request.jsonl_line()); !s.ok()) return ToGrpcStatus(s);
  }
  if (absl::Status s = importer.Flush(); !s.ok()) return ToGrpcStatus(s);
  auth_.Record(caller, "entries.import", "",
               absl::StrCat(response->lines_received(), " lines: ", response->created(), " created, ",
                            response->updated(), " updated, ", response->failed(), " failed"));
  if (wait_until_searchable) {
    // Bounded by the call's deadline too: a client that cannot wait longer
    // still gets its counts.
    absl::Duration wait = kMaxSearchableWait;
    if (context->deadline() != std::chrono::system_clock::time_point::max()) {
      wait = std::min(wait, absl::FromChrono(context->deadline()) - absl::Now() - absl::Milliseconds(100));
    }
    response->set_searchable(wait > absl::ZeroDuration() && kb_->WaitUntilSearchable(wait).ok());
  }
  return grpc::Status::OK;
}

grpc::Status KnowledgeServiceImpl::ImportCorpus(grpc::ServerContext* context,
                                                grpc::ServerReader<v1::ImportCorpusRequest>* reader,
                                                v1::ImportCorpusResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.KnowledgeService/ImportCorpus");
  CorpusImporter importer(*kb_, limits_, response);
  v1::ImportCorpusRequest request;
  int64_t message_count = 0;
  bool retrain = false;
  while (reader->Read(&request)) {
    ++message_count;
    if (message_count == 1) {
      if (absl::Status s = CheckKnowledgeBase(request.knowledge_base()); !s.ok()) return ToGrpcStatus(s);
      retrain = request.retrain();
    }
    if (message_count % 64 == 0) {
      if (absl::Status s = CheckCallAlive(context); !s.ok()) {
        (void)importer.Flush();  // what was masked so far is kept, as in ImportEntries
        return ToGrpcStatus(s);
      }
    }
    const int64_t line_number = request.line_number() > 0 ? request.line_number() : message_count;
    if (absl::Status s = importer.AddLine(line_number, request.jsonl_line()); !s.ok()) return ToGrpcStatus(s);
  }
  if (absl::Status s = importer.Flush(); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<int64_t> size = kb_->CorpusSize();
  if (!size.ok()) return ToGrpcStatus(size.status());
  response->set_corpus_size(*size);
  Log(LogLevel::kInfo, "knowledge_service", importer.Summary());
  auth_.Record(caller, "corpus.import", "", importer.Summary());
  // A changed corpus is picked up by the next scheduled retrain anyway;
  // `retrain` skips the wait for the minimum interval between trainings.
  if (retrain) kb_->RequestRetrain();
  return grpc::Status::OK;
}

grpc::Status KnowledgeServiceImpl::ExportEntries(grpc::ServerContext* context, const v1::ExportEntriesRequest* request,
                                                 grpc::ServerWriter<v1::ExportEntriesResponse>* writer) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.KnowledgeService/ExportEntries");
  if (absl::Status s = CheckKnowledgeBase(request->knowledge_base()); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<Filters> filters = ParseFilters(request->filters(), limits_);
  if (!filters.ok()) return ToGrpcStatus(filters.status());
  // Page through the store rather than holding one read open while a slow
  // client drains the stream: writers are never held up by an export.
  ListEntriesRequest page;
  page.filters = *std::move(filters);
  page.limit = kExportBatch;
  absl::Status status;
  while (true) {
    if (status = CheckCallAlive(context); !status.ok()) break;
    absl::StatusOr<ListEntriesResult> result = kb_->ListEntries(page);
    if (!result.ok()) {
      status = result.status();
      break;
    }
    v1::ExportEntriesResponse batch;
    size_t batch_bytes = 0;
    bool written = true;
    for (const Entry& entry : result->entries) {
      v1::Entry proto;
      ToProto(entry, &proto);
      const size_t bytes = proto.ByteSizeLong();
      if (batch.entries_size() > 0 && batch_bytes + bytes > kExportMessageBytes) {
        if (!(written = writer->Write(batch))) break;
        batch.Clear();
        batch_bytes = 0;
      }
      *batch.add_entries() = std::move(proto);
      batch_bytes += bytes;
    }
    if (written && batch.entries_size() > 0) written = writer->Write(batch);
    if (!written) {
      status = absl::CancelledError("the client stopped reading the export");
      break;
    }
    if (result->next_after_id.empty()) break;
    page.after_id = result->next_after_id;
  }
  return ToGrpcStatus(status);
}

grpc::Status KnowledgeServiceImpl::GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                                             v1::KnowledgeBaseStatus* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.KnowledgeService/GetStatus");
  if (absl::Status s = CheckKnowledgeBase(request->knowledge_base()); !s.ok()) return ToGrpcStatus(s);
  constexpr int kMaxWaitMs = 600000;
  if (request->wait_for_model_ms() < 0 || request->wait_for_model_ms() > kMaxWaitMs) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "wait_for_model_ms is ", request->wait_for_model_ms(), "; it must be between 0 and ", kMaxWaitMs)));
  }
  if (request->wait_for_model_ms() > 0) {
    absl::Duration wait = absl::Milliseconds(request->wait_for_model_ms());
    // Never wait past the client's deadline.
    const absl::Duration left = absl::FromChrono(context->deadline()) - absl::Now();
    if (left < wait) wait = std::max(absl::ZeroDuration(), left - absl::Milliseconds(50));
    if (absl::Status s = kb_->WaitUntilModelCurrent(wait); !s.ok()) return ToGrpcStatus(s);
  }
  const KnowledgeBaseStats stats = kb_->Stats();
  response->set_entries(stats.entries);
  response->set_store_seq(stats.store_seq);
  response->set_searchable_seq(stats.searchable_seq);
  response->set_model_version(stats.model_version);
  response->set_model_seq(stats.model_seq);
  response->set_training(stats.training);
  response->set_vector_note(stats.vector_note);
  response->set_model_corpus_texts(stats.model_corpus_texts);
  response->set_default_semantic_ratio(stats.default_semantic_ratio);
  response->set_semantic_ratio_calibrated(stats.semantic_ratio_calibrated);
  response->set_vector_base_vectors(stats.vector_base_size);
  response->set_vector_delta_vectors(stats.vector_delta_size);
  response->set_calibrated(stats.calibrated);
  response->set_calibration_ece(stats.calibration_ece);
  response->set_calibration_positives(stats.calibration_positives);
  response->set_calibration_negatives(stats.calibration_negatives);
  response->set_calibration_top1(stats.calibration_top1);
  response->set_calibration_note(stats.calibration_note);
  response->set_answer_confidence(stats.answer_confidence);
  response->set_calibration_precision(stats.calibration_precision);
  response->set_calibration_answer_rate(stats.calibration_answer_rate);
  absl::StatusOr<int64_t> corpus = kb_->CorpusSize();
  if (!corpus.ok()) return ToGrpcStatus(corpus.status());
  response->set_corpus_texts(*corpus);
  return grpc::Status::OK;
}

}  // namespace zhiku
