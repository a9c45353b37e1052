-- The account password policy (IAM User Guide, "Set an account password policy for IAM users"):
-- at most one per account; without a row the account has IAM's default rules.
CREATE TABLE password_policies (
    account_id              TEXT PRIMARY KEY REFERENCES accounts(account_id),
    minimum_length          INTEGER NOT NULL,
    require_symbols         INTEGER NOT NULL,
    require_numbers         INTEGER NOT NULL,
    require_uppercase       INTEGER NOT NULL,
    require_lowercase       INTEGER NOT NULL,
    allow_users_to_change   INTEGER NOT NULL,
    max_age_days            INTEGER,
    reuse_prevention        INTEGER,
    hard_expiry             INTEGER NOT NULL
);

-- Console passwords as argon2id hashes (PHC strings), never in plain: ChangePassword checks the
-- old password against `password_hash`, and reuse prevention compares a new one with the hashes of
-- the previous ones (newline-separated, newest first).
ALTER TABLE login_profiles ADD COLUMN password_hash TEXT;
ALTER TABLE login_profiles ADD COLUMN previous_hashes TEXT NOT NULL DEFAULT '';
ALTER TABLE login_profiles ADD COLUMN password_changed TEXT;

-- A user's credentials besides access keys and a password: SSH public keys, X.509 signing
-- certificates and service-specific credentials share the owner, id, status and dates, so they
-- share a table; `kind` says which. The service password is kept only as an argon2id hash.
CREATE TABLE user_credentials (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL,
    user_key            TEXT NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('ssh-public-key', 'signing-certificate', 'service-specific')),
    status              TEXT NOT NULL CHECK (status IN ('Active', 'Inactive', 'Expired')),
    body                TEXT,
    fingerprint         TEXT,
    service_name        TEXT,
    service_user_name   TEXT,
    secret_hash         TEXT,
    created             TEXT NOT NULL,
    user_kind           TEXT NOT NULL DEFAULT 'user' CHECK (user_kind = 'user'),
    FOREIGN KEY (account_id, user_kind, user_key) REFERENCES principals(account_id, kind, name_key) ON UPDATE CASCADE
);
CREATE INDEX user_credentials_by_user ON user_credentials(account_id, user_key, kind);
-- A service-specific sign-in name belongs to one credential.
CREATE UNIQUE INDEX user_credentials_service_user_name ON user_credentials(account_id, service_name, service_user_name);

-- Server certificates: the certificate and its chain as uploaded. The private key is checked
-- against the certificate and then dropped: monban deploys certificates nowhere, so keeping it
-- would only be a liability.
CREATE TABLE server_certificates (
    account_id  TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    name        TEXT NOT NULL,
    id          TEXT NOT NULL UNIQUE,
    path        TEXT NOT NULL,
    arn         TEXT NOT NULL,
    body        TEXT NOT NULL,
    chain       TEXT,
    expiration  TEXT NOT NULL,
    uploaded    TEXT NOT NULL,
    PRIMARY KEY (account_id, name_key)
);

-- OpenID Connect and SAML identity providers, by ARN. `client_ids` and `thumbprints` (OIDC) are
-- JSON arrays; `metadata`, `valid_until` and `uuid` are SAML's.
CREATE TABLE identity_providers (
    arn          TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('oidc', 'saml')),
    url          TEXT,
    client_ids   TEXT NOT NULL DEFAULT '[]',
    thumbprints  TEXT NOT NULL DEFAULT '[]',
    metadata     TEXT,
    valid_until  TEXT,
    uuid         TEXT,
    created      TEXT NOT NULL
);
CREATE INDEX identity_providers_by_account ON identity_providers(account_id, kind);

-- The version of the session tokens STS's global endpoint issues (SetSecurityTokenServicePreferences):
-- 1 (valid only in Regions enabled by default) or 2 (valid in all Regions).
ALTER TABLE accounts ADD COLUMN global_endpoint_token_version INTEGER NOT NULL DEFAULT 1;

-- The account's partition (aws, aws-cn or aws-us-gov): its ARNs and regions follow it, and it
-- never changes.
ALTER TABLE accounts ADD COLUMN partition TEXT NOT NULL DEFAULT 'aws';

-- How many 30-second steps an MFA device's clock runs ahead of the server's (negative: behind),
-- as ResyncMFADevice measured it; codes are checked around the server's time plus this.
ALTER TABLE mfa_devices ADD COLUMN drift_steps INTEGER NOT NULL DEFAULT 0;

-- Whose temporary credentials a session is: a role's (AssumeRole), a user's or the root user's own
-- (GetSessionToken), or a federated user's (GetFederationToken, named by `session_name`). `role_id`
-- holds the user's unique id, or the account id for root and for a federated user root made.
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'role' CHECK (kind IN ('role', 'user', 'root', 'federated-user'));
