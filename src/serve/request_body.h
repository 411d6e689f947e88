#pragma once
// The server's request bodies, parsed and checked without any HTTP machinery (so that they can be fuzzed): JSON
// only, of a bounded number of values and depth (counted while parsing, so a body of many tiny values is refused
// before it is held whole), with non-empty UTF-8 texts. Every problem is a ClientError with its status.
#include <cstddef>
#include <string_view>

#include "data/text_corpus.h"
#include "serve/client_error.h"

namespace ngame {

/// What one request may ask.
struct RequestLimits {
  size_t max_texts = 1000;    ///< texts per prediction request (413 above)
  size_t max_k = 1000;        ///< largest k (400 above)
  size_t max_labels = 10000;  ///< labels per addition request (413 above)
  size_t max_body_bytes = 8u << 20;  ///< body bytes, decoded (413 above)
};

/// POST /v1/predict: the texts to predict and how many labels each.
struct PredictRequest {
  TextCorpus texts;
  size_t k = 10;
};

/// Parses {"texts": ["...", ...], "k": K} sent with content_type; ClientError 400, 413 or 415 otherwise.
PredictRequest parse_predict_request(std::string_view content_type, std::string_view body, const RequestLimits& limits);
/// Parses {"labels": [{"text": "..."}, ...]} sent with content_type; ClientError 400, 413 or 415 otherwise.
TextCorpus parse_label_request(std::string_view content_type, std::string_view body, const RequestLimits& limits);

}  // namespace ngame
