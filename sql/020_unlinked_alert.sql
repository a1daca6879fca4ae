-- 020_unlinked_alert.sql: the new-unlinked alert (issue 18 part 4, doc/dashboard.md "New since
-- last sync"). A subscription first seen by a distributor pull after the connection's baseline
-- (its first complete pull) is recorded once in src_new_subscriptions; the dashboard lists the
-- unlinked ones of the last sync, and the digest mail claims each one once (alerted_at).

-- Per tenant: off, one digest a day at 07:00 tenant time, or a mail after the pull that found them.
ALTER TABLE tenant_policies
  ADD COLUMN unlinked_alert ENUM('off','daily','at_once') NOT NULL DEFAULT 'daily';

-- When a source connection's first complete pull ended: everything seen by then is its
-- catalogue, not news. A connection without a row has not completed a pull yet.
CREATE TABLE src_pull_baselines (
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  baseline_at DATETIME(6) NOT NULL,
  PRIMARY KEY (tenant_id, connection_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A subscription a complete pull found new (first_seen after its connection's baseline), once.
-- alerted_at: the digest that listed it (alert_via 'mail'), or when it was set aside unmailed
-- because the tenant's alert was off when it was found (alert_via 'off'). NULL: not yet.
-- alert_claim: the claim (the job's lease) that took it for a mail, in the mail's transaction.
CREATE TABLE src_new_subscriptions (
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  source_id VARCHAR(80) NOT NULL,
  found_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  alerted_at DATETIME(6) NULL,
  alert_via ENUM('mail','off') NULL,
  alert_claim VARCHAR(120) NULL,
  PRIMARY KEY (tenant_id, connection_id, source_id),
  KEY ix_src_new_found (tenant_id, found_at),
  KEY ix_src_new_pending (alerted_at, tenant_id),
  KEY ix_src_new_claim (tenant_id, alert_claim)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Per tenant: the window of "new since last sync" (window_from: when the last completed sync's
-- pull began; sync_from: when the running one's began) and the daily digest's bookkeeping
-- (digest_day: the tenant-local day whose digest went out; next_check_at: when the scheduler
-- looks again, UTC).
CREATE TABLE unlinked_alert_state (
  tenant_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  sync_from DATETIME(6) NULL,
  window_from DATETIME(6) NULL,
  digest_day DATE NULL,
  next_check_at DATETIME(6) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The unlinked report's new=1 reads src_new_subscriptions through the tenant's cache (sql/014):
-- a subscription recorded new changes its rows. (Its window is a bound value, so a sync moving
-- the window needs no bump; alerted_at changes no report.)
CREATE TRIGGER src_new_subscriptions_gen_insert AFTER INSERT ON src_new_subscriptions FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
