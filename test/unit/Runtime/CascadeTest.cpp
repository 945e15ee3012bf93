//===- CascadeTest.cpp - Nets that run only where the earlier ones doubt --===//
//
// Part of lgc. A cascade's counts on every sample are the sums of its nets'
// counts up to the first stage whose running scores decide the sample (the
// rule written out again here, independently of the runtime's), each later
// net sees exactly the undecided samples' rows, margin 0 is the first net
// and an infinite margin the ensemble; nets that do not fit together and
// bad margins are refused.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Cascade.h"
#include "../TestUtil.h"
#include "lgc/Runtime/Ensemble.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <thread>
#include <type_traits>

using namespace lgc;

namespace {

/// Runs the interpreter, recording the first feature of every row it is
/// given, so a test sees which samples reached it and in which order.
class RecordingRunner : public Runner {
public:
  explicit RecordingRunner(Net net) : inner(Runner::interpreter(net)) {}
  const RunnerInfo &info() const override { return inner->info(); }
  Status runU8(const uint8_t *x, size_t n, uint32_t *counts, uint32_t *classes,
               unsigned threads) override {
    record(x, n);
    return inner->runU8(x, n, counts, classes, threads);
  }
  Status runF32(const float *x, size_t n, uint32_t *counts, uint32_t *classes,
                unsigned threads) override {
    record(x, n);
    return inner->runF32(x, n, counts, classes, threads);
  }
  template <typename T> void record(const T *x, size_t n) {
    seen.clear();
    for (size_t i = 0; i < n; ++i)
      seen.push_back(float(x[i * info().features]));
  }
  std::unique_ptr<Runner> inner;
  std::vector<float> seen;
};

/// Three random nets on 24 identity-encoded inputs, 4 classes, of taus 2,
/// 3 and 5 (the taus only matter to the cascade's rule).
std::vector<Net> threeNets() {
  std::vector<Net> nets;
  const double taus[] = {2, 3, 5};
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    nets.push_back(test::randomNet(24, {60, 40}, 4, -1, seed));
    nets.back().tau = taus[seed - 1];
  }
  return nets;
}

/// Feature rows whose first feature is the sample's index (mod 256), so the
/// recording runner's rows name their samples, and the rest random.
std::vector<uint8_t> indexedRows(size_t n, uint32_t features, uint64_t seed) {
  Rng rng(seed);
  std::vector<uint8_t> x(n * features);
  for (size_t i = 0; i < n; ++i)
    for (uint32_t f = 0; f < features; ++f)
      x[i * features + f] = f ? uint8_t(rng.next()) : uint8_t(i);
  return x;
}

/// Each net's counts on the `n` rows `x` (u8 or float features), and its
/// tau.
template <typename T>
void countsOf(const std::vector<Net> &nets, const std::vector<T> &x, size_t n,
              std::vector<std::vector<uint32_t>> &netCounts,
              std::vector<double> &taus) {
  for (const Net &net : nets) {
    netCounts.emplace_back(n * net.numClasses);
    std::unique_ptr<Runner> r = Runner::interpreter(net);
    Status s;
    if constexpr (std::is_same_v<T, uint8_t>)
      s = r->runU8(x.data(), n, netCounts.back().data(), nullptr);
    else
      s = r->runF32(x.data(), n, netCounts.back().data(), nullptr);
    EXPECT_TRUE(s.ok()) << s.message();
    taus.push_back(net.tau);
  }
}

