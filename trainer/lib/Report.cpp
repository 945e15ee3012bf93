//===- Report.cpp - The trainer's outputs: log, plot, trained net ---------===//
//
// Part of lgc. What a run leaves behind: the CSV log of the evaluations, an
// SVG of the curves (Plot.cpp), and the discretised net with its training
// metadata.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/Trainer.h"

#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"

#include <algorithm>
#include <cstdio>

using namespace lgc;
using namespace lgc::train;

std::string lgc::train::historyCSV(const std::vector<HistoryRow> &history,
                                   const std::string &evalName) {
  std::string csv = "iteration,seconds,train_loss,train_accuracy," + evalName +
                    "_relaxed_accuracy," + evalName + "_discrete_accuracy\n";
  char line[256];
  for (const HistoryRow &h : history) {
    std::snprintf(line, sizeof line, "%llu,%.3f,%.6f,%.6f,%.6f,%.6f\n",
                  (unsigned long long)h.iteration, h.seconds, h.trainLoss,
                  h.trainAccuracy, h.testRelaxed, h.testDiscrete);
    csv += line;
  }
  return csv;
}

Status Trainer::writeOutputs(const EvalResult &last, double seconds) {
  if (!opts.log.empty())
    if (Status s = writeFileAtomic(opts.log, historyCSV(history, evalName()));
        !s)
      return s;
  if (!opts.plot.empty())
    if (Status s = writeFileAtomic(
            opts.plot, plotHistory(history, opts.model.describe(), evalName()));
        !s)
      return s;
  if (!opts.output.empty()) {
    Net net = model.discretize();
    char acc[64];
    net.metadata.emplace_back("generator", "lgn-train");
    if (!opts.dataName.empty())
      net.metadata.emplace_back("dataset", opts.dataName);
    net.metadata.emplace_back("config", opts.model.describe());
    net.metadata.emplace_back(
        "optimizer",
        "adam lr=" + std::to_string(opts.lr) +
            " batch=" + std::to_string(opts.batch) +
            (opts.lrSchedule == LRSchedule::Cosine ? " schedule=cosine" : "") +
            (opts.gumbel > 0 ? " gumbel=" + std::to_string(opts.gumbel) : ""));
    if (opts.augments()) {
      std::string augment = "shift=" + std::to_string(opts.shift);
      if (opts.flip)
        augment += " flip";
      char buf[64];
      if (opts.rotate > 0) {
        std::snprintf(buf, sizeof buf, " rotate=%g", opts.rotate);
        augment += buf;
      }
      if (opts.scale > 0) {
        std::snprintf(buf, sizeof buf, " scale=%g", opts.scale);
        augment += buf;
      }
      if (opts.elastic > 0) {
        std::snprintf(buf, sizeof buf, " elastic=%g", opts.elastic);
        augment += buf;
      }
      net.metadata.emplace_back("augment", augment);
    }
    if (!opts.teacher.empty()) {
      char distill[96];
      std::snprintf(distill, sizeof distill, " weight=%g temperature=%g",
                    opts.distill, opts.distillTemperature);
      net.metadata.emplace_back("distill", "teacher=" + opts.teacher + distill);
    }
    net.metadata.emplace_back("iterations", std::to_string(iteration));
    std::snprintf(acc, sizeof acc, "%.4f", finalTestAccuracy);
    net.metadata.emplace_back("test_accuracy", acc);
    std::snprintf(acc, sizeof acc, "%.4f", last.discreteAccuracy);
    net.metadata.emplace_back(std::string(evalName()) + "_discrete_accuracy",
                              acc);
    std::snprintf(acc, sizeof acc, "%.4f", last.relaxedAccuracy);
    net.metadata.emplace_back(std::string(evalName()) + "_relaxed_accuracy",
                              acc);
    std::snprintf(acc, sizeof acc, "%.1f", seconds);
    net.metadata.emplace_back("training_seconds", acc);
    if (Status s = writeNetFile(opts.output, net); !s)
      return s;
  }
  return Status::success();
}
