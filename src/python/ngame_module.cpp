// ngame._ngame: the C++ API (include/ngame/ngame.h) for Python. Arrays cross as numpy arrays (CSR parts for sparse
// matrices); the package's __init__.py wraps them in scipy matrices and keyword arguments. The GIL is released while
// C++ computes; log records go to Python's `logging` ("ngame" logger).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

#include "cli/train_options.h"
#include "core/blas_kernels.h"
#include "core/error.h"
#include "core/progress_bar.h"
#include "core/runtime.h"
#include "data/filter_pairs.h"
#include "ngame/ngame.h"

namespace py = pybind11;
using namespace ngame;

namespace {

// spdlog records to logging.getLogger("ngame"), taking the GIL (C++ runs with it released). Detached at exit.
std::atomic<bool> g_logging_attached{false};

class PythonLogSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!g_logging_attached || !Py_IsInitialized()) return;
    const std::string text(msg.payload.data(), msg.payload.size());
    int level = 20;
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug: level = 10; break;
      case spdlog::level::info: level = 20; break;
      case spdlog::level::warn: level = 30; break;
      default: level = 40;
    }
    py::gil_scoped_acquire gil;
    try {
      py::module_::import("logging").attr("getLogger")("ngame").attr("log")(level, text);
    } catch (const py::error_already_set&) {
    }
  }
  void flush_() override {}
};

void attach_logging() {
  auto logger = std::make_shared<spdlog::logger>("ngame-python", std::make_shared<PythonLogSink>());
  logger->set_level(spdlog::level::debug);  // Python's logging filters by its own levels
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::debug);
  set_progress_enabled(false);
  g_logging_attached = true;
}

void detach_logging() {
  g_logging_attached = false;
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("ngame-null"));
}

std::vector<std::string> as_strings(const py::sequence& texts, const char* field) {
  std::vector<std::string> out;
  out.reserve(py::len(texts));
  size_t i = 0;
  for (const py::handle& t : texts) {
    if (!py::isinstance<py::str>(t)) {
      throw InputError(std::string(field) + "[" + std::to_string(i) + "]", 0, "must be a str");
    }
    out.push_back(t.cast<std::string>());
    ++i;
  }
  return out;
}

TextCorpus as_corpus(const py::sequence& texts, const char* field) {
  if (py::isinstance<py::str>(texts)) throw InputError(field, 0, "must be a list of str, not one str");
  TextCorpus corpus;
  size_t i = 0;
  for (const py::handle& t : texts) {
    const std::string where = std::string(field) + "[" + std::to_string(i++) + "]";
    if (!py::isinstance<py::str>(t)) throw InputError(where, 0, "must be a str");
    std::string s = t.cast<std::string>();
    if (s.find_first_of("\r\n") != std::string::npos) throw InputError(where, 0, "contains a line break");
    corpus.push_back(s);
  }
  return corpus;
}

using Indptr = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;
using Indices = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;
using Values = py::array_t<float, py::array::c_style | py::array::forcecast>;

// A CSR matrix from scipy's parts; ids are checked here, the rest by check_sparse_matrix's callers.
SparseMatrix as_matrix(const Indptr& indptr, const Indices& indices, const Values& values, int64_t rows, int64_t cols,
                       const std::string& field) {
  if (rows < 0 || cols < 0 || cols > INT64_C(4294967295)) throw InputError(field, 0, "bad shape");
  if (indptr.ndim() != 1 || indices.ndim() != 1 || values.ndim() != 1 || indptr.size() != rows + 1 ||
      indices.size() != values.size()) {
    throw InputError(field, 0, "inconsistent CSR arrays (indptr, indices, data)");
  }
  SparseMatrix m;
  m.rows = static_cast<uint64_t>(rows);
  m.cols = static_cast<uint64_t>(cols);
  m.indptr.resize(static_cast<size_t>(indptr.size()));
  const int64_t* p = indptr.data();
  for (size_t i = 0; i < m.indptr.size(); ++i) {
    if (p[i] < 0 || p[i] > indices.size() || (i > 0 && p[i] < p[i - 1])) {
      throw InputError(field, 0, "indptr is not a non-decreasing list of offsets into indices");
    }
    m.indptr[i] = static_cast<uint64_t>(p[i]);
  }
  m.indices.resize(static_cast<size_t>(indices.size()));
  const int64_t* ids = indices.data();
  for (size_t i = 0; i < m.indices.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= cols) {
      throw InputError(field, 0, "label id " + std::to_string(ids[i]) + " out of range (" + std::to_string(cols) +
                                     " columns)");
    }
    m.indices[i] = static_cast<uint32_t>(ids[i]);
  }
  m.values.assign(values.data(), values.data() + values.size());
  return m;
}

