-- Issue 16: a sync reads the PSA in bulk, only for the services that need it, and a change is
-- posted from the read it was planned from (one write and one verifying read).

-- The read a change was planned from: the day its units were read for, when, and (ConnectWise)
-- the newest open addition then. A first attempt within minutes of the read posts from it.
ALTER TABLE adjustments
  ADD COLUMN psa_read_on DATE NULL,
  ADD COLUMN psa_read_at DATETIME(6) NULL,
  ADD COLUMN psa_line_id VARCHAR(32) NOT NULL DEFAULT '',
  ADD COLUMN psa_line_units BIGINT NOT NULL DEFAULT 0;

-- Reading a service again without finding a change (read_at moves, nothing else) is not a change
-- of what the pages show: the tenant's cached figures stay valid.
DROP TRIGGER psa_contract_services_gen_update;
CREATE TRIGGER psa_contract_services_gen_update AFTER UPDATE ON psa_contract_services FOR EACH ROW
BEGIN
  IF NOT (OLD.tenant_id <=> NEW.tenant_id AND OLD.connection_id <=> NEW.connection_id
          AND OLD.psa_id <=> NEW.psa_id AND OLD.contract_psa_id <=> NEW.contract_psa_id
          AND OLD.service_psa_id <=> NEW.service_psa_id AND OLD.name <=> NEW.name
          AND OLD.units <=> NEW.units AND OLD.unit_price <=> NEW.unit_price
          AND OLD.unit_cost <=> NEW.unit_cost AND OLD.gone <=> NEW.gone) THEN
    INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
  END IF;
END;