/// The cascade's rule, spelled out: the running sum of counts, and the
/// next net while the top two scores are less than `margin` apart.
void expectedCascade(const std::vector<std::vector<uint32_t>> &netCounts,
                     const std::vector<double> &taus, double margin, size_t n,
                     uint32_t K, std::vector<uint32_t> &sums,
                     std::vector<uint8_t> &ran) {
  sums.assign(n * K, 0);
  ran.assign(n, 0);
  for (size_t s = 0; s < n; ++s) {
    double tau = 0;
    for (size_t k = 0; k < netCounts.size(); ++k) {
      if (k) {
        std::vector<uint32_t> row(&sums[s * K], &sums[s * K] + K);
        std::sort(row.rbegin(), row.rend());
        if (double(row[0] - row[1]) / tau >= margin)
          break;
      }
      for (uint32_t c = 0; c < K; ++c)
        sums[s * K + c] += netCounts[k][s * K + c];
      tau += taus[k];
      ran[s] = uint8_t(k + 1);
    }
  }
}

TEST(Cascade, CountsFollowTheRule) {
  std::vector<Net> nets = threeNets();
  const uint32_t F = nets[0].numFeatures, K = nets[0].numClasses;
  const size_t n = 700; // eleven 64-sample words, the last one partial
  std::vector<uint8_t> x = indexedRows(n, F, 7);
  std::vector<std::vector<uint32_t>> netCounts;
  std::vector<double> taus;
  countsOf(nets, x, n, netCounts, taus);

  bool someDeferred = false;
  for (double margin : {0.0, 0.25, 1.0, 2.0, 4.0, double(INFINITY)}) {
    SCOPED_TRACE(margin);
    std::vector<std::unique_ptr<Runner>> stages;
    std::vector<RecordingRunner *> recorders;
    for (const Net &net : nets) {
      auto r = std::make_unique<RecordingRunner>(net);
      recorders.push_back(r.get());
      stages.push_back(std::move(r));
    }
    std::unique_ptr<Cascade> cascade;
    ASSERT_TRUE(
        Cascade::create(std::move(stages), {margin, margin}, cascade).ok());
    EXPECT_EQ(cascade->info().tau, 10);
    EXPECT_EQ(cascade->info().classes, K);

    std::vector<uint32_t> counts(n * K), classes(n);
    ASSERT_TRUE(
        cascade->runU8(x.data(), n, counts.data(), classes.data()).ok());
    std::vector<uint32_t> want;
    std::vector<uint8_t> ran;
    expectedCascade(netCounts, taus, margin, n, K, want, ran);
    EXPECT_EQ(counts, want);
    EXPECT_EQ(cascade->stagesPerSample(), ran);
    for (size_t s = 0; s < n; ++s)
      EXPECT_EQ(classes[s], argmaxClass(&want[s * K], K)) << "sample " << s;

    // Each net after the first saw exactly the samples that reached it, in
    // order, and the counts of its run.
    for (size_t k = 0; k < nets.size(); ++k) {
      std::vector<float> reached;
      for (size_t s = 0; s < n; ++s)
        if (ran[s] > k)
          reached.push_back(float(uint8_t(s)));
      if (k == 0 || !reached.empty())
        EXPECT_EQ(recorders[k]->seen, reached) << "net " << k + 1;
      EXPECT_EQ(cascade->stageSamples()[k], reached.size()) << "net " << k + 1;
    }
    size_t second = cascade->stageSamples()[1];
    someDeferred |= second > 0 && second < n;

    // The same rule on counts known beforehand.
    std::vector<const uint32_t *> ptrs;
    for (const auto &c : netCounts)
      ptrs.push_back(c.data());
    std::vector<uint32_t> simulated(n * K);
    std::vector<uint8_t> simulatedRan(n);
    simulateCascade(ptrs, taus, {margin, margin}, n, K, simulated.data(),
                    simulatedRan.data());
    EXPECT_EQ(simulated, want);
    EXPECT_EQ(simulatedRan, ran);

    if (margin == 0) {
      EXPECT_EQ(counts, netCounts[0]);
      EXPECT_EQ(cascade->stageSamples()[1], 0u);
    }
    if (std::isinf(margin)) {
      // Every net on every sample: the ensemble's counts.
      Net ensemble;
      ASSERT_TRUE(ensembleNets(nets, ensemble).ok());
      std::vector<uint32_t> ensembleCounts(n * K);
      ASSERT_TRUE(Runner::interpreter(ensemble)
                      ->runU8(x.data(), n, ensembleCounts.data(), nullptr)
                      .ok());
      EXPECT_EQ(counts, ensembleCounts);
      EXPECT_EQ(cascade->stageSamples()[2], n);
    }
  }
  // The margins above leave some but not all samples to the later nets, so
  // the gathering of rows was exercised.
  EXPECT_TRUE(someDeferred);
}

