//! Support for pegboard's benchmarks: generated plugins (see build.rs).
