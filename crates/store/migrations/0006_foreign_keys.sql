-- Everything that belongs to a user, group or role references it with a foreign key, so that no
-- write can leave a policy, attachment, membership or credential behind a principal that is gone
-- (and hand it to the next principal of that name). A rename carries the references along
-- (ON UPDATE CASCADE); a delete of a principal that still has any is refused (the store reports
-- AWS's DeleteConflict before it gets that far). The tables are rebuilt, as SQLite adds foreign
-- keys no other way; rows that already had no principal are dropped.

CREATE TABLE inline_policies_new (
    account_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    owner_key   TEXT NOT NULL,
    name        TEXT NOT NULL,
    document    TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, owner_key, name),
    FOREIGN KEY (account_id, kind, owner_key) REFERENCES principals(account_id, kind, name_key) ON UPDATE CASCADE
);
INSERT INTO inline_policies_new SELECT i.* FROM inline_policies i
    WHERE EXISTS (SELECT 1 FROM principals p WHERE p.account_id = i.account_id AND p.kind = i.kind AND p.name_key = i.owner_key);
DROP TABLE inline_policies;
ALTER TABLE inline_policies_new RENAME TO inline_policies;

CREATE TABLE attachments_new (
    account_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    owner_key   TEXT NOT NULL,
    policy_arn  TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, owner_key, policy_arn),
    FOREIGN KEY (account_id, kind, owner_key) REFERENCES principals(account_id, kind, name_key) ON UPDATE CASCADE
);
INSERT INTO attachments_new SELECT a.* FROM attachments a
    WHERE EXISTS (SELECT 1 FROM principals p WHERE p.account_id = a.account_id AND p.kind = a.kind AND p.name_key = a.owner_key);
DROP TABLE attachments;
ALTER TABLE attachments_new RENAME TO attachments;
CREATE INDEX attachments_by_policy ON attachments(policy_arn);

-- Membership names a group and a user; the constant kind columns let each key reference the
-- principals table's (account, kind, name) key.
CREATE TABLE group_members_new (
    account_id  TEXT NOT NULL,
    group_key   TEXT NOT NULL,
    user_key    TEXT NOT NULL,
    group_kind  TEXT NOT NULL DEFAULT 'group' CHECK (group_kind = 'group'),
    user_kind   TEXT NOT NULL DEFAULT 'user' CHECK (user_kind = 'user'),
    PRIMARY KEY (account_id, group_key, user_key),
    FOREIGN KEY (account_id, group_kind, group_key) REFERENCES principals(account_id, kind, name_key) ON UPDATE CASCADE,
    FOREIGN KEY (account_id, user_kind, user_key) REFERENCES principals(account_id, kind, name_key) ON UPDATE CASCADE
);
INSERT INTO group_members_new (account_id, group_key, user_key) SELECT m.account_id, m.group_key, m.user_key
    FROM group_members m
    WHERE EXISTS (SELECT 1 FROM principals p WHERE p.account_id = m.account_id AND p.kind = 'group' AND p.name_key = m.group_key)
      AND EXISTS (SELECT 1 FROM principals p WHERE p.account_id = m.account_id AND p.kind = 'user' AND p.name_key = m.user_key);
DROP TABLE group_members;
ALTER TABLE group_members_new RENAME TO group_members;
CREATE INDEX group_members_by_user ON group_members(account_id, user_key);

CREATE TABLE login_profiles_new (
    account_id       TEXT NOT NULL,
    user_key         TEXT NOT NULL,
    created          TEXT NOT NULL,
    reset_required   INTEGER NOT NULL,
    user_kind        TEXT NOT NULL DEFAULT 'user' CHECK (user_kind = 'user'),
    PRIMARY KEY (account_id, user_key),
    FOREIGN KEY (account_id, user_kind, user_key) REFERENCES principals(account_id, kind, name_key) ON UPDATE CASCADE
);
INSERT INTO login_profiles_new (account_id, user_key, created, reset_required)
    SELECT l.account_id, l.user_key, l.created, l.reset_required FROM login_profiles l
    WHERE EXISTS (SELECT 1 FROM principals p WHERE p.account_id = l.account_id AND p.kind = 'user' AND p.name_key = l.user_key);
