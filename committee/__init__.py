"""The committee's side: bundles of a branch's locked quarters, their offline verification, the
committee database that keeps them, and its reports. Imports db, exports and core; never the TUI."""
