//===- Status.h - Error reporting without exceptions ------------*- C++ -*-===//
//
// Part of lgc. The runtime is built without exceptions (LLVM's flags) and must
// never abort on user input, so fallible calls return a Status.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_STATUS_H
#define LGC_RUNTIME_STATUS_H

#include <string>
#include <utility>

namespace lgc {

class [[nodiscard]] Status {
public:
  static Status success() { return Status(); }
  static Status error(std::string message) {
    Status s;
    s.failed = true;
    s.msg = std::move(message);
    return s;
  }
  bool ok() const { return !failed; }
  explicit operator bool() const { return !failed; }
  /// The full message, already prefixed with a location where there is one.
  const std::string &message() const { return msg; }

private:
  bool failed = false;
  std::string msg;
};

} // namespace lgc

#endif // LGC_RUNTIME_STATUS_H
