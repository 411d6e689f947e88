#include "serve/request_body.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "data/utf8.h"
#include "serve/header_text.h"

namespace ngame {

namespace {

using json = nlohmann::json;

// Bodies nest an object, an array and (for labels) objects: anything deeper is not a request of ours.
constexpr int kMaxDepth = 16;

// Whether a Content-Type header names JSON: "application/json", any case, parameters (charset) allowed.
bool is_json_media_type(std::string_view type) {
  return equal_ignoring_case(trim_blanks(type.substr(0, type.find(';'))), "application/json");
}

// The body as a JSON object of at most max_values values. The values are counted as the parser meets them, so a
// body such as 8 MiB of "[]," (about 50 bytes of memory per 3 bytes of body once parsed) is refused before it is
// held whole.
json parse_object(std::string_view content_type, std::string_view body, size_t max_values, size_t max_bytes) {
  // Only JSON: a web page may send text/plain (or a form) to any address without asking first, so refusing those
  // keeps pages in a browser from posting to the server; a JSON body needs the CORS preflight, which it never passes.
  if (!is_json_media_type(content_type)) {
    throw ClientError(415, "request body must be JSON, sent with \"Content-Type: application/json\"");
  }
  // nlohmann's parser stops at a NUL byte: what follows would be ignored.
  if (body.find('\0') != std::string_view::npos) throw ClientError(400, "request body holds a NUL byte");
  // A chunked body is capped as sent, framing included: decoded, it may still pass the limit by a little.
  if (body.size() > max_bytes) {
    throw ClientError(413, "request body larger than " + std::to_string(max_bytes) + " bytes");
  }
  size_t values = 0;
  auto count = [&](int depth, json::parse_event_t event, json&) {
    if (depth > kMaxDepth) throw ClientError(400, "request body nests deeper than " + std::to_string(kMaxDepth));
    if (event == json::parse_event_t::value || event == json::parse_event_t::object_start ||
        event == json::parse_event_t::array_start) {
      if (++values > max_values) {
        throw ClientError(413, "request body holds more than " + std::to_string(max_values) + " JSON values");
      }
    }
    return true;
  };
  // nlohmann rejects malformed JSON and ill-formed UTF-8 inside strings.
  json parsed = json::parse(body.begin(), body.end(), count, false);
  if (parsed.is_discarded()) throw ClientError(400, "request body is not valid JSON (or not UTF-8)");
  if (!parsed.is_object()) throw ClientError(400, "request body must be a JSON object");
  return parsed;
}

// The length of the Unicode space character (U+00A0, U+1680, U+2000-U+200B, U+2028, U+2029, U+202F, U+205F,
// U+3000, U+FEFF) that text starts with at i, in bytes; 0 when there is none.
size_t unicode_space_at(std::string_view text, size_t i) {
  auto byte = [&](size_t j) { return j < text.size() ? static_cast<unsigned char>(text[j]) : 0u; };
  if (byte(i) == 0xC2 && byte(i + 1) == 0xA0) return 2;
  if (byte(i) == 0xE1 && byte(i + 1) == 0x9A && byte(i + 2) == 0x80) return 3;
  if (byte(i) == 0xE2 && byte(i + 1) == 0x80 &&
      (byte(i + 2) <= 0x8B || byte(i + 2) == 0xA8 || byte(i + 2) == 0xA9 || byte(i + 2) == 0xAF)) {
    return 3;
  }
  if (byte(i) == 0xE2 && byte(i + 1) == 0x81 && byte(i + 2) == 0x9F) return 3;
  if (byte(i) == 0xE3 && byte(i + 1) == 0x80 && byte(i + 2) == 0x80) return 3;
  if (byte(i) == 0xEF && byte(i + 1) == 0xBB && byte(i + 2) == 0xBF) return 3;
  return 0;
}

// A text from a request: a UTF-8 string with something other than spaces in it; control characters (line breaks,
// tabs, NUL) become spaces: texts are one line in ngame.
std::string request_text(const json& value, const std::string& where) {
  if (!value.is_string()) throw ClientError(400, where + " must be a string");
  std::string text = value.get<std::string>();
  if (find_invalid_utf8(text) != std::string::npos) throw ClientError(400, where + " is not valid UTF-8");
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  bool blank = true;
  for (size_t i = 0; i < text.size() && blank;) {
    if (text[i] == ' ') {
      ++i;
    } else if (const size_t n = unicode_space_at(text, i)) {
      i += n;
    } else {
      blank = false;
    }
  }
  if (blank) throw ClientError(400, where + " is empty");
  return text;
}

// The non-empty array `field` of a request body, of at most `limit` entries (413 above); `what` describes its
// entries in the error for a wrong type.
const json& request_array(const json& body, const std::string& field, const std::string& what, size_t limit) {
  if (!body.contains(field)) throw ClientError(400, "missing field \"" + field + "\"");
  const json& array = body[field];
  if (!array.is_array()) throw ClientError(400, "\"" + field + "\" must be an array of " + what);
  if (array.empty()) throw ClientError(400, "\"" + field + "\" is empty");
  if (array.size() > limit) throw ClientError(413, "at most " + std::to_string(limit) + " " + field + " a request");
  return array;
}

}  // namespace

PredictRequest parse_predict_request(std::string_view content_type, std::string_view body,
                                     const RequestLimits& limits) {
  // Room for one more text than allowed (so that the 413 names the text limit) and a few other fields.
  const json request = parse_object(content_type, body, 2 * limits.max_texts + 64, limits.max_body_bytes);
  const json& texts = request_array(request, "texts", "strings", limits.max_texts);
  PredictRequest parsed;
  if (request.contains("k")) {
    const json& k = request["k"];
    if (!k.is_number_integer()) throw ClientError(400, "\"k\" must be an integer");
    const int64_t value = k.get<int64_t>();
    if (value <= 0 || static_cast<uint64_t>(value) > limits.max_k) {
      throw ClientError(400, "\"k\" must be between 1 and " + std::to_string(limits.max_k));
    }
    parsed.k = static_cast<size_t>(value);
  }
  for (size_t i = 0; i < texts.size(); ++i) {
    parsed.texts.push_back(request_text(texts[i], "texts[" + std::to_string(i) + "]"));
  }
  return parsed;
}

TextCorpus parse_label_request(std::string_view content_type, std::string_view body, const RequestLimits& limits) {
  // A label is an object and its text: room for labels with a few more fields, and one label more than allowed.
  const json request = parse_object(content_type, body, 4 * limits.max_labels + 64, limits.max_body_bytes);
  const json& labels = request_array(request, "labels", "{\"text\": ...} objects", limits.max_labels);
  TextCorpus texts;
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string where = "labels[" + std::to_string(i) + "]";
    if (!labels[i].is_object()) throw ClientError(400, where + " must be an object with a \"text\"");
    if (!labels[i].contains("text")) throw ClientError(400, where + " has no \"text\"");
    texts.push_back(request_text(labels[i]["text"], where + ".text"));
  }
  return texts;
}

}  // namespace ngame
