-- Regami.Api schema, version 1. Must stay idempotent: every script in Migrations/ is run
-- (in file-name order, in one transaction, under an advisory lock) at every start-up
-- against a writable database and before the first write after a failed start-up.
CREATE TABLE IF NOT EXISTS records (
    id           bigserial   PRIMARY KEY,
    seq          bigint      NOT NULL UNIQUE,
    payload      text        NOT NULL,
    region       text        NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
