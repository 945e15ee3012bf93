//===- FileUtil.cpp - Whole-file reads and atomic writes ------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/FileUtil.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace lgc;

static Status ioError(const std::string &path, const char *what) {
  return Status::errorAt(path, std::string(what) + ": " + std::strerror(errno));
}

Status lgc::readFile(const std::string &path, std::string &out) {
  out.clear();
  int fd = path == "-" ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ioError(path, "cannot open file");
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::errorAt(path, "is a directory");
  }
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    out.reserve(size_t(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      Status s = ioError(path, "cannot read file");
      if (fd)
        ::close(fd);
      return s;
    }
    if (n == 0)
      break;
    out.append(buf, size_t(n));
  }
  if (fd)
    ::close(fd);
  return Status::success();
}

/// Writes all of `data` to `fd`.
static bool writeAll(int fd, std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return false;
    done += size_t(n);
  }
  return true;
}

Status lgc::writeFileAtomic(const std::string &path, std::string_view data) {
  if (path == "-") {
    if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() ||
        std::fflush(stdout) != 0)
      return ioError("<stdout>", "cannot write");
    return Status::success();
  }
  // Not a regular file (/dev/null, a pipe, a terminal): written through.
  // Renaming a file over it would replace the device or pipe itself.
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      return ioError(path, "cannot open");
    bool ok = writeAll(fd, data);
    if (::close(fd) != 0 || !ok)
      return ioError(path, "cannot write");
    return Status::success();
  }
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return ioError(path, "cannot create file");
  bool ok = writeAll(fd, data);
  if (::close(fd) != 0 || !ok) {
    Status s = ioError(path, "cannot write file");
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = ioError(path, "cannot rename temporary file");
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::success();
}
