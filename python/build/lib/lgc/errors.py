"""The exception every lgc call raises for errors the C side reports."""


class LgcError(RuntimeError):
    """An error from lgc: the message is the runtime's own diagnostic
    ("net.lgn:4:7: error: ..." where there is a location)."""
