// zhiku.v1.KnowledgeService: entry management and JSONL import/export.
#ifndef ZHIKU_SERVICE_KNOWLEDGE_SERVICE_H_
#define ZHIKU_SERVICE_KNOWLEDGE_SERVICE_H_

#include "index/knowledge_base.h"
#include "service/auth.h"
#include "service/validation.h"
#include "zhiku/v1/knowledge.grpc.pb.h"

namespace zhiku {

class KnowledgeServiceImpl final : public v1::KnowledgeService::Service {
 public:
  // `kb` must outlive the service.
  KnowledgeServiceImpl(KnowledgeBase* kb, RequestLimits limits, const Authorizer* auth)
      : kb_(kb), limits_(limits), auth_(*auth) {}

  grpc::Status CreateEntry(grpc::ServerContext* context, const v1::CreateEntryRequest* request,
                           v1::Entry* response) override;
  grpc::Status GetEntry(grpc::ServerContext* context, const v1::GetEntryRequest* request,
                        v1::Entry* response) override;
  grpc::Status UpdateEntry(grpc::ServerContext* context, const v1::UpdateEntryRequest* request,
                           v1::Entry* response) override;
  grpc::Status DeleteEntry(grpc::ServerContext* context, const v1::DeleteEntryRequest* request,
                           v1::DeleteEntryResponse* response) override;
  grpc::Status ListEntries(grpc::ServerContext* context, const v1::ListEntriesRequest* request,
                           v1::ListEntriesResponse* response) override;
  // Lines are parsed and validated as they arrive and stored in batches of
  // kImportBatch (one transaction each). The first occurrence of an id wins;
  // later lines with the same id are reported. If the call is cancelled or
  // its deadline passes, batches already stored stay stored.
  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::KnowledgeBaseStatus* response) override;
  grpc::Status ListEntryVersions(grpc::ServerContext* context, const v1::ListEntryVersionsRequest* request,
                                 v1::ListEntryVersionsResponse* response) override;
  grpc::Status GetEntryVersion(grpc::ServerContext* context, const v1::GetEntryVersionRequest* request,
                               v1::EntryVersion* response) override;
  grpc::Status RollbackEntry(grpc::ServerContext* context, const v1::RollbackEntryRequest* request,
                             v1::Entry* response) override;
  grpc::Status ImportEntries(grpc::ServerContext* context,
                             grpc::ServerReader<v1::ImportEntriesRequest>* reader,
                             v1::ImportEntriesResponse* response) override;
  grpc::Status ExportEntries(grpc::ServerContext* context, const v1::ExportEntriesRequest* request,
                             grpc::ServerWriter<v1::ExportEntriesResponse>* writer) override;
  // Chat-log JSONL lines in, masked customer messages into the corpus. Each
  // line is counted once: blank (an empty line, or a customer message whose
  // text is only whitespace), skipped_not_customer (a valid message of
  // another role), failed (over limits.max_import_line_bytes, not UTF-8, not
  // a chat message, or a customer text over limits.max_corpus_text_bytes;
  // the first kMaxReportedErrors come back with line numbers and, once
  // parsed, the message_id), or masked with PiiMasker, trimmed and added in
  // batches of kCorpusBatch (one transaction each; duplicates, of the corpus
  // or of earlier lines, are counted and not stored twice). masked_items
  // counts the placeholders put into this import's customer messages,
  // duplicates included. If the call is cancelled or its deadline passes,
  // batches already stored stay stored.
  grpc::Status ImportCorpus(grpc::ServerContext* context, grpc::ServerReader<v1::ImportCorpusRequest>* reader,
                            v1::ImportCorpusResponse* response) override;

  static constexpr int kImportBatch = 500;
  static constexpr int kCorpusBatch = 1000;
  static constexpr int kMaxReportedErrors = 100;
  static constexpr int kExportBatch = 100;
  // An export message holds at most kExportBatch entries and, past its first
  // entry, at most this many bytes: entries with their own vectors can be
  // large, and clients receive 4 MiB per message by default.
  static constexpr size_t kExportMessageBytes = 1 << 20;
  static constexpr absl::Duration kMaxSearchableWait = absl::Seconds(60);

 private:
  KnowledgeBase* const kb_;
  const RequestLimits limits_;
  const Authorizer& auth_;
};

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_KNOWLEDGE_SERVICE_H_
