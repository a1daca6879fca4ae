<?cs include:"layout.cs" ?>
<?cs def:setform(level, row, label) ?>
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <input type="hidden" name="level" value="<?cs var:level ?>">
  <input type="hidden" name="row" value="<?cs var:row ?>">
  <input type="hidden" name="back" value="<?cs var:FilterQuery ?>">
<?cs /def ?>
<?cs def:sugg(s) ?><?cs if:s.sugg.id ?><p class="suggestion">Suggested: <strong><?cs var:s.sugg.name ?></strong>
  <span class="badge"><?cs var:s.sugg.score ?>%</span> <span class="muted"><?cs var:s.sugg.reason ?></span></p><?cs /if ?><?cs /def ?>
<?cs call:page_start("Billing") ?>
<section class="panel">
  <form method="post" action="/mapping" class="inline">
    <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
    <input type="hidden" name="action" value="refresh">
    <input type="hidden" name="back" value="<?cs var:FilterQuery ?>">
    <button type="submit">Refresh from sources</button>
  </form>
  <form method="post" action="/mapping" class="inline">
    <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
    <input type="hidden" name="action" value="sync">
    <input type="hidden" name="back" value="<?cs var:FilterQuery ?>">
    <button type="submit" class="secondary">Sync now</button>
  </form>
  <p class="muted" id="sync-status">Sync: <?cs if:Sync.result ?><?cs var:Sync.result ?><?cs if:Sync.finished ?> (finished <?cs var:Sync.finished ?>)<?cs elif:Sync.started ?> (started <?cs var:Sync.started ?>)<?cs /if ?><?cs else ?>not run yet<?cs /if ?>
   · <a href="/approvals">approvals</a></p>
  <table class="compact">
    <thead><tr><th>Connection</th><th>Last refresh</th><th>Status</th></tr></thead>
    <tbody>
    <?cs each:c = Conns ?>
    <tr><td><?cs var:c.name ?></td><td><?cs var:c.at ?></td>
      <td><?cs if:c.status == "ok" ?><span class="badge ok">ok</span><?cs elif:c.status == "running" ?><span class="badge warn">running…</span><?cs elif:c.status == "failed" ?><span class="badge bad">failed</span><?cs else ?><span class="badge">never</span><?cs /if ?>
        <span class="muted"><?cs var:c.message ?></span></td></tr>
    <?cs /each ?>
    </tbody>
  </table>
</section>
<form method="get" action="/mapping" class="filters panel">
  <div class="field"><label for="f-q">Search</label><input id="f-q" name="q" value="<?cs var:Filter.q ?>" placeholder="company name"></div>
  <label><input type="checkbox" name="mapped" value="1"<?cs if:Filter.mapped == "1" ?> checked<?cs /if ?>> Show mapped resources</label>
  <label><input type="checkbox" name="expired" value="1"<?cs if:Filter.expired == "1" ?> checked<?cs /if ?>> Show expired contracts</label>
  <label title="By default a contract that already holds subscriptions is offered and suggested for the customer's other subscriptions (one contract, many services)."><input type="checkbox" name="unlinked" value="1"<?cs if:Filter.unlinked == "1" ?> checked<?cs /if ?>> One contract per subscription (hide contracts already linked)</label>
  <button type="submit">Filter</button>
  <a class="button secondary" href="/mapping/relations">Manage Relations</a>
</form>
<form method="post" action="/mapping" class="filters panel">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <input type="hidden" name="action" value="accept_all">
  <input type="hidden" name="unlinked" value="<?cs if:Filter.unlinked == "1" ?>1<?cs else ?>0<?cs /if ?>">
  <input type="hidden" name="back" value="<?cs var:FilterQuery ?>">
  <div class="field"><label for="f-threshold">Accept every suggestion scoring at least</label>
    <select id="f-threshold" name="threshold"><option value="100">100%</option><option value="95">95%</option><option value="90" selected>90%</option><option value="85">85%</option></select></div>
  <button type="submit" data-confirm="Link everything suggested at this score or more?">Accept suggestions</button>
