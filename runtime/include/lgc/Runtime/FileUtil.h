//===- FileUtil.h - Whole-file reads and atomic writes ----------*- C++ -*-===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_FILEUTIL_H
#define LGC_RUNTIME_FILEUTIL_H

#include "lgc/Runtime/Status.h"

#include <string>
#include <string_view>

namespace lgc {

/// Whether `path` ends with `suffix` (an extension such as ".so").
inline bool pathEndsWith(std::string_view path, std::string_view suffix) {
  return path.size() >= suffix.size() &&
         path.substr(path.size() - suffix.size()) == suffix;
}

/// Reads a whole file into `out`; "-" reads standard input.
Status readFile(const std::string &path, std::string &out);

/// Writes `data` to a temporary file beside `path` and renames it over `path`.
/// "-" writes to standard output; a `path` that exists and is not a regular
/// file (/dev/null, a pipe) is written through, not replaced.
Status writeFileAtomic(const std::string &path, std::string_view data);

} // namespace lgc

#endif // LGC_RUNTIME_FILEUTIL_H
