//! Operations as types: every IAM and STS operation of botocore's models is a variant of a
//! generated enum ([`crate::operations`]) that knows its wire name, the IAM action that
//! authorizes it and whether it reads or writes. A request is routed by the service its
//! credential scope names, then by its `Action`; nothing downstream looks at a name again.

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

use crate::error::ApiError;
use crate::Call;

pub use crate::operations::{IamOperation, OrganizationsOperation, StsOperation};

/// What runs one operation `O` that monban implements: the operation, the call, the decoded input.
pub(crate) type Handler<O> = for<'a> fn(O, &'a Call<'a>, &'a Value) -> HandlerFuture<'a>;

/// What a handler returns: the output to encode, or the error.
pub(crate) type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, ApiError>> + Send + 'a>>;

/// The services this endpoint serves, as a request's credential scope names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// IAM, `2010-05-08`: a global service whose requests AWS treats as made in `us-east-1`.
    Iam,
    /// STS, `2011-06-15`: regional.
    Sts,
    /// AWS Organizations, `2016-11-28`: a global service over the JSON protocol, whose requests are
    /// signed for its partition's one region, as IAM's.
    Organizations,
}

impl Service {
    /// The signing name, as a credential scope and the models spell it.
    pub fn from_signing_name(name: &str) -> Option<Service> {
        match name {
            "iam" => Some(Service::Iam),
            "sts" => Some(Service::Sts),
            "organizations" => Some(Service::Organizations),
            _ => None,
        }
    }

    /// The signing name and model name.
    pub fn name(self) -> &'static str {
        match self {
            Service::Iam => "iam",
            Service::Sts => "sts",
            Service::Organizations => "organizations",
        }
    }

    /// `aws:RequestedRegion` for a request signed for `signed_region`. IAM is a global service
    /// whose requests are made in its partition's one region (`us-east-1` in `aws`) whatever region
    /// signed them (IAM User Guide, "AWS global condition context keys": aws:RequestedRegion).
    pub fn requested_region(self, signed_region: &str, partition: monban_policy::arn::Partition) -> &str {
        match self {
            Service::Iam | Service::Organizations => partition.iam_region(),
            Service::Sts => signed_region,
        }
    }
}

/// Whether an operation reads or changes state: its action's access level in the Service
/// Authorization Reference (List and Read read; Write, Permissions management and Tagging write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only.
    Read,
    /// Changes state.
    Write,
}

/// One operation of one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// An IAM operation.
    Iam(IamOperation),
    /// An STS operation.
    Sts(StsOperation),
    /// An AWS Organizations operation.
    Organizations(OrganizationsOperation),
}

impl Operation {
    /// The operation `name` of `service`, if its model has it.
    pub fn from_wire(service: Service, name: &str) -> Option<Operation> {
        match service {
            Service::Iam => IamOperation::from_wire(name).map(Operation::Iam),
            Service::Sts => StsOperation::from_wire(name).map(Operation::Sts),
            Service::Organizations => OrganizationsOperation::from_wire(name).map(Operation::Organizations),
        }
    }

    /// The service it belongs to.
    pub fn service(self) -> Service {
        match self {
            Operation::Iam(_) => Service::Iam,
            Operation::Sts(_) => Service::Sts,
            Operation::Organizations(_) => Service::Organizations,
        }
    }

    /// The name on the wire (`CreateUser`).
    pub fn wire_name(self) -> &'static str {
        match self {
            Operation::Iam(op) => op.wire_name(),
            Operation::Sts(op) => op.wire_name(),
            Operation::Organizations(op) => op.wire_name(),
        }
    }

    /// The IAM action that authorizes it (`iam:CreateUser`).
    pub fn action(self) -> &'static str {
        match self {
            Operation::Iam(op) => op.action(),
            Operation::Sts(op) => op.action(),
            Operation::Organizations(op) => op.action(),
        }
    }

    /// Whether it reads or changes state.
    pub fn access(self) -> Access {
        match self {
            Operation::Iam(op) => op.access(),
            Operation::Sts(op) => op.access(),
            Operation::Organizations(op) => op.access(),
        }
    }

    /// Every operation of every service.
    pub fn all() -> impl Iterator<Item = Operation> {
        let iam = IamOperation::ALL.iter().copied().map(Operation::Iam);
        let organizations = OrganizationsOperation::ALL.iter().copied().map(Operation::Organizations);
        iam.chain(StsOperation::ALL.iter().copied().map(Operation::Sts)).chain(organizations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_match_the_models_and_the_catalog() {
        for service in [Service::Iam, Service::Sts, Service::Organizations] {
            let model = crate::protocol::model::service(service.name()).unwrap();
            for name in model.operations.keys() {
                let op = Operation::from_wire(service, name).unwrap();
                assert_eq!(op.wire_name(), name);
                assert_eq!(op.service(), service);
                assert_eq!(op.action(), format!("{}:{name}", service.name()));
            }
        }
        assert_eq!(Operation::from_wire(Service::Iam, "AssumeRole"), None);
        assert_eq!(Operation::Iam(IamOperation::GetUser).access(), Access::Read);
        assert_eq!(Operation::Iam(IamOperation::ListUsers).access(), Access::Read);
        assert_eq!(Operation::Iam(IamOperation::CreateUser).access(), Access::Write);
        assert_eq!(Operation::Iam(IamOperation::TagUser).access(), Access::Write);
        assert_eq!(Operation::Iam(IamOperation::AttachUserPolicy).access(), Access::Write);
        assert_eq!(Operation::Sts(StsOperation::AssumeRole).access(), Access::Write);
    }
}
