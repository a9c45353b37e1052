//! The handlers of the operations monban implements, one file per entity family: each
//! authorizes the exact action and resource AWS would, then reads or writes through the store.

pub(crate) mod iam;
pub(crate) use iam::credential_report::CredentialReport;
pub(crate) use iam::last_accessed::LastAccessedJob;
pub(crate) mod organizations;
pub(crate) mod sts;
