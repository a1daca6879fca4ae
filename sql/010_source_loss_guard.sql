-- A pull that loses most of a connection's linked resources (an empty answer, a permission
-- change, the wrong account) is held instead of zeroing billing (issue 13 item 2): the first
-- such pull marks nothing gone and records when; only a second pull that agrees confirms it.
ALTER TABLE connections
  MODIFY refresh_status ENUM('never','running','ok','failed','held') NOT NULL DEFAULT 'never',
  ADD COLUMN loss_held_at DATETIME(6) NULL;