// scipy's CSR parts of a matrix: (indptr, indices, data, (rows, cols)).
py::tuple csr_parts(const SparseMatrix& m) {
  py::array_t<int64_t> indptr(static_cast<py::ssize_t>(m.indptr.size()));
  py::array_t<int32_t> indices(static_cast<py::ssize_t>(m.indices.size()));
  py::array_t<float> values(static_cast<py::ssize_t>(m.values.size()));
  std::copy(m.indptr.begin(), m.indptr.end(), indptr.mutable_data());
  std::copy(m.indices.begin(), m.indices.end(), indices.mutable_data());
  std::copy(m.values.begin(), m.values.end(), values.mutable_data());
  return py::make_tuple(indptr, indices, values, py::make_tuple(m.rows, m.cols));
}

TrainConfig parse_options(const std::vector<std::string>& words) {
  ParsedTrainOptions parsed = parse_train_options(words);
  set_thread_count(parsed.threads);
  return parsed.config;
}

}  // namespace

PYBIND11_MODULE(_ngame, m) {
  m.doc() = "ngame's C++ library (use the ngame package, which wraps it)";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const UsageError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  attach_logging();
  m.def("_detach_logging", &detach_logging, "stop forwarding log records to Python (at exit)");
  m.def("set_threads", &set_thread_count, py::arg("threads"), "threads of parallel loops (0: all cores)");
  m.def("_better_blas_kernels", &better_blas_kernels,
        "the OpenBLAS kernels this CPU allows when OpenBLAS runs its generic ones ('' otherwise)");

  py::class_<Model>(m, "Model")
      .def_static(
          "open",
          [](const std::string& dir, const std::string& ann, uint32_t ef_search, uint32_t shortlist) {
            OpenOptions o;
            o.ann = ann;
            o.ef_search = ef_search;
            o.shortlist = shortlist;
            return Model::open(dir, o);
          },
          py::arg("dir"), py::arg("ann") = "auto", py::arg("ef_search") = 0, py::arg("shortlist") = 0,
          py::call_guard<py::gil_scoped_release>())
      .def("save", &Model::save, py::arg("dir"), py::call_guard<py::gil_scoped_release>())
      .def(
          "predict",
          [](const Model& model, const py::sequence& texts, size_t k, uint32_t shortlist, uint32_t ef_search,
             uint32_t memory_ef_search, uint32_t graph_seeds, bool reranker, const std::string& only,
             bool own_text_first) {
            const TextCorpus corpus = as_corpus(texts, "texts");
            SearchParams search;
            search.shortlist = shortlist;
            search.ef_search = ef_search;
            search.memory_ef_search = memory_ef_search;
            search.graph_seeds = graph_seeds;
            search.reranker = reranker;
            search.only = only;
            search.own_text_first = own_text_first;
            if (k == 0) throw UsageError("k must be at least 1");
            SparseMatrix pred;
            {
              py::gil_scoped_release release;
              pred = model.predict(corpus, k, search);
            }
            return csr_parts(pred);
          },
          py::arg("texts"), py::arg("k"), py::arg("shortlist"), py::arg("ef_search"), py::arg("memory_ef_search"),
          py::arg("graph_seeds"), py::arg("reranker"), py::arg("only"), py::arg("own_text_first"))
      .def(
          "embed",
          [](const Model& model, const py::sequence& texts, bool normalize) {
            const TextCorpus corpus = as_corpus(texts, "texts");
            std::vector<float> emb;
            {
              py::gil_scoped_release release;
              emb = model.embed(corpus, normalize);
            }
            py::array_t<float> out({static_cast<py::ssize_t>(corpus.size()), static_cast<py::ssize_t>(model.dim())});
            std::copy(emb.begin(), emb.end(), out.mutable_data());
            return out;
          },
          py::arg("texts"), py::arg("normalize") = true)
      .def(
          "add_labels",
          [](Model& model, const py::sequence& texts) {
            const TextCorpus corpus = as_corpus(texts, "texts");
            AddedLabels added;
            {
              py::gil_scoped_release release;
              added = model.add_labels(corpus, "texts");
            }
            py::array_t<int64_t> ids(static_cast<py::ssize_t>(added.count));
            for (size_t i = 0; i < added.count; ++i) ids.mutable_data()[i] = static_cast<int64_t>(added.first_id + i);
            return ids;
          },
          py::arg("texts"))
      .def("compact", &Model::compact, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("label_count", &Model::label_count)
      .def_property_readonly("dim", &Model::dim)
      .def_property_readonly("dir", &Model::dir)
      .def_property_readonly("label_texts", [](const Model& model) {
        std::vector<std::string> out;
        const size_t n = model.label_count();
        out.reserve(n);
        for (size_t i = 0; i < n; ++i) out.push_back(model.label_text(i));
        return out;
      });

  m.def(
      "train_folder",
      [](const std::string& dir, const std::vector<std::string>& words) {
        py::gil_scoped_release release;
        const TrainConfig config = parse_options(words);
        const Dataset data = load_dataset(dir, {.require_test = false, .latin1 = config.latin1});
        return train(data, config);
      },
      py::arg("dir"), py::arg("options"));
  m.def(
      "train_arrays",
      [](const py::sequence& texts, const Indptr& indptr, const Indices& indices, const Values& values, int64_t rows,
         int64_t cols, const py::sequence& label_texts, const std::vector<std::string>& words) {
        const std::vector<std::string> x = as_strings(texts, "texts");
        const std::vector<std::string> y = as_strings(label_texts, "label_texts");
        const SparseMatrix labels = as_matrix(indptr, indices, values, rows, cols, "labels");
        py::gil_scoped_release release;
        const TrainConfig config = parse_options(words);
        const Dataset data = make_dataset(x, labels, y);
        return train(data, config);
      },
      py::arg("texts"), py::arg("indptr"), py::arg("indices"), py::arg("values"), py::arg("rows"), py::arg("cols"),
      py::arg("label_texts"), py::arg("options"));
  m.def(
      "evaluate",
      [](const py::tuple& pred, const py::tuple& truth, const py::tuple& train, const py::object& filter, size_t k,
         double a, double b) {
        auto matrix = [](const py::tuple& t, const char* field) {
          const auto shape = t[3].cast<std::pair<int64_t, int64_t>>();
          return as_matrix(t[0].cast<Indptr>(), t[1].cast<Indices>(), t[2].cast<Values>(), shape.first, shape.second,
                           field);
        };
        SparseMatrix p = matrix(pred, "pred"), t = matrix(truth, "truth"), tr = matrix(train, "train");
        std::optional<FilterPairs> pairs;
        if (py::isinstance<py::str>(filter)) {
          pairs = read_filter_pairs(filter.cast<std::string>());
        } else if (!filter.is_none()) {
          pairs = FilterPairs{};
          pairs->source = "filter";
          const auto rows = filter.cast<py::array_t<int64_t, py::array::c_style | py::array::forcecast>>();
          if (rows.ndim() != 2 || rows.shape(1) != 2) throw InputError("filter", 0, "must be an n x 2 array of (row, label)");
          for (py::ssize_t i = 0; i < rows.shape(0); ++i) {
            const int64_t r = rows.at(i, 0), l = rows.at(i, 1);
            if (r < 0 || l < 0 || l > INT64_C(4294967295)) throw InputError("filter", 0, "negative row or label");
            pairs->pairs.emplace_back(static_cast<uint64_t>(r), static_cast<uint32_t>(l));
            pairs->source_lines.push_back(static_cast<uint64_t>(i + 1));
          }
        }
        if (k == 0) throw UsageError("k must be at least 1");
        py::gil_scoped_release release;
        return evaluate(std::move(p), std::move(t), std::move(tr), pairs ? &*pairs : nullptr,
                        {.k = k, .a = a, .b = b, .zero_shot = false}, {.pred = "pred", .truth = "truth", .train = "train"})
            .json();
      },
      py::arg("pred"), py::arg("truth"), py::arg("train"), py::arg("filter"), py::arg("k"), py::arg("a"), py::arg("b"));
  m.def(
      "read_matrix", [](const std::string& path) { return csr_parts(read_sparse_matrix(path)); }, py::arg("path"));
  m.def(
      "read_texts",
      [](const std::string& path, bool latin1) {
        const TextCorpus texts = read_text_file(path, {.latin1 = latin1});
        std::vector<std::string> out;
        out.reserve(texts.size());
        for (size_t i = 0; i < texts.size(); ++i) out.emplace_back(texts[i]);
        return out;
      },
      py::arg("path"), py::arg("latin1") = false);
}
