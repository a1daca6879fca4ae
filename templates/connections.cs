<?cs include:"layout.cs" ?>
<?cs call:page_start("Connections") ?>
<?cs if:Form.system ?>
<section class="panel" id="connection-form">
  <h2><?cs if:Form.id != "0" ?>Edit<?cs else ?>Add<?cs /if ?> a <?cs var:Form.label ?> connection</h2>
  <p class="muted"><?cs var:Form.about ?></p>
  <?cs if:Errors.form ?><div class="alert" role="alert"><?cs var:Errors.form ?></div><?cs /if ?>
  <form method="post" action="/settings/connections" autocomplete="off">
    <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
    <input type="hidden" name="action" value="save">
    <input type="hidden" name="id" value="<?cs var:Form.id ?>">
    <input type="hidden" name="system" value="<?cs var:Form.system ?>">
    <?cs call:field("name", "Name", "text", Form.name, Errors.name) ?>
    <?cs each:f = Fields ?>
    <div class="field<?cs if:f.error ?> has-error<?cs /if ?>">
      <label for="f-<?cs var:f.key ?>"><?cs var:f.label ?><?cs if:f.required == "1" ?> <span class="muted">(required)</span><?cs /if ?></label>
      <?cs if:f.secret == "1" ?>
      <input id="f-<?cs var:f.key ?>" name="f_<?cs var:f.key ?>" type="password" autocomplete="new-password"
        placeholder="<?cs if:f.stored == "1" ?>stored; leave empty to keep it<?cs /if ?>">
      <?cs else ?>
      <input id="f-<?cs var:f.key ?>" name="f_<?cs var:f.key ?>" type="text" value="<?cs var:f.value ?>">
      <?cs /if ?>
      <?cs if:f.hint ?><p class="muted"><?cs var:f.hint ?></p><?cs /if ?>
      <?cs if:f.error ?><p class="error"><?cs var:f.error ?></p><?cs /if ?>
    </div>
    <?cs /each ?>
    <button type="submit">Save</button>
    <a class="button secondary" href="/settings/connections">Cancel</a>
  </form>
</section>
<?cs /if ?>
<section class="panel">
  <h2>Your connections</h2>
  <?cs if:!?Conns.0.id ?>
  <p>No connections yet. Connect your PSA and at least one distributor to start.</p>
  <?cs else ?>
  <table>
    <thead><tr><th>Name</th><th>System</th><th>Side</th><th>Status</th><th>Last test</th><th></th></tr></thead>
    <tbody>
    <?cs each:c = Conns ?>
    <tr>
      <td><a href="/settings/connections?edit=<?cs var:c.id ?>"><?cs var:c.name ?></a></td>
      <td><?cs var:c.system ?></td>
      <td><?cs if:c.kind == "psa" ?>PSA<?cs else ?>distributor<?cs /if ?></td>
      <td><?cs if:c.status == "ok" ?><span class="badge ok">working</span><?cs elif:c.status == "failed" ?><span class="badge bad">failing</span><?cs else ?><span class="badge">not tested</span><?cs /if ?>
        <?cs if:c.message ?><div class="muted"><?cs var:c.message ?></div><?cs /if ?></td>
      <td><?cs var:c.tested ?></td>
      <td>
        <form method="post" action="/settings/connections" class="inline">
          <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
          <input type="hidden" name="id" value="<?cs var:c.id ?>">
          <button type="submit" name="action" value="test" class="secondary">Test connection</button>
          <button type="submit" name="action" value="delete" class="danger" data-confirm="Delete this connection?">Delete</button>
        </form>
        <?cs if:c.csv ?>
        <form method="post" action="/settings/connections/upload" enctype="multipart/form-data" class="upload">
          <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
          <input type="hidden" name="id" value="<?cs var:c.id ?>">
          <label>File <input type="file" name="file" accept=".csv,text/csv" required></label>
          <select name="format" aria-label="File format">
            <option value="mscsp">Microsoft CSP recon file</option>
            <option value="generic">Generic distributor CSV</option>
          </select>
          <button type="submit">Upload and import</button>
        </form>
        <?cs /if ?>
      </td>
    </tr>
    <?cs /each ?>
    </tbody>
  </table>
  <?cs /if ?>
