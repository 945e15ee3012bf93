lgn.net @n classes 2 tau 1.0 {
^bb0(%x: i1):
  lgn.output %x
}