TEST(Cascade, FloatFeaturesAndMarginsPerNet) {
  std::vector<Net> nets = threeNets();
  const uint32_t F = nets[0].numFeatures, K = nets[0].numClasses;
  const size_t n = 300;
  Rng rng(11);
  std::vector<float> x(n * F);
  for (float &v : x)
    v = float(rng.next() % 1000) / 999.0f;
  std::vector<std::vector<uint32_t>> netCounts;
  std::vector<double> taus;
  countsOf(nets, x, n, netCounts, taus);
  std::vector<std::unique_ptr<Runner>> stages;
  for (const Net &net : nets)
    stages.push_back(Runner::interpreter(net));
  // A tight first margin and none before the last net: no sample reaches
  // it.
  std::unique_ptr<Cascade> cascade;
  ASSERT_TRUE(Cascade::create(std::move(stages), {3.0, 0.0}, cascade).ok());
  std::vector<uint32_t> counts(n * K);
  ASSERT_TRUE(cascade->runF32(x.data(), n, counts.data(), nullptr).ok());
  std::vector<uint32_t> want(n * K);
  std::vector<uint8_t> ran(n);
  std::vector<const uint32_t *> ptrs;
  for (const auto &c : netCounts)
    ptrs.push_back(c.data());
  simulateCascade(ptrs, taus, {3.0, 0.0}, n, K, want.data(), ran.data());
  EXPECT_EQ(counts, want);
  EXPECT_GT(cascade->stageSamples()[1], 0u);
  EXPECT_EQ(cascade->stageSamples()[2], 0u);

  // No samples: nothing runs, nothing fails.
  EXPECT_TRUE(cascade->runF32(nullptr, 0, nullptr, nullptr).ok());
  EXPECT_EQ(cascade->stageSamples()[0], 0u);
}

/// The C runtime promises thread-safe runs, and lgc_rt_open opens cascade
/// files: runs on one cascade from several threads at once must each get
/// their own samples' counts (a run's working memory was the cascade's own,
/// shared by every run in flight).
TEST(Cascade, ConcurrentRunsAgree) {
  std::vector<Net> nets = threeNets();
  const uint32_t F = nets[0].numFeatures, K = nets[0].numClasses;
  std::vector<std::unique_ptr<Runner>> stages;
  for (const Net &net : nets)
    stages.push_back(Runner::interpreter(net));
  std::unique_ptr<Cascade> cascade;
  ASSERT_TRUE(Cascade::create(std::move(stages), {1.0, 1.0}, cascade).ok());

  // Each thread its own batch size and rows; the counts a lone run gives.
  constexpr unsigned kThreads = 4;
  std::vector<std::vector<uint8_t>> x;
  std::vector<std::vector<uint32_t>> want;
  for (unsigned t = 0; t < kThreads; ++t) {
    size_t n = 200 + 37 * t;
    x.push_back(indexedRows(n, F, 100 + t));
    want.emplace_back(n * K);
    ASSERT_TRUE(cascade->runU8(x[t].data(), n, want[t].data(), nullptr).ok());
    EXPECT_GT(cascade->stageSamples()[1], 0u);
  }
  std::vector<unsigned> wrong(kThreads, 0), failed(kThreads, 0);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < kThreads; ++t)
    pool.emplace_back([&, t] {
      size_t n = x[t].size() / F;
      std::vector<uint32_t> counts(n * K);
      for (unsigned round = 0; round < 40; ++round) {
        std::fill(counts.begin(), counts.end(), 0u);
        if (!cascade->runU8(x[t].data(), n, counts.data(), nullptr).ok())
          ++failed[t];
        else if (counts != want[t])
          ++wrong[t];
      }
    });
  for (std::thread &th : pool)
    th.join();
  for (unsigned t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failed[t], 0u) << "thread " << t;
    EXPECT_EQ(wrong[t], 0u) << "thread " << t;
  }
  // The figures are those of one whole run.
  size_t total = 0;
  for (size_t k : cascade->stageSamples())
    total += k;
  EXPECT_GE(total, cascade->stagesPerSample().size());
  EXPECT_EQ(cascade->stageSamples()[0], cascade->stagesPerSample().size());
}

