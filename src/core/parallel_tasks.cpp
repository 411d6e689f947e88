#include "core/parallel_tasks.h"

#include <exception>

namespace ngame {

void run_tasks(const std::vector<std::function<void()>>& tasks) {
  std::vector<std::exception_ptr> errors(tasks.size());
  // One task keeps every thread for the parallel loops inside it (nested regions would get one thread each).
#pragma omp parallel for schedule(dynamic, 1) if (tasks.size() > 1)
  for (size_t t = 0; t < tasks.size(); ++t) {
    try {
      tasks[t]();
    } catch (...) {
      errors[t] = std::current_exception();  // an exception must not leave an OpenMP region
    }
  }
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace ngame
