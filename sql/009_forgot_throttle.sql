-- /forgot requests, counted per address asked for and per client address (issue 12): the
-- same count whether or not the address has an account, so the answer tells nothing.
CREATE TABLE forgot_requests (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(254) NOT NULL,
  ip VARCHAR(45) NOT NULL,
  at DATETIME(6) NOT NULL DEFAULT UTC_TIMESTAMP(6),
  KEY ix_forgot_email (email, at),
  KEY ix_forgot_ip (ip, at),
  KEY ix_forgot_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
