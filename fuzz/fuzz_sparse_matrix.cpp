// Fuzz target: the label-matrix reader (trn_X_Y.txt and the like). Bad bytes must give an InputError, never a crash,
// a hang, another exception or an allocation the file cannot justify; what it reads must survive a write and reread.
#include "core/error.h"
#include "data/sparse_matrix.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = ngame::fuzz::write_input("matrix.txt", data, size);
  ngame::SparseMatrix m;
  try {
    m = ngame::read_sparse_matrix(path);
  } catch (const ngame::InputError&) {
    return 0;
  }
  const std::string copy = ngame::fuzz::scratch_dir() + "/matrix.copy.txt";
  ngame::write_sparse_matrix(copy, m);
  const ngame::SparseMatrix again = ngame::read_sparse_matrix(copy);
  if (again.rows != m.rows || again.cols != m.cols || again.indptr != m.indptr || again.indices != m.indices || again.values != m.values) {
    __builtin_trap();  // a lossy round trip is a bug
  }
  return 0;
}
