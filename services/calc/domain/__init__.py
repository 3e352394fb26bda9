"""Pure calculation domain of calculations.md: plain values in, plain values out; no I/O, clock or randomness."""
