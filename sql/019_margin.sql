-- 019_margin.sql: the margin report (issue 18 part 3, doc/margin.md).
--
-- The tenant's margin threshold, in tenths of a percent (100 = 10.0 %): a margin report row
-- whose margin is negative or whose margin % (one decimal, half-even) is below it is flagged.
ALTER TABLE tenant_policies ADD COLUMN margin_threshold_tenths INT NOT NULL DEFAULT 100;

-- The PSA price of an annual subscription billed by charges is its newest posted annual charge
-- (doc/margin.md): the margin figures the tenant cache keeps (sql/014) must follow the charges
-- too, so a posted, repriced or removed charge bumps the tenant's generation like a PSA-cache row.
CREATE TRIGGER charges_posted_gen_insert AFTER INSERT ON charges_posted FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
CREATE TRIGGER charges_posted_gen_update AFTER UPDATE ON charges_posted FOR EACH ROW
BEGIN
  IF NOT (OLD.tenant_id <=> NEW.tenant_id AND OLD.state <=> NEW.state AND OLD.kind <=> NEW.kind
          AND OLD.charge_key <=> NEW.charge_key AND OLD.quantity <=> NEW.quantity
          AND OLD.unit_price <=> NEW.unit_price AND OLD.charge_date <=> NEW.charge_date
          AND OLD.psa_contract_id <=> NEW.psa_contract_id) THEN
    INSERT INTO tenant_gen (tenant_id, gen) VALUES (NEW.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
  END IF;
END;
CREATE TRIGGER charges_posted_gen_delete AFTER DELETE ON charges_posted FOR EACH ROW
  INSERT INTO tenant_gen (tenant_id, gen) VALUES (OLD.tenant_id, 1) ON DUPLICATE KEY UPDATE gen = gen + 1;
