#include "index/sha256.h"

#include <string>

#include "gtest/gtest.h"

namespace zhiku {
namespace {

TEST(Sha256, MatchesTheFipsExamplesAndSha256sum) {
  struct Case {
    std::string input;
    const char* hex;
  };
  const Case kCases[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      // 56 bytes: the length no longer fits in the first block.
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      // Exactly one block of data, and a multi-block input.
      {std::string(64, 'a'), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
      {std::string(1000000, 'a'), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
      // UTF-8 text as the corpus stores it (printf 退货 | sha256sum).
      {"退货", "28ea9851fa65ab4d1b3d144d6ae773d6319f664da745dc040d56bc2cdb783b91"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.input.substr(0, 60));
    EXPECT_EQ(Sha256Hex(c.input), c.hex);
  }
}

}  // namespace
}  // namespace zhiku
