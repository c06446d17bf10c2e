zhiku_test(miner_test miner_test.cc LIBS zhiku_miner)
zhiku_test(ingest_binary_test ingest_binary_test.cc LIBS zhiku_service zhiku_mining_eval zhiku_miner)
# The binary test runs zhiku-ingest; build it first.
add_dependencies(ingest_binary_test zhiku-ingest)
