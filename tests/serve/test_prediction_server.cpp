// `ngame serve` on an ephemeral port: predictions equal `ngame predict`, live label addition survives restarts,
// kill -9 and a full disk, every class of bad request gets its 4xx, label additions need the API key (or a
// loopback-only server), SIGTERM drains and exits 0.
#include "serve/prediction_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "model/label_log.h"
#include "model/label_log_io.h"
#include "label_log_faults.h"
#include "test_util.h"

namespace ngame {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::TempDir;

// One small trained model (topic dataset) shared by the tests; each test serves its own copy.
class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new TempDir;
    models_ = new TempDir;
    testing::write_topic_dataset(*data_);
    auto r = testing::run_ngame("train " + data_->str() + " -o " + models_->file("model") + testing::kSmallModel);
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete data_;
    delete models_;
  }
  // A fresh copy of the trained model.
  std::string model_copy() {
    const std::string dir = work_.file("model");
    fs::copy(models_->file("model"), dir, fs::copy_options::recursive);
    return dir;
  }
  static TempDir* data_;
  static TempDir* models_;
  TempDir work_;
};
TempDir* ServeTest::data_ = nullptr;
TempDir* ServeTest::models_ = nullptr;

// The server in this process, on an ephemeral port, serving on a background thread.
struct InProcessServer {
  PredictionServer server;
  int port;
  std::thread thread;
  explicit InProcessServer(const std::string& dir, ServerConfig config = {})
      : server(dir, with_any_port(config)), port(server.bind()), thread([this] { server.run(); }) {}
  ~InProcessServer() { stop(); }
  void stop() {
    if (thread.joinable()) {
      server.stop();
      thread.join();
    }
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    return c;
  }
  static ServerConfig with_any_port(ServerConfig c) {
    c.port = 0;
    c.threads = 2;
    return c;
  }
};

