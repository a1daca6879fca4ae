<?cs include:"layout.cs" ?>
<?cs def:opt(name, value, current, label) ?><label class="choice"><input type="radio" name="<?cs var:name ?>" value="<?cs var:value ?>"<?cs if:value == current ?> checked<?cs /if ?>> <?cs var:label ?></label><?cs /def ?>
<?cs call:page_start("Billing settings") ?>
<p class="muted">Sell prices and how they follow cost changes: <a href="/settings/pricing">Price policies</a>.</p>
<form method="post" action="/settings/billing" class="panel">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <fieldset><legend>Posting seat changes to the PSA</legend>
    <?cs call:opt("approval", "auto", P.approval, "Post automatically") ?>
    <?cs call:opt("approval", "require", P.approval, "Wait for a person to approve each change") ?>
  </fieldset>
  <fieldset><legend>Seat decreases take effect</legend>
    <?cs call:opt("decrease_mode", "next_period", P.decrease_mode, "From the next billing period (no credit for the current one)") ?>
    <?cs call:opt("decrease_mode", "immediate", P.decrease_mode, "At once, with a prorated credit") ?>
  </fieldset>
  <fieldset><legend>When someone changed units in the PSA directly</legend>
    <?cs call:opt("drift_mode", "flag", P.drift_mode, "Hold the change for review") ?>
    <?cs call:opt("drift_mode", "overwrite", P.drift_mode, "Set the PSA back to the distributor's count") ?>
  </fieldset>
  <fieldset><legend>Usage billing (backup storage)</legend>
    <?cs call:opt("usage_mode", "average_cost", P.usage_mode, "Quantity in GB at the average cost per GB") ?>
    <?cs call:opt("usage_mode", "total_cost", P.usage_mode, "Total cost with quantity one") ?>
    <?cs call:opt("usage_mode", "quantity_only", P.usage_mode, "Quantity only (the PSA prices it)") ?>
  </fieldset>
  <fieldset id="unlinked-alert"><legend>New subscriptions nobody has linked yet</legend>
    <div class="muted small">A subscription that appears at a distributor and is not linked to the PSA is not billed from its first day. Each one is mailed to the admins once, with a link to map it.</div>
    <?cs call:opt("unlinked_alert", "daily", P.unlinked_alert, "E-mail admins a digest once a day, at 07:00 in the time zone below") ?>
    <?cs call:opt("unlinked_alert", "at_once", P.unlinked_alert, "E-mail admins after each distributor pull that finds one") ?>
    <?cs call:opt("unlinked_alert", "off", P.unlinked_alert, "Do not e-mail (the dashboard still shows them)") ?>
  </fieldset>
  <div class="field"><label for="f-alert">E-mail admins when a change has been failing for (minutes)</label>
    <input id="f-alert" name="alert_after_minutes" type="number" min="15" max="10080" value="<?cs var:P.alert_after_minutes ?>"></div>
  <div class="field"><label for="f-interval">Check the distributors every (minutes)</label>
    <input id="f-interval" name="sync_interval_minutes" type="number" min="5" max="1440" value="<?cs var:P.sync_interval_minutes ?>"></div>
  <div class="field"><label for="f-tz">Time zone (the day a change is dated, the month under review)</label>
    <input id="f-tz" name="time_zone" maxlength="63" required value="<?cs var:P.time_zone ?>">
    <div class="muted small">An IANA name such as Europe/London, America/New_York or Australia/Sydney.</div></div>
  <fieldset id="margin-settings"><legend>Margin report</legend>
    <div class="field"><label for="f-margin-threshold">Flag a product whose margin is below (%)</label>
      <input id="f-margin-threshold" name="margin_threshold" inputmode="decimal" maxlength="8" required pattern="[0-9]{1,3}([.][0-9])?%?" value="<?cs var:P.margin_threshold ?>">
      <div class="muted small">0 to 100, one decimal at most (10 or 12.5). A negative margin is always flagged. See the <a href="/reports/margin?flagged=1&amp;sort=margin&amp;dir=asc">margin report</a>.</div></div>
  </fieldset>
  <button type="submit">Save</button>
</form>
<form method="post" action="/settings/billing" class="panel" id="invoice-text">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <input type="hidden" name="action" value="invoice_text">
  <fieldset><legend>Invoice text (what your customer's invoice shows for billsync's lines)</legend>
    <?cs if:Invoice.error ?><p class="error" role="alert"><?cs var:Invoice.error ?></p><?cs /if ?>
    <?cs call:opt("invoice_text_mode", "product", Invoice.mode, "Use the invoice description from the PSA product (the product or service name; charges add their term or month)") ?>
    <?cs call:opt("invoice_text_mode", "template", Invoice.mode, "Send this invoice description to the PSA:") ?>
    <div class="field"><label for="f-invoice-template">Template</label>
      <input id="f-invoice-template" name="invoice_text_template" maxlength="<?cs var:Invoice.max ?>" value="<?cs var:Invoice.template ?>">
      <div class="muted small">Placeholders: {product} (the PSA product or service), {subscription} (the distributor's
        subscription), {company} (the PSA customer), {period} (a seat change's date, a charge's term or month),
        {quantity} (seats, or GB of usage). For example: <code>{product} for {company}, {period}</code>.
        At most <?cs var:Invoice.max ?> characters (ConnectWise); an Autotask charge's name takes 100.
        Autotask's seat adjustments carry no text.</div></div>
  </fieldset>
  <button type="submit">Save invoice text</button>
</form>
<?cs call:page_end() ?>
