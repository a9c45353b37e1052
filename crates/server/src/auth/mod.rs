//! Who is calling, and whether they may: SigV4 authentication against stored keys
//! ([`authenticate()`]), then authorization of every operation by the policy engine with the
//! request context AWS fills in ([`check`]).

mod authenticate;
mod authorize;
mod cache;
mod identity;
pub(crate) mod references;

pub use authenticate::authenticate;
pub(crate) use authenticate::*;
pub use authorize::{check, managed_policy, policy_set, trust_policy, Authorization, CallContext};
pub(crate) use authorize::{effective_tags, organization_deny, principal_policies};
pub use cache::PolicyCache;
pub(crate) use cache::{
    change_of, principal, principal_tags, BoundedSet, Change, CompiledTrust, PendingChange, Subject,
};
pub use identity::Identity;