</section>
<?cs if:?Budget.0.system ?>
<section class="panel">
  <h2>PSA API budget this hour</h2>
  <p class="muted">Your PSA's request limit is shared with your other tools. billsync's workers keep their calls
  under their share of it together; what does not fit waits, untried, for the next sync.</p>
  <table>
    <thead><tr><th>PSA</th><th>billsync's calls</th><th>Allowed to billsync</th><th>Counted by the PSA (all tools)</th><th>Left</th><th>Calls held back</th><th></th></tr></thead>
    <tbody>
    <?cs each:b = Budget ?>
    <tr><td><?cs var:b.system ?></td><td><?cs var:b.calls ?></td>
      <td><?cs if:b.allowed ?><?cs var:b.allowed ?> of <?cs var:b.cap ?><?cs else ?>no hourly limit published; pauses when told<?cs /if ?></td>
      <td><?cs if:b.estimate ?><?cs var:b.estimate ?><?cs if:b.reported ?> <span class="muted">(asked <?cs var:b.reported ?>)</span><?cs /if ?><?cs else ?>&ndash;<?cs /if ?></td>
      <td><?cs if:b.allowed ?><?cs var:b.left ?><?cs else ?>&ndash;<?cs /if ?></td>
      <td><?cs var:b.refused ?> held back</td>
      <td><?cs if:b.paused ?><span class="badge bad">paused by the PSA until <?cs var:b.paused ?></span><?cs /if ?></td></tr>
    <?cs /each ?>
    </tbody>
  </table>
</section>
<?cs /if ?>
<?cs if:?Imports.0.file ?>
<section class="panel">
  <h2>Recent file imports</h2>
  <table>
    <thead><tr><th>When</th><th>Connection</th><th>File</th><th>Result</th></tr></thead>
    <tbody>
    <?cs each:i = Imports ?>
    <tr><td><?cs var:i.at ?></td><td><?cs var:i.connection ?></td><td><?cs var:i.file ?></td>
      <td><?cs if:i.status == "imported" ?><span class="badge ok">imported</span><?cs elif:i.progress ?><span class="badge">importing</span> <span class="progress"><?cs var:i.progress ?></span><?cs else ?><span class="badge bad"><?cs var:i.status ?></span><?cs /if ?> <?cs var:i.message ?></td></tr>
    <?cs /each ?>
    </tbody>
  </table>
  <p class="muted">Generic CSV columns: company_id, company_name, subscription_id, subscription_name, resource_id,
  product_name, sku, quantity, unit_cost, unit_price, extended_cost, currency, charge_type (recurring, one_time,
  usage, proration, refund), billing_cycle (monthly, annual, one_time, usage), term_months, period_start,
  period_end, effective_date, line_id. Required: company_id, company_name, subscription_id, product_name,
  quantity, unit_cost, period_start, period_end. Dates as 2026-11-01; amounts with a dot, like 12.50.</p>
</section>
<?cs /if ?>
<section class="panel">
  <h2>Add a connection</h2>
  <p>PSA:
  <?cs each:s = Systems ?><?cs if:s.kind == "psa" ?> <a class="button secondary" href="/settings/connections?new=<?cs var:s.system ?>"><?cs var:s.label ?></a><?cs /if ?><?cs /each ?></p>
  <p>Distributors:
  <?cs each:s = Systems ?><?cs if:s.kind == "source" ?> <a class="button secondary" href="/settings/connections?new=<?cs var:s.system ?>"><?cs var:s.label ?></a><?cs /if ?><?cs /each ?></p>
</section>
<?cs call:page_end() ?>
