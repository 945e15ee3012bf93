//===- FileUtilTest.cpp - Whole-file reads and atomic writes --------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/FileUtil.h"

#include "../TestUtil.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace lgc;
using lgc::test::TempDir;

TEST(FileUtil, AtomicWriteReplacesRegularFiles) {
  TempDir dir;
  std::string path = dir.file("out.txt"), back;
  ASSERT_TRUE(writeFileAtomic(path, "first").ok());
  ASSERT_TRUE(writeFileAtomic(path, "second").ok());
  ASSERT_TRUE(readFile(path, back).ok());
  EXPECT_EQ(back, "second");
}

TEST(FileUtil, WritesThroughWhatIsNotARegularFile) {
  // `lgc ... -o /dev/null` must not rename a file over /dev/null: a pipe
  // stands in for the device (made without privileges, read here).
  TempDir dir;
  std::string fifo = dir.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ASSERT_TRUE(writeFileAtomic(fifo, "through the pipe").ok());
  char buf[64] = {};
  ssize_t n = ::read(reader, buf, sizeof(buf) - 1);
  ::close(reader);
  EXPECT_EQ(std::string(buf, n > 0 ? size_t(n) : 0), "through the pipe");
  struct stat st;
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the pipe was replaced by a file";
}
