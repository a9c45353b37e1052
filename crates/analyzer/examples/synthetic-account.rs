//! Writes a synthetic account (`aws iam get-account-authorization-details` output) to standard
//! output, for timing `monban escalation`, `audit` and `effective` on accounts of any size:
//!
//! ```text
//! cargo run --release -p monban-analyzer --example synthetic-account -- 50000 dense > account.json
//! monban escalation account.json --now 2025-01-01T00:00:00Z
//! ```
//!
//! Arguments: the number of background roles (users are 30% of that), and `dense` for the
//! dense-trust shape ([`synthetic::Trust::Dense`]). The planted items are repeated once per 500
//! roles, as in the `account` benchmark.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use monban_analyzer::account::synthetic;

fn main() {
    let roles: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5000);
    let shape = if std::env::args().any(|a| a == "dense") { synthetic::Trust::Dense } else { synthetic::Trust::Teams };
    let s = synthetic::generate_shaped(roles, (roles / 500).max(1), shape);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer(&mut out, &s.details).expect("write the account");
    writeln!(out).expect("write the account");
}
