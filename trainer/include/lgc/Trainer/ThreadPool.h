//===- ThreadPool.h - A fixed pool for data-parallel steps ------*- C++ -*-===//
//
// Part of lgc. Each training step splits its batch into one part per thread
// and waits for all of them; a fixed set of threads woken per step is
// cheaper than starting threads each time, and thread t always gets part t,
// which keeps the reduction order (and so the trained net) reproducible.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TRAINER_THREADPOOL_H
#define LGC_TRAINER_THREADPOOL_H

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lgc::train {

/// Runs fn(0) .. fn(n-1) on n threads (the caller is thread 0) and waits.
class ThreadPool {
public:
  explicit ThreadPool(unsigned n);
  ~ThreadPool();
  void run(const std::function<void(unsigned)> &fn);
  unsigned threads() const { return size; }

private:
  void loop(unsigned t);

  unsigned size;
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake, done;
  const std::function<void(unsigned)> *task = nullptr;
  unsigned pending = 0;
  uint64_t generation = 0;
  bool stop = false;
};

} // namespace lgc::train

#endif // LGC_TRAINER_THREADPOOL_H
