//===- TestUtil.h - Helpers shared by the unit tests ------------*- C++ -*-===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TEST_UNIT_TESTUTIL_H
#define LGC_TEST_UNIT_TESTUTIL_H

#include <cstdlib>
#include <string>
#include <unistd.h>

namespace lgc::test {

/// A fresh directory under /tmp, removed with everything in it.
class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/lgc-test-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string &name) const { return path + "/" + name; }
  std::string path;
};

} // namespace lgc::test

#endif // LGC_TEST_UNIT_TESTUTIL_H
