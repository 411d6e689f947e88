// Request bodies: what parses, and the status of every refusal, including bodies refused while they are parsed
// (too many values, too deep) before they are held whole.
#include "serve/request_body.h"

#include <gtest/gtest.h>

#include <string>

namespace ngame {
namespace {

constexpr const char* kJson = "application/json";

// The status of the ClientError parsing `body` gives (0: none).
template <typename Parse>
int status_of(Parse parse) {
  try {
    parse();
  } catch (const ClientError& e) {
    return e.status;
  }
  return 0;
}

TEST(RequestBody, PredictRequestsParse) {
  const PredictRequest r =
      parse_predict_request("application/json; charset=utf-8", R"({"texts": ["a b", "line\nbreak"], "k": 3})", {});
  ASSERT_EQ(r.texts.size(), 2u);
  EXPECT_EQ(r.texts[0], "a b");
  EXPECT_EQ(r.texts[1], "line break");
  EXPECT_EQ(parse_predict_request(kJson, R"({"texts": ["a\u0000b\u001fc"]})", {}).texts[0], "a b c");
  EXPECT_EQ(r.k, 3u);
  EXPECT_EQ(parse_predict_request(kJson, R"({"texts": ["x"]})", {}).k, 10u);
}

TEST(RequestBody, LabelRequestsParse) {
  const TextCorpus texts = parse_label_request(kJson, R"({"labels": [{"text": "orbit"}, {"text": "sauce", "x": 1}]})", {});
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[1], "sauce");
}

TEST(RequestBody, EachMistakeHasItsStatus) {
  RequestLimits limits;
  limits.max_texts = 2;
  limits.max_k = 5;
  limits.max_labels = 2;
  auto predict = [&](const std::string& body, const char* type = kJson) {
    return status_of([&] { parse_predict_request(type, body, limits); });
  };
  auto labels = [&](const std::string& body) { return status_of([&] { parse_label_request(kJson, body, limits); }); };
  EXPECT_EQ(predict(R"({"texts": ["a"]})", "text/plain"), 415);
  EXPECT_EQ(predict(R"({"texts": ["a"]})", ""), 415);
  EXPECT_EQ(predict(R"({"texts": ["a")"), 400);
  EXPECT_EQ(predict(R"(["a"])"), 400);
  EXPECT_EQ(predict(R"({"texts": ["a", "b", "c"]})"), 413);
  EXPECT_EQ(predict(R"({"texts": ["a"], "k": 6})"), 400);
  EXPECT_EQ(predict(R"({"texts": ["a"], "k": 18446744073709551615})"), 400);
  EXPECT_EQ(predict(R"({"texts": ["a"], "k": 1e3})"), 400);
  EXPECT_EQ(predict("{\"texts\": [\"a\xff\"]}"), 400);
  EXPECT_EQ(predict(R"({"texts": [" \t "]})"), 400);
  EXPECT_EQ(labels(R"({"labels": [{"text": "a"}, {"text": "b"}, {"text": "c"}]})"), 413);
  EXPECT_EQ(labels(R"({"labels": [{"name": "a"}]})"), 400);
  EXPECT_EQ(labels(R"({"labels": ["a"]})"), 400);
  EXPECT_EQ(labels(R"({"labels": [{"text": ""}]})"), 400);
  // Blank in any script, or only control characters; a NUL byte after the JSON.
  for (const char* blank : {R"({"texts": ["\u0000"]})", R"({"texts": ["\u000b\u000c"]})", R"({"texts": ["\u00a0"]})",
                            R"({"texts": [" \u3000\ufeff\u2003 "]})"}) {
    EXPECT_EQ(predict(blank), 400) << blank;
  }
  EXPECT_EQ(predict(std::string(R"({"texts": ["a"]})") + '\0'), 400);
  EXPECT_EQ(predict(R"({"texts": ["\u00a0x\u0000y"]})"), 0);  // not blank: kept, the NUL as a space
  limits.max_body_bytes = 20;
  EXPECT_EQ(predict(R"({"texts": ["abcdefghijk"]})"), 413);
}

TEST(RequestBody, ManySmallValuesAreRefusedWhileParsing) {
  // 3 bytes a value: what is refused here would take about 50 bytes of memory a value if it were held.
  std::string body = R"({"texts": ["a"], "junk": [)";
  for (int i = 0; i < 100000; ++i) body += "[],";
  body += "[]]}";
  EXPECT_EQ(status_of([&] { parse_predict_request(kJson, body, {}); }), 413);
  EXPECT_EQ(status_of([&] { parse_label_request(kJson, body, {}); }), 413);
  // Texts over the limit are named as such, not as values.
  std::string texts = R"({"texts": [)";
  for (int i = 0; i < 1001; ++i) texts += std::string(i ? "," : "") + "\"t\"";
  texts += "]}";
  try {
    parse_predict_request(kJson, texts, {});
    FAIL() << "1,001 texts accepted";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.status, 413);
    EXPECT_NE(std::string(e.what()).find("at most 1000 texts"), std::string::npos) << e.what();
  }
}

TEST(RequestBody, DeepNestingIsRefused) {
  const std::string deep = R"({"texts": ["a"], "x": )" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(status_of([&] { parse_predict_request(kJson, deep, {}); }), 400);
  const std::string fine = R"({"texts": ["a"], "x": [[[[1]]]]})";
  EXPECT_EQ(status_of([&] { parse_predict_request(kJson, fine, {}); }), 0);
}

}  // namespace
}  // namespace ngame
