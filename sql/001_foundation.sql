-- 001_foundation.sql: tenants, users, sessions, tokens, login throttling, audit log, jobs.
-- Every table holding tenant data has tenant_id first in its keys. Timestamps are UTC.

CREATE TABLE tenants (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC',
  currency CHAR(3) NOT NULL DEFAULT 'USD',
  require_2fa TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  UNIQUE KEY uq_tenants_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE users (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  email VARCHAR(254) NOT NULL,
  name VARCHAR(200) NOT NULL DEFAULT '',
  password_hash VARCHAR(255) NULL,
  role ENUM('admin','billing','viewer') NOT NULL DEFAULT 'viewer',
  disabled TINYINT(1) NOT NULL DEFAULT 0,
  totp_secret VARCHAR(255) NULL,
  totp_enabled TINYINT(1) NOT NULL DEFAULT 0,
  totp_last_step BIGINT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  UNIQUE KEY uq_users_email (email),
  KEY ix_users_tenant (tenant_id, id),
  CONSTRAINT fk_users_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE sessions (
  id_hash CHAR(64) NOT NULL PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  csrf_token CHAR(43) NOT NULL,
  -- 0 until the second factor is given, when the user has TOTP on
  mfa_ok TINYINT(1) NOT NULL DEFAULT 1,
  flash VARCHAR(500) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  last_seen_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  expires_at DATETIME(6) NOT NULL,
  ip VARCHAR(45) NOT NULL DEFAULT '',
  KEY ix_sessions_user (tenant_id, user_id),
  KEY ix_sessions_expiry (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE password_tokens (
  token_hash CHAR(64) NOT NULL PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  purpose ENUM('reset','invite') NOT NULL,
  created_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  expires_at DATETIME(6) NOT NULL,
  used_at DATETIME(6) NULL,
  KEY ix_tokens_user (tenant_id, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per failed login; counted over a sliding 15-minute window per account and per IP.
CREATE TABLE login_attempts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(254) NOT NULL,
  ip VARCHAR(45) NOT NULL,
  at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  KEY ix_attempts_email (email, at),
  KEY ix_attempts_ip (ip, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE audit_log (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NULL,
  actor_email VARCHAR(254) NOT NULL DEFAULT '',
  action VARCHAR(64) NOT NULL,
  subject VARCHAR(255) NOT NULL DEFAULT '',
  detail TEXT NULL,
  ip VARCHAR(45) NOT NULL DEFAULT '',
  at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  KEY ix_audit_tenant_at (tenant_id, at, id),
  KEY ix_audit_tenant_action (tenant_id, action, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Job queue. state 'pending' covers queued and leased jobs alike: due_at is run_at while
-- queued and the lease expiry while leased, so one index (state, due_at, id) serves the
-- claim's WHERE and ORDER BY (SKIP LOCKED needs that) and an expired lease is simply due.
CREATE TABLE jobs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  tenant_id BIGINT UNSIGNED NULL,
  kind VARCHAR(64) NOT NULL,
  payload TEXT NULL,
  unique_key VARCHAR(191) NULL,
  state ENUM('pending','done','failed') NOT NULL DEFAULT 'pending',
  due_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  lease_owner VARCHAR(100) NULL,
  attempts INT NOT NULL DEFAULT 0,
  max_attempts INT NOT NULL DEFAULT 10,
  last_error VARCHAR(1000) NULL,
  done_by VARCHAR(100) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  finished_at DATETIME(6) NULL,
  KEY ix_jobs_claim (state, due_at, id),
  UNIQUE KEY uq_jobs_unique (unique_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
