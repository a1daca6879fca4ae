-- 005_posting.sql: what posting needs beyond the ledger of 004.
-- A lease per adjustment: only the worker holding it may post that change, so two workers on
-- one tenant (or a slow worker whose job lease expired) never post the same change twice;
-- the target-state re-read before every post covers a lease holder that died mid-post.
ALTER TABLE adjustments
  ADD COLUMN lease_owner VARCHAR(100) NULL,
  ADD COLUMN lease_until DATETIME(6) NULL,
  ADD COLUMN posted_at DATETIME(6) NULL,
  ADD KEY ix_adjustments_due (tenant_id, state, next_attempt_at, id);

-- Failure alerts: when a digest last went out, so the same failure is not mailed twice.
ALTER TABLE adjustments ADD COLUMN alerted_at DATETIME(6) NULL;

-- Per tenant: when sync last ran and how it went (the scheduler and the "Sync now" button).
CREATE TABLE tenant_sync (
  tenant_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  started_at DATETIME(6) NULL,
  finished_at DATETIME(6) NULL,
  result VARCHAR(1000) NOT NULL DEFAULT ''
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