TEST(Cascade, DecidesByScoreMargin) {
  const uint32_t counts[] = {10, 4, 7, 7};
  // Top 10, second 7: a score margin of 3 / tau.
  EXPECT_TRUE(cascadeDecides(counts, 4, 1, 3));
  EXPECT_FALSE(cascadeDecides(counts, 4, 1, 3.01));
  EXPECT_TRUE(cascadeDecides(counts, 4, 2, 1.5));
  EXPECT_FALSE(cascadeDecides(counts, 4, 2, 1.6));
  // A tie is decided at margin 0 and at no larger margin.
  const uint32_t tie[] = {3, 9, 9};
  EXPECT_TRUE(cascadeDecides(tie, 3, 1, 0));
  EXPECT_FALSE(cascadeDecides(tie, 3, 1, 1e-9));
  EXPECT_FALSE(cascadeDecides(counts, 4, 1, INFINITY));
  // One class: nothing to doubt.
  EXPECT_TRUE(cascadeDecides(counts, 1, 1, INFINITY));
}

TEST(Cascade, RefusesWhatDoesNotFit) {
  auto make = [](std::vector<Net> nets, std::vector<double> margins) {
    std::vector<std::unique_ptr<Runner>> stages;
    for (Net &net : nets)
      stages.push_back(Runner::interpreter(std::move(net)));
    std::unique_ptr<Cascade> out;
    return Cascade::create(std::move(stages), std::move(margins), out)
        .message();
  };
  Net a = test::randomNet(24, {20}, 4, -1, 1);
  Net b = test::randomNet(24, {20}, 4, -1, 2);
  Net wide = test::randomNet(30, {20}, 4, -1, 3);
  Net five = test::randomNet(24, {20}, 5, -1, 4);
  EXPECT_EQ(make({a}, {}), "error: a cascade needs at least two nets");
  EXPECT_EQ(make({a, b}, {}),
            "error: a cascade of 2 nets needs 1 margin, one per net after the "
            "first (got 0)");
  EXPECT_EQ(make({a, b, a}, {1}),
            "error: a cascade of 3 nets needs 2 margins, one per net after "
            "the first (got 1)");
  EXPECT_EQ(make({a, b}, {-1}),
            "error: a cascade's margins must be >= 0 (got -1.000000)");
  EXPECT_NE(make({a, b}, {double(NAN)}).find("margins must be >= 0"),
            std::string::npos);
  EXPECT_EQ(make({a, wide}, {1}),
            "error: net 2 of the cascade reads 30 features, net 1 24");
  EXPECT_EQ(make({a, five}, {1}),
            "error: net 2 of the cascade has 5 classes, net 1 4");
  EXPECT_EQ(make({a, b}, {1}), "");
}

} // namespace

