//===- Checkpoint.cpp - The trainer's binary checkpoint format ------------===//
//
// Part of lgc. A checkpoint is the magic "LGNCKPT1", the model's
// description, the step counters, the random generator's state, the data
// order, the weights, Adam's moments and the history,
// closed by an FNV-1a checksum of everything before it, so a truncated or
// edited file is refused instead of resuming a corrupt run. Written through
// a temporary file and a rename.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/Trainer.h"

#include "lgc/Runtime/FileUtil.h"

#include <cstring>

using namespace lgc;
using namespace lgc::train;

namespace {
constexpr char kMagic[8] = {'L', 'G', 'N', 'C', 'K', 'P', 'T', '1'};

struct Writer {
  std::string buf;
  template <typename T> void put(const T &v) {
    buf.append(reinterpret_cast<const char *>(&v), sizeof(T));
  }
  template <typename T> void putVec(const std::vector<T> &v) {
    put(uint64_t(v.size()));
    buf.append(reinterpret_cast<const char *>(v.data()), v.size() * sizeof(T));
  }
};

struct Reader {
  const std::string &buf;
  size_t pos = 0;
  bool ok = true;
  template <typename T> T get() {
    T v{};
    if (pos + sizeof(T) > buf.size()) {
      ok = false;
      return v;
    }
    std::memcpy(&v, buf.data() + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  template <typename T> std::vector<T> getVec(size_t expected) {
    uint64_t n = get<uint64_t>();
    if (!ok || n != expected || pos + n * sizeof(T) > buf.size()) {
      ok = false;
      return {};
    }
    std::vector<T> v(n);
    std::memcpy(v.data(), buf.data() + pos, n * sizeof(T));
    pos += n * sizeof(T);
    return v;
  }
};

uint64_t fnv1a(const char *data, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i)
    h = (h ^ uint8_t(data[i])) * 0x100000001b3ull;
  return h;
}
} // namespace

Status Trainer::saveCheckpoint(const std::string &path, double elapsed) const {
  Writer w;
  w.buf.append(kMagic, 8);
  std::string desc = opts.model.describe();
  w.putVec(std::vector<char>(desc.begin(), desc.end()));
  w.put(iteration);
  w.put(adamStep);
  w.put(opts.batch);
  uint64_t state[4];
  rng.getState(state);
  for (uint64_t s : state)
    w.put(s);
  w.put(epochPos);
  w.putVec(epochOrder);
  w.putVec(model.weights);
  w.putVec(adamM);
  w.putVec(adamV);
  w.putVec(history);
  w.put(elapsed);
  w.put(fnv1a(w.buf.data(), w.buf.size()));
  return writeFileAtomic(path, w.buf);
}

Status Trainer::loadCheckpoint(const std::string &path) {
  std::string buf;
  if (Status s = readFile(path, buf); !s)
    return s;
  auto bad = [&](const std::string &why) { return Status::errorAt(path, why); };
  if (buf.size() < 16 || std::memcmp(buf.data(), kMagic, 8) != 0)
    return bad("not an lgn-train checkpoint");
  uint64_t stored;
  std::memcpy(&stored, buf.data() + buf.size() - 8, 8);
  if (stored != fnv1a(buf.data(), buf.size() - 8))
    return bad("checkpoint is corrupt (checksum mismatch)");
  Reader r{buf};
  r.pos = 8;
  uint64_t descLen = r.get<uint64_t>();
  if (!r.ok || descLen > buf.size())
    return bad("checkpoint is truncated");
  std::string desc(buf.data() + r.pos, descLen);
  r.pos += descLen;
  if (desc != opts.model.describe())
    return bad("checkpoint was written for a different model (" + desc +
               "), not " + opts.model.describe());
  uint64_t it = r.get<uint64_t>(), steps = r.get<uint64_t>();
  uint32_t batch = r.get<uint32_t>();
  if (r.ok && batch != opts.batch)
    return bad("checkpoint was written with --batch " + std::to_string(batch));
  uint64_t state[4];
  for (uint64_t &s : state)
    s = r.get<uint64_t>();
  uint64_t pos = r.get<uint64_t>();
  uint64_t orderLen = r.get<uint64_t>();
  r.pos -= 8;
  std::vector<uint32_t> order = r.getVec<uint32_t>(orderLen);
  size_t W = model.weights.size();
  std::vector<float> weights = r.getVec<float>(W);
  std::vector<float> m = r.getVec<float>(W), v = r.getVec<float>(W);
  uint64_t rows = r.get<uint64_t>();
  r.pos -= 8;
  std::vector<HistoryRow> hist = r.getVec<HistoryRow>(rows);
  double elapsed = r.get<double>();
  if (!r.ok || r.pos + 8 != buf.size())
    return bad("checkpoint is truncated or does not match this model");
  if (orderLen && orderLen != trainData.size())
    return bad("checkpoint was written for a training set of " +
               std::to_string(orderLen) + " samples");
  iteration = it;
  adamStep = steps;
  rng.setState(state);
  epochPos = pos;
  epochOrder = std::move(order);
  model.weights = std::move(weights);
  adamM = std::move(m);
  adamV = std::move(v);
  history = std::move(hist);
  elapsedBefore = elapsed;
  return Status::success();
}
