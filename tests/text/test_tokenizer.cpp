#include "text/tokenizer.h"

#include <gtest/gtest.h>

namespace ngame {
namespace {

std::vector<std::string> tokens(std::string_view text, size_t max = 0) {
  std::vector<std::string> out;
  tokenize(text, out, max);
  return out;
}

TEST(Tokenizer, LowercasesAndSplitsPunctuation) {
  EXPECT_EQ(tokens("Dog, domestic_dog: a member (Canis familiaris)!"),
            (std::vector<std::string>{"dog", "domestic", "dog", "a", "member", "canis", "familiaris"}));
  EXPECT_EQ(tokens("C++ v2.0 -- 3x faster"), (std::vector<std::string>{"c", "v2", "0", "3x", "faster"}));
  EXPECT_TRUE(tokens("  ,.;  ").empty());
}

TEST(Tokenizer, UnicodeLettersAndCase) {
  EXPECT_EQ(tokens("Café ÉCOLE Straße"), (std::vector<std::string>{"café", "école", "straße"}));
  EXPECT_EQ(tokens("ΑΘΗΝΑ Москва"), (std::vector<std::string>{"αθηνα", "москва"}));
  EXPECT_EQ(tokens("naïve—word"), (std::vector<std::string>{"naïve", "word"}));  // em dash splits
}

TEST(Tokenizer, MaxTokens) {
  EXPECT_EQ(tokens("a b c d e", 3), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace ngame