namespace {

using test::TempDir;

std::string write(const TempDir &dir, const std::string &name,
                  const std::string &text) {
  std::string path = dir.file(name);
  EXPECT_TRUE(writeFileAtomic(path, text).ok());
  return path;
}

TEST(CascadeFile, RunsLikeTheCascadeItNames) {
  TempDir dir;
  std::vector<Net> nets = threeNets();
  for (size_t i = 0; i < nets.size(); ++i)
    ASSERT_TRUE(
        writeNetFile(dir.file("n" + std::to_string(i) + ".lgn"), nets[i]).ok());
  // Relative paths are read from the file's directory; comments, blank
  // lines, spaces and CRLF line ends are fine.
  std::string path =
      write(dir, "three.cascade",
            "lgc-cascade 1\r\n# three nets\n\n  net n0.lgn\n"
            "margin 1.5\nnet " +
                dir.file("n1.lgn") + "  \nmargin\tinf\nnet n2.lgn\n");
  std::unique_ptr<Runner> fromFile;
  Status s = Runner::open(path, fromFile);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(fromFile->info().tau, 10);

  std::vector<std::unique_ptr<Runner>> stages;
  for (const Net &net : nets)
    stages.push_back(Runner::interpreter(net));
  std::unique_ptr<Cascade> direct;
  ASSERT_TRUE(Cascade::create(std::move(stages), {1.5, INFINITY}, direct).ok());

  const uint32_t F = nets[0].numFeatures, K = nets[0].numClasses;
  const size_t n = 500;
  std::vector<uint8_t> x = indexedRows(n, F, 3);
  std::vector<uint32_t> a(n * K), b(n * K);
  ASSERT_TRUE(fromFile->runU8(x.data(), n, a.data(), nullptr).ok());
  ASSERT_TRUE(direct->runU8(x.data(), n, b.data(), nullptr).ok());
  EXPECT_EQ(a, b);
  EXPECT_GT(direct->stageSamples()[1], 0u);
  EXPECT_LT(direct->stageSamples()[1], n);
}

TEST(CascadeFile, ErrorsAreLocated) {
  TempDir dir;
  ASSERT_TRUE(
      writeNetFile(dir.file("a.lgn"), test::randomNet(24, {20}, 4, -1, 1))
          .ok());
  ASSERT_TRUE(
      writeNetFile(dir.file("five.lgn"), test::randomNet(24, {20}, 5, -1, 2))
          .ok());
  auto error = [&](const std::string &text) {
    std::string path = write(dir, "bad.cascade", text);
    std::unique_ptr<Runner> out;
    Status s = Runner::open(path, out);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(out, nullptr);
    std::string m = s.message();
    // Relative to the file, so that the expectations need no directory.
    return m.compare(0, path.size(), path) == 0 ? m.substr(path.size()) : m;
  };
  EXPECT_EQ(error(""), ": error: empty file (expected 'lgc-cascade 1')");
  EXPECT_EQ(error("lgc-cascade 2\n"),
            ":1:1: error: expected 'lgc-cascade 1' (a cascade file's first "
            "line)");
  EXPECT_EQ(error("lgc-cascade 1\nmargin 1\n"),
            ":2:1: error: a margin stands between two nets");
  EXPECT_EQ(error("lgc-cascade 1\nnet a.lgn\nnet a.lgn\n"),
            ":3:1: error: expected 'margin M' between two nets");
  EXPECT_EQ(error("lgc-cascade 1\nnet a.lgn\nmargin -2\nnet a.lgn\n"),
            ":3:8: error: invalid margin '-2' (expected a number >= 0 or inf)");
  EXPECT_EQ(error("lgc-cascade 1\nnet a.lgn\nmargin 1\n"),
            ":3: error: the file ends with a margin (expected a net after it)");
  EXPECT_EQ(error("lgc-cascade 1\nnet\n"), ":2:1: error: 'net' needs a path");
  EXPECT_EQ(error("lgc-cascade 1\n net a.lgn\n weight 3\n"),
            ":3:2: error: unknown line 'weight' (expected net or margin)");
  EXPECT_EQ(error("lgc-cascade 1\nnet a.lgn\nmargin 1\nnet b\rc.lgn\n"),
            ":4:5: error: a control character in the net's path");
  EXPECT_EQ(error("lgc-cascade 1\nnet a.lgn\nmargin 1\nnet x.cascade\n"),
            ":4:5: error: a cascade's nets cannot be cascades");
  EXPECT_EQ(error("lgc-cascade 1\nnet a.lgn\n"),
            ": error: a cascade needs at least two nets");
  EXPECT_EQ(error("lgc-cascade 1\nnet a.lgn\nmargin 1\nnet five.lgn\n"),
            ": error: net 2 of the cascade has 5 classes, net 1 4");
  std::string missing =
      error("lgc-cascade 1\nnet a.lgn\nmargin 1\nnet b.lgn\n");
  EXPECT_EQ(missing.substr(0, 7), ":4:5: " + dir.path.substr(0, 1)) << missing;
  EXPECT_NE(missing.find("b.lgn: error: cannot open file"), std::string::npos)
      << missing;
}

TEST(CascadeFile, WritesWhatItReads) {
  CascadeSpec spec;
  spec.nets = {"a.so", "sub dir/b.so", "/abs/c.lgn", "d.cubin"};
  spec.margins = {2, 0.1, INFINITY};
  std::string text;
  ASSERT_TRUE(writeCascade(spec, text).ok());
  EXPECT_EQ(text, "lgc-cascade 1\nnet a.so\nmargin 2\nnet sub dir/b.so\n"
                  "margin 0.1\nnet /abs/c.lgn\nmargin inf\nnet d.cubin\n");
  CascadeSpec back;
  Status s = parseCascade(text, "w.cascade", back);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(back.nets, spec.nets);
  EXPECT_EQ(back.margins, spec.margins);
  EXPECT_EQ(back.netLocations,
            (std::vector<std::string>{"w.cascade:2:5", "w.cascade:4:5",
                                      "w.cascade:6:5", "w.cascade:8:5"}));
  // A margin that needs all 17 digits comes back the same double.
  spec.margins[1] = 1.0 / 3.0;
  ASSERT_TRUE(writeCascade(spec, text).ok());
  ASSERT_TRUE(parseCascade(text, "w.cascade", back).ok());
  EXPECT_EQ(back.margins, spec.margins);

  // What a file cannot hold is refused, not written wrong.
  auto refused = [](std::vector<std::string> nets,
                    std::vector<double> margins) {
    CascadeSpec bad;
    bad.nets = std::move(nets);
    bad.margins = std::move(margins);
    std::string out = "untouched";
    Status s = writeCascade(bad, out);
    if (s.ok())
      return std::string("ok");
    EXPECT_EQ(out, "untouched");
    return s.message();
  };
  EXPECT_EQ(refused({"a.so", "b\n.so"}, {1}),
            "error: cannot write the net path 'b\n.so' into a cascade file");
  EXPECT_NE(refused({"a.so", "b\x7f.so"}, {1}).find("cannot write"),
            std::string::npos);
  EXPECT_NE(refused({" a.so", "b.so"}, {1}).find("cannot write"),
            std::string::npos);
  EXPECT_NE(refused({"a.so", "b.so\t"}, {1}).find("cannot write"),
            std::string::npos);
  EXPECT_NE(refused({"a.so", "x.cascade"}, {1}).find("cannot write"),
            std::string::npos);
  EXPECT_NE(refused({"a.so", ""}, {1}).find("cannot write"), std::string::npos);
  EXPECT_NE(refused({"a.so", "b.so"}, {}).find("a margin between each two"),
            std::string::npos);
  EXPECT_NE(refused({"a.so"}, {}).find("two or more nets"), std::string::npos);
  EXPECT_EQ(refused({"a.so", "b.so"}, {-1}),
            "error: a cascade's margins must be >= 0");
  EXPECT_EQ(refused({"a.so", "b.so"}, {1}), "ok");
}

} // namespace
