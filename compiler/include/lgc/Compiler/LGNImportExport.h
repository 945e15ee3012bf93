//===- LGNImportExport.h - .lgn <-> lgn dialect -----------------*- C++ -*-===//
//
// Part of lgc. Import and export carry everything the .lgn format holds
// (encoding, layers, metadata), so .lgn -> MLIR -> .lgn is the identity.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_COMPILER_LGNIMPORTEXPORT_H
#define LGC_COMPILER_LGNIMPORTEXPORT_H

#include "lgc/Dialect/LGN/LGNOps.h"
#include "lgc/Runtime/Net.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace lgc {

/// Builds a module holding one `lgn.net` named `name`. `fileName` becomes
/// the ops' location.
mlir::OwningOpRef<mlir::ModuleOp> importNet(const Net &net,
                                            mlir::MLIRContext *context,
                                            llvm::StringRef fileName = "",
                                            llvm::StringRef name = "net");

/// Converts an `lgn.net` back to a Net. Constants become `zero`/`one` gates
/// on input 0. Fails with a diagnostic on the op for IR that the format
/// cannot hold.
mlir::LogicalResult exportNet(lgn::NetOp op, Net &net);

/// The single `lgn.net` of a module, or an error on the module.
mlir::FailureOr<lgn::NetOp> getSingleNet(mlir::ModuleOp module);

} // namespace lgc

#endif // LGC_COMPILER_LGNIMPORTEXPORT_H
