// Fuzz target: the server's request bodies (POST /v1/predict and /v1/labels), parsed as the server parses them.
// Bad bytes must give a ClientError with a 4xx status, nothing else; what is accepted must be texts the model takes
// (non-empty, valid UTF-8, one line each) within the limits.
#include <string_view>

#include "data/utf8.h"
#include "serve/request_body.h"

namespace {

void check_texts(const ngame::TextCorpus& texts, size_t limit) {
  if (texts.size() == 0 || texts.size() > limit) __builtin_trap();
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string_view text = texts[i];
    if (text.find_first_not_of(' ') == std::string_view::npos) __builtin_trap();
    if (text.find('\n') != std::string_view::npos || ngame::find_invalid_utf8(text) != std::string_view::npos) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  ngame::RequestLimits limits;
  limits.max_texts = 50;  // small limits, so that inputs reach them
  limits.max_labels = 50;
  limits.max_k = 100;
  try {
    const ngame::PredictRequest request = ngame::parse_predict_request("application/json", body, limits);
    check_texts(request.texts, limits.max_texts);
    if (request.k == 0 || request.k > limits.max_k) __builtin_trap();
  } catch (const ngame::ClientError& e) {
    if (e.status < 400 || e.status > 499) __builtin_trap();
  }
  try {
    check_texts(ngame::parse_label_request("application/json", body, limits), limits.max_labels);
  } catch (const ngame::ClientError& e) {
    if (e.status < 400 || e.status > 499) __builtin_trap();
  }
  return 0;
}
