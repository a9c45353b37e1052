-- AWS Organizations: an organization is one document (its roots, units, member accounts,
-- policies and attachments; small, and always read and changed whole), and every member account
-- is indexed to the organization it belongs to, so a call finds its account's organization with
-- one lookup. An account belongs to at most one organization.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    management_account TEXT NOT NULL UNIQUE,
    document TEXT NOT NULL
);

CREATE TABLE organization_members (
    account_id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE
);
