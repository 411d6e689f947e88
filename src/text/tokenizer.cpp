#include "text/tokenizer.h"

#include <locale.h>
#include <wctype.h>

#include <cstdint>

namespace ngame {

namespace {

// A locale object used only through the *_l functions: no global locale change, safe across threads.
locale_t unicode_locale() {
  static locale_t loc = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    return l ? l : newlocale(LC_CTYPE_MASK, "C", static_cast<locale_t>(nullptr));
  }();
  return loc;
}

// Decodes one code point at text[i] (input is valid UTF-8 or treated bytewise when not), advancing i.
uint32_t next_code_point(std::string_view text, size_t& i) {
  auto c = static_cast<unsigned char>(text[i]);
  size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
  if (i + len > text.size()) len = 1;
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t j = 1; j < len; ++j) cp = (cp << 6) | (static_cast<unsigned char>(text[i + j]) & 0x3F);
  i += len;
  return cp;
}

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

void tokenize(std::string_view text, std::vector<std::string>& out, size_t max_tokens) {
  locale_t loc = unicode_locale();
  std::string current;
  size_t emitted = 0;
  auto flush = [&] {
    if (!current.empty()) {
      out.push_back(std::move(current));
      current.clear();
      ++emitted;
    }
  };
  size_t i = 0;
  while (i < text.size()) {
    if (max_tokens && emitted >= max_tokens) return;
    uint32_t cp = next_code_point(text, i);
    bool word_char;
    if (cp < 0x80) {
      word_char = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
      if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    } else {
      word_char = iswalnum_l(static_cast<wint_t>(cp), loc) != 0;
      if (word_char) cp = static_cast<uint32_t>(towlower_l(static_cast<wint_t>(cp), loc));
    }
    if (word_char) {
      append_utf8(cp, current);
    } else {
      flush();
    }
  }
  if (!max_tokens || emitted < max_tokens) flush();
}

}  // namespace ngame
