//! Shared helpers of pegboard's integration tests.
