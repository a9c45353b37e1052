//! monban's analyzer: everything that reasons *about* policies rather than deciding one request.
//!
//! - [`lint`]: is a policy written correctly and safely? (Access Analyzer's ValidatePolicy vocabulary)
//! - [`compare`] and [`check`]: does a policy grant more than it should? (exact where decidable)
//! - [`account`]: the six IAM anti-patterns, privilege-escalation paths and effective permissions
//!   of the principals in an account's authorization details.
//! - [`activity`]: least privilege from what principals were seen doing (CloudTrail, monban's audit
//!   log).
//!
//! Every question is answered with `monban-policy`'s engine and `monban-catalog`'s action data, so
//! the analyzer and the IAM server can never disagree about what a policy means.

pub mod account;
pub mod activity;
pub mod check;
pub mod compare;
pub mod lint;
pub mod plan;
pub mod text;
