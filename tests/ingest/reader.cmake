find_package(ZLIB REQUIRED)
zhiku_test(log_reader_test log_reader_test.cc LIBS zhiku_ingest_reader ZLIB::ZLIB)
zhiku_test(question_extractor_test question_extractor_test.cc LIBS zhiku_ingest_reader)
