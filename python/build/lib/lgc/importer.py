"""lgn-import: bring nets trained elsewhere into lgc.

    lgn-import difflogic model.pt --thresholds 0.25,0.5,0.75 -o net.lgn
    lgn-import difflogic state.pt --indices indices.pt --classes 10 --tau 10 -o net.lgn
    lgn-import to-difflogic net.lgn [--checkpoint ck] -o state.pt

model.pt is a whole module saved with torch.save(model) (its classes must be
importable, e.g. difflogic installed), or a state_dict saved with
torch.save(model.state_dict()) together with --indices (torch.save of
[layer.indices for each LogicLayer]): difflogic does not keep the
connections in its state_dict.
"""
import argparse
import sys

from .errors import LgcError


def _floats(text):
    try:
        return [float(t) for t in text.split(",") if t]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, not {text!r}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="lgn-import", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    d = sub.add_parser("difflogic", help="a difflogic model or state_dict -> .lgn")
    d.add_argument("model", help="torch.save(model) or torch.save(model.state_dict())")
    d.add_argument("--indices", help="torch.save([layer.indices, ...]) for a state_dict")
    d.add_argument("--thresholds", type=_floats,
                   help="the input encoding: levels t0,t1,... (bit j*F+f = x[f] > t_j)")
    d.add_argument("--features", type=int, help="raw features per sample")
    d.add_argument("--classes", type=int, help="GroupSum k, for a model without GroupSum")
    d.add_argument("--tau", type=float, help="GroupSum tau (default: the model's)")
    d.add_argument("-o", "--output", required=True, help="the .lgn to write")
    t = sub.add_parser("to-difflogic", help=".lgn -> difflogic state (weights and indices)")
    t.add_argument("net", help="a .lgn whose layers read only the layer before (lgn-train's)")
    t.add_argument("--checkpoint", help="the lgn-train checkpoint of the run that wrote the "
                   "net: export its trained weights instead of one-hot ones")
    t.add_argument("-o", "--output", required=True, help="the .pt to write (torch.save)")
    args = ap.parse_args(argv)
    try:
        from .difflogic import _torch, from_difflogic, to_difflogic_state
        from .lgn import write_lgn
        torch = _torch()
        if args.command == "difflogic":
            try:
                obj = torch.load(args.model, map_location="cpu")
                idx = torch.load(args.indices, map_location="cpu") if args.indices else None
            except (OSError, RuntimeError, AttributeError, ModuleNotFoundError) as e:
                raise LgcError(f"cannot load {args.model}: {e}") from None
            net = from_difflogic(obj, thresholds=args.thresholds, features=args.features,
                                 indices=idx, classes=args.classes, tau=args.tau,
                                 metadata=[("source", args.model)])
            write_lgn(args.output, net)
        else:
            state = to_difflogic_state(args.net, checkpoint=args.checkpoint)
            torch.save(state, args.output)
    except (LgcError, FileNotFoundError, ValueError, TypeError) as e:
        print(f"lgn-import: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
