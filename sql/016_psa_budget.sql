-- Issue 16: what every worker process and host shares about a connection and a PSA.

-- Values a connector keeps between calls and processes: a distributor's access token (sealed with
-- the secret key, like the credentials), Autotask's zone address. Cleared when the connection's
-- settings are saved.
CREATE TABLE connection_cache (
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  k VARCHAR(64) NOT NULL,
  sealed TEXT NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  PRIMARY KEY (connection_id, k),
  KEY ix_connection_cache_tenant (tenant_id, connection_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The request budget of one PSA instance (an Autotask database as its API user reaches it, a
-- ConnectWise company on its site), shared by every billsync worker and host: billsync's calls in
-- the current hour, the PSA's own count of every integration's calls when it was last asked
-- (Autotask ThresholdInformation) and the calls billsync made since, and a pause every worker
-- honours after a 429.
CREATE TABLE psa_budget (
  instance VARCHAR(190) NOT NULL PRIMARY KEY,
  system VARCHAR(32) NOT NULL,
  tenant_id BIGINT UNSIGNED NOT NULL,
  connection_id BIGINT UNSIGNED NOT NULL,
  window_start DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  window_calls INT NOT NULL DEFAULT 0,
  refused INT NOT NULL DEFAULT 0,
  cap INT NOT NULL DEFAULT 0,
  reported INT NULL,
  reported_at DATETIME(6) NULL,
  since_report INT NOT NULL DEFAULT 0,
  asked_at DATETIME(6) NULL,
  paused_until DATETIME(6) NULL,
  KEY ix_psa_budget_connection (tenant_id, connection_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
