#pragma once
// Header values as HTTP compares them: blanks around a value do not count, nor letter case in tokens.
#include <algorithm>
#include <cctype>
#include <string_view>

namespace ngame {

/// value without the spaces and tabs around it.
inline std::string_view trim_blanks(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

/// a == b, ignoring ASCII letter case.
inline bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace ngame
