//! IAM's quotas, in one table ("IAM and AWS STS quotas", IAM User Guide; Organizations "Quotas"
//! for SCPs and RCPs; S3 "Bucket policies" for resource policies): the store enforces the count
//! quotas inside the write that could exceed them, the server the size quotas, `lint` warns of
//! documents over them, and GetAccountSummary reports them under AWS's names. A quota changes
//! here and nowhere else.

/// One of IAM's quotas, at AWS's default value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quota {
    /// Access keys per user.
    AccessKeysPerUser,
    /// Characters in a role trust policy.
    AssumeRolePolicySize,
    /// Managed policies attached to a group.
    AttachedPoliciesPerGroup,
    /// Managed policies attached to a role.
    AttachedPoliciesPerRole,
    /// Managed policies attached to a user.
    AttachedPoliciesPerUser,
    /// Characters in a group's inline policies, in all.
    GroupPolicySize,
    /// Groups a user can be in.
    GroupsPerUser,
    /// Groups in an account.
    Groups,
    /// Instance profiles in an account.
    InstanceProfiles,
    /// MFA devices per user.
    MfaDevicesPerUser,
    /// Customer managed policies in an account.
    Policies,
    /// Characters in a managed policy.
    PolicySize,
    /// Managed policy versions in use (attached) in an account.
    PolicyVersionsInUse,
    /// Characters in a resource-based policy (an S3 bucket policy's 20 KB).
    ResourcePolicySize,
    /// Characters in a role's inline policies, in all.
    RolePolicySize,
    /// Roles in an account.
    Roles,
    /// Roles in an instance profile.
    RolesPerInstanceProfile,
    /// Characters in a resource control policy.
    RcpSize,
    /// Characters in a service control policy.
    ScpSize,
    /// Resource control policies attached to one root, organizational unit or account.
    RcpsPerTarget,
    /// Service control policies attached to one root, organizational unit or account.
    ScpsPerTarget,
    /// Characters of an AssumeRole session policy's plaintext, white space included.
    SessionPolicySize,
    /// Tags passed to one session, by the request or by a federation statement.
    SessionTags,
    /// Tags on one IAM entity.
    TagsPerEntity,
    /// Characters in a user's inline policies, in all.
    UserPolicySize,
    /// Users in an account.
    Users,
    /// Versions of a managed policy.
    VersionsPerPolicy,
    /// SSH public keys per user.
    SshPublicKeysPerUser,
    /// Signing certificates per user.
    SigningCertificatesPerUser,
    /// Service-specific credentials per user and service.
    ServiceSpecificCredentialsPerService,
    /// Server certificates in an account.
    ServerCertificates,
    /// OpenID Connect providers in an account.
    OpenIdConnectProviders,
    /// SAML providers in an account.
    SamlProviders,
    /// Client IDs (audiences) of one OpenID Connect provider.
    ClientIdsPerOpenIdConnectProvider,
    /// Thumbprints of one OpenID Connect provider.
    ThumbprintsPerOpenIdConnectProvider,
}

/// A policy's size as IAM's size quotas count it: "IAM does not count white space" ("IAM and AWS
/// STS quotas"), meaning the white space between JSON tokens; inside a string every character
/// counts.
pub fn policy_size(document: &str) -> i64 {
    let mut count: i64 = 0;
    let (mut in_string, mut escaped) = (false, false);
    for c in document.chars() {
        if in_string {
            count += 1;
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            count += 1;
        } else if !c.is_whitespace() {
            count += 1;
        }
    }
    count
}

