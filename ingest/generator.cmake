# Synthetic chat logs recombined from real ones, for scale tests
# (zhiku-ingest generate).
add_library(zhiku_chat_generator chat_generator.cc)
target_include_directories(zhiku_chat_generator PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(zhiku_chat_generator PUBLIC zhiku_index absl::status absl::statusor absl::time)
