# Scoring mined drafts against gold message labels (zhiku-ingest eval).
add_library(zhiku_mining_eval mining_eval.cc)
target_include_directories(zhiku_mining_eval PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(zhiku_mining_eval
  PUBLIC zhiku_index absl::flat_hash_map absl::status absl::statusor
  PRIVATE nlohmann_json::nlohmann_json absl::str_format
)
