//! monban's policy engine: the IAM policy language and AWS's evaluation logic, with no I/O.
//!
//! Everything else in monban (the IAM server's enforcement, `monban eval`, the analyzer) asks this
//! crate one question: given a request and the policies that apply, does AWS allow it, and why?
//! Policies are parsed and compiled once ([`Policy::parse`]); [`authorize`] then decides without
//! parsing and, on the common path, without allocating; [`explain`] says statement by statement
//! what matched.
//!
//! ```
//! use std::sync::Arc;
//! use monban_policy::{authorize, Caller, Outcome, Policy, PolicySet, Request};
//!
//! let policy = Policy::parse(r#"{
//!     "Version": "2012-10-17",
//!     "Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::photos/*"}
//! }"#).unwrap();
//! let policies = PolicySet { identity: vec![Arc::new(policy)], ..PolicySet::default() };
//! let alice = Caller::from_arn("arn:aws:iam::111122223333:user/alice", None).unwrap();
//! let request = Request::new(alice, "s3:GetObject", "arn:aws:s3:::photos/cat.jpg");
//! assert_eq!(authorize(&request, &policies).outcome, Outcome::Allow);
//! ```

pub mod acceptance;
pub mod arn;
pub mod condition;
pub mod context;
pub mod eval;
pub mod input;
pub mod json;
pub mod pattern;
pub mod policy;
pub mod quotas;
pub mod request;
pub mod simulate;

pub use eval::{authorize, explain, Decision, Explanation, Outcome, PolicySet, PolicyType, StatementRef};
pub use input::EvaluationInput;
pub use policy::{DocumentError, DocumentErrorKind, Effect, Policy, Statement, Version};
pub use request::{Caller, CallerError, CallerKind, Context, ContextValue, Request};
