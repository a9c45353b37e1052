//! End-to-end tests of `monban serve` with the AWS SDK for Rust live in `tests/`.
