# Clustering questions into drafts, coverage against a running server, and
# the zhiku-ingest command line.
add_library(zhiku_miner miner.cc coverage.cc server_embedder.cc)
target_include_directories(zhiku_miner PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(zhiku_miner PUBLIC zhiku_ingest_reader zhiku_index zhiku_proto zhiku_client gRPC::grpc++ absl::time)

add_executable(zhiku-ingest zhiku_ingest.cc)
target_link_libraries(zhiku-ingest PRIVATE zhiku_miner zhiku_mining_eval zhiku_chat_generator zhiku_service
  absl::flags absl::flags_parse absl::flags_usage nlohmann_json::nlohmann_json)
