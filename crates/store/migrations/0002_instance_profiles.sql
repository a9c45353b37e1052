-- Instance profiles: containers for one role that EC2 instances use.
CREATE TABLE instance_profiles (
    account_id  TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    name        TEXT NOT NULL,
    id          TEXT NOT NULL UNIQUE,
    path        TEXT NOT NULL,
    arn         TEXT NOT NULL,
    created     TEXT NOT NULL,
    role_key    TEXT,
    PRIMARY KEY (account_id, name_key)
);
CREATE INDEX instance_profiles_by_role ON instance_profiles(account_id, role_key);
