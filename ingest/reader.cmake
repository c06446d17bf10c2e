# Reading chat logs (JSONL, conversation JSONL, CSV; gzip or not) and
# extracting the question sentences of customer messages.
find_package(ZLIB REQUIRED)
add_library(zhiku_ingest_reader log_reader.cc question_extractor.cc)
target_include_directories(zhiku_ingest_reader PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(zhiku_ingest_reader
  PUBLIC zhiku_index
  PRIVATE ZLIB::ZLIB nlohmann_json::nlohmann_json
)
