//! The one error type of the API: each variant knows its AWS code, HTTP status and fault side.
//!
//! Internal details (database errors, model inconsistencies) are logged and never returned: the
//! client sees `ServiceFailure` with a request id to quote.

use monban_store::{Conflict, Existing, Limit, Missing, StoreError, UserCredentialKind};

/// An error as AWS returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// AWS's error code (`NoSuchEntity`).
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// Whether the client is at fault (`Sender`) or the service (`Receiver`).
    pub sender: bool,
    /// The message.
    pub message: String,
    /// For `AccessDenied`: the statement (or the policy type without an allow) that decided, named
    /// for the request log. AWS does not say it on the wire, so neither does monban.
    pub decided_by: Option<Box<str>>,
}

macro_rules! errors {
    ($($(#[$doc:meta])* $fn:ident => $code:literal, $status:literal;)*) => {
        impl ApiError {
            $(
                $(#[$doc])*
                pub fn $fn(message: impl Into<String>) -> ApiError {
                    ApiError { code: $code, status: $status, sender: true, message: message.into(), decided_by: None }
                }
            )*
        }
    };
}

errors! {
    /// The entity does not exist.
    no_such_entity => "NoSuchEntity", 404;
    /// The name is taken.
    already_exists => "EntityAlreadyExists", 409;
    /// The policy document is invalid.
    malformed_policy => "MalformedPolicyDocument", 400;
    /// A quota would be exceeded.
    limit_exceeded => "LimitExceeded", 409;
    /// A parameter fails its constraints.
    validation => "ValidationError", 400;
    /// A parameter is invalid for the operation.
    invalid_input => "InvalidInput", 400;
    /// The entity still has dependents.
    delete_conflict => "DeleteConflict", 409;
    /// The caller is not authorized.
    access_denied => "AccessDenied", 403;
    /// The access key is unknown or inactive.
    invalid_client_token => "InvalidClientTokenId", 403;
    /// The signature is wrong or expired.
    signature_mismatch => "SignatureDoesNotMatch", 403;
    /// The session token has expired.
    expired_token => "ExpiredToken", 400;
    /// The request has no authentication.
    missing_authentication => "MissingAuthenticationToken", 403;
    /// The action name is unknown.
    invalid_action => "InvalidAction", 400;
    /// A required parameter is missing.
    missing_parameter => "MissingParameter", 400;
    /// The MFA codes given are not the device's.
    invalid_authentication_code => "InvalidAuthenticationCode", 403;
    /// The request body is over the limit.
    request_entity_too_large => "RequestEntityTooLarge", 413;
    /// AssumeRole's policy is too large.
    packed_policy_too_large => "PackedPolicyTooLarge", 400;
    /// A password breaks the account password policy.
    password_policy_violation => "PasswordPolicyViolation", 400;
    /// The caller is not the kind of identity the operation is for (ChangePassword: an IAM user).
    invalid_user_type => "InvalidUserType", 400;
    /// The entity changed while the request was checked against it.
    entity_temporarily_unmodifiable => "EntityTemporarilyUnmodifiable", 409;
    /// The SSH public key is on the user already.
    duplicate_ssh_public_key => "DuplicateSSHPublicKey", 400;
    /// The SSH public key is not a usable key.
    invalid_public_key => "InvalidPublicKey", 400;
    /// The SSH public key is in neither the SSH nor the PEM encoding.
    unrecognized_public_key_encoding => "UnrecognizedPublicKeyEncoding", 400;
    /// The certificate cannot be parsed.
    malformed_certificate => "MalformedCertificate", 400;
    /// The certificate is not valid (expired, not yet valid).
    invalid_certificate => "InvalidCertificate", 400;
    /// The certificate is on a user of the account already.
    duplicate_certificate => "DuplicateCertificate", 409;
    /// The private key is not the certificate's.
    key_pair_mismatch => "KeyPairMismatch", 400;
    /// The service has no service-specific credentials.
    not_supported_service => "NotSupportedService", 404;
    /// No credential report has been generated.
    report_not_present => "ReportNotPresent", 410;
    /// The credential report is older than four hours.
    report_expired => "ReportExpired", 410;
    /// The entity is owned by an AWS service (a service-linked role).
    unmodifiable_entity => "UnmodifiableEntity", 400;
    /// A parameter names nothing that exists (STS).
    invalid_parameter_value => "InvalidParameterValue", 400;
    /// DecodeAuthorizationMessage was given something that is not an encoded authorization message.
    invalid_authorization_message => "InvalidAuthorizationMessageException", 400;
    /// AssumeRoleWithWebIdentity and AssumeRoleWithSAML: the token or assertion is not valid for the provider.
    invalid_identity_token => "InvalidIdentityToken", 400;
    /// AssumeRoleWithWebIdentity and AssumeRoleWithSAML: the token or assertion has expired.
    expired_token_exception => "ExpiredTokenException", 400;
    /// AssumeRoleWithWebIdentity: the provider's keys could not be fetched.
    idp_communication_error => "IDPCommunicationError", 400;
    /// IAM: outbound web identity federation is enabled already.
    feature_enabled => "FeatureEnabled", 409;
    /// IAM: outbound web identity federation is not enabled.
    feature_disabled => "FeatureDisabled", 404;
    /// GetWebIdentityToken: the account has not enabled outbound web identity federation.
    outbound_federation_disabled => "OutboundWebIdentityFederationDisabledException", 403;
    /// GetWebIdentityToken: the token would outlive the calling session.
    session_duration_escalation => "SessionDurationEscalationException", 403;
    /// AssumeRoleWithSAML: the identity provider's response says authentication failed.
    idp_rejected_claim => "IDPRejectedClaim", 403;
    /// A JSON-protocol service has no operation of that name.
    unknown_operation => "UnknownOperationException", 400;
    /// A JSON request body that is not JSON (the JSON protocol's services).
    serialization => "SerializationException", 400;
    /// Organizations: the caller's account is in no organization.
    organizations_not_in_use => "AWSOrganizationsNotInUseException", 400;
    /// Organizations: the caller's account is in an organization already.
    already_in_organization => "AlreadyInOrganizationException", 400;
    /// Organizations: the organization still has member accounts.
    organization_not_empty => "OrganizationNotEmptyException", 400;
    /// Organizations: an input is invalid.
    invalid_input_exception => "InvalidInputException", 400;
    /// Organizations: no root or unit has the ParentId.
    parent_not_found => "ParentNotFoundException", 400;
    /// Organizations: no unit or account has the ChildId.
    child_not_found => "ChildNotFoundException", 400;
    /// Organizations: no member account has the id.
    account_not_found => "AccountNotFoundException", 400;
    /// Organizations: no unit has the id.
    organizational_unit_not_found => "OrganizationalUnitNotFoundException", 400;
    /// Organizations: a unit of that name is under the parent already.
    duplicate_organizational_unit => "DuplicateOrganizationalUnitException", 400;
    /// Organizations: the unit still holds units or accounts.
    organizational_unit_not_empty => "OrganizationalUnitNotEmptyException", 400;
    /// Organizations: MoveAccount's source is no parent of the account.
    source_parent_not_found => "SourceParentNotFoundException", 400;
    /// Organizations: MoveAccount's destination does not exist.
    destination_parent_not_found => "DestinationParentNotFoundException", 400;
    /// Organizations: the account is in the destination already.
    duplicate_account => "DuplicateAccountException", 400;
    /// Organizations: a limit or rule of the organization would be broken.
    constraint_violation => "ConstraintViolationException", 400;
    /// Organizations: no root, unit or account has the TargetId.
    target_not_found => "TargetNotFoundException", 400;
    /// Organizations: no policy has the id.
    policy_not_found => "PolicyNotFoundException", 400;
    /// Organizations: a policy of that name and type exists.
    duplicate_policy => "DuplicatePolicyException", 400;
    /// Organizations: the policy is attached to the target already.
    duplicate_policy_attachment => "DuplicatePolicyAttachmentException", 400;
    /// Organizations: the policy is not attached to the target.
    policy_not_attached => "PolicyNotAttachedException", 400;
    /// Organizations: the policy type is not enabled on the root.
    policy_type_not_enabled => "PolicyTypeNotEnabledException", 400;
    /// Organizations: the policy type is enabled already.
    policy_type_already_enabled => "PolicyTypeAlreadyEnabledException", 400;
    /// Organizations: the policy document is not one of its type.
    malformed_policy_document_exception => "MalformedPolicyDocumentException", 400;
    /// Organizations: the policy is still attached.
    policy_in_use => "PolicyInUseException", 400;
    /// Organizations: no root has the id.
    root_not_found => "RootNotFoundException", 400;
    /// IAM: the account is in no organization.
    organization_not_found => "OrganizationNotFoundException", 400;
    /// IAM: the caller's account is not the management account (centralized root access).
    account_not_management_or_delegated_administrator => "AccountNotManagementOrDelegatedAdministratorException", 400;
    /// IAM: the organization does not have all features.
    organization_not_in_all_features_mode => "OrganizationNotInAllFeaturesModeException", 400;
    /// IAM: Organizations has no trusted access for IAM.
    service_access_not_enabled => "ServiceAccessNotEnabledException", 400;
    /// Organizations: the account is a delegated administrator for the service already.
    account_already_registered => "AccountAlreadyRegisteredException", 400;
    /// Organizations: the account is no delegated administrator.
    account_not_registered => "AccountNotRegisteredException", 400;
    /// Organizations: the management account cannot leave its organization.
    master_cannot_leave_organization => "MasterCannotLeaveOrganizationException", 400;
    /// Organizations: no handshake has the id (or the caller is no party to it).
    handshake_not_found => "HandshakeNotFoundException", 400;
    /// Organizations: the invitation cannot be made or accepted.
    handshake_constraint_violation => "HandshakeConstraintViolationException", 400;
    /// Organizations: an open invitation to the account exists.
    duplicate_handshake => "DuplicateHandshakeException", 400;
    /// Organizations: the handshake is no longer open.
    invalid_handshake_transition => "InvalidHandshakeTransitionException", 400;
    /// Organizations: the organization's feature set has no policy types.
    policy_type_not_available => "PolicyTypeNotAvailableForOrganizationException", 400;
    /// Organizations: no CreateAccount request has the id.
    create_account_status_not_found => "CreateAccountStatusNotFoundException", 400;
}

impl ApiError {
    /// An operation monban knows but does not implement yet (listed in docs/compatibility.md).
    pub fn not_implemented(action: &str) -> ApiError {
        ApiError {
            code: "NotImplemented",
            status: 501,
            sender: false,
            message: format!("The operation {action} is not implemented by monban yet; see docs/compatibility.md."),
            decided_by: None,
        }
    }

    /// A failure inside monban; the detail goes to the log, not to the client.
    pub fn internal(detail: impl Into<String>) -> ApiError {
        ApiError { code: "ServiceFailure", status: 500, sender: false, message: detail.into(), decided_by: None }
    }

    /// The message the client sees (internal details hidden).
    pub fn public_message(&self) -> &str {
        if self.code == "ServiceFailure" {
            "The request processing has failed because of an unknown error, exception or failure."
        } else {
            &self.message
        }
    }

    /// The AWS error XML document.
    pub fn to_xml(&self, namespace: &str, request_id: &str) -> String {
        let kind = if self.sender { "Sender" } else { "Receiver" };
        format!(
            "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            self.code,
            crate::protocol::model::escape(self.public_message())
        )
    }
}

/// The store says what happened; these are AWS's words for it (IAM API Reference, each
/// operation's errors).
impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound(missing) => ApiError::no_such_entity(match missing {
                Missing::Principal(kind, name) => format!("The {} with name {name} cannot be found.", kind.as_str()),
                Missing::InlinePolicy(kind, name) => {
                    format!("The {} policy with name {name} cannot be found.", kind.as_str())
                }
                Missing::ManagedPolicy(arn) => format!("Policy {arn} does not exist or is not attachable."),
                Missing::Attachment(arn) => format!("Policy {arn} was not found."),
                Missing::PolicyVersion(arn, version, deleting) => {
                    let what = if deleting { "deletable" } else { "attachable" };
                    format!("Policy {arn} version {version} does not exist or is not {what}.")
                }
                Missing::AccessKey(id) => format!("The Access Key with id {id} cannot be found."),
                Missing::LoginProfile(user) => format!("Login Profile for User {user} cannot be found."),
                Missing::InstanceProfile(name) => format!("Instance Profile {name} cannot be found."),
                Missing::RoleInInstanceProfile(role, profile) => {
                    format!("The role with name {role} cannot be found in instance profile {profile}.")
                }
                Missing::MfaDevice(serial) => format!("MFA Device with serial number {serial} does not exist."),
                Missing::VirtualMfaDevice(serial) => {
                    format!("VirtualMFADevice with serial number {serial} doesn't exist.")
                }
                Missing::PasswordPolicy(account) => {
                    format!("The Password Policy with domain name {account} cannot be found.")
                }
                Missing::UserCredential(kind, id) => match kind {
                    UserCredentialKind::SshPublicKey => format!("The Public Key with id {id} cannot be found."),
                    UserCredentialKind::SigningCertificate => format!("The Certificate with id {id} cannot be found."),
                    UserCredentialKind::ServiceSpecific => {
                        format!("The Service Specific Credential with id {id} cannot be found.")
                    }
                },
                Missing::ServerCertificate(name) => format!("The Server Certificate with name {name} cannot be found."),
                Missing::IdentityProvider(arn) if arn.contains(":saml-provider/") => {
                    format!("Manifest not found for arn {arn}")
                }
                Missing::IdentityProvider(arn) => format!("OpenIDConnect Provider not found for arn {arn}"),
            }),
            StoreError::AlreadyExists(Existing::UserCredential(UserCredentialKind::SshPublicKey)) => {
                ApiError::duplicate_ssh_public_key(
                    "The request was rejected because the SSH public key is already associated with the specified \
                     IAM user.",
                )
            }
            StoreError::AlreadyExists(Existing::UserCredential(_)) => ApiError::duplicate_certificate(
                "The request was rejected because the same certificate is associated with an IAM user in the account.",
            ),
            StoreError::AlreadyExists(existing) => ApiError::already_exists(match existing {
                Existing::Principal(kind, name) => format!("{} with name {name} already exists.", kind.title()),
                Existing::ManagedPolicy(name) => {
                    format!("A policy called {name} already exists. Duplicate names are not allowed.")
                }
                Existing::LoginProfile(user) => format!("Login Profile for user {user} already exists."),
                Existing::InstanceProfile(name) => format!("Instance Profile {name} already exists."),
                Existing::MfaDevice => "MFADevice entity at the same path and name already exists.".into(),
                Existing::MfaDeviceInUse => "MFA Device is already in use.".into(),
                Existing::ServerCertificate(name) => format!("The Server Certificate with name {name} already exists."),
                Existing::IdentityProvider(arn) => format!("Provider with arn {arn} already exists."),
                Existing::UserCredential(_) => "The credential already exists.".into(),
            }),
            StoreError::Conflict(conflict) => ApiError::delete_conflict(match conflict {
                Conflict::MfaDevice => "Cannot delete entity, must delete MFA device first.",
                Conflict::LoginProfile => "Cannot delete entity, must delete login profile first.",
                Conflict::InstanceProfile => "Cannot delete entity, must remove roles from instance profile first.",
                Conflict::InlinePolicies => "Cannot delete entity, must delete policies first.",
                Conflict::AttachedPolicies => "Cannot delete entity, must detach all policies first.",
                Conflict::AccessKeys => "Cannot delete entity, must delete access keys first.",
                Conflict::GroupMembers => "Cannot delete entity, must remove users from group first.",
                Conflict::PolicyInUse => "Cannot delete a policy attached to entities.",
                Conflict::PolicyVersions => {
                    "This policy has more than one version. Before you delete a policy, you must delete the \
                     policy's versions. The default version is deleted with the policy."
                }
                Conflict::DefaultVersion => "Cannot delete the default version of a policy.",
                Conflict::MfaDeviceInUse => "MFA VirtualDevice in use. Must deactivate first.",
                Conflict::PasswordChanged => "The password changed while the request was checked; try again.",
                Conflict::UserCredentials(UserCredentialKind::SigningCertificate) => {
                    "Cannot delete entity, must delete signing certificates first."
                }
                Conflict::UserCredentials(UserCredentialKind::SshPublicKey) => {
                    "Cannot delete entity, must delete SSH public keys first."
                }
                Conflict::UserCredentials(UserCredentialKind::ServiceSpecific) => {
                    "Cannot delete entity, must delete service specific credentials first."
                }
            }),
            StoreError::LimitExceeded(limit) => ApiError::limit_exceeded(match limit {
                Limit::AccessKeysPerUser(n) => format!("Cannot exceed quota for AccessKeysPerUser: {n}"),
                Limit::GroupsPerUser(n) => format!("Cannot exceed quota for GroupsPerUser: {n}"),
                Limit::PoliciesPer(kind, n) => format!("Cannot exceed quota for PoliciesPer{}: {n}", kind.title()),
                Limit::MfaDevicesPerUser(n) => format!("Cannot exceed quota for MFADevicesPerUser: {n}"),
                Limit::PolicyVersions(n) => format!(
                    "A managed policy can have up to {n} versions. Before you create a new version, you must delete \
                     an existing version."
                ),
                Limit::Tags(_) => "The number of tags has reached the maximum limit.".into(),
                Limit::RolesPerInstanceProfile(n) => {
                    format!("Cannot exceed quota for InstanceSessionsPerInstanceProfile: {n}")
                }
                // The handler names the owner; this is the wording without it.
                Limit::InlinePolicySize(kind, n) => {
                    format!("Maximum policy size of {n} bytes exceeded for {}", kind.as_str())
                }
                Limit::Reached(quota) => format!("Cannot exceed quota for {}: {}", quota.name(), quota.value()),
            }),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<monban_sigv4::Sigv4Error> for ApiError {
    fn from(error: monban_sigv4::Sigv4Error) -> ApiError {
        let code = error.code();
        ApiError {
            code,
            status: error.http_status(),
            sender: error.is_sender_fault(),
            message: error.aws_message(),
            decided_by: None,
        }
    }
}
