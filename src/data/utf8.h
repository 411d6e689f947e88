#pragma once
// UTF-8 validation and Latin-1 conversion for text inputs.
#include <cstddef>
#include <string>
#include <string_view>

namespace ngame {

/// Byte offset of the first invalid UTF-8 sequence in text (overlong forms and surrogates are invalid), or npos.
size_t find_invalid_utf8(std::string_view text);
/// Converts Latin-1 (ISO-8859-1) bytes to UTF-8, appending to out.
void append_latin1_as_utf8(std::string_view latin1, std::string& out);

}  // namespace ngame