DROP TABLE login_profiles;
ALTER TABLE login_profiles_new RENAME TO login_profiles;

-- A NULL user or role (root's keys, an unassigned device, an empty instance profile) references
-- nothing: SQLite checks a foreign key only when all its columns are set.
CREATE TABLE access_keys_new (
    access_key_id      TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL,
    user_key           TEXT,
    secret             BLOB NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
    created            TEXT NOT NULL,
    last_used          TEXT,
    last_used_service  TEXT,
    last_used_region   TEXT,
    user_kind          TEXT NOT NULL DEFAULT 'user' CHECK (user_kind = 'user'),
    FOREIGN KEY (account_id, user_kind, user_key) REFERENCES principals(account_id, kind, name_key) ON UPDATE CASCADE
);
INSERT INTO access_keys_new (access_key_id, account_id, user_key, secret, status, created, last_used,
        last_used_service, last_used_region)
    SELECT k.access_key_id, k.account_id, k.user_key, k.secret, k.status, k.created, k.last_used,
        k.last_used_service, k.last_used_region FROM access_keys k
    WHERE k.user_key IS NULL
       OR EXISTS (SELECT 1 FROM principals p WHERE p.account_id = k.account_id AND p.kind = 'user' AND p.name_key = k.user_key);
DROP TABLE access_keys;
ALTER TABLE access_keys_new RENAME TO access_keys;
CREATE INDEX access_keys_by_user ON access_keys(account_id, user_key);

CREATE TABLE mfa_devices_new (
    serial       TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    name         TEXT NOT NULL,
    path         TEXT NOT NULL,
    seed         BLOB NOT NULL,
    created      TEXT NOT NULL,
    user_key     TEXT,
    enabled      TEXT,
    last_step    INTEGER,
    user_kind    TEXT NOT NULL DEFAULT 'user' CHECK (user_kind = 'user'),
    UNIQUE (account_id, name_key),
    FOREIGN KEY (account_id, user_kind, user_key) REFERENCES principals(account_id, kind, name_key) ON UPDATE CASCADE
);
INSERT INTO mfa_devices_new (serial, account_id, name_key, name, path, seed, created, user_key, enabled, last_step)
    SELECT d.serial, d.account_id, d.name_key, d.name, d.path, d.seed, d.created,
        CASE WHEN EXISTS (SELECT 1 FROM principals p WHERE p.account_id = d.account_id AND p.kind = 'user'
            AND p.name_key = d.user_key) THEN d.user_key END,
        d.enabled, d.last_step FROM mfa_devices d;
DROP TABLE mfa_devices;
ALTER TABLE mfa_devices_new RENAME TO mfa_devices;
CREATE INDEX mfa_devices_by_user ON mfa_devices(account_id, user_key);

CREATE TABLE instance_profiles_new (
    account_id  TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    name        TEXT NOT NULL,
    id          TEXT NOT NULL UNIQUE,
    path        TEXT NOT NULL,
    arn         TEXT NOT NULL,
    created     TEXT NOT NULL,
    role_key    TEXT,
    role_kind   TEXT NOT NULL DEFAULT 'role' CHECK (role_kind = 'role'),
    PRIMARY KEY (account_id, name_key),
    FOREIGN KEY (account_id, role_kind, role_key) REFERENCES principals(account_id, kind, name_key) ON UPDATE CASCADE
);
INSERT INTO instance_profiles_new (account_id, name_key, name, id, path, arn, created, role_key)
    SELECT i.account_id, i.name_key, i.name, i.id, i.path, i.arn, i.created,
        CASE WHEN EXISTS (SELECT 1 FROM principals p WHERE p.account_id = i.account_id AND p.kind = 'role'
            AND p.name_key = i.role_key) THEN i.role_key END FROM instance_profiles i;
DROP TABLE instance_profiles;
ALTER TABLE instance_profiles_new RENAME TO instance_profiles;
CREATE INDEX instance_profiles_by_role ON instance_profiles(account_id, role_key);
