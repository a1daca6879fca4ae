-- The text an invoice line shows for what billsync writes to the PSA (doc/invoice-text.md):
-- 'product' (the default): the product or service name; 'template': the tenant's template with
-- the placeholders {product} {subscription} {company} {period} {quantity}.
ALTER TABLE tenant_policies
  ADD COLUMN invoice_text_mode ENUM('product','template') NOT NULL DEFAULT 'product',
  ADD COLUMN invoice_text_template TEXT NULL;
