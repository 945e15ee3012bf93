//===- Status.h - Error reporting without exceptions ------------*- C++ -*-===//
//
// Part of lgc. The runtime and the trainer are built without exceptions
// (LLVM's flags) and must never abort on user input, so fallible calls
// return a Status. A failed Status holds one complete diagnostic line,
// "where: error: what" (where = file, or file:line:col) or "error: what";
// the two constructors below are the only places that spell "error: ".
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
  /// An error without a location: "error: what".
  static Status error(const std::string &what) {
    return failure("error: " + what);
  }
  /// An error at `where` (a path, or path:line:col): "where: error: what".
  static Status errorAt(const std::string &where, const std::string &what) {
    return failure(where + ": error: " + what);
  }
  /// The same failure with `context` in front ("net.ptx: " + message).
  Status withContext(const std::string &context) const {
    return failed ? failure(context + msg) : *this;
  }
  bool ok() const { return !failed; }
  explicit operator bool() const { return !failed; }
  /// The full message, already prefixed with a location where there is one.
  const std::string &message() const { return msg; }

private:
  static Status failure(std::string message) {
    Status s;
    s.failed = true;
    s.msg = std::move(message);
    return s;
  }
  bool failed = false;
  std::string msg;
};

} // namespace lgc

#endif // LGC_RUNTIME_STATUS_H
