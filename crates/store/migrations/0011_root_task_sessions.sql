-- Sessions of a fifth kind: `root-task`, a member account's root session opened by AssumeRoot and
-- limited by its task policy. SQLite changes a CHECK constraint only by rebuilding the table; the
-- rows are kept as they are.
CREATE TABLE sessions_new (
    access_key_id     TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL,
    secret            BLOB NOT NULL,
    session_token     TEXT NOT NULL,
    role_key          TEXT NOT NULL,
    session_name      TEXT NOT NULL,
    session_policy    TEXT,
    session_tags      TEXT,
    source_identity   TEXT,
    expires           TEXT NOT NULL,
    created           TEXT NOT NULL,
    mfa_authenticated TEXT,
    role_id           TEXT NOT NULL DEFAULT '',
    kind              TEXT NOT NULL DEFAULT 'role'
                      CHECK (kind IN ('role', 'user', 'root', 'federated-user', 'root-task'))
);
INSERT INTO sessions_new (access_key_id, account_id, secret, session_token, role_key, session_name,
    session_policy, session_tags, source_identity, expires, created, mfa_authenticated, role_id, kind)
SELECT access_key_id, account_id, secret, session_token, role_key, session_name, session_policy,
    session_tags, source_identity, expires, created, mfa_authenticated, role_id, kind FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
