"""Pure domain of jifen: schemes as data and the scoring engine. No I/O, no UI."""