// `ngame serve` as a child process; the port is read from its first line of output.
struct ServerProcess {
  pid_t pid = -1;
  int port = -1;
  std::string banner;  // the first line of its output
  explicit ServerProcess(const std::string& dir, const std::string& extra = "") {
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid = fork();
    if (pid == 0) {
      dup2(out[1], 1);
      close(out[0]);
      const std::string cmd = std::string("exec ") + NGAME_BINARY + " serve " + dir + " --port 0 --quiet " + extra;
      execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    close(out[0]);
    banner = line;
    const size_t colon = line.rfind(':');
    if (line.find("listening on") != std::string::npos && colon != std::string::npos) port = std::stoi(line.substr(colon + 1));
  }
  ~ServerProcess() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  // Sends sig and returns the exit status (or 128 + signal).
  int signal_and_wait(int sig) {
    kill(pid, sig);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    return c;
  }
};

json post(httplib::Client& c, const std::string& path, const std::string& body, int expect_status) {
  auto res = c.Post(path, body, "application/json");
  EXPECT_TRUE(res) << path << ": no response";
  if (!res) return json();
  EXPECT_EQ(res->status, expect_status) << path << " " << body << " -> " << res->body;
  json j = json::parse(res->body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << res->body;
  return j;
}

std::vector<uint32_t> top_ids(const json& predictions_row) {
  std::vector<uint32_t> ids;
  for (const auto& p : predictions_row) ids.push_back(p["id"].get<uint32_t>());
  return ids;
}

TEST_F(ServeTest, PredictEqualsCliPredict) {
  const std::string dir = model_copy();
  auto r = testing::run_ngame("predict " + dir + " --input " + data_->file("tst_X.txt") + " -k 4 --format jsonl -o " +
                              work_.file("pred.jsonl") + " --quiet --threads 1");
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<json> expected;
  std::istringstream lines(testing::read_bytes(work_.file("pred.jsonl")));
  for (std::string line; std::getline(lines, line);) expected.push_back(json::parse(line));
  TextCorpus texts = read_text_file(data_->file("tst_X.txt"));
  ASSERT_EQ(expected.size(), texts.size());
  InProcessServer server(dir);
  auto client = server.client();
  json request = {{"texts", json::array()}, {"k", 4}};
  for (size_t i = 0; i < texts.size(); ++i) request["texts"].push_back(std::string(texts[i]));
  json got = post(client, "/v1/predict", request.dump(), 200);
  ASSERT_EQ(got["predictions"].size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const json& want = expected[i]["labels"];
    const json& have = got["predictions"][i];
    ASSERT_EQ(have.size(), want.size());
    for (size_t j = 0; j < want.size(); ++j) {
      EXPECT_EQ(have[j]["id"], want[j]["id"]) << "text " << i << " rank " << j;
      EXPECT_EQ(have[j]["label"], want[j]["label"]);
      EXPECT_NEAR(have[j]["score"].get<double>(), want[j]["score"].get<double>(), 1e-5);
    }
  }
  // One text at a time gives the same as the batch.
  json one = post(client, "/v1/predict", json{{"texts", {std::string(texts[3])}}, {"k", 4}}.dump(), 200);
  EXPECT_EQ(top_ids(one["predictions"][0]), top_ids(got["predictions"][3]));
}

TEST_F(ServeTest, AddedLabelRanksFirstForItsTextAndSurvivesRestart) {
  const std::string dir = model_copy();
  const std::string text = "comet pasta violin keeper";  // known words, a combination no label has
  uint32_t id = 0;
  {
    InProcessServer server(dir);
    auto client = server.client();
    json added = post(client, "/v1/labels", json{{"labels", {{{"text", text}}}}}.dump(), 200);
    ASSERT_EQ(added["ids"].size(), 1u);
    id = added["ids"][0].get<uint32_t>();
    EXPECT_EQ(id, 6u);
    json pred = post(client, "/v1/predict", json{{"texts", {text}}, {"k", 3}}.dump(), 200);
    EXPECT_EQ(pred["predictions"][0][0]["id"], id);
    auto got = client.Get("/v1/labels/6");
    ASSERT_TRUE(got);
    EXPECT_EQ(json::parse(got->body)["label"], text);
    EXPECT_EQ(json::parse(got->body)["added"], true);
    // The log holds it before the reply: a reader sees it without any compaction.
    ASSERT_EQ(read_label_log(dir).size(), 1u);
    EXPECT_EQ(read_label_log(dir)[0].text, text);
  }  // a clean stop compacts the log into the model files
  EXPECT_TRUE(read_label_log(dir).empty());
  InProcessServer again(dir);
  auto client = again.client();
  json pred = post(client, "/v1/predict", json{{"texts", {text}}, {"k", 3}}.dump(), 200);
  EXPECT_EQ(pred["predictions"][0][0]["id"], id);
  EXPECT_EQ(json::parse(client.Get("/v1/health")->body)["labels"], 7);
  // `ngame predict` sees it too (it only reads the log, so it runs beside a server).
  testing::write_bytes(work_.file("q.txt"), text + "\n");
  auto r = testing::run_ngame("predict " + dir + " --input " + work_.file("q.txt") + " -k 1 -o " + work_.file("p.txt"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(testing::read_bytes(work_.file("p.txt")).find("\n6:") != std::string::npos)
      << testing::read_bytes(work_.file("p.txt"));
}

TEST_F(ServeTest, KillDuringLabelWritesLosesNoAcknowledgedLabel) {
  const std::string dir = model_copy();
  std::vector<std::pair<uint32_t, std::string>> acknowledged;
  {
    // Compacting every 3 labels, so the kill also lands in or between compactions.
    ServerProcess server(dir, "--compact-after 3");
    ASSERT_GT(server.port, 0);
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      auto client = server.client();
      for (int i = 0; !stop; ++i) {
        const std::string text = "rocket basil cello " + std::to_string(i);
        auto res = client.Post("/v1/labels", json{{"labels", {{{"text", text}}}}}.dump(), "application/json");
        if (!res || res->status != 200) break;
        acknowledged.emplace_back(json::parse(res->body)["ids"][0].get<uint32_t>(), text);
      }
    });
    while (acknowledged.size() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    EXPECT_EQ(server.signal_and_wait(SIGKILL), 128 + SIGKILL);
    stop = true;
    writer.join();
  }
  ASSERT_GE(acknowledged.size(), 20u);
  // The model loads, and every acknowledged label is there with its text.
  ServerProcess restarted(dir);
  ASSERT_GT(restarted.port, 0);
  auto client = restarted.client();
  for (const auto& [id, text] : acknowledged) {
    auto res = client.Get(("/v1/labels/" + std::to_string(id)).c_str());
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << "label " << id << " lost";
    EXPECT_EQ(json::parse(res->body)["label"], text);
  }
  EXPECT_EQ(restarted.signal_and_wait(SIGTERM), 0);
  ModelParts model = load_model(dir);
  EXPECT_GE(model.label_count(), 6 + acknowledged.size());
}

TEST_F(ServeTest, BadRequestsGetA4xxWithAJsonError) {
  const std::string dir = model_copy();
  ServerConfig config;
  config.max_body_bytes = 4096;
  config.max_k = 50;
  config.max_results = 100;
  InProcessServer server(dir, config);
  auto client = server.client();
  const std::vector<std::pair<std::string, int>> predict_cases = {
      {"{\"texts\": [\"goal\"", 400},                       // malformed JSON
      {"[\"goal\"]", 400},                                  // not an object
      {"{\"k\": 3}", 400},                                  // missing field
      {"{\"texts\": \"goal\"}", 400},                       // wrong type
      {"{\"texts\": [3]}", 400},                            // wrong element type
      {"{\"texts\": []}", 400},                             // nothing to predict
      {"{\"texts\": [\"\"]}", 400},                         // empty text
      {"{\"texts\": [\"   \"]}", 400},                      // blank text
      {"{\"texts\": [\"go\xff\xfe\"]}", 400},               // not UTF-8
      {"{\"texts\": [\"goal\"], \"k\": 0}", 400},           // k <= 0
      {"{\"texts\": [\"goal\"], \"k\": -2}", 400},
      {"{\"texts\": [\"goal\"], \"k\": 51}", 400},          // k above the limit
      {"{\"texts\": [\"goal\"], \"k\": \"5\"}", 400},       // k of the wrong type
      {"{\"texts\": [\"goal\"], \"k\": 2.5}", 400},
      {"{\"texts\": [\"" + std::string(5000, 'a') + "\"]}", 413},  // body over the limit
      {"{\"texts\": [\"goal\", \"goal\", \"goal\"], \"k\": 50}", 413},  // texts x k over the limit
  };
  for (const auto& [body, status] : predict_cases) {
    json j = post(client, "/v1/predict", body, status);
    EXPECT_TRUE(j.is_object() && j.contains("error")) << body;
  }
  const std::vector<std::pair<std::string, int>> label_cases = {
      {"{}", 400}, {"{\"labels\": {}}", 400}, {"{\"labels\": []}", 400}, {"{\"labels\": [\"x\"]}", 400},
      {"{\"labels\": [{\"name\": \"x\"}]}", 400}, {"{\"labels\": [{\"text\": \"\"}]}", 400},
      {"{\"labels\": [{\"text\": 7}]}", 400},
  };
  for (const auto& [body, status] : label_cases) post(client, "/v1/labels", body, status);
  auto expect_status = [&](const httplib::Result& res, int status) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status) << res->body;
    EXPECT_TRUE(json::parse(res->body, nullptr, false).contains("error")) << res->body;
  };
  expect_status(client.Get("/v1/nowhere"), 404);
  expect_status(client.Get("/v1/predict"), 405);
  expect_status(client.Delete("/v1/labels"), 405);
  expect_status(client.Put("/v1/health", "{}", "application/json"), 405);
  expect_status(client.Get("/v1/labels/999"), 404);
  expect_status(client.Get("/v1/labels/x1"), 400);
  // OPTIONS on a known path is a wrong method too, and every 405 says which method is allowed.
  auto options = client.Options("/v1/predict");
  expect_status(options, 405);
  if (options) {
    EXPECT_EQ(options->get_header_value("Allow"), "POST");
  }
  auto get_predict = client.Get("/v1/predict");
  ASSERT_TRUE(get_predict);
  EXPECT_EQ(get_predict->get_header_value("Allow"), "POST");
  // texts x k over the limit.

  // The server is still fine, counted every error, and added no label.
  auto health = client.Get("/v1/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(json::parse(health->body)["labels"], 6);
  const std::string metrics = client.Get("/v1/metrics")->body;
  EXPECT_NE(metrics.find("ngame_requests_total{route=\"/v1/predict\",code=\"400\"} 14"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("ngame_requests_total{route=\"/v1/predict\",code=\"413\"} 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("ngame_labels 6"), std::string::npos);
}

// A reply that may echo request bytes: JSON that parses, with an "error", and nothing of the server's files or
// source code in it.
void expect_safe_error(const httplib::Result& res, int status, const std::string& model_dir, const std::string& what) {
  ASSERT_TRUE(res) << what << ": no response";
  EXPECT_EQ(res->status, status) << what << " -> " << res->body;
  const json j = json::parse(res->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << what << " -> " << res->body;
  ASSERT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << what << " -> " << res->body;
  for (const std::string& internal : {model_dir, std::string("/src/"), std::string(".cpp"), std::string(".h:")}) {
    EXPECT_EQ(res->body.find(internal), std::string::npos) << what << " shows '" << internal << "': " << res->body;
  }
}

TEST_F(ServeTest, RequestBytesNeverBreakAReply) {
  const std::string dir = model_copy();
  ServerProcess server(dir);
  ASSERT_GT(server.port, 0);
  auto client = server.client();
  // Paths the server echoes in its error, decoding to bytes that are not UTF-8.
  expect_safe_error(client.Get("/%ff"), 404, dir, "GET /%ff");
  expect_safe_error(client.Get("/v1/%c3%28/%fe"), 404, dir, "GET /v1/%c3%28/%fe");
  expect_safe_error(client.Post("/%ff", "{}", "application/json"), 404, dir, "POST /%ff");
  expect_safe_error(client.Get("/v1/labels/%ff"), 400, dir, "GET /v1/labels/%ff");
  expect_safe_error(client.Get("/v1/labels/%ff%fe"), 400, dir, "GET /v1/labels/%ff%fe");
  expect_safe_error(client.Put("/v1/labels/%ff", "{}", "application/json"), 405, dir, "PUT /v1/labels/%ff");
  expect_safe_error(client.Get(("/v1/labels/" + std::string(3000, '9')).c_str()), 404, dir, "a long label id");
  // A label text beyond what the label log holds (1 MiB) is the client's mistake, answered without internals.
  const std::string long_label = json{{"labels", {{{"text", std::string((1u << 20) + 1, 'a')}}}}}.dump();
  auto res = client.Post("/v1/labels", long_label, "application/json");
  expect_safe_error(res, 400, dir, "a label over 1 MiB");
  if (res) {
    EXPECT_EQ(res->body.find('/'), std::string::npos) << res->body;
  }
  // Health names the model without any filesystem path.
  auto health = client.Get("/v1/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const json h = json::parse(health->body);
  EXPECT_EQ(h["labels"], 6);  // the refused label was not added
  EXPECT_EQ(h["model"], "model");
  EXPECT_EQ(health->body.find('/'), std::string::npos) << health->body;
  // The server still answers, then stops cleanly.
  post(client, "/v1/predict", json{{"texts", {"engine brake"}}, {"k", 2}}.dump(), 200);
  EXPECT_EQ(server.signal_and_wait(SIGTERM), 0);
}

TEST_F(ServeTest, LabelsAddOfflineAndItsErrors) {
  const std::string dir = model_copy();
  testing::write_bytes(work_.file("new.txt"), "comet pasta violin keeper\ndelta wheel\n");
  auto r = testing::run_ngame("labels add " + dir + " --texts " + work_.file("new.txt"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("ids 6..7"), std::string::npos) << r.out;
  testing::write_bytes(work_.file("q.txt"), "comet pasta violin keeper\n");
  r = testing::run_ngame("predict " + dir + " --input " + work_.file("q.txt") + " -k 1 -o " + work_.file("p.txt"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(testing::read_bytes(work_.file("p.txt")).starts_with("1 8\n6:"));
  testing::write_bytes(work_.file("bad.txt"), "fine\nbad \xff\n");
  r = testing::run_ngame("labels add " + dir + " --texts " + work_.file("bad.txt"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("bad.txt:2"), std::string::npos) << r.err;
  // A running server owns the model's label log: an offline addition is refused, not interleaved.
  ServerProcess server(dir);
  ASSERT_GT(server.port, 0);
  r = testing::run_ngame("labels add " + dir + " --texts " + work_.file("new.txt"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("in use by another process"), std::string::npos) << r.err;
  EXPECT_EQ(load_model(dir).label_count(), 8u);
}

// A TCP connection to the server on the loopback interface.
int connect_loopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

// Sends a whole request on a new connection and returns the whole response (the request asks to close).
std::string raw_exchange(int port, const std::string& request) {
  const int fd = connect_loopback(port);
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) response.append(buf, static_cast<size_t>(n));
  close(fd);
  return response;
}

// Opens a connection and sends a request whose body is still incomplete.
int send_partial_request(int port, const std::string& body, size_t sent) {
  const int fd = connect_loopback(port);
  const std::string head = "POST /v1/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, sent);
  EXPECT_EQ(write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  return fd;
}

TEST_F(ServeTest, SigtermDrainsTheRequestInFlightAndExitsZero) {
  const std::string dir = model_copy();
  ServerProcess server(dir);
  ASSERT_GT(server.port, 0);
  auto client = server.client();
  post(client, "/v1/labels", json{{"labels", {{{"text", "orbit sauce"}}}}}.dump(), 200);
  const std::string body = json{{"texts", {"engine brake"}}, {"k", 2}}.dump();
  const int fd = send_partial_request(server.port, body, 5);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the server is reading this request now
  kill(server.pid, SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string rest = body.substr(5);
  ASSERT_EQ(write(fd, rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
    response.append(buf, static_cast<size_t>(n));
    if (response.find("\r\n\r\n") != std::string::npos && response.find("]]}") != std::string::npos) break;
  }
  close(fd);
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200")) << response;
  EXPECT_NE(response.find("\"predictions\""), std::string::npos);
  EXPECT_EQ(server.signal_and_wait(0), 0);  // already exiting: wait for it
  // The stop compacted the added label into the model files.
  EXPECT_TRUE(read_label_log(dir).empty());
  EXPECT_EQ(load_model(dir).label_count(), 7u);
}

std::string labels_body(const std::string& text) { return json{{"labels", {{{"text", text}}}}}.dump(); }

TEST_F(ServeTest, DiskFullAnswers507AndLosesNoAcknowledgedLabel) {
  const std::string dir = model_copy();
  {
    InProcessServer server(dir);
    auto client = server.client();
    EXPECT_EQ(post(client, "/v1/labels", labels_body("orbit sauce"), 200)["ids"], json::array({6}));
    {
      // The disk fills half-way through a record: the record is cut off again before the reply.
      ScopedLabelLogIo full(testing::half_then_disk_full());
      expect_safe_error(client.Post("/v1/labels", labels_body("comet pasta"), "application/json"), 507, dir,
                        "an addition on a full disk");
    }
    {
      // The same, and cutting it off fails too: additions are refused until it works.
      LabelLogIo io = testing::half_then_disk_full();
      io.ftruncate = [](int, off_t) {
        errno = EIO;
        return -1;
      };
      ScopedLabelLogIo failing(io);
      expect_safe_error(client.Post("/v1/labels", labels_body("comet pasta"), "application/json"), 507, dir,
                        "an addition on a full disk whose rollback fails");
      expect_safe_error(client.Post("/v1/labels", labels_body("comet pasta"), "application/json"), 503, dir,
                        "an addition while the log cannot be rolled back");
    }
    // Space again: the next addition takes the next id, after the last acknowledged one.
    EXPECT_EQ(post(client, "/v1/labels", labels_body("violin keeper"), 200)["ids"], json::array({7}));
    EXPECT_EQ(json::parse(client.Get("/v1/health")->body)["labels"], 8);
    // What a kill -9 now would leave: the acknowledged labels, nothing torn between them.
    const std::vector<LoggedLabel> logged = read_label_log(dir);
    ASSERT_EQ(logged.size(), 2u);
    EXPECT_EQ(logged[0].id, 6u);
    EXPECT_EQ(logged[1].id, 7u);
    EXPECT_EQ(logged[1].text, "violin keeper");
  }
  InProcessServer again(dir);
  auto client = again.client();
  auto res = client.Get("/v1/labels/7");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["label"], "violin keeper");
  EXPECT_EQ(json::parse(client.Get("/v1/health")->body)["labels"], 8);
}

// The file the model's next compaction writes its labels to (labels.g<N>.ngm).
std::string next_labels_file(const std::string& dir) {
  const json manifest = json::parse(testing::read_bytes(dir + "/manifest.json"));
  return dir + "/labels.g" + std::to_string(manifest.value("generation", 0) + 1) + ".ngm";
}

// Makes the model's compactions fail until unblock_compaction: a folder, not empty, where the next one renames its
// labels file (root cannot write over it either).
void block_compaction(const std::string& dir) { fs::create_directories(next_labels_file(dir) + "/in-the-way"); }
void unblock_compaction(const std::string& dir) { fs::remove_all(next_labels_file(dir)); }

TEST_F(ServeTest, AFailedCompactionKeepsTheAddition200AndIsRetried) {
  const std::string dir = model_copy();
  ServerConfig config;
  config.compact_after = 1;
  config.compact_retry_seconds = 0;  // retried at the next addition
  block_compaction(dir);
  InProcessServer server(dir, config);
  auto client = server.client();
  // The label was durable before the compaction ran: the compaction's failure is not the addition's.
  EXPECT_EQ(post(client, "/v1/labels", labels_body("orbit sauce"), 200)["ids"], json::array({6}));
  EXPECT_EQ(read_label_log(dir).size(), 1u);
  const std::string metrics = client.Get("/v1/metrics")->body;
  EXPECT_NE(metrics.find("ngame_label_log_pending 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("ngame_label_log_compaction_failures_total 1\n"), std::string::npos) << metrics;
  unblock_compaction(dir);
  EXPECT_EQ(post(client, "/v1/labels", labels_body("comet pasta"), 200)["ids"], json::array({7}));
  EXPECT_TRUE(read_label_log(dir).empty());  // the retry compacted both
  EXPECT_EQ(load_model(dir).label_count(), 8u);
}

TEST_F(ServeTest, SigtermAfterAFailedCompactionExitsZeroAndKeepsTheLabel) {
  const std::string dir = model_copy();
  block_compaction(dir);
  {
    ServerProcess server(dir, "--compact-after 1");
    ASSERT_GT(server.port, 0);
    auto client = server.client();
    EXPECT_EQ(post(client, "/v1/labels", labels_body("orbit sauce"), 200)["ids"], json::array({6}));
    // The stop's compaction fails as well; the label stays in the log.
    EXPECT_EQ(server.signal_and_wait(SIGTERM), 0);
  }
  ASSERT_EQ(read_label_log(dir).size(), 1u);
  unblock_compaction(dir);
  ServerProcess restarted(dir);
  ASSERT_GT(restarted.port, 0);
  auto client = restarted.client();
  auto res = client.Get("/v1/labels/6");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["label"], "orbit sauce");
  EXPECT_EQ(restarted.signal_and_wait(SIGTERM), 0);
  EXPECT_TRUE(read_label_log(dir).empty());  // compacted at this stop
  EXPECT_EQ(load_model(dir).label_count(), 7u);
}

TEST_F(ServeTest, LabelAdditionsNeedTheApiKeyPredictionsDoNot) {
  const std::string dir = model_copy();
  const std::string key = "k3y-with.symbols_~+/=";
  testing::write_bytes(work_.file("key"), key + "\n");  // the trailing newline is not part of the key
  ServerProcess server(dir, "--api-key-file " + work_.file("key"));
  ASSERT_GT(server.port, 0) << server.banner;
  auto client = server.client();
  const std::vector<httplib::Headers> refused = {
      {},
      {{"Authorization", "Bearer wrong"}},
      {{"Authorization", "Bearer " + key + "x"}},
      {{"Authorization", "Bearer " + key.substr(0, key.size() - 1)}},
      {{"Authorization", key}},
      {{"Authorization", "Basic " + key}},
  };
  for (const httplib::Headers& headers : refused) {
    const std::string what = headers.empty() ? "no key" : headers.begin()->second;
    auto res = client.Post("/v1/labels", headers, labels_body("orbit sauce"), "application/json");
    expect_safe_error(res, 401, dir, what);
    if (res) {
      EXPECT_TRUE(res->get_header_value("WWW-Authenticate").starts_with("Bearer")) << what;
    }
  }
  auto res = client.Post("/v1/labels", {{"Authorization", "Bearer " + key}}, labels_body("orbit sauce"),
                         "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body, nullptr, false)["ids"], json::array({6}));
  // Reading needs no key.
  post(client, "/v1/predict", json{{"texts", {"engine brake"}}, {"k", 2}}.dump(), 200);
  EXPECT_EQ(client.Get("/v1/labels/6")->status, 200);
  EXPECT_EQ(json::parse(client.Get("/v1/health")->body)["labels"], 7);
  EXPECT_EQ(server.signal_and_wait(SIGTERM), 0);
}

TEST_F(ServeTest, WithoutAKeyAdditionsMustBeAddressedToALoopbackName) {
  const std::string dir = model_copy();
  InProcessServer server(dir);
  auto client = server.client();
  // What a page whose name was rebound to 127.0.0.1 sends: its own name.
  for (const char* host : {"evil.example", "evil.example:8080", "127.0.0.1.evil.example", "0.0.0.0:80"}) {
    expect_safe_error(client.Post("/v1/labels", {{"Host", host}}, labels_body("orbit sauce"), "application/json"), 403,
                      dir, host);
  }
  uint32_t next = 6;
  for (const char* host : {"localhost:1234", "LOCALHOST", "127.0.0.1", "127.1.2.3:8080", "[::1]:99"}) {
    auto res = client.Post("/v1/labels", {{"Host", host}}, labels_body(std::string("label via ") + host),
                           "application/json");
    ASSERT_TRUE(res) << host;
    EXPECT_EQ(res->status, 200) << host << ": " << res->body;
    EXPECT_EQ(json::parse(res->body, nullptr, false)["ids"], json::array({next++})) << host;
  }
  // Nor a name after a bracketed loopback address, nor two Host headers (a browser sends one).
  expect_safe_error(client.Post("/v1/labels", {{"Host", "[::1]evil.example"}}, labels_body("x"), "application/json"), 403,
                    dir, "[::1]evil.example");
  const std::string two_hosts = raw_exchange(server.port, "POST /v1/labels HTTP/1.1\r\nHost: localhost\r\nHost: "
                                                          "evil.example\r\nContent-Type: application/json\r\n"
                                                          "Connection: close\r\nContent-Length: " +
                                                              std::to_string(labels_body("x").size()) + "\r\n\r\n" +
                                                              labels_body("x"));
  EXPECT_TRUE(two_hosts.starts_with("HTTP/1.1 403")) << two_hosts.substr(0, 200);
  // Refused before the body: with "Expect: 100-continue" the refusal comes instead of the go-ahead.
  const std::string expecting = raw_exchange(server.port, "POST /v1/labels HTTP/1.1\r\nHost: evil.example\r\n"
                                                          "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                                                          "Connection: close\r\nContent-Length: 60000\r\n\r\n");
  EXPECT_TRUE(expecting.starts_with("HTTP/1.1 403")) << expecting.substr(0, 200);
  // Predictions take any Host.
  auto res = client.Post("/v1/predict", {{"Host", "evil.example"}}, json{{"texts", {"engine"}}}.dump(),
                         "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(ServeTest, AnApiKeyFileMustHoldAKey) {
  const std::string dir = model_copy();
  testing::write_bytes(work_.file("empty"), "");
  testing::write_bytes(work_.file("newline"), "\n");
  testing::write_bytes(work_.file("spaced"), "two words\n");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {work_.file("missing"), "cannot read"}, {work_.str(), "cannot read"}, {work_.file("empty"), "empty"},
      {work_.file("newline"), "empty"},       {work_.file("spaced"), "space"}};
  for (const auto& [file, problem] : cases) {
    auto r = testing::run_ngame("serve " + dir + " --port 0 --api-key-file " + file);
    EXPECT_EQ(r.status, 2) << file << ": " << r.err;
    EXPECT_NE(r.err.find(problem), std::string::npos) << file << ": " << r.err;
  }
}

TEST_F(ServeTest, BeyondLoopbackWithoutAKeyLabelsAreReadOnly) {
  const std::string dir = model_copy();
  ServerConfig open_to_all;
  open_to_all.host = "0.0.0.0";
  {
    InProcessServer server(dir, open_to_all);
    auto client = server.client();
    auto res = client.Post("/v1/labels", labels_body("orbit sauce"), "application/json");
    expect_safe_error(res, 403, dir, "an addition without a key beyond loopback");
    if (res) {
      EXPECT_NE(res->body.find("API key"), std::string::npos) << res->body;
    }
    post(client, "/v1/predict", json{{"texts", {"engine brake"}}, {"k", 2}}.dump(), 200);
    EXPECT_EQ(json::parse(client.Get("/v1/health")->body)["labels"], 6);
  }
  {
    ServerConfig with_key = open_to_all;
    with_key.api_key = "sesame";
    InProcessServer server(dir, with_key);
    auto client = server.client();
    auto res = client.Post("/v1/labels", {{"Authorization", "Bearer sesame"}}, labels_body("orbit sauce"),
                           "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << res->body;
  }
  // The command says so when it starts.
  ServerProcess server(dir, "--host 0.0.0.0");
  ASSERT_GT(server.port, 0) << server.banner;
  EXPECT_NE(server.banner.find("read-only"), std::string::npos) << server.banner;
  EXPECT_EQ(server.signal_and_wait(SIGTERM), 0);
}

TEST_F(ServeTest, PostBodiesMustBeJson) {
  const std::string dir = model_copy();
  InProcessServer server(dir);
  auto client = server.client();
  const std::string predict = json{{"texts", {"engine brake"}}, {"k", 2}}.dump();
  // text/plain is what a web page's form or fetch() may send anywhere without asking first.
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", "application/jsonp", "text/json"}) {
    expect_safe_error(client.Post("/v1/predict", predict, type), 415, dir, type);
    expect_safe_error(client.Post("/v1/labels", labels_body("orbit sauce"), type), 415, dir, type);
  }
  const std::string untyped = raw_exchange(server.port, "POST /v1/labels HTTP/1.1\r\nHost: localhost\r\n"
                                                        "Connection: close\r\nContent-Length: " +
                                                            std::to_string(labels_body("x").size()) + "\r\n\r\n" +
                                                            labels_body("x"));
  EXPECT_TRUE(untyped.starts_with("HTTP/1.1 415")) << untyped;
  auto res = client.Post("/v1/predict", predict, "Application/JSON; charset=utf-8");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(client.Get("/v1/health")->body)["labels"], 6);  // none of the refused labels went in
}


std::string hex(size_t n) {
  char text[32];
  std::snprintf(text, sizeof text, "%zx", n);
  return text;
}

TEST_F(ServeTest, NoTransferFormWalksAroundTheLimits) {
  const std::string dir = model_copy();
  ServerProcess server(dir, "--max-body 65536 --connections 4 --request-timeout 30");
  ASSERT_GT(server.port, 0) << server.banner;
  auto request = [&](const std::string& headers, const std::string& body) {
    return raw_exchange(server.port, "POST /v1/predict HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                                     "Content-Type: application/json\r\n" + headers + "\r\n" + body);
  };
  // Many tiny values within the body limit: refused while parsing, before they are held.
  std::string values = R"({"texts": ["engine"], "x": [)";
  while (values.size() < 60000) values += "[],";
  values += "[]]}";
  const std::string many = request("Content-Length: " + std::to_string(values.size()) + "\r\n", values);
  EXPECT_TRUE(many.starts_with("HTTP/1.1 413")) << many.substr(0, 300);
  // A compressed body is refused unread; a chunked body counts as sent.
  EXPECT_TRUE(request("Content-Encoding: gzip\r\nContent-Length: 4\r\n", "abcd").starts_with("HTTP/1.1 415"));
  std::string chunked;
  for (int i = 0; i < 40; ++i) chunked += "800\r\n" + std::string(2048, ' ') + "\r\n";
  EXPECT_TRUE(request("Transfer-Encoding: chunked\r\n", chunked + "0\r\n\r\n").starts_with("HTTP/1.1 413"));
  const std::string fine = json{{"texts", {"engine brake"}}, {"k", 2}}.dump();
  const std::string ok = request("Transfer-Encoding: chunked\r\n", "10\r\n" + fine.substr(0, 16) + "\r\n" +
                                                                      hex(fine.size() - 16) + "\r\n" +
                                                                      fine.substr(16) + "\r\n0\r\n\r\n");
  EXPECT_TRUE(ok.starts_with("HTTP/1.1 200")) << ok.substr(0, 300);
  auto client = server.client();
  const std::string metrics = client.Get("/v1/metrics")->body;
  EXPECT_NE(metrics.find("ngame_connections_refused_total 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("ngame_requests_too_slow_total 0"), std::string::npos) << metrics;
  EXPECT_EQ(server.signal_and_wait(SIGTERM), 0);
}

}  // namespace
}  // namespace ngame