impl Quota {
    /// Every quota.
    pub const ALL: [Quota; 35] = [
        Quota::AccessKeysPerUser,
        Quota::AssumeRolePolicySize,
        Quota::AttachedPoliciesPerGroup,
        Quota::AttachedPoliciesPerRole,
        Quota::AttachedPoliciesPerUser,
        Quota::GroupPolicySize,
        Quota::GroupsPerUser,
        Quota::Groups,
        Quota::InstanceProfiles,
        Quota::MfaDevicesPerUser,
        Quota::Policies,
        Quota::PolicySize,
        Quota::PolicyVersionsInUse,
        Quota::ResourcePolicySize,
        Quota::RolePolicySize,
        Quota::Roles,
        Quota::RolesPerInstanceProfile,
        Quota::RcpSize,
        Quota::ScpSize,
        Quota::RcpsPerTarget,
        Quota::ScpsPerTarget,
        Quota::SessionPolicySize,
        Quota::SessionTags,
        Quota::TagsPerEntity,
        Quota::UserPolicySize,
        Quota::Users,
        Quota::VersionsPerPolicy,
        Quota::SshPublicKeysPerUser,
        Quota::SigningCertificatesPerUser,
        Quota::ServiceSpecificCredentialsPerService,
        Quota::ServerCertificates,
        Quota::OpenIdConnectProviders,
        Quota::SamlProviders,
        Quota::ClientIdsPerOpenIdConnectProvider,
        Quota::ThumbprintsPerOpenIdConnectProvider,
    ];

    /// AWS's default value.
    pub fn value(self) -> i64 {
        match self {
            Quota::AccessKeysPerUser => 2,
            Quota::AssumeRolePolicySize => 2048,
            Quota::AttachedPoliciesPerGroup | Quota::AttachedPoliciesPerRole | Quota::AttachedPoliciesPerUser => 10,
            Quota::GroupPolicySize => 5120,
            Quota::GroupsPerUser => 10,
            Quota::Groups => 300,
            Quota::InstanceProfiles => 1000,
            Quota::MfaDevicesPerUser => 8,
            Quota::Policies => 1500,
            Quota::PolicySize => 6144,
            Quota::PolicyVersionsInUse => 10000,
            Quota::RolePolicySize => 10240,
            Quota::Roles => 1000,
            Quota::RolesPerInstanceProfile => 1,
            Quota::ResourcePolicySize => 20_480,
            // "Quotas and service limits for AWS Organizations": 10,240 characters per SCP and ten
            // SCPs per root, OU or account (doubled from 5,120 and five in May 2026); RCPs keep
            // 5,120 characters and five per target.
            Quota::ScpSize => 10_240,
            Quota::RcpSize => 5120,
            Quota::ScpsPerTarget => 10,
            Quota::RcpsPerTarget => 5,
            Quota::SessionPolicySize => 2048,
            // "Passing session tags in AWS STS": up to 50 session tags.
            Quota::SessionTags => 50,
            Quota::TagsPerEntity => 50,
            Quota::UserPolicySize => 2048,
            Quota::Users => 5000,
            Quota::VersionsPerPolicy => 5,
            Quota::SshPublicKeysPerUser => 5,
            Quota::SigningCertificatesPerUser => 2,
            Quota::ServiceSpecificCredentialsPerService => 2,
            Quota::ServerCertificates => 20,
            Quota::OpenIdConnectProviders | Quota::SamlProviders | Quota::ClientIdsPerOpenIdConnectProvider => 100,
            Quota::ThumbprintsPerOpenIdConnectProvider => 5,
        }
    }

