//===- lgc-gpu-check.cpp - Bit-exact checks and throughput on a GPU -------===//
//
// Part of lgc. Runs on the GPU machine from the bundle scripts/gpu-check.sh
// makes (nets as cubins, fatbins or PTX, images, expected outputs):
//   lgc-gpu-check BUNDLE_DIR [NAME]  runs the manifest's entries (or the one
//       named), prints each figure as soon as it is measured and appends the
//       entry's row to BUNDLE_DIR/results.tsv
//   lgc-gpu-check --summary BUNDLE_DIR   the table of results.tsv, then
//       each choice entry's speeds over its default's (the manifest's bench
//       entry of the same reference and samples)
//   lgc-gpu-check --expect NET.lgn IMAGES.u8 N OUT   (when making the bundle)
// Manifest rows are `kind name module samples [reference]`, or `target
// name column >=|<= value`: a figure the summary holds the entry (and the
// best of its choices) to, the column named as in the summary with `_` for
// each space (`u8_device_M/s`). A `check` entry
// must equal the reference interpreter's classes and counts (computed where
// the bundle was made, in its reference file, which several modules of one
// net share; NAME.expected where the row names none) through every input
// path: 8-bit pixels, packed bits, and the streamed path. A `bench` entry
// times them and, where the row names the net's net.so, the CPU backend on
// this host's cores, whose classes the GPU's must equal. A `choice` entry is
// a bench entry outside the check: a variant kept for a design decision,
// which run.sh runs with --all or by name. Needs nothing but glibc and the
// CUDA driver.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/CudaNet.h"
#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"
#include "lgc/Runtime/Interpreter.h"
#include "lgc/Runtime/NetLibrary.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fmt/core.h>
#include <map>
#include <new>
#include <sstream>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace lgc;

static bool readBinary(const std::string &path, std::string &out) {
  Status s = readFile(path, out);
  if (!s)
    fmt::print(stderr, "{}\n", s.message());
  return s.ok();
}

/// Writes the interpreter's classes then counts (u32 each) for the first n
/// images.
static int expect(const std::string &netPath, const std::string &imagesPath,
                  size_t n, const std::string &out) {
  Net net;
  std::string pixels;
  if (Status s = readNetFile(netPath, net); !s)
    return fmt::print(stderr, "{}\n", s.message()), 1;
  if (!readBinary(imagesPath, pixels))
    return 1;
  if (pixels.size() < n * net.numFeatures)
    return fmt::print(stderr, "{}: fewer than {} images\n", imagesPath, n), 1;
  std::vector<uint64_t> words =
      packFeaturesU8(net, reinterpret_cast<const uint8_t *>(pixels.data()), n);
  std::vector<uint32_t> classes(n), counts(n * net.numClasses);
  interpret(net, words.data(), n, counts.data(), classes.data());
  std::string bytes(reinterpret_cast<const char *>(classes.data()), n * 4);
  bytes.append(reinterpret_cast<const char *>(counts.data()),
               counts.size() * 4);
  if (Status s = writeFileAtomic(out, bytes); !s)
    return fmt::print(stderr, "{}\n", s.message()), 1;
  return 0;
}

static double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// The columns of results.tsv and of the summary.
static const char *kColumns[] = {"net",
                                 "gates",
                                 "samples",
                                 "load s",
                                 "u8 device M/s",
                                 "bits device M/s",
                                 "u8 +copies M/s",
                                 "bits +copies M/s",
                                 "bits +copies GB/s",
                                 "CPU .so M/s",
                                 "gate kernel M/s",
                                 "pack u8 GB/s",
                                 "warps/SM",
                                 "u8 pack+net M/s",
                                 "bit-exact"};
constexpr size_t kNumColumns = sizeof(kColumns) / sizeof(kColumns[0]);

/// A manifest row: `kind name module samples [reference]`; the reference
/// is a check entry's file of expected outputs (NAME.expected where the row
/// names none) or a bench entry's net.so (none: no CPU comparison).
struct Entry {
  std::string kind, name, module, reference;
  size_t samples = 0;
};

/// A manifest `target` row: entry `name`'s column `column` at least
/// (`atLeast`) or at most `value`.
struct Target {
  std::string name;
  size_t column = 0;
  bool atLeast = true;
  double value = 0;
};

