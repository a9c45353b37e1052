//! Least privilege from activity: what principals were seen doing ([`records`]), what each call
//! needed ([`mapping`]), and the policy that allows exactly that, proven by the engine
//! ([`generate`]).

pub mod generate;
pub mod mapping;
pub mod records;
pub mod workload;