    /// The name IAM gives it in `LimitExceeded` messages ("Cannot exceed quota for NAME: N").
    pub fn name(self) -> &'static str {
        match self {
            Quota::AccessKeysPerUser => "AccessKeysPerUser",
            Quota::AssumeRolePolicySize => "ACLSizePerRole",
            Quota::AttachedPoliciesPerGroup => "AttachedPoliciesPerGroup",
            Quota::AttachedPoliciesPerRole => "AttachedPoliciesPerRole",
            Quota::AttachedPoliciesPerUser => "AttachedPoliciesPerUser",
            Quota::GroupPolicySize => "GroupPolicySize",
            Quota::GroupsPerUser => "GroupsPerUser",
            Quota::Groups => "GroupsPerAccount",
            Quota::InstanceProfiles => "InstanceProfilesPerAccount",
            Quota::MfaDevicesPerUser => "MFADevicesPerUser",
            Quota::Policies => "PoliciesPerAccount",
            Quota::PolicySize => "PolicySize",
            Quota::PolicyVersionsInUse => "PolicyVersionsInUse",
            Quota::ResourcePolicySize => "ResourcePolicySize",
            Quota::RolePolicySize => "RolePolicySize",
            Quota::Roles => "RolesPerAccount",
            Quota::RolesPerInstanceProfile => "InstanceSessionsPerInstanceProfile",
            Quota::RcpSize => "RcpSize",
            Quota::ScpSize => "ScpSize",
            Quota::RcpsPerTarget => "RcpsPerTarget",
            Quota::ScpsPerTarget => "ScpsPerTarget",
            Quota::SessionPolicySize => "SessionPolicySize",
            Quota::SessionTags => "SessionTags",
            Quota::TagsPerEntity => "TagsPerEntity",
            Quota::UserPolicySize => "UserPolicySize",
            Quota::Users => "UsersPerAccount",
            Quota::VersionsPerPolicy => "VersionsPerPolicy",
            Quota::SshPublicKeysPerUser => "PublicKeysPerUser",
            Quota::SigningCertificatesPerUser => "CertificatesPerUser",
            Quota::ServiceSpecificCredentialsPerService => "ServiceSpecificCredentialsPerUserPerService",
            Quota::ServerCertificates => "ServerCertificatesPerAccount",
            Quota::OpenIdConnectProviders => "OpenIdConnectProvidersPerAccount",
            Quota::SamlProviders => "SAMLProvidersPerAccount",
            Quota::ClientIdsPerOpenIdConnectProvider => "ClientIdsPerOpenIdConnectProvider",
            Quota::ThumbprintsPerOpenIdConnectProvider => "ThumbprintsPerOpenIdConnectProvider",
        }
    }

    /// Its key in GetAccountSummary's `SummaryMap`, for the quotas that IAM reports there.
    pub fn summary_key(self) -> Option<&'static str> {
        Some(match self {
            Quota::AccessKeysPerUser => "AccessKeysPerUserQuota",
            Quota::AssumeRolePolicySize => "AssumeRolePolicySizeQuota",
            Quota::AttachedPoliciesPerGroup => "AttachedPoliciesPerGroupQuota",
            Quota::AttachedPoliciesPerRole => "AttachedPoliciesPerRoleQuota",
            Quota::AttachedPoliciesPerUser => "AttachedPoliciesPerUserQuota",
            Quota::GroupPolicySize => "GroupPolicySizeQuota",
            Quota::GroupsPerUser => "GroupsPerUserQuota",
            Quota::Groups => "GroupsQuota",
            Quota::InstanceProfiles => "InstanceProfilesQuota",
            Quota::Policies => "PoliciesQuota",
            Quota::PolicySize => "PolicySizeQuota",
            Quota::PolicyVersionsInUse => "PolicyVersionsInUseQuota",
            Quota::RolePolicySize => "RolePolicySizeQuota",
            Quota::Roles => "RolesQuota",
            Quota::UserPolicySize => "UserPolicySizeQuota",
            Quota::Users => "UsersQuota",
            Quota::VersionsPerPolicy => "VersionsPerPolicyQuota",
            Quota::SigningCertificatesPerUser => "SigningCertificatesPerUserQuota",
            Quota::ServerCertificates => "ServerCertificatesQuota",
            Quota::MfaDevicesPerUser
            | Quota::SshPublicKeysPerUser
            | Quota::ServiceSpecificCredentialsPerService
            | Quota::OpenIdConnectProviders
            | Quota::SamlProviders
            | Quota::ClientIdsPerOpenIdConnectProvider
            | Quota::ThumbprintsPerOpenIdConnectProvider
            | Quota::RolesPerInstanceProfile
            | Quota::TagsPerEntity
            | Quota::ResourcePolicySize
            | Quota::RcpSize
            | Quota::ScpSize
            | Quota::RcpsPerTarget
            | Quota::ScpsPerTarget
            | Quota::SessionPolicySize
            | Quota::SessionTags => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_space_counts_only_inside_strings() {
        assert_eq!(policy_size("{ \"a\" : [ 1 ,\n 2 ] }"), 11);
        assert_eq!(policy_size(r#"{"Sid": "a b"}"#), 13);
        assert_eq!(policy_size(r#"{"x": "\" "}"#), 11);
    }
}