/// Runs one manifest entry; returns false when a figure could not be
/// measured or a comparison failed.
static bool runEntry(const std::string &dir, const Entry &entry,
                     const std::string &pixels) {
  const std::string &kind = entry.kind, &name = entry.name,
                    &module = entry.module, &reference = entry.reference;
  // Bench and choice entries are timed; check entries are compared with
  // the interpreter's classes and counts.
  bool timed = kind != "check";
  size_t n = entry.samples;
  std::vector<std::string> row(kNumColumns, "-");
  row[0] = name;
  row[2] = std::to_string(n);
  bool ok = true;
  auto say = [&](const std::string &what) {
    fmt::print("{}: {}\n", name, what);
    std::fflush(stdout);
  };
  // The entry's time in all, its host work included (filling the inputs,
  // packing them, the CPU backend, pinned buffers): what keeps the check
  // inside its few minutes.
  auto entryStart = std::chrono::steady_clock::now();
  auto done = [&] {
    say(fmt::format("entry done in {:.1f} s", since(entryStart)));
    std::string line;
    for (size_t i = 0; i < kNumColumns; ++i)
      line += (i ? "\t" : "") + row[i];
    std::FILE *f = std::fopen((dir + "/results.tsv").c_str(), "a");
    if (f) {
      std::fprintf(f, "%s\n", line.c_str());
      std::fclose(f);
    }
    return ok;
  };
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<CudaNet> net;
  if (Status s = CudaNet::open(dir + "/" + module, net); !s) {
    say(s.message());
    row.back() = "NO";
    ok = false;
    return done();
  }
  row[3] = fmt::format("{:.3f}", since(start));
  row[1] = std::to_string(net->gates());
  say(fmt::format("{} loaded in {} s on {} ({} gates)", module, row[3],
                  net->deviceName(), net->gates()));
  // Occupancy: what the figures below mean depends on it (a latency-bound
  // kernel speeds up with warps per multiprocessor).
  unsigned warps = net->residentBlocks() * ((net->netBlockThreads() + 31) / 32);
  row[12] = std::to_string(warps);
  say(fmt::format("lgc_net: blocks of {} threads, {} resident per "
                  "multiprocessor ({} warps){}",
                  net->netBlockThreads(), net->residentBlocks(), warps,
                  net->blockKernel()
                      ? fmt::format(", {} bytes of shared memory each, {} "
                                    "{}-bit words a block",
                                    net->netSharedBytes(), net->netBlockWords(),
                                    net->netBlockWordBits())
                      : std::string()));
  if (net->gridStrideBlocks())
    say(fmt::format("lgc_net: gate table in shared memory, at most {} blocks "
                    "a launch, each looping over the grid",
                    net->gridStrideBlocks()));
  if (net->hasBlockKernelBeside())
    say(fmt::format("{}: launches under {} samples take lgc_net_block (blocks "
                    "of {} threads, {} resident per multiprocessor, {}-bit "
                    "words), the others lgc_net",
                    module, net->samplesPerWave(), net->besideBlockThreads(),
                    net->besideResidentBlocks(), net->besideBlockWordBits()));
  size_t F = net->features(), available = pixels.size() / F;
  // The host memory the entry takes at its peak, about: the pixels and
  // their pinned copy, the packed bits and their pinned copy (four times
  // over for a bench entry), the classes and counts. Refused up front where
  // it exceeds the host's: the pixels are written before anything runs,
  // which over too little memory ends in the kernel's out-of-memory killer
  // rather than in an error.
  {
    double bits = double((n + 63) / 64) * net->inputs() * 8;
    double need = 2.0 * double(n) * F + (timed ? 5 : 2) * bits +
                  double(n) * 4 * (4 + (kind == "check" ? net->classes() : 0));
    double have = double(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
    if (need > have) {
      say(fmt::format("{} samples need about {:.1f} GB of host memory, this "
                      "host has {:.1f} GB",
                      n, need / 1e9, have / 1e9));
      row.back() = "NO";
      ok = false;
      return done();
    }
  }
  // Inputs: the bundle's images, repeated up to n samples, and their bits.
  std::vector<uint8_t> x(n * F);
  for (size_t s = 0; s < n; ++s)
    std::memcpy(&x[s * F], &pixels[(s % available) * F], F);
  std::vector<uint32_t> classes(n),
      counts(kind == "check" ? n * net->classes() : 0);
  unsigned repeat = timed ? 20 : 1;
  double device = 0;
  if (Status s =
          net->runU8(x.data(), n, counts.empty() ? nullptr : counts.data(),
                     classes.data(), &device, repeat);
      !s) {
    say(s.message());
    row.back() = "NO";
    ok = false;
    return done();
  }
  row[4] = fmt::format("{:.1f}", double(n) / device / 1e6);
  say(fmt::format("u8 on the device: {} M images/s{}", row[4],
                  net->launchesU8Kernel(n)
                      ? " (the block kernel from the pixels, no packing "
                        "kernel)"
                      : ""));
  // Each kernel alone: the packing kernel's DRAM traffic (the pixels read,
  // the input rows written) and the gate kernel's images/s.
  if (timed) {
    CudaNet::KernelTimes times;
    if (Status s =
            net->timeKernels(CudaNet::Input::U8, x.data(), n, repeat, times);
        !s) {
      say(s.message());
      ok = false;
    } else {
      double bytes = double(n) * F + double((n + 63) / 64) * net->inputs() * 8;
      row[10] = fmt::format("{:.1f}", double(n) / times.net / 1e6);
      row[11] = fmt::format("{:.0f}", bytes / times.pack / 1e9);
      // The two kernels one after the other: the u8 path of modules without
      // the block kernel's u8 form, which the u8 column above measures
      // against where it has one.
      row[13] =
          fmt::format("{:.1f}", double(n) / (times.pack + times.net) / 1e6);
      say(fmt::format("lgc_pack_u8 alone: {:.3f} ms ({} GB/s); lgc_net alone: "
                      "{:.3f} ms ({} M images/s); both: {} M images/s",
                      times.pack * 1e3, row[11], times.net * 1e3, row[10],
                      row[13]));
    }
  }
  // The reference: the interpreter's outputs for check entries, the CPU
  // backend's classes for bench entries (where the bundle has the .so).
  std::vector<uint32_t> want;
  bool exact = true;
  if (kind == "check") {
    std::string expected,
        file = reference.empty() ? name + ".expected" : reference;
    if (!readBinary(dir + "/" + file, expected) ||
        expected.size() != n * 4 + counts.size() * 4) {
      say("missing or short " + file);
      ok = false;
      row.back() = "NO";
      return done();
    }
    want.resize(n);
    std::memcpy(want.data(), expected.data(), n * 4);
    exact &= std::memcmp(expected.data() + n * 4, counts.data(),
                         counts.size() * 4) == 0;
  } else if (!reference.empty()) {
    std::unique_ptr<NetLibrary> lib;
    if (Status s = NetLibrary::open(dir + "/" + reference, lib); !s) {
      say(s.message());
    } else {
      want.resize(n);
      auto t = std::chrono::steady_clock::now();
      if (Status s = lib->runU8(x.data(), n, nullptr, want.data(), 0); !s) {
        say(s.message());
        want.clear();
      } else {
        row[9] = fmt::format("{:.1f}", double(n) / since(t) / 1e6);
        say(fmt::format("CPU backend, all host cores: {} M images/s", row[9]));
      }
    }
  }
  auto compare = [&](const std::vector<uint32_t> &got, const char *path) {
    if (want.empty())
      return;
    bool same = got == want;
    exact &= same;
    if (!same)
      say(fmt::format("classes differ ({})", path));
  };
  compare(classes, "u8");
  // Packed bits: inputs / 8 bytes per sample instead of `features`.
  std::vector<uint64_t> bits;
  {
    // The bits from the module's own encoding tables (input bit i: feature
    // f(i) >= its 8-bit threshold), the rule every backend packs by.
    std::vector<uint32_t> feature(net->inputs()), threshold(net->inputs());
    if (Status s = net->encoding(feature.data(), threshold.data()); !s) {
      say(s.message());
      ok = false;
    } else {
      // Blocks of 64 samples split over the host's cores: 4M images of a
      // 2,352-bit encoding are 9.4 G comparisons, a minute on one core.
      size_t blocks = (n + 63) / 64, inputs = net->inputs();
      bits.assign(blocks * inputs, 0);
      unsigned workers = std::max(1u, std::thread::hardware_concurrency());
      std::vector<std::thread> pool;
      for (unsigned w = 0; w < workers; ++w)
        pool.emplace_back([&, w] {
          for (size_t b = w; b < blocks; b += workers)
            for (size_t s = b * 64; s < std::min(n, b * 64 + 64); ++s)
              for (uint32_t i = 0; i < inputs; ++i)
                if (x[s * F + feature[i]] >= threshold[i])
                  bits[b * inputs + i] |= uint64_t(1) << (s % 64);
        });
      for (std::thread &t : pool)
        t.join();
    }
  }
  if (!bits.empty()) {
    std::vector<uint32_t> got(n);
    if (Status s = net->runPacked(bits.data(), n, nullptr, got.data(), &device,
                                  repeat);
        !s) {
      say(s.message());
      ok = false;
    } else {
      row[5] = fmt::format("{:.1f}", double(n) / device / 1e6);
      say(fmt::format("packed bits on the device: {} M images/s", row[5]));
      compare(got, "packed");
    }
  }
  // End to end from pinned host memory, copies overlapped with kernels, in
  // CudaNet's default chunks (a wave of the gate kernel, at most n / 2). Bench
  // entries stream packed bits four times over (the blocks repeated), so
  // that several waves' copies and kernels overlap; their classes repeat.
  for (CudaNet::Input form : {CudaNet::Input::U8, CudaNet::Input::Packed}) {
    if (form == CudaNet::Input::Packed && bits.empty())
      continue;
    bool u8 = form == CudaNet::Input::U8;
    size_t times = !u8 && timed && n % 64 == 0 ? 4 : 1, total = n * times,
           bytes = net->inputBytes(form, total);
    void *pinned = nullptr;
    if (Status s = net->allocatePinned(bytes, &pinned); !s) {
      say(s.message());
      ok = false;
      continue;
    }
    for (size_t k = 0; k < times; ++k)
      std::memcpy(static_cast<char *>(pinned) + k * (bytes / times),
                  u8 ? static_cast<const void *>(x.data()) : bits.data(),
                  bytes / times);
    std::vector<uint32_t> got(total);
    double seconds = 0;
    // Once to warm up, then timed; bench entries also try other chunks.
    Status s = net->stream(form, pinned, total, got.data());
    if (s)
      s = net->stream(form, pinned, total, got.data(), 0, &seconds);
    size_t wave = net->samplesPerWave();
    for (size_t chunk : {size_t(1) << 20, wave / 2, 2 * wave})
      if (s && timed && chunk < total) {
        double t = 0;
        std::vector<uint32_t> other(total);
        s = net->stream(form, pinned, total, other.data(), chunk, &t);
        if (s)
          say(fmt::format("{} streamed in chunks of {}: {:.1f} M images/s{}",
                          u8 ? "u8" : "packed bits", chunk,
                          double(total) / t / 1e6,
                          other == got ? "" : " (classes differ)"));
        exact &= other == got;
      }
    net->freePinned(pinned);
    if (!s) {
      say(s.message());
      ok = false;
      continue;
    }
    row[u8 ? 6 : 7] = fmt::format("{:.1f}", double(total) / seconds / 1e6);
    if (!u8)
      row[8] = fmt::format("{:.1f}", double(bytes) / seconds / 1e9);
    say(fmt::format("{} from pinned memory, with copies, {} images (a wave: "
                    "{}): {} M images/s ({:.1f} GB/s of input)",
                    u8 ? "u8" : "packed bits", total, wave, row[u8 ? 6 : 7],
                    double(bytes) / seconds / 1e9));
    for (size_t k = 1; k < times; ++k)
      exact &= std::equal(got.begin(), got.begin() + n, got.begin() + k * n);
    got.resize(n);
    compare(got, u8 ? "streamed u8" : "streamed packed");
  }
  // Check entries: the pixels already in device memory (runOnDevice, what
  // lgc_rt_run_device and Python's CUDA arrays reach), and pointers the
  // runtime must refuse before any launch, since a kernel's fault would
  // leave the context unusable: host memory, memory already freed, and an
  // allocation of half the samples. The net must then still run.
  if (kind == "check" && !want.empty()) {
    uint64_t onDevice = 0, freed = 0, half = 0;
    Status s = net->upload(x.data(), x.size(), &onDevice);
    if (s)
      s = net->upload(x.data(), x.size(), &freed);
    if (s)
      s = net->upload(x.data(), x.size() / 2, &half);
    net->freeDevice(freed);
    unsigned refused = 0;
    std::vector<uint32_t> got(n, ~0u);
    if (s) {
      for (uint64_t bad : {uint64_t(uintptr_t(x.data())), freed, half})
        refused +=
            !net->runOnDevice(CudaNet::Input::U8, bad, n, nullptr, got.data());
      s = net->runOnDevice(CudaNet::Input::U8, onDevice, n, nullptr,
                           got.data());
    }
    net->freeDevice(onDevice);
    net->freeDevice(half);
    if (!s) {
      say(s.message());
      exact = false;
    } else {
      say(fmt::format("u8 from device memory: {}; bad device pointers "
                      "refused: {} of 3",
                      got == want ? "the same classes" : "classes differ",
                      refused));
      exact &= refused == 3;
      compare(got, "u8 from device memory");
    }
  }
  if (!want.empty()) {
    row.back() = exact ? "yes" : "NO";
    ok &= exact;
  }
  return done();
}

/// A count of samples: digits only, 1 to 10^12 - 1.
static bool parseSamples(const std::string &text, size_t &n) {
  if (text.empty() || text.size() > 12 ||
      text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  n = std::stoull(text);
  return n > 0;
}

/// A figure of results.tsv as a number (false for "-" and the like, and
/// for text such as "." or "1.2.3" that is not one number whole).
static bool figure(const std::string &text, double &value) {
  if (text.empty() ||
      text.find_first_not_of("0123456789.") != std::string::npos)
    return false;
  char *end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return *end == '\0' && value > 0;
}

/// A `target` row's fields after its kind into `t`; false (and `error`
/// set) where one is malformed.
static bool parseTarget(std::istringstream &fields, Target &t,
                        std::string &error) {
  std::string column, op, value, extra;
  fields >> t.name >> column >> op >> value >> extra;
  if (value.empty() || !extra.empty()) {
    error = "expected 'target name column >=|<= value'";
    return false;
  }
  std::string spaced = column;
  std::replace(spaced.begin(), spaced.end(), '_', ' ');
  auto known = std::find_if(std::begin(kColumns), std::end(kColumns),
                            [&](const char *c) { return spaced == c; });
  // The first three columns and the last are not figures.
  if (known == std::end(kColumns) || known - std::begin(kColumns) < 3 ||
      known == std::end(kColumns) - 1) {
    error = "no figure '" + column +
            "' (a column of the summary, with _ "
            "for each space: u8_device_M/s, gate_kernel_M/s, load_s, ...)";
    return false;
  }
  t.column = size_t(known - std::begin(kColumns));
  if (op != ">=" && op != "<=") {
    error = "expected >= or <=, not '" + op + "'";
    return false;
  }
  t.atLeast = op == ">=";
  // A figure as results.tsv writes them.
  if (!figure(value, t.value)) {
    error = "a target must be a positive number, not '" + value + "'";
    return false;
  }
  return true;
}

/// Parses the manifest's rows (blank lines and lines starting with # aside);
/// a malformed row is an error at its line.
static bool parseManifest(const std::string &path, const std::string &text,
                          std::vector<Entry> &entries,
                          std::vector<Target> *targets = nullptr) {
  std::istringstream lines(text);
  std::string line;
  for (unsigned number = 1; std::getline(lines, line); ++number) {
    std::istringstream fields(line);
    Entry e;
    std::string samples, extra;
    fields >> e.kind;
    if (e.kind.empty() || e.kind[0] == '#')
      continue;
    auto fail = [&](const std::string &what) {
      fmt::print(stderr, "{}:{}: error: {}\n", path, number, what);
      return false;
    };
    if (e.kind == "target") {
      Target t;
      std::string error;
      if (!parseTarget(fields, t, error))
        return fail(error);
      if (targets)
        targets->push_back(t);
      continue;
    }
    fields >> e.name >> e.module >> samples >> e.reference >> extra;
    if (e.kind != "check" && e.kind != "bench" && e.kind != "choice")
      return fail("unknown kind '" + e.kind +
                  "' (check, bench, choice or target)");
    if (samples.empty() || !extra.empty())
      return fail("expected 'kind name module samples [reference]'");
    if (!parseSamples(samples, e.samples))
      return fail("samples must be a positive integer, not '" + samples + "'");
    entries.push_back(e);
  }
  return true;
}

/// Prints `rows` (the first the header) as a Markdown table.
static void printTable(const std::vector<std::vector<std::string>> &rows) {
  size_t columns = rows.front().size();
  std::vector<size_t> width(columns, 0);
  for (const auto &row : rows)
    for (size_t i = 0; i < columns; ++i)
      width[i] = std::max(width[i], row[i].size());
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string out = "|";
    for (size_t i = 0; i < columns; ++i)
      out += " " + rows[r][i] + std::string(width[i] - rows[r][i].size(), ' ') +
             " |";
    fmt::print("{}\n", out);
    if (r == 0) {
      std::string rule = "|";
      for (size_t i = 0; i < columns; ++i)
        rule += std::string(width[i] + 2, '-') + "|";
      fmt::print("{}\n", rule);
    }
  }
}

/// The speeds a choice is compared on (columns of kColumns).
static const size_t kComparedColumns[] = {4, 5, 7, 10, 11, 13};

/// The last row of each name in results.tsv.
using LastRows = std::map<std::string, const std::vector<std::string> *>;

/// Each choice's default in this run: the bench entry of the manifest with
/// the same reference (the net's net.so) and samples (bench_6x8000_pf16's is
/// bench_6x8000), where both have results.
static std::map<std::string, std::string>
choiceDefaults(const std::vector<Entry> &entries, const LastRows &last) {
  std::map<std::string, std::string> defaults;
  for (const Entry &choice : entries) {
    if (choice.kind != "choice" || !last.count(choice.name))
      continue;
    auto base = std::find_if(entries.begin(), entries.end(), [&](auto &e) {
      return e.kind == "bench" && !e.reference.empty() &&
             e.reference == choice.reference && e.samples == choice.samples &&
             last.count(e.name);
    });
    if (base != entries.end())
      defaults[choice.name] = base->name;
  }
  return defaults;
}

/// Each choice run beside its default: each speed's ratio, the choice's over
/// the default's, both from this run's results (the last row of each name).
static void compareChoices(const std::vector<Entry> &entries,
                           const LastRows &last,
                           const std::map<std::string, std::string> &defaults) {
  std::vector<std::vector<std::string>> table = {{"choice", "default"}};
  for (size_t c : kComparedColumns)
    table[0].push_back(std::string(kColumns[c]) + " ratio");
  for (const Entry &choice : entries) {
    auto base = defaults.find(choice.name);
    if (choice.kind != "choice" || base == defaults.end())
      continue;
    std::vector<std::string> row = {choice.name, base->second};
    for (size_t c : kComparedColumns) {
      double mine, theirs;
      row.push_back(figure((*last.at(choice.name))[c], mine) &&
                            figure((*last.at(base->second))[c], theirs)
                        ? fmt::format("{:.3f}", mine / theirs)
                        : "-");
    }
    table.push_back(row);
  }
  if (table.size() == 1)
    return;
  fmt::print("\nchoices against their defaults (same run; above 1: the "
             "choice is faster):\n");
  printTable(table);
}

/// The manifest's targets: each entry's figure, the best of its choices'
/// (defaults) in the same column, and whether either meets the target.
static void checkTargets(const std::vector<Target> &targets,
                         const LastRows &last,
                         const std::map<std::string, std::string> &defaults) {
  if (targets.empty())
    return;
  std::vector<std::vector<std::string>> table = {
      {"entry", "figure", "target", "entry's", "best choice", "met"}};
  for (const Target &t : targets) {
    auto meets = [&](double v) {
      return t.atLeast ? v >= t.value : v <= t.value;
    };
    std::vector<std::string> row = {
        t.name, kColumns[t.column],
        fmt::format("{} {}", t.atLeast ? ">=" : "<=", t.value)};
    double mine = 0;
    bool ran = last.count(t.name) && figure((*last.at(t.name))[t.column], mine);
    row.push_back(ran ? (*last.at(t.name))[t.column] : "-");
    // The best choice: the largest figure for a lower bound, the smallest
    // for an upper one.
    std::string best;
    double bestValue = 0;
    for (const auto &[choice, base] : defaults) {
      double v;
      if (base != t.name || !figure((*last.at(choice))[t.column], v))
        continue;
      if (best.empty() || (t.atLeast ? v > bestValue : v < bestValue)) {
        best = choice;
        bestValue = v;
      }
    }
    row.push_back(
        best.empty() ? "-" : (*last.at(best))[t.column] + " (" + best + ")");
    row.push_back(ran && meets(mine)                  ? "yes"
                  : !best.empty() && meets(bestValue) ? "with " + best
                                                      : "no");
    table.push_back(row);
  }
  fmt::print("\ntargets (the manifest's; 'with NAME': only that choice meets "
             "it):\n");
  printTable(table);
}

static int summary(const std::string &dir) {
  std::string text;
  if (!readBinary(dir + "/results.tsv", text))
    return 1;
  std::vector<std::vector<std::string>> rows = {
      std::vector<std::string>(kColumns, kColumns + kNumColumns)};
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> row;
    std::istringstream fields(line);
    std::string field;
    while (std::getline(fields, field, '\t'))
      row.push_back(field);
    row.resize(kNumColumns, "-");
    rows.push_back(row);
  }
  printTable(rows);
  bool failed = false;
  for (size_t r = 1; r < rows.size(); ++r)
    failed |= rows[r].back() == "NO";
  std::string manifest;
  std::vector<Entry> entries;
  std::vector<Target> targets;
  if (!readFile(dir + "/manifest.txt", manifest).ok()) {
    fmt::print("(no readable manifest.txt: choices and targets not "
               "compared)\n");
    return failed ? 1 : 0;
  }
  // A malformed row has been reported at its line, and fails the summary.
  if (!parseManifest(dir + "/manifest.txt", manifest, entries, &targets)) {
    fmt::print("(a malformed manifest.txt: choices and targets not "
               "compared)\n");
    return 1;
  }
  LastRows last;
  for (size_t r = 1; r < rows.size(); ++r)
    last[rows[r][0]] = &rows[r];
  auto defaults = choiceDefaults(entries, last);
  compareChoices(entries, last, defaults);
  checkTargets(targets, last, defaults);
  return failed ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && std::string(argv[1]) == "--expect") {
    size_t n = 0;
    if (!parseSamples(argv[4], n))
      return fmt::print(stderr,
                        "lgc-gpu-check: error: samples must be a positive "
                        "integer, not '{}'\n",
                        argv[4]),
             2;
    return expect(argv[2], argv[3], n, argv[5]);
  }
  if (argc == 3 && std::string(argv[1]) == "--summary")
    return summary(argv[2]);
  const char *usage = "usage: lgc-gpu-check BUNDLE_DIR [NAME]\n"
                      "       lgc-gpu-check --summary BUNDLE_DIR\n";
  if (argc >= 2 &&
      (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h"))
    return fmt::print("{}", usage), 0;
  // A bundle directory never starts with '-' as the scripts name it; an
  // option here is a typo, not a directory to look for a manifest in.
  if (argc >= 2 && argv[1][0] == '-') {
    std::string opt = argv[1];
    if (opt == "--summary" || opt == "--expect")
      fmt::print(stderr, "lgc-gpu-check: error: wrong arguments to {}\n", opt);
    else
      fmt::print(stderr, "lgc-gpu-check: error: unknown option '{}'\n", opt);
    return fmt::print(stderr, "{}", usage), 2;
  }
  if (argc != 2 && argc != 3) {
    fmt::print(stderr, "{}", usage);
    return 2;
  }
  std::string dir = argv[1], only = argc == 3 ? argv[2] : "";
  std::string manifestPath = dir + "/manifest.txt", manifest, pixels;
  std::vector<Entry> entries;
  if (!readBinary(manifestPath, manifest) ||
      !parseManifest(manifestPath, manifest, entries) ||
      !readBinary(dir + "/images.u8", pixels))
    return 1;
  int failures = 0, found = 0;
  for (const Entry &e : entries) {
    if (!only.empty() && e.name != only)
      continue;
    ++found;
    bool ok = false;
    try {
      ok = runEntry(dir, e, pixels);
    } catch (const std::bad_alloc &) {
      fmt::print("{}: not enough host memory for {} samples\n", e.name,
                 e.samples);
    }
    failures += !ok;
  }
  if (!only.empty() && !found)
    return fmt::print(stderr, "no entry '{}' in the manifest\n", only), 2;
  return failures ? 1 : 0;
}
