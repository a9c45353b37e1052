-- monban's IAM state. Names of users, groups, roles, policies and instance profiles are unique per
-- account regardless of case (AWS: "IAM names are not distinguished by case"), hence the `*_key`
-- columns holding the lower-cased name.

CREATE TABLE accounts (
    account_id   TEXT PRIMARY KEY,
    alias        TEXT,
    created      TEXT NOT NULL
);

-- Users, groups and roles share one table: the same naming rules, paths, ids, ARNs, tags,
-- inline policies and attachments apply to all three.
CREATE TABLE principals (
    account_id            TEXT NOT NULL REFERENCES accounts(account_id),
    kind                  TEXT NOT NULL CHECK (kind IN ('user', 'group', 'role')),
    name_key              TEXT NOT NULL,
    name                  TEXT NOT NULL,
    id                    TEXT NOT NULL UNIQUE,
    path                  TEXT NOT NULL,
    arn                   TEXT NOT NULL,
    created               TEXT NOT NULL,
    description           TEXT,
    trust_policy          TEXT,
    max_session_duration  INTEGER,
    permissions_boundary  TEXT,
    PRIMARY KEY (account_id, kind, name_key)
);

CREATE TABLE group_members (
    account_id  TEXT NOT NULL,
    group_key   TEXT NOT NULL,
    user_key    TEXT NOT NULL,
    PRIMARY KEY (account_id, group_key, user_key)
);
CREATE INDEX group_members_by_user ON group_members(account_id, user_key);

CREATE TABLE inline_policies (
    account_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    owner_key   TEXT NOT NULL,
    name        TEXT NOT NULL,
    document    TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, owner_key, name)
);

CREATE TABLE managed_policies (
    account_id       TEXT NOT NULL,
    arn              TEXT PRIMARY KEY,
    name_key         TEXT NOT NULL,
    name             TEXT NOT NULL,
    id               TEXT NOT NULL UNIQUE,
    path             TEXT NOT NULL,
    description      TEXT,
    default_version  TEXT NOT NULL,
    next_version     INTEGER NOT NULL,
    created          TEXT NOT NULL,
    updated          TEXT NOT NULL,
    UNIQUE (account_id, name_key)
);

CREATE TABLE policy_versions (
    policy_arn  TEXT NOT NULL REFERENCES managed_policies(arn) ON DELETE CASCADE,
    version_id  TEXT NOT NULL,
    document    TEXT NOT NULL,
    created     TEXT NOT NULL,
    PRIMARY KEY (policy_arn, version_id)
);

-- Attachments may name AWS managed policies, which live in data, not in this database.
CREATE TABLE attachments (
    account_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    owner_key   TEXT NOT NULL,
    policy_arn  TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, owner_key, policy_arn)
);
CREATE INDEX attachments_by_policy ON attachments(policy_arn);

CREATE TABLE tags (
    account_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    owner_key   TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (account_id, kind, owner_key, key)
);

-- Long-term access keys. `user_key` is NULL for the account root user's keys. The secret is
-- encrypted by the server before it reaches this table.
CREATE TABLE access_keys (
    access_key_id      TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL,
    user_key           TEXT,
    secret             BLOB NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
    created            TEXT NOT NULL,
    last_used          TEXT,
    last_used_service  TEXT,
    last_used_region   TEXT
);
CREATE INDEX access_keys_by_user ON access_keys(account_id, user_key);

-- Temporary credentials from STS.
CREATE TABLE sessions (
    access_key_id   TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    secret          BLOB NOT NULL,
    session_token   TEXT NOT NULL,
    role_key        TEXT NOT NULL,
    session_name    TEXT NOT NULL,
    session_policy  TEXT,
    session_tags    TEXT,
    source_identity TEXT,
    expires         TEXT NOT NULL,
    created         TEXT NOT NULL
);
