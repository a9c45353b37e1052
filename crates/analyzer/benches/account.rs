//! Account analysis at scale: a synthetic account of 5,000 roles (1,500 users, 6,500 principals
//! with the planted ones), read from JSON, compiled, searched for escalation paths and audited.
//! Prints each phase's wall time and the process's peak memory (`VmHWM`). Run with
//! `cargo bench -p monban-analyzer --bench account -- [ROLES] [dense]`: `dense` generates the
//! dense-trust shape ([`synthetic::Trust::Dense`]) that makes pairwise graphs quadratic.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use monban_analyzer::account::credentials::CredentialReport;
use monban_analyzer::account::{audit, escalation, synthetic, Account, Directory, Options};

mod common;

use common::peak_memory;

fn main() {
    let roles: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5000);
    let shape = if std::env::args().any(|a| a == "dense") { synthetic::Trust::Dense } else { synthetic::Trust::Teams };
    let replicas = (roles / 500).max(1);
    let t = Instant::now();
    let s = synthetic::generate_shaped(roles, replicas, shape);
    let text = s.details.to_string();
    println!(
        "generate ({shape:?}): {roles} roles, {replicas} replicas of the planted items, {} MB of JSON in {:.2?}",
        text.len() / 1_000_000,
        t.elapsed()
    );

    let t = Instant::now();
    let account = Account::from_json(&text, "synthetic.json").unwrap();
    let dir = Directory::new(vec![account], Vec::new(), Options::default()).unwrap();
    println!("read + compile + admin check: {} principals in {:.2?}", dir.principals.len(), t.elapsed());

    let t = Instant::now();
    let report = escalation::analyze(&dir, None);
    let escalation_time = t.elapsed();
    println!(
        "escalation: {} decisions, {} principals with paths in {escalation_time:.2?}",
        report.decisions,
        report.paths.len()
    );
    assert_eq!(report.paths.len(), s.truth.escalations.len());

    // What `monban escalation` runs by default: once more under each requirement the account's
    // conditions name (here MFA).
    let t = Instant::now();
    let report = escalation::analyze_conditional(&dir, None, &mut |_, _| {});
    println!(
        "escalation with conditional paths: {} decisions, {} principals with paths in {:.2?}",
        report.decisions,
        report.paths.len(),
        t.elapsed()
    );
    assert_eq!(report.paths.len(), s.truth.escalations.len() + s.truth.conditional.len());

    let t = Instant::now();
    let csv = CredentialReport::from_csv(&s.credential_report, "report.csv").unwrap();
    let findings = audit::audit(&dir, &[csv], 90);
    let audit_time = t.elapsed();
    println!("audit: {} findings in {audit_time:.2?}", findings.findings.len());
    if shape == synthetic::Trust::Teams {
        assert_eq!(findings.findings.len(), s.truth.findings.len());
    }
    println!("peak memory: {}", peak_memory());
}
