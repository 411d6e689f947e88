#pragma once
// Lower-case, Unicode-aware word tokenizer: tokens are maximal runs of letters and digits (glibc's Unicode
// tables through the C.UTF-8 locale); punctuation and symbols split tokens and are dropped.
#include <string>
#include <string_view>
#include <vector>

namespace ngame {

/// Appends the lower-cased tokens of a UTF-8 text to out (at most max_tokens; 0 = no limit).
void tokenize(std::string_view text, std::vector<std::string>& out, size_t max_tokens = 0);

}  // namespace ngame
