// The miner's embedder over gRPC: texts go to a zhiku-server's
// SearchService.Embed, so that chat questions are grouped by the same model
// the server's vector leg uses (trained on its knowledge base and imported
// chats).
#ifndef ZHIKU_INGEST_SERVER_EMBEDDER_H_
#define ZHIKU_INGEST_SERVER_EMBEDDER_H_

#include <string>

#include "absl/time/time.h"
#include "ingest/miner.h"

namespace zhiku {

struct ServerEmbedderOptions {
  std::string server;          // HOST:PORT
  std::string api_key;         // sent with every call; "" = none
  std::string knowledge_base;  // "" = the default one
  absl::Duration deadline = absl::Seconds(30);  // per Embed call
};

// A TextEmbedder calling Embed once per batch (the miner sends at most
// MinerOptions::embed_batch texts, within the server's 1,000 per call).
// Errors say which server and what to do: Unavailable when it cannot be
// reached, FailedPrecondition while it has no trained model; every batch
// must come from one model version (FailedPrecondition if the server swapped
// models mid-run: run again).
TextEmbedder ServerEmbedder(const ServerEmbedderOptions& options);

}  // namespace zhiku

#endif  // ZHIKU_INGEST_SERVER_EMBEDDER_H_
