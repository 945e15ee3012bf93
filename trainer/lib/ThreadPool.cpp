//===- ThreadPool.cpp - A fixed pool for data-parallel steps --------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/ThreadPool.h"

using namespace lgc::train;

ThreadPool::ThreadPool(unsigned n) : size(n) {
  for (unsigned t = 1; t < n; ++t)
    workers.emplace_back([this, t] { loop(t); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stop = true;
    ++generation;
  }
  wake.notify_all();
  for (std::thread &w : workers)
    w.join();
}

void ThreadPool::run(const std::function<void(unsigned)> &fn) {
  if (size == 1) {
    fn(0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    task = &fn;
    pending = size - 1;
    ++generation;
  }
  wake.notify_all();
  fn(0);
  std::unique_lock<std::mutex> lock(mutex);
  done.wait(lock, [&] { return pending == 0; });
}

void ThreadPool::loop(unsigned t) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(unsigned)> *fn;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return generation != seen; });
      seen = generation;
      if (stop)
        return;
      fn = task;
    }
    (*fn)(t);
    std::lock_guard<std::mutex> lock(mutex);
    if (--pending == 0)
      done.notify_one();
  }
}
