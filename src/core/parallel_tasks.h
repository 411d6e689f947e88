#pragma once
// Independent pieces of work (the files of a model to check, its parts to decode) run side by side on the OpenMP
// threads, with the error of the first failing piece, in the given order, passed on to the caller.
#include <functional>
#include <vector>

namespace ngame {

/// Runs every task, up to thread_count() at a time (a task's own parallel loops then run on its thread alone; a
/// single task runs on the caller's, with all threads for its loops); once all have ended, rethrows the exception of
/// the first task (in order) that threw, if any.
void run_tasks(const std::vector<std::function<void()>>& tasks);

}  // namespace ngame