</form>
<?cs if:PsaConnection == "0" ?>
<div class="panel">No PSA connection yet. <a href="/settings/connections">Connect your PSA</a>, then refresh.</div>
<?cs elif:Total == "0" ?>
<div class="panel">Nothing to map<?cs if:Filter.q ?> for “<?cs var:Filter.q ?>”<?cs /if ?>. <?cs if:Filter.mapped != "1" ?>Everything shown is linked; tick “Show mapped resources” to see it.<?cs else ?>Refresh from your sources to load companies.<?cs /if ?></div>
<?cs /if ?>
<?cs each:co = Companies ?>
<section class="panel company" id="company-<?cs var:co.id ?>">
  <div class="level-row">
    <h2><?cs var:co.name ?> <span class="muted small"><?cs var:co.conn_name ?> · <?cs var:co.linked_n ?> linked, <?cs var:co.unlinked_n ?> unlinked</span></h2>
    <?cs if:co.linked_id ?>
      <p>PSA account: <strong><?cs var:co.linked_name ?></strong></p>
      <form method="post" action="/mapping" class="inline"><?cs call:setform("company", co.id, co.name) ?>
        <button type="submit" name="action" value="unset" class="secondary">Unset Relation</button></form>
    <?cs else ?>
      <?cs call:sugg(co) ?>
      <form method="post" action="/mapping" class="inline"><?cs call:setform("company", co.id, co.name) ?>
        <select name="target" aria-label="PSA account for <?cs var:co.name ?>">
          <option value="">Please select a company/account to map</option>
          <?cs each:a = Accounts ?><option value="<?cs var:a.id ?>"<?cs if:a.id == co.sugg.id ?> selected<?cs /if ?>><?cs var:a.name ?></option><?cs /each ?>
        </select>
        <button type="submit" name="action" value="set">Set Relation</button>
        <button type="submit" name="action" value="create" class="secondary">Create in PSA</button></form>
    <?cs /if ?>
  </div>
  <?cs each:s = co.Subs ?>
  <div class="level-row sub">
    <h3><?cs var:s.name ?> <span class="muted small"><?cs var:s.cycle ?> · <?cs var:s.status ?></span></h3>
    <?cs if:s.linked_id ?>
      <p>Contract: <strong><?cs var:s.linked_name ?></strong></p>
      <form method="post" action="/mapping" class="inline"><?cs call:setform("subscription", s.id, s.name) ?>
        <button type="submit" name="action" value="unset" class="secondary">Unset Relation</button></form>
    <?cs elif:co.linked_id ?>
      <?cs call:sugg(s) ?>
      <form method="post" action="/mapping" class="inline"><?cs call:setform("subscription", s.id, s.name) ?>
        <select name="target" aria-label="Contract for <?cs var:s.name ?>">
          <option value="">Please select a contract to map</option>
          <?cs each:k = s.Contracts ?><option value="<?cs var:k.id ?>"<?cs if:k.id == s.sugg.id ?> selected<?cs /if ?>><?cs var:k.name ?><?cs if:k.end ?> (ends <?cs var:k.end ?>)<?cs /if ?><?cs if:#k.subs > #0 ?> · holds <?cs var:k.subs ?> subscription<?cs if:#k.subs != #1 ?>s<?cs /if ?><?cs /if ?></option><?cs /each ?>
        </select>
        <button type="submit" name="action" value="set">Set Relation</button>
        <button type="submit" name="action" value="create" class="secondary">Create contract</button></form>
    <?cs else ?><p class="muted">Link the company first.</p><?cs /if ?>
    <?cs each:r = s.Res ?>
    <div class="level-row res">
      <strong><?cs var:r.name ?></strong> <span class="muted small"><?cs var:r.sku ?></span>
      <span class="badge">count: <?cs var:r.qty ?></span>
      <?cs if:r.service ?>
        → <?cs var:r.service_name ?> <?cs if:r.units ?><span class="badge<?cs if:r.units != r.wanted ?> warn<?cs /if ?>">PSA: <?cs var:r.units ?></span><?cs /if ?><?cs if:r.feeders ?> <span class="badge">fed by <?cs var:r.feeders ?> subscriptions: <?cs var:r.wanted ?></span><?cs /if ?>
        <form method="post" action="/mapping" class="inline"><?cs call:setform("resource", r.id, r.name) ?>
          <button type="submit" name="action" value="unset" class="secondary">Unset Relation</button></form>
        <form method="post" action="/mapping" class="inline"><?cs call:setform("resource", r.id, r.name) ?>
          <input type="hidden" name="action" value="approval">
          <select name="approval" aria-label="Approval for <?cs var:r.name ?>">
            <option value="inherit"<?cs if:r.approval == "inherit" ?> selected<?cs /if ?>>approval: company policy</option>
            <option value="auto"<?cs if:r.approval == "auto" ?> selected<?cs /if ?>>approval: post automatically</option>
            <option value="require"<?cs if:r.approval == "require" ?> selected<?cs /if ?>>approval: always ask</option>
          </select>
          <button type="submit" class="secondary">Save</button></form>
      <?cs elif:r.note ?>
        <span class="muted seat-note"><?cs var:r.note ?></span>
      <?cs elif:s.linked_id ?>
        <?cs call:sugg(r) ?>
        <form method="post" action="/mapping" class="inline"><?cs call:setform("resource", r.id, r.name) ?>
          <select name="target" aria-label="Service for <?cs var:r.name ?>">
            <option value="">Please select a service</option>
            <?cs each:v = s.Services ?><option value="<?cs var:v.value ?>"<?cs if:v.value == r.sugg.id ?> selected<?cs /if ?>><?cs var:v.name ?><?cs if:v.group == "contract" ?> (on the contract, <?cs var:v.units ?> unit<?cs if:v.units != "1" ?>s<?cs /if ?>)<?cs else ?> (catalogue)<?cs /if ?></option><?cs /each ?>
          </select>
          <button type="submit" name="action" value="set">Set Relation</button>
          <button type="submit" name="action" value="create" class="secondary">Create service</button></form>
      <?cs else ?><span class="muted">Link the subscription first.</span><?cs /if ?>
    </div>
    <?cs /each ?>
  </div>
  <?cs /each ?>
</section>
<?cs /each ?>
<?cs if:#Pages > #1 ?>
<div class="pager">
  <?cs if:#Filter.page > #1 ?><a href="/mapping?q=<?cs var:url_escape(Filter.q) ?>&amp;mapped=<?cs var:Filter.mapped ?>&amp;expired=<?cs var:Filter.expired ?>&amp;unlinked=<?cs var:Filter.unlinked ?>&amp;page=<?cs var:Filter.page - #1 ?>">Previous</a><?cs /if ?>
  <span>Page <?cs var:Filter.page ?> of <?cs var:Pages ?> (<?cs var:Total ?> companies)</span>
  <?cs if:#Filter.page < #Pages ?><a href="/mapping?q=<?cs var:url_escape(Filter.q) ?>&amp;mapped=<?cs var:Filter.mapped ?>&amp;expired=<?cs var:Filter.expired ?>&amp;unlinked=<?cs var:Filter.unlinked ?>&amp;page=<?cs var:Filter.page + #1 ?>">Next</a><?cs /if ?>
</div>
<?cs /if ?>
<?cs call:page_end() ?>
