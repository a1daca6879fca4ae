-- 013_report_volume.sql: what the pages need at production volume (issue 15; doc/volume.md).
--
-- Per tenant, UTC day of created_at and state: how many ledger rows, the sum of their unit
-- changes and of their estimated amounts, for the states the adjustment log lists (verified,
-- failed). The triggers below keep it in the same transaction as the ledger row, whichever
-- code path writes it, so the log's count, totals and per-day chart read one row per day of
-- the window instead of aggregating its history per request. Transitions between the other
-- states (planned, queued, posted...) do not touch it: no lock on a counter row for them.
CREATE TABLE adjustment_days (
  tenant_id BIGINT UNSIGNED NOT NULL,
  day DATE NOT NULL,
  state ENUM('verified','failed') NOT NULL,
  n BIGINT NOT NULL DEFAULT 0,
  units BIGINT NOT NULL DEFAULT 0,
  amount BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, day, state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO adjustment_days (tenant_id, day, state, n, units, amount)
  SELECT tenant_id, DATE(created_at), state, COUNT(*), SUM(unit_change), SUM(prorated_amount)
  FROM adjustments WHERE state IN ('verified', 'failed') GROUP BY tenant_id, DATE(created_at), state;

CREATE TRIGGER adjustment_days_insert AFTER INSERT ON adjustments FOR EACH ROW
BEGIN
  IF NEW.state IN ('verified', 'failed') THEN
    INSERT INTO adjustment_days (tenant_id, day, state, n, units, amount)
      VALUES (NEW.tenant_id, DATE(NEW.created_at), NEW.state, 1, NEW.unit_change, NEW.prorated_amount)
      ON DUPLICATE KEY UPDATE n = n + 1, units = units + VALUES(units), amount = amount + VALUES(amount);
  END IF;
END;

CREATE TRIGGER adjustment_days_update AFTER UPDATE ON adjustments FOR EACH ROW
BEGIN
  IF NOT (OLD.state <=> NEW.state AND OLD.created_at <=> NEW.created_at AND OLD.tenant_id <=> NEW.tenant_id
          AND OLD.unit_change <=> NEW.unit_change AND OLD.prorated_amount <=> NEW.prorated_amount) THEN
    IF OLD.state IN ('verified', 'failed') THEN
      UPDATE adjustment_days SET n = n - 1, units = units - OLD.unit_change, amount = amount - OLD.prorated_amount
        WHERE tenant_id = OLD.tenant_id AND day = DATE(OLD.created_at) AND state = OLD.state;
    END IF;
    IF NEW.state IN ('verified', 'failed') THEN
      INSERT INTO adjustment_days (tenant_id, day, state, n, units, amount)
        VALUES (NEW.tenant_id, DATE(NEW.created_at), NEW.state, 1, NEW.unit_change, NEW.prorated_amount)
        ON DUPLICATE KEY UPDATE n = n + 1, units = units + VALUES(units), amount = amount + VALUES(amount);
    END IF;
  END IF;
END;

CREATE TRIGGER adjustment_days_delete AFTER DELETE ON adjustments FOR EACH ROW
BEGIN
  IF OLD.state IN ('verified', 'failed') THEN
    UPDATE adjustment_days SET n = n - 1, units = units - OLD.unit_change, amount = amount - OLD.prorated_amount
      WHERE tenant_id = OLD.tenant_id AND day = DATE(OLD.created_at) AND state = OLD.state;
  END IF;
END;

-- The adjustment log's window, order and state from one index (a page's ids without reading
-- the rows it skips; db/reports.c adj_page_sql). The id comes before the state: the log orders
-- by (created_at, id), and with the state between them the index no longer serves that order.
ALTER TABLE adjustments DROP KEY ix_adjustments_created,
  ADD KEY ix_adjustments_created (tenant_id, created_at, id, state);

-- The failure log (db/reports.c FAIL_LEAN_WHERE, fail_page): a tenant's failed rows in the
-- log's order with what its count, totals and chart read, from the index alone.
ALTER TABLE adjustments
  ADD KEY ix_adjustments_failed (tenant_id, state, created_at, id, unit_change, prorated_amount);

-- The scheduler's due-post query (db/ledger.c post_enqueue_due) runs every few seconds in
-- every worker across all tenants: led by state, it reads only the queued and due failed rows.
ALTER TABLE adjustments
  ADD KEY ix_adjustments_due_state (state, next_attempt_at, effective_date, tenant_id),
-- The dashboard's drift (db/dashboard.c LAST_POSTED): a service's last verified change, read
-- backwards in the order the query asks for (effective_date, posted_at, id: all descending).
  ADD KEY ix_adjustments_service (tenant_id, psa_connection_id, psa_contract_id, psa_service_id, state,
                                  effective_date, posted_at, id);

-- A sync's annual charges (db/charges.c): the billing lines of each linked subscription. With
-- no index on the subscription, MariaDB joined every subscription link to every line of the
-- tenant (12,000 x 110,000 rows: minutes at production volume).
ALTER TABLE src_charges
  ADD KEY ix_src_charges_subscription (tenant_id, connection_id, subscription_source_id, frequency);
